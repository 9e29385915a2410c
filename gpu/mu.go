package gpu

import (
	"github.com/clnmf/clnmf/gpu/cl"
	"github.com/clnmf/clnmf/nmf/backend"
)

// The multiplicative update: its terms (MUTerms: β = 2 by GEMM; β ≠ 2 fused,
// materialised or sparse) and the step (MUStep).

// useFused decides the dense β ≠ 2 path for an l×n X.
func (b *Backend) useFused(p backend.Precision, l, n int) bool {
	switch b.Path {
	case PathFused:
		return true
	case PathMaterialised:
		return false
	}
	one := int64(l) * int64(n) * int64(p.Size())
	if one > b.dev.MaxAlloc {
		return true
	}
	free := b.memory() - b.ctx.Allocated()
	for _, key := range []string{"wh", "ratio"} { // already held: reused
		if buf, ok := b.scratch[key]; ok {
			free += buf.Size()
		}
	}
	return float64(2*one) > MaterialiseFraction*float64(free)
}

// MUTerms computes the numerator and denominator of the multiplicative
// update of one factor (see backend.Backend).
func (b *Backend) MUTerms(side backend.Side, x backend.Data, w, h backend.Matrix, beta float64, num, den backend.Matrix) error {
	const op = "MUTerms"
	d, wm, hm, nm, dm := b.dat(op, x), b.mat(op, w), b.mat(op, h), b.mat(op, num), b.mat(op, den)
	p := d.prec
	precCheck(op, p, wm, hm, nm, dm)
	l, n, k := d.rows, d.cols, wm.cols
	shapeCheck(op, "w", wm, l, k)
	shapeCheck(op, "h", hm, k, n)
	if side == backend.SideW {
		shapeCheck(op, "num", nm, l, k)
		shapeCheck(op, "den", dm, l, k)
	} else {
		shapeCheck(op, "num", nm, k, n)
		shapeCheck(op, "den", dm, k, n)
	}
	if nm == dm {
		panic("backend: gpu: MUTerms: num and den are the same matrix")
	}
	noAlias(op, nm, wm, hm)
	noAlias(op, dm, wm, hm)
	if b.closed {
		return b.wrap(op, errClosed)
	}
	nm.written()
	dm.written()
	if err := b.awaitStage(d.stage); err != nil {
		return b.wrap(op, err)
	}
	var err error
	if beta == 2 {
		err = b.muTermsFro(side, d, wm, hm, nm, dm)
	} else {
		err = b.muTermsBeta(side, d, wm, hm, beta, nm, dm)
	}
	if err != nil {
		return b.wrap(op, err)
	}
	return nil
}

// muTermsFro is β = 2: side W num = X·Hᵀ, den = W·(H·Hᵀ); side H
// num = Wᵀ·X, den = (Wᵀ·W)·H.
func (b *Backend) muTermsFro(side backend.Side, d *data, w, h, num, den *matrix) error {
	p, l, n, k := d.prec, d.rows, d.cols, w.cols
	gram, err := b.scratchBuf("kk", int64(k)*int64(k)*int64(p.Size()))
	if err != nil {
		return err
	}
	if side == backend.SideW {
		if d.sp == nil {
			err = b.gemm(p, l, k, n, plain(d.x, n), trans(h.buf, n), num.buf)
		} else {
			err = b.sparseXHt(p, d, h, num)
		}
		if err != nil {
			return err
		}
		if err := b.gemm(p, k, k, n, plain(h.buf, n), trans(h.buf, n), gram); err != nil {
			return err
		}
		return b.gemm(p, l, k, k, plain(w.buf, k), plain(gram, k), den.buf)
	}
	switch {
	case d.sp == nil:
		err = b.gemm(p, k, n, l, trans(w.buf, k), plain(d.x, n), num.buf)
	default:
		err = b.spmm(p, d.spT, d.spT.val, k, w.buf, k, 1, num.buf, 1, n)
	}
	if err != nil {
		return err
	}
	if err := b.gemm(p, k, k, l, trans(w.buf, k), plain(w.buf, k), gram); err != nil {
		return err
	}
	return b.gemm(p, k, n, k, plain(gram, k), plain(h.buf, n), den.buf)
}

