package cpu

import "github.com/clnmf/clnmf/nmf/backend"

// The multiplicative-update terms for β ≠ 2 and dense X through the BLAS,
// where the micro-kernels are off (mu_kernels.go has the path used where
// they are on).

// muTermsDense forms W·H once, turns it into the ratio and the power in one
// pass, and multiplies each by the fixed factor; with more than one worker,
// each worker does all of that for its own share (muTermsSplit).
func (im *impl[T]) muTermsDense(side backend.Side, x *data[T], w, h *matrix[T], beta float64, num, den *matrix[T]) {
	if im.useKernels() {
		im.muTermsKernels(side, x, w, h, beta, num, den)
		return
	}
	if im.pool.chunks(x.rows, 1) > 1 && im.pool.chunks(x.cols, 1) > 1 {
		im.muTermsSplit(side, x, w, h, beta, num, den)
		return
	}
	l, n, k := x.rows, x.cols, w.cols
	v := im.buf("wh", l*n)
	im.g.gemm(false, false, l, n, k, 1, w.data, max(k, 1), h.data, max(n, 1), 0, v, max(n, 1))
	var u []T
	if beta != 1 {
		u = im.buf("whpow", l*n)
	}
	t := &im.ratio
	*t = ratioTask[T]{x: x.x, v: v, u: u, beta: beta, n: n}
	im.pool.parallel(l, 16, t)
	if side == backend.SideW {
		im.g.gemm(false, true, l, k, n, 1, v, max(n, 1), h.data, max(n, 1), 0, num.data, max(k, 1))
		if beta != 1 {
			im.g.gemm(false, true, l, k, n, 1, u, max(n, 1), h.data, max(n, 1), 0, den.data, max(k, 1))
		}
		return
	}
	im.g.gemm(true, false, k, n, l, 1, w.data, max(k, 1), v, max(n, 1), 0, num.data, max(n, 1))
	if beta != 1 {
		im.g.gemm(true, false, k, n, l, 1, w.data, max(k, 1), u, max(n, 1), 0, den.data, max(n, 1))
	}
}

// muTermsSplit runs fusedTask over X's rows (side W) or columns (side H),
// one contiguous share per worker, with OpenBLAS set to one thread while
// the workers call it: one synchronisation per call instead of one per
// product, and no OpenBLAS threads spinning beside the ratio pass. The
// scratch is the "wh" buffer the unsplit path and the divergence use.
func (im *impl[T]) muTermsSplit(side backend.Side, x *data[T], w, h *matrix[T], beta float64, num, den *matrix[T]) {
	l, n := x.rows, x.cols
	total := l
	if side == backend.SideH {
		total = n
	}
	workers := im.pool.chunks(total, 1)
	bs := (total + workers - 1) / workers
	size := bs * n
	if side == backend.SideH {
		size = l * bs
	}
	nbuf := 2
	if beta == 1 {
		nbuf = 1
	}
	t := &im.fused
	*t = fusedTask[T]{im: im, x: x.x, w: w, h: h, num: num, den: den, beta: beta, side: side, bs: bs, scratch: im.buf("wh", nbuf*size*workers), size: size}
	prev := im.threads.single()
	im.pool.parallel((total+bs-1)/bs, 1, t)
	im.threads.restore(prev)
}

// fusedTask computes MUTerms for dense X a block of W·H at a time in
// per-worker scratch: side W walks blocks of rows (num and den rows are
// independent), side H blocks of columns. Every output entry is formed by
// one product over the whole inner dimension, so the result does not depend
// on how blocks are shared between workers.
type fusedTask[T backend.Float] struct {
	im       *impl[T]
	x        []T
	w, h     *matrix[T]
	num, den *matrix[T]
	beta     float64
	side     backend.Side
	bs       int // rows (side W) or columns (side H) per block
	scratch  []T
	size     int // elements of one of a worker's buffers (two, one for β = 1)
}

func (t *fusedTask[T]) run(c, lo, hi int) {
	w, h := t.w, t.h
	l, k, n := w.rows, w.cols, h.cols
	g := t.im.slots[c]
	nbuf := 2 // W·H and the power U^(β−1), none for β = 1
	if t.beta == 1 {
		nbuf = 1
	}
	s := t.scratch[nbuf*c*t.size : nbuf*(c+1)*t.size]
	v := s[:t.size]
	var u []T // nil for β = 1
	if nbuf == 2 {
		u = s[t.size:]
	}
	for b := lo; b < hi; b++ {
		if t.side == backend.SideW {
			r0, r1 := b*t.bs, min((b+1)*t.bs, l)
			m := r1 - r0
			blk, pw := v[:m*n], u[:min(len(u), m*n)]
			g.gemm(false, false, m, n, k, 1, w.data[r0*k:], max(k, 1), h.data, max(n, 1), 0, blk, max(n, 1))
			applyRatio(t.x[r0*n:r1*n], blk, pw, t.beta)
			g.gemm(false, true, m, k, n, 1, blk, max(n, 1), h.data, max(n, 1), 0, t.num.data[r0*k:], max(k, 1))
			if t.beta != 1 {
				g.gemm(false, true, m, k, n, 1, pw, max(n, 1), h.data, max(n, 1), 0, t.den.data[r0*k:], max(k, 1))
			}
			continue
		}
		c0, c1 := b*t.bs, min((b+1)*t.bs, n)
		m := c1 - c0
		blk, pw := v[:l*m], u[:min(len(u), l*m)]
		g.gemm(false, false, l, m, k, 1, w.data, max(k, 1), h.data[c0:], max(n, 1), 0, blk, max(m, 1))
		for i := 0; i < l; i++ {
			var ui []T
			if t.beta != 1 {
				ui = pw[i*m : i*m+m]
			}
			applyRatio(t.x[i*n+c0:i*n+c1], blk[i*m:i*m+m], ui, t.beta)
		}
		g.gemm(true, false, k, m, l, 1, w.data, max(k, 1), blk, max(m, 1), 0, t.num.data[c0:], max(n, 1))
		if t.beta != 1 {
			g.gemm(true, false, k, m, l, 1, w.data, max(k, 1), pw, max(m, 1), 0, t.den.data[c0:], max(n, 1))
		}
	}
}
