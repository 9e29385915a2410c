package cpu

import (
	"errors"
	"fmt"
	"os"
	"runtime"
	"sync"
	"unsafe"

	"github.com/ebitengine/purego"
	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/gonum"
)

// EnvBLAS names the environment variable that selects the matrix-product
// library of the CPU backend: "go" forces gonum's pure-Go BLAS, "openblas"
// requires OpenBLAS (an error where it is missing), and "" or "auto" uses
// OpenBLAS when libopenblas can be loaded and gonum otherwise.
const EnvBLAS = "CLNMF_BLAS"

// ErrNoOpenBLAS is returned when OpenBLAS is required but cannot be loaded.
var ErrNoOpenBLAS = errors.New("cpu: OpenBLAS (libopenblas) not found")

// gemmer is the row-major general matrix product c = alpha·op(a)·op(b) + beta·c
// with leading dimensions, in one precision.
type gemmer[T float32 | float64] interface {
	gemm(ta, tb bool, m, n, k int, alpha T, a []T, lda int, b []T, ldb int, beta T, c []T, ldc int)
}

// goBLAS is gonum's pure-Go BLAS.
type goBLAS[T float32 | float64] struct{}

func trans(t bool) blas.Transpose {
	if t {
		return blas.Trans
	}
	return blas.NoTrans
}

func (goBLAS[T]) gemm(ta, tb bool, m, n, k int, alpha T, a []T, lda int, b []T, ldb int, beta T, c []T, ldc int) {
	if m == 0 || n == 0 {
		return
	}
	switch c := any(c).(type) {
	case []float64:
		gonum.Implementation{}.Dgemm(trans(ta), trans(tb), m, n, k, float64(alpha), any(a).([]float64), lda, any(b).([]float64), ldb, float64(beta), c, ldc)
	case []float32:
		gonum.Implementation{}.Sgemm(trans(ta), trans(tb), m, n, k, float32(alpha), any(a).([]float32), lda, any(b).([]float32), ldb, float32(beta), c, ldc)
	}
}

// openBLAS calls OpenBLAS's Fortran dgemm_/sgemm_ through purego. The
// Fortran interface takes every argument by reference, so the call needs no
// floating-point registers and purego.SyscallN carries it without
// allocating. The scalars live in a heap block owned by the caller (the Go
// heap does not move), one per backend, so concurrent backends do not share
// them.
type openBLAS[T float32 | float64] struct {
	fn   uintptr
	args *gemmArgs[T]
}

type gemmArgs[T float32 | float64] struct {
	ta, tb        byte
	m, n, k       int32
	lda, ldb, ldc int32
	alpha, beta   T
	argv          [13]uintptr
}

func (o openBLAS[T]) gemm(ta, tb bool, m, n, k int, alpha T, a []T, lda int, b []T, ldb int, beta T, c []T, ldc int) {
	if m == 0 || n == 0 {
		return
	}
	if k == 0 {
		// Fortran BLAS accepts k = 0 but the operand pointers may then be
		// empty slices; scale c by beta directly.
		for i := 0; i < m; i++ {
			row := c[i*ldc : i*ldc+n]
			for j := range row {
				if beta == 0 {
					row[j] = 0
				} else {
					row[j] *= beta
				}
			}
		}
		return
	}
	// Row-major C = op(A)·op(B) is column-major Cᵀ = op(B)ᵀ·op(A)ᵀ: swap
	// the operands and the dimensions; the transposition flags stay with
	// their operands.
	p := o.args
	p.ta, p.tb = 'N', 'N'
	if tb {
		p.ta = 'T'
	}
	if ta {
		p.tb = 'T'
	}
	p.m, p.n, p.k = int32(n), int32(m), int32(k)
	p.lda, p.ldb, p.ldc = int32(ldb), int32(lda), int32(ldc)
	p.alpha, p.beta = alpha, beta
	// The argument vector lives in the heap block too: a variadic call
	// would allocate a new one each time.
	v := &p.argv
	v[0], v[1] = uintptr(unsafe.Pointer(&p.ta)), uintptr(unsafe.Pointer(&p.tb))
	v[2], v[3], v[4] = uintptr(unsafe.Pointer(&p.m)), uintptr(unsafe.Pointer(&p.n)), uintptr(unsafe.Pointer(&p.k))
	v[5] = uintptr(unsafe.Pointer(&p.alpha))
	v[6], v[7] = uintptr(unsafe.Pointer(unsafe.SliceData(b))), uintptr(unsafe.Pointer(&p.lda))
	v[8], v[9] = uintptr(unsafe.Pointer(unsafe.SliceData(a))), uintptr(unsafe.Pointer(&p.ldb))
	v[10] = uintptr(unsafe.Pointer(&p.beta))
	v[11], v[12] = uintptr(unsafe.Pointer(unsafe.SliceData(c))), uintptr(unsafe.Pointer(&p.ldc))
	purego.SyscallN(o.fn, v[:]...)
	runtime.KeepAlive(a)
	runtime.KeepAlive(b)
	runtime.KeepAlive(c)
	runtime.KeepAlive(p)
}

