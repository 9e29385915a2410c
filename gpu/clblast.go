package gpu

import (
	"fmt"
	"sync"

	"github.com/ebitengine/purego"

	"github.com/clnmf/clnmf/gpu/cl"
	"github.com/clnmf/clnmf/nmf/backend"
)

// This file holds what nmf bench needs from the backend beyond
// backend.Backend: a way to wait for the queue, so that timings include the
// device's work and not only its enqueueing.

// Finish waits until every command enqueued on the backend's queue is done.
func (b *Backend) Finish() error {
	if b.closed {
		return errClosed
	}
	return b.q.Finish()
}

// CLBlast is the CLBlast library (libclblast), loaded at run time for nmf
// bench's GEMM comparison.
type CLBlast struct {
	sgemm func(layout, ta, tb int32, m, n, k uintptr, alpha float32, a, aOff, aLd, b, bOff, bLd uintptr, beta float32, c, cOff, cLd uintptr, queue *uintptr, event uintptr) int32
	dgemm func(layout, ta, tb int32, m, n, k uintptr, alpha float64, a, aOff, aLd, b, bOff, bLd uintptr, beta float64, c, cOff, cLd uintptr, queue *uintptr, event uintptr) int32
}

var (
	clblastOnce sync.Once
	clblastLib  *CLBlast
	clblastErr  error
)

// LoadCLBlast opens libclblast (once per process).
func LoadCLBlast() (*CLBlast, error) {
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
			clblastErr = fmt.Errorf("gpu: CLBlast (libclblast) not found: %w", err)
			return
		}
		lib := &CLBlast{}
		defer func() {
			if r := recover(); r != nil {
				clblastErr = fmt.Errorf("gpu: CLBlast: %v", r)
			}
		}()
		purego.RegisterLibFunc(&lib.sgemm, h, "CLBlastSgemm")
		purego.RegisterLibFunc(&lib.dgemm, h, "CLBlastDgemm")
		clblastLib = lib
	})
	return clblastLib, clblastErr
}

// CLBlastGemm sets out = op(a)·op(c) with CLBlast's GEMM on b's queue and
// buffers (row-major, as the backend stores them) and waits for it.
func (b *Backend) CLBlastGemm(lib *CLBlast, out, a backend.Matrix, ta bool, c backend.Matrix, tc bool) error {
	if b.closed {
		return errClosed
	}
	mo, ma, mc := out.(*matrix), a.(*matrix), c.(*matrix)
	m, n := mo.rows, mo.cols
	k := ma.cols
	if ta {
		k = ma.rows
	}
	const rowMajor, noTrans, trans = 101, 111, 112
	t := func(x bool) int32 {
		if x {
			return trans
		}
		return noTrans
	}
	q := b.q.Handle()
	var st int32
	switch mo.prec {
	case backend.Float32:
		st = lib.sgemm(rowMajor, t(ta), t(tc), uintptr(m), uintptr(n), uintptr(k), 1,
			ma.buf.Handle(), 0, uintptr(ma.cols), mc.buf.Handle(), 0, uintptr(mc.cols), 0,
			mo.buf.Handle(), 0, uintptr(mo.cols), &q, 0)
	default:
		st = lib.dgemm(rowMajor, t(ta), t(tc), uintptr(m), uintptr(n), uintptr(k), 1,
			ma.buf.Handle(), 0, uintptr(ma.cols), mc.buf.Handle(), 0, uintptr(mc.cols), 0,
			mo.buf.Handle(), 0, uintptr(mo.cols), &q, 0)
	}
	if st != 0 {
		return fmt.Errorf("gpu: CLBlast GEMM: status %d", st)
	}
	return b.q.Finish()
}
