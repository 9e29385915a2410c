package nmfio

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"math"
	"sort"
	"strconv"
	"strings"

	"github.com/clnmf/clnmf/nmf"
)

// Matrix Market coordinate format (https://math.nist.gov/MatrixMarket/formats.html):
//
//	%%MatrixMarket matrix coordinate real general
//	% comments
//	rows cols entries
//	i j value
//	...
//
// with 1-based indices; a pattern file has no values.

// mtxMinRows is how many rows a Matrix Market file may declare however small
// it is. Beyond it a file must have at least one byte per declared row: the
// CSR row pointers take 8 bytes a row, and a header alone must not be able
// to ask for gigabytes.
const mtxMinRows = 1 << 20

// lineReader reads lines, counting them and the bytes consumed.
type lineReader struct {
	br       *bufio.Reader
	line     int   // number of the line last returned
	consumed int64 // bytes consumed so far
}

var errLineTooLong = errors.New("line too long")

// next returns the next line without its line ending; io.EOF at the end.
// An overlong line is an error unless it is a comment, which is skipped
// over.
func (lr *lineReader) next() ([]byte, error) {
	b, err := lr.br.ReadSlice('\n')
	lr.consumed += int64(len(b))
	if err == bufio.ErrBufferFull {
		lr.line++
		if t := bytes.TrimLeft(b, " \t"); len(t) > 0 && t[0] == '%' {
			for err == bufio.ErrBufferFull {
				b, err = lr.br.ReadSlice('\n')
				lr.consumed += int64(len(b))
			}
			if err == nil || err == io.EOF {
				return []byte("%"), nil
			}
			return nil, err
		}
		return nil, errLineTooLong
	}
	if err == io.EOF && len(b) > 0 {
		err = nil // a last line without a newline
	}
	if err != nil {
		return nil, err
	}
	lr.line++
	b = bytes.TrimSuffix(b, []byte("\n"))
	b = bytes.TrimSuffix(b, []byte("\r"))
	return b, nil
}

// fields splits a line at spaces and tabs into at most len(dst) fields and
// returns how many fields the line has (which may exceed len(dst)).
func fields(line []byte, dst [][]byte) int {
	n := 0
	for i := 0; i < len(line); {
		for i < len(line) && (line[i] == ' ' || line[i] == '\t') {
			i++
		}
		if i == len(line) {
			break
		}
		start := i
		for i < len(line) && line[i] != ' ' && line[i] != '\t' {
			i++
		}
		if n < len(dst) {
			dst[n] = line[start:i]
		}
		n++
	}
	return n
}

// parseIndex parses a 1-based index: it returns -1 for anything that is
// not a plain positive integer, and math.MaxInt64 for one too large for
// an int64 (which is out of range anyway).
func parseIndex(b []byte) int64 {
	if len(b) == 0 {
		return -1
	}
	var n int64
	for _, c := range b {
		if c < '0' || c > '9' {
			return -1
		}
		if n > (math.MaxInt64-9)/10 {
			n = math.MaxInt64
		} else if n != math.MaxInt64 {
			n = n*10 + int64(c-'0')
		}
	}
	if n == 0 {
		return -1
	}
	return n
}

// mtxEntryBytes is what one stored entry costs while reading: its
// coordinates (int32 row and column, float64 value) and its place in the
// CSR result (int index, float64 value).
const mtxEntryBytes = 4 + 4 + 8 + 8 + 8

