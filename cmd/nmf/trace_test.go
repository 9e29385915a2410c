package main

import (
	"context"
	"math"
	"path/filepath"
	"testing"
	"time"

	"github.com/clnmf/clnmf/nmf/nmfio"
)

// TestDistributedObjective checks the trace of a penalised fit under
// mpirun -np 2 (W's rows, and so its penalty, spread over the ranks)
// against the one-process fit: the same errors and objectives, the
// objective above the error.
func TestDistributedObjective(t *testing.T) {
	run := mpirunFor(t)
	dir := t.TempDir()
	in := filepath.Join(dir, "d.npy") // MPI reads its rows of a mapped .npy
	rows, cols, _ := testNPY(t, in)
	// MPI starts from a given W0, H0 (each rank reads its rows of W0).
	w0, h0 := filepath.Join(dir, "w0.npy"), filepath.Join(dir, "h0.npy")
	for _, f := range []struct {
		path       string
		rows, cols int
	}{{w0, rows, 2}, {h0, 2, cols}} {
		v := make([]float64, f.rows*f.cols)
		for i := range v {
			v[i] = 0.5 + float64(i%5)/4
		}
		if err := nmfio.WriteNPY(f.path, f.rows, f.cols, v); err != nil {
			t.Fatal(err)
		}
	}
	args := []string{"fit", in, "-k", "2", "--w0", w0, "--h0", h0, "--solver", "mu", "--max-iter", "30", "--tol", "0",
		"--alpha-W", "0.05", "--alpha-H", "0.02", "--l1-ratio", "0.4", "--device", "cpu", "-q"}
	one := filepath.Join(dir, "one.nmf")
	mustRun(t, append(args, "--out", one)...)
	r1, _ := loadReport(t, one)
	out := filepath.Join(dir, "np2.nmf")
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	if b, err := run(ctx, 2, dir, append(args, "--out", out, "--distributed", "mpi")...).CombinedOutput(); err != nil {
		t.Fatalf("%v\n%s", err, b)
	}
	r2, _ := loadReport(t, out)
	if len(r2.Trace) != len(r1.Trace) || len(r1.Trace) != 4 {
		t.Fatalf("traces %+v and %+v", r2.Trace, r1.Trace)
	}
	for i, p := range r2.Trace {
		q := r1.Trace[i]
		if p.Iter != q.Iter || math.Abs(p.Err-q.Err) > 1e-9*q.Err || math.Abs(p.Objective-q.Objective) > 1e-9*q.Objective || !(p.Objective > p.Err) {
			t.Errorf("point %d: -np 2 %+v, one process %+v", i, p, q)
		}
	}
}
