package nmf

import (
	"errors"
	"fmt"
	"math"

	"github.com/clnmf/clnmf/nmf/backend"
)

// Sentinel errors, for errors.Is. Every error Fit and Transform return for
// bad input is an *InputError wrapping one of them.
var (
	ErrInvalid   = errors.New("invalid parameter")            // an option out of its range
	ErrEmpty     = errors.New("empty matrix")                 // a dimension is zero
	ErrNegative  = errors.New("negative value")               // X, W0 or H0 has a negative entry
	ErrNotFinite = errors.New("NaN or infinite value")        // X, W0 or H0 has a NaN or ±Inf
	ErrShape     = errors.New("wrong shape")                  // W0, H0 or H do not fit X and k
	ErrPrecision = errors.New("precision differs from X's")   // W0, H0 or H of another element type
	ErrAllZero   = errors.New("matrix is all zero")           // W0 or H0 is all zero
	ErrZeros     = errors.New("zeros in X with β ≤ 0")        // the divergence is infinite there
	ErrMalformed = errors.New("malformed sparse matrix")      // CSR structure broken
	ErrDiverged  = errors.New("fit produced NaN or infinity") // numerical breakdown during the iterations
)

// InputError reports bad input: which argument, where in it, and what.
type InputError struct {
	Arg      string // "X", "W0", "H0", "H", or an option name such as "Tol"
	Row, Col int    // the offending entry, or -1
	Msg      string
	Err      error // one of the sentinels
}

func (e *InputError) Error() string {
	where := e.Arg
	if e.Row >= 0 && e.Col >= 0 {
		where = fmt.Sprintf("%s[%d,%d]", e.Arg, e.Row, e.Col)
	}
	if e.Msg == "" {
		return fmt.Sprintf("nmf: %s: %v", where, e.Err)
	}
	return fmt.Sprintf("nmf: %s: %v: %s", where, e.Err, e.Msg)
}

func (e *InputError) Unwrap() error { return e.Err }

func invalid(arg, format string, args ...any) error {
	return &InputError{Arg: arg, Row: -1, Col: -1, Msg: fmt.Sprintf(format, args...), Err: ErrInvalid}
}

func inputErr(arg string, row, col int, err error, format string, args ...any) error {
	return &InputError{Arg: arg, Row: row, Col: col, Msg: fmt.Sprintf(format, args...), Err: err}
}

// IterationError reports a fit that broke down numerically.
type IterationError struct {
	Iter int     // the iteration at which it was detected
	Step string  // what was being computed
	Err  error   // ErrDiverged
	Val  float64 // the offending value
}

func (e *IterationError) Error() string {
	return fmt.Sprintf("nmf: iteration %d: %s is %v: %v (try a smaller learning problem, float64, or another loss)", e.Iter, e.Step, e.Val, e.Err)
}

func (e *IterationError) Unwrap() error { return e.Err }

// checkData validates X: dimensions, CSR structure, finite and nonnegative
// entries. It reports whether X has a zero (implicit entries included).
func checkData[T Float](arg string, x Matrix[T]) (hasZero bool, err error) {
	if isNil(x) {
		return false, inputErr(arg, -1, -1, ErrInvalid, "missing (nil matrix)")
	}
	rows, cols := x.Dims()
	if rows <= 0 || cols <= 0 {
		return false, inputErr(arg, -1, -1, ErrEmpty, "%d×%d", rows, cols)
	}
	if rows > maxDim/cols {
		return false, inputErr(arg, -1, -1, ErrShape, "%d×%d has more entries than can be addressed", rows, cols)
	}
	switch m := any(x).(type) {
	case *Dense[T]:
		if len(m.Data) < rows*cols {
			return false, inputErr(arg, -1, -1, ErrShape, "%d×%d needs %d values, have %d", rows, cols, rows*cols, len(m.Data))
		}
		for p, v := range m.Data[:rows*cols] {
			if e := checkValue(arg, p/cols, p%cols, float64(v)); e != nil {
				return false, e
			}
			if v == 0 {
				hasZero = true
			}
		}
	case *CSR[T]:
		if len(m.Indptr) != rows+1 || m.Indptr[0] != 0 {
			return false, inputErr(arg, -1, -1, ErrMalformed, "Indptr has %d entries starting at %d, want %d starting at 0", len(m.Indptr), first(m.Indptr), rows+1)
		}
		nnz := m.Indptr[rows]
		if len(m.Indices) != nnz || len(m.Data) != nnz {
			return false, inputErr(arg, -1, -1, ErrMalformed, "Indptr ends at %d but there are %d indices and %d values", nnz, len(m.Indices), len(m.Data))
		}
		stored := 0
		for i := 0; i < rows; i++ {
			lo, hi := m.Indptr[i], m.Indptr[i+1]
			if hi < lo || hi > nnz {
				return false, inputErr(arg, i, -1, ErrMalformed, "row %d: Indptr decreases (%d to %d)", i, lo, hi)
			}
			for p := lo; p < hi; p++ {
				j := m.Indices[p]
				if j < 0 || j >= cols {
					return false, inputErr(arg, -1, -1, ErrMalformed, "row %d: column index %d out of range [0,%d)", i, j, cols)
				}
				if p > lo && j <= m.Indices[p-1] {
					return false, inputErr(arg, -1, -1, ErrMalformed, "row %d: column indices not strictly increasing (%d after %d)", i, j, m.Indices[p-1])
				}
				v := m.Data[p]
				if e := checkValue(arg, i, j, float64(v)); e != nil {
					return false, e
				}
				if v != 0 {
					stored++
				}
			}
		}
		hasZero = stored < rows*cols
	default:
		return false, inputErr(arg, -1, -1, ErrInvalid, "unsupported matrix type %T", x)
	}
	return hasZero, nil
}

