package cl

import (
	"errors"
	"testing"
)

// TestEvents copies on a second queue and orders the context's queue after
// the copy with a barrier: a copy of the written buffer made behind the
// barrier reads what WriteAsync wrote, over several rounds that reuse the
// buffer after a marker says the copy out of it is done. The events carry
// profiling times, and wait lists are checked.
func TestEvents(t *testing.T) {
	c := testContext(t)
	if err := EventsAvailable(); err != nil {
		t.Skip(err)
	}
	tq, err := c.NewQueue(true)
	if err != nil {
		t.Fatal(err)
	}
	const n = 1 << 16
	a, err := c.NewBuffer(4 * n)
	if err != nil {
		t.Fatal(err)
	}
	b, err := c.NewBuffer(4 * n)
	if err != nil {
		t.Fatal(err)
	}
	var free *Event // the copy out of a is done
	for round := range 4 {
		src := make([]float32, n)
		for i := range src {
			src[i] = float32(round*n + i)
		}
		var wait []*Event
		if free != nil {
			wait = append(wait, free)
		}
		up, err := WriteAsync(tq, a, 0, src, wait...)
		if err != nil {
			t.Fatal(err)
		}
		if err := tq.Flush(); err != nil {
			t.Fatal(err)
		}
		if err := c.Queue().Barrier(up); err != nil {
			t.Fatal(err)
		}
		if err := c.Queue().Copy(a, b, 0, 0, 4*n); err != nil {
			t.Fatal(err)
		}
		if free != nil {
			if err := free.Release(); err != nil {
				t.Fatal(err)
			}
		}
		if free, err = c.Queue().Marker(); err != nil {
			t.Fatal(err)
		}
		got := make([]float32, n)
		if err := Read(c.Queue(), b, 0, got); err != nil {
			t.Fatal(err)
		}
		for i, v := range got {
			if v != src[i] {
				t.Fatalf("round %d: element %d = %v after the barrier, want %v", round, i, v, src[i])
			}
		}
		if err := free.Wait(); err != nil {
			t.Fatal(err)
		}
		s, e, err := up.Times()
		if err != nil {
			t.Fatal(err)
		}
		if s <= 0 || e < s {
			t.Errorf("round %d: copy's profiling times start %d end %d", round, s, e)
		}
		if err := up.Release(); err != nil {
			t.Fatal(err)
		}
		if err := up.Release(); err != nil {
			t.Errorf("second Release: %v", err)
		}
		if _, _, err := up.Times(); !errors.Is(err, ErrClosed) {
			t.Errorf("Times of a released event = %v, want ErrClosed", err)
		}
	}
	// Wait lists: nil, released, other context's events; an empty copy.
	if err := c.Queue().Barrier(nil); err == nil {
		t.Error("Barrier(nil) succeeded")
	}
	other := testContext(t)
	oe, err := other.Queue().Marker()
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Queue().Barrier(oe); err == nil {
		t.Error("Barrier on another context's event succeeded")
	}
	if _, err := WriteAsync(tq, a, 0, []float32{}); err == nil {
		t.Error("WriteAsync of nothing succeeded")
	}
	if _, err := WriteAsync(tq, a, 4*n-2, []float32{1}); err == nil {
		t.Error("WriteAsync past the buffer's end succeeded")
	}
	// free and oe are left for Close to release.
	if err := c.Close(); err != nil {
		t.Fatal(err)
	}
	if err := free.Wait(); !errors.Is(err, ErrClosed) {
		t.Errorf("Wait after Close = %v, want ErrClosed", err)
	}
	if err := free.Release(); err != nil {
		t.Errorf("Release after Close = %v", err)
	}
}
