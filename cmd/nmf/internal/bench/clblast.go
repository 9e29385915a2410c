package bench

import (
	"fmt"
	"math"
	"sync"
	"time"

	"github.com/ebitengine/purego"

	"github.com/clnmf/clnmf/gpu"
	"github.com/clnmf/clnmf/gpu/cl"
	"github.com/clnmf/clnmf/gpu/tune"
	"github.com/clnmf/clnmf/nmf/backend"
)

// The CLBlast comparison of the GEMM rows: libclblast loaded at run time
// (when present) and run on the OpenCL backend's own queue and buffers.

// clblast is the CLBlast library (libclblast).
type clblast struct {
	sgemm func(layout, ta, tb int32, m, n, k uintptr, alpha float32, a, aOff, aLd, b, bOff, bLd uintptr, beta float32, c, cOff, cLd uintptr, queue *uintptr, event uintptr) int32
	dgemm func(layout, ta, tb int32, m, n, k uintptr, alpha float64, a, aOff, aLd, b, bOff, bLd uintptr, beta float64, c, cOff, cLd uintptr, queue *uintptr, event uintptr) int32
}

var (
	clblastOnce sync.Once
	clblastLib  *clblast
	clblastErr  error
)

// loadCLBlast opens libclblast (once per process).
func loadCLBlast() (*clblast, error) {
	clblastOnce.Do(func() {
		if err := cl.Load(); err != nil {
			clblastErr = err
			return
		}
		var h uintptr
		var err error
		for _, name := range []string{"libclblast.so.1", "libclblast.so", "libclblast.dylib"} {
			if h, err = dlopen(name); err == nil {
				break
			}
		}
		if err != nil {
			clblastErr = fmt.Errorf("CLBlast (libclblast) not found: %w", err)
			return
		}
		lib := &clblast{}
		defer func() {
			if r := recover(); r != nil {
				clblastErr = fmt.Errorf("CLBlast: %v", r)
			}
		}()
		purego.RegisterLibFunc(&lib.sgemm, h, "CLBlastSgemm")
		purego.RegisterLibFunc(&lib.dgemm, h, "CLBlastDgemm")
		clblastLib = lib
	})
	return clblastLib, clblastErr
}

// gemm sets out = op(a)·op(c) with CLBlast's GEMM on be's queue and
// buffers (row-major, as the backend stores them) and waits for it.
func (lib *clblast) gemm(be *gpu.Backend, out, a backend.Matrix, ta bool, c backend.Matrix, tc bool) error {
	q, ok := tune.Queue(be)
	if !ok {
		return tune.ErrNotOpenCL
	}
	bo, ok1 := tune.Buffer(out)
	ba, ok2 := tune.Buffer(a)
	bc, ok3 := tune.Buffer(c)
	if !ok1 || !ok2 || !ok3 {
		return tune.ErrNotOpenCL
	}
	m, n := out.Dims()
	ar, ac := a.Dims()
	_, cc := c.Dims()
	k := ac
	if ta {
		k = ar
	}
	const rowMajor, noTrans, trans = 101, 111, 112
	t := func(x bool) int32 {
		if x {
			return trans
		}
		return noTrans
	}
	qh := q.Handle()
	var st int32
	switch out.Precision() {
	case backend.Float32:
		st = lib.sgemm(rowMajor, t(ta), t(tc), uintptr(m), uintptr(n), uintptr(k), 1,
			ba.Handle(), 0, uintptr(ac), bc.Handle(), 0, uintptr(cc), 0,
			bo.Handle(), 0, uintptr(n), &qh, 0)
	default:
		st = lib.dgemm(rowMajor, t(ta), t(tc), uintptr(m), uintptr(n), uintptr(k), 1,
			ba.Handle(), 0, uintptr(ac), bc.Handle(), 0, uintptr(cc), 0,
			bo.Handle(), 0, uintptr(n), &qh, 0)
	}
	if st != 0 {
		return fmt.Errorf("CLBlast GEMM: status %d", st)
	}
	return q.Finish()
}

// clblastTimer times CLBlast's GEMM on the operands of our GEMM.
type clblastTimer struct {
	be  *gpu.Backend
	lib *clblast
}

var (
	clblastMu   sync.Mutex
	clblastLoad error
)

// clblastFor returns CLBlast for an OpenCL backend, when libclblast loads.
func clblastFor(be backend.Backend) (*clblastTimer, bool) {
	g, ok := be.(*gpu.Backend)
	if !ok {
		return nil, false
	}
	lib, err := loadCLBlast()
	if err != nil {
		clblastMu.Lock()
		clblastLoad = err
		clblastMu.Unlock()
		return nil, false
	}
	return &clblastTimer{be: g, lib: lib}, true
}

// time runs CLBlast's GEMM warm-up + repeats times and returns the median
// ms; it first checks CLBlast's product against ours (already in out).
func (t *clblastTimer) time(out, a backend.Matrix, ta bool, b backend.Matrix, tb bool, c *Config) (float64, error) {
	r, cl := out.Dims()
	oursH := backend.NewHost(out.Precision(), r, cl, nil)
	if err := t.be.Read(out, oursH); err != nil {
		return 0, err
	}
	ours := backend.Float64s(oursH)
	var ts []float64
	for i := 0; i < c.Warmup+c.Repeats; i++ {
		s := time.Now()
		if err := t.lib.gemm(t.be, out, a, ta, b, tb); err != nil {
			return 0, err
		}
		if i >= c.Warmup {
			ts = append(ts, float64(time.Since(s).Nanoseconds())/1e6)
		}
	}
	theirsH := backend.NewHost(out.Precision(), r, cl, nil)
	if err := t.be.Read(out, theirsH); err != nil {
		return 0, err
	}
	theirs := backend.Float64s(theirsH)
	var maxd, maxv float64
	for i := range ours {
		maxd = math.Max(maxd, math.Abs(ours[i]-theirs[i]))
		maxv = math.Max(maxv, math.Abs(ours[i]))
	}
	if maxd > 1e-3*maxv {
		return median(ts), fmt.Errorf("CLBlast and our GEMM differ by %.3g (max |value| %.3g)", maxd, maxv)
	}
	return median(ts), nil
}

func clblastNote() string {
	clblastMu.Lock()
	defer clblastMu.Unlock()
	if clblastLoad != nil {
		return "CLBlast comparison skipped: " + clblastLoad.Error()
	}
	return "CLBlast comparison not run (no OpenCL device)"
}
