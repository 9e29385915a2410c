package nmf

import (
	"context"
	"fmt"
	"math"
	"time"

	"github.com/clnmf/clnmf/cpu"
)

// MiniBatchOptions are the parameters of scikit-learn's MiniBatchNMF beyond
// those of NMF (which come from Options: Components, Loss, Init, MaxIter,
// Tol, AlphaW, AlphaH, L1Ratio, Seed, Device; a custom start is given to
// the ...From functions). Start from
// DefaultMiniBatchOptions; zero fields mean scikit-learn's defaults, except
// MaxNoImprovement, where nil means no such stop.
type MiniBatchOptions struct {
	// BatchSize is the number of rows of X per mini-batch (0: 1024); a
	// batch never has more rows than X.
	BatchSize int
	// ForgetFactor, in (0, 1] (0: 0.7), weighs past batches in H's running
	// numerator and denominator: they are scaled by
	// rho = ForgetFactor^(batch size / rows of X) before each step.
	ForgetFactor float64
	// FreshRestarts solves for W from scratch (sqrt(mean(X_batch)/k)) at
	// every step, for FreshRestartsMaxIter (0: 30) iterations at most; W is
	// then solved once more over the whole X at the end of the fit.
	FreshRestarts        bool
	FreshRestartsMaxIter int
	// TransformMaxIter bounds the iterations of Transform and of the final
	// solve of a fit with fresh restarts; nil means MaxIter.
	TransformMaxIter *int
	// MaxNoImprovement stops the fit after that many consecutive steps
	// without an improvement of the smoothed (EWA) batch cost; nil: never.
	MaxNoImprovement *int
}

// DefaultMiniBatchOptions returns scikit-learn's defaults: batches of 1024
// rows, forget factor 0.7, no fresh restarts (30 iterations when on),
// TransformMaxIter = MaxIter, stop after 10 steps without improvement.
func DefaultMiniBatchOptions() MiniBatchOptions {
	ten := 10
	return MiniBatchOptions{BatchSize: 1024, ForgetFactor: 0.7, FreshRestartsMaxIter: 30, MaxNoImprovement: &ten}
}

// MiniBatchParams are the minibatch parameters as used, defaults resolved.
type MiniBatchParams struct {
	// BatchSize is min(BatchSize, rows of X) (of the first batch for an
	// online model).
	BatchSize            int     `json:"batch_size"`
	ForgetFactor         float64 `json:"forget_factor"`
	Rho                  float64 `json:"rho"`
	FreshRestarts        bool    `json:"fresh_restarts"`
	FreshRestartsMaxIter int     `json:"fresh_restarts_max_iter"`
	TransformMaxIter     int     `json:"transform_max_iter"`
	// MaxNoImprovement is nil where that stop is off.
	MaxNoImprovement *int `json:"max_no_improvement"`
}

// MiniBatchResult is the outcome of FitMiniBatch.
type MiniBatchResult[T Float] struct {
	Result[T]
	// NSteps is the number of mini-batches processed (n_steps_); NIter is
	// ceil(NSteps / batches per pass).
	NSteps    int
	MiniBatch MiniBatchParams
	// Model continues the fit with PartialFit and transforms as
	// MiniBatchNMF.transform does.
	Model *Online[T]
	// Streamed says X was handed to the device a batch at a time and
	// released after each step (FitMiniBatchSource, or X beyond
	// Options.DeviceMemory), never held there whole.
	Streamed bool
}

