// Package cpu is the CPU implementation of backend.Backend: the reference
// path every other backend is checked against.
//
// On CPUs with AVX2 and FMA the dense multiplicative update and the
// products with X run on the package's own micro-kernels (kernel.go), which
// never form W·H whole. Other matrix products go through a BLAS: OpenBLAS,
// loaded at run time without cgo where libopenblas is installed, and gonum's
// pure-Go BLAS otherwise (or when CLNMF_BLAS=go). Elementwise work is fused into single passes spread
// over all cores by a pool of workers started once per backend. Every buffer
// an operation needs is allocated on first use and reused, so a fit
// allocates nothing per iteration.
package cpu

import (
	"errors"
	"fmt"
	"math"
	"os"

	"github.com/clnmf/clnmf/nmf/backend"
)

// Options configures a CPU backend. The zero value means the defaults.
type Options struct {
	// BLAS selects the matrix-product library; the zero value uses
	// OpenBLAS when present (see EnvBLAS).
	BLAS BLAS
	// Workers is the number of goroutines elementwise passes use; 0 means
	// GOMAXPROCS.
	Workers int
	// NoKernels turns off the AVX2/FMA (or AVX-512) micro-kernels of the dense
	// multiplicative update (kernel.go), so that every product goes
	// through the BLAS; so does CLNMF_KERNELS=off. Where the CPU lacks AVX2
	// or FMA they are off anyway. With them off the β ≠ 2 ratio pass
	// keeps to its AVX2 kernels (bitwise the scalar loops), not the
	// approximate AVX-512 ones.
	//
	// With the kernels on, OpenBLAS runs single-threaded in this process
	// from the backend's opening until a backend without them opens after
	// every kernel backend has closed.
	NoKernels bool
}

// EnvKernels names the environment variable that, set to "off", turns off
// the micro-kernels (Options.NoKernels); set to "avx2", it keeps them to
// AVX2 on a CPU with AVX-512 (read once, when the process starts; results
// are the same either way but for the last bits of the β ≠ 2 ratio pass).
const EnvKernels = "CLNMF_KERNELS"

// Backend implements backend.Backend on the host.
type Backend struct {
	blas   BLAS
	pool   *pool
	f64    *impl[float64]
	f32    *impl[float32]
	closed bool
	single bool // holds OpenBLAS's single-thread mode (acquireSingle)
}

var (
	_ backend.Backend       = (*Backend)(nil)
	_ backend.DeviceBytes   = (*Backend)(nil)
	_ backend.FrobeniusPass = (*Backend)(nil)
)

// New returns a CPU backend with the default options.
func New() (*Backend, error) { return NewWith(Options{}) }

// NewWith returns a CPU backend configured by o.
func NewWith(o Options) (*Backend, error) {
	lib, err := resolveBLAS(o.BLAS)
	if err != nil {
		return nil, err
	}
	switch env := os.Getenv(EnvKernels); env {
	case "", "on", "auto", "avx2":
	case "off":
		o.NoKernels = true
	default:
		return nil, fmt.Errorf("cpu: %s=%q: want on, avx2 or off", EnvKernels, env)
	}
	p := newPool(o.Workers)
	b := &Backend{blas: lib, pool: p}
	b.f64 = newImpl[float64](p, lib)
	b.f32 = newImpl[float32](p, lib)
	b.f64.noKernels, b.f32.noKernels = o.NoKernels, o.NoKernels
	if lib == BLASOpenBLAS {
		if b.Kernels() {
			// Our workers carry every large product; OpenBLAS, left
			// with the small ones, runs single-threaded so that its
			// idle threads do not spin beside them, and so that its
			// results, like the kernels', do not depend on the number
			// of threads (one worker included).
			acquireSingle(b.f64.threads)
			b.single = true
		} else {
			wantThreads()
		}
	}
	return b, nil
}

// BLAS returns the matrix-product library in use: BLASGo or BLASOpenBLAS.
func (b *Backend) BLAS() BLAS { return b.blas }

// Kernels reports whether the AVX2/FMA micro-kernels are in use.
func (b *Backend) Kernels() bool { return b.f64.useKernels() }

// Name returns "cpu (OpenBLAS)" or "cpu (gonum)", with "+ AVX2/FMA
// kernels" or "+ AVX-512 kernels" where those are in use.
func (b *Backend) Name() string {
	name := "cpu (gonum"
	if b.blas == BLASOpenBLAS {
		name = "cpu (OpenBLAS"
	}
	switch {
	case b.Kernels() && hasAVX512:
		name += " + AVX-512 kernels"
	case b.Kernels():
		name += " + AVX2/FMA kernels"
	}
	return name + ")"
}

// DeviceBytes returns the bytes held in matrices and scratch buffers (data
// referenced from the caller's slices is not counted).
func (b *Backend) DeviceBytes() int64 { return b.f64.bytes + b.f32.bytes }

