package nmf

import "math"

// MaxRelDiff is max|a − b| / max|b| (max|a − b| when b is all zeros, +Inf
// when the lengths differ): how far apart two fits' factors are, e.g. a
// streamed and a resident fit's W.
func MaxRelDiff[T Float](a, b []T) float64 {
	if len(a) != len(b) {
		return math.Inf(1)
	}
	var d, m float64
	for i := range a {
		d = math.Max(d, math.Abs(float64(a[i])-float64(b[i])))
		m = math.Max(m, math.Abs(float64(b[i])))
	}
	if m == 0 {
		return d
	}
	return d / m
}
