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
// U^(β−1) into u (same length as v). fast allows the AVX-512 kernels (the
// caller's useKernels); without it the result is bitwise the scalar loops.
func applyRatio[T backend.Float](x, v, u []T, beta float64, fast bool) {
	x = x[:len(v)]
	if beta != 1 {
		u = u[:len(v)]
	}
	if hasAVX2 {
		done := ratioAVX(x, v, u, beta, fast && hasAVX512)
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

// The constants of the ratio kernels: Epsilon, 1, sqrt(Epsilon), then for
// the AVX-512 ones the bound hi of their fast path (V ≤ hi, |result| < hi),
// 1/2, the mask of all bits but the sign, and as bit patterns the integer 1
// and lo − 1, where lo bounds KL's X from below (X = 0 or |X| ≥ lo).
var (
	ratioConsts32 = [8]float32{backend.Epsilon, 1, float32(math.Sqrt(float64(float32(backend.Epsilon)))), 0x1p100, 0.5,
		math.Float32frombits(1<<31 - 1), math.Float32frombits(1), math.Float32frombits(math.Float32bits(0x1p-100) - 1)}
	ratioConsts64 = [8]float64{backend.Epsilon, 1, math.Sqrt(backend.Epsilon), 0x1p1000, 0.5,
		math.Float64frombits(1<<63 - 1), math.Float64frombits(1), math.Float64frombits(math.Float64bits(0x1p-1000) - 1)}
)

// ratioAVX runs the vector kernel for β, where there is one, over the
// longest prefix of whole vectors and returns its length (0 where there is
// none): the AVX-512 kernels where wide (within the error bounds
// TestRatioKernelsAVX512 checks), else the AVX2 ones (bitwise the scalar
// loops).
func ratioAVX[T backend.Float](x, v, u []T, beta float64, wide bool) int {
	if beta != 1 && beta != 0 && beta != 1.5 {
		return 0
	}
	switch vv := any(v).(type) {
	case []float32:
		lanes := 8
		if wide {
			lanes = 16
		}
		n := len(vv) / lanes * lanes
		if n == 0 {
			return 0
		}
		xx := any(x).([]float32)
		var up *float32
		if beta != 1 {
			up = &any(u).([]float32)[0]
		}
		kern := &ratioKernels32
		if wide {
			kern = &ratioKernels32x
		}
		kern[ratioIndex(beta)](&xx[0], &vv[0], up, n, &ratioConsts32[0])
		return n
	case []float64:
		lanes := 4
		if wide {
			lanes = 8
		}
		n := len(vv) / lanes * lanes
		if n == 0 {
			return 0
		}
		xx := any(x).([]float64)
		var up *float64
		if beta != 1 {
			up = &any(u).([]float64)[0]
		}
		kern := &ratioKernels64
		if wide {
			kern = &ratioKernels64x
		}
		kern[ratioIndex(beta)](&xx[0], &vv[0], up, n, &ratioConsts64[0])
		return n
	}
	return 0
}

// The vector kernels by ratioIndex: KL, IS, β = 1.5.
var (
	ratioKernels32  = [3]func(x, v, u *float32, n int, c *float32){ratioKL32, ratioIS32, ratio15F32}
	ratioKernels32x = [3]func(x, v, u *float32, n int, c *float32){ratioKL32x, ratioIS32x, ratio15F32x}
	ratioKernels64  = [3]func(x, v, u *float64, n int, c *float64){ratioKL64, ratioIS64, ratio15F64}
	ratioKernels64x = [3]func(x, v, u *float64, n int, c *float64){ratioKL64x, ratioIS64x, ratio15F64x}
)

// ratioIndex is the index of β's kernels: 0 for KL (β = 1), 1 for IS
// (β = 0), 2 for β = 1.5.
func ratioIndex(beta float64) int {
	switch beta {
	case 1:
		return 0
	case 0:
		return 1
	}
	return 2
}
