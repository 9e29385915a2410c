package cpu

import (
	"math"
	"math/rand/v2"
	"testing"
)

// scalarRatio is applyRatio without the vector kernels.
func scalarRatio[T float32 | float64](x, v, u []T, beta float64) {
	saved := hasAVX2
	setAVX2(false)
	defer setAVX2(saved)
	applyRatio(x, v, u, beta)
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
			applyRatio(x, v1, u1, beta)
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

// TestRatioKernels checks that the vector kernels give bitwise the scalar
// loops' results, zeros of W·H included.
func TestRatioKernels(t *testing.T) {
	if !hasAVX2 {
		t.Skip("no AVX2 here")
	}
	checkRatio[float32](t, "float32")
	checkRatio[float64](t, "float64")
}