// readMTX reads a Matrix Market coordinate file into CSR form.
func readMTX(src *source) (*Input, error) {
	path, size := src.path, src.size
	lr := &lineReader{br: bufio.NewReaderSize(src.r, 1<<16)}
	fail := func(format string, args ...any) error {
		return &FormatError{Path: path, Line: lr.line, Msg: fmt.Sprintf(format, args...)}
	}
	next := func() ([]byte, error) {
		b, err := lr.next()
		if err == errLineTooLong {
			return nil, fail("line too long")
		}
		return b, err
	}

	// Banner.
	banner, err := next()
	if err == io.EOF {
		return nil, &FormatError{Path: path, Msg: "empty file"}
	}
	if err != nil {
		return nil, src.wrap(err)
	}
	words := strings.Fields(strings.ToLower(string(banner)))
	if len(words) == 0 || words[0] != "%%matrixmarket" {
		return nil, fail("not a Matrix Market file: the first line must be the banner %q", "%%MatrixMarket matrix coordinate real general")
	}
	if len(words) != 5 {
		return nil, fail("banner has %d words, expected 5, as in %q", len(words), "%%MatrixMarket matrix coordinate real general")
	}
	object, format, field, symmetry := words[1], words[2], words[3], words[4]
	switch {
	case object != "matrix":
		return nil, fail("banner: object %q is not supported; only matrix", object)
	case format == "array":
		return nil, fail("banner: array (dense) format is not supported; only coordinate")
	case format != "coordinate":
		return nil, fail("banner: unknown format %q; only coordinate is supported", format)
	case field == "complex":
		return nil, fail("banner: complex matrices are not supported")
	case field != "real" && field != "integer" && field != "pattern" && field != "double":
		return nil, fail("banner: unknown field %q; real, integer or pattern is supported", field)
	case symmetry == "skew-symmetric" || symmetry == "hermitian":
		return nil, fail("banner: %s matrices are not supported; only general and symmetric", symmetry)
	case symmetry != "general" && symmetry != "symmetric":
		return nil, fail("banner: unknown symmetry %q; general or symmetric is supported", symmetry)
	}
	pattern, integer, symmetric := field == "pattern", field == "integer", symmetry == "symmetric"

	// Size line, after any comments.
	var sizeLine []byte
	for {
		b, err := next()
		if err == io.EOF {
			return nil, fail("file ends before the size line (rows columns entries)")
		}
		if err != nil {
			return nil, src.wrap(err)
		}
		if t := bytes.TrimLeft(b, " \t"); len(t) > 0 && t[0] != '%' {
			sizeLine = b
			break
		}
	}
	var dims [3]int64
	{
		var fs [3][]byte
		if n := fields(sizeLine, fs[:]); n != 3 {
			return nil, fail("size line has %d fields, expected 3 (rows columns entries)", n)
		}
		for k, name := range []string{"rows", "columns", "entries"} {
			v, err := strconv.ParseInt(string(fs[k]), 10, 64)
			if err != nil || v < 0 {
				return nil, fail("size line: %s %s is not a nonnegative integer", name, excerpt(fs[k]))
			}
			dims[k] = v
		}
	}
	nrows, ncols, nnz := dims[0], dims[1], dims[2]
	if m := checkDims(nrows, ncols); m != "" {
		return nil, fail("%s", m)
	}
	if symmetric && nrows != ncols {
		return nil, fail("symmetric matrix must be square, not %d×%d", nrows, ncols)
	}
	// The rows and columns a file may declare are bounded by its size; a
	// stream's, by the bytes it turns out to hold (checked at its end, the
	// allocation they size being within the budget already).
	checkSize := func(size int64) error {
		for _, d := range []struct {
			name string
			n    int64
		}{{"rows", nrows}, {"columns", ncols}} {
			if d.n > max(mtxMinRows, size) {
				return fail("%d %s is too many for a %d-byte file (a file may declare %d %s, or more if it has at least one byte per %s)",
					d.n, d.name, size, mtxMinRows, d.name, strings.TrimSuffix(d.name, "s"))
			}
		}
		return nil
	}
	if size >= 0 {
		if err := checkSize(size); err != nil {
			return nil, err
		}
	}
	if size >= 0 {
		left := size - lr.consumed
		if limit := (left + 1) / 4; nnz > limit { // "1 1\n" is the shortest entry
			return nil, fail("declares %d entries, but the %d bytes left in the file hold at most %d", nnz, left, limit)
		}
	}
	stored := nnz
	if symmetric {
		stored = mulSat(nnz, 2)
	}
	need := mulSat(stored, mtxEntryBytes) + mulSat(nrows+1, 8)
	if err := src.check(fmt.Sprintf("a %d×%d sparse matrix with %d entries", nrows, ncols, nnz), need, ""); err != nil {
		return nil, err
	}

	// Entries, as coordinates; from a stream, grown as they arrive.
	prealloc := stored
	if size < 0 {
		prealloc = min(stored, 1<<16)
	}
	ri := make([]int32, 0, prealloc)
	ci := make([]int32, 0, prealloc)
	vs := make([]float64, 0, prealloc)
	want := 3
	if pattern {
		want = 2
	}
	var fs [3][]byte
	for count := int64(0); ; {
		b, err := next()
		if err == io.EOF {
			if count < nnz {
				return nil, fail("file ends after %d entries; the size line declares %d", count, nnz)
			}
			break
		}
		if err != nil {
			return nil, src.wrap(err)
		}
		n := fields(b, fs[:])
		if n == 0 || fs[0][0] == '%' {
			continue
		}
		if count == nnz {
			return nil, fail("more entries than the %d the size line declares", nnz)
		}
		if n != want {
			if pattern {
				return nil, fail("%d fields, expected 2 (row column) in a pattern matrix", n)
			}
			return nil, fail("%d fields, expected 3 (row column value)", n)
		}
		i, j := parseIndex(fs[0]), parseIndex(fs[1])
		switch {
		case i < 0:
			return nil, fail("row index %s is not a positive integer", excerpt(fs[0]))
		case j < 0:
			return nil, fail("column index %s is not a positive integer", excerpt(fs[1]))
		case i > nrows:
			return nil, fail("row index %s out of range 1..%d", fs[0], nrows)
		case j > ncols:
			return nil, fail("column index %s out of range 1..%d", fs[1], ncols)
		}
		v := 1.0
		switch {
		case pattern:
		case integer:
			n, err := strconv.ParseInt(string(fs[2]), 10, 64)
			if err != nil {
				return nil, fail("%s is not an integer", excerpt(fs[2]))
			}
			v = float64(n)
		default:
			var msg string
			if v, msg = parseNumber(string(fs[2])); msg != "" {
				return nil, fail("%s", msg)
			}
		}
		ri, ci, vs = append(ri, int32(i-1)), append(ci, int32(j-1)), append(vs, v)
		if symmetric && i != j {
			ri, ci, vs = append(ri, int32(j-1)), append(ci, int32(i-1)), append(vs, v)
		}
		count++
	}

	if size < 0 {
		if err := checkSize(lr.consumed); err != nil {
			return nil, err
		}
	}
	csr, dup := cooToCSR(int(nrows), int(ncols), ri, ci, vs)
	if dup[0] >= 0 {
		return nil, &FormatError{Path: path, Msg: fmt.Sprintf("entry (%d, %d) is given more than once, once as a negative value: a sum would hide it from the nonnegativity check", dup[0]+1, dup[1]+1)}
	}
	return &Input{Path: path, Kind: "mtx", Sparse: csr}, nil
}