var openblas struct {
	once         sync.Once
	dgemm, sgemm uintptr
	err          error
	// openblas_set_num_threads and openblas_get_num_threads, 0 where the
	// library lacks them.
	setThreads, getThreads uintptr
	// blas_thread_shutdown_ (the fork handler: it ends OpenBLAS's worker
	// threads, which the next multi-threaded call starts again), 0 where
	// the library lacks it.
	shutdown uintptr
	// openblas_get_corename, 0 where the library lacks it.
	corename uintptr
}

// threadControl switches OpenBLAS between its own thread count and one
// thread, around regions where our workers call it concurrently. The
// argument vector is preallocated so that a switch allocates nothing.
type threadControl struct {
	set, get uintptr
	argv     *[1]uintptr
}

func newThreadControl(lib BLAS) threadControl {
	if lib != BLASOpenBLAS || openblas.setThreads == 0 || openblas.getThreads == 0 {
		return threadControl{}
	}
	return threadControl{set: openblas.setThreads, get: openblas.getThreads, argv: new([1]uintptr)}
}

// single sets OpenBLAS to one thread and returns the previous count, or 0
// where the thread count cannot be controlled.
func (tc threadControl) single() int {
	if tc.set == 0 {
		return 0
	}
	prev, _, _ := purego.SyscallN(tc.get)
	if int32(prev) > 1 {
		tc.argv[0] = 1
		purego.SyscallN(tc.set, tc.argv[:]...)
	}
	return int(int32(prev))
}

// restore sets OpenBLAS back to the count single returned.
func (tc threadControl) restore(prev int) {
	if tc.set == 0 || prev <= 1 {
		return
	}
	tc.argv[0] = uintptr(prev)
	purego.SyscallN(tc.set, tc.argv[:]...)
}

// The process-wide single-thread mode of OpenBLAS. A backend that runs its
// own kernels turns it on: OpenBLAS's idle threads spin (sched_yield) for
// ≈ 0.1 s after loading and after each multi-threaded call and take cores
// from our workers, and the products left to OpenBLAS there are small.
// Turning it on ends OpenBLAS's worker threads. It stays on after those
// backends close (turning it off would start threads that spin beside
// whatever runs next) until a backend that relies on OpenBLAS's threads
// opens while no kernel backend is open.
var singleMode struct {
	sync.Mutex
	users  int  // open backends that want it
	active bool // on: OpenBLAS set to one thread by us
	prev   int  // the thread count before
	tc     threadControl
}

// acquireSingle turns single-thread mode on for a kernel backend.
func acquireSingle(tc threadControl) {
	singleMode.Lock()
	defer singleMode.Unlock()
	singleMode.users++
	if singleMode.active || tc.set == 0 {
		return
	}
	singleMode.tc = tc
	singleMode.prev = tc.single()
	singleMode.active = true
	if singleMode.prev > 1 && openblas.shutdown != 0 {
		purego.SyscallN(openblas.shutdown)
	}
}

// releaseSingle is a kernel backend's Close.
func releaseSingle() {
	singleMode.Lock()
	defer singleMode.Unlock()
	singleMode.users--
}