// Close releases every buffer and stops the workers. It is idempotent.
func (b *Backend) Close() error {
	if b.closed {
		return nil
	}
	b.closed = true
	if b.single {
		releaseSingle()
	}
	b.pool.close()
	b.f64.release()
	b.f32.release()
	return nil
}

var errClosed = errors.New("cpu: backend is closed")

// matrix is a dense row-major matrix in host memory.
type matrix[T backend.Float] struct {
	rows, cols int
	data       []T
}

func (m *matrix[T]) Dims() (int, int) { return m.rows, m.cols }

func (m *matrix[T]) Precision() backend.Precision {
	var z T
	if _, ok := any(z).(float32); ok {
		return backend.Float32
	}
	return backend.Float64
}

// data is X: dense (x) or CSR with a CSC copy for the products with Xᵀ.
type data[T backend.Float] struct {
	rows, cols int
	x          []T // dense, row-major; nil when sparse
	// CSR
	indptr, indices []int
	vals            []T
	// CSC: column j holds rows rowidx[colptr[j]:colptr[j+1]] with values cvals.
	colptr, rowidx []int
	cvals          []T
}

func (d *data[T]) Dims() (int, int) { return d.rows, d.cols }
func (d *data[T]) Sparse() bool     { return d.x == nil }
func (d *data[T]) Precision() backend.Precision {
	var z T
	if _, ok := any(z).(float32); ok {
		return backend.Float32
	}
	return backend.Float64
}

// NewMatrix returns a zero-filled rows×cols matrix.
func (b *Backend) NewMatrix(p backend.Precision, rows, cols int) (backend.Matrix, error) {
	if b.closed {
		return nil, errClosed
	}
	if rows < 0 || cols < 0 {
		return nil, fmt.Errorf("cpu: NewMatrix: negative size %d×%d", rows, cols)
	}
	switch p {
	case backend.Float64:
		return b.f64.newMatrix(rows, cols)
	case backend.Float32:
		return b.f32.newMatrix(rows, cols)
	}
	return nil, fmt.Errorf("cpu: NewMatrix: unknown precision %v", p)
}

// Write copies src, of m's precision and shape, into m.
func (b *Backend) Write(m backend.Matrix, src backend.HostMatrix) error {
	switch m := m.(type) {
	case *matrix[float64]:
		backend.CheckHost("cpu", "Write", m, src)
		copy(m.data, src.(*backend.Dense[float64]).Data)
	case *matrix[float32]:
		backend.CheckHost("cpu", "Write", m, src)
		copy(m.data, src.(*backend.Dense[float32]).Data)
	default:
		panic(fmt.Sprintf("backend: cpu: Write: foreign matrix %T", m))
	}
	return nil
}

// Read copies m into dst, of m's precision and shape.
func (b *Backend) Read(m backend.Matrix, dst backend.HostMatrix) error {
	switch m := m.(type) {
	case *matrix[float64]:
		backend.CheckHost("cpu", "Read", m, dst)
		copy(dst.(*backend.Dense[float64]).Data, m.data)
	case *matrix[float32]:
		backend.CheckHost("cpu", "Read", m, dst)
		copy(dst.(*backend.Dense[float32]).Data, m.data)
	default:
		panic(fmt.Sprintf("backend: cpu: Read: foreign matrix %T", m))
	}
	return nil
}

// NewData references a dense X (no copy) or builds the CSR and CSC forms of
// a sparse one, dropping explicit zeros.
func (b *Backend) NewData(x backend.HostData) (backend.Data, error) {
	if b.closed {
		return nil, errClosed
	}
	switch x := x.(type) {
	case *backend.Dense[float64]:
		return denseData(x), nil
	case *backend.Dense[float32]:
		return denseData(x), nil
	case *backend.CSR[float64]:
		return b.f64.sparseData(x), nil
	case *backend.CSR[float32]:
		return b.f32.sparseData(x), nil
	}
	return nil, fmt.Errorf("cpu: NewData: unsupported input %T", x)
}

func denseData[T backend.Float](x *backend.Dense[T]) *data[T] {
	return &data[T]{rows: x.Rows, cols: x.Cols, x: x.Data[:x.Rows*x.Cols]}
}

// Gram sets out = aᵀ·a.
func (b *Backend) Gram(out, a backend.Matrix) error {
	switch o := out.(type) {
	case *matrix[float64]:
		b.f64.gram(o, a.(*matrix[float64]))
	case *matrix[float32]:
		b.f32.gram(o, a.(*matrix[float32]))
	default:
		panic(foreign("Gram", out))
	}
	return nil
}

// Mul sets out = op(a)·op(b).
func (b *Backend) Mul(out, a backend.Matrix, ta bool, bm backend.Matrix, tb bool) error {
	switch o := out.(type) {
	case *matrix[float64]:
		b.f64.mul(o, a.(*matrix[float64]), ta, bm.(*matrix[float64]), tb)
	case *matrix[float32]:
		b.f32.mul(o, a.(*matrix[float32]), ta, bm.(*matrix[float32]), tb)
	default:
		panic(foreign("Mul", out))
	}
	return nil
}

