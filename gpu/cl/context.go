package cl

import (
	"errors"
	"fmt"
	"reflect"
	"runtime"
	"sync"
	"unsafe"
)

// releaser is an object created from a Context. release frees its OpenCL
// handle and zeroes it; it is called with the context's lock held for
// writing, on an object whose handle is not zero.
type releaser interface{ release() error }

// Context is an OpenCL context on one device, with one in-order command
// queue. It owns everything created from it: buffers, programs and kernels.
// Its methods may be called from several goroutines; closing it waits for
// calls in progress.
type Context struct {
	mu        sync.RWMutex // guards the handles of the context and of all its objects
	handle    uintptr
	device    *Device
	queue     *Queue
	objects   []releaser // live objects in order of creation; the queue first
	queues    []*Queue   // the queue, then those of NewQueue
	allocated int64
	peak      int64 // the most allocated at once
	programs  map[programKey]*Program

	evMu   sync.Mutex // guards events, also under the read lock
	events map[*Event]struct{}

	buildMu sync.Mutex // serializes Build, so that a program is built once
}

// NewContext creates a context on d with one in-order command queue (see
// [Context.Queue]), event profiling enabled ([Event.Times]). The caller
// must call [Context.Close] when done.
func NewContext(d *Device) (*Context, error) {
	if d == nil || d.id == 0 || d.Platform == nil {
		return nil, errors.New("cl: NewContext needs a device listed by Platform.Devices")
	}
	if err := Load(); err != nil {
		return nil, err
	}
	props := []uintptr{clContextPlatform, d.Platform.id, 0}
	devs := []uintptr{d.id}
	var st int32
	h := clCreateContext(&props[0], 1, &devs[0], &st)
	if st == statusSuccess && h == 0 {
		st = statusInvalidValue
	}
	if err := check("clCreateContext", st); err != nil {
		return nil, fmt.Errorf("cl: creating a context on %s: %w", d.Name, err)
	}
	qh := clCreateCommandQueue(h, d.id, clQueueProfilingEnable, &st)
	if st == statusSuccess && qh == 0 {
		st = statusInvalidValue
	}
	if err := check("clCreateCommandQueue", st); err != nil {
		clReleaseContext(h)
		return nil, fmt.Errorf("cl: creating a command queue on %s: %w", d.Name, err)
	}
	c := &Context{handle: h, device: d, programs: make(map[programKey]*Program), events: make(map[*Event]struct{})}
	c.queue = &Queue{ctx: c, handle: qh}
	c.objects = []releaser{c.queue}
	c.queues = []*Queue{c.queue}
	return c, nil
}

// Device returns the context's device.
func (c *Context) Device() *Device {
	if c == nil {
		return nil
	}
	return c.device
}

// Queue returns the context's command queue. It is released by
// [Context.Close].
func (c *Context) Queue() *Queue {
	if c == nil {
		return nil
	}
	return c.queue
}

// Allocated returns the bytes held by the context's live buffers.
func (c *Context) Allocated() int64 {
	if c == nil {
		return 0
	}
	c.mu.RLock()
	defer c.mu.RUnlock()
	return c.allocated
}

// PeakAllocated returns the most bytes the context's buffers held at once,
// also after Close.
func (c *Context) PeakAllocated() int64 {
	if c == nil {
		return 0
	}
	c.mu.RLock()
	defer c.mu.RUnlock()
	return c.peak
}

