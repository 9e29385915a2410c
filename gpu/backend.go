package gpu

import (
	"errors"
	"fmt"
	"math"
	"strings"
	"unsafe"

	"github.com/clnmf/clnmf/gpu/cl"
	"github.com/clnmf/clnmf/gpu/internal/tuning"
	"github.com/clnmf/clnmf/kernels"
	"github.com/clnmf/clnmf/nmf/backend"
)

var (
	_ backend.Backend     = (*Backend)(nil)
	_ backend.DeviceBytes = (*Backend)(nil)
)

// Path selects how the dense β ≠ 2 multiplicative-update terms are formed.
type Path int

const (
	// PathAuto materialises W·H when its two l×n scratch buffers take at
	// most MaterialiseFraction of the device's free global memory (and fit
	// in one allocation), and fuses otherwise.
	PathAuto Path = iota
	// PathFused never holds W·H: each work-group forms tiles of it in local
	// memory and consumes them at once.
	PathFused
	// PathMaterialised forms W·H in an l×n scratch buffer and uses GEMM.
	PathMaterialised
)

// String returns "auto", "fused" or "materialised".
func (p Path) String() string {
	switch p {
	case PathAuto:
		return "auto"
	case PathFused:
		return "fused"
	case PathMaterialised:
		return "materialised"
	}
	return fmt.Sprintf("Path(%d)", int(p))
}

// MaterialiseFraction is the share of free device memory PathAuto lets the
// l×n scratch of the materialised path take.
const MaterialiseFraction = 0.25

// Backend is backend.Backend on one OpenCL device. Use it from one
// goroutine at a time.
type Backend struct {
	// Path selects the fused or materialised dense β ≠ 2 terms; the zero
	// value PathAuto decides per call by size.
	Path Path

	memCap   int64 // SetMemoryCap; 0 for none
	allocCap int64 // tests: a smaller largest allocation for the planner; 0 for none

	ctx   *cl.Context
	q     *cl.Queue
	dev   *cl.Device
	spec  string // "opencl:P:D"
	name  string // Name()
	label string // error prefix: "opencl:P:D (device)"

	kp      kernelParams // the kernels' parameters (params.go)
	profile Profile      // ProfileGPU or ProfileCPU
	acc64   bool         // partial sums in double

	progs   [2]*cl.Program // by backend.Precision
	scratch map[string]*cl.Buffer

	// splitTarget is the number of work-groups below which a GEMM with a
	// long inner dimension is split along it (tests raise it).
	splitTarget int
	// fusedTarget is the number of work-groups the fused MU kernels split
	// their walk into blocks to reach (tests raise it).
	fusedTarget int
	// packMin is the least K·N for which the CPU GEMM packs B into
	// panels (tests lower it).
	packMin int64
	// packCap bounds the elements of the packed copy of B (tests lower it).
	packCap int64
	// keepGrown keeps the buffers that grown scratch replaced until Close.
	// It is set on oclgrind's simulator, whose --uninitialized checker
	// (21.10) flags reads of a buffer made at the address of a released
	// smaller one beyond the old size, even after a kernel wrote them.
	keepGrown bool
	grown     []*cl.Buffer
	// launched, when not nil, counts the launches of each kernel by name
	// (tests check that their shapes reach each kernel, and that hT's
	// cache saves its transposes).
	launched map[string]int
	closed   bool

	ht htCache // hT's Hᵀ, kept while H is not written (mulx.go)

	st stager // a streamed X's staging slots (stream.go)
}

// newBackend makes the backend of a device with profile prof (resolved);
// the tuning cache applies when useCache and prof is the device type's.
func newBackend(ctx *cl.Context, spec string, p *cl.Platform, d *cl.Device, prof Profile, useCache bool) *Backend {
	dn := strings.TrimSpace(d.Name)
	b := &Backend{
		ctx: ctx, q: ctx.Queue(), dev: d, spec: spec,
		name:    fmt.Sprintf("%s %s (%s)", spec, dn, strings.TrimSpace(p.Name())),
		label:   fmt.Sprintf("%s (%s)", spec, dn),
		kp:      defaultParams(d, prof),
		profile: prof,
		acc64:   d.FP64,
		scratch: map[string]*cl.Buffer{},
	}
	b.keepGrown = strings.TrimSpace(p.Name()) == "Oclgrind"
	if p, ok := tuning.Cached(d); ok && useCache && prof == typeProfile(d) && !b.keepGrown {
		b.kp.gemm = p
	}
	b.packMin = 1 << 16
	b.packCap = 1 << 20
	b.splitTarget = 2 * d.ComputeUnits
	b.fusedTarget = max(4*d.ComputeUnits, 8)
	if b.splitTarget < 8 {
		b.splitTarget = 8
	}
	return b
}

