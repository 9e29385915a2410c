package backendtest

// The reference operations: naive float64 code written straight from the
// contract of backend.Backend (scikit-learn 1.2's _nmf.py and
// _cdnmf_fast.pyx), shared by every backend's tests. Matrices are row-major
// []float64 with their dimensions alongside; inputs are expected already
// rounded to the precision under test (Round).

import (
	"math"

	"github.com/clnmf/clnmf/nmf/backend"
)

// pow is x**e with numpy's fast paths (exact or correctly rounded where
// math.Pow may not be).
func pow(x, e float64) float64 {
	switch e {
	case 2:
		return x * x
	case 1:
		return x
	case 0.5:
		return math.Sqrt(x)
	case -1:
		return 1 / x
	case 0:
		return 1
	}
	return math.Pow(x, e)
}

// Gemm returns op(a)·op(b) (m×n) for a (ar×ac) and b (br×bc), op
// transposing where ta, tb are true.
func Gemm(a []float64, ar, ac int, ta bool, b []float64, br, bc int, tb bool) (c []float64, m, n int) {
	m, k := ar, ac
	if ta {
		m, k = ac, ar
	}
	n = bc
	if tb {
		n = br
	}
	at := func(i, kk int) float64 {
		if ta {
			return a[kk*ac+i]
		}
		return a[i*ac+kk]
	}
	bt := func(kk, j int) float64 {
		if tb {
			return b[j*bc+kk]
		}
		return b[kk*bc+j]
	}
	c = make([]float64, m*n)
	for i := 0; i < m; i++ {
		for j := 0; j < n; j++ {
			var s float64
			for kk := 0; kk < k; kk++ {
				s += at(i, kk) * bt(kk, j)
			}
			c[i*n+j] = s
		}
	}
	return c, m, n
}

// MUTerms is Backend.MUTerms (scikit-learn's _multiplicative_update_w/_h
// before regularisation) for X (l×n, dense; zeros are X's zeros), W (l×k)
// and H (k×n): num and den are l×k for SideW, k×n for SideH.
func MUTerms(side backend.Side, x []float64, l, n, k int, w, h []float64, beta float64) (num, den []float64) {
	if beta == 2 {
		if side == backend.SideW {
			num, _, _ = Gemm(x, l, n, false, h, k, n, true)
			hht, _, _ := Gemm(h, k, n, false, h, k, n, true)
			den, _, _ = Gemm(w, l, k, false, hht, k, k, false)
		} else {
			num, _, _ = Gemm(w, l, k, true, x, l, n, false)
			wtw, _, _ := Gemm(w, l, k, true, w, l, k, false)
			den, _, _ = Gemm(wtw, k, k, false, h, k, n, false)
		}
		return num, den
	}
	r, u := ratioAndPower(x, w, h, l, n, k, beta)
	if side == backend.SideW {
		num, _, _ = Gemm(r, l, n, false, h, k, n, true)
		if beta == 1 {
			return num, klDenominator(side, w, h, l, n, k)
		}
		den, _, _ = Gemm(u, l, n, false, h, k, n, true)
		return num, den
	}
	num, _, _ = Gemm(w, l, k, true, r, l, n, false)
	if beta == 1 {
		return num, klDenominator(side, w, h, l, n, k)
	}
	den, _, _ = Gemm(w, l, k, true, u, l, n, false)
	return num, den
}

// ratioAndPower returns X ⊙ V^(β−2) and U^(β−1) for V = W·H with zeros
// replaced by Epsilon when β < 2, U likewise when β < 1.
func ratioAndPower(x, w, h []float64, l, n, k int, beta float64) (r, u []float64) {
	wh, _, _ := Gemm(w, l, k, false, h, k, n, false)
	r = make([]float64, l*n)
	u = make([]float64, l*n)
	for e, v := range wh {
		vv := v
		if beta < 2 && vv == 0 {
			vv = backend.Epsilon
		}
		switch beta {
		case 1:
			r[e] = x[e] / vv
		case 0:
			q := 1 / vv
			r[e] = q * q * x[e]
		default:
			r[e] = pow(vv, beta-2) * x[e]
		}
		uu := v
		if beta < 1 && uu == 0 {
			uu = backend.Epsilon
		}
		u[e] = pow(uu, beta-1)
	}
	return r, u
}

// klDenominator is the β = 1 denominator: side W, den[i][t] = Σ_j H[t][j];
// side H, den[t][j] = Σ_i W[i][t], a zero sum replaced by 1.
func klDenominator(side backend.Side, w, h []float64, l, n, k int) []float64 {
	if side == backend.SideW {
		den := make([]float64, l*k)
		for t := 0; t < k; t++ {
			var s float64
			for j := 0; j < n; j++ {
				s += h[t*n+j]
			}
			for i := 0; i < l; i++ {
				den[i*k+t] = s
			}
		}
		return den
	}
	den := make([]float64, k*n)
	for t := 0; t < k; t++ {
		var s float64
		for i := 0; i < l; i++ {
			s += w[i*k+t]
		}
		if s == 0 {
			s = 1
		}
		for j := 0; j < n; j++ {
			den[t*n+j] = s
		}
	}
	return den
}

