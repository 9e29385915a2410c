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

// shortDigits writes an index (digits only) for a message, cut to 32 digits
// with its length when longer than 40.
func shortDigits(b []byte) string {
	if len(b) <= 40 {
		return string(b)
	}
	return fmt.Sprintf("%s… (%d digits)", b[:32], len(b))
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

// mtxEntryBytes is what one stored entry costs while reading, at most: its
// column and value as read (int, float64), its row when the file is not
// sorted by row (int32), and its place in the CSR result built from those
// (int index, float64 value). A file sorted by row is read straight into
// its CSR form: 16 bytes an entry.
const mtxEntryBytes = 8 + 8 + 4 + 8 + 8

// mtxReader reads one Matrix Market file: the source, its lines, and what
// the banner and the size line declare.
type mtxReader struct {
	src                         *source
	lr                          *lineReader
	pattern, integer, symmetric bool
	nrows, ncols, nnz           int64
	lo, hi                      int64 // the rows kept (Options.KeepRows)
}

func (m *mtxReader) fail(format string, args ...any) error {
	return &FormatError{Path: m.src.path, Line: m.lr.line, Msg: fmt.Sprintf(format, args...)}
}

// next returns the next line; io.EOF at the end.
func (m *mtxReader) next() ([]byte, error) {
	b, err := m.lr.next()
	switch {
	case err == errLineTooLong:
		return nil, m.fail("line too long")
	case err != nil && err != io.EOF:
		return nil, m.src.wrap(err)
	}
	return b, err
}

// readMTX reads a Matrix Market coordinate file into CSR form.
func readMTX(src *source) (*Input, error) {
	m := &mtxReader{src: src, lr: &lineReader{br: bufio.NewReaderSize(src.r, 1<<16)}}
	if err := m.banner(); err != nil {
		return nil, err
	}
	if err := m.sizeLine(); err != nil {
		return nil, err
	}
	e, err := m.entries()
	if err != nil {
		return nil, err
	}
	if src.size < 0 {
		if err := m.checkSize(m.lr.consumed); err != nil {
			return nil, err
		}
	}
	csr, dup := e.csr(int(m.nrows), int(m.ncols))
	if dup[0] >= 0 {
		return nil, &FormatError{Path: src.path, Msg: fmt.Sprintf("entry (%d, %d) is given more than once, once as a negative value: a sum would hide it from the nonnegativity check", dup[0]+1, dup[1]+1)}
	}
	return &Input{Path: src.path, Kind: "mtx", Sparse: csr}, nil
}

// banner reads and checks the first line.
func (m *mtxReader) banner() error {
	banner, err := m.next()
	if err == io.EOF {
		return &FormatError{Path: m.src.path, Msg: "empty file"}
	}
	if err != nil {
		return err
	}
	const example = "%%MatrixMarket matrix coordinate real general"
	words := strings.Fields(strings.ToLower(string(banner)))
	if len(words) == 0 || words[0] != "%%matrixmarket" {
		return m.fail("not a Matrix Market file: the first line must be the banner %q", example)
	}
	if len(words) != 5 {
		return m.fail("banner has %d words, expected 5, as in %q", len(words), example)
	}
	object, format, field, symmetry := words[1], words[2], words[3], words[4]
	switch {
	case object != "matrix":
		return m.fail("banner: object %s is not supported; only matrix", excerpt(object))
	case format == "array":
		return m.fail("banner: array (dense) format is not supported; only coordinate")
	case format != "coordinate":
		return m.fail("banner: unknown format %s; only coordinate is supported", excerpt(format))
	case field == "complex":
		return m.fail("banner: complex matrices are not supported")
	case field != "real" && field != "integer" && field != "pattern" && field != "double":
		return m.fail("banner: unknown field %s; real, integer or pattern is supported", excerpt(field))
	case symmetry == "skew-symmetric" || symmetry == "hermitian":
		return m.fail("banner: %s matrices are not supported; only general and symmetric", symmetry)
	case symmetry != "general" && symmetry != "symmetric":
		return m.fail("banner: unknown symmetry %s; general or symmetric is supported", excerpt(symmetry))
	}
	m.pattern, m.integer, m.symmetric = field == "pattern", field == "integer", symmetry == "symmetric"
	return nil
}

// sizeLine reads the size line, after any comments, and checks what it
// declares against the file's size and the memory budget.
func (m *mtxReader) sizeLine() error {
	var line []byte
	for {
		b, err := m.next()
		if err == io.EOF {
			return m.fail("file ends before the size line (rows columns entries)")
		}
		if err != nil {
			return err
		}
		if t := bytes.TrimLeft(b, " \t"); len(t) > 0 && t[0] != '%' {
			line = b
			break
		}
	}
	var fs [3][]byte
	if n := fields(line, fs[:]); n != 3 {
		return m.fail("size line has %d fields, expected 3 (rows columns entries)", n)
	}
	var dims [3]int64
	for k, name := range []string{"rows", "columns", "entries"} {
		v, err := strconv.ParseInt(string(fs[k]), 10, 64)
		if err != nil || v < 0 {
			return m.fail("size line: %s %s is not a nonnegative integer", name, excerpt(fs[k]))
		}
		dims[k] = v
	}
	m.nrows, m.ncols, m.nnz = dims[0], dims[1], dims[2]
	if msg := checkDims(m.nrows, m.ncols); msg != "" {
		return m.fail("%s", msg)
	}
	if m.symmetric && m.nrows != m.ncols {
		return m.fail("symmetric matrix must be square, not %d×%d", m.nrows, m.ncols)
	}
	if size := m.src.size; size >= 0 {
		if err := m.checkSize(size); err != nil {
			return err
		}
		left := size - m.lr.consumed
		if limit := (left + 1) / 4; m.nnz > limit { // "1 1\n" is the shortest entry
			return m.fail("declares %d entries, but the %d bytes left in the file hold at most %d", m.nnz, left, limit)
		}
	}
	if err := m.keepRange(); err != nil {
		return err
	}
	need := mulSat(m.kept(), mtxEntryBytes) + mulSat(m.nrows+1, 8)
	return m.src.check(fmt.Sprintf("a %d×%d sparse matrix with %d entries", m.nrows, m.ncols, m.nnz), need, "")
}

// keepRange sets the rows kept: all, or Options.KeepRows' range.
func (m *mtxReader) keepRange() error {
	m.lo, m.hi = 0, m.nrows
	if m.src.keepRows == nil {
		return nil
	}
	lo, hi := m.src.keepRows(int(m.nrows), int(m.ncols))
	if lo < 0 || lo > hi || int64(hi) > m.nrows {
		return m.fail("rows %d..%d asked for of %d", lo, hi, m.nrows)
	}
	m.lo, m.hi = int64(lo), int64(hi)
	return nil
}

// kept is the number of entries the kept rows are expected to hold: their
// share of stored, rounded up.
func (m *mtxReader) kept() int64 {
	if m.lo == 0 && m.hi == m.nrows {
		return m.stored()
	}
	rows := m.hi - m.lo
	return int64(math.Ceil(float64(m.stored()) * float64(rows) / float64(max(m.nrows, 1))))
}

// stored is the number of entries held: a symmetric file's off-diagonal
// ones twice.
func (m *mtxReader) stored() int64 {
	if m.symmetric {
		return mulSat(m.nnz, 2)
	}
	return m.nnz
}

// checkSize bounds the rows and columns declared by the file's size: a
// file's from the start, a stream's by the bytes it turned out to hold
// (checked at its end, the allocation they size being within the budget
// already).
func (m *mtxReader) checkSize(size int64) error {
	for _, d := range []struct {
		name string
		n    int64
	}{{"rows", m.nrows}, {"columns", m.ncols}} {
		if d.n > max(mtxMinRows, size) {
			return m.fail("%d %s is too many for a %d-byte file (a file may declare %d %s, or more if it has at least one byte per %s)",
				d.n, d.name, size, mtxMinRows, d.name, strings.TrimSuffix(d.name, "s"))
		}
	}
	return nil
}

// mtxEntries are the entries read: while they come sorted by row, straight
// into CSR form (counts per row in counts, columns and values in file
// order); from the first entry out of row order on, with every row index
// kept too (ri), for cooToCSR.
type mtxEntries struct {
	counts []int // counts[i+1]: entries of row i
	ci     []int
	vs     []float64
	ri     []int32 // nil while sorted by row
	last   int     // row of the latest entry
}

func (e *mtxEntries) add(i, j int, v float64) {
	if e.ri == nil && i < e.last {
		e.ri = make([]int32, 0, cap(e.ci))
		for r := range len(e.counts) - 1 {
			for range e.counts[r+1] {
				e.ri = append(e.ri, int32(r))
			}
		}
	}
	if e.ri != nil {
		e.ri = append(e.ri, int32(i))
	} else {
		e.counts[i+1]++
		e.last = i
	}
	e.ci, e.vs = append(e.ci, j), append(e.vs, v)
}

// csr is the entries as a CSR matrix: built in place when they came sorted
// by row, else by cooToCSR; see cooToCSR for dup.
func (e *mtxEntries) csr(rows, cols int) (*nmf.CSR[float64], [2]int) {
	if e.ri != nil {
		return cooToCSR(rows, cols, e.ri, e.ci, e.vs)
	}
	indptr := e.counts
	for i := range rows {
		indptr[i+1] += indptr[i]
	}
	return compactRows(rows, cols, indptr, e.ci, e.vs)
}

// entries reads the coordinates (0-based) and values of every entry, a
// symmetric file's mirrored; from a stream, the slices grow as they arrive.
func (m *mtxReader) entries() (*mtxEntries, error) {
	prealloc := m.kept()
	if m.src.size < 0 {
		prealloc = min(prealloc, 1<<16)
	}
	e := &mtxEntries{counts: make([]int, m.nrows+1), ci: make([]int, 0, prealloc), vs: make([]float64, 0, prealloc)}
	var fs [3][]byte
	for count := int64(0); ; {
		b, err := m.next()
		if err == io.EOF {
			if count < m.nnz {
				return nil, m.fail("file ends after %d entries; the size line declares %d", count, m.nnz)
			}
			return e, nil
		}
		if err != nil {
			return nil, err
		}
		n := fields(b, fs[:])
		if n == 0 || fs[0][0] == '%' {
			continue
		}
		if count == m.nnz {
			return nil, m.fail("more entries than the %d the size line declares", m.nnz)
		}
		i, j, v, err := m.entry(fs, n)
		if err != nil {
			return nil, err
		}
		if m.keeps(i) {
			e.add(int(i-1), int(j-1), v)
		}
		if m.symmetric && i != j && m.keeps(j) {
			e.add(int(j-1), int(i-1), v)
		}
		count++
	}
}

// keeps says whether row i (1-based) is kept.
func (m *mtxReader) keeps(i int64) bool { return i > m.lo && i <= m.hi }

// entry parses one entry line of n fields (the first three in fs).
func (m *mtxReader) entry(fs [3][]byte, n int) (i, j int64, v float64, err error) {
	switch {
	case m.pattern && n != 2:
		return 0, 0, 0, m.fail("%d fields, expected 2 (row column) in a pattern matrix", n)
	case !m.pattern && n != 3:
		return 0, 0, 0, m.fail("%d fields, expected 3 (row column value)", n)
	}
	i, j = parseIndex(fs[0]), parseIndex(fs[1])
	switch {
	case i < 0:
		return 0, 0, 0, m.fail("row index %s is not a positive integer", excerpt(fs[0]))
	case j < 0:
		return 0, 0, 0, m.fail("column index %s is not a positive integer", excerpt(fs[1]))
	case i > m.nrows:
		return 0, 0, 0, m.fail("row index %s out of range 1..%d", shortDigits(fs[0]), m.nrows)
	case j > m.ncols:
		return 0, 0, 0, m.fail("column index %s out of range 1..%d", shortDigits(fs[1]), m.ncols)
	}
	switch {
	case m.pattern:
		return i, j, 1, nil
	case m.integer:
		k, err := strconv.ParseInt(string(fs[2]), 10, 64)
		if err != nil {
			return 0, 0, 0, m.fail("%s is not an integer", excerpt(fs[2]))
		}
		return i, j, float64(k), nil
	}
	v, msg := parseNumber(string(fs[2]))
	if msg != "" {
		return 0, 0, 0, m.fail("%s", msg)
	}
	return i, j, v, nil
}

// cooToCSR builds a CSR matrix from coordinates: entries sorted by row and
// column, duplicates summed in the order given. dup is the (row, column) of
// the first duplicate entry with a negative part, or (-1, -1): a sum could
// turn -1 + 1 into an acceptable 0, so a negative entry must be checked
// before it is summed.
func cooToCSR(rows, cols int, ri []int32, ci []int, vs []float64) (m *nmf.CSR[float64], dup [2]int) {
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
		indices[p], data[p] = ci[k], vs[k]
		indptr[i]++
	}
	copy(indptr[1:], indptr[:rows])
	indptr[0] = 0
	return compactRows(rows, cols, indptr, indices, data)
}

// compactRows sorts each row of a CSR matrix by column and sums duplicates
// in place; see cooToCSR for dup.
func compactRows(rows, cols int, indptr, indices []int, data []float64) (m *nmf.CSR[float64], dup [2]int) {
	dup = [2]int{-1, -1}

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
