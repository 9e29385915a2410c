package backendtest

// Helpers every backend's tests share: seeded random operands, X as host
// data, and matrices put to and got from a backend.

import (
	"math/rand/v2"
	"testing"

	"github.com/clnmf/clnmf/nmf/backend"
)

func round(p backend.Precision, v float64) float64 {
	if p == backend.Float32 {
		return float64(float32(v))
	}
	return v
}

// Round rounds v to precision p in place and returns it.
func Round(p backend.Precision, v []float64) []float64 {
	for i, x := range v {
		v[i] = round(p, x)
	}
	return v
}

// Uniform returns rows×cols values drawn from [lo, lo+1), a share zeros of
// them exactly zero, rounded to p. Each entry draws twice from rng (zero
// or not, then the value), so that a sequence of calls is reproducible.
func Uniform(rng *rand.Rand, p backend.Precision, rows, cols int, lo, zeros float64) []float64 {
	v := make([]float64, rows*cols)
	for i := range v {
		if rng.Float64() >= zeros {
			v[i] = rng.Float64() + lo
		}
	}
	return Round(p, v)
}

// Factors returns random X (l×n), W (l×k) and H (k×n) in [0, 1), rounded
// to p, where X has zeros (half its entries, some where W·H is not zero
// and some where it is) and W·H has exact zeros: W's row 1 and H's column 2
// are zero, so that the Epsilon clamps run.
func Factors(rng *rand.Rand, p backend.Precision, l, n, k int) (x, w, h []float64) {
	x = Uniform(rng, p, l, n, 0, 0.5)
	w = Uniform(rng, p, l, k, 0, 0.1)
	h = Uniform(rng, p, k, n, 0, 0.1)
	if l > 1 {
		for t := 0; t < k; t++ {
			w[1*k+t] = 0
		}
	}
	if n > 2 {
		for t := 0; t < k; t++ {
			h[t*n+2] = 0
		}
	}
	return x, w, h
}

// HostData returns X (l×n, row-major) as host data of precision p: dense
// (X itself for Float64), or CSR with X's nonzeros and some explicitly
// stored zeros (at (i, j) with (i+j) mod 7 = 3), which the contract lets a
// backend drop or keep.
func HostData(p backend.Precision, x []float64, l, n int, sparse bool) backend.HostData {
	if !sparse {
		if p == backend.Float32 {
			return &backend.Dense[float32]{Rows: l, Cols: n, Data: to[float32](x)}
		}
		return &backend.Dense[float64]{Rows: l, Cols: n, Data: x}
	}
	ptr := []int{0}
	var idx []int
	var val []float64
	for i := 0; i < l; i++ {
		for j := 0; j < n; j++ {
			if v := x[i*n+j]; v != 0 || (i+j)%7 == 3 {
				idx = append(idx, j)
				val = append(val, v)
			}
		}
		ptr = append(ptr, len(val))
	}
	if p == backend.Float32 {
		return &backend.CSR[float32]{Rows: l, Cols: n, Indptr: ptr, Indices: idx, Data: to[float32](val)}
	}
	return &backend.CSR[float64]{Rows: l, Cols: n, Indptr: ptr, Indices: idx, Data: val}
}

// NewData makes X (l×n) available to b as HostData describes, failing t
// on an error.
func NewData(t testing.TB, b backend.Backend, p backend.Precision, x []float64, l, n int, sparse bool) backend.Data {
	t.Helper()
	d, err := b.NewData(HostData(p, x, l, n, sparse))
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// Put returns a new rows×cols matrix of precision p on b holding v (nil:
// zeros), failing t on an error.
func Put(t testing.TB, b backend.Backend, p backend.Precision, rows, cols int, v []float64) backend.Matrix {
	t.Helper()
	m, err := b.NewMatrix(p, rows, cols)
	if err != nil {
		t.Fatal(err)
	}
	if v != nil {
		if err := b.Write(m, backend.NewHost(p, rows, cols, v)); err != nil {
			t.Fatal(err)
		}
	}
	return m
}

// Get returns the values of m, failing t on an error.
func Get(t testing.TB, b backend.Backend, m backend.Matrix) []float64 {
	t.Helper()
	r, c := m.Dims()
	v := backend.NewHost(m.Precision(), r, c, nil)
	if err := b.Read(m, v); err != nil {
		t.Fatal(err)
	}
	return backend.Float64s(v)
}
