package nmf

import (
	"context"
	"fmt"
	"math"

	"github.com/clnmf/clnmf/nmf/backend"
)

// Online is scikit-learn 1.2's MiniBatchNMF used through partial_fit: a
// model updated one batch of rows at a time. The first PartialFit fixes the
// number of columns, the batch size and rho = ForgetFactor^(batch size /
// rows of the first batch), and starts H from the init (NewOnlineFrom: W0
// for that batch's rows, checked but, as in scikit-learn, unused, and H0). Every
// call solves the batch's W afresh (FreshRestartsMaxIter iterations at most)
// and updates H once. An Online is used by one goroutine at a time.
type Online[T Float] struct {
	opt     Options
	mbo     MiniBatchOptions
	p       Params
	mb      MiniBatchParams
	n       int
	started bool
	// h, num, den are components_ and its running numerator and
	// denominator, k×n.
	h, num, den []T
	nSteps      int
	// w0, h0 are the custom start of NewOnlineFrom, until the first batch.
	w0, h0 *Dense[T]
	// batchW is the W solved for the last batch (rows×k).
	batchW *Dense[T]
	// device, reason: what ran the last call, and why it was chosen.
	device, reason string
}

// NewOnline returns a model that has seen no data; opt and mb are checked
// at the first PartialFit, against its batch.
func NewOnline[T Float](opt Options, mb MiniBatchOptions) *Online[T] {
	return &Online[T]{opt: opt, mbo: mb}
}

// NewOnlineFrom is NewOnline starting from W0 (the first batch's rows × k)
// and H0 (k×n), init custom; opt.Init must be empty or InitCustom (the
// first PartialFit refuses another), opt.Components 0 (W0's columns) or k.
func NewOnlineFrom[T Float](w0, h0 *Dense[T], opt Options, mb MiniBatchOptions) *Online[T] {
	o := &Online[T]{opt: opt, mbo: mb, w0: w0, h0: h0}
	if o.opt.Init == InitAuto {
		o.opt.Init = InitCustom
	}
	if o.opt.Components == 0 && w0 != nil {
		o.opt.Components = w0.Cols
	}
	return o
}

