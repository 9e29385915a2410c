package cl

import (
	"errors"
	"fmt"
	"runtime"
	"unsafe"
)

// Events order commands across queues and time them: a streamed fit copies
// the next panel of X on a transfer queue ([Context.NewQueue]) while the
// context's queue computes on the current one, the kernels behind a
// [Queue.Barrier] on the copy's event (docs/large-data.md).

// Event is an OpenCL event (cl_event) of a command enqueued on a queue of
// its [Context]. Release it when done; [Context.Close] releases the ones
// left.
type Event struct {
	ctx    *Context
	handle uintptr
	// keep is the host memory the command reads (a non-blocking write's
	// source), kept reachable until the command has completed.
	keep any
}

// EventsAvailable reports an error when the library lacks the OpenCL 1.2
// functions [Queue.Marker] and [Queue.Barrier] use.
func EventsAvailable() error {
	if err := Load(); err != nil {
		return err
	}
	if err := fnEnqueueMarkerWithWaitList.available(); err != nil {
		return err
	}
	return fnEnqueueBarrierWithWaitList.available()
}

// NewQueue creates another in-order command queue on the context's device,
// with event profiling enabled when profiling is set (see [Event.Times]).
// Commands of different queues may run concurrently; order them with
// events. The queue is released by [Context.Close].
func (c *Context) NewQueue(profiling bool) (*Queue, error) {
	if err := c.lock("NewQueue"); err != nil {
		return nil, err
	}
	defer c.mu.Unlock()
	var props uint64
	if profiling {
		props = clQueueProfilingEnable
	}
	var st int32
	h := clCreateCommandQueue(c.handle, c.device.id, props, &st)
	if st == statusSuccess && h == 0 {
		st = statusInvalidValue
	}
	if err := check("clCreateCommandQueue", st); err != nil {
		return nil, fmt.Errorf("cl: creating a command queue on %s: %w", c.device.Name, err)
	}
	q := &Queue{ctx: c, handle: h}
	c.objects = append(c.objects, q)
	c.queues = append(c.queues, q)
	return q, nil
}

// newEvent registers an event the driver returned.
func (c *Context) newEvent(h uintptr, keep any) *Event {
	e := &Event{ctx: c, handle: h, keep: keep}
	c.evMu.Lock()
	c.events[e] = struct{}{}
	c.evMu.Unlock()
	return e
}

// waitList returns the handles of evs, checked to be open events of c; the
// context's lock is held.
func waitList(c *Context, what string, evs []*Event) ([]uintptr, error) {
	hs := make([]uintptr, 0, len(evs))
	for _, e := range evs {
		switch {
		case e == nil:
			return nil, fmt.Errorf("cl: %s: nil event in the wait list", what)
		case e.ctx != c:
			return nil, fmt.Errorf("cl: %s: event of another context in the wait list", what)
		case e.handle == 0:
			return nil, closedError("event (" + what + ")")
		}
		hs = append(hs, e.handle)
	}
	return hs, nil
}

// listPtr is the C pointer of a wait list: NULL when it is empty.
func listPtr(hs []uintptr) unsafe.Pointer {
	if len(hs) == 0 {
		return nil
	}
	return unsafe.Pointer(&hs[0])
}

// WriteAsync enqueues copying src into b at offset (a non-blocking
// clEnqueueWriteBuffer) after the events in wait, and returns at once with
// the copy's event. src must not change until the copy has completed; the
// event keeps it reachable, and [Event.Release] waits for the copy first.
// T must hold no pointers.
func WriteAsync[T any](q *Queue, b *Buffer, offset int64, src []T, wait ...*Event) (*Event, error) {
	if err := checkElem[T]("WriteAsync"); err != nil {
		return nil, err
	}
	n := int64(len(src)) * int64(unsafe.Sizeof(*new(T)))
	if err := q.rlock("WriteAsync"); err != nil {
		return nil, err
	}
	defer q.runlock()
	if err := b.usable(q.ctx, "WriteAsync"); err != nil {
		return nil, err
	}
	if err := b.checkRange("WriteAsync", offset, n); err != nil {
		return nil, err
	}
	if n == 0 {
		return nil, errors.New("cl: WriteAsync of nothing: an empty copy has no event")
	}
	hs, err := waitList(q.ctx, "WriteAsync", wait)
	if err != nil {
		return nil, err
	}
	var ev uintptr
	st := clEnqueueWriteBufferEvent(q.handle, b.handle, uintptr(offset), uintptr(n), unsafe.Pointer(unsafe.SliceData(src)), uint32(len(hs)), listPtr(hs), &ev)
	runtime.KeepAlive(hs)
	if err := check("clEnqueueWriteBuffer", st); err != nil {
		return nil, err
	}
	return q.ctx.newEvent(ev, src), nil
}

