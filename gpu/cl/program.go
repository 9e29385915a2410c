package cl

import (
	"errors"
	"fmt"
	"sync"
	"unsafe"
)

type programKey struct{ source, options string }

// Program is an OpenCL program built for its context's device. It is
// created and cached by [Context.Build] and owned by the context.
type Program struct {
	ctx     *Context
	handle  uintptr
	key     programKey
	kernels map[string]*Kernel
}

// Build compiles source with the given build options (e.g.
// "-cl-fast-relaxed-math -DTS=16") for the context's device. A program is
// built once per (source, options) on a context: later calls return the
// same *Program, until it is closed. A failed build returns a *BuildError
// holding the compiler's log.
func (c *Context) Build(source, options string) (*Program, error) {
	if source == "" {
		return nil, errors.New("cl: Build: empty source")
	}
	if c == nil {
		return nil, errors.New("cl: Build on a nil context")
	}
	c.buildMu.Lock()
	defer c.buildMu.Unlock()
	key := programKey{source, options}
	if err := c.rlock("Build"); err != nil {
		return nil, err
	}
	if p, ok := c.programs[key]; ok {
		c.mu.RUnlock()
		return p, nil
	}
	h, err := c.build(source, options)
	c.mu.RUnlock()
	if err != nil {
		return nil, err
	}
	if err := c.lock("Build"); err != nil {
		clReleaseProgram(h)
		return nil, err
	}
	defer c.mu.Unlock()
	p := &Program{ctx: c, handle: h, key: key, kernels: make(map[string]*Kernel)}
	c.programs[key] = p
	c.objects = append(c.objects, p)
	return p, nil
}

// build creates and builds a program; the context is read-locked.
func (c *Context) build(source, options string) (uintptr, error) {
	src := []byte(source)
	strs := []*byte{&src[0]}
	lens := []uintptr{uintptr(len(src))}
	var st int32
	h := clCreateProgramWithSource(c.handle, 1, &strs[0], &lens[0], &st)
	if st == statusSuccess && h == 0 {
		st = statusInvalidValue
	}
	if err := check("clCreateProgramWithSource", st); err != nil {
		return 0, err
	}
	opts := append([]byte(options), 0)
	devs := []uintptr{c.device.id}
	if st := clBuildProgram(h, 1, &devs[0], &opts[0]); st != statusSuccess {
		log, _ := infoString("clGetProgramBuildInfo", func(size uintptr, v unsafe.Pointer, ret *uintptr) int32 {
			return clGetProgramBuildInfo(h, c.device.id, clProgramBuildLog, size, v, ret)
		})
		clReleaseProgram(h)
		return 0, &BuildError{Device: c.device.Name, Options: options, Log: log, Err: &Error{"clBuildProgram", st}}
	}
	return h, nil
}

// Close releases the program and its kernels and drops it from the
// context's cache. It is idempotent, and a no-op once the context is closed.
func (p *Program) Close() error {
	if p == nil || p.ctx == nil {
		return nil
	}
	c := p.ctx
	c.mu.Lock()
	defer c.mu.Unlock()
	if p.handle == 0 {
		return nil
	}
	var first error
	for _, k := range p.kernels {
		if k.handle != 0 {
			c.forget(k)
			if err := k.release(); err != nil && first == nil {
				first = err
			}
		}
	}
	c.forget(p)
	if err := p.release(); err != nil && first == nil {
		first = err
	}
	return first
}

func (p *Program) release() error {
	h := p.handle
	p.handle = 0
	p.kernels = nil
	if p.ctx.programs[p.key] == p {
		delete(p.ctx.programs, p.key)
	}
	return check("clReleaseProgram", clReleaseProgram(h))
}

// Kernel returns the program's kernel of that name, created on first use
// and cached: later calls return the same *Kernel, which may be launched
// any number of times.
func (p *Program) Kernel(name string) (*Kernel, error) {
	if p == nil || p.ctx == nil {
		return nil, errors.New("cl: Kernel of a nil program")
	}
	c := p.ctx
	if err := c.lock("Kernel"); err != nil {
		return nil, err
	}
	defer c.mu.Unlock()
	if p.handle == 0 {
		return nil, closedError("program (Kernel " + name + ")")
	}
	if k, ok := p.kernels[name]; ok {
		return k, nil
	}
	cname := append([]byte(name), 0)
	var st int32
	h := clCreateKernel(p.handle, &cname[0], &st)
	if st == statusSuccess && h == 0 {
		st = statusInvalidValue
	}
	if err := check("clCreateKernel", st); err != nil {
		return nil, fmt.Errorf("kernel %s: %w", name, err)
	}
	k := &Kernel{prog: p, ctx: c, handle: h, name: name, numArgs: -1}
	var n uint32
	if clGetKernelInfo(h, clKernelNumArgs, 4, unsafe.Pointer(&n), nil) == statusSuccess {
		k.numArgs = int(n)
	}
	p.kernels[name] = k
	c.objects = append(c.objects, k)
	return k, nil
}

// LocalMem as a kernel argument reserves that many bytes of __local memory
// for a __local pointer parameter.
type LocalMem int64

