package nmfio

import (
	"os"
	"unsafe"

	"github.com/clnmf/clnmf/nmf"
)

// Memory-mapped .npy files. A C-ordered float32 or float64 array in the
// machine's byte order, whose data starts at a multiple of its element size,
// is mapped read-only instead of read (where the platform maps files: see
// mapFile): the matrix's Data is the file's pages, held by the page cache
// and not by the process's anonymous memory, and reading costs nothing until
// the values are used. Any other .npy is decoded into one buffer.

// mapNPY maps the data of the checked header h from f, or returns nil
// where the file cannot be mapped as it is (or the system refuses), for
// readNPY to decode it instead.
func mapNPY(path string, f *os.File, h npyHeader) *Input {
	d := h.dtype
	if d.kind != 'f' || h.fortran || d.big != nativeBigEndian() || h.dataOff%int64(d.size) != 0 {
		return nil
	}
	rows, cols := int(h.shape[0]), int(h.shape[1])
	length := int64(rows) * int64(cols) * int64(d.size)
	mem, unmap, err := mapFile(f, h.dataOff+length)
	if err != nil || mem == nil {
		return nil
	}
	data := unsafe.Pointer(&mem[h.dataOff])
	in := &Input{Path: path, Kind: "npy", unmap: unmap}
	if d.size == 4 {
		in.Dense32 = &nmf.Dense[float32]{Rows: rows, Cols: cols, Data: unsafe.Slice((*float32)(data), rows*cols)}
	} else {
		in.Dense64 = &nmf.Dense[float64]{Rows: rows, Cols: cols, Data: unsafe.Slice((*float64)(data), rows*cols)}
	}
	return in
}

// Mapped reports whether the matrix's Data is a read-only memory mapping of
// the file (see Close).
func (in *Input) Mapped() bool { return in.unmap != nil }

// Close releases the memory mapping of a mapped .npy file: after it, the
// matrix's Data must not be touched (doing so faults). For other inputs it
// does nothing. It may be called more than once.
//
// A mapped matrix is read-only (writing to it faults), and it shows the
// file: truncating or rewriting the file while it is mapped changes or
// invalidates the matrix. The nmf library never writes to X.
func (in *Input) Close() error {
	if in.unmap == nil {
		return nil
	}
	u := in.unmap
	in.unmap = nil
	return u()
}
