package nmf

import (
	"github.com/clnmf/clnmf/nmf/backend"
	"gonum.org/v1/gonum/mat"
)

// Float is the set of element types: float32 data is computed and returned
// in float32, float64 data in float64.
type Float = backend.Float

// Dense is a row-major matrix: element (i, j) is Data[i*Cols+j]. A *Dense
// of either precision is a gonum mat.Matrix (Dims, At, T), so gonum's
// functions read it directly (mat.DenseCopyOf, mat.Formatted, mat.Equal);
// FromMat, ToMat and Convert copy between the types.
type Dense[T Float] = backend.Dense[T]

// CSR is a compressed sparse row matrix; it is never densified.
type CSR[T Float] = backend.CSR[T]

// Matrix is the data matrix X: a *Dense[T] or a *CSR[T]. Type arguments of
// Fit and Transform are inferred from it.
type Matrix[T Float] interface {
	backend.HostData
	Values() []T
}

// FromMat copies a gonum matrix into a Dense[float64] (Convert it for
// float32).
func FromMat(m mat.Matrix) *Dense[float64] {
	r, c := m.Dims()
	d := &Dense[float64]{Rows: r, Cols: c, Data: make([]float64, r*c)}
	for i := 0; i < r; i++ {
		for j := 0; j < c; j++ {
			d.Data[i*c+j] = m.At(i, j)
		}
	}
	return d
}

// Convert returns d in element type U: float64 to float32 rounds, float32
// to float64 is exact. It always copies.
func Convert[U, T Float](d *Dense[T]) *Dense[U] {
	out := &Dense[U]{Rows: d.Rows, Cols: d.Cols, Data: make([]U, d.Rows*d.Cols)}
	for i, v := range d.Data[:d.Rows*d.Cols] {
		out.Data[i] = U(v)
	}
	return out
}

// ToMat returns a float64 Dense as a gonum matrix sharing its data, or a
// float32 one converted.
func ToMat[T Float](d *Dense[T]) *mat.Dense {
	if v, ok := any(d.Data).([]float64); ok {
		return mat.NewDense(d.Rows, d.Cols, v[:d.Rows*d.Cols])
	}
	return mat.NewDense(d.Rows, d.Cols, toFloat64(d.Data[:d.Rows*d.Cols]))
}

func toFloat64[T Float](s []T) []float64 {
	out := make([]float64, len(s))
	for i, v := range s {
		out[i] = float64(v)
	}
	return out
}

func fromFloat64[T Float](s []float64) []T {
	if v, ok := any(s).([]T); ok {
		return v
	}
	out := make([]T, len(s))
	for i, v := range s {
		out[i] = T(v)
	}
	return out
}

func precisionOf[T Float]() backend.Precision {
	var z T
	if _, ok := any(z).(float32); ok {
		return backend.Float32
	}
	return backend.Float64
}
