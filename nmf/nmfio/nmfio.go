// Package nmfio reads and writes the files the nmf command factorises and
// writes: matrix files (.npy, .csv, .tsv, .mtx), folders of images and WAV
// sounds in; .npy, CSV, PNG grids of basis images and WAV out. Results are
// the nmf package's own matrix types, ready for [nmf.Fit].
//
// # Reading matrix files
//
// [Read] picks a reader by the file's extension (case-insensitive):
//
//   - .npy: a NumPy array file (format versions 1, 2 and 3). The array must
//     be 2-D. float32 ('f4') stays float32; float64 ('f8') stays float64;
//     every integer dtype (i1..i8, u1..u8) and bool ('b1') becomes float64.
//     Both byte orders and both C and Fortran order are read; the result is
//     always row-major. The header's shape is checked against the size of
//     the file before anything is allocated. Bytes after the array's data
//     are ignored, as numpy.load ignores them. Values are passed through as
//     they are, NaN and infinities included: the nmf library rejects those
//     itself. A C-ordered float32 or float64 array in the machine's byte
//     order is memory-mapped read-only on Linux, macOS and the BSDs
//     instead of read ([Input.Mapped]; release it with [Input.Close]): it
//     then costs page cache, not the process's memory.
//   - .csv, .tsv: delimited text, comma- or tab-separated. Every field must
//     be a finite number (strconv.ParseFloat syntax, surrounding spaces and
//     quotes allowed); NaN and infinities are rejected here with their
//     position. When the first row holds a field that is not a number, it is
//     taken as a header row and its names are kept in [Input.Header]. Blank
//     lines and a leading UTF-8 byte-order mark are skipped; there are no
//     comment lines.
//   - .mtx: a Matrix Market coordinate file (real, integer or pattern;
//     general or symmetric), read straight into compressed sparse rows
//     without ever densifying. Entries are sorted by row and column and
//     duplicates are summed; a symmetric file's off-diagonal entries are
//     mirrored (as scipy.io.mmread does, whichever triangle they are in);
//     a pattern entry has the value 1. Explicit zeros are kept as stored
//     entries. NaN and infinities are rejected with their line.
//
// Every matrix read must have at least one row and one column, and at most
// [MaxDim] of either.
//
// # Errors
//
// A malformed file gives a [*FormatError] naming the file and, for text
// formats, the 1-based line (and for CSV/TSV the 1-based field number) of
// the problem. An extension no reader handles gives an error wrapping
// [ErrUnknownFormat]. Errors opening or reading the file are returned as the
// os package gives them (they name the path). No input makes a reader panic,
// and no header makes one allocate more than the file's size justifies.
//
// # Images and sound
//
// [ReadImageFolder] reads a folder of images as one gray image per column;
// [ReadWAV] and [DecodeWAV] read a WAV file mixed down to mono, and
// [WriteWAV] writes one. [ComponentsPNG] draws the columns of W as a grid
// of images.
//
// # Writing
//
// [WriteNPY] and [WriteCSV] write a row-major matrix; both go through
// [WriteFileAtomic], which replaces the destination only once the new
// contents are completely written and synced, so a failed write never
// leaves a truncated file behind.
package nmfio

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/clnmf/clnmf/nmf"
)

// MaxDim is the largest number of rows or columns a reader accepts.
const MaxDim = 1<<31 - 1

// ErrUnknownFormat is wrapped by the error [Read] returns for a file whose
// extension no reader handles. The error's text lists the known extensions.
var ErrUnknownFormat = errors.New("unknown matrix file format")

// Input is a matrix read from a file or folder, with what is known about
// where it came from. Exactly one of Dense32, Dense64 and Sparse is set.
type Input struct {
	// Path is the path the matrix was read from, as given to the reader.
	Path string
	// Kind names the format read: "npy", "csv", "tsv", "mtx", "images"
	// (a folder read by [ReadImageFolder]) or "wav" (for a spectrogram a
	// caller computed from a [Sound]).
	Kind string
	// Dense32 is set for a float32 .npy file and a folder of images.
	Dense32 *nmf.Dense[float32]
	// Dense64 is set for float64, integer and bool .npy files and for
	// CSV/TSV.
	Dense64 *nmf.Dense[float64]
	// Sparse is set for a Matrix Market file.
	Sparse *nmf.CSR[float64]
	// Header holds the CSV/TSV column names when the first row was a
	// header row; nil otherwise.
	Header []string
	// Images holds the file names of a folder of images, one a column of
	// X, and Width and Height their size in pixels; pixel (x, y) of image
	// j is X[y·Width+x, j].
	Images        []string
	Width, Height int
	// FirstColumn is the whole folder's column that X's first is when
	// [Options.KeepColumns] kept a range of the images; 0 otherwise.
	FirstColumn int

	unmap func() error // releases a memory-mapped .npy (see Mapped)
}

