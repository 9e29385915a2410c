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
	Path string // the file, as given to Read
	Line int    // 1-based line of a text file; 0 when not applicable
	Col  int    // 1-based field number in a CSV/TSV row; 0 when not applicable
	Msg  string // what is wrong ("header: ..." for a .npy header)
}

// Error returns "<path>: line L, column C: <msg>", leaving out the line and
// column when they are zero.
func (e *FormatError) Error() string {
	var b strings.Builder
	b.WriteString(e.Path)
	b.WriteString(": ")
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

// formats maps a lower-case extension to its reader.
var formats = []struct {
	ext  string
	read func(path string, f *os.File) (*Input, error)
}{
	{".npy", readNPY},
	{".csv", func(path string, f *os.File) (*Input, error) { return readDelimited(path, f, ',', "csv") }},
	{".tsv", func(path string, f *os.File) (*Input, error) { return readDelimited(path, f, '\t', "tsv") }},
	{".mtx", readMTX},
}

// Read reads the matrix file at path, choosing the format by the file's
// extension: .npy, .csv, .tsv or .mtx (see the package documentation). For
// any other extension it returns an error wrapping [ErrUnknownFormat], so a
// caller can try readers of its own (images, audio) before giving up.
func Read(path string) (*Input, error) {
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
		return fm.read(path, f)
	}
	known := make([]string, len(formats))
	for i, fm := range formats {
		known[i] = fm.ext
	}
	return nil, fmt.Errorf("%s: %w (known extensions: %s)", path, ErrUnknownFormat, strings.Join(known, ", "))
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