// resolveMiniBatch checks the minibatch options and fills in the defaults
// for X with rows rows (for an online model: the first batch's).
func resolveMiniBatch(o MiniBatchOptions, rows, maxIter int) (MiniBatchParams, error) {
	m := MiniBatchParams{BatchSize: o.BatchSize, ForgetFactor: o.ForgetFactor, FreshRestarts: o.FreshRestarts,
		FreshRestartsMaxIter: o.FreshRestartsMaxIter, TransformMaxIter: maxIter}
	switch {
	case o.BatchSize < 0:
		return m, invalid("BatchSize", "%d; want ≥ 1, or 0 for 1024", o.BatchSize)
	case o.BatchSize == 0:
		m.BatchSize = 1024
	}
	m.BatchSize = min(m.BatchSize, rows)
	switch {
	case o.ForgetFactor == 0:
		m.ForgetFactor = 0.7
	case !(o.ForgetFactor > 0 && o.ForgetFactor <= 1):
		return m, invalid("ForgetFactor", "%v; want a value in (0, 1], or 0 for 0.7", o.ForgetFactor)
	}
	switch {
	case o.FreshRestartsMaxIter < 0:
		return m, invalid("FreshRestartsMaxIter", "%d; want ≥ 1, or 0 for 30", o.FreshRestartsMaxIter)
	case o.FreshRestartsMaxIter == 0:
		m.FreshRestartsMaxIter = 30
	}
	if o.TransformMaxIter != nil {
		if *o.TransformMaxIter < 1 {
			return m, invalid("TransformMaxIter", "%d; want ≥ 1, or nil for MaxIter", *o.TransformMaxIter)
		}
		m.TransformMaxIter = *o.TransformMaxIter
	}
	if o.MaxNoImprovement != nil {
		if *o.MaxNoImprovement < 1 {
			return m, invalid("MaxNoImprovement", "%d; want ≥ 1, or nil for no such stop", *o.MaxNoImprovement)
		}
		v := *o.MaxNoImprovement
		m.MaxNoImprovement = &v
	}
	m.Rho = math.Pow(m.ForgetFactor, float64(m.BatchSize)/float64(rows))
	return m, nil
}

// resolveMB resolves the NMF options of a minibatch fit: always the
// multiplicative update, at least one iteration.
func resolveMB[T Float](l, n int, opt Options, hasZero bool) (Params, error) {
	switch opt.Solver {
	case SolverAuto, MU:
	default:
		return Params{}, invalid("Solver", "%q: MiniBatchNMF uses the multiplicative update only", opt.Solver)
	}
	opt.Solver = MU
	p, err := resolveFor[T](l, n, opt, hasZero)
	if err == nil && p.MaxIter < 1 {
		return p, invalid("MaxIter", "%d; a minibatch fit needs at least 1", opt.MaxIter)
	}
	return p, err
}

// FitMiniBatch factorises X ≈ W·H as scikit-learn 1.2's
// MiniBatchNMF.fit_transform: the rows of X are walked in batches of
// BatchSize, in order and cyclically, for MaxIter passes at most; each step
// updates the batch's rows of W (or solves them afresh) and then H through
// running numerator and denominator weighted by rho. The fit stops early
// when the relative change of H in a step is at most Tol (Tol > 0), or after
// MaxNoImprovement steps without a better smoothed batch cost. Penalties
// are scaled per batch (alpha_H by the batch's rows). X is handed to the
// device one batch at a time; the batches stay there for the whole fit
// unless X is larger than opt.DeviceMemory (an OpenCL device), in which
// case each is released after its step (Result.Streamed).
//
// opt.Progress, when set, is called after every pass over X (and at an
// early stop) with the passes begun and the smoothed (EWA) batch cost.
//
// Bad input returns an *InputError. On cancellation the state after the last
// whole step is returned with Partial set, with an error wrapping ctx.Err().
func FitMiniBatch[T Float](ctx context.Context, x Matrix[T], opt Options, mbo MiniBatchOptions) (*MiniBatchResult[T], error) {
	if opt.Init == InitCustom {
		return nil, invalid("Init", "custom starts from W0 and H0: call FitMiniBatchFrom")
	}
	return fitMiniBatchMem(ctx, x, nil, nil, opt, mbo)
}

// FitMiniBatchFrom is FitMiniBatch from the start W0 (l×k) and H0 (k×n)
// (init custom); opt.Init must be empty or InitCustom, and
// opt.Components 0 (W0's columns) or k.
func FitMiniBatchFrom[T Float](ctx context.Context, x Matrix[T], w0, h0 *Dense[T], opt Options, mbo MiniBatchOptions) (*MiniBatchResult[T], error) {
	if err := customOptions(&opt, w0); err != nil {
		return nil, err
	}
	return fitMiniBatchMem(ctx, x, w0, h0, opt, mbo)
}