// wantThreads is the opening of a backend that relies on OpenBLAS's own
// threads: the thread count comes back unless a kernel backend is open.
func wantThreads() {
	singleMode.Lock()
	defer singleMode.Unlock()
	if singleMode.active && singleMode.users == 0 {
		singleMode.tc.restore(singleMode.prev)
		singleMode.active = false
	}
}

// openBLASNames are the shared objects tried, in order.
var openBLASNames = []string{"libopenblas.so.0", "libopenblas.so", "libopenblas.dll", "libopenblas.dylib", "/opt/homebrew/opt/openblas/lib/libopenblas.dylib", "/usr/local/opt/openblas/lib/libopenblas.dylib"}

func loadOpenBLAS() error {
	openblas.once.Do(func() {
		var lib uintptr
		var last error
		for _, name := range openBLASNames {
			h, err := dlopen(name)
			if err == nil {
				lib = h
				break
			}
			last = err
		}
		if lib == 0 {
			openblas.err = fmt.Errorf("%w: %v", ErrNoOpenBLAS, last)
			return
		}
		d, err := dlsym(lib, "dgemm_")
		if err != nil {
			openblas.err = fmt.Errorf("%w: dgemm_: %v", ErrNoOpenBLAS, err)
			return
		}
		s, err := dlsym(lib, "sgemm_")
		if err != nil {
			openblas.err = fmt.Errorf("%w: sgemm_: %v", ErrNoOpenBLAS, err)
			return
		}
		openblas.dgemm, openblas.sgemm = d, s
		// Optional: without them the fused passes run with OpenBLAS's own
		// threading inside each worker's call.
		if f, err := dlsym(lib, "openblas_set_num_threads"); err == nil {
			if g, err := dlsym(lib, "openblas_get_num_threads"); err == nil {
				openblas.setThreads, openblas.getThreads = f, g
			}
		}
		if f, err := dlsym(lib, "blas_thread_shutdown_"); err == nil {
			openblas.shutdown = f
		}
		if f, err := dlsym(lib, "openblas_get_corename"); err == nil {
			openblas.corename = f
		}
	})
	return openblas.err
}

// BLAS names a matrix-product library for the CPU backend.
type BLAS string

const (
	BLASAuto     BLAS = ""         // OpenBLAS if present, else gonum
	BLASGo       BLAS = "go"       // gonum's pure-Go BLAS
	BLASOpenBLAS BLAS = "openblas" // OpenBLAS, loaded at run time; an error where missing
)

// OpenBLASCore returns the name of the kernels OpenBLAS chose for this CPU
// (openblas_get_corename: "SkylakeX", "Haswell", …; "Prescott" is its
// generic SSE3 fallback for CPUs it does not know, which
// OPENBLAS_CORETYPE overrides), or "" where OpenBLAS or the query is
// missing.
func OpenBLASCore() string {
	if loadOpenBLAS() != nil || openblas.corename == 0 {
		return ""
	}
	var name func() string
	purego.RegisterFunc(&name, openblas.corename)
	return name()
}

// OpenBLASAvailable reports whether libopenblas can be loaded here.
func OpenBLASAvailable() bool { return loadOpenBLAS() == nil }

// resolveBLAS turns the requested library (and, for BLASAuto, the
// environment) into the one to use.
func resolveBLAS(want BLAS) (BLAS, error) {
	if want == BLASAuto {
		switch env := os.Getenv(EnvBLAS); env {
		case "", "auto":
		case "go", "openblas":
			want = BLAS(env)
		default:
			return "", fmt.Errorf("cpu: %s=%q: want go, openblas or auto", EnvBLAS, env)
		}
	}
	switch want {
	case BLASGo:
		return BLASGo, nil
	case BLASOpenBLAS:
		if err := loadOpenBLAS(); err != nil {
			return "", err
		}
		return BLASOpenBLAS, nil
	case BLASAuto:
		if loadOpenBLAS() == nil {
			return BLASOpenBLAS, nil
		}
		return BLASGo, nil
	}
	return "", fmt.Errorf("cpu: unknown BLAS %q: want go, openblas or auto", string(want))
}
