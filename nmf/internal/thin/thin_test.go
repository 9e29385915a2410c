package thin

import (
	"math"
	"testing"
)

// References from scipy 1.10 (LAPACK through OpenBLAS):
// scipy.linalg.lu(a, permute_l=True)[0] and scipy.linalg.qr(a, mode="economic")[0].
var (
	tallA = []float64{1.789, 0.437, 0.096, -1.863, -0.277, -0.355, -0.083, -0.627, -1.789, -0.477, -1.314, 0.885, 0.881, 1.71, 0.05, -0.405, -0.545, -1.546, 0.982, -1.101, -1.185, -0.206, 1.486, 0.237}
	// Rows 0 and 2 tie on |a[i][0]|: the first is the pivot.
	tallPL = []float64{1.0, 0.0, 0.0, 0.0, -0.15483510340972612, -0.192224719756577, -0.04363659218402602, 0.486709888048715, -1.0, -0.026759474727515914, -0.7860451916111636, 1.0, 0.4924538848518726, 1.0, 0.0, 0.0, -0.3046394633873673, -0.9451931853834036, 0.6543156242057184, 0.289810377597961, -0.6623812185578536, 0.05583404040022543, 1.0, 0.0}
	tallQ  = []float64{-0.5978237056820788, -0.21891648044515313, -0.044679721898326634, -0.49526337326151904, 0.09256409529007034, -0.11329667514246493, -0.06689068666311776, -0.49614033289286885, 0.5978237056820788, 0.19842589268349925, -0.5327009227859223, -0.4333545791423935, -0.2944006063196822, 0.6579257907659734, 0.19691354754783869, -0.426959833727637, 0.18212069289923585, -0.6570741277207501, 0.2824368773760642, -0.34655378646382573, 0.39598719465246696, 0.18776007996618982, 0.768904123049184, -0.1355305994591175}
	wideA  = []float64{-1.024, -0.713, 0.625, -0.161, -0.769, -0.23, 0.745, 1.976, -1.244, -0.626, -0.804, -2.419, -0.924, -1.024, 1.124}
	widePL = []float64{1.0, 0.0, 0.0, 0.224609375, -0.48685158766343595, 1.0, 0.78515625, 1.0, 0.0}
	wideQ  = []float64{-0.7745378743855507, -0.4131280817550914, -0.4789741842810234, -0.17396846787956702, -0.588898696729087, 0.7892612350637898, -0.60813325293553, 0.6946391243344571, 0.3842530853720103}
)

func near(t *testing.T, what string, got, want []float64, tol float64) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%s: %d values, want %d", what, len(got), len(want))
	}
	for i := range want {
		if math.Abs(got[i]-want[i]) > tol {
			t.Fatalf("%s[%d] = %v, want %v", what, i, got[i], want[i])
		}
	}
}

func TestScipy(t *testing.T) {
	for _, c := range []struct {
		name    string
		a       []float64
		m, n, r int
		pl, q   []float64
	}{
		{"tall", tallA, 6, 4, 4, tallPL, tallQ},
		{"wide", wideA, 3, 5, 3, widePL, wideQ},
	} {
		pl, r := PermutedL(append([]float64(nil), c.a...), c.m, c.n)
		if r != c.r {
			t.Fatalf("%s: PermutedL gives %d columns, want %d", c.name, r, c.r)
		}
		near(t, c.name+" P·L", pl, c.pl, 1e-14)
		q, r := Q(append([]float64(nil), c.a...), c.m, c.n)
		if r != c.r {
			t.Fatalf("%s: Q gives %d columns, want %d", c.name, r, c.r)
		}
		near(t, c.name+" Q", q, c.q, 1e-14)

		a32 := make([]float32, len(c.a))
		for i, v := range c.a {
			a32[i] = float32(v)
		}
		q32, _ := Q(append([]float32(nil), a32...), c.m, c.n)
		near(t, c.name+" float32 Q", widen(q32), c.q, 1e-6)
		pl32, _ := PermutedL(a32, c.m, c.n)
		near(t, c.name+" float32 P·L", widen(pl32), c.pl, 1e-6)
	}
}

func widen(s []float32) []float64 {
	out := make([]float64, len(s))
	for i, v := range s {
		out[i] = float64(v)
	}
	return out
}

// TestRankDeficient: a zero column leaves LU's column and gives Q a unit
// column still orthogonal to the others.
func TestRankDeficient(t *testing.T) {
	a := []float64{1, 0, 2, 2, 0, 1, 3, 0, 5, 4, 0, 1}
	pl, _ := PermutedL(append([]float64(nil), a...), 4, 3)
	for _, v := range pl {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			t.Fatalf("P·L of a rank-deficient block: %v", pl)
		}
	}
	q, r := Q(append([]float64(nil), a...), 4, 3)
	for i := 0; i < r; i++ {
		for j := 0; j < r; j++ {
			var d float64
			for row := 0; row < 4; row++ {
				d += q[row*r+i] * q[row*r+j]
			}
			want := 0.0
			if i == j {
				want = 1
			}
			if math.Abs(d-want) > 1e-14 {
				t.Fatalf("QᵀQ[%d][%d] = %v", i, j, d)
			}
		}
	}
}
