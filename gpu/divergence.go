package gpu

import (
	"github.com/clnmf/clnmf/gpu/cl"
	"github.com/clnmf/clnmf/nmf/backend"
)

// The β-divergence of scikit-learn's _beta_divergence, without the square
// root: dense tile by tile, sparse at X's entries plus closed forms.

// Divergence returns scikit-learn's _beta_divergence(X, W, H, β) without
// the square root (see backend.Backend).
func (b *Backend) Divergence(x backend.Data, w, h backend.Matrix, beta float64) (float64, error) {
	const op = "Divergence"
	d, wm, hm := b.dat(op, x), b.mat(op, w), b.mat(op, h)
	precCheck(op, d.prec, wm, hm)
	l, n, k := d.rows, d.cols, wm.cols
	shapeCheck(op, "w", wm, l, k)
	shapeCheck(op, "h", hm, k, n)
	if b.closed {
		return 0, b.wrap(op, errClosed)
	}
	if err := b.awaitStage(d.stage); err != nil {
		return 0, b.wrap(op, err)
	}
	v, err := b.divergence(d, wm, hm, beta)
	if err != nil {
		return 0, b.wrap(op, err)
	}
	return v, nil
}

// divergence is Divergence after the checks: dense X tile by tile; sparse
// X at its entries plus the closed forms of the terms outside them.
func (b *Backend) divergence(d *data, w, h *matrix, beta float64) (float64, error) {
	p, l, n, k := d.prec, d.rows, d.cols, w.cols
	mode := backend.DivModeOf(beta)
	// The kernels sum each element's terms already combined: they go in
	// DivSums.A, the parts they fold in stay zero.
	sums := backend.DivSums{Size: float64(l) * float64(n)}
	if d.sp == nil {
		s, err := b.divDense(p, d.x, true, w, h, l, n, k, mode, beta)
		if err != nil {
			return 0, err
		}
		sums.A = s
		return sums.Finish(beta), nil
	}
	if mode == backend.DivFro {
		return b.divSparseFro(d, w, h)
	}

	// The terms in X, at its entries.
	s, err := b.divSparse(p, d, w, h, mode, beta)
	if err != nil {
		return 0, err
	}
	sums.A = s
	switch mode {
	case backend.DivKL:
		if sums.WH, err = b.sumWH(p, w, h); err != nil {
			return 0, err
		}
	case backend.DivGeneral:
		// + (β−1) Σ (W·H)^β over every element, formed tile by tile.
		all, err := b.divDense(p, nil, false, w, h, l, n, k, mode, beta)
		if err != nil {
			return 0, err
		}
		sums.A += all
	}
	return sums.Finish(beta), nil
}

// divSparseFro is the Frobenius divergence of sparse X,
// (‖X‖² + Σ (WᵀW·H) ⊙ H − 2 Σ (X·Hᵀ) ⊙ W) / 2, never forming W·H.
func (b *Backend) divSparseFro(d *data, w, h *matrix) (float64, error) {
	p, l, n, k := d.prec, d.rows, d.cols, w.cols
	size := int64(p.Size())
	gram, err := b.scratchBuf("kk", int64(k)*int64(k)*size)
	if err != nil {
		return 0, err
	}
	kn, err := b.scratchBuf("kn", int64(k)*int64(n)*size)
	if err != nil {
		return 0, err
	}
	lk, err := b.scratchBuf("lk", int64(l)*int64(k)*size)
	if err != nil {
		return 0, err
	}
	if err := b.gemm(p, k, k, l, trans(w.buf, k), plain(w.buf, k), gram); err != nil {
		return 0, err
	}
	if err := b.gemm(p, k, n, k, plain(gram, k), plain(h.buf, n), kn); err != nil {
		return 0, err
	}
	normWH, err := b.dot(p, int64(k)*int64(n), kn, h.buf)
	if err != nil {
		return 0, err
	}
	if err := b.sparseXHt(p, d, h, &matrix{b: b, buf: lk, rows: l, cols: k, prec: p}); err != nil {
		return 0, err
	}
	cross, err := b.dot(p, int64(l)*int64(k), lk, w.buf)
	if err != nil {
		return 0, err
	}
	return backend.FrobeniusFromGram(d.normX2, normWH, cross), nil
}

