package nmfio

import (
	"bytes"
	"fmt"
	"image/png"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/clnmf/clnmf/nmf"
)

// TestReadImageFolderKeepColumns reads a folder whole and by ranges of its
// images (the ranks of a distributed fit; an empty one too): each range is
// the whole X's columns, and only its own files are decoded (a broken file
// outside the range is not read); ranges outside the folder are refused.
func TestReadImageFolderKeepColumns(t *testing.T) {
	dir := t.TempDir()
	const w, h, n = 4, 3, 7
	for j := range n {
		save(t, dir, fmt.Sprintf("im%d.png", j), grayImage(w, h, func(x, y int) uint8 { return uint8(30*j + 7*x + 11*y) }))
	}
	whole, err := ReadImageFolder(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range [][2]int{{0, 3}, {3, 5}, {5, 7}, {0, 7}, {4, 4}} {
		o := &Options{KeepColumns: func(rows, cols int) (int, int) {
			if rows != w*h || cols != n {
				t.Errorf("KeepColumns(%d, %d), want (%d, %d)", rows, cols, w*h, n)
			}
			return r[0], r[1]
		}}
		in, err := o.ReadImageFolder(dir)
		if err != nil {
			t.Fatal(err)
		}
		want := nmf.Columns[float32](whole.Dense32, r[0], r[1]).(*nmf.Dense[float32])
		if in.FirstColumn != r[0] || len(in.Images) != n || in.Dense32.Rows != w*h || in.Dense32.Cols != r[1]-r[0] {
			t.Fatalf("%v: first %d, %d names, X %d×%d", r, in.FirstColumn, len(in.Images), in.Dense32.Rows, in.Dense32.Cols)
		}
		for i, v := range want.Data {
			if in.Dense32.Data[i] != v {
				t.Fatalf("%v: X[%d] = %g, the whole folder's %g", r, i, in.Dense32.Data[i], v)
			}
		}
	}
	// A PNG with a good header and cut-off data, last in name order.
	var buf bytes.Buffer
	png.Encode(&buf, grayImage(w, h, func(x, y int) uint8 { return uint8(x + y) }))
	os.WriteFile(filepath.Join(dir, "zz.png"), buf.Bytes()[:buf.Len()-20], 0o644)
	if _, err := ReadImageFolder(dir); err == nil || !strings.Contains(err.Error(), "zz.png") {
		t.Errorf("whole folder with a cut file: %v", err)
	}
	o := &Options{KeepColumns: func(int, int) (int, int) { return 0, 4 }}
	if _, err := o.ReadImageFolder(dir); err != nil {
		t.Errorf("the cut file outside the range was read: %v", err)
	}
	for _, r := range [][2]int{{5, 9}, {-1, 2}, {3, 2}} {
		o.KeepColumns = func(int, int) (int, int) { return r[0], r[1] }
		if _, err := o.ReadImageFolder(dir); err == nil || !strings.Contains(err.Error(), fmt.Sprintf("[%d, %d)", r[0], r[1])) {
			t.Errorf("range %v: %v", r, err)
		}
	}
}
