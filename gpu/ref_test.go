package gpu

// Naive float64 references, written from scikit-learn 1.2's _nmf.py and
// _cdnmf_fast.pyx (the contract in nmf/backend), for the kernels to be
// checked against. Inputs are rounded to the precision under test first.

import (
	"math"

	"github.com/clnmf/clnmf/nmf/backend"
)

const eps32 = backend.Epsilon

// refPow is x**e with numpy's fast paths.
func refPow(x, e float64) float64 {
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

// refGemm returns op(A)·op(B) for A (ar×ac) and B (br×bc), row-major.
func refGemm(a []float64, ar, ac int, ta bool, b []float64, br, bc int, tb bool) (c []float64, m, n int) {
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

// refMUTerms is _multiplicative_update_w/_h before regularisation, for
// dense X (l×n), W (l×k), H (k×n).
func refMUTerms(side backend.Side, x []float64, l, n, k int, w, h []float64, beta float64) (num, den []float64) {
	wh, _, _ := refGemm(w, l, k, false, h, k, n, false)
	if beta == 2 {
		if side == backend.SideW {
			num, _, _ = refGemm(x, l, n, false, h, k, n, true)
			hht, _, _ := refGemm(h, k, n, false, h, k, n, true)
			den, _, _ = refGemm(w, l, k, false, hht, k, k, false)
		} else {
			num, _, _ = refGemm(w, l, k, true, x, l, n, false)
			wtw, _, _ := refGemm(w, l, k, true, w, l, k, false)
			den, _, _ = refGemm(wtw, k, k, false, h, k, n, false)
		}
		return num, den
	}
	r := make([]float64, l*n)
	u := make([]float64, l*n)
	for e, v := range wh {
		vv := v
		if beta < 2 && vv == 0 {
			vv = eps32
		}
		switch beta {
		case 1:
			r[e] = x[e] / vv
		case 0:
			q := 1 / vv
			r[e] = q * q * x[e]
		default:
			r[e] = refPow(vv, beta-2) * x[e]
		}
		uu := v
		if beta < 1 && uu == 0 {
			uu = eps32
		}
		u[e] = refPow(uu, beta-1)
	}
	if side == backend.SideW {
		num, _, _ = refGemm(r, l, n, false, h, k, n, true)
		if beta == 1 {
			den = make([]float64, l*k)
			for t := 0; t < k; t++ {
				var s float64
				for j := 0; j < n; j++ {
					s += h[t*n+j]
				}
				for i := 0; i < l; i++ {
					den[i*k+t] = s
				}
			}
		} else {
			den, _, _ = refGemm(u, l, n, false, h, k, n, true)
		}
		return num, den
	}
	num, _, _ = refGemm(w, l, k, true, r, l, n, false)
	if beta == 1 {
		den = make([]float64, k*n)
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
	} else {
		den, _, _ = refGemm(w, l, k, true, u, l, n, false)
	}
	return num, den
}

// refDivergence is _beta_divergence(X, W, H, β) for dense X, without the
// square root, with numpy's grouping of the sums.
func refDivergence(x []float64, l, n, k int, w, h []float64, beta float64) float64 {
	wh, _, _ := refGemm(w, l, k, false, h, k, n, false)
	if beta == 2 {
		var s float64
		for e := range x {
			d := x[e] - wh[e]
			s += d * d
		}
		return s / 2
	}
	var xs, vs []float64
	for e := range x {
		if x[e] > eps32 {
			v := wh[e]
			if v == 0 {
				v = eps32
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
		sumWHb += refPow(v, beta)
	}
	for i := range xs {
		sumXWH += xs[i] * refPow(vs[i], beta-1)
		sumXb += refPow(xs[i], beta)
	}
	res := sumXb - beta*sumXWH + sumWHb*(beta-1)
	return res / (beta * (beta - 1))
}

// refMUStep is the regularised multiplicative step.
func refMUStep(m, num, den []float64, l1, l2, gamma, flush float64) []float64 {
	out := make([]float64, len(m))
	for e := range m {
		d := den[e]
		if l1 > 0 {
			d += l1
		}
		if l2 > 0 {
			d += l2 * m[e]
		}
		if d == 0 {
			d = eps32
		}
		r := num[e] / d
		if gamma != 1 {
			r = refPow(r, gamma)
		}
		y := m[e] * r
		if flush > 0 && y < flush {
			y = 0
		}
		out[e] = y
	}
	return out
}

// refCD is _update_cdnmf_fast in the arithmetic of T, in its exact order,
// with l1 and l2 folded in as _update_coordinate_descent does. It updates w
// and returns the violation.
func refCD[T float32 | float64](w []T, r, k int, hht, xht []T, l1, l2 T, perm []int) float64 {
	h := append([]T(nil), hht...)
	xh := append([]T(nil), xht...)
	for t := 0; t < k; t++ {
		h[t*k+t] += l2
	}
	for e := range xh {
		xh[e] -= l1
	}
	var viol T
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
			if pg < 0 {
				viol -= pg
			} else {
				viol += pg
			}
			if hess := h[t*k+t]; hess != 0 {
				w[i*k+t] = max(w[i*k+t]-grad/hess, 0)
			}
		}
	}
	return float64(viol)
}