// Marker enqueues a marker (clEnqueueMarkerWithWaitList, OpenCL 1.2) and
// returns its event, which completes when every command enqueued on q
// before it has.
func (q *Queue) Marker() (*Event, error) {
	if err := fnEnqueueMarkerWithWaitList.available(); err != nil {
		return nil, err
	}
	if err := q.rlock("Marker"); err != nil {
		return nil, err
	}
	defer q.runlock()
	var ev uintptr
	if err := check("clEnqueueMarkerWithWaitList", clEnqueueMarkerWithWaitList(q.handle, 0, nil, &ev)); err != nil {
		return nil, err
	}
	return q.ctx.newEvent(ev, nil), nil
}

// Barrier makes the commands enqueued on q after it wait for the events of
// wait, which may belong to other queues of the context
// (clEnqueueBarrierWithWaitList, OpenCL 1.2). Flush those queues, or the
// wait may never end.
func (q *Queue) Barrier(wait ...*Event) error {
	if err := fnEnqueueBarrierWithWaitList.available(); err != nil {
		return err
	}
	if err := q.rlock("Barrier"); err != nil {
		return err
	}
	defer q.runlock()
	hs, err := waitList(q.ctx, "Barrier", wait)
	if err != nil {
		return err
	}
	st := clEnqueueBarrierWithWaitList(q.handle, uint32(len(hs)), listPtr(hs), nil)
	runtime.KeepAlive(hs)
	return check("clEnqueueBarrierWithWaitList", st)
}

// Wait blocks until the event's command has completed (clWaitForEvents).
// An error means the command failed or the event is unusable.
func (e *Event) Wait() error {
	if e == nil {
		return errors.New("cl: Wait on a nil event")
	}
	if err := e.ctx.rlock("Wait"); err != nil {
		return err
	}
	defer e.ctx.mu.RUnlock()
	if e.handle == 0 {
		return closedError("event (Wait)")
	}
	h := e.handle
	return check("clWaitForEvents", clWaitForEvents(1, unsafe.Pointer(&h)))
}

// Times returns when the event's command started and ended on the device,
// in nanoseconds of the device's clock (CL_PROFILING_COMMAND_START, _END).
// The command must have completed, on a queue made with profiling.
func (e *Event) Times() (start, end int64, err error) {
	if e == nil {
		return 0, 0, errors.New("cl: Times of a nil event")
	}
	if err := e.ctx.rlock("Times"); err != nil {
		return 0, 0, err
	}
	defer e.ctx.mu.RUnlock()
	if e.handle == 0 {
		return 0, 0, closedError("event (Times)")
	}
	var s, t uint64
	if err := check("clGetEventProfilingInfo", clGetEventProfilingInfo(e.handle, clProfilingCommandStart, 8, unsafe.Pointer(&s), nil)); err != nil {
		return 0, 0, err
	}
	if err := check("clGetEventProfilingInfo", clGetEventProfilingInfo(e.handle, clProfilingCommandEnd, 8, unsafe.Pointer(&t), nil)); err != nil {
		return 0, 0, err
	}
	return int64(s), int64(t), nil
}

// Release releases the event. When the event holds host memory (a
// WriteAsync's source) it first waits for the command, so that the memory
// is not reused while the device reads it. Release is idempotent and a
// no-op once the context is closed.
func (e *Event) Release() error {
	if e == nil || e.ctx == nil {
		return nil
	}
	var first error
	if e.keep != nil {
		if err := e.Wait(); err != nil && !errors.Is(err, ErrClosed) {
			first = err
		}
	}
	c := e.ctx
	c.mu.RLock()
	defer c.mu.RUnlock()
	c.evMu.Lock()
	defer c.evMu.Unlock()
	if e.handle == 0 || c.handle == 0 {
		return first
	}
	delete(c.events, e)
	if err := e.release(); err != nil && first == nil {
		first = err
	}
	return first
}

func (e *Event) release() error {
	h := e.handle
	e.handle, e.keep = 0, nil
	return check("clReleaseEvent", clReleaseEvent(h))
}
