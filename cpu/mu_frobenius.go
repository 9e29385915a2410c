package cpu

import "github.com/clnmf/clnmf/nmf/backend"

// The multiplicative-update terms for β = 2, every X: num = X·Hᵀ and
// den = W·(H·Hᵀ) (side W), num = Wᵀ·X and den = (WᵀW)·H (side H).

func (im *impl[T]) muTermsFrobenius(side backend.Side, x *data[T], w, h *matrix[T], num, den *matrix[T]) {
	k := w.cols
	g := &matrix[T]{rows: k, cols: k, data: im.buf("gram", k*k)}
	// Dense X: num from the micro-kernels where they are on; otherwise,
	// in float64, the large products split between workers (measured
	// faster than OpenBLAS's own threads here; not so for float32).
	kern := !x.Sparse() && im.useKernels()
	var z T
	split := !kern && !x.Sparse() && sizeof(z) == 8 && im.pool.chunks(x.rows, 1) > 1 && im.pool.chunks(x.cols, 1) > 1
	if side == backend.SideW {
		// num = X·Hᵀ; den = W·(H·Hᵀ)
		switch {
		case kern:
			p, ld := im.prodXB(x, h.data, k, true)
			copyRows(num.data, k, p, ld, x.rows, k)
		case x.Sparse():
			ht := &matrix[T]{rows: h.cols, cols: k, data: im.buf("ht", h.cols*k)}
			transpose(ht, h)
			im.mulX(num, x, false, ht)
		case !split:
			im.g.gemm(false, true, x.rows, k, x.cols, 1, x.x, max(x.cols, 1), h.data, max(h.cols, 1), 0, num.data, max(k, 1))
		}
		im.mulK(g, h, false, h, true)
		if split {
			im.frobeniusSplit(side, x, w, h, g.data, num, den)
			return
		}
		im.mulK(den, w, false, g, false)
		return
	}
	// num = Wᵀ·X; den = (Wᵀ·W)·H
	switch {
	case kern:
		p, ld := im.prodBtX(x, w.data, k)
		copyRows(num.data, x.cols, p, ld, k, x.cols)
	case x.Sparse():
		numT := &matrix[T]{rows: x.cols, cols: k, data: im.buf("numT", x.cols*k)}
		im.mulX(numT, x, true, w)
		transpose(num, numT)
	case !split:
		im.g.gemm(true, false, k, x.cols, x.rows, 1, w.data, max(k, 1), x.x, max(x.cols, 1), 0, num.data, max(x.cols, 1))
	}
	im.gram(g, w)
	if split {
		im.frobeniusSplit(side, x, w, h, g.data, num, den)
		return
	}
	im.mulK(den, g, false, h, false)
}

// frobeniusSplit computes the β = 2 terms for dense X with the rows (side
// W) or columns (side H) shared between workers, each calling
// single-threaded OpenBLAS: num = X·Hᵀ and den = W·G by rows, num = Wᵀ·X
// and den = G·H by columns, G the k×k Gram matrix already formed.
func (im *impl[T]) frobeniusSplit(side backend.Side, x *data[T], w, h *matrix[T], g []T, num, den *matrix[T]) {
	total := x.rows
	if side == backend.SideH {
		total = x.cols
	}
	t := &im.frob
	*t = frobTask[T]{im: im, x: x.x, w: w, h: h, g: g, num: num, den: den, side: side}
	prev := im.threads.single()
	im.pool.parallel(total, 1, t)
	im.threads.restore(prev)
}

type frobTask[T backend.Float] struct {
	im       *impl[T]
	x        []T
	w, h     *matrix[T]
	g        []T // k×k
	num, den *matrix[T]
	side     backend.Side
}

func (t *frobTask[T]) run(c, lo, hi int) {
	gm := t.im.slots[c]
	l, k, n := t.w.rows, t.w.cols, t.h.cols
	m := hi - lo
	if t.side == backend.SideW {
		gm.gemm(false, true, m, k, n, 1, t.x[lo*n:], max(n, 1), t.h.data, max(n, 1), 0, t.num.data[lo*k:], max(k, 1))
		gm.gemm(false, false, m, k, k, 1, t.w.data[lo*k:], max(k, 1), t.g, max(k, 1), 0, t.den.data[lo*k:], max(k, 1))
		return
	}
	gm.gemm(true, false, k, m, l, 1, t.w.data, max(k, 1), t.x[lo:], max(n, 1), 0, t.num.data[lo:], max(n, 1))
	gm.gemm(false, false, k, m, k, 1, t.g, max(k, 1), t.h.data[lo:], max(n, 1), 0, t.den.data[lo:], max(n, 1))
}
