package nmf

import (
	"context"
	"fmt"
	"time"

	"github.com/clnmf/clnmf/nmf/backend"
)

// Fit factorises X ≈ W·H as scikit-learn's NMF.fit_transform does, on the
// device opt.Device (or opt.Backend). X is never modified, nor are W0 and
// H0.
//
// Multiplicative update: every 10 iterations the error sqrt(2·D_β) is
// computed, and the fit stops when (previous − current)/initial < Tol.
// Coordinate descent: it stops when the projected-gradient violation of an
// iteration is at most Tol times that of the first.
//
// Bad input returns an *InputError (errors.Is the sentinels). If ctx is
// cancelled, Fit stops at the end of the current iteration and returns the
// state reached (Result.Partial, NIter the iterations done) together with an
// error wrapping ctx.Err().
func Fit[T Float](ctx context.Context, x Matrix[T], opt Options) (*Result[T], error) {
	hasZero, err := checkData("X", x)
	if err != nil {
		return nil, err
	}
	l, n := x.Dims()
	p, err := resolveFor[T](l, n, opt, hasZero)
	if err != nil {
		return nil, err
	}
	init := func(pr *problem) (*Dense[T], *Dense[T], error) { return start(pr, x) }
	if p.Init == InitCustom {
		w0, h0, err := customStart[T](opt, l, n, p.Components)
		if err != nil {
			return nil, err
		}
		init = func(*problem) (*Dense[T], *Dense[T], error) { return w0, h0, nil }
	}
	res, err := run(ctx, x, opt, p, init, true, nil)
	if res != nil {
		res.Warnings = append(startWarnings(p), res.Warnings...)
	}
	return res, err
}

// startWarnings are the warnings about the start of a fit.
func startWarnings(p Params) []Warning {
	if p.Solver == MU && p.Init == InitNNDSVD {
		return []Warning{{"mu_nndsvd_zeros", "the multiplicative update cannot update zeros present in the initialization, and so leads to poorer results when used jointly with init nndsvd; you may try nndsvda or nndsvdar instead"}}
	}
	return nil
}

// startFactors returns the start of a fit of X outside Fit (MiniBatchNMF):
// W0 and H0 checked (InitCustom), or computed from X by the init of p, the
// randomized SVD on a backend opened from opt for it.
func startFactors[T Float](x Matrix[T], opt Options, p Params) (w0, h0 *Dense[T], err error) {
	l, n := x.Dims()
	if p.Init == InitCustom {
		return customStart[T](opt, l, n, p.Components)
	}
	pr := &problem{prec: precisionOf[T](), l: l, n: n, k: p.Components, p: p}
	if p.Init != InitRandom && p.SVD != SVDExact {
		b, _, err := openBackend(opt, pr.prec)
		if err != nil {
			return nil, nil, err
		}
		defer b.Close()
		if pr.x, err = b.NewData(x); err != nil {
			return nil, nil, fmt.Errorf("nmf: %s: loading X: %w", b.Name(), err)
		}
		pr.b = b
	}
	return start(pr, x)
}

// customStart checks opt.W0 (l×k) and opt.H0 (k×n) and returns them.
func customStart[T Float](opt Options, l, n, k int) (w0, h0 *Dense[T], err error) {
	if w0, err = checkFactor[T]("W0", opt.W0, l, k); err != nil {
		return nil, nil, err
	}
	if h0, err = checkFactor[T]("H0", opt.H0, k, n); err != nil {
		return nil, nil, err
	}
	return w0, h0, nil
}

// Transform solves for W with H (k×n) held fixed, as scikit-learn's
// NMF.transform: W starts at sqrt(mean(X)/k) for the multiplicative update
// and at zero for coordinate descent, and the solver, loss, penalties,
// MaxIter and Tol are those of opt. Result.H is a copy of h.
func Transform[T Float](ctx context.Context, x Matrix[T], h *Dense[T], opt Options) (*Result[T], error) {
	hasZero, err := checkData("X", x)
	if err != nil {
		return nil, err
	}
	l, n := x.Dims()
	if h == nil {
		return nil, inputErr("H", -1, -1, ErrInvalid, "missing")
	}
	if h.Cols != n || h.Rows < 1 {
		return nil, inputErr("H", -1, -1, ErrShape, "is %d×%d; want k×%d with k ≥ 1 (X has %d columns)", h.Rows, h.Cols, n, n)
	}
	k := h.Rows
	if opt.Components != 0 && opt.Components != k {
		return nil, invalid("Components", "%d, but H has %d rows", opt.Components, k)
	}
	hd, err := checkFactor[T]("H", h, k, n)
	if err != nil {
		return nil, err
	}
	opt.Components = k
	opt.Init, opt.W0, opt.H0 = InitCustom, nil, nil
	p, err := resolveFor[T](l, n, opt, hasZero)
	if err != nil {
		return nil, err
	}
	init := func(*problem) (*Dense[T], *Dense[T], error) {
		w0 := &Dense[T]{Rows: l, Cols: k, Data: make([]T, l*k)}
		if p.Solver == MU {
			avg := avgOf(meanOf(x), k)
			for i := range w0.Data {
				w0.Data[i] = avg
			}
		}
		return w0, hd, nil
	}
	return run(ctx, x, opt, p, init, false, nil)
}

// run opens the backend, computes the start with init (timed, and reported
// to opt.Started), solves and assembles the result. from is the state a
// resumed fit goes on from, nil for a fresh start.
func run[T Float](ctx context.Context, x Matrix[T], opt Options, p Params, init func(*problem) (w0, h0 *Dense[T], err error), updateH bool, from *State) (*Result[T], error) {
	l, n := x.Dims()
	b, reason, err := openBackend(opt, precisionOf[T]())
	if err != nil {
		return nil, err
	}
	defer b.Close()
	xd, err := b.NewData(x)
	if err != nil {
		return nil, fmt.Errorf("nmf: %s: loading X: %w", b.Name(), err)
	}
	pr := &problem{b: b, x: xd, prec: precisionOf[T](), l: l, n: n, k: p.Components, p: p, updateH: updateH, prog: opt.Progress, from: from}
	began := time.Now()
	w0, h0, err := init(pr)
	if err != nil {
		return nil, err
	}
	initTime := time.Since(began)
	if opt.Started != nil {
		opt.Started(initTime)
	}
	out, err := pr.solve(ctx, w0, h0)
	if out == nil {
		return nil, err
	}
	k := p.Components
	res := &Result[T]{
		W:                 &Dense[T]{Rows: l, Cols: k, Data: make([]T, l*k)},
		H:                 &Dense[T]{Rows: k, Cols: n, Data: make([]T, k*n)},
		NIter:             out.nIter,
		ReconstructionErr: out.recErr,
		Trace:             out.trace,
		InitTime:          initTime,
		Warnings:          out.warnings,
		Device:            b.Name(),
		DeviceReason:      reason,
		Params:            p,
		Partial:           out.partial,
		State:             out.state,
	}
	if rerr := b.Read(out.w, res.W); rerr != nil {
		return nil, pr.wrap("reading W", rerr)
	}
	if rerr := b.Read(out.h, res.H); rerr != nil {
		return nil, pr.wrap("reading H", rerr)
	}
	if db, ok := b.(backend.DeviceBytes); ok {
		res.DeviceBytes = db.DeviceBytes()
	}
	if err != nil {
		return res, fmt.Errorf("nmf: stopped after iteration %d: %w", out.nIter, err)
	}
	return res, nil
}
