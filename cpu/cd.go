package cpu

import (
	"fmt"
	"math"

	"github.com/clnmf/clnmf/nmf/backend"
)

// Coordinate descent: scikit-learn's _update_cdnmf_fast over rows of W.

func (im *impl[T]) cdSweep(w, hht, xht *matrix[T], l1, l2 float64, perm []int) float64 {
	k := w.cols
	if hht.rows != k || hht.cols != k || xht.rows != w.rows || xht.cols != k || len(perm) != k {
		panic(fmt.Sprintf("backend: cpu: CDSweep: W %d×%d, HHt %d×%d, XHt %d×%d, perm %d", w.rows, w.cols, hht.rows, hht.cols, xht.rows, xht.cols, len(perm)))
	}
	t := &im.cd
	*t = cdTask[T]{w: w.data, hht: hht.data, xht: xht.data, l1: T(l1), l2: T(l2), perm: perm, k: k, partial: im.partial, rows: im.buf("cdrows", k*im.pool.workers)}
	chunks := im.pool.chunks(w.rows, 64)
	im.pool.parallel(w.rows, 64, t)
	var v float64
	for c := 0; c < chunks; c++ {
		v += im.partial[4*c]
	}
	return v
}

// cdTask runs scikit-learn's _update_cdnmf_fast on a range of rows: rows are
// independent, so walking components outermost within the range gives the
// same numbers as the whole matrix at once.
type cdTask[T backend.Float] struct {
	w, hht, xht []T
	l1, l2      T
	perm        []int
	k           int
	partial     []float64
	rows        []T // per-chunk copies of a row of HHᵀ, k each
}

func (t *cdTask[T]) run(c, lo, hi int) {
	k := t.k
	// hr is row t of HHᵀ with l2 on the diagonal, as the sum adds it.
	hr := t.rows[c*k : c*k+k]
	var violation float64
	for _, tt := range t.perm {
		copy(hr, t.hht[tt*k:tt*k+k])
		hr[tt] += t.l2
		hess := t.hht[tt*k+tt] + t.l2
		i := lo
		// Four rows at a time: each row's sum runs in the same order as
		// scikit-learn's, the four chains interleaved to hide the latency
		// of the additions.
		for ; i+4 <= hi; i += 4 {
			w0 := t.w[i*k : i*k+k]
			w1 := t.w[(i+1)*k : (i+1)*k+k]
			w2 := t.w[(i+2)*k : (i+2)*k+k]
			w3 := t.w[(i+3)*k : (i+3)*k+k]
			w0, w1, w2, w3 = w0[:len(hr)], w1[:len(hr)], w2[:len(hr)], w3[:len(hr)]
			g0 := -(t.xht[i*k+tt] - t.l1)
			g1 := -(t.xht[(i+1)*k+tt] - t.l1)
			g2 := -(t.xht[(i+2)*k+tt] - t.l1)
			g3 := -(t.xht[(i+3)*k+tt] - t.l1)
			for r, hv := range hr {
				g0 += hv * w0[r]
				g1 += hv * w1[r]
				g2 += hv * w2[r]
				g3 += hv * w3[r]
			}
			violation += cdUpdate(w0, tt, g0, hess)
			violation += cdUpdate(w1, tt, g1, hess)
			violation += cdUpdate(w2, tt, g2, hess)
			violation += cdUpdate(w3, tt, g3, hess)
		}
		for ; i < hi; i++ {
			wi := t.w[i*k : i*k+k]
			wi = wi[:len(hr)]
			grad := -(t.xht[i*k+tt] - t.l1)
			for r, hv := range hr {
				grad += hv * wi[r]
			}
			violation += cdUpdate(wi, tt, grad, hess)
		}
	}
	t.partial[4*c] = violation
}

// cdUpdate projects the gradient of w[tt], steps, and returns |pg|.
func cdUpdate[T backend.Float](wi []T, tt int, grad, hess T) float64 {
	pg := grad
	if wi[tt] == 0 {
		pg = min(0, grad)
	}
	if hess != 0 {
		wi[tt] = max(wi[tt]-grad/hess, 0)
	}
	return math.Abs(float64(pg))
}