// maxDim bounds the entries of any one matrix (and of W and H for any k ≤
// min(l, n)), so that sizes never overflow an int.
const maxDim = min(1<<50, math.MaxInt)

// isNil reports whether m is nil or a typed nil pointer.
func isNil(m any) bool {
	switch v := m.(type) {
	case nil:
		return true
	case *Dense[float32]:
		return v == nil
	case *Dense[float64]:
		return v == nil
	case *CSR[float32]:
		return v == nil
	case *CSR[float64]:
		return v == nil
	}
	return false
}

func first(s []int) int {
	if len(s) == 0 {
		return 0
	}
	return s[0]
}

func checkValue(arg string, i, j int, v float64) error {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return inputErr(arg, i, j, ErrNotFinite, "value %v", v)
	}
	if v < 0 {
		return inputErr(arg, i, j, ErrNegative, "value %v; NMF needs nonnegative data", v)
	}
	return nil
}

// checkFactor validates a custom W0, H0 or a fixed H: a dense matrix of X's
// element type and the given shape, finite, nonnegative, not all zero.
func checkFactor[T Float](arg string, m backend.HostData, rows, cols int) (*Dense[T], error) {
	if isNil(m) {
		return nil, inputErr(arg, -1, -1, ErrInvalid, "missing (init custom needs both W0 and H0)")
	}
	switch m.(type) {
	case *CSR[float32], *CSR[float64]:
		return nil, inputErr(arg, -1, -1, ErrInvalid, "must be a dense matrix, got a sparse one")
	}
	d, ok := m.(*Dense[T])
	if !ok {
		if _, isDense := m.(interface{ Values() []float32 }); isDense {
			return nil, inputErr(arg, -1, -1, ErrPrecision, "%s is float32, X is %v", arg, precisionOf[T]())
		}
		if _, isDense := m.(interface{ Values() []float64 }); isDense {
			return nil, inputErr(arg, -1, -1, ErrPrecision, "%s is float64, X is %v", arg, precisionOf[T]())
		}
		return nil, inputErr(arg, -1, -1, ErrInvalid, "must be a dense matrix, got %T", m)
	}
	if d.Rows != rows || d.Cols != cols {
		return nil, inputErr(arg, -1, -1, ErrShape, "is %d×%d, want %d×%d", d.Rows, d.Cols, rows, cols)
	}
	if len(d.Data) < rows*cols {
		return nil, inputErr(arg, -1, -1, ErrShape, "%d×%d needs %d values, have %d", rows, cols, rows*cols, len(d.Data))
	}
	var mx T
	for p, v := range d.Data[:rows*cols] {
		if e := checkValue(arg, p/cols, p%cols, float64(v)); e != nil {
			return nil, e
		}
		mx = max(mx, v)
	}
	if mx == 0 {
		return nil, inputErr(arg, -1, -1, ErrAllZero, "a multiplicative update can never move it")
	}
	return d, nil
}

func precisionOf[T Float]() backend.Precision {
	var z T
	if _, ok := any(z).(float32); ok {
		return backend.Float32
	}
	return backend.Float64
}
