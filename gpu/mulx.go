package gpu

import (
	"github.com/clnmf/clnmf/gpu/cl"
	"github.com/clnmf/clnmf/nmf/backend"
)

// The products with the data X, dense (GEMM) or sparse (spmm over X's CSR
// or its transposed copy).

// spmm sets out(q, t) = Σ_p val[p]·B(idx[p], t) over the rows q of s, where
// B(c, t) = B[c*sbc + t*sbt] and out(q, t) = out[q*soq + t*sot].
func (b *Backend) spmm(p backend.Precision, s *csr, val *cl.Buffer, k int, B *cl.Buffer, sbc, sbt int, out *cl.Buffer, soq, sot int) error {
	return b.launch(p, "spmm", []int{k, s.rows}, []int{b.kp.sparse.tt, b.kp.sparse.tr},
		int32(s.rows), int32(k), s.ptr, s.idx, val, B, int32(sbc), int32(sbt), out, int32(soq), int32(sot))
}

// htCache is the Hᵀ hT last formed: of src at its write count gen, in buf
// (the scratch "ht", which a larger H may replace).
type htCache struct {
	src *matrix
	gen uint64
	buf *cl.Buffer
}

// hT returns Hᵀ (n×k) for the sparse kernels that gather H by columns,
// or nil when the profile's sparse kernels read H itself (with stride n).
// It is formed by the transpose kernel in scratch "ht" (O(nk), like H)
// once per write of H: the numerator, the divergence and every row panel
// of one W half read the same copy.
func (b *Backend) hT(p backend.Precision, h *matrix) (*cl.Buffer, error) {
	if !b.kp.sparse.ht {
		return nil, nil
	}
	buf, err := b.scratchBuf("ht", int64(h.len())*int64(p.Size()))
	if err != nil {
		return nil, err
	}
	if c := b.ht; c.src == h && c.gen == h.gen && c.buf == buf {
		return buf, nil
	}
	b.ht = htCache{}
	ts := b.kp.tiled.ts
	if err := b.launch(p, "transpose", []int{h.cols, h.rows}, []int{ts, ts}, int32(h.rows), int32(h.cols), h.buf, buf); err != nil {
		return nil, err
	}
	b.ht = htCache{src: h, gen: h.gen, buf: buf}
	return buf, nil
}

// spmmH sets out (s.rows×k) = A·Hᵀ for the CSR s (values val) and H k×n,
// reading ht = Hᵀ (consecutive components, coalesced) where it is not nil,
// else H with stride n.
func (b *Backend) spmmH(p backend.Precision, s *csr, val *cl.Buffer, h *matrix, ht *cl.Buffer, out *cl.Buffer) error {
	k := h.rows
	if ht != nil {
		return b.spmm(p, s, val, k, ht, k, 1, out, k, 1)
	}
	return b.spmm(p, s, val, k, h.buf, 1, h.cols, out, k, 1)
}

// MulX sets out = X·c (trans false) or Xᵀ·c (trans true).
func (b *Backend) MulX(out backend.Matrix, x backend.Data, tr bool, c backend.Matrix) error {
	o, d, cm := b.mat("MulX", out), b.dat("MulX", x), b.mat("MulX", c)
	precCheck("MulX", d.prec, o, cm)
	l, n := d.rows, d.cols
	k := cm.cols
	if tr {
		shapeCheck("MulX", "b", cm, l, k)
		shapeCheck("MulX", "out", o, n, k)
	} else {
		shapeCheck("MulX", "b", cm, n, k)
		shapeCheck("MulX", "out", o, l, k)
	}
	if b.closed {
		return b.wrap("MulX", errClosed)
	}
	o.written()
	if err := b.awaitStage(d.stage); err != nil {
		return b.wrap("MulX", err)
	}
	var err error
	switch {
	case d.sp == nil && !tr:
		err = b.gemm(d.prec, l, k, n, plain(d.x, n), plain(cm.buf, k), o.buf)
	case d.sp == nil && tr:
		err = b.gemm(d.prec, n, k, l, trans(d.x, n), plain(cm.buf, k), o.buf)
	case !tr:
		err = b.spmm(d.prec, d.sp, d.sp.val, k, cm.buf, k, 1, o.buf, k, 1)
	default:
		err = b.spmm(d.prec, d.spT, d.spT.val, k, cm.buf, k, 1, o.buf, k, 1)
	}
	if err != nil {
		return b.wrap("MulX", err)
	}
	return nil
}
