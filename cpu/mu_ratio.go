package cpu

import (
	"math"

	"github.com/clnmf/clnmf/nmf/backend"
)

// The ratio X ⊙ V^(β−2) and the power U^(β−1) of the multiplicative update,
// entry by entry (ratio, denPow) and over runs of W·H (applyRatio, with the
// AVX2 kernels of ratio_amd64.s).

// ratio is X ⊙ V^(β−2) for one entry, with V's zeros replaced by Epsilon
// where mu.ClampV (β < 2: scikit-learn's WH_safe_X).
func ratio(x, v float64, mu *backend.MU) float64 {
	if mu.ClampV && v == 0 {
		v = backend.Epsilon
	}
	switch mu.Mode {
	case backend.MUKL:
		return x / v
	case backend.MUIS:
		r := 1 / v
		return r * r * x
	}
	return pow(v, mu.RatioExp) * x
}

// denPow is U^(β−1) with U's zeros replaced by Epsilon where mu.ClampU
// (β < 1).
func denPow(u float64, mu *backend.MU) float64 {
	if mu.ClampU && u == 0 {
		u = backend.Epsilon
	}
	return pow(u, mu.DenExp)
}

// applyRatio turns v = W·H into X ⊙ V^(β−2) in place and, for β ≠ 1, writes
// U^(β−1) into u (same length as v).
func applyRatio[T backend.Float](x, v, u []T, beta float64) {
	x = x[:len(v)]
	if beta != 1 {
		u = u[:len(v)]
	}
	if hasAVX2 {
		done := ratioAVX(x, v, u, beta)
		x, v = x[done:], v[done:]
		if u != nil {
			u = u[done:]
		}
	}
	eps := T(backend.Epsilon)
	// One tight loop per β the solvers treat specially, in the precision of
	// the data as numpy computes them; other β go through pow.
	mode := backend.MUModeOf(beta)
	switch {
	case mode == backend.MUKL: // X / V
		for p, wh := range v {
			if wh == 0 {
				wh = eps
			}
			v[p] = x[p] / wh
		}
	case mode == backend.MUIS: // X · V^-2 and U^-1
		for p, wh := range v {
			if wh == 0 {
				wh = eps
			}
			r := 1 / wh
			u[p] = r
			v[p] = r * r * x[p]
		}
	case beta == 1.5: // X · V^-0.5 and U^0.5
		for p, wh := range v {
			s := T(math.Sqrt(float64(wh)))
			u[p] = s
			if wh == 0 {
				s = T(math.Sqrt(float64(eps)))
			}
			v[p] = 1 / s * x[p]
		}
	case beta == 3: // X · V and U²
		for p, wh := range v {
			u[p] = wh * wh
			v[p] = wh * x[p]
		}
	default:
		mu := backend.MUFor(beta)
		for p, wh := range v {
			u[p] = T(denPow(float64(wh), &mu))
			v[p] = T(ratio(float64(x[p]), float64(wh), &mu))
		}
	}
}

// The constants of the AVX2 ratio kernels: Epsilon, 1, sqrt(Epsilon).
var (
	ratioConsts32 = [3]float32{backend.Epsilon, 1, float32(math.Sqrt(float64(float32(backend.Epsilon))))}
	ratioConsts64 = [3]float64{backend.Epsilon, 1, math.Sqrt(backend.Epsilon)}
)

// ratioAVX runs the AVX2 kernel for β, where there is one, over the longest
// prefix of whole vectors and returns its length (0 where there is none).
func ratioAVX[T backend.Float](x, v, u []T, beta float64) int {
	if beta != 1 && beta != 0 && beta != 1.5 {
		return 0
	}
	switch vv := any(v).(type) {
	case []float32:
		n := len(vv) &^ 7
		if n == 0 {
			return 0
		}
		xx := any(x).([]float32)
		var up *float32
		if beta != 1 {
			up = &any(u).([]float32)[0]
		}
		switch beta {
		case 1:
			ratioKL32(&xx[0], &vv[0], up, n, &ratioConsts32[0])
		case 0:
			ratioIS32(&xx[0], &vv[0], up, n, &ratioConsts32[0])
		case 1.5:
			ratio15F32(&xx[0], &vv[0], up, n, &ratioConsts32[0])
		}
		return n
	case []float64:
		n := len(vv) &^ 3
		if n == 0 {
			return 0
		}
		xx := any(x).([]float64)
		var up *float64
		if beta != 1 {
			up = &any(u).([]float64)[0]
		}
		switch beta {
		case 1:
			ratioKL64(&xx[0], &vv[0], up, n, &ratioConsts64[0])
		case 0:
			ratioIS64(&xx[0], &vv[0], up, n, &ratioConsts64[0])
		case 1.5:
			ratio15F64(&xx[0], &vv[0], up, n, &ratioConsts64[0])
		}
		return n
	}
	return 0
}