// sumWH is Σ W·H = (column sums of W)·(row sums of H).
func (b *Backend) sumWH(p backend.Precision, w, h *matrix) (float64, error) {
	l, k, n := w.rows, w.cols, h.cols
	size := int64(p.Size())
	cs, err := b.scratchBuf("vec", int64(k)*size)
	if err != nil {
		return 0, err
	}
	rs, err := b.scratchBuf("vec2", int64(k)*size)
	if err != nil {
		return 0, err
	}
	if err := b.launch(p, "line_sums", []int{k * b.kp.elem.wg}, []int{b.kp.elem.wg},
		int32(k), int32(l), w.buf, int32(1), int32(k), cs); err != nil {
		return 0, err
	}
	if err := b.launch(p, "line_sums", []int{k * b.kp.elem.wg}, []int{b.kp.elem.wg},
		int32(k), int32(n), h.buf, int32(n), int32(1), rs); err != nil {
		return 0, err
	}
	return b.dot(p, int64(k), cs, rs)
}

// divDense sums the divergence terms over the l×n elements of W·H, tile by
// tile (with the terms in X when hasX).
func (b *Backend) divDense(p backend.Precision, x *cl.Buffer, hasX bool, w, h *matrix, l, n, k int, mode backend.DivMode, beta float64) (float64, error) {
	if l == 0 || n == 0 {
		return 0, nil
	}
	tr, tc := (l+b.kp.fused.tf-1)/b.kp.fused.tf, (n+b.kp.fused.tf-1)/b.kp.fused.tf
	g := b.groups(int64(tr)*int64(tc), 1)
	gx := min(tc, g)
	gy := max(1, min(tr, g/gx))
	g = gx * gy
	part, err := b.partialBuf(g)
	if err != nil {
		return 0, err
	}
	if x == nil {
		x = w.buf
	}
	if err := b.launch(p, "div_dense", []int{gx * b.kp.fused.tf, gy * b.kp.fused.tf}, []int{b.kp.fused.tf, b.kp.fused.tf},
		int32(l), int32(n), int32(k), x, flag(hasX), w.buf, h.buf,
		int32(mode), scalar(p, beta), scalar(p, beta-1), part); err != nil {
		return 0, err
	}
	return b.sumPartials(part, g)
}

// divSparse sums the divergence terms in X over its entries (gathering
// from Hᵀ with div_sparse_t where the profile reads Hᵀ).
func (b *Backend) divSparse(p backend.Precision, d *data, w, h *matrix, mode backend.DivMode, beta float64) (float64, error) {
	s := d.sp
	if s.nnz == 0 {
		return 0, nil
	}
	ht, err := b.hT(p, h)
	if err != nil {
		return 0, err
	}
	per, lanes := b.kp.sparse.wg, b.kp.sparse.lanes(w.cols) // entries per group and pass
	if ht != nil {
		per /= lanes
	}
	g := b.groups(int64(s.nnz), per)
	part, err := b.partialBuf(g)
	if err != nil {
		return 0, err
	}
	if ht != nil {
		err = b.launch(p, "div_sparse_t", []int{g * b.kp.sparse.wg}, []int{b.kp.sparse.wg},
			int64(s.nnz), int32(w.cols), int32(lanes), s.rowidx, s.idx, s.val, w.buf, ht,
			int32(mode), scalar(p, beta), scalar(p, beta-1), part)
	} else {
		err = b.launch(p, "div_sparse", []int{g * b.kp.sparse.wg}, []int{b.kp.sparse.wg},
			int64(s.nnz), int32(w.cols), int32(d.cols), s.rowidx, s.idx, s.val, w.buf, h.buf,
			int32(mode), scalar(p, beta), scalar(p, beta-1), part)
	}
	if err != nil {
		return 0, err
	}
	return b.sumPartials(part, g)
}
