package cpu

import "github.com/clnmf/clnmf/nmf/backend"

// The multiplicative-update terms for β ≠ 2 and sparse X.

// muTermsSparse computes the numerator at X's nonzeros only (W·H formed
// entry by entry and multiplied straight into the output: SDDMM fused with
// SpMM) and the denominator, for β ≠ 1, from blocks of rows (side W) or
// columns (side H) of W·H, never the whole l×n matrix.
func (im *impl[T]) muTermsSparse(side backend.Side, x *data[T], w, h *matrix[T], beta float64, num, den *matrix[T]) {
	l, n, k := x.rows, x.cols, w.cols
	ht := &matrix[T]{rows: n, cols: k, data: im.buf("ht", n*k)}
	transpose(ht, h)
	t := &im.sddmm
	if side == backend.SideW {
		*t = sddmmTask[T]{ptr: x.indptr, idx: x.indices, vals: x.vals, a: w.data, b: ht.data, out: num.data, k: k, mu: backend.MUFor(beta)}
		im.pool.parallel(l, 16, t)
	} else {
		numT := &matrix[T]{rows: n, cols: k, data: im.buf("numT", n*k)}
		*t = sddmmTask[T]{ptr: x.colptr, idx: x.rowidx, vals: x.cvals, a: ht.data, b: w.data, out: numT.data, k: k, mu: backend.MUFor(beta)}
		im.pool.parallel(n, 16, t)
		transpose(num, numT)
	}
	if beta == 1 {
		return
	}
	pt := &im.blockW
	*pt = powBlockTask[T]{im: im, w: w, h: h, out: den, beta: beta, side: side, mode: modeDenominator}
	blocks := l
	if side == backend.SideH {
		blocks = n
	}
	im.prepareBlocks(side, l, n)
	im.pool.parallel((blocks+blockRows-1)/blockRows, 1, pt)
}

// sddmmTask: for each row i of the compressed matrix (X's rows in CSR, or
// its columns in CSC), out[i,:] = Σ_p R_p · b[idx[p],:] where R_p is the
// ratio at the nonzero p and V_p = a[i,:]·b[idx[p],:].
type sddmmTask[T backend.Float] struct {
	ptr, idx []int
	vals     []T
	a, b     []T // rows of length k
	out      []T
	k        int
	mu       backend.MU
}

func (t *sddmmTask[T]) run(_, lo, hi int) {
	k := t.k
	for i := lo; i < hi; i++ {
		o := t.out[i*k : i*k+k]
		clear(o)
		ai := t.a[i*k : i*k+k]
		for p := t.ptr[i]; p < t.ptr[i+1]; p++ {
			bj := t.b[t.idx[p]*k : t.idx[p]*k+k]
			var v T
			for r, ar := range ai {
				v += ar * bj[r]
			}
			rv := T(ratio(float64(t.vals[p]), float64(v), &t.mu))
			for r, br := range bj {
				o[r] += rv * br
			}
		}
	}
}
