package gpu

import (
	"fmt"

	"github.com/clnmf/clnmf/gpu/cl"
	"github.com/clnmf/clnmf/gpu/internal/tuning"
)

// The tuner's access to a Backend (package gpu/tune, through
// tuning.Hooks): the GEMM parameters, the device, the queue and the
// matrices' buffers. None of it is gpu's API.
func init() {
	h := &tuning.Hooks
	h.Device = func(be any) (*cl.Device, bool) {
		b, ok := open(be)
		if !ok {
			return nil, false
		}
		return b.dev, true
	}
	h.Gemm = func(be any) (tuning.Gemm, bool) {
		b, ok := open(be)
		if !ok {
			return tuning.Gemm{}, false
		}
		return b.kp.gemm, true
	}
	h.SetGemm = func(be any, p tuning.Gemm) error {
		b, ok := open(be)
		if !ok {
			return fmt.Errorf("gpu: %T is not an open OpenCL backend", be)
		}
		return b.setGemm(p)
	}
	h.Queue = func(be any) (*cl.Queue, bool) {
		b, ok := open(be)
		if !ok {
			return nil, false
		}
		return b.q, true
	}
	h.Buffer = func(m any) (*cl.Buffer, bool) {
		mm, ok := m.(*matrix)
		if !ok || mm == nil || mm.b.closed {
			return nil, false
		}
		return mm.buf, true
	}
}

// open returns be as an open *Backend.
func open(be any) (*Backend, bool) {
	b, ok := be.(*Backend)
	return b, ok && b != nil && !b.closed
}

// setGemm switches the GEMM parameters, dropping the built programs so
// that the next launch builds with the new defines; the other families
// return to the profile's sizes (a program that does not fit falls back
// to the small ones again when built).
func (b *Backend) setGemm(p tuning.Gemm) error {
	if !p.Valid() {
		return fmt.Errorf("gpu: invalid GEMM parameters %v", p)
	}
	kp := defaultParams(b.dev, b.profile)
	kp.gemm = p
	b.kp = kp
	b.progs = [2]*cl.Program{}
	return nil
}
