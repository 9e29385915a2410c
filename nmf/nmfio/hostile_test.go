package nmfio

import (
	"bytes"
	"encoding/binary"
	"errors"
	"io"
	"strings"
	"testing"

	"github.com/clnmf/clnmf/nmf"
)

// Hostile inputs (issue 10): sizes from a header checked before anything is
// allocated, numbers meaning one thing, every entry checked.

func TestReadMTXBombs(t *testing.T) {
	const banner = "%%MatrixMarket matrix coordinate real general\n"
	for _, c := range []struct{ name, text, want string }{
		{"columns", banner + "3 2000000000 1\n1 1 1\n", "line 2: 2000000000 columns is too many for a"},
		{"rows", banner + "2000000000 3 1\n1 1 1\n", "line 2: 2000000000 rows is too many for a"},
		{"entries", banner + "3 3 1000000\n1 1 1\n", "line 2: declares 1000000 entries"},
		{"hex value", banner + "3 3 1\n1 1 0x1p3\n", `line 3: "0x1p3" is not a number`},
		{"digit separator", banner + "3 3 1\n1 1 1_0\n", `line 3: "1_0" is not a number`},
		{"hex size", banner + "0x3 3 1\n1 1 1\n", `line 2: size line: rows "0x3" is not a nonnegative integer`},
		{"integer underscore", "%%MatrixMarket matrix coordinate integer general\n3 3 1\n1 1 1_0\n", `line 3: "1_0" is not an integer`},
		{"duplicate cancels", banner + "3 3 2\n2 2 1\n2 2 -1\n", "entry (2, 2) is given more than once, once as a negative value"},
		{"duplicate negative first", banner + "3 3 3\n1 1 5\n2 3 -1\n2 3 4\n", "entry (2, 3) is given more than once"},
		{"long value", banner + "3 3 1\n1 1 " + strings.Repeat("9", 5000) + "x\n", `line 3: "99999999999999999999999999999999"… (5001 bytes) is not a number`},
	} {
		t.Run(c.name, func(t *testing.T) {
			path := writeTemp(t, "x.mtx", []byte(c.text))
			_, err := Read(path)
			wantFormatError(t, err, path+": "+c.want)
		})
	}
	// A well-formed file whose entries need more than the budget.
	var b strings.Builder
	b.WriteString(banner + "1000 1000 20000\n")
	for i := range 20000 {
		b.WriteString("1 1 1\n")
		_ = i
	}
	o := &Options{MemoryLimit: 100 << 10}
	_, err := o.ReadMTX(strings.NewReader(b.String()))
	var me *nmf.MemoryError
	if !errors.As(err, &me) || !strings.Contains(err.Error(), "a 1000×1000 sparse matrix with 20000 entries would need") {
		t.Errorf("over the budget: %v", err)
	}
	// Duplicates that are all positive are summed.
	in, err := ReadMTX(strings.NewReader(banner + "2 2 3\n1 2 1\n1 2 2.5\n2 1 1e-1\n"))
	if err != nil || in.Sparse.NNZ() != 2 || in.Sparse.Data[0] != 3.5 {
		t.Errorf("positive duplicates: %+v, %v", in, err)
	}
}

// readOnly hides everything but Read: a stream of unknown size.
type readOnly struct{ r io.Reader }

func (r readOnly) Read(p []byte) (int, error) { return r.r.Read(p) }

func TestReadNPYBudget(t *testing.T) {
	// A header declaring 2^40 float64 elements in a tiny stream: refused
	// by the budget, not allocated.
	file := npyFile(dict("<f8", false, "(1048576, 1048576)"), nil)
	o := &Options{MemoryLimit: 1 << 30}
	_, err := o.ReadNPY(bytes.NewReader(file))
	if !errors.Is(err, nmf.ErrMemory) {
		// bytes.Reader tells its size: the size check comes first.
		wantFormatError(t, err, "needs 8796093022208 bytes of data")
	}
	// Through a reader that cannot tell its size, the budget decides.
	_, err = o.ReadNPY(readOnly{bytes.NewReader(file)})
	var me *nmf.MemoryError
	if !errors.As(err, &me) || !strings.Contains(err.Error(), "a 1048576×1048576 array would need 8 TiB") {
		t.Errorf("unsized stream: %v", err)
	}
	// Within the budget, an unsized stream that ends early costs what it
	// held and says so.
	short := npyFile(dict("<f4", true, "(1000, 1000)"), make([]byte, 4*1000))
	_, err = (&Options{MemoryLimit: -1}).ReadNPY(readOnly{bytes.NewReader(short)})
	wantFormatError(t, err, "data: the stream ends before the 1000000 elements")
	// And a whole one, in Fortran order, reads as the file does.
	le := binary.LittleEndian
	full := npyFile(dict("<f8", true, "(2, 3)"), encF64(le, 1, 4, 2, 5, 3, 6))
	for _, r := range []io.Reader{bytes.NewReader(full), readOnly{bytes.NewReader(full)}} {
		in, err := ReadNPY(r)
		if err != nil || !equalSlices(in.Dense64.Data, []float64{1, 2, 3, 4, 5, 6}) {
			t.Errorf("%T: %+v, %v", r, in, err)
		}
	}
}

func TestReadWAVBudget(t *testing.T) {
	wav := encodeWAV(wavOpts{tag: tagPCM, channels: 1, depth: 16, rate: 8000}, make([]float64, 60*8000))
	path := writeTemp(t, "x.wav", wav)
	_, err := (&Options{MemoryLimit: 2 << 20}).ReadWAV(path)
	if !errors.Is(err, nmf.ErrMemory) || !strings.Contains(err.Error(), path+": 480000 samples would need") {
		t.Errorf("60 s under 2 MiB: %v", err)
	}
	if _, err := (&Options{MemoryLimit: 8 << 20}).ReadWAV(path); err != nil {
		t.Error(err)
	}
}
