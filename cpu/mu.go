package cpu

import (
	"fmt"
	"math"
	"unsafe"

	"github.com/clnmf/clnmf/nmf/backend"
)

// The multiplicative update. MUTerms picks one path by β and X:
//
//	β = 2:            mu_frobenius.go  X·Hᵀ and W·(H·Hᵀ), or Wᵀ·X and (WᵀW)·H
//	                  mu_pass.go       W's update and H's terms in one pass over
//	                                   dense X (backend.FrobeniusPass)
//	β ≠ 2, dense X:   mu_kernels.go    fused blocks on the micro-kernels
//	                  mu_dense.go      the same through the BLAS (kernels off)
//	β ≠ 2, sparse X:  mu_sparse.go     the ratio at X's nonzeros only
//
// The ratio X ⊙ V^(β−2) and the power U^(β−1) are formed in mu_ratio.go for
// every path; how β sets them (mode, clamps, γ, flushes) is backend.MUFor.
// MUStep (this file) applies the update.

func (im *impl[T]) muTerms(side backend.Side, x *data[T], w, h *matrix[T], beta float64, num, den *matrix[T]) {
	l, n := x.rows, x.cols
	k := w.cols
	if w.rows != l || h.rows != k || h.cols != n {
		panic(fmt.Sprintf("backend: cpu: MUTerms: X %d×%d, W %d×%d, H %d×%d", l, n, w.rows, w.cols, h.rows, h.cols))
	}
	or, oc := l, k
	if side == backend.SideH {
		or, oc = k, n
	}
	if num.rows != or || num.cols != oc || den.rows != or || den.cols != oc {
		panic(fmt.Sprintf("backend: cpu: MUTerms: num %d×%d, den %d×%d, want %d×%d", num.rows, num.cols, den.rows, den.cols, or, oc))
	}
	if beta == 2 {
		im.muTermsFrobenius(side, x, w, h, num, den)
		return
	}
	if x.Sparse() {
		im.muTermsSparse(side, x, w, h, beta, num, den)
	} else {
		im.muTermsDense(side, x, w, h, beta, num, den)
	}
	if beta == 1 {
		broadcastSums(side, w, h, den)
	}
}

// broadcastSums fills den for β = 1: side W, den[i][t] = Σ_j H[t][j];
// side H, den[t][j] = Σ_i W[i][t] with a zero sum replaced by 1.
func broadcastSums[T backend.Float](side backend.Side, w, h, den *matrix[T]) {
	k := w.cols
	if side == backend.SideW {
		n := h.cols
		for t := 0; t < k; t++ {
			var s T
			for _, v := range h.data[t*n : t*n+n] {
				s += v
			}
			for i := 0; i < den.rows; i++ {
				den.data[i*k+t] = s
			}
		}
		return
	}
	n := den.cols
	for t := 0; t < k; t++ {
		var s T
		for i := 0; i < w.rows; i++ {
			s += w.data[i*k+t]
		}
		if s == 0 {
			s = 1
		}
		row := den.data[t*n : t*n+n]
		for j := range row {
			row[j] = s
		}
	}
}

func (im *impl[T]) muStep(m, num, den *matrix[T], l1, l2, gamma, flush float64) {
	if len(num.data) != len(m.data) || len(den.data) != len(m.data) {
		panic("backend: cpu: MUStep: operands of different sizes")
	}
	t := &im.step
	*t = stepTask[T]{m: m.data, num: num.data, den: den.data, l1: T(l1), l2: T(l2), gamma: gamma, flush: flush}
	im.pool.parallel(len(m.data), 4096, t)
}

type stepTask[T backend.Float] struct {
	m, num, den []T
	l1, l2      T
	gamma       float64
	flush       float64
}

func (t *stepTask[T]) run(_, lo, hi int) {
	if hasAVX2 && t.l2 == 0 && (t.gamma == 1 || t.gamma == 0.5) && t.flush == 0 {
		lo += stepAVX(t.m[lo:hi], t.num[lo:hi], t.den[lo:hi], t.l1, t.gamma == 0.5)
	}
	for p := lo; p < hi; p++ {
		d := t.den[p]
		if t.l1 > 0 {
			d += t.l1
		}
		if t.l2 > 0 {
			d = d + t.l2*t.m[p]
		}
		if d == 0 {
			d = backend.Epsilon
		}
		delta := t.num[p] / d
		if t.gamma != 1 {
			delta = T(math.Pow(float64(delta), t.gamma))
		}
		v := t.m[p] * delta
		if t.flush > 0 && float64(v) < t.flush {
			v = 0
		}
		t.m[p] = v
	}
}

// stepAVX runs the AVX2 step kernel (m = m·num/d, d = den + l1, Epsilon
// where d is 0; m = m·√(num/d) where sqrt, γ = 1/2) over the longest
// prefix of whole vectors of m and returns its length. Lane by lane it
// performs the scalar loop's operations (adding l1 = 0 changes no d but −0,
// which is then 0 either way), so results are bitwise the same; for sqrt
// only with nonnegative num and den, as the MU terms are: the scalar
// math.Pow(q, 0.5) gives +0 at q = −0 and +Inf at q = −Inf, where the
// vector square root gives −0 and NaN.
func stepAVX[T backend.Float](m, num, den []T, l1 T, sqrt bool) int {
	var z T
	w := 32 / int(unsafe.Sizeof(z))
	n := len(m) &^ (w - 1)
	if n == 0 {
		return 0
	}
	num, den = num[:n], den[:n]
	c := [2]T{l1, T(backend.Epsilon)}
	mp, np, dp, cp := unsafe.Pointer(&m[0]), unsafe.Pointer(&num[0]), unsafe.Pointer(&den[0]), unsafe.Pointer(&c[0])
	switch {
	case w == 8 && sqrt:
		stepSqrt32((*float32)(mp), (*float32)(np), (*float32)(dp), n, (*float32)(cp))
	case w == 8:
		step32((*float32)(mp), (*float32)(np), (*float32)(dp), n, (*float32)(cp))
	case sqrt:
		stepSqrt64((*float64)(mp), (*float64)(np), (*float64)(dp), n, (*float64)(cp))
	default:
		step64((*float64)(mp), (*float64)(np), (*float64)(dp), n, (*float64)(cp))
	}
	return n
}