// Dims returns the number of rows and columns of the matrix read.
func (in *Input) Dims() (rows, cols int) {
	switch {
	case in.Dense32 != nil:
		return in.Dense32.Dims()
	case in.Dense64 != nil:
		return in.Dense64.Dims()
	case in.Sparse != nil:
		return in.Sparse.Dims()
	}
	return 0, 0
}

// NNZ returns the number of stored entries of a sparse matrix, explicit
// zeros included, or the number of nonzero entries of a dense one (NaN
// counts as nonzero).
func (in *Input) NNZ() int {
	switch {
	case in.Dense32 != nil:
		return countNonzero(in.Dense32.Data)
	case in.Dense64 != nil:
		return countNonzero(in.Dense64.Data)
	case in.Sparse != nil:
		return in.Sparse.NNZ()
	}
	return 0
}

func countNonzero[T nmf.Float](data []T) int {
	n := 0
	for _, v := range data {
		if v != 0 {
			n++
		}
	}
	return n
}

// FormatError reports a malformed matrix file.
type FormatError struct {
	Path string // the file, as given to Read; empty for a stream
	Line int    // 1-based line of a text file; 0 when not applicable
	Col  int    // 1-based field number in a CSV/TSV row; 0 when not applicable
	Msg  string // what is wrong ("header: ..." for a .npy header)
}

// Error returns "<path>: line L, column C: <msg>", leaving out the line and
// column when they are zero and the path when it is empty (a stream).
func (e *FormatError) Error() string {
	var b strings.Builder
	if e.Path != "" {
		b.WriteString(e.Path)
		b.WriteString(": ")
	}
	if e.Line > 0 {
		fmt.Fprintf(&b, "line %d", e.Line)
		if e.Col > 0 {
			fmt.Fprintf(&b, ", column %d", e.Col)
		}
		b.WriteString(": ")
	} else if e.Col > 0 {
		fmt.Fprintf(&b, "column %d: ", e.Col)
	}
	b.WriteString(e.Msg)
	return b.String()
}

// Options bound what a reader may allocate. The zero value (and a nil
// *Options) checks against the memory the system reports available.
type Options struct {
	// MemoryLimit is the most bytes a reader may allocate for what it
	// returns; the size is computed from the file's header (or, for text,
	// as the values arrive) and checked before the allocation is made. 0
	// means the memory available (nmf.AvailableMemory); a negative value
	// turns the check off. Too much is an error wrapping an
	// *nmf.MemoryError.
	MemoryLimit int64
	// IndexColumn says the first column of a CSV or TSV file holds row
	// names, not values (as pandas' DataFrame.to_csv writes its index):
	// it is skipped in every row, the header's included. Other formats
	// ignore it.
	IndexColumn bool
	// KeepRows, when set, makes the Matrix Market reader keep only the
	// entries of rows [lo, hi) of the rows × cols the file declares (one
	// process's share of a distributed fit): the result has every row,
	// those outside the range empty, and memory for the range's entries
	// alone (checked pro rata against MemoryLimit; a range holding more
	// than its share grows as it is read). Every line is still read and
	// checked. Other formats ignore it.
	KeepRows func(rows, cols int) (lo, hi int)
	// KeepColumns, when set, makes the image folder reader decode only
	// the images (columns) [lo, hi) of the rows × cols the folder's
	// headers give (one process's share of a distributed fit): X is then
	// rows × (hi − lo), [Input.FirstColumn] lo, [Input.Images] still every
	// file; an empty range reads no image. Other formats ignore it.
	KeepColumns func(rows, cols int) (lo, hi int)
}

func (o *Options) budget() nmf.Budget {
	if o == nil {
		return nmf.Budget{}
	}
	return nmf.Budget{Limit: o.MemoryLimit}
}

// source is the open input r of the given size read under o.
func (o *Options) source(path string, r io.Reader, size int64) *source {
	s := &source{path: path, r: r, size: size, budget: o.budget()}
	if o != nil {
		s.index, s.keepRows = o.IndexColumn, o.KeepRows
	}
	return s
}

// source is an open input: its name for messages, the reader and its size
// in bytes (-1 when unknown, for a stream).
type source struct {
	path   string
	r      io.Reader
	size   int64
	budget nmf.Budget
	index  bool // Options.IndexColumn
	// keepRows is Options.KeepRows.
	keepRows func(rows, cols int) (lo, hi int)
}

// check refuses an allocation of need bytes over the budget.
func (s *source) check(what string, need int64, hint string) error {
	if err := s.budget.Check(what, need, hint); err != nil {
		return s.wrap(err)
	}
	return nil
}

