package nmf

import (
	"context"
	"math"
)

// State is where a fit stands after NIter iterations: together with W and H
// at that point, everything the solver and its stopping rule need to go on
// exactly as the fit would have gone on had it never stopped. Result.State
// holds it; Resume goes on from it.
type State struct {
	// NIter is the number of iterations done.
	NIter int
	// ErrInit is the reconstruction error of the start (iteration 0): the
	// multiplicative update's stopping rule divides by it.
	ErrInit float64
	// ErrLast is the reconstruction error last computed, at the last
	// multiple of 10 up to NIter (ErrInit before iteration 10): the
	// multiplicative update's stopping rule compares the next one with it.
	ErrLast float64
	// ViolationInit is coordinate descent's projected-gradient violation of
	// iteration 1, which its stopping rule divides by; unused while NIter is
	// 0 and by the multiplicative update.
	ViolationInit float64
}

// Resume goes on with a fit from W and H after s.NIter iterations, as
// Result.W, Result.H and Result.State of a partial Fit give them: with the
// same X and options (opt.Init excepted: it is only reported in Params),
// the outcome is the very one
// the uninterrupted Fit would have given, bit for bit, whatever the
// tolerance and however often the fit was stopped and resumed.
//
// opt.MaxIter counts every iteration, those before s.NIter included, as do
// Result.NIter, the iteration numbers given to opt.Progress and the Trace,
// which holds only the points after s.NIter. W and H are never modified.
func Resume[T Float](ctx context.Context, x Matrix[T], w, h *Dense[T], s State, opt Options) (*Result[T], error) {
	hasZero, err := checkData("X", x)
	if err != nil {
		return nil, err
	}
	l, n := x.Dims()
	if w == nil || h == nil {
		return nil, inputErr("W", -1, -1, ErrInvalid, "missing W or H")
	}
	k := w.Cols
	if opt.Components != 0 && opt.Components != k {
		return nil, invalid("Components", "%d, but W has %d columns", opt.Components, k)
	}
	opt.Components = k
	_, lp, np, hasZero, err := wholeShape(x, opt, hasZero)
	if err != nil {
		return nil, err
	}
	p, err := resolveFor[T](lp, np, opt, hasZero)
	if err != nil {
		return nil, err
	}
	if _, err := checkValues("W", w, l, k); err != nil {
		return nil, err
	}
	if _, err := checkValues("H", h, k, n); err != nil {
		return nil, err
	}
	if err := s.check(p); err != nil {
		return nil, err
	}
	est := opt
	est.Init = InitCustom // the start is W and H: no initialisation to pay for
	if err := checkFitMemory(x, est); err != nil {
		return nil, err
	}
	res, err := run(ctx, x, opt, p, func(*problem) (*Dense[T], *Dense[T], error) { return w, h, nil }, true, true, &s)
	if res != nil {
		res.Warnings = append(startWarnings(p), res.Warnings...)
	}
	return res, err
}

// check refuses a state the fit p cannot have reached.
func (s State) check(p Params) error {
	if s.NIter < 0 || s.NIter > p.MaxIter {
		return invalid("State", "NIter %d; want 0 to MaxIter (%d)", s.NIter, p.MaxIter)
	}
	for _, v := range []struct {
		name string
		v    float64
	}{{"ErrInit", s.ErrInit}, {"ErrLast", s.ErrLast}, {"ViolationInit", s.ViolationInit}} {
		if !(v.v >= 0) || math.IsInf(v.v, 0) {
			return invalid("State", "%s %v; want a finite value ≥ 0", v.name, v.v)
		}
	}
	return nil
}