// Close waits for the queues to finish, then releases the events left,
// every kernel, program, buffer and queue created from the context, in
// reverse order of creation, and finally the context. Using any of them afterwards returns an
// error wrapping [ErrClosed]. Close is idempotent; it returns the first
// error met, having released everything all the same.
func (c *Context) Close() error {
	if c == nil {
		return nil
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.handle == 0 {
		return nil
	}
	var first error
	for _, q := range c.queues {
		if err := check("clFinish", clFinish(q.handle)); err != nil && first == nil {
			first = err
		}
	}
	c.evMu.Lock()
	for e := range c.events {
		if err := e.release(); err != nil && first == nil {
			first = err
		}
	}
	c.events = nil
	c.evMu.Unlock()
	for i := len(c.objects) - 1; i >= 0; i-- {
		if err := c.objects[i].release(); err != nil && first == nil {
			first = err
		}
	}
	c.objects, c.queues, c.programs, c.allocated = nil, nil, nil, 0
	if err := check("clReleaseContext", clReleaseContext(c.handle)); err != nil && first == nil {
		first = err
	}
	c.handle = 0
	return first
}

// rlock read-locks the context when it is open; otherwise it returns an
// error and leaves it unlocked.
func (c *Context) rlock(what string) error {
	if c == nil {
		return fmt.Errorf("cl: %s of a nil or zero object", what)
	}
	c.mu.RLock()
	if c.handle == 0 {
		c.mu.RUnlock()
		return closedError("context (" + what + ")")
	}
	return nil
}

// lock is rlock for writing.
func (c *Context) lock(what string) error {
	if c == nil {
		return fmt.Errorf("cl: %s of a nil or zero object", what)
	}
	c.mu.Lock()
	if c.handle == 0 {
		c.mu.Unlock()
		return closedError("context (" + what + ")")
	}
	return nil
}

// forget removes o from the live objects; the write lock is held.
func (c *Context) forget(o releaser) {
	for i, x := range c.objects {
		if x == o {
			c.objects = append(c.objects[:i], c.objects[i+1:]...)
			return
		}
	}
}

// Queue is an in-order OpenCL command queue, owned by its [Context]. Commands
// run in the order they are enqueued; [Write] and [Read] block until done,
// the other commands return once enqueued.
type Queue struct {
	ctx    *Context
	handle uintptr
	// mu makes the queue's commands go to the driver one at a time. OpenCL
	// drivers must be thread-safe, but some tools (oclgrind) are not.
	mu sync.Mutex
}

func (q *Queue) release() error {
	h := q.handle
	q.handle = 0
	return check("clReleaseCommandQueue", clReleaseCommandQueue(h))
}

// rlock read-locks the queue's context and locks the queue when the queue
// is open.
func (q *Queue) rlock(what string) error {
	if q == nil {
		return fmt.Errorf("cl: %s on a nil queue", what)
	}
	if err := q.ctx.rlock(what); err != nil {
		return err
	}
	if q.handle == 0 {
		q.ctx.mu.RUnlock()
		return closedError("queue (" + what + ")")
	}
	q.mu.Lock()
	return nil
}

// runlock undoes a successful rlock.
func (q *Queue) runlock() {
	q.mu.Unlock()
	q.ctx.mu.RUnlock()
}

// Finish blocks until every command enqueued so far has completed
// (clFinish). Errors of kernels that failed while running often show here.
func (q *Queue) Finish() error {
	if err := q.rlock("Finish"); err != nil {
		return err
	}
	defer q.runlock()
	return check("clFinish", clFinish(q.handle))
}

// Flush submits the enqueued commands to the device without waiting for
// them (clFlush).
func (q *Queue) Flush() error {
	if err := q.rlock("Flush"); err != nil {
		return err
	}
	defer q.runlock()
	return check("clFlush", clFlush(q.handle))
}

// Buffer is a read-write device buffer (cl_mem) of its [Context].
type Buffer struct {
	ctx    *Context
	handle uintptr
	size   int64
}

// NewBuffer allocates a CL_MEM_READ_WRITE buffer of size bytes. Before
// asking the driver it checks size against the device's maximum allocation
// and against its global memory less what the context already holds; a
// buffer that does not fit gives an error wrapping [ErrTooLarge] that says
// by how much. The buffer's contents are undefined until written.
func (c *Context) NewBuffer(size int64) (*Buffer, error) {
	if size <= 0 {
		return nil, fmt.Errorf("cl: buffer size must be positive, got %d", size)
	}
	if err := c.lock("NewBuffer"); err != nil {
		return nil, err
	}
	defer c.mu.Unlock()
	if err := checkAlloc(c.device, c.allocated, size); err != nil {
		return nil, err
	}
	var st int32
	h := clCreateBuffer(c.handle, clMemReadWrite, uintptr(size), &st)
	if st == statusSuccess && h == 0 {
		st = statusInvalidValue
	}
	if err := check("clCreateBuffer", st); err != nil {
		return nil, fmt.Errorf("cl: allocating a buffer of %s on %s: %w", formatBytes(size), c.device.Name, err)
	}
	b := &Buffer{ctx: c, handle: h, size: size}
	c.objects = append(c.objects, b)
	c.allocated += size
	c.peak = max(c.peak, c.allocated)
	return b, nil
}

// checkAlloc checks that a buffer of size bytes fits on d when allocated
// bytes are already held.
func checkAlloc(d *Device, allocated, size int64) error {
	if d.MaxAlloc > 0 && size > d.MaxAlloc {
		s, m := formatBytes(size), formatBytes(d.MaxAlloc)
		if s == m {
			s, m = fmt.Sprintf("%s (%d bytes)", s, size), fmt.Sprintf("%s (%d bytes)", m, d.MaxAlloc)
		}
		return &tooLargeError{fmt.Sprintf("cl: buffer of %s exceeds the device's maximum allocation of %s (%s)", s, m, d.Name)}
	}
	if d.GlobalMem > 0 && size > d.GlobalMem-allocated {
		return &tooLargeError{fmt.Sprintf("cl: buffer needs %s but the device has %s of global memory left (of %s) (%s)",
			formatBytes(size), formatBytes(max(d.GlobalMem-allocated, 0)), formatBytes(d.GlobalMem), d.Name)}
	}
	return nil
}

// Size returns the buffer's size in bytes.
func (b *Buffer) Size() int64 {
	if b == nil {
		return 0
	}
	return b.size
}

// Close releases the buffer and subtracts it from [Context.Allocated]. It is
// idempotent, and a no-op once the context is closed. Commands already
// enqueued on the buffer still complete.
func (b *Buffer) Close() error {
	if b == nil || b.ctx == nil {
		return nil
	}
	c := b.ctx
	c.mu.Lock()
	defer c.mu.Unlock()
	if b.handle == 0 {
		return nil
	}
	c.forget(b)
	return b.release()
}

func (b *Buffer) release() error {
	h := b.handle
	b.handle = 0
	b.ctx.allocated -= b.size
	return check("clReleaseMemObject", clReleaseMemObject(h))
}

// usable checks, with the context's lock held, that b is an open buffer of c.
func (b *Buffer) usable(c *Context, what string) error {
	switch {
	case b == nil:
		return fmt.Errorf("cl: %s: nil buffer", what)
	case b.ctx != c:
		return fmt.Errorf("cl: %s: buffer belongs to another context", what)
	case b.handle == 0:
		return closedError(fmt.Sprintf("buffer of %d bytes (%s)", b.size, what))
	}
	return nil
}

// checkRange checks that [offset, offset+n) lies in b.
func (b *Buffer) checkRange(what string, offset, n int64) error {
	if offset < 0 || n < 0 || offset > b.size || n > b.size-offset {
		return fmt.Errorf("cl: %s of %d bytes at offset %d is outside the buffer of %d bytes", what, n, offset, b.size)
	}
	return nil
}

// Write copies src into b starting offset bytes in, and returns when the
// copy is done (a blocking clEnqueueWriteBuffer), after the commands
// enqueued before it. T must hold no pointers (numbers, or arrays and
// structs of them).
func Write[T any](q *Queue, b *Buffer, offset int64, src []T) error {
	if err := checkElem[T]("Write"); err != nil {
		return err
	}
	n := int64(len(src)) * int64(unsafe.Sizeof(*new(T)))
	err := q.transfer("Write", b, offset, unsafe.Pointer(unsafe.SliceData(src)), n)
	runtime.KeepAlive(src)
	return err
}

// Read copies len(dst) elements from b, starting offset bytes in, into dst,
// and returns when the copy is done (a blocking clEnqueueReadBuffer), after
// the commands enqueued before it. T must hold no pointers.
func Read[T any](q *Queue, b *Buffer, offset int64, dst []T) error {
	if err := checkElem[T]("Read"); err != nil {
		return err
	}
	n := int64(len(dst)) * int64(unsafe.Sizeof(*new(T)))
	err := q.transfer("Read", b, offset, unsafe.Pointer(unsafe.SliceData(dst)), n)
	runtime.KeepAlive(dst)
	return err
}

func (q *Queue) transfer(what string, b *Buffer, offset int64, ptr unsafe.Pointer, n int64) error {
	if err := q.rlock(what); err != nil {
		return err
	}
	defer q.runlock()
	if err := b.usable(q.ctx, what); err != nil {
		return err
	}
	if err := b.checkRange(what, offset, n); err != nil {
		return err
	}
	if n == 0 {
		return nil
	}
	if what == "Write" {
		return check("clEnqueueWriteBuffer", clEnqueueWriteBuffer(q.handle, b.handle, uintptr(offset), uintptr(n), ptr))
	}
	return check("clEnqueueReadBuffer", clEnqueueReadBuffer(q.handle, b.handle, uintptr(offset), uintptr(n), ptr))
}

// checkElem refuses element types holding pointers, which must not be
// handed to C nor filled from device bytes.
func checkElem[T any](what string) error {
	if t := reflect.TypeFor[T](); hasPointers(t) {
		return fmt.Errorf("cl: %s: element type %v holds pointers", what, t)
	}
	return nil
}

func hasPointers(t reflect.Type) bool {
	switch t.Kind() {
	case reflect.Bool, reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr,
		reflect.Float32, reflect.Float64, reflect.Complex64, reflect.Complex128:
		return false
	case reflect.Array:
		return t.Len() > 0 && hasPointers(t.Elem())
	case reflect.Struct:
		for i := range t.NumField() {
			if hasPointers(t.Field(i).Type) {
				return true
			}
		}
		return false
	}
	return true
}

// Fill enqueues filling size bytes of b, from offset on, with copies of
// pattern (clEnqueueFillBuffer, OpenCL 1.2). The pattern's length must be
// 1, 2, 4, 8, 16, 32, 64 or 128 bytes and divide offset and size. Fill
// returns once the command is enqueued; pattern may be reused at once.
func (q *Queue) Fill(b *Buffer, pattern []byte, offset, size int64) error {
	if err := q.rlock("Fill"); err != nil {
		return err
	}
	defer q.runlock()
	if err := b.usable(q.ctx, "Fill"); err != nil {
		return err
	}
	p := int64(len(pattern))
	if p == 0 || p > 128 || p&(p-1) != 0 {
		return fmt.Errorf("cl: Fill: pattern of %d bytes; want 1, 2, 4, 8, 16, 32, 64 or 128", p)
	}
	if offset%p != 0 || size%p != 0 {
		return fmt.Errorf("cl: Fill: offset %d and size %d must be multiples of the pattern's %d bytes", offset, size, p)
	}
	if err := b.checkRange("Fill", offset, size); err != nil {
		return err
	}
	if size == 0 {
		return nil
	}
	if err := fnEnqueueFillBuffer.available(); err != nil {
		return err
	}
	st := clEnqueueFillBuffer(q.handle, b.handle, unsafe.Pointer(&pattern[0]), uintptr(p), uintptr(offset), uintptr(size))
	runtime.KeepAlive(pattern)
	return check("clEnqueueFillBuffer", st)
}

// Copy enqueues copying size bytes from src at srcOff to dst at dstOff
// (clEnqueueCopyBuffer). It returns once the command is enqueued. Both
// buffers must belong to the queue's context; copying between overlapping
// ranges of one buffer is an error.
func (q *Queue) Copy(src, dst *Buffer, srcOff, dstOff, size int64) error {
	if err := q.rlock("Copy"); err != nil {
		return err
	}
	defer q.runlock()
	if err := src.usable(q.ctx, "Copy source"); err != nil {
		return err
	}
	if err := dst.usable(q.ctx, "Copy destination"); err != nil {
		return err
	}
	if err := src.checkRange("Copy source", srcOff, size); err != nil {
		return err
	}
	if err := dst.checkRange("Copy destination", dstOff, size); err != nil {
		return err
	}
	if size == 0 {
		return nil
	}
	return check("clEnqueueCopyBuffer", clEnqueueCopyBuffer(q.handle, src.handle, dst.handle, uintptr(srcOff), uintptr(dstOff), uintptr(size)))
}
