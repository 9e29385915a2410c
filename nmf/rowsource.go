package nmf

import (
	"context"
	"errors"
)

// RowSource is X read by row ranges, for a minibatch fit that never holds X
// whole (a memory-mapped or streamed file). Rows(lo, hi) returns rows
// [lo, hi) as a *Dense[T] or *CSR[T] of hi−lo rows; the fit does not keep it
// after the step that asked for it, and validates it as it validates X.
type RowSource[T Float] interface {
	Dims() (rows, cols int)
	Rows(lo, hi int) (Matrix[T], error)
}

// Rows returns rows [lo, hi) of x without copying its values: a sub-slice of
// a dense X, or of a CSR X's Indices and Data with its Indptr rebased. The
// range must be within x.
func Rows[T Float](x Matrix[T], lo, hi int) Matrix[T] {
	switch m := any(x).(type) {
	case *Dense[T]:
		return &Dense[T]{Rows: hi - lo, Cols: m.Cols, Data: m.Data[lo*m.Cols : hi*m.Cols]}
	case *CSR[T]:
		a, b := m.Indptr[lo], m.Indptr[hi]
		ptr := make([]int, hi-lo+1)
		for i := range ptr {
			ptr[i] = m.Indptr[lo+i] - a
		}
		return &CSR[T]{Rows: hi - lo, Cols: m.Cols, Indptr: ptr, Indices: m.Indices[a:b], Data: m.Data[a:b]}
	}
	return nil
}

// batchSource is where a minibatch fit gets its batches: X in memory
// (checked once) or a RowSource (checked per batch).
type batchSource[T Float] interface {
	Dims() (rows, cols int)
	batch(lo, hi int) (Matrix[T], error)
}

type memorySource[T Float] struct{ x Matrix[T] }

func (s *memorySource[T]) Dims() (int, int) { return s.x.Dims() }
func (s *memorySource[T]) batch(lo, hi int) (Matrix[T], error) {
	return Rows(s.x, lo, hi), nil
}

// streamSource validates each batch a RowSource returns, and refuses zeros
// where β ≤ 0.
type streamSource[T Float] struct {
	src  RowSource[T]
	beta float64
}

func (s *streamSource[T]) Dims() (int, int) { return s.src.Dims() }

func (s *streamSource[T]) batch(lo, hi int) (Matrix[T], error) {
	m, err := s.src.Rows(lo, hi)
	if err != nil {
		return nil, inputErr("X", -1, -1, ErrInvalid, "reading rows %d to %d: %v", lo, hi, err)
	}
	if isNil(m) {
		return nil, inputErr("X", -1, -1, ErrInvalid, "rows %d to %d: the source returned no matrix", lo, hi)
	}
	_, n := s.src.Dims()
	if r, c := m.Dims(); r != hi-lo || c != n {
		return nil, inputErr("X", -1, -1, ErrShape, "rows %d to %d: the source returned %d×%d, want %d×%d", lo, hi, r, c, hi-lo, n)
	}
	hasZero, err := checkData("X", m)
	if err != nil {
		var ie *InputError
		if errors.As(err, &ie) && ie.Row >= 0 {
			ie.Row += lo
		}
		return nil, err
	}
	if s.beta <= 0 && hasZero {
		return nil, inputErr("X", -1, -1, ErrZeros, "rows %d to %d: β = %v is infinite where X is 0; use a loss with β > 0 or add a small offset to X", lo, hi, s.beta)
	}
	return m, nil
}

// sum returns the sum of X's entries, read in batches of bs rows.
func (s *streamSource[T]) sum(ctx context.Context, bs int) (float64, error) {
	l, _ := s.Dims()
	var sum float64
	for lo := 0; lo < l; lo += bs {
		if err := ctx.Err(); err != nil {
			return 0, err
		}
		m, err := s.batch(lo, min(lo+bs, l))
		if err != nil {
			return 0, err
		}
		for _, v := range m.Values() {
			sum += float64(v)
		}
	}
	return sum, nil
}