// cooToCSR builds a CSR matrix from coordinates: entries sorted by row and
// column, duplicates summed in the order given. dup is the (row, column) of
// the first duplicate entry with a negative part, or (-1, -1): a sum could
// turn -1 + 1 into an acceptable 0, so a negative entry must be checked
// before it is summed.
func cooToCSR(rows, cols int, ri, ci []int32, vs []float64) (m *nmf.CSR[float64], dup [2]int) {
	dup = [2]int{-1, -1}
	indptr := make([]int, rows+1)
	for _, i := range ri {
		indptr[i+1]++
	}
	for i := range rows {
		indptr[i+1] += indptr[i]
	}
	indices := make([]int, len(ri))
	data := make([]float64, len(ri))
	// Scatter, using indptr[i] as row i's cursor; afterwards indptr[i]
	// holds the end of row i, i.e. the start of row i+1.
	for k, i := range ri {
		p := indptr[i]
		indices[p], data[p] = int(ci[k]), vs[k]
		indptr[i]++
	}
	copy(indptr[1:], indptr[:rows])
	indptr[0] = 0

	// Sort each row by column (stably, so that duplicates are summed in
	// file order) and sum duplicates, compacting in place.
	w := 0
	for i := range rows {
		lo, hi := indptr[i], indptr[i+1]
		seg := colSorter{indices[lo:hi], data[lo:hi]}
		if !sort.IsSorted(seg) {
			sort.Stable(seg)
		}
		start := w
		for p := lo; p < hi; p++ {
			if w > start && indices[w-1] == indices[p] {
				if (data[w-1] < 0 || data[p] < 0) && dup[0] < 0 {
					dup = [2]int{i, indices[p]}
				}
				data[w-1] += data[p]
				continue
			}
			indices[w], data[w] = indices[p], data[p]
			w++
		}
		indptr[i] = start
	}
	indptr[rows] = w
	return &nmf.CSR[float64]{
		Rows: rows, Cols: cols, Indptr: indptr,
		Indices: indices[:w:w], Data: data[:w:w],
	}, dup
}

type colSorter struct {
	idx []int
	val []float64
}

func (s colSorter) Len() int           { return len(s.idx) }
func (s colSorter) Less(a, b int) bool { return s.idx[a] < s.idx[b] }
func (s colSorter) Swap(a, b int) {
	s.idx[a], s.idx[b] = s.idx[b], s.idx[a]
	s.val[a], s.val[b] = s.val[b], s.val[a]
}