// muTermsBeta is β ≠ 2.
func (b *Backend) muTermsBeta(side backend.Side, d *data, w, h *matrix, beta float64, num, den *matrix) error {
	p, l, n, k := d.prec, d.rows, d.cols, w.cols
	mp := backend.MUFor(beta)
	wantDen := mp.Mode != backend.MUKL // KL's denominator is a broadcast sum
	sideW := side == backend.SideW

	// The numerator (and the dense denominator).
	switch {
	case d.sp != nil:
		if err := b.sparseNum(side, d, w, h, mp, num); err != nil {
			return err
		}
		if wantDen {
			if err := b.fused(side, d, w, h, mp, num, den, false, true); err != nil {
				return err
			}
		}
	case b.useFused(p, l, n):
		if err := b.fused(side, d, w, h, mp, num, den, true, wantDen); err != nil {
			return err
		}
	default:
		if err := b.materialised(side, d, w, h, mp, num, den, wantDen); err != nil {
			return err
		}
	}
	if wantDen {
		return nil
	}

	// β = 1: the denominator is a broadcast sum.
	sums, err := b.scratchBuf("vec", int64(k)*int64(p.Size()))
	if err != nil {
		return err
	}
	if sideW {
		// row sums of H
		if err := b.launch(p, "line_sums", []int{k * b.kp.elem.wg}, []int{b.kp.elem.wg},
			int32(k), int32(n), h.buf, int32(n), int32(1), sums); err != nil {
			return err
		}
		return b.launch(p, "bcast_w", []int{k, l}, []int{b.kp.elem.side, b.kp.elem.side},
			int32(l), int32(k), sums, den.buf)
	}
	// column sums of W, zeros replaced by 1
	if err := b.launch(p, "line_sums", []int{k * b.kp.elem.wg}, []int{b.kp.elem.wg},
		int32(k), int32(l), w.buf, int32(1), int32(k), sums); err != nil {
		return err
	}
	return b.launch(p, "bcast_h", []int{n, k}, []int{b.kp.elem.side, b.kp.elem.side},
		int32(k), int32(n), sums, den.buf)
}

// fused runs the fused kernels (fused.cl), which form W·H tile by tile and
// never hold it: num when wantNum (X dense), den when wantDen. The groups
// form a grid of output tiles × blocks of the walked dimension; with
// several blocks their partial sums are added in order (sumBlocks).
func (b *Backend) fused(side backend.Side, d *data, w, h *matrix, mp backend.MU, num, den *matrix, wantNum, wantDen bool) error {
	p, l, n, k := d.prec, d.rows, d.cols, w.cols
	tf := b.kp.fused.tf
	tiles, walk := ceilDiv(l, tf), ceilDiv(n, tf)
	if side == backend.SideH {
		tiles, walk = walk, tiles
	}
	switch {
	case tiles == 0: // no terms
		return nil
	case walk == 0: // nothing to sum over: the terms are zero
		return b.zeroTerms(p, num, den, wantNum, wantDen)
	}
	blocks, span := b.fusedBlocks(tiles, walk)
	outN, outD := num.buf, den.buf
	if blocks > 1 {
		var err error
		if outN, err = b.scratchBuf("fused-num", int64(blocks)*int64(num.len())*int64(p.Size())); err != nil {
			return err
		}
		if outD, err = b.scratchBuf("fused-den", int64(blocks)*int64(den.len())*int64(p.Size())); err != nil {
			return err
		}
	}
	global := []int{blocks * tf, tiles * tf}
	if side == backend.SideH {
		global = []int{tiles * tf, blocks * tf}
	}
	xbuf := w.buf // not read when !wantNum
	if wantNum {
		xbuf = d.x
	}
	if err := b.launch(p, b.kp.fused.kernel(side, k, wantNum, wantDen), global, []int{tf, tf},
		int32(l), int32(n), int32(k), int32(span), xbuf, w.buf, h.buf, outN, outD,
		int32(mp.Mode), scalar(p, mp.RatioExp), flag(mp.ClampV), scalar(p, mp.DenExp), flag(mp.ClampU)); err != nil {
		return err
	}
	if blocks == 1 {
		return nil
	}
	if wantNum {
		if err := b.sumBlocks(p, num, blocks, outN); err != nil {
			return err
		}
	}
	if wantDen {
		return b.sumBlocks(p, den, blocks, outD)
	}
	return nil
}

// maxFusedBlocks bounds the blocks the fused kernels' walk is split into.
const maxFusedBlocks = 64

// fusedBlocks splits a walk of walk tiles into blocks for tiles output
// tiles, so that tiles × blocks reaches fusedTarget work-groups where it
// can; span is a block's length in elements (a multiple of the tile).
func (b *Backend) fusedBlocks(tiles, walk int) (blocks, span int) {
	blocks = min(max(ceilDiv(b.fusedTarget, tiles), 1), walk, maxFusedBlocks)
	per := ceilDiv(walk, blocks)
	return ceilDiv(walk, per), per * b.kp.fused.tf
}

// sumBlocks sets m to the sum of the blocks partial matrices of m's size
// held one after another in part, added in order (gemm_slices, the kernel
// that adds split-K slices).
func (b *Backend) sumBlocks(p backend.Precision, m *matrix, blocks int, part *cl.Buffer) error {
	return b.launch(p, "gemm_slices", []int{m.len()}, []int{b.kp.elem.wg},
		int32(m.len()), int32(blocks), part, m.buf)
}

// zeroTerms zero-fills the wanted terms.
func (b *Backend) zeroTerms(p backend.Precision, num, den *matrix, wantNum, wantDen bool) error {
	if wantNum {
		if err := b.zero(p, num.buf, int64(num.len())*int64(p.Size())); err != nil {
			return err
		}
	}
	if wantDen {
		return b.zero(p, den.buf, int64(den.len())*int64(p.Size()))
	}
	return nil
}

// ceilDiv is ⌈a/b⌉ for a ≥ 0, b > 0.
func ceilDiv(a, b int) int { return (a + b - 1) / b }

