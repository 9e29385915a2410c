package nmfio

import (
	"bytes"
	"errors"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/clnmf/clnmf/nmf"
)

// fuzzRead writes data to path and reads it: it must return a consistent
// matrix or an error, never panic. The fuzz functions run one input at a
// time per process, so each reuses one path.
func fuzzRead(t *testing.T, path string, data []byte) {
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
	in, err := Read(path)
	sin, serr := readStream(path, data)
	if (err == nil) != (serr == nil) {
		t.Fatalf("file and stream disagree: %v; %v", err, serr)
	}
	for _, e := range []error{err, serr} {
		if e != nil && len(e.Error()) > len(path)+300 {
			t.Fatalf("error of %d bytes: %.400s", len(e.Error()), e)
		}
	}
	if err != nil {
		var fe *FormatError
		if !errors.As(err, &fe) && !errors.Is(err, fs.ErrNotExist) && !errors.Is(err, nmf.ErrMemory) {
			t.Fatalf("error %v (%T) is not a FormatError", err, err)
		}
		if in != nil {
			t.Fatal("a matrix and an error")
		}
		return
	}
	defer in.Close() // before the next input rewrites the file
	if !sameInput(in, sin) {
		t.Fatalf("file and stream read different matrices: %+v; %+v", in, sin)
	}
	set := 0
	rows, cols := in.Dims()
	if rows < 1 || cols < 1 {
		t.Fatalf("%d×%d matrix", rows, cols)
	}
	if in.Dense32 != nil {
		set++
		if len(in.Dense32.Data) != rows*cols {
			t.Fatalf("%d values for %d×%d", len(in.Dense32.Data), rows, cols)
		}
	}
	if in.Dense64 != nil {
		set++
		if len(in.Dense64.Data) != rows*cols {
			t.Fatalf("%d values for %d×%d", len(in.Dense64.Data), rows, cols)
		}
	}
	if in.Sparse != nil {
		set++
		checkCSR(t, in.Sparse)
	}
	if set != 1 {
		t.Fatalf("%d matrices set", set)
	}
	if in.Header != nil && len(in.Header) != cols {
		t.Fatalf("%d header names for %d columns", len(in.Header), cols)
	}
	if in.NNZ() < 0 || in.NNZ() > rows*cols && in.Sparse == nil {
		t.Fatalf("NNZ %d", in.NNZ())
	}
}

func FuzzReadNPY(f *testing.F) {
	f8 := encF64(le, 1, 2, 3, 4, 5, 6)
	seeds := [][]byte{
		npyFile(dict("<f8", false, "(2, 3)"), f8),
		npyFile(dict("<f8", true, "(3, 2)"), f8),
		npyFile(dict(">f4", false, "(2, 3)"), encF32(be, 1, 2, 3, 4, 5, 6)),
		npyFile(dict("|u1", true, "(2, 3)"), []byte{1, 2, 3, 4, 5, 6}),
		npyFile(dict("|b1", false, "(1, 6)"), []byte{1, 0, 3, 4, 5, 6}),
		npyFile(dict("<i2", false, "(3, 1)"), encInts(le, 2, -1, 0, 1)),
		npyFile(dict(">u8", true, "(1, 1)"), encUints(be, 8, 7)),
		npyFileVersion(2, dict("<f8", false, "(2, 3)"), f8),
		npyFile(`{"shape":(2,3),"fortran_order":False,"descr":"<f8"}`, f8),
		npyFile(dict("<f8", false, "(1000000, 1000000)"), f8),
		npyFile(dict("<f8", false, "(6,)"), f8),
		npyFile(dict("<c16", false, "(2, 3)"), f8),
		npyFile("{'descr': [('a', '<f8')], 'fortran_order': False, 'shape': (2, 3)}", f8),
		npyFile(dict("<f8", false, "(2, 3)"), f8[:20]),
		[]byte("\x93NUMPY\x01\x00\xff\xff{"),
		[]byte("\x93NUMPY\x03\x00\x10\x00\x00\x00{'descr': '<f8'"),
		[]byte("\x93NUMPY"),
		nil,
	}
	if b, err := os.ReadFile(filepath.Join(golden, "mu_kl_f32", "X.npy")); err == nil {
		seeds = append(seeds, b)
	}
	for _, s := range seeds {
		f.Add(s)
	}
	path := filepath.Join(f.TempDir(), "f.npy")
	f.Fuzz(func(t *testing.T, data []byte) { fuzzRead(t, path, data) })
}

