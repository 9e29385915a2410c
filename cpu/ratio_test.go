package cpu

import (
	"math"
	"math/big"
	"math/rand/v2"
	"testing"

	"github.com/clnmf/clnmf/nmf/backend"
	"github.com/clnmf/clnmf/nmf/backend/backendtest"
)

// avx2Ratio is applyRatio with the AVX2 kernels (not the AVX-512 ones).
func avx2Ratio[T float32 | float64](x, v, u []T, beta float64) {
	applyRatio(x, v, u, beta, false)
}

// scalarRatio is applyRatio without the vector kernels.
func scalarRatio[T float32 | float64](x, v, u []T, beta float64) {
	saved := hasAVX2
	setAVX2(false)
	defer setAVX2(saved)
	applyRatio(x, v, u, beta, false)
}

func checkRatio[T float32 | float64](t *testing.T, name string) {
	r := rand.New(rand.NewPCG(3, 4))
	for _, beta := range []float64{1, 0, 1.5} {
		for _, n := range []int{0, 1, 3, 7, 8, 9, 16, 31, 100} {
			x := make([]T, n)
			v := make([]T, n)
			for i := range x {
				x[i] = T(r.Float64() * 3)
				switch r.IntN(5) {
				case 0:
					v[i] = 0
				case 1:
					v[i] = T(math.Copysign(0, -1))
				default:
					v[i] = T(r.ExpFloat64())
				}
			}
			v1, v2 := append([]T(nil), v...), append([]T(nil), v...)
			u1, u2 := make([]T, n), make([]T, n)
			avx2Ratio(x, v1, u1, beta)
			scalarRatio(x, v2, u2, beta)
			for i := range v1 {
				if v1[i] != v2[i] || (beta != 1 && u1[i] != u2[i]) {
					t.Fatalf("%s β=%v n=%d [%d]: v %v (scalar %v), u %v (scalar %v), from v=%v x=%v",
						name, beta, n, i, v1[i], v2[i], u1[i], u2[i], v[i], x[i])
				}
			}
		}
	}
}

// TestRatioKernels checks that the AVX2 kernels give bitwise the scalar
// loops' results, zeros of W·H included.
func TestRatioKernels(t *testing.T) {
	if !hasAVX2 {
		t.Skip("no AVX2 here")
	}
	checkRatio[float32](t, "float32")
	checkRatio[float64](t, "float64")
}

// ratioBounds are the largest errors, in units in the last place of the
// exact result (see ulpErr), TestRatioKernelsAVX512 accepts from the
// AVX-512 kernels, by β: of the ratio X ⊙ V^(β−2), and of the power
// U^(β−1) (β ≠ 1).
var ratioBounds = map[float64][2]float64{1: {1, 0}, 0: {3, 1}, 1.5: {3, 1}}

// TestRatioKernelsAVX512 checks the AVX-512 ratio kernels against exact
// arithmetic (math/big at 256 bits) on values of V and X from the
// subnormals to beyond the kernels' fast range and on zeros of both: each
// result within ratioBounds of the exact one rounded to float64 (for the
// float64 kernels that rounding adds up to 1/2 ulp) or bitwise the AVX2
// kernels' (where those underflow in X·(1/V)²), and bitwise the AVX2 result
// wherever that is NaN or infinite. It logs the largest errors of both.
func TestRatioKernelsAVX512(t *testing.T) {
	if !hasAVX512 {
		t.Skip("the ratio kernels do not use AVX-512 here")
	}
	checkRatioBounds[float32](t, 23, -149, 127)
	checkRatioBounds[float64](t, 52, -1074, 1023)
}

func checkRatioBounds[T float32 | float64](t *testing.T, mant, minExp, maxExp int) {
	r := rand.New(rand.NewPCG(7, 8))
	// value draws a float with a random exponent in [lo, hi] and a random
	// mantissa, or a special value.
	value := func(lo, hi int) T {
		switch r.IntN(40) {
		case 0:
			return 0
		case 1:
			return T(math.Copysign(0, -1))
		case 2:
			return T(math.Inf(1))
		case 3:
			return T(math.NaN())
		}
		return T(math.Ldexp(1+r.Float64(), lo+r.IntN(hi-lo+1)))
	}
	const n = 1 << 13
	for _, beta := range []float64{1, 0, 1.5} {
		for _, rng := range [][4]int{
			{-8, 8, -8, 8},                   // what NMF meets
			{minExp, maxExp, minExp, maxExp}, // everything
			{minExp, -100, -30, 30},          // tiny V
			{60, maxExp, -30, 30},            // huge V
			{-30, 30, minExp, -100},          // tiny X
		} {
			x, v := make([]T, n), make([]T, n)
			for i := range x {
				v[i], x[i] = value(rng[0], rng[1]), value(rng[2], rng[3])
			}
			v1, v2 := append([]T(nil), v...), append([]T(nil), v...)
			u1, u2 := make([]T, n), make([]T, n)
			applyRatio(x, v1, u1, beta, true)
			avx2Ratio(x, v2, u2, beta)
			var worst, worst2 [2]float64
			for i := range v {
				for j, c := range [][3]T{{v1[i], v2[i]}, {u1[i], u2[i]}} {
					if j == 1 && beta == 1 {
						continue
					}
					got, avx2 := float64(c[0]), float64(c[1])
					if math.IsNaN(avx2) || math.IsInf(avx2, 0) {
						if got != avx2 && !(math.IsNaN(got) && math.IsNaN(avx2)) {
							t.Fatalf("%T β=%v %s(x=%v, v=%v) = %v, AVX2 %v", c[0], beta, []string{"ratio", "power"}[j], x[i], v[i], got, avx2)
						}
						continue
					}
					xi := float64(x[i])
					if j == 1 {
						xi = 0 // the power does not depend on X, which may be NaN
					}
					rv, ru := exactRatio(xi, float64(v[i]), beta, float64(T(backend.Epsilon)))
					want := rv
					if j == 1 {
						want = ru
					}
					e, e2 := ulpErr(got, want, mant, minExp), ulpErr(avx2, want, mant, minExp)
					if got == avx2 && e > ratioBounds[beta][j] {
						continue // both underflow in X·(1/V)²
					}
					worst[j], worst2[j] = max(worst[j], e), max(worst2[j], e2)
					if e > ratioBounds[beta][j] {
						t.Fatalf("%T β=%v %s(x=%v, v=%v) = %v, exact %v: %.2f ulp (bound %v; AVX2 %v)", c[0], beta, []string{"ratio", "power"}[j], x[i], v[i], got, want, e, ratioBounds[beta][j], avx2)
					}
				}
			}
			t.Logf("%T β=%v V in 2^[%d, %d], X in 2^[%d, %d]: largest error in ulp, AVX-512 ratio %.2f power %.2f, AVX2 ratio %.2f power %.2f", v[0], beta, rng[0], rng[1], rng[2], rng[3], worst[0], worst[1], worst2[0], worst2[1])
		}
	}
}