// fitMiniBatchMem is FitMiniBatch and FitMiniBatchFrom.
func fitMiniBatchMem[T Float](ctx context.Context, x Matrix[T], w0, h0 *Dense[T], opt Options, mbo MiniBatchOptions) (*MiniBatchResult[T], error) {
	hasZero, err := checkData("X", x)
	if err != nil {
		return nil, err
	}
	l, n := x.Dims()
	p, err := resolveMB[T](l, n, opt, hasZero)
	if err != nil {
		return nil, err
	}
	if err := checkMiniBatchMemory[T](l, n, batchRows(mbo), opt, p); err != nil {
		return nil, err
	}
	began := time.Now()
	w0, h0, err = startFactors(x, w0, h0, opt, p)
	if err != nil {
		return nil, err
	}
	initTime := time.Since(began)
	// The batches stay on the device for the whole fit unless X would not
	// fit opt.DeviceMemory: then each is handed over and released per step.
	keep := opt.DeviceMemory <= 0 || deviceBytesOf(x) <= opt.DeviceMemory
	return fitMiniBatch(ctx, &memorySource[T]{x: x}, keep, opt, mbo, p, w0.Data, h0.Data, initTime)
}

// deviceBytesOf estimates the device memory X takes: dense, its values; CSR,
// the values, indices and row pointers of it and of its transpose.
func deviceBytesOf[T Float](x Matrix[T]) int64 {
	size := int64(precisionOf[T]().Size())
	if c, ok := any(x).(*CSR[T]); ok {
		return 2 * (int64(len(c.Data))*(size+8) + int64(c.Rows+c.Cols+2)*8)
	}
	l, n := x.Dims()
	return int64(l) * int64(n) * size
}

// FitMiniBatchSource is FitMiniBatch over X read from src by row ranges,
// one batch at a time and never whole: each batch is read, validated,
// handed to the device and released for every step. The init must be
// InitCustom or InitRandom (the NNDSVD inits need X whole); the random init
// and a fit with fresh restarts read X in passes of batches.
func FitMiniBatchSource[T Float](ctx context.Context, src RowSource[T], opt Options, mbo MiniBatchOptions) (*MiniBatchResult[T], error) {
	if opt.Init == InitCustom {
		return nil, invalid("Init", "custom starts from W0 and H0: call FitMiniBatchSourceFrom")
	}
	return fitMiniBatchSource(ctx, src, nil, nil, opt, mbo)
}

// FitMiniBatchSourceFrom is FitMiniBatchSource from the start W0 (l×k) and
// H0 (k×n), as FitMiniBatchFrom.
func FitMiniBatchSourceFrom[T Float](ctx context.Context, src RowSource[T], w0, h0 *Dense[T], opt Options, mbo MiniBatchOptions) (*MiniBatchResult[T], error) {
	if err := customOptions(&opt, w0); err != nil {
		return nil, err
	}
	return fitMiniBatchSource(ctx, src, w0, h0, opt, mbo)
}

