package main

import (
	"context"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// isDir says path is a folder (an image folder case).
func isDir(path string) bool {
	fi, err := os.Stat(path)
	return err == nil && fi.IsDir()
}

// TestDistributedImages fits a small generated image folder under mpirun
// -np 2 and -np 3: the ranks share it by images (columns), each decoding
// only its own files, and the fit equals the one-process fit (n_iter, W
// and H within float32's tolerance; report.json along columns).
func TestDistributedImages(t *testing.T) {
	run := mpirunFor(t)
	dir := filepath.Join(t.TempDir(), "faces")
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	const w, h, n = 6, 5, 11
	for j := range n {
		img := image.NewGray(image.Rect(0, 0, w, h))
		for y := range h {
			for x := range w {
				img.SetGray(x, y, color.Gray{Y: uint8((37*j + 11*x*x + 23*y + x*y*j) % 256)})
			}
		}
		f, err := os.Create(filepath.Join(dir, fmt.Sprintf("img%02d.png", j)))
		if err != nil {
			t.Fatal(err)
		}
		if err := png.Encode(f, img); err != nil {
			t.Fatal(err)
		}
		f.Close()
	}
	c := distCase{"images", []string{"fit", dir, "-k", "3", "--device", "cpu", "-q", "--max-iter", "40", "--tol", "0", "--seed", "3"}, 1e-3}
	one := filepath.Join(t.TempDir(), "one.nmf")
	mustRun(t, append(c.args, "--out", one)...)
	r1, _ := loadReport(t, one)
	for _, np := range []int{2, 3} {
		checkRanks(t, run, np, c, one, "Open MPI", "")
		r, _ := loadReport(t, filepath.Join(filepath.Dir(one), fmt.Sprintf("np%d.nmf", np)))
		if r.Input.Shape != r1.Input.Shape || r.Input.NNZ != r1.Input.NNZ {
			t.Errorf("-np %d: input %v nnz %d, one process %v %d", np, r.Input.Shape, r.Input.NNZ, r1.Input.Shape, r1.Input.NNZ)
		}
	}
	// Each rank decodes its own files: a file whose data is cut off, last
	// in name order, fails the last rank only, with its name.
	b, err := os.ReadFile(filepath.Join(dir, "img00.png"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "zz.png"), b[:len(b)-20], 0o644); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	out, err := run(ctx, 3, filepath.Dir(one), append(c.args, "--out", filepath.Join(filepath.Dir(one), "cut.nmf"), "--distributed", "mpi")...).CombinedOutput()
	if err == nil || !strings.Contains(string(out), "rank 2 of 3") || !strings.Contains(string(out), "zz.png") || strings.Contains(string(out), "rank 0 of 3: nmf") {
		t.Errorf("a cut image on the last rank: %v\n%s", err, out)
	}
}
