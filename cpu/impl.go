package cpu

import (
	"fmt"
	"slices"

	"github.com/clnmf/clnmf/nmf/backend"
)

// impl holds one precision's operations and their buffers; the operations
// are in files by what they compute: mul.go (products), mu*.go (the
// multiplicative update), cd.go (coordinate descent), divergence.go.

// impl holds the operations and buffers of one precision.
type impl[T backend.Float] struct {
	g     gemmer[T]   // for calls outside parallel regions
	slots []gemmer[T] // slots[c] for chunk c of a parallel region
	pool  *pool
	bytes int64 // held in matrices and scratch

	scratch map[string][]T

	// Long-lived task values: dispatching them allocates nothing.
	fused     fusedTask[T]
	frob      frobTask[T]
	pass      passTask[T]
	passSum   passSumTask[T]
	kern      kernTask[T]
	packer    packTask[T]
	mulRows   mulTask[T]
	noKernels bool // Options.NoKernels
	threads   threadControl
	step      stepTask[T]
	sddmm     sddmmTask[T]
	blockW    powBlockTask[T]
	divD      divDenseTask[T]
	divS      divSparseTask[T]
	cd        cdTask[T]
	spmm      spmmTask[T]
	partial   []float64 // per-chunk partial sums, 4 per chunk
	blockSums []float64 // per-chunk sums of the block tasks
}

func newImpl[T backend.Float](p *pool, lib BLAS) *impl[T] {
	im := &impl[T]{pool: p, scratch: map[string][]T{}}
	for c := 0; c < p.workers; c++ {
		if lib == BLASOpenBLAS {
			var z T
			fn := openblas.dgemm
			if _, ok := any(z).(float32); ok {
				fn = openblas.sgemm
			}
			// Each slot has its own argument block: concurrent calls
			// must not share one.
			im.slots = append(im.slots, openBLAS[T]{fn: fn, args: new(gemmArgs[T])})
		} else {
			im.slots = append(im.slots, goBLAS[T]{})
		}
	}
	im.g = im.slots[0]
	im.threads = newThreadControl(lib)
	im.partial = make([]float64, 4*p.workers)
	im.blockSums = make([]float64, p.workers)
	return im
}

func (im *impl[T]) release() {
	im.scratch = map[string][]T{}
	im.bytes = 0
}

func (im *impl[T]) newMatrix(rows, cols int) (*matrix[T], error) {
	n := rows * cols
	if rows != 0 && n/rows != cols {
		return nil, fmt.Errorf("cpu: NewMatrix: %d×%d overflows", rows, cols)
	}
	var z T
	im.bytes += int64(n) * int64(sizeof(z))
	return &matrix[T]{rows: rows, cols: cols, data: make([]T, n)}, nil
}

func sizeof[T backend.Float](T) int {
	var z T
	if _, ok := any(z).(float32); ok {
		return 4
	}
	return 8
}

// buf returns the scratch buffer called name with at least n elements,
// allocating it on first use (or when a larger one is needed).
func (im *impl[T]) buf(name string, n int) []T {
	s := im.scratch[name]
	if cap(s) < n {
		var z T
		im.bytes += int64(n-cap(s)) * int64(sizeof(z))
		s = make([]T, n)
		im.scratch[name] = s
	}
	return s[:n]
}

func (im *impl[T]) sparseData(x *backend.CSR[T]) *data[T] {
	d := &data[T]{rows: x.Rows, cols: x.Cols}
	nnz := 0
	for _, v := range x.Data {
		if v != 0 {
			nnz++
		}
	}
	d.indptr = make([]int, x.Rows+1)
	d.indices = make([]int, 0, nnz)
	d.vals = make([]T, 0, nnz)
	for i := 0; i < x.Rows; i++ {
		for p := x.Indptr[i]; p < x.Indptr[i+1]; p++ {
			if x.Data[p] != 0 {
				d.indices = append(d.indices, x.Indices[p])
				d.vals = append(d.vals, x.Data[p])
			}
		}
		d.indptr[i+1] = len(d.indices)
	}
	// CSC by counting sort; rows within a column come out increasing.
	d.colptr = make([]int, x.Cols+1)
	for _, j := range d.indices {
		d.colptr[j+1]++
	}
	for j := 0; j < x.Cols; j++ {
		d.colptr[j+1] += d.colptr[j]
	}
	next := slices.Clone(d.colptr[:x.Cols])
	d.rowidx = make([]int, len(d.indices))
	d.cvals = make([]T, len(d.indices))
	for i := 0; i < x.Rows; i++ {
		for p := d.indptr[i]; p < d.indptr[i+1]; p++ {
			j := d.indices[p]
			d.rowidx[next[j]] = i
			d.cvals[next[j]] = d.vals[p]
			next[j]++
		}
	}
	return d
}
