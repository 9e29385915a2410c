package nmf

import (
	"errors"
	"fmt"
)

// Sentinel errors, for errors.Is. Every error Fit and Transform return for
// bad input is an *InputError wrapping one of them.
var (
	ErrInvalid   = errors.New("invalid parameter")            // an option out of its range
	ErrEmpty     = errors.New("empty matrix")                 // a dimension is zero
	ErrNegative  = errors.New("negative value")               // X, W0 or H0 has a negative entry
	ErrNotFinite = errors.New("NaN or infinite value")        // X, W0 or H0 has a NaN or ±Inf
	ErrShape     = errors.New("wrong shape")                  // W0, H0 or H do not fit X and k
	ErrPrecision = errors.New("precision differs from X's")   // a saved factor of another element type (the typed API rules it out in calls)
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
