package nmf

import (
	"context"
	"fmt"
	"time"

	"github.com/clnmf/clnmf/nmf/backend"
)

// Fit factorises X ≈ W·H as scikit-learn's NMF.fit_transform does, on the
// device opt.Device (or opt.Backend), starting from opt.Init. X is never
// modified.
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
	return fit(ctx, x, nil, nil, false, opt)
}

// FitFrom is Fit from the start W0 (l×k) and H0 (k×n), scikit-learn's
// fit_transform(X, W=W0, H=H0) with init="custom": opt.Init must be empty
// or InitCustom, and opt.Components 0 (meaning W0's columns) or k. W0 and H0
// are copied, never modified; they must be finite, nonnegative and not all
// zero.
func FitFrom[T Float](ctx context.Context, x Matrix[T], w0, h0 *Dense[T], opt Options) (*Result[T], error) {
	return fit(ctx, x, w0, h0, true, opt)
}

// fit is Fit (custom false) and FitFrom (custom true).
func fit[T Float](ctx context.Context, x Matrix[T], w0, h0 *Dense[T], custom bool, opt Options) (*Result[T], error) {
	hasZero, err := checkData("X", x)
	if err != nil {
		return nil, err
	}
	switch {
	case custom:
		if err := customOptions(&opt, w0); err != nil {
			return nil, err
		}
	case opt.Init == InitCustom:
		return nil, invalid("Init", "custom starts from W0 and H0: call FitFrom")
	}
	l, n := x.Dims()
	// The regularisation scales with the whole X's shape.
	pt, lp, np, hasZero, err := wholeShape(x, opt, hasZero)
	if err != nil {
		return nil, err
	}
	p, err := resolveFor[T](lp, np, opt, hasZero)
	if err != nil {
		return nil, err
	}
	if err := checkFitMemory(x, opt); err != nil {
		return nil, err
	}
	if opt.Comm != nil && p.Init != InitCustom && p.Init != InitRandom && p.SVD == SVDExact {
		return nil, invalid("SVD", "exact: the exact SVD needs all of X in one process; a distributed fit takes the randomized one")
	}
	init := func(pr *problem) (*Dense[T], *Dense[T], error) { return start(pr, x, pt) }
	if p.Init == InitCustom {
		w0, h0, err := customStart(w0, h0, l, n, p.Components)
		if err != nil {
			return nil, err
		}
		init = func(*problem) (*Dense[T], *Dense[T], error) { return w0, h0, nil }
	}
	res, err := run(ctx, x, opt, p, init, true, true, nil)
	if res != nil {
		res.Warnings = append(startWarnings(p), res.Warnings...)
	}
	return res, err
}

// readFactors reads the solved W and H into w and h: from the panels the
// factor they hold (W's rows, or H's columns), the other from the backend.
func readFactors[T Float](pr *problem, out *outcome, w, h *Dense[T]) error {
	var err error
	if pr.ps != nil && !pr.ps.cols {
		err = pr.ps.readW(w)
	} else {
		err = pr.b.Read(out.w, w)
	}
	if err != nil {
		return pr.wrap("reading W", err)
	}
	if pr.cols() {
		err = readH(pr.ps, h)
	} else {
		err = pr.b.Read(out.h, h)
	}
	if err != nil {
		return pr.wrap("reading H", err)
	}
	return nil
}

// customOptions sets opt up for a start given as W0 and H0, refusing
// another init.
func customOptions[T Float](opt *Options, w0 *Dense[T]) error {
	if opt.Init != InitAuto && opt.Init != InitCustom {
		return invalid("Init", "%s, but the fit starts from the W0 and H0 given; leave Init empty or set InitCustom", opt.Init)
	}
	opt.Init = InitCustom
	if opt.Components == 0 && w0 != nil {
		opt.Components = w0.Cols
	}
	return nil
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
func startFactors[T Float](x Matrix[T], w0, h0 *Dense[T], opt Options, p Params) (*Dense[T], *Dense[T], error) {
	l, n := x.Dims()
	if p.Init == InitCustom {
		return customStart(w0, h0, l, n, p.Components)
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
	return start(pr, x, share{rows: l})
}

// customStart checks W0 (l×k) and H0 (k×n) and returns them.
func customStart[T Float](w0, h0 *Dense[T], l, n, k int) (*Dense[T], *Dense[T], error) {
	w0, err := checkFactor("W0", w0, l, k)
	if err != nil {
		return nil, nil, err
	}
	if h0, err = checkFactor("H0", h0, k, n); err != nil {
		return nil, nil, err
	}
	return w0, h0, nil
}

// run opens the backend, computes the start with init (timed, and reported
// to opt.Started), solves and assembles the result. updateW and updateH
// say which factors are solved for; from is the state a resumed fit goes on
// from, nil for a fresh start.
func run[T Float](ctx context.Context, x Matrix[T], opt Options, p Params, init func(*problem) (w0, h0 *Dense[T], err error), updateW, updateH bool, from *State) (*Result[T], error) {
	l, n := x.Dims()
	t0 := time.Now()
	members, err := openMembers(opt, precisionOf[T]())
	if err != nil {
		return nil, err
	}
	defer closeAll(members)
	if w, nd := opt.MemberWeights, max(len(members), 1); w != nil && len(w) != nd {
		devices := "devices"
		if nd == 1 {
			devices = "device"
		}
		return nil, invalid("MemberWeights", "%d weights for %d %s; give one for each device of Devices, in order", len(w), nd, devices)
	}
	var b backend.Backend
	var reason string
	if len(members) > 0 {
		b, reason = members[0], "asked for"
	} else if b, reason, err = openBackend(opt, precisionOf[T]()); err != nil {
		return nil, err
	} else {
		defer b.Close()
	}
	opened := time.Since(t0).Seconds()
	pr := &problem{b: b, prec: precisionOf[T](), l: l, n: n, k: p.Components, p: p, updateW: updateW, updateH: updateH, prog: opt.Progress, from: from}
	if len(members) > 1 {
		pr.more = members[1:]
	}
	pr.comm = opt.Comm
	plan, err := loadX(pr, x, opt)
	if err != nil {
		return nil, err
	}
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
		Final:             out.final,
		InitTime:          initTime,
		Warnings:          out.warnings,
		Device:            deviceNames(members, b),
		DeviceReason:      reason,
		DeviceOpenSeconds: opened,
		DeviceProfile:     profileOf(b),
		Params:            p,
		Partial:           out.partial,
		State:             out.state,
	}
	if pr.ps != nil {
		plan = pr.ps.finishPlan()
	}
	res.Plan = plan
	if rerr := readFactors(pr, out, res.W, res.H); rerr != nil {
		return nil, rerr
	}
	if db, ok := b.(backend.DeviceBytes); ok {
		res.DeviceBytes = db.DeviceBytes()
	}
	if err != nil {
		return res, fmt.Errorf("nmf: stopped after iteration %d: %w", out.nIter, err)
	}
	return res, nil
}
