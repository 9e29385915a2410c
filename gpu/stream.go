package gpu

import (
	"fmt"
	"time"
	"unsafe"

	"github.com/clnmf/clnmf/gpu/cl"
	"github.com/clnmf/clnmf/nmf/backend"
)

// Double-buffered panels of a streamed X (backend.Stager,
// docs/large-data.md): StageData copies a panel into one of two staging
// slots on a transfer queue of its own and returns at once; the kernels on
// the panel wait behind a barrier on the copies, enqueued at the panel's
// first use, so that the copy of the next panel runs while the device
// computes on this one. Releasing a panel marks its slot free once the
// kernels enqueued so far are done; the next StageData into the slot
// waits for that marker on the host, so at most two panels (and, for a
// CSR X, their host arrays) exist at a time.

// stager is the backend's streaming state.
type stager struct {
	q      *cl.Queue // the transfer queue, made on first use
	async  bool      // events available; else blocking copies on b.q
	slots  [2]stageSlot
	next   int
	copyNs int64 // the copies' device time, from their events' profiling
	waitNs int64 // the time the compute queue waited for copies
	wallNs int64 // blocking copies (no events): their wall time
	// untimed counts copies whose profiling times could not be read.
	untimed int
}

// stageSlot is one staging slot: its buffers are the scratch buffers
// "stage<slot>.<array>".
type stageSlot struct {
	busy bool       // a staged Data not yet released
	free *cl.Event  // after the kernels on the slot's last Data
	done []*staging // released Data whose times are not yet read
}

// staging is a staged Data's copies and their ordering.
type staging struct {
	slot    int
	copies  []*cl.Event
	reached *cl.Event // marker: the compute queue reached the Data's barrier
	ordered bool      // the barrier is enqueued
}

// placer puts X's arrays on the device: into buffers of their own with
// blocking copies (NewData), or into a staging slot's buffers (stage set).
type placer struct {
	b     *Backend
	stage *staging
}

// put returns a device buffer holding src, with key naming the array in a
// staging slot.
func put[T any](p *placer, key string, src []T) (*cl.Buffer, error) {
	if p.stage == nil {
		return upload(p.b, src)
	}
	b, st := p.b, &p.b.st
	bytes := int64(len(src)) * int64(unsafe.Sizeof(*new(T)))
	buf, err := b.scratchBuf(fmt.Sprintf("stage%d.%s", p.stage.slot, key), bytes)
	if err != nil || len(src) == 0 {
		return buf, err
	}
	if !st.async {
		t0 := time.Now()
		err := cl.Write(b.q, buf, 0, src)
		st.wallNs += time.Since(t0).Nanoseconds()
		return buf, err
	}
	ev, err := cl.WriteAsync(st.q, buf, 0, src)
	if err != nil {
		return nil, err
	}
	p.stage.copies = append(p.stage.copies, ev)
	return buf, nil
}

// StageData starts copying x into the next staging slot and returns its
// Data (see backend.Stager). The slot's previous Data must have been
// released; StageData first waits until the device is done with it.
func (b *Backend) StageData(x backend.HostData) (backend.Data, error) {
	if b.closed {
		return nil, b.wrap("StageData", errClosed)
	}
	if err := b.fp64Check("StageData", x.Precision()); err != nil {
		return nil, err
	}
	st := &b.st
	if st.q == nil && !st.async {
		if cl.EventsAvailable() == nil {
			q, err := b.ctx.NewQueue(true)
			if err != nil {
				return nil, b.wrap("StageData", err)
			}
			st.q, st.async = q, true
		}
	}
	s := st.next
	if st.slots[s].busy {
		return nil, fmt.Errorf("%s: StageData: both staging slots hold data not yet released", b.label)
	}
	if err := st.drainSlot(s); err != nil {
		return nil, b.wrap("StageData", err)
	}
	p := &placer{b: b, stage: &staging{slot: s}}
	d, err := newData(p, x)
	if err == nil && st.async {
		err = st.q.Flush()
	}
	if err != nil {
		for _, e := range p.stage.copies {
			e.Release() // waits for the copy: x may be reused
		}
		return nil, b.wrap("StageData", err)
	}
	d.stage = p.stage
	st.slots[s].busy = true
	st.next = 1 - s
	return d, nil
}

// awaitStage orders the kernels enqueued from now on after d's copies,
// once: a marker records when the compute queue got there (for the
// waiting time), then a barrier waits for the copies.
func (b *Backend) awaitStage(s *staging) error {
	if s == nil || s.ordered || len(s.copies) == 0 {
		return nil
	}
	var err error
	if s.reached, err = b.q.Marker(); err != nil {
		return err
	}
	if err := b.q.Barrier(s.copies...); err != nil {
		return err
	}
	s.ordered = true
	return nil
}

// releaseStaged hands d's slot back: a marker after the kernels enqueued
// so far (d's among them) says when the slot may be written again.
func (b *Backend) releaseStaged(d *data) error {
	s := d.stage
	d.stage, d.x, d.sp, d.spT = nil, nil, nil, nil
	sl := &b.st.slots[s.slot]
	sl.busy = false
	sl.done = append(sl.done, s)
	if !b.st.async {
		return nil
	}
	err := b.awaitStage(s)
	if err == nil {
		sl.free, err = b.q.Marker()
	}
	if err != nil {
		// Without the marker the slot is free only once all is done.
		if ferr := b.q.Finish(); ferr != nil {
			return b.wrap("ReleaseData", ferr)
		}
		return b.wrap("ReleaseData", err)
	}
	return nil
}

// drainSlot waits until the device is done with slot s's last Data, then
// adds up the times of its copies and releases their events.
func (st *stager) drainSlot(s int) error {
	sl := &st.slots[s]
	if sl.free != nil {
		err := sl.free.Wait()
		sl.free.Release()
		sl.free = nil
		if err != nil {
			return err
		}
	}
	for _, g := range sl.done {
		st.account(g)
	}
	sl.done = nil
	return nil
}

// account adds a completed staging's copy time and the time the compute
// queue waited for it, max(0, last copy's end − marker before the
// barrier), and releases its events.
func (st *stager) account(g *staging) {
	var last int64
	for _, e := range g.copies {
		s, t, err := e.Times()
		if err != nil {
			st.untimed++
		} else {
			st.copyNs += t - s
			last = max(last, t)
		}
		e.Release()
	}
	if g.reached != nil {
		if _, r, err := g.reached.Times(); err == nil && last > r {
			st.waitNs += last - r
		}
		g.reached.Release()
	}
}

// StageTimes waits for every staged copy and returns the seconds the
// copies took on the device and the seconds the computation waited for
// them (see backend.Stager).
func (b *Backend) StageTimes() (copySeconds, waitSeconds float64, ok bool) {
	st := &b.st
	if b.closed {
		return 0, 0, false
	}
	for s := range st.slots {
		if st.slots[s].busy {
			continue // its times are read once it is released
		}
		if err := st.drainSlot(s); err != nil {
			st.untimed++
		}
	}
	if !st.async {
		return float64(st.wallNs) / 1e9, 0, true
	}
	return float64(st.copyNs) / 1e9, float64(st.waitNs) / 1e9, st.untimed == 0
}
