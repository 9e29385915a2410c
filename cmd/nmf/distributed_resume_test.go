package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/clnmf/clnmf/nmf/nmfio"
)

// signalOnWrite is a writer that closes ready once what was written holds
// a progress line ("iteration "): the ranks are then past the init.
type signalOnWrite struct {
	once  sync.Once
	ready chan struct{}
	mu    sync.Mutex
	buf   strings.Builder
}

func (s *signalOnWrite) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	n, err := s.buf.Write(p)
	if strings.Contains(s.buf.String(), "iteration ") {
		s.once.Do(func() { close(s.ready) })
	}
	return n, err
}

// TestDistributedResume interrupts a distributed fit (random init) by
// SIGINT to mpirun -np 2 while it runs, resumes the checkpoint under
// mpirun -np 2, and checks the result against the uninterrupted
// one-process fit of as many iterations; resuming on 3 ranks, or without
// --distributed, is refused.
func TestDistributedResume(t *testing.T) {
	run := mpirunFor(t)
	dir := t.TempDir()
	// X is large enough that progress lines come slowly: once mpirun has
	// the SIGINT it stops reading the ranks' output, and a rank whose pipe
	// fills would block before it sees the SIGTERM.
	const l, n, k = 1500, 200, 4
	x := make([]float64, l*n)
	for i := range x {
		x[i] = float64(1+(i*7)%13) * float64(1+(i/n)%5)
	}
	if err := nmfio.WriteNPY(filepath.Join(dir, "x.npy"), l, n, x); err != nil {
		t.Fatal(err)
	}
	fit := []string{"fit", filepath.Join(dir, "x.npy"), "-k", fmt.Sprint(k), "--init", "random", "--tol", "0", "--device", "cpu"}
	ckpt := filepath.Join(dir, "ckpt.nmf")
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	// On SIGINT Open MPI's mpirun sends the ranks SIGCONT, SIGTERM
	// odls_base_sigkill_timeout (1 s) later, and SIGKILL as long again
	// after that: 5 s leave room for a loaded machine.
	cmd := run(ctx, 2, dir, append(fit, "--max-iter", "100000000", "-v", "--distributed", "mpi", "--out", ckpt)...)
	cmd.Env = append(cmd.Env, "OMPI_MCA_odls_base_sigkill_timeout=5")
	out := &signalOnWrite{ready: make(chan struct{})}
	cmd.Stdout, cmd.Stderr = out, out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	select {
	case <-out.ready: // rank 0 reports progress: the ranks iterate
	case <-ctx.Done():
	}
	if err := cmd.Process.Signal(syscall.SIGINT); err != nil {
		t.Fatal(err)
	}
	cmd.Wait()
	if ctx.Err() != nil {
		t.Fatalf("the interrupted job hung:\n%s", out.buf.String())
	}
	if _, err := os.Stat(filepath.Join(ckpt, "report.json")); err != nil {
		t.Fatalf("no checkpoint after SIGINT: %v\n%s", err, out.buf.String())
	}
	r, _ := loadReport(t, ckpt)
	if !r.Partial || r.Distributed == nil || r.Distributed.Ranks != 2 {
		t.Fatalf("checkpoint: partial %v, distributed %+v\n%s", r.Partial, r.Distributed, out.buf.String())
	}
	checkResumeRefused(t, ctx, run, dir, ckpt)
	total := fmt.Sprint(r.NIter + 30)
	b, err := run(ctx, 2, dir, "fit", "--resume", ckpt, "--max-iter", total, "--distributed", "mpi").CombinedOutput()
	if err != nil {
		t.Fatalf("resume: %v\n%s", err, b)
	}
	one := filepath.Join(dir, "one.nmf")
	mustRun(t, append(fit, "--max-iter", total, "-q", "--out", one)...)
	r2, _ := loadReport(t, ckpt)
	if r2.Partial || fmt.Sprint(r2.NIter) != total {
		t.Errorf("resumed: partial %v, n_iter %d, want %s", r2.Partial, r2.NIter, total)
	}
	sameFactors(t, "resumed -np 2", one, ckpt, 1e-6)
}

// checkResumeRefused checks that resuming the 2-rank checkpoint ckpt on 3
// ranks, or in one process, is one clear error.
func checkResumeRefused(t *testing.T, ctx context.Context, run mpiRun, dir, ckpt string) {
	t.Helper()
	b, err := run(ctx, 3, dir, "fit", "--resume", ckpt, "--distributed", "mpi").CombinedOutput()
	if err == nil || !strings.Contains(string(b), "mpirun -np 2") {
		t.Errorf("resume on 3 ranks of a 2-rank checkpoint: %v\n%s", err, b)
	}
	if r := nmfRun(ctx, "fit", "--resume", ckpt); r.code != 1 || !strings.Contains(r.stderr, "mpirun -np 2") {
		t.Errorf("resume in one process of a 2-rank checkpoint: exit %d, %s", r.code, r.stderr)
	}
}
