package main

import (
	"bytes"
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/clnmf/clnmf/nmf"
)

// stuckWriter blocks every Write until released, as a pipe nobody reads.
type stuckWriter struct {
	release chan struct{}
	mu      sync.Mutex
	got     bytes.Buffer
}

func (s *stuckWriter) Write(p []byte) (int, error) {
	<-s.release
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.got.Write(p)
}

// TestDropWriter: writes to a writer that blocks return at once, the ones
// past the queue dropped and counted; the queued ones are written in order
// once it is read again.
func TestDropWriter(t *testing.T) {
	s := &stuckWriter{release: make(chan struct{})}
	d := newDropWriter(s, 4)
	for i := range 100 {
		fmt.Fprintf(d, "line %d\n", i)
	}
	// One write is held by the goroutine, 4 queued.
	if n := d.dropped.Load(); n < 95 || n > 96 {
		t.Errorf("%d writes dropped, want 95 or 96", n)
	}
	d.close(10 * time.Millisecond) // the writer is still stuck: close returns
	close(s.release)
	<-d.done
	got := s.got.String()
	if !bytes.HasPrefix([]byte(got), []byte("line 0\nline 1\n")) || bytes.Contains([]byte(got), []byte("line 99")) {
		t.Errorf("written: %q", got)
	}
	d2 := newDropWriter(&bytes.Buffer{}, 2)
	fmt.Fprintln(d2, "x")
	d2.close(time.Minute)
	if d2.dropped.Load() != 0 {
		t.Errorf("a writer that is read dropped %d", d2.dropped.Load())
	}
}

// TestProgressNeverBlocks runs a fit printing -v progress lines every 10
// iterations into a writer that never returns (mpirun after SIGINT): the fit
// ends, its lines dropped.
func TestProgressNeverBlocks(t *testing.T) {
	const l, n = 30, 20
	x := &nmf.Dense[float64]{Rows: l, Cols: n, Data: make([]float64, l*n)}
	for i := range x.Data {
		x.Data[i] = float64(1 + i*i%11)
	}
	s := &stuckWriter{release: make(chan struct{})}
	defer close(s.release)
	d := newDropWriter(s, 2)
	prog := newProgress(d, &options{verbose: true}, 0, 300)
	opt := nmf.DefaultOptions()
	opt.Components, opt.Init, opt.MaxIter, opt.Tol, opt.Device = 3, nmf.InitRandom, 300, 0, "cpu"
	opt.Progress, opt.Started = prog.update, prog.started
	done := make(chan error, 1)
	var res *nmf.Result[float64]
	go func() {
		var err error
		res, err = nmf.Fit(context.Background(), x, opt)
		done <- err
	}()
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(2 * time.Minute): // a hang, not a timing
		t.Fatal("the fit blocked on its progress output")
	}
	d.close(time.Millisecond)
	// The start's line and one every 10 iterations: all but the few
	// queued (and the one being written) dropped.
	lines := int64(1 + res.NIter/10)
	if got := d.dropped.Load(); got < lines-3 || got > lines || res.NIter < 50 {
		t.Errorf("%d of about %d progress lines dropped (n_iter %d), want all but 3 at most", got, lines, res.NIter)
	}
}