// MulX sets out = X·b or Xᵀ·b.
func (b *Backend) MulX(out backend.Matrix, x backend.Data, tr bool, bm backend.Matrix) error {
	switch o := out.(type) {
	case *matrix[float64]:
		b.f64.mulX(o, x.(*data[float64]), tr, bm.(*matrix[float64]))
	case *matrix[float32]:
		b.f32.mulX(o, x.(*data[float32]), tr, bm.(*matrix[float32]))
	default:
		panic(foreign("MulX", out))
	}
	return nil
}

// Transpose sets out = aᵀ.
func (b *Backend) Transpose(out, a backend.Matrix) error {
	switch o := out.(type) {
	case *matrix[float64]:
		transpose(o, a.(*matrix[float64]))
	case *matrix[float32]:
		transpose(o, a.(*matrix[float32]))
	default:
		panic(foreign("Transpose", out))
	}
	return nil
}

// MUTerms computes the numerator and denominator of a multiplicative update.
func (b *Backend) MUTerms(side backend.Side, x backend.Data, w, h backend.Matrix, beta float64, num, den backend.Matrix) error {
	switch n := num.(type) {
	case *matrix[float64]:
		b.f64.muTerms(side, x.(*data[float64]), w.(*matrix[float64]), h.(*matrix[float64]), beta, n, den.(*matrix[float64]))
	case *matrix[float32]:
		b.f32.muTerms(side, x.(*data[float32]), w.(*matrix[float32]), h.(*matrix[float32]), beta, n, den.(*matrix[float32]))
	default:
		panic(foreign("MUTerms", num))
	}
	return nil
}

// MUFrobeniusPass runs the W half of a β = 2 multiplicative iteration and
// the H half's terms in one pass over X (mu_pass.go), where X is dense and
// the micro-kernels are on.
func (b *Backend) MUFrobeniusPass(x backend.Data, w, h backend.Matrix, l1, l2, gamma, flush float64, numH, denH backend.Matrix) (bool, error) {
	switch ww := w.(type) {
	case *matrix[float64]:
		return b.f64.frobeniusPass(x.(*data[float64]), ww, h.(*matrix[float64]), l1, l2, gamma, flush, numH.(*matrix[float64]), denH.(*matrix[float64])), nil
	case *matrix[float32]:
		return b.f32.frobeniusPass(x.(*data[float32]), ww, h.(*matrix[float32]), l1, l2, gamma, flush, numH.(*matrix[float32]), denH.(*matrix[float32])), nil
	}
	panic(foreign("MUFrobeniusPass", w))
}

// MUStep applies one multiplicative update to m.
func (b *Backend) MUStep(m, num, den backend.Matrix, l1, l2, gamma, flush float64) error {
	switch mm := m.(type) {
	case *matrix[float64]:
		b.f64.muStep(mm, num.(*matrix[float64]), den.(*matrix[float64]), l1, l2, gamma, flush)
	case *matrix[float32]:
		b.f32.muStep(mm, num.(*matrix[float32]), den.(*matrix[float32]), l1, l2, gamma, flush)
	default:
		panic(foreign("MUStep", m))
	}
	return nil
}

// CDSweep runs one coordinate-descent pass over the rows of w.
func (b *Backend) CDSweep(w, hht, xht backend.Matrix, l1, l2 float64, perm []int) (float64, error) {
	switch ww := w.(type) {
	case *matrix[float64]:
		return b.f64.cdSweep(ww, hht.(*matrix[float64]), xht.(*matrix[float64]), l1, l2, perm), nil
	case *matrix[float32]:
		return b.f32.cdSweep(ww, hht.(*matrix[float32]), xht.(*matrix[float32]), l1, l2, perm), nil
	}
	panic(foreign("CDSweep", w))
}

// Divergence returns the β-divergence of X and W·H.
func (b *Backend) Divergence(x backend.Data, w, h backend.Matrix, beta float64) (float64, error) {
	switch ww := w.(type) {
	case *matrix[float64]:
		return b.f64.divergence(x.(*data[float64]), ww, h.(*matrix[float64]), beta), nil
	case *matrix[float32]:
		return b.f32.divergence(x.(*data[float32]), ww, h.(*matrix[float32]), beta), nil
	}
	panic(foreign("Divergence", w))
}

func foreign(op string, m any) string {
	return fmt.Sprintf("backend: cpu: %s: foreign or mismatched operand %T", op, m)
}

// pow is x**p with numpy's fast paths for the exponents the updates use
// most, which are exact or correctly rounded where math.Pow may not be.
func pow(x, p float64) float64 {
	switch p {
	case 0:
		return 1
	case 1:
		return x
	case 2:
		return x * x
	case -1:
		return 1 / x
	case 0.5:
		return math.Sqrt(x)
	case -2:
		r := 1 / x
		return r * r
	case -0.5:
		return 1 / math.Sqrt(x)
	case 1.5:
		return x * math.Sqrt(x)
	}
	return math.Pow(x, p)
}