// PartialFit updates the model with the batch x (one step, whatever its
// number of rows). On error the model is unchanged.
func (o *Online[T]) PartialFit(ctx context.Context, x Matrix[T]) error {
	hasZero, err := checkData("X", x)
	if err != nil {
		return err
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	l, n := x.Dims()
	p, mb, h := o.p, o.mb, o.h
	var num, den []T
	if !o.started {
		if p, err = resolveMB[T](l, n, o.opt, hasZero); err != nil {
			return err
		}
		if mb, err = resolveMiniBatch(o.mbo, l, p.MaxIter); err != nil {
			return err
		}
		if err := checkMiniBatchMemory[T](l, n, l, o.opt, p); err != nil {
			return err // the first call sizes the model: k×n statistics, W of these rows
		}
		custom := o.w0 != nil || o.h0 != nil
		switch {
		case !custom && o.opt.Init == InitCustom:
			return invalid("Init", "custom starts from W0 and H0: call NewOnlineFrom")
		case custom && o.opt.Init != InitCustom:
			return invalid("Init", "%s, but the model starts from the W0 and H0 given; leave Init empty or set InitCustom", o.opt.Init)
		}
		_, h0, err := startFactors(x, o.w0, o.h0, o.opt, p)
		if err != nil {
			return err
		}
		h = append([]T(nil), h0.Data[:p.Components*n]...)
	} else {
		if n != o.n {
			return inputErr("X", -1, -1, ErrShape, "has %d columns; the model was fitted on %d", n, o.n)
		}
		if p.Beta <= 0 && hasZero {
			return inputErr("X", -1, -1, ErrZeros, "β = %v (%s) is infinite where X is 0; use a loss with β > 0 or add a small offset to X", p.Beta, p.Loss)
		}
		h = append([]T(nil), o.h...)
		num, den = append([]T(nil), o.num...), append([]T(nil), o.den...)
	}
	b, reason, err := openBackend(o.opt, precisionOf[T]())
	if err != nil {
		return err
	}
	defer b.Close()
	o.device, o.reason = b.Name(), reason
	r, err := newMBRun[T](b, n, p, mb, h, num, den)
	if err != nil {
		return err
	}
	r.src = &memorySource[T]{x: x}
	_, w, err := r.step(ctx, part{0, l, -1}, nil, true)
	if err != nil {
		return err
	}
	o.batchW = &Dense[T]{Rows: l, Cols: p.Components, Data: w}
	o.p, o.mb, o.n, o.started = p, mb, n, true
	o.w0, o.h0 = nil, nil
	o.h, o.num, o.den = r.h, r.num, r.den
	o.nSteps++
	return nil
}

// Transform is MiniBatchNMF.transform: W for x with H fixed, by _solve_W
// (W from sqrt(mean(x)/k), at most TransformMaxIter multiplicative updates,
// stopping when the relative change of W is at most Tol). Result.NIter is
// 0: _solve_W does not count.
func (o *Online[T]) Transform(ctx context.Context, x Matrix[T]) (*Result[T], error) {
	if !o.started {
		return nil, invalid("model", "has not been fitted: call PartialFit first")
	}
	hasZero, err := checkData("X", x)
	if err != nil {
		return nil, err
	}
	l, n := x.Dims()
	if n != o.n {
		return nil, inputErr("X", -1, -1, ErrShape, "has %d columns; the model was fitted on %d", n, o.n)
	}
	if o.p.Beta <= 0 && hasZero {
		return nil, inputErr("X", -1, -1, ErrZeros, "β = %v (%s) is infinite where X is 0; use a loss with β > 0 or add a small offset to X", o.p.Beta, o.p.Loss)
	}
	b, reason, err := openBackend(o.opt, precisionOf[T]())
	if err != nil {
		return nil, err
	}
	defer b.Close()
	r, err := newMBRun[T](b, n, o.p, o.mb, append([]T(nil), o.h...), o.num, o.den)
	if err != nil {
		return nil, err
	}
	r.src, r.cache = &memorySource[T]{x: x}, true
	w, err := r.solveW(ctx, []part{{0, l, 0}}, nil, 0, o.mb.TransformMaxIter)
	if err != nil {
		return nil, err
	}
	res := &Result[T]{W: &Dense[T]{Rows: l, Cols: o.p.Components, Data: w}, H: o.H(), Device: b.Name(), DeviceReason: reason, Params: o.p}
	if res.ReconstructionErr, err = r.reconstructionErr(w, []part{{0, l, 0}}); err != nil {
		return nil, err
	}
	if db, ok := b.(backend.DeviceBytes); ok {
		res.DeviceBytes = db.DeviceBytes()
	}
	return res, nil
}

// H returns a copy of the components (k×n), nil before the first
// PartialFit.
func (o *Online[T]) H() *Dense[T] {
	if !o.started {
		return nil
	}
	return &Dense[T]{Rows: o.p.Components, Cols: o.n, Data: append([]T(nil), o.h...)}
}

// BatchW returns the W that the last PartialFit solved for its batch's rows
// (before its update of H), nil before the first.
func (o *Online[T]) BatchW() *Dense[T] { return o.batchW }

// Device names what ran the last PartialFit or Transform, and why it was
// chosen.
func (o *Online[T]) Device() (name, reason string) { return o.device, o.reason }

// NSteps returns the number of steps taken (n_steps_).
func (o *Online[T]) NSteps() int { return o.nSteps }

// Params returns the NMF parameters as resolved at the first batch.
func (o *Online[T]) Params() Params { return o.p }

// MiniBatch returns the minibatch parameters as resolved at the first batch.
func (o *Online[T]) MiniBatch() MiniBatchParams { return o.mb }

// SetDevice changes where the next PartialFit or Transform runs: opt's
// Device, Backend and Progress are taken, nothing else.
func (o *Online[T]) SetDevice(opt Options) {
	o.opt.Device, o.opt.Backend, o.opt.Progress = opt.Device, opt.Backend, opt.Progress
}

// OnlineState is everything an Online model needs to continue: for saving
// and loading. Restored states are validated field by field.
type OnlineState struct {
	Params    Params          `json:"params"`
	MiniBatch MiniBatchParams `json:"minibatch"`
	Features  int             `json:"features"` // n, the columns of X
	NSteps    int             `json:"n_steps"`
	// H, Numerator and Denominator are k×n, row-major.
	H, Numerator, Denominator []float64 `json:"-"`
}

// State returns the model's state (nil before the first PartialFit).
func (o *Online[T]) State() *OnlineState {
	if !o.started {
		return nil
	}
	return &OnlineState{Params: o.p, MiniBatch: o.mb, Features: o.n, NSteps: o.nSteps,
		H: toFloat64(o.h), Numerator: toFloat64(o.num), Denominator: toFloat64(o.den)}
}

// RestoreOnline rebuilds a model from a saved state, which is untrusted:
// every field is checked (ranges, shapes, finite nonnegative values, a
// positive denominator, X's precision) and derived fields are recomputed.
// opt supplies the device (Device, Backend, Progress) only.
func RestoreOnline[T Float](st *OnlineState, opt Options) (*Online[T], error) {
	if st == nil {
		return nil, invalid("state", "missing")
	}
	p, mb := st.Params, st.MiniBatch
	bad := func(field, format string, args ...any) error {
		return invalid("state", "%s: "+format, append([]any{field}, args...)...)
	}
	if want := precisionOf[T]().String(); p.Precision != want {
		return nil, bad("precision", "%q, want %q", p.Precision, want)
	}
	k, n := p.Components, st.Features
	if k < 1 || n < 1 || k > maxDim/n {
		return nil, bad("shape", "%d components × %d features; want both ≥ 1 and addressable", k, n)
	}
	finite := func(v float64) bool { return !math.IsNaN(v) && !math.IsInf(v, 0) }
	switch {
	case !finite(p.Beta):
		return nil, bad("beta", "%v; want a finite number", p.Beta)
	case p.Solver != MU:
		return nil, bad("solver", "%q; a minibatch model uses mu", p.Solver)
	case p.MaxIter < 1:
		return nil, bad("max_iter", "%d; want ≥ 1", p.MaxIter)
	case !(p.Tol >= 0) || !finite(p.Tol):
		return nil, bad("tol", "%v; want a finite value ≥ 0", p.Tol)
	case !(p.AlphaW >= 0) || !finite(p.AlphaW):
		return nil, bad("alpha_W", "%v; want a finite value ≥ 0", p.AlphaW)
	case !(p.AlphaH >= 0) || !finite(p.AlphaH):
		return nil, bad("alpha_H", "%v; want a finite value ≥ 0", p.AlphaH)
	case !(p.L1Ratio >= 0 && p.L1Ratio <= 1):
		return nil, bad("l1_ratio", "%v; want a value in [0, 1]", p.L1Ratio)
	case mb.BatchSize < 1:
		return nil, bad("batch_size", "%d; want ≥ 1", mb.BatchSize)
	case !(mb.ForgetFactor > 0 && mb.ForgetFactor <= 1):
		return nil, bad("forget_factor", "%v; want a value in (0, 1]", mb.ForgetFactor)
	case !(mb.Rho >= 0 && mb.Rho <= 1):
		return nil, bad("rho", "%v; want a value in [0, 1]", mb.Rho)
	case mb.FreshRestartsMaxIter < 1:
		return nil, bad("fresh_restarts_max_iter", "%d; want ≥ 1", mb.FreshRestartsMaxIter)
	case mb.TransformMaxIter < 1:
		return nil, bad("transform_max_iter", "%d; want ≥ 1", mb.TransformMaxIter)
	case mb.MaxNoImprovement != nil && *mb.MaxNoImprovement < 1:
		return nil, bad("max_no_improvement", "%d; want ≥ 1 or null", *mb.MaxNoImprovement)
	case st.NSteps < 0:
		return nil, bad("n_steps", "%d; want ≥ 0", st.NSteps)
	}
	p.Loss = Beta(p.Beta).String()
	for _, f := range []struct {
		name string
		v    []float64
		pos  bool
	}{{"H", st.H, false}, {"numerator", st.Numerator, false}, {"denominator", st.Denominator, true}} {
		if len(f.v) != k*n {
			return nil, bad(f.name, "%d values, want %d×%d", len(f.v), k, n)
		}
		for i, v := range f.v {
			if !finite(v) || v < 0 || (f.pos && v == 0) {
				return nil, bad(f.name, "entry [%d,%d] is %v; want finite and %s", i/n, i%n, v, map[bool]string{false: "≥ 0", true: "> 0"}[f.pos])
			}
		}
	}
	m := &Online[T]{p: p, mb: mb, n: n, started: true, nSteps: st.NSteps,
		h: fromFloat64[T](append([]float64(nil), st.H...)), num: fromFloat64[T](append([]float64(nil), st.Numerator...)),
		den: fromFloat64[T](append([]float64(nil), st.Denominator...))}
	m.SetDevice(opt)
	m.mbo = MiniBatchOptions{BatchSize: mb.BatchSize, ForgetFactor: mb.ForgetFactor, FreshRestarts: mb.FreshRestarts,
		FreshRestartsMaxIter: mb.FreshRestartsMaxIter, TransformMaxIter: &m.mb.TransformMaxIter, MaxNoImprovement: mb.MaxNoImprovement}
	m.opt.Components, m.opt.Loss, m.opt.MaxIter, m.opt.Tol = k, Beta(p.Beta), p.MaxIter, p.Tol
	m.opt.AlphaW, m.opt.AlphaH, m.opt.L1Ratio, m.opt.Seed, m.opt.Solver = p.AlphaW, &p.AlphaH, p.L1Ratio, p.Seed, MU
	return m, nil
}

// String describes the model briefly.
func (o *Online[T]) String() string {
	if !o.started {
		return "nmf.Online (not fitted)"
	}
	return fmt.Sprintf("nmf.Online k=%d n=%d %s steps=%d", o.p.Components, o.n, o.p.Loss, o.nSteps)
}