// exactRatio is X ⊙ V^(β−2) and U^(β−1) (U = V; V's zeros replaced by
// eps, except in the power for β = 1.5) for β = 1, 0, 1.5, rounded once to
// float64 from 256-bit arithmetic.
func exactRatio(x, v, beta, eps float64) (ratio, power float64) {
	const prec = 256
	f := func(a float64) *big.Float { return new(big.Float).SetPrec(prec).SetFloat64(a) }
	vc := v
	if vc == 0 {
		vc = eps
	}
	switch beta {
	case 1:
		q, _ := new(big.Float).SetPrec(prec).Quo(f(x), f(vc)).Float64()
		return q, 0
	case 0:
		rv := new(big.Float).SetPrec(prec).Quo(f(1), f(vc))
		p, _ := rv.Float64()
		q, _ := new(big.Float).SetPrec(prec).Mul(f(x), new(big.Float).SetPrec(prec).Mul(rv, rv)).Float64()
		return q, p
	}
	s := new(big.Float).SetPrec(prec).Sqrt(f(vc))
	q, _ := new(big.Float).SetPrec(prec).Quo(f(x), s).Float64()
	p, _ := new(big.Float).SetPrec(prec).Sqrt(f(math.Abs(v))).Float64()
	return q, p
}

// ulpErr is |got − want| in units in the last place of want in a binary
// format with mant mantissa bits and minExp the exponent of its smallest
// subnormal.
func ulpErr(got, want float64, mant, minExp int) float64 {
	if got == want {
		return 0
	}
	_, e := math.Frexp(want) // want = f·2^e, 1/2 ≤ |f| < 1
	ulp := math.Ldexp(1, max(e-1-mant, minExp))
	return math.Abs(got-want) / ulp
}

// TestRatioKernelsOff checks that with the kernels off (Options.NoKernels)
// MUTerms for β = 1.5 is bitwise the pure-Go ratio loop (no AVX-512
// approximations): the same backend with the vector ratio kernels disabled.
func TestRatioKernelsOff(t *testing.T) {
	const l, n, k = 37, 141, 5
	r := rand.New(rand.NewPCG(7, 8))
	xs := backendtest.Uniform(r, backend.Float64, l, n, 0.1, 0)
	ws := backendtest.Uniform(r, backend.Float64, l, k, 0, 0)
	hs := backendtest.Uniform(r, backend.Float64, k, n, 0, 0)
	terms := func(p backend.Precision) [][]float64 {
		b, err := NewWith(Options{BLAS: BLASGo, Workers: 2, NoKernels: true})
		if err != nil {
			t.Fatal(err)
		}
		defer b.Close()
		d, err := b.NewData(backendtest.HostData(p, xs, l, n, false))
		if err != nil {
			t.Fatal(err)
		}
		w, h := backendtest.Put(t, b, p, l, k, ws), backendtest.Put(t, b, p, k, n, hs)
		var out [][]float64
		for _, side := range []backend.Side{backend.SideW, backend.SideH} {
			or, oc := l, k
			if side == backend.SideH {
				or, oc = k, n
			}
			num, den := backendtest.Put(t, b, p, or, oc, nil), backendtest.Put(t, b, p, or, oc, nil)
			if err := b.MUTerms(side, d, w, h, 1.5, num, den); err != nil {
				t.Fatal(err)
			}
			out = append(out, backendtest.Get(t, b, num), backendtest.Get(t, b, den))
		}
		return out
	}
	for _, p := range []backend.Precision{backend.Float32, backend.Float64} {
		got := terms(p)
		saved := hasAVX2
		setAVX2(false)
		want := terms(p)
		setAVX2(saved)
		for i := range got {
			for j := range got[i] {
				if got[i][j] != want[i][j] {
					t.Fatalf("%v output %d[%d]: kernels off %v, pure Go %v", p, i, j, got[i][j], want[i][j])
				}
			}
		}
	}
}