// Name describes the device, e.g.
// "opencl:0:0 pthread-haswell-AMD EPYC (Portable Computing Language)".
func (b *Backend) Name() string { return b.name }

// Profile is the profile the backend runs, "gpu" or "cpu".
func (b *Backend) Profile() string { return b.profile.String() }

// Device returns the device's description, with the profile in use.
func (b *Backend) Device() DeviceInfo {
	var pi, di int
	fmt.Sscanf(b.spec, "opencl:%d:%d", &pi, &di)
	inf := info(pi, di, b.dev.Platform, b.dev)
	inf.Profile = b.Profile()
	return inf
}

// DeviceBytes returns the bytes of device memory the backend holds:
// matrices, data and scratch.
func (b *Backend) DeviceBytes() int64 {
	if b.closed {
		return 0
	}
	return b.ctx.Allocated()
}

// Close releases every matrix, data and scratch buffer, the programs and
// the context. It is idempotent.
func (b *Backend) Close() error {
	if b.closed {
		return nil
	}
	b.closed = true
	b.scratch, b.grown = nil, nil
	b.ht = htCache{}
	b.progs = [2]*cl.Program{}
	b.st = stager{} // the context releases the queue and the events
	if err := b.ctx.Close(); err != nil {
		return b.wrap("Close", err)
	}
	return nil
}

// wrap names the device and the step in a device error.
func (b *Backend) wrap(step string, err error) error {
	return fmt.Errorf("%s: %s: %w", b.label, step, err)
}

// errClosed is returned by the methods of a closed backend.
var errClosed = errors.New("backend is closed")

// ---- handles ----------------------------------------------------------------

// matrix is a dense row-major matrix in a device buffer.
type matrix struct {
	b          *Backend
	buf        *cl.Buffer
	rows, cols int
	prec       backend.Precision
	// gen counts the writes: every method that writes m (Write and each
	// method's output) bumps it first, so that what was derived from m
	// (hT's cached Hᵀ) knows when it is stale.
	gen uint64
}

// written marks m as written from here on (see gen).
func (m *matrix) written() { m.gen++ }

func (m *matrix) Dims() (rows, cols int)       { return m.rows, m.cols }
func (m *matrix) Precision() backend.Precision { return m.prec }
func (m *matrix) len() int                     { return m.rows * m.cols }

// csr is a CSR matrix on the device: row pointers (long), column indices
// (int), the row of every entry (int) and the values (real).
type csr struct {
	rows, cols            int
	nnz                   int
	ptr, idx, rowidx, val *cl.Buffer
}

// data is X on the device: dense (x) or CSR (sp, with its transpose spT).
type data struct {
	b          *Backend
	rows, cols int
	prec       backend.Precision
	x          *cl.Buffer // dense, row-major
	sp, spT    *csr
	normX2     float64  // Σ x² over the entries (sparse), for β = 2
	stage      *staging // set while X sits in a staging slot (StageData)
}

func (d *data) Dims() (rows, cols int)       { return d.rows, d.cols }
func (d *data) Precision() backend.Precision { return d.prec }
func (d *data) Sparse() bool                 { return d.sp != nil }

func (b *Backend) mat(op string, m backend.Matrix) *matrix {
	mm, ok := m.(*matrix)
	if !ok || mm == nil || mm.b != b {
		panic(fmt.Sprintf("backend: gpu: %s: matrix %T not made by this backend", op, m))
	}
	return mm
}

