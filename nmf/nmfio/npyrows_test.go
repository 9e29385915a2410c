package nmfio

import (
	"path/filepath"
	"testing"
)

// TestWriteNPYRows writes a 7×5 float32 .npy in blocks of 3 rows (the last
// shorter) and reads back every value where fill put it.
func TestWriteNPYRows(t *testing.T) {
	path := filepath.Join(t.TempDir(), "x.npy")
	const rows, cols = 7, 5
	var calls [][2]int
	err := WriteNPYRows(path, rows, cols, 3, func(lo, hi int, dst []float32) {
		calls = append(calls, [2]int{lo, hi})
		for i := range dst {
			dst[i] = float32(lo*cols + i)
		}
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(calls) != 3 || calls[2] != [2]int{6, 7} {
		t.Errorf("fill called for %v, want [0 3] [3 6] [6 7]", calls)
	}
	in, err := Read(path)
	if err != nil {
		t.Fatal(err)
	}
	defer in.Close()
	d := in.Dense32
	if d == nil || d.Rows != rows || d.Cols != cols {
		t.Fatalf("read back %+v, want a %d×%d float32 matrix", in, rows, cols)
	}
	for i, v := range d.Data {
		if v != float32(i) {
			t.Fatalf("value %d = %v, want %d", i, v, i)
		}
	}
	if err := WriteNPYRows(path, rows, cols, 0, func(int, int, []float32) {}); err == nil {
		t.Error("blocks of 0 rows accepted")
	}
}