func FuzzReadCSV(f *testing.F) {
	for _, s := range []string{
		"1,2,3\n4,5,6\n",
		"a,b,c\n1,2,3\n",
		"a,b\n",
		" 1 , \"2\"\r\n3,4\r\n",
		"1,2\n3\n",
		"1,nan\n",
		"1,1e400\n",
		"\"1\n2\",3\n",
		"1,2\"\n",
		"\n\n",
		"",
		",\n,\n",
		"0x1p-3,-0,+5\n",
		"1_0,.5,5.,1e\n",
		"\"a,\nb\",c\n1,2\n",
		"1,2\n   \n3,4\n",
	} {
		f.Add([]byte(s))
	}
	path := filepath.Join(f.TempDir(), "f.csv")
	f.Fuzz(func(t *testing.T, data []byte) { fuzzRead(t, path, data) })
}

func FuzzReadMTX(f *testing.F) {
	for _, s := range []string{
		"%%MatrixMarket matrix coordinate real general\n% c\n3 4 4\n1 1 1.5\n2 3 -2\n3 4 1e-3\n3 1 7\n",
		"%%MatrixMarket matrix coordinate integer general\n2 2 3\n1 1 3\n2 2 -4\n1 1 2\n",
		"%%MatrixMarket matrix coordinate pattern symmetric\n3 3 3\n2 1\n3 3\n3 1\n",
		"%%MatrixMarket matrix coordinate real symmetric\n2 2 2\n1 2 5\n2 1 5\n",
		"%%MatrixMarket matrix array real general\n2 2\n1\n2\n3\n4\n",
		"%%MatrixMarket matrix coordinate complex general\n1 1 1\n1 1 1 0\n",
		"%%MatrixMarket matrix coordinate real general\n2 2 1\n3 1 1\n",
		"%%MatrixMarket matrix coordinate real general\n2 2 5\n1 1 1\n",
		"%%MatrixMarket matrix coordinate real general\n2000000000 3 0\n",
		"%%MatrixMarket matrix coordinate real general\r\n1 1 1\r\n1 1 nan\r\n",
		"%%MatrixMarket matrix coordinate real general\n0 0 0\n",
		"%%MatrixMarket matrix coordinate real general\n2 2 2\n1 1 1\n1 1 -1\n",
		"%%MatrixMarket matrix coordinate real general\n3 2000000000 1\n1 1 0x1p3\n",
		"%%MatrixMarket\n",
		"",
	} {
		f.Add([]byte(s))
	}
	if b, err := os.ReadFile(filepath.Join(golden, "mu_kl_sparse", "X.mtx")); err == nil {
		f.Add(b)
	}
	path := filepath.Join(f.TempDir(), "f.mtx")
	f.Fuzz(func(t *testing.T, data []byte) { fuzzRead(t, path, data) })
}

// readStream reads data as the reader of path's extension does from a
// stream of unknown size, under a budget of 64 MiB.
func readStream(path string, data []byte) (*Input, error) {
	o := &Options{MemoryLimit: 64 << 20}
	r := readOnly{bytes.NewReader(data)}
	switch filepath.Ext(path) {
	case ".npy":
		return o.ReadNPY(r)
	case ".mtx":
		return o.ReadMTX(r)
	case ".tsv":
		return o.ReadCSV(r, '\t')
	}
	return o.ReadCSV(r, ',')
}

// sameInput reports whether two reads hold the same matrix, bit for bit.
func sameInput(a, b *Input) bool {
	bits := func(v []float64) []uint64 {
		out := make([]uint64, len(v))
		for i, x := range v {
			out[i] = math.Float64bits(x)
		}
		return out
	}
	switch {
	case a.Dense32 != nil:
		if b.Dense32 == nil || a.Dense32.Rows != b.Dense32.Rows || a.Dense32.Cols != b.Dense32.Cols {
			return false
		}
		for i, x := range a.Dense32.Data {
			if math.Float32bits(x) != math.Float32bits(b.Dense32.Data[i]) {
				return false
			}
		}
	case a.Dense64 != nil:
		if b.Dense64 == nil || a.Dense64.Rows != b.Dense64.Rows || a.Dense64.Cols != b.Dense64.Cols ||
			!slices.Equal(bits(a.Dense64.Data), bits(b.Dense64.Data)) {
			return false
		}
	case a.Sparse != nil:
		x, y := a.Sparse, b.Sparse
		if y == nil || x.Rows != y.Rows || x.Cols != y.Cols || !slices.Equal(x.Indptr, y.Indptr) ||
			!slices.Equal(x.Indices, y.Indices) || !slices.Equal(bits(x.Data), bits(y.Data)) {
			return false
		}
	}
	return slices.Equal(a.Header, b.Header)
}