func (b *Backend) dat(op string, x backend.Data) *data {
	d, ok := x.(*data)
	if !ok || d == nil || d.b != b {
		panic(fmt.Sprintf("backend: gpu: %s: data %T not made by this backend", op, x))
	}
	return d
}

func shapeCheck(op, what string, m *matrix, rows, cols int) {
	if m.rows != rows || m.cols != cols {
		panic(fmt.Sprintf("backend: gpu: %s: %s is %d×%d, want %d×%d", op, what, m.rows, m.cols, rows, cols))
	}
}

func precCheck(op string, p backend.Precision, ms ...*matrix) {
	for _, m := range ms {
		if m.prec != p {
			panic(fmt.Sprintf("backend: gpu: %s: mixed precisions %v and %v", op, p, m.prec))
		}
	}
}

// ---- device memory ------------------------------------------------------------

// alloc returns a buffer of at least bytes (at least 8: OpenCL has no empty
// buffers).
func (b *Backend) alloc(bytes int64) (*cl.Buffer, error) {
	if bytes < 8 {
		bytes = 8
	}
	return b.ctx.NewBuffer(bytes)
}

// scratchBuf returns the scratch buffer of that key, of at least bytes,
// allocating it on first use or when it has to grow. Small sizes are
// rounded up to a power of two (at least 4 KiB), large ones to whole MiB,
// so that a buffer grows rarely; in a fit the sizes are fixed after the
// first iteration. A grown buffer is allocated before the old one is
// released, so the two never share an address.
func (b *Backend) scratchBuf(key string, bytes int64) (*cl.Buffer, error) {
	old, ok := b.scratch[key]
	if ok && old.Size() >= bytes {
		return old, nil
	}
	size := int64(4096)
	if bytes > 1<<24 {
		size = (bytes + 1<<20 - 1) >> 20 << 20 // large: whole MiB
	}
	for size < bytes {
		size *= 2
	}
	if size > b.dev.MaxAlloc && bytes <= b.dev.MaxAlloc {
		size = bytes
	}
	buf, err := b.alloc(size)
	if err != nil && size > bytes {
		buf, err = b.alloc(bytes) // the rounding must not cost the fit
	}
	if err != nil {
		return nil, err
	}
	if ok && b.keepGrown {
		b.grown = append(b.grown, old)
	} else if ok {
		old.Close()
	}
	b.scratch[key] = buf
	return buf, nil
}

func (b *Backend) fp64Check(op string, p backend.Precision) error {
	if p == backend.Float64 && !b.dev.FP64 {
		return fmt.Errorf("%s: %s: the device has no float64 support (cl_khr_fp64): use float32, or --device cpu", b.label, op)
	}
	return nil
}

// NewMatrix returns a zero-filled rows×cols matrix on the device.
func (b *Backend) NewMatrix(p backend.Precision, rows, cols int) (backend.Matrix, error) {
	if rows < 0 || cols < 0 {
		panic(fmt.Sprintf("backend: gpu: NewMatrix: negative size %d×%d", rows, cols))
	}
	if b.closed {
		return nil, b.wrap("NewMatrix", errClosed)
	}
	if err := b.fp64Check("NewMatrix", p); err != nil {
		return nil, err
	}
	if rows > math.MaxInt32 || cols > math.MaxInt32 {
		return nil, b.wrap("NewMatrix", fmt.Errorf("%d×%d: dimensions beyond 2³¹−1: %w", rows, cols, cl.ErrTooLarge))
	}
	bytes := int64(rows) * int64(cols) * int64(p.Size())
	buf, err := b.alloc(bytes)
	if err != nil {
		return nil, b.wrap("NewMatrix", err)
	}
	if err := b.zero(p, buf, bytes); err != nil {
		buf.Close()
		return nil, b.wrap("NewMatrix", err)
	}
	return &matrix{b: b, buf: buf, rows: rows, cols: cols, prec: p}, nil
}

// zero fills the first bytes of buf (a multiple of 4) with zeros, with a
// kernel of precision p's program.
func (b *Backend) zero(p backend.Precision, buf *cl.Buffer, bytes int64) error {
	if bytes == 0 {
		return nil
	}
	words := bytes / 4
	return b.launch(p, "zero_fill", []int{int(words)}, []int{b.kp.elem.wg}, words, buf)
}

