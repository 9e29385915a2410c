package cpu

import "github.com/clnmf/clnmf/nmf/backend"

// W·H for sparse X, formed a block of rows or columns at a time in
// per-worker scratch: the denominator of the multiplicative update
// (mu_sparse.go) and Σ (W·H)^β of the divergence (divergence.go).

const blockRows = 32 // rows (or columns) of W·H formed at a time for sparse X

// prepareBlocks allocates the per-chunk scratch the block tasks use.
func (im *impl[T]) prepareBlocks(side backend.Side, l, n int) {
	size := blockRows * n
	if side == backend.SideH {
		size = l * blockRows
	}
	all := im.buf("blocks", size*im.pool.workers)
	im.blockW.scratch = all
	im.blockW.size = size
}

type blockMode int

const (
	modeDenominator blockMode = iota // out = U^(β−1)·Hᵀ or Wᵀ·U^(β−1)
	modeSumPow                       // partial sums of (W·H)^β
)

// powBlockTask forms W·H blockRows rows (side W) or columns (side H) at a
// time in per-chunk scratch.
type powBlockTask[T backend.Float] struct {
	im      *impl[T]
	w, h    *matrix[T]
	out     *matrix[T]
	beta    float64
	side    backend.Side
	mode    blockMode
	scratch []T
	size    int
	sums    []float64 // per-chunk Σ (W·H)^β in modeSumPow
}

func (t *powBlockTask[T]) run(c, lo, hi int) {
	w, h := t.w, t.h
	l, k, n := w.rows, w.cols, h.cols
	s := t.scratch[c*t.size : (c+1)*t.size]
	mu := backend.MUFor(t.beta)
	var sum float64
	for b := lo; b < hi; b++ {
		if t.side == backend.SideW {
			r0, r1 := b*blockRows, min((b+1)*blockRows, l)
			m := r1 - r0
			blk := s[:m*n]
			t.im.slots[c].gemm(false, false, m, n, k, 1, w.data[r0*k:], max(k, 1), h.data, max(n, 1), 0, blk, max(n, 1))
			if t.mode == modeSumPow {
				sum += sumPow(blk, t.beta)
				continue
			}
			denPowInPlace(blk, &mu)
			t.im.slots[c].gemm(false, true, m, k, n, 1, blk, max(n, 1), h.data, max(n, 1), 0, t.out.data[r0*k:], max(k, 1))
		} else {
			c0, c1 := b*blockRows, min((b+1)*blockRows, n)
			m := c1 - c0
			blk := s[:l*m]
			t.im.slots[c].gemm(false, false, l, m, k, 1, w.data, max(k, 1), h.data[c0:], max(n, 1), 0, blk, max(m, 1))
			if t.mode == modeSumPow {
				sum += sumPow(blk, t.beta)
				continue
			}
			denPowInPlace(blk, &mu)
			t.im.slots[c].gemm(true, false, k, m, l, 1, w.data, max(k, 1), blk, max(m, 1), 0, t.out.data[c0:], max(n, 1))
		}
	}
	if t.mode == modeSumPow {
		t.sums[c] = sum
	}
}

// denPowInPlace replaces each entry u of blk by denPow(u).
func denPowInPlace[T backend.Float](blk []T, mu *backend.MU) {
	for p, v := range blk {
		blk[p] = T(denPow(float64(v), mu))
	}
}

func sumPow[T backend.Float](blk []T, beta float64) float64 {
	var s float64
	for _, v := range blk {
		s += pow(float64(v), beta)
	}
	return s
}