// wrap prefixes an error with the source's name, when it has one.
func (s *source) wrap(err error) error {
	if s.path == "" {
		return err
	}
	return fmt.Errorf("%s: %w", s.path, err)
}

// sizeOf returns r's size in bytes when r can tell it (an *os.File of a
// regular file, a *bytes.Reader, *strings.Reader or *io.SectionReader),
// counted from its current position, or -1.
func sizeOf(r io.Reader) int64 {
	switch v := r.(type) {
	case *os.File:
		st, err := v.Stat()
		if err != nil || !st.Mode().IsRegular() {
			return -1
		}
		if pos, err := v.Seek(0, io.SeekCurrent); err == nil {
			return st.Size() - pos
		}
		return -1
	case interface{ Len() int }: // bytes.Reader, strings.Reader: unread bytes
		return int64(v.Len())
	case interface{ Size() int64 }:
		return v.Size()
	}
	return -1
}

// formats maps a lower-case extension to its reader.
var formats = []struct {
	ext  string
	read func(src *source) (*Input, error)
}{
	{".npy", readNPY},
	{".csv", func(src *source) (*Input, error) { return readDelimited(src, ',', "csv") }},
	{".tsv", func(src *source) (*Input, error) { return readDelimited(src, '\t', "tsv") }},
	{".mtx", readMTX},
}

// Read reads the matrix file at path, choosing the format by the file's
// extension: .npy, .csv, .tsv or .mtx (see the package documentation). For
// any other extension it returns an error wrapping [ErrUnknownFormat], so a
// caller can try readers of its own (images, audio) before giving up.
func Read(path string) (*Input, error) { return (*Options)(nil).Read(path) }

// Read is [Read] with the options' memory limit.
func (o *Options) Read(path string) (*Input, error) {
	ext := strings.ToLower(filepath.Ext(path))
	for _, fm := range formats {
		if fm.ext != ext {
			continue
		}
		f, err := os.Open(path)
		if err != nil {
			return nil, err
		}
		defer f.Close()
		in, err := fm.read(o.source(path, f, sizeOf(f)))
		if in != nil {
			in.Path = path
		}
		return in, err
	}
	known := make([]string, len(formats))
	for i, fm := range formats {
		known[i] = fm.ext
	}
	return nil, fmt.Errorf("%s: %w (known extensions: %s)", path, ErrUnknownFormat, strings.Join(known, ", "))
}

// ReadNPY reads an .npy array from r (see the package documentation). When
// r cannot tell its size (see Options), the data is read in chunks as it
// arrives rather than allocated from the header, so a stream that ends
// early costs only what it held; a Fortran-order array from such a stream
// is then transposed into a second buffer. Errors carry no file name.
func ReadNPY(r io.Reader) (*Input, error) { return (*Options)(nil).ReadNPY(r) }

// ReadNPY is [ReadNPY] with the options' memory limit.
func (o *Options) ReadNPY(r io.Reader) (*Input, error) {
	return readNPY(&source{r: r, size: sizeOf(r), budget: o.budget()})
}

// ReadCSV reads delimited text from r: comma-separated for comma ',' and
// tab-separated for '\t' (see the package documentation).
func ReadCSV(r io.Reader, comma rune) (*Input, error) { return (*Options)(nil).ReadCSV(r, comma) }

// ReadCSV is [ReadCSV] with the options' memory limit.
func (o *Options) ReadCSV(r io.Reader, comma rune) (*Input, error) {
	kind := "csv"
	switch comma {
	case ',':
	case '\t':
		kind = "tsv"
	default:
		return nil, fmt.Errorf("nmfio: ReadCSV: separator %q; want ',' or '\\t'", comma)
	}
	return readDelimited(o.source("", r, sizeOf(r)), byte(comma), kind)
}

// ReadMTX reads a Matrix Market coordinate file from r (see the package
// documentation).
func ReadMTX(r io.Reader) (*Input, error) { return (*Options)(nil).ReadMTX(r) }

// ReadMTX is [ReadMTX] with the options' memory limit.
func (o *Options) ReadMTX(r io.Reader) (*Input, error) {
	return readMTX(o.source("", r, sizeOf(r)))
}

// checkDims refuses an empty matrix or one too large to index.
func checkDims(rows, cols int64) string {
	switch {
	case rows < 1 || cols < 1:
		return fmt.Sprintf("matrix is %d×%d; it needs at least one row and one column", rows, cols)
	case rows > MaxDim || cols > MaxDim:
		return fmt.Sprintf("matrix is %d×%d; at most %d rows and columns are supported", rows, cols, MaxDim)
	}
	return ""
}