// Write copies src, of m's precision and shape, into m.
func (b *Backend) Write(m backend.Matrix, src backend.HostMatrix) error {
	mm := b.mat("Write", m)
	backend.CheckHost("gpu", "Write", m, src)
	if b.closed {
		return b.wrap("Write", errClosed)
	}
	mm.written()
	if mm.len() == 0 {
		return nil
	}
	var err error
	switch src := src.(type) {
	case *backend.Dense[float32]:
		err = cl.Write(b.q, mm.buf, 0, src.Data[:mm.len()])
	case *backend.Dense[float64]:
		err = cl.Write(b.q, mm.buf, 0, src.Data[:mm.len()])
	}
	if err != nil {
		return b.wrap("Write", err)
	}
	return nil
}

// Read copies m into dst, of m's precision and shape.
func (b *Backend) Read(m backend.Matrix, dst backend.HostMatrix) error {
	mm := b.mat("Read", m)
	backend.CheckHost("gpu", "Read", m, dst)
	if b.closed {
		return b.wrap("Read", errClosed)
	}
	if mm.len() == 0 {
		return nil
	}
	var err error
	switch dst := dst.(type) {
	case *backend.Dense[float32]:
		err = cl.Read(b.q, mm.buf, 0, dst.Data[:mm.len()])
	case *backend.Dense[float64]:
		err = cl.Read(b.q, mm.buf, 0, dst.Data[:mm.len()])
	}
	if err != nil {
		return b.wrap("Read", err)
	}
	return nil
}

// upload allocates a buffer holding src.
func upload[T any](b *Backend, src []T) (*cl.Buffer, error) {
	var z T
	bytes := int64(len(src)) * int64(unsafe.Sizeof(z))
	buf, err := b.alloc(bytes)
	if err != nil {
		return nil, err
	}
	if len(src) > 0 {
		if err := cl.Write(b.q, buf, 0, src); err != nil {
			buf.Close()
			return nil, err
		}
	}
	return buf, nil
}

// NewData copies X to the device: dense as it is; CSR without its explicit
// zeros, together with its transpose (built here on the host, once) so that
// Xᵀ products need no atomics.
func (b *Backend) NewData(x backend.HostData) (backend.Data, error) {
	if b.closed {
		return nil, b.wrap("NewData", errClosed)
	}
	if err := b.fp64Check("NewData", x.Precision()); err != nil {
		return nil, err
	}
	d, err := newData(&placer{b: b}, x)
	if err != nil {
		return nil, b.wrap("NewData", err)
	}
	return d, nil
}

// newData puts x on the device with p (NewData, StageData).
func newData(p *placer, x backend.HostData) (*data, error) {
	switch x := x.(type) {
	case *backend.Dense[float64]:
		return newDense(p, x)
	case *backend.Dense[float32]:
		return newDense(p, x)
	case *backend.CSR[float64]:
		return newSparse(p, x)
	case *backend.CSR[float32]:
		return newSparse(p, x)
	}
	return nil, fmt.Errorf("unsupported input %T", x)
}

func newDense[T backend.Float](p *placer, x *backend.Dense[T]) (*data, error) {
	if x.Rows < 0 || x.Cols < 0 || len(x.Data) < x.Rows*x.Cols {
		return nil, fmt.Errorf("dense %d×%d with %d values", x.Rows, x.Cols, len(x.Data))
	}
	if x.Rows > math.MaxInt32 || x.Cols > math.MaxInt32 {
		return nil, fmt.Errorf("%d×%d: dimensions beyond 2³¹−1: %w", x.Rows, x.Cols, cl.ErrTooLarge)
	}
	buf, err := put(p, "x", x.Data[:x.Rows*x.Cols])
	if err != nil {
		return nil, err
	}
	return &data{b: p.b, rows: x.Rows, cols: x.Cols, prec: x.Precision(), x: buf}, nil
}