// Kernel is a kernel of a [Program]. Its arguments are state kept between
// launches: a goroutine that sets them and launches should hold the kernel
// for itself, or use [Queue.Launch], which does both at once.
type Kernel struct {
	mu      sync.Mutex // serializes SetArgs, Run and Launch on the kernel
	prog    *Program
	ctx     *Context
	handle  uintptr
	name    string
	numArgs int // -1 when unknown
	// buffers holds the buffer arguments set, by index, so that Run refuses
	// to launch on a buffer closed since.
	buffers map[int]*Buffer
}

// Name returns the kernel's function name.
func (k *Kernel) Name() string {
	if k == nil {
		return ""
	}
	return k.name
}

// NumArgs returns the number of the kernel's parameters, or -1 when the
// driver does not tell.
func (k *Kernel) NumArgs() int {
	if k == nil {
		return -1
	}
	return k.numArgs
}

// Close releases the kernel and drops it from its program's cache. It is
// idempotent, and a no-op once the program or context is closed.
func (k *Kernel) Close() error {
	if k == nil || k.ctx == nil {
		return nil
	}
	c := k.ctx
	c.mu.Lock()
	defer c.mu.Unlock()
	if k.handle == 0 {
		return nil
	}
	c.forget(k)
	if k.prog.kernels[k.name] == k {
		delete(k.prog.kernels, k.name)
	}
	return k.release()
}

func (k *Kernel) release() error {
	h := k.handle
	k.handle = 0
	return check("clReleaseKernel", clReleaseKernel(h))
}

// rlock read-locks the kernel's context when the kernel is open.
func (k *Kernel) rlock(what string) error {
	if k == nil {
		return fmt.Errorf("cl: %s: nil kernel", what)
	}
	if err := k.ctx.rlock(what); err != nil {
		return err
	}
	if k.handle == 0 {
		k.ctx.mu.RUnlock()
		return closedError("kernel " + k.name + " (" + what + ")")
	}
	return nil
}

// WorkGroupSize returns the largest work-group size the kernel can be
// launched with on the context's device (CL_KERNEL_WORK_GROUP_SIZE).
func (k *Kernel) WorkGroupSize() (int, error) {
	return k.workGroupInfo("WorkGroupSize", clKernelWorkGroupSize)
}

// PreferredWorkGroupMultiple returns the multiple of the work-group size
// the device runs best (CL_KERNEL_PREFERRED_WORK_GROUP_SIZE_MULTIPLE: the
// warp or wavefront size on GPUs).
func (k *Kernel) PreferredWorkGroupMultiple() (int, error) {
	return k.workGroupInfo("PreferredWorkGroupMultiple", clKernelPreferredWGSMultiple)
}

// LocalMemSize returns the __local memory in bytes the kernel uses on the
// context's device (CL_KERNEL_LOCAL_MEM_SIZE), its static arrays included.
func (k *Kernel) LocalMemSize() (int64, error) {
	v, err := k.workGroupInfo("LocalMemSize", clKernelLocalMemSize)
	return int64(v), err
}

func (k *Kernel) workGroupInfo(what string, param uint32) (int, error) {
	if err := k.rlock(what); err != nil {
		return 0, err
	}
	defer k.ctx.mu.RUnlock()
	var v uintptr
	if err := check("clGetKernelWorkGroupInfo", clGetKernelWorkGroupInfo(k.handle, k.ctx.device.id, param, sizeofPtr, unsafe.Pointer(&v), nil)); err != nil {
		return 0, fmt.Errorf("kernel %s: %w", k.name, err)
	}
	return int(v), nil
}

// SetArgs sets all the kernel's arguments, in order. Each must be a
// *Buffer of the kernel's context, an int32, uint32, int64, uint64, float32
// or float64 (matching the parameter's int, uint, long, ulong, float or
// double), or a [LocalMem] size for a __local pointer. The number of
// arguments must match the kernel's parameters. A failed call returns an
// *Error wrapped with the kernel's name and the argument's index.
func (k *Kernel) SetArgs(args ...any) error {
	if k == nil {
		return errors.New("cl: SetArgs: nil kernel")
	}
	k.mu.Lock()
	defer k.mu.Unlock()
	return k.setArgs(args)
}

// SetArg sets the kernel's argument of that index, of a type SetArgs takes.
func (k *Kernel) SetArg(index int, arg any) error {
	if k == nil {
		return errors.New("cl: SetArg: nil kernel")
	}
	k.mu.Lock()
	defer k.mu.Unlock()
	if err := k.rlock("SetArg"); err != nil {
		return err
	}
	defer k.ctx.mu.RUnlock()
	if index < 0 || (k.numArgs >= 0 && index >= k.numArgs) {
		return fmt.Errorf("cl: kernel %s: argument index %d out of range (it takes %d)", k.name, index, k.numArgs)
	}
	return k.setArg(index, arg)
}

