package main

import (
	"bytes"
	"fmt"
	"io"
	"sync/atomic"
	"time"
)

// dropWriter is the progress output of a rank of a distributed fit: a
// Write never blocks the fit. Each write (one line: progress writes a line
// at a time) is queued on a bounded channel that a goroutine drains into
// w; when the queue is full the write is dropped and counted. Open MPI's
// mpirun stops reading the ranks' stdout and stderr at SIGINT, so a rank
// printing -v progress could fill its pipe and block in write() before
// its SIGTERM, and never write the checkpoint.
type dropWriter struct {
	lines   chan []byte
	done    chan struct{}
	dropped atomic.Int64
	w       io.Writer
}

// newDropWriter starts the goroutine writing to w, queueing up to queue
// writes.
func newDropWriter(w io.Writer, queue int) *dropWriter {
	d := &dropWriter{lines: make(chan []byte, queue), done: make(chan struct{}), w: w}
	go func() {
		defer close(d.done)
		for b := range d.lines {
			w.Write(b) // progress: a failed write is not the fit's failure
		}
	}()
	return d
}

// Write queues a copy of p, or drops it when the queue is full.
func (d *dropWriter) Write(p []byte) (int, error) {
	select {
	case d.lines <- bytes.Clone(p):
	default:
		d.dropped.Add(1)
	}
	return len(p), nil
}

// close queues a note of the writes dropped (if any, and if there is
// room), ends the queue and waits at most wait for the queued writes to
// be written: a writer that blocks keeps them, not the rank.
func (d *dropWriter) close(wait time.Duration) {
	if n := d.dropped.Load(); n > 0 {
		d.Write(fmt.Appendf(nil, "nmf: %d progress lines dropped (the output was not being read)\n", n))
	}
	close(d.lines)
	t := time.NewTimer(wait)
	defer t.Stop()
	select {
	case <-d.done:
	case <-t.C:
	}
}

// fitProgress is fitAs's progress, from offset iterations done: on stderr,
// or for a rank of a distributed fit through a dropWriter. end, called
// with the fit's error once the fit is over, waits a second at most for
// the queued lines, not at all after an error (an interruption's
// checkpoint comes first).
func fitProgress(e *env, o *options, offset int) (prog *progress, end func(error)) {
	if o.dist == nil {
		return newProgress(e.stderr, o, offset, o.maxIter), func(error) {}
	}
	d := newDropWriter(e.stderr, 256)
	return newProgress(d, o, offset, o.maxIter), func(err error) {
		wait := time.Second
		if err != nil {
			wait = 0
		}
		d.close(wait)
	}
}