func newSparse[T backend.Float](p *placer, x *backend.CSR[T]) (*data, error) {
	l, n := x.Rows, x.Cols
	if l < 0 || n < 0 || len(x.Indptr) != l+1 || x.Indptr[0] != 0 ||
		len(x.Indices) != len(x.Data) || x.Indptr[l] != len(x.Data) {
		return nil, fmt.Errorf("malformed CSR %d×%d (len(Indptr) %d, len(Indices) %d, len(Data) %d)",
			l, n, len(x.Indptr), len(x.Indices), len(x.Data))
	}
	if l > math.MaxInt32 || n > math.MaxInt32 {
		return nil, fmt.Errorf("%d×%d: dimensions beyond 2³¹−1: %w", l, n, cl.ErrTooLarge)
	}
	a, norm2, err := csrNonzeros(x)
	if err != nil {
		return nil, err
	}
	d := &data{b: p.b, rows: l, cols: n, prec: x.Precision(), normX2: norm2}
	if d.sp, err = uploadCSR(p, "", a); err != nil {
		return nil, err
	}
	if d.spT, err = uploadCSR(p, "T", a.transpose()); err != nil {
		return nil, err
	}
	return d, nil
}

// hostCSR is a CSR matrix on the host in the device's layout: row
// pointers, column indices, the row of every entry, values.
type hostCSR[T any] struct {
	rows, cols  int
	ptr         []int64
	idx, rowidx []int32
	val         []T
}

// csrNonzeros is x without its explicit zeros, checked, with Σ x².
func csrNonzeros[T backend.Float](x *backend.CSR[T]) (hostCSR[T], float64, error) {
	l, n := x.Rows, x.Cols
	nnz := 0
	for i := 0; i < l; i++ {
		lo, hi := x.Indptr[i], x.Indptr[i+1]
		if lo > hi || hi > len(x.Data) {
			return hostCSR[T]{}, 0, fmt.Errorf("malformed CSR: Indptr[%d:%d] = %d, %d", i, i+2, lo, hi)
		}
		for p := lo; p < hi; p++ {
			if j := x.Indices[p]; j < 0 || j >= n {
				return hostCSR[T]{}, 0, fmt.Errorf("malformed CSR: column %d out of range in row %d", j, i)
			}
			if x.Data[p] != 0 {
				nnz++
			}
		}
	}
	a := hostCSR[T]{rows: l, cols: n, ptr: make([]int64, l+1),
		idx: make([]int32, 0, nnz), rowidx: make([]int32, 0, nnz), val: make([]T, 0, nnz)}
	var norm2 float64
	for i := 0; i < l; i++ {
		for p := x.Indptr[i]; p < x.Indptr[i+1]; p++ {
			if v := x.Data[p]; v != 0 {
				a.idx = append(a.idx, int32(x.Indices[p]))
				a.rowidx = append(a.rowidx, int32(i))
				a.val = append(a.val, v)
				norm2 += float64(v) * float64(v)
			}
		}
		a.ptr[i+1] = int64(len(a.val))
	}
	return a, norm2, nil
}

// transpose is a's transpose, by counting sort on the column: rows of Aᵀ
// are A's columns, and within each the entries keep A's row order.
func (a hostCSR[T]) transpose() hostCSR[T] {
	n, nnz := a.cols, len(a.val)
	ptrT := make([]int64, n+1)
	for _, j := range a.idx {
		ptrT[j+1]++
	}
	for j := 0; j < n; j++ {
		ptrT[j+1] += ptrT[j]
	}
	t := hostCSR[T]{rows: n, cols: a.rows, ptr: ptrT,
		idx: make([]int32, nnz), rowidx: make([]int32, nnz), val: make([]T, nnz)}
	next := append([]int64(nil), ptrT[:n]...)
	for p, v := range a.val {
		j := a.idx[p]
		q := next[j]
		next[j]++
		t.idx[q] = a.rowidx[p]
		t.rowidx[q] = j
		t.val[q] = v
	}
	return t
}

