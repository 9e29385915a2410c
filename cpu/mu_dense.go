package cpu

import "github.com/clnmf/clnmf/nmf/backend"

// The multiplicative-update terms for β ≠ 2 and dense X through the BLAS,
// where the micro-kernels are off (mu_kernels.go has the path used where
// they are on).

// fusedBlockElems bounds the block of W·H one worker forms at a time in the
// dense update without the kernels and in the dense divergence: the scratch
// is at most two such blocks per worker (8 MiB each in float64), never a
// matrix the size of X. A variable for the tests.
var fusedBlockElems = 1 << 20

// muTermsDense runs the micro-kernels where they are on, otherwise
// muTermsSplit's blocks of W·H turned into the ratio and the power.
func (im *impl[T]) muTermsDense(side backend.Side, x *data[T], w, h *matrix[T], beta float64, num, den *matrix[T]) {
	if im.useKernels() {
		im.muTermsKernels(side, x, w, h, beta, num, den)
		return
	}
	im.muTermsSplit(side, x, w, h, beta, num, den)
}

// muTermsSplit runs fusedTask over X's rows (side W) or columns (side H),
// one contiguous share per worker, with OpenBLAS set to one thread while
// several workers call it: one synchronisation per call instead of one per
// product, and no OpenBLAS threads spinning beside the ratio pass. Each
// worker forms W·H in blocks of at most fusedBlockElems entries, in the
// "wh" scratch the dense divergence also uses.
func (im *impl[T]) muTermsSplit(side backend.Side, x *data[T], w, h *matrix[T], beta float64, num, den *matrix[T]) {
	l, n := x.rows, x.cols
	total := l
	if side == backend.SideH {
		total = n
	}
	workers := im.pool.chunks(total, 1)
	bs := (total + workers - 1) / workers
	other := n // the length of one row (side W) or column (side H) of W·H
	if side == backend.SideH {
		other = l
	}
	bs = max(1, min(bs, fusedBlockElems/other))
	size := bs * other
	nbuf := 2
	if beta == 1 {
		nbuf = 1
	}
	t := &im.fused
	*t = fusedTask[T]{im: im, x: x.x, w: w, h: h, num: num, den: den, beta: beta, side: side, bs: bs, scratch: im.buf("wh", nbuf*size*workers), size: size}
	if workers == 1 {
		t.run(0, 0, (total+bs-1)/bs)
		return
	}
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
			applyRatio(t.x[r0*n:r1*n], blk, pw, t.beta, t.im.useKernels())
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
			applyRatio(t.x[i*n+c0:i*n+c1], blk[i*m:i*m+m], ui, t.beta, t.im.useKernels())
		}
		g.gemm(true, false, k, m, l, 1, w.data, max(k, 1), blk, max(m, 1), 0, t.num.data[c0:], max(n, 1))
		if t.beta != 1 {
			g.gemm(true, false, k, m, l, 1, w.data, max(k, 1), pw, max(m, 1), 0, t.den.data[c0:], max(n, 1))
		}
	}
}