func (k *Kernel) setArgs(args []any) error {
	if err := k.rlock("SetArgs"); err != nil {
		return err
	}
	defer k.ctx.mu.RUnlock()
	if k.numArgs >= 0 && len(args) != k.numArgs {
		return fmt.Errorf("cl: kernel %s takes %d arguments, got %d", k.name, k.numArgs, len(args))
	}
	for i, a := range args {
		if err := k.setArg(i, a); err != nil {
			return err
		}
	}
	return nil
}

// setArg sets one argument; the context is read-locked.
func (k *Kernel) setArg(i int, a any) error {
	var (
		size uintptr
		ptr  unsafe.Pointer
		buf  *Buffer
	)
	switch v := a.(type) {
	case *Buffer:
		if err := v.usable(k.ctx, fmt.Sprintf("kernel %s argument %d", k.name, i)); err != nil {
			return err
		}
		h := v.handle
		size, ptr, buf = sizeofPtr, unsafe.Pointer(&h), v
	case int32:
		size, ptr = 4, unsafe.Pointer(&v)
	case uint32:
		size, ptr = 4, unsafe.Pointer(&v)
	case int64:
		size, ptr = 8, unsafe.Pointer(&v)
	case uint64:
		size, ptr = 8, unsafe.Pointer(&v)
	case float32:
		size, ptr = 4, unsafe.Pointer(&v)
	case float64:
		size, ptr = 8, unsafe.Pointer(&v)
	case LocalMem:
		if v <= 0 {
			return fmt.Errorf("cl: kernel %s: argument %d: LocalMem must be positive, got %d", k.name, i, v)
		}
		size = uintptr(v)
	default:
		return fmt.Errorf("cl: kernel %s: argument %d has unsupported type %T (want *Buffer, int32, uint32, int64, uint64, float32, float64 or LocalMem)", k.name, i, a)
	}
	if err := check("clSetKernelArg", clSetKernelArg(k.handle, uint32(i), size, ptr)); err != nil {
		return fmt.Errorf("kernel %s: argument %d: %w", k.name, i, err)
	}
	if buf == nil {
		delete(k.buffers, i)
	} else {
		if k.buffers == nil {
			k.buffers = make(map[int]*Buffer)
		}
		k.buffers[i] = buf
	}
	return nil
}

// Run enqueues the kernel over a global range of len(global) dimensions
// (1 to 3), in work-groups of size local, or of a size the driver chooses
// when local is nil (clEnqueueNDRangeKernel). Each global size must be a
// multiple of the local one. Run returns once the kernel is enqueued; use
// [Queue.Finish] or a blocking [Read] to wait for it. A failed call returns
// an *Error with Call "clEnqueueNDRangeKernel", wrapped with the kernel's
// name.
func (q *Queue) Run(k *Kernel, global, local []int) error {
	if k == nil {
		return errors.New("cl: Run: nil kernel")
	}
	k.mu.Lock()
	defer k.mu.Unlock()
	return q.run(k, global, local)
}

// Launch sets the kernel's arguments and enqueues it, as SetArgs and Run do,
// holding the kernel so that no other goroutine's arguments interleave.
func (q *Queue) Launch(k *Kernel, global, local []int, args ...any) error {
	if k == nil {
		return errors.New("cl: Launch: nil kernel")
	}
	k.mu.Lock()
	defer k.mu.Unlock()
	if err := k.setArgs(args); err != nil {
		return err
	}
	return q.run(k, global, local)
}

func (q *Queue) run(k *Kernel, global, local []int) error {
	if err := q.rlock("Run"); err != nil {
		return err
	}
	defer q.runlock()
	if k.ctx != q.ctx {
		return fmt.Errorf("cl: Run: kernel %s belongs to another context", k.name)
	}
	if k.handle == 0 {
		return closedError("kernel " + k.name + " (Run)")
	}
	for i, b := range k.buffers {
		if b.handle == 0 {
			return closedError(fmt.Sprintf("buffer of %d bytes, argument %d of kernel %s (Run)", b.size, i, k.name))
		}
	}
	dims := len(global)
	if dims < 1 || dims > 3 {
		return fmt.Errorf("cl: kernel %s: global size has %d dimensions; want 1 to 3", k.name, dims)
	}
	if local != nil && len(local) != dims {
		return fmt.Errorf("cl: kernel %s: local size has %d dimensions, global %d", k.name, len(local), dims)
	}
	var g, l [3]uintptr
	var lp *uintptr
	for i := range dims {
		if global[i] <= 0 {
			return fmt.Errorf("cl: kernel %s: global size %v must be positive", k.name, global)
		}
		g[i] = uintptr(global[i])
		if local != nil {
			if local[i] <= 0 {
				return fmt.Errorf("cl: kernel %s: local size %v must be positive", k.name, local)
			}
			l[i] = uintptr(local[i])
			lp = &l[0]
		}
	}
	if err := check("clEnqueueNDRangeKernel", clEnqueueNDRangeKernel(q.handle, k.handle, uint32(dims), &g[0], lp)); err != nil {
		return fmt.Errorf("kernel %s: %w", k.name, err)
	}
	return nil
}

// String returns the kernel's name.
func (k *Kernel) String() string { return k.Name() }
