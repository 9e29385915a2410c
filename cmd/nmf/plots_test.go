package main

import (
	"image/png"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// withConvergence is the pictures a fit writes besides names: convergence.png
// first, when the trace and the final state have two points.
func withConvergence(rep *runReport, names ...string) []string {
	if len(rep.convergence()) > 1 {
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

// TestTraceInReport checks report.json's trace: the objective equals the
// error without penalties and exceeds it with them, the seconds never go
// back, and convergence.png (two panels) is written.
func TestTraceInReport(t *testing.T) {
	dir := t.TempDir()
	t.Chdir(dir)
	rows, cols, data := testMatrix()
	writeFile(t, "d.csv", csvOf(rows, cols, data, ","))
	for _, c := range []struct {
		out       string
		args      []string
		penalised bool
	}{
		{"plain.nmf", nil, false},
		{"alpha.nmf", []string{"--alpha-W", "0.05", "--l1-ratio", "0.5"}, true},
	} {
		// 30 iterations: the final state is the last point of the trace.
		mustRun(t, append(append([]string{"fit", "-k", "2", "--max-iter", "30", "--tol", "0", "--out", c.out}, c.args...), "d.csv")...)
		rep, _ := loadReport(t, c.out)
		if len(rep.Trace) != 4 {
			t.Fatalf("%s: trace %+v", c.out, rep.Trace)
		}
		for i, p := range rep.Trace {
			if c.penalised && !(p.Objective > p.Err) || !c.penalised && p.Objective != p.Err || p.Seconds < 0 || i > 0 && p.Seconds < rep.Trace[i-1].Seconds {
				t.Errorf("%s: trace %+v", c.out, rep.Trace)
				break
			}
		}
		if f, last := rep.Final, rep.Trace[3]; f == nil || f.Iter != 30 || f.Err != rep.ReconstructionErr || f.Err != last.Err || f.Objective != last.Objective || f.Seconds < last.Seconds {
			t.Errorf("%s: final %+v, last point %+v", c.out, rep.Final, last)
		}
		f, err := os.Open(filepath.Join(c.out, "convergence.png"))
		if err != nil {
			t.Fatal(err)
		}
		img, err := png.Decode(f)
		f.Close()
		if err != nil || img.Bounds().Dx() != 960 || img.Bounds().Dy() != 384 {
			t.Errorf("%s: convergence.png %v, %v", c.out, err, img.Bounds())
		}
	}
	// 25 iterations: the final state comes after the trace's 0, 10, 20 in
	// the picture, not in the trace; a saved report's final must be at
	// n_iter.
	mustRun(t, "fit", "-k", "2", "--max-iter", "25", "--tol", "0", "--alpha-H", "0.1", "--out", "25.nmf", "d.csv")
	rep, _ := loadReport(t, "25.nmf")
	if pts := rep.convergence(); len(rep.Trace) != 3 || len(pts) != 4 || pts[3] != *rep.Final || rep.Final.Iter != 25 || !(rep.Final.Objective > rep.Final.Err) {
		t.Errorf("trace %+v, final %+v", rep.Trace, rep.Final)
	}
	rep.Final.Iter = 20
	if err := rep.checkTrace(); err == nil || !strings.Contains(err.Error(), "final.iter") {
		t.Errorf("final at 20 of 25: %v", err)
	}
}