// materialised forms V = W·H in an l×n scratch buffer, turns it into the
// ratio R and (in place) the power U, and multiplies them by Hᵀ (side W) or
// Wᵀ (side H) with GEMM.
func (b *Backend) materialised(side backend.Side, d *data, w, h *matrix, mp backend.MU, num, den *matrix, wantDen bool) error {
	p, l, n, k := d.prec, d.rows, d.cols, w.cols
	bytes := int64(l) * int64(n) * int64(p.Size())
	v, err := b.scratchBuf("wh", bytes)
	if err != nil {
		return err
	}
	r, err := b.scratchBuf("ratio", bytes)
	if err != nil {
		return err
	}
	if err := b.gemm(p, l, n, k, plain(w.buf, k), plain(h.buf, n), v); err != nil {
		return err
	}
	if err := b.launch(p, "mu_elem", []int{l * n}, []int{b.kp.elem.wg},
		int64(l)*int64(n), d.x, v, r,
		int32(mp.Mode), scalar(p, mp.RatioExp), flag(mp.ClampV), scalar(p, mp.DenExp), flag(mp.ClampU),
		int32(1), flag(wantDen)); err != nil {
		return err
	}
	if side == backend.SideW {
		if err := b.gemm(p, l, k, n, plain(r, n), trans(h.buf, n), num.buf); err != nil {
			return err
		}
		if wantDen {
			return b.gemm(p, l, k, n, plain(v, n), trans(h.buf, n), den.buf)
		}
		return nil
	}
	if err := b.gemm(p, k, n, l, trans(w.buf, k), plain(r, n), num.buf); err != nil {
		return err
	}
	if wantDen {
		return b.gemm(p, k, n, l, trans(w.buf, k), plain(v, n), den.buf)
	}
	return nil
}

// sparseXHt sets num = X·Hᵀ for sparse X.
func (b *Backend) sparseXHt(p backend.Precision, d *data, h, num *matrix) error {
	ht, err := b.hT(p, h)
	if err != nil {
		return err
	}
	return b.spmmH(p, d.sp, d.sp.val, h, ht, num.buf)
}

// sparseNum forms the numerator for sparse X: the ratio at X's entries
// (SDDMM), then its product with Hᵀ (side W, over X's rows) or Wᵀ (side H,
// over the rows of the transposed copy, whose entries the ratio is formed
// in the order of). Where the profile reads Hᵀ, sddmm_ratio_t gathers
// W's rows and Hᵀ's with SP_K lanes per entry.
func (b *Backend) sparseNum(side backend.Side, d *data, w, h *matrix, mp backend.MU, num *matrix) error {
	p, n, k := d.prec, d.cols, w.cols
	s, tr := d.sp, int32(0)
	if side == backend.SideH {
		s, tr = d.spT, 1
	}
	r, err := b.scratchBuf("sp-ratio", int64(s.nnz)*int64(p.Size()))
	if err != nil {
		return err
	}
	ht, err := b.hT(p, h)
	if err != nil {
		return err
	}
	if ht != nil {
		lanes := b.kp.sparse.lanes(k)
		err = b.launch(p, "sddmm_ratio_t", []int{ceilDiv(s.nnz, b.kp.sparse.wg/lanes) * b.kp.sparse.wg}, []int{b.kp.sparse.wg},
			int64(s.nnz), tr, int32(k), int32(lanes), s.rowidx, s.idx, s.val, w.buf, ht, r,
			int32(mp.Mode), scalar(p, mp.RatioExp), flag(mp.ClampV))
	} else {
		err = b.launch(p, "sddmm_ratio", []int{s.nnz}, []int{b.kp.sparse.wg},
			int64(s.nnz), tr, int32(k), int32(n), s.rowidx, s.idx, s.val, w.buf, h.buf, r,
			int32(mp.Mode), scalar(p, mp.RatioExp), flag(mp.ClampV))
	}
	if err != nil {
		return err
	}
	if side == backend.SideW {
		return b.spmmH(p, s, r, h, ht, num.buf)
	}
	return b.spmm(p, s, r, k, w.buf, k, 1, num.buf, 1, n)
}

// MUStep applies one multiplicative update to m (see backend.Backend).
func (b *Backend) MUStep(m, num, den backend.Matrix, l1, l2, gamma, flush float64) error {
	const op = "MUStep"
	mm, nm, dm := b.mat(op, m), b.mat(op, num), b.mat(op, den)
	precCheck(op, mm.prec, nm, dm)
	shapeCheck(op, "num", nm, mm.rows, mm.cols)
	shapeCheck(op, "den", dm, mm.rows, mm.cols)
	if b.closed {
		return b.wrap(op, errClosed)
	}
	mm.written()
	p := mm.prec
	if err := b.launch(p, "mu_step", []int{mm.len()}, []int{b.kp.elem.wg},
		int64(mm.len()), mm.buf, nm.buf, dm.buf,
		scalar(p, l1), scalar(p, l2), scalar(p, gamma), scalar(p, flush)); err != nil {
		return b.wrap(op, err)
	}
	return nil
}
