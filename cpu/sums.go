package cpu

import "github.com/clnmf/clnmf/nmf/backend"

// Sums returns Σ m and Σ m², summed in float64 in element order (see
// backend.Backend).
func (b *Backend) Sums(m backend.Matrix) (sum, sumSq float64, err error) {
	switch mm := m.(type) {
	case *matrix[float64]:
		sum, sumSq = sums(mm.data)
	case *matrix[float32]:
		sum, sumSq = sums(mm.data)
	default:
		panic(foreign("Sums", m))
	}
	return sum, sumSq, nil
}

func sums[T backend.Float](v []T) (s, s2 float64) {
	for _, x := range v {
		s += float64(x)
		s2 += float64(x) * float64(x)
	}
	return s, s2
}