// fitMiniBatchSource is FitMiniBatchSource and FitMiniBatchSourceFrom.
func fitMiniBatchSource[T Float](ctx context.Context, src RowSource[T], cw0, ch0 *Dense[T], opt Options, mbo MiniBatchOptions) (*MiniBatchResult[T], error) {
	if src == nil {
		return nil, inputErr("X", -1, -1, ErrInvalid, "missing (nil source)")
	}
	l, n := src.Dims()
	if l <= 0 || n <= 0 {
		return nil, inputErr("X", -1, -1, ErrEmpty, "%d×%d", l, n)
	}
	if l > maxDim/n {
		return nil, inputErr("X", -1, -1, ErrShape, "%d×%d has more entries than can be addressed", l, n)
	}
	// Zeros with β ≤ 0 are refused per batch as they are read.
	p, err := resolveMB[T](l, n, opt, false)
	if err != nil {
		return nil, err
	}
	if err := checkMiniBatchMemory[T](l, n, batchRows(mbo), opt, p); err != nil {
		return nil, err
	}
	s := &streamSource[T]{src: src, beta: p.Beta}
	began := time.Now()
	var w0, h0 []T
	switch p.Init {
	case InitCustom:
		w, h, err := customStart(cw0, ch0, l, n, p.Components)
		if err != nil {
			return nil, err
		}
		w0, h0 = w.Data, h.Data
	case InitRandom:
		bs := min(max(mbo.BatchSize, 0), l)
		if bs == 0 {
			bs = min(1024, l)
		}
		sum, err := s.sum(ctx, bs)
		if err != nil {
			return nil, err
		}
		// The random init needs only mean(X).
		w, h, err := randomStart(T(sum/(float64(l)*float64(n))), l, n, p.Components, p.Seed)
		if err != nil {
			return nil, err
		}
		w0, h0 = w, h
	default:
		return nil, invalid("Init", "%s needs X whole in memory; a streamed minibatch fit takes init random or custom", p.Init)
	}
	return fitMiniBatch(ctx, s, false, opt, mbo, p, w0, h0, time.Since(began))
}

// fitMiniBatch is MiniBatchNMF._fit_transform from w0, h0, whose
// computation took initTime (reported to opt.Started and in the result).
// w0 (l×k) and h0 (k×n) are copied, never modified.
func fitMiniBatch[T Float](ctx context.Context, src batchSource[T], cache bool, opt Options, mbo MiniBatchOptions, p Params, w0, h0 []T, initTime time.Duration) (*MiniBatchResult[T], error) {
	l, n := src.Dims()
	k := p.Components
	mb, err := resolveMiniBatch(mbo, l, p.MaxIter)
	if err != nil {
		return nil, err
	}
	b, reason, err := openBackend(opt, precisionOf[T]())
	if err != nil {
		return nil, err
	}
	defer b.Close()
	if _, host := b.(*cpu.Backend); host && !cache {
		// The CPU computes on X where it is: a batch of X in memory costs
		// nothing to keep (DeviceMemory does not apply there).
		_, inMemory := src.(*memorySource[T])
		cache = inMemory
	}
	r, err := newMBRun[T](b, n, p, mb, append([]T(nil), h0[:k*n]...), nil, nil)
	if err != nil {
		return nil, err
	}
	r.src, r.cache = src, cache
	st := &mbFit[T]{r: r, l: l, w: append([]T(nil), w0[:l*k]...)}
	if opt.Started != nil {
		opt.Started(initTime)
	}
	began := time.Now()
	fitErr := st.run(ctx, opt.Progress)
	if fitErr != nil && !st.partial {
		return nil, fitErr
	}
	res := &MiniBatchResult[T]{NSteps: st.nSteps, MiniBatch: mb, Streamed: !cache}
	res.Params = p
	res.Params.L1RegW, res.Params.L1RegH, res.Params.L2RegW, res.Params.L2RegH = r.regs(mb.BatchSize)
	res.Device, res.DeviceReason, res.DeviceProfile = b.Name(), reason, profileOf(b)
	res.Partial = st.partial
	res.InitTime = initTime
	if !st.partial {
		if err := st.finish(ctx, res, p, began); err != nil {
			return nil, err
		}
	}
	if db, ok := b.(interface{ DeviceBytes() int64 }); ok {
		res.DeviceBytes = db.DeviceBytes()
	}
	res.W = &Dense[T]{Rows: l, Cols: k, Data: st.w}
	res.H = &Dense[T]{Rows: k, Cols: n, Data: append([]T(nil), r.h...)}
	res.NIter = st.nIter
	res.Model = &Online[T]{opt: opt, mbo: mbo, p: p, mb: mb, n: n, started: true,
		h: append([]T(nil), r.h...), num: r.num, den: r.den, nSteps: st.nSteps}
	if fitErr != nil {
		return res, fmt.Errorf("nmf: stopped after step %d: %w", st.nSteps, fitErr)
	}
	return res, nil
}