// Divergence is scikit-learn's _beta_divergence(X, W, H, β) without the
// square root, for X (l×n; zeros are X's zeros, dense or sparse), with
// numpy's grouping of the sums.
func Divergence(x []float64, l, n, k int, w, h []float64, beta float64) float64 {
	wh, _, _ := Gemm(w, l, k, false, h, k, n, false)
	if beta == 2 {
		var s float64
		for e := range x {
			d := x[e] - wh[e]
			s += d * d
		}
		return s / 2
	}
	// The terms in X: entries above Epsilon, zeros of W·H there Epsilon.
	var xs, vs []float64
	for e := range x {
		if x[e] > backend.Epsilon {
			v := wh[e]
			if v == 0 {
				v = backend.Epsilon
			}
			xs = append(xs, x[e])
			vs = append(vs, v)
		}
	}
	switch beta {
	case 1:
		var sumWH, res, sumX float64
		for _, v := range wh {
			sumWH += v
		}
		for i := range xs {
			res += xs[i] * math.Log(xs[i]/vs[i])
			sumX += xs[i]
		}
		return res + sumWH - sumX
	case 0:
		var s, lg float64
		for i := range xs {
			d := xs[i] / vs[i]
			s += d
			lg += math.Log(d)
		}
		return s - float64(l*n) - lg
	}
	var sumWHb, sumXWH, sumXb float64
	for _, v := range wh {
		sumWHb += pow(v, beta)
	}
	for i := range xs {
		sumXWH += xs[i] * pow(vs[i], beta-1)
		sumXb += pow(xs[i], beta)
	}
	res := sumXb - beta*sumXWH + sumWHb*(beta-1)
	return res / (beta * (beta - 1))
}

// MUStep is Backend.MUStep: the regularised multiplicative step, entry by
// entry, returning the new m. l1, l2 and the sums into the denominator are
// rounded to p, as numpy forms them in the data's precision.
func MUStep(p backend.Precision, m, num, den []float64, l1, l2, gamma, flush float64) []float64 {
	rd := func(v float64) float64 { return round(p, v) }
	out := make([]float64, len(m))
	for e := range m {
		d := den[e]
		if l1 > 0 {
			d = rd(d + rd(l1))
		}
		if l2 > 0 {
			d = rd(d + rd(rd(l2)*m[e]))
		}
		if d == 0 {
			d = backend.Epsilon
		}
		r := num[e] / d
		if gamma != 1 {
			r = pow(r, gamma)
		}
		y := m[e] * r
		if flush > 0 && y < flush {
			y = 0
		}
		out[e] = y
	}
	return out
}

// CDSweep is Backend.CDSweep (scikit-learn's _update_cdnmf_fast, with l1
// and l2 folded in as _update_coordinate_descent does) on w (r×k) with hht
// (k×k) and xht (r×k), in the arithmetic of precision p and in
// scikit-learn's exact order. It returns the new w and the violation
// (summed in float64).
func CDSweep(p backend.Precision, w []float64, r, k int, hht, xht []float64, l1, l2 float64, perm []int) ([]float64, float64) {
	if p == backend.Float32 {
		w32 := cdSweep(to[float32](w), r, k, to[float32](hht), to[float32](xht), float32(l1), float32(l2), perm)
		out := make([]float64, len(w))
		for i, v := range w32.w {
			out[i] = float64(v)
		}
		return out, w32.violation
	}
	s := cdSweep(append([]float64(nil), w...), r, k, hht, xht, l1, l2, perm)
	return s.w, s.violation
}

type sweep[T backend.Float] struct {
	w         []T
	violation float64
}

func cdSweep[T backend.Float](w []T, r, k int, hht, xht []T, l1, l2 T, perm []int) sweep[T] {
	h := append([]T(nil), hht...)
	xh := append([]T(nil), xht...)
	for t := 0; t < k; t++ {
		h[t*k+t] += l2
	}
	for e := range xh {
		xh[e] -= l1
	}
	var viol float64
	for _, t := range perm {
		for i := 0; i < r; i++ {
			grad := -xh[i*k+t]
			for q := 0; q < k; q++ {
				grad += h[t*k+q] * w[i*k+q]
			}
			pg := grad
			if w[i*k+t] == 0 {
				pg = min(grad, 0)
			}
			viol += math.Abs(float64(pg))
			if hess := h[t*k+t]; hess != 0 {
				w[i*k+t] = max(w[i*k+t]-grad/hess, 0)
			}
		}
	}
	return sweep[T]{w, viol}
}

func to[T backend.Float](v []float64) []T {
	o := make([]T, len(v))
	for i, x := range v {
		o[i] = T(x)
	}
	return o
}