// uploadCSR puts a's arrays on the device, tag naming them in a staging
// slot.
func uploadCSR[T any](p *placer, tag string, a hostCSR[T]) (*csr, error) {
	c := &csr{rows: a.rows, cols: a.cols, nnz: len(a.val)}
	var err error
	if c.ptr, err = put(p, "ptr"+tag, a.ptr); err != nil {
		return nil, err
	}
	if c.idx, err = put(p, "idx"+tag, a.idx); err != nil {
		return nil, err
	}
	if c.rowidx, err = put(p, "rowidx"+tag, a.rowidx); err != nil {
		return nil, err
	}
	if c.val, err = put(p, "val"+tag, a.val); err != nil {
		return nil, err
	}
	return c, nil
}

// ---- programs and launches ----------------------------------------------------

// program returns the program of precision p, building it on first use.
// A build whose kernels do not fit the device at the profile's work-group
// sizes (a per-kernel limit below the device's, or too much local memory)
// is rebuilt once with the small sizes (fitSmall).
func (b *Backend) program(p backend.Precision) (*cl.Program, error) {
	if b.progs[p] != nil {
		return b.progs[p], nil
	}
	prog, err := b.build(p)
	if err != nil {
		return nil, err
	}
	if err := b.fits(prog); err != nil {
		if b.kp.small {
			return nil, err
		}
		b.kp = b.kp.fitSmall()
		b.progs = [2]*cl.Program{} // the other precision's too: one set of sizes
		if prog, err = b.build(p); err != nil {
			return nil, err
		}
		if err := b.fits(prog); err != nil {
			return nil, err
		}
	}
	b.progs[p] = prog
	return prog, nil
}

// build builds the program of precision p with the current parameters.
func (b *Backend) build(p backend.Precision) (*cl.Program, error) {
	bits := 8 * p.Size()
	// The mode constants come from nmf/backend, the one home of the β
	// rules; the tuning parameters from the kernel families' structs.
	opts := kernels.Options(bits, b.acc64, b.kp.defines(bits)) + " " + strings.Join(backend.KernelDefines(), " ")
	// Correctly rounded float division and square root, as on the host, so
	// that the float32 updates (coordinate descent above all) give the CPU
	// path's numbers; double precision always has them. Only where the
	// device has them: the option is refused otherwise.
	if b.dev.FP32DivSqrt {
		opts += " -cl-fp32-correctly-rounded-divide-sqrt"
	}
	return b.ctx.Build(kernels.Source(b.kp.sources()...), opts)
}

// fits checks every kernel's work-group and local memory on the device
// after building (CL_KERNEL_WORK_GROUP_SIZE, CL_KERNEL_LOCAL_MEM_SIZE):
// the device's limits may be below what the profile launches for some
// kernels only.
func (b *Backend) fits(prog *cl.Program) error {
	for _, kg := range b.kp.groups() {
		k, err := prog.Kernel(kg.name)
		if err != nil {
			return err
		}
		most, err := k.WorkGroupSize()
		if err != nil {
			return err
		}
		if kg.items > most {
			return fmt.Errorf("kernel %s: work-group of %d items, the device allows it %d", kg.name, kg.items, most)
		}
		if lm, err := k.LocalMemSize(); err == nil && b.dev.LocalMem > 0 && lm > b.dev.LocalMem {
			return fmt.Errorf("kernel %s: %d bytes of local memory, the device has %d", kg.name, lm, b.dev.LocalMem)
		}
	}
	return nil
}

// scalar converts a scalar argument to the kernels' element type.
func scalar(p backend.Precision, v float64) any {
	if p == backend.Float32 {
		return float32(v)
	}
	return v
}

// flag converts a bool to an int kernel argument.
func flag(v bool) int32 {
	if v {
		return 1
	}
	return 0
}

// launch runs kernel name of precision p over global (rounded up to
// multiples of local), doing nothing when the range is empty.
func (b *Backend) launch(p backend.Precision, name string, global, local []int, args ...any) error {
	g := make([]int, len(global))
	for i, v := range global {
		if v <= 0 {
			return nil
		}
		g[i] = v
		if local != nil {
			g[i] = (v + local[i] - 1) / local[i] * local[i]
		}
	}
	prog, err := b.program(p)
	if err != nil {
		return err
	}
	k, err := prog.Kernel(name)
	if err != nil {
		return err
	}
	if b.launched != nil {
		b.launched[name]++
	}
	return b.q.Launch(k, g, local, args...)
}
