package main

import (
	"image/png"
	"os"
	"path/filepath"
	"reflect"
	"testing"
)

// withConvergence is the pictures a fit writes besides names: convergence.png
// first, when the trace has two points.
func withConvergence(rep *runReport, names ...string) []string {
	if len(rep.Trace) > 1 {
		return append([]string{"convergence.png"}, names...)
	}
	return names
}

// TestMatrixPictures checks that a fit of a matrix writes convergence.png,
// W.png and H.png, listed in report.json, as PNGs, and that a larger matrix
// than plots.MaxSide gets no heatmap of its long side.
func TestMatrixPictures(t *testing.T) {
	dir := t.TempDir()
	t.Chdir(dir)
	rows, cols, data := testMatrix()
	writeFile(t, "d.csv", csvOf(rows, cols, data, ","))
	mustRun(t, "fit", "-k", "2", "--max-iter", "30", "--tol", "0", "d.csv")
	rep, _ := loadReport(t, "d.nmf")
	if want := []string{"convergence.png", "W.png", "H.png"}; !reflect.DeepEqual(rep.Files.Pictures, want) {
		t.Fatalf("pictures %q, want %q", rep.Files.Pictures, want)
	}
	for _, n := range rep.Files.Pictures {
		f, err := os.Open(filepath.Join("d.nmf", n))
		if err != nil {
			t.Fatal(err)
		}
		img, err := png.Decode(f)
		f.Close()
		if err != nil || img.Bounds().Dx() < 300 || img.Bounds().Dy() < 200 {
			t.Errorf("%s: %v, %v", n, err, img.Bounds())
		}
	}
	// A transform from the fit reads the folder back: the names are known.
	mustRun(t, "transform", "--model", "d.nmf", "--out", "t.nmf", "d.csv")
	// 2001 rows: W (2001×1) is too tall to read, H is drawn.
	big := make([]float64, 2001*2)
	for i := range big {
		big[i] = float64(i%7) + 1
	}
	writeFile(t, "big.csv", csvOf(2001, 2, big, ","))
	mustRun(t, "fit", "-k", "1", "--max-iter", "20", "big.csv")
	rep, _ = loadReport(t, "big.nmf")
	if want := withConvergence(rep, "H.png"); !reflect.DeepEqual(rep.Files.Pictures, want) {
		t.Errorf("big: pictures %q, want %q", rep.Files.Pictures, want)
	}
}