// finish completes a whole (not cancelled) fit begun at began: W solved
// over the whole X with fresh restarts, the reconstruction error, the
// trace's one point (the objective with p's penalties, those of NMF on the
// whole X) and the max_iter warning.
func (st *mbFit[T]) finish(ctx context.Context, res *MiniBatchResult[T], p Params, began time.Time) error {
	r := st.r
	if r.mb.FreshRestarts {
		w, err := r.solveW(ctx, r.batches(st.l), nil, 0, r.mb.TransformMaxIter)
		if err != nil {
			return err
		}
		st.w = w
	}
	e, err := r.reconstructionErr(st.w, r.batches(st.l))
	if err != nil {
		return err
	}
	res.ReconstructionErr = e
	pen := penaltyOf(&Dense[T]{Rows: st.l, Cols: r.k, Data: st.w}, p.L1RegW, p.L2RegW) +
		penaltyOf(&Dense[T]{Rows: r.k, Cols: r.n, Data: r.h}, p.L1RegH, p.L2RegH)
	res.Final = TracePoint{Iter: st.nIter, Err: e, Objective: objective(e, pen), Seconds: time.Since(began).Seconds()}
	res.Trace = append(res.Trace, res.Final)
	if st.nIter == p.MaxIter && p.Tol > 0 {
		res.Warnings = append(res.Warnings, Warning{"max_iter", fmt.Sprintf("maximum number of iterations %d reached; increase it to improve convergence", p.MaxIter)})
	}
	return nil
}

// mbFit is the state of the loop of _fit_transform.
type mbFit[T Float] struct {
	r             *mbRun[T]
	l             int
	w             []T // l×k, updated in place by the steps
	nSteps, nIter int
	partial       bool
	// _minibatch_convergence's state
	ewa, ewaMin   float64
	hasEWA, hasMn bool
	noImprovement int
}

func (st *mbFit[T]) run(ctx context.Context, prog Progress) error {
	r := st.r
	k, bs := r.k, r.mb.BatchSize
	perIter := (st.l + bs - 1) / bs
	total := r.p.MaxIter * perIter
	hBuf := append([]T(nil), r.h...)
	for i := 0; i < total; i++ {
		if err := ctx.Err(); err != nil {
			st.partial = true
			return err
		}
		j := i % perIter
		lo, hi := j*bs, min((j+1)*bs, st.l)
		cost, _, err := r.step(ctx, part{lo, hi, j}, st.w[lo*k:hi*k], true)
		if err != nil {
			return err
		}
		st.nSteps = i + 1
		st.nIter = (st.nSteps + perIter - 1) / perIter
		stop := st.converged(hi-lo, cost, r.h, hBuf, i)
		if prog != nil && (j == perIter-1 || stop) {
			prog(st.nIter, st.ewa) // after every pass, and at a stop
		}
		if stop {
			break
		}
		copy(hBuf, r.h)
	}
	return nil
}

// converged is _minibatch_convergence for step i (from 0).
func (st *mbFit[T]) converged(rows int, cost float64, h, hBuf []T, i int) bool {
	if i == 0 {
		return false // H has not been updated yet
	}
	if !st.hasEWA {
		st.ewa, st.hasEWA = cost, true
	} else {
		alpha := min(float64(rows)/float64(st.l+1), 1)
		st.ewa = st.ewa*(1-alpha) + cost*alpha
	}
	var d2, h2 float64
	for p, v := range h {
		d := float64(v - hBuf[p])
		d2 += d * d
		h2 += float64(v) * float64(v)
	}
	if tol := st.r.p.Tol; tol > 0 && math.Sqrt(d2)/math.Sqrt(h2) <= tol {
		return true
	}
	if !st.hasMn || st.ewa < st.ewaMin {
		st.noImprovement = 0
		st.ewaMin, st.hasMn = st.ewa, true
	} else {
		st.noImprovement++
	}
	m := st.r.mb.MaxNoImprovement
	return m != nil && st.noImprovement >= *m
}

// batchRows is the batch size the options ask for (0: 1024), for the memory
// estimate; invalid values are refused later, where the options are checked.
func batchRows(o MiniBatchOptions) int {
	if o.BatchSize <= 0 {
		return 1024
	}
	return o.BatchSize
}
