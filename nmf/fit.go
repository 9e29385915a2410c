package nmf

import (
	"context"
	"fmt"
	"math"

	"github.com/clnmf/clnmf/nmf/backend"
	"gonum.org/v1/gonum/mat"
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
	var w0, h0 []float64
	k := p.Components
	switch p.Init {
	case InitCustom:
		w, err := checkFactor[T]("W0", opt.W0, l, k)
		if err != nil {
			return nil, err
		}
		h, err := checkFactor[T]("H0", opt.H0, k, n)
		if err != nil {
			return nil, err
		}
		w0, h0 = toFloat64(w.Data[:l*k]), toFloat64(h.Data[:k*n])
	case InitRandom:
		w0, h0 = randomInit(hostOf(x), k, p.Seed)
	default:
		if w0, h0, err = nndsvd(hostOf(x), k, p.Init, p.Seed); err != nil {
			return nil, err
		}
	}
	var warnings []Warning
	if p.Solver == MU && p.Init == InitNNDSVD {
		warnings = append(warnings, Warning{"mu_nndsvd_zeros", "the multiplicative update cannot update zeros present in the initialization, and so leads to poorer results when used jointly with init nndsvd; you may try nndsvda or nndsvdar instead"})
	}
	res, err := run(ctx, x, opt, p, w0, h0, true)
	if res != nil {
		res.Warnings = append(warnings, res.Warnings...)
	}
	return res, err
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
	w0 := make([]float64, l*k)
	if p.Solver == MU {
		avg := math.Sqrt(hostOf(x).mean() / float64(k))
		for i := range w0 {
			w0[i] = avg
		}
	}
	return run(ctx, x, opt, p, w0, toFloat64(hd.Data[:k*n]), false)
}

// run opens the backend, solves and assembles the result.
func run[T Float](ctx context.Context, x Matrix[T], opt Options, p Params, w0, h0 []float64, updateH bool) (*Result[T], error) {
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
	pr := &problem{b: b, x: xd, prec: precisionOf[T](), l: l, n: n, k: p.Components, p: p, updateH: updateH, prog: opt.Progress}
	out, err := pr.solve(ctx, w0, h0)
	if out == nil {
		return nil, err
	}
	res := &Result[T]{
		W:                 &Dense[T]{Rows: l, Cols: p.Components, Data: fromFloat64[T](out.w)},
		H:                 &Dense[T]{Rows: p.Components, Cols: n, Data: fromFloat64[T](out.h)},
		NIter:             out.nIter,
		ReconstructionErr: out.recErr,
		Trace:             out.trace,
		Warnings:          out.warnings,
		Device:            b.Name(),
		DeviceReason:      reason,
		Params:            p,
		Partial:           out.partial,
	}
	if db, ok := b.(backend.DeviceBytes); ok {
		res.DeviceBytes = db.DeviceBytes()
	}
	if err != nil {
		return res, fmt.Errorf("nmf: stopped after iteration %d: %w", out.nIter, err)
	}
	return res, nil
}

// resolveFor resolves the options for an l×n X of element type T, and
// refuses zeros in X (hasZero) for β ≤ 0, where the divergence is infinite,
// as scikit-learn does.
func resolveFor[T Float](l, n int, opt Options, hasZero bool) (Params, error) {
	p, err := resolve(l, n, opt)
	if err != nil {
		return p, err
	}
	if p.Beta <= 0 && hasZero {
		return p, inputErr("X", -1, -1, ErrZeros, "β = %v (%s) is infinite where X is 0; use a loss with β > 0 or add a small offset to X", p.Beta, p.Loss)
	}
	p.Precision = precisionOf[T]().String()
	return p, nil
}

// resolve checks the options and fills in every default for an l×n X.
func resolve(l, n int, o Options) (Params, error) {
	p := Params{Beta: o.Loss.Beta(), Loss: o.Loss.String(), MaxIter: o.MaxIter, Tol: o.Tol,
		AlphaW: o.AlphaW, AlphaH: o.alphaH(), L1Ratio: o.L1Ratio, Seed: o.Seed, Shuffle: o.Shuffle}
	if math.IsNaN(p.Beta) || math.IsInf(p.Beta, 0) {
		return p, invalid("Loss", "β = %v; want a finite number", p.Beta)
	}
	switch {
	case o.Components < 0:
		return p, invalid("Components", "%d; want ≥ 1, or 0 for n", o.Components)
	case o.Components == 0:
		p.Components = n
	default:
		p.Components = o.Components
	}
	if p.Components < 1 {
		return p, invalid("Components", "k = %d after defaults; want ≥ 1", p.Components)
	}
	if p.Components > maxDim/max(l, n) {
		return p, invalid("Components", "k = %d makes W or H too large to address", p.Components)
	}
	if o.MaxIter < 0 {
		return p, invalid("MaxIter", "%d; want ≥ 0", o.MaxIter)
	}
	if o.Tol < 0 || math.IsNaN(o.Tol) {
		return p, invalid("Tol", "%v; want ≥ 0", o.Tol)
	}
	if !(o.L1Ratio >= 0 && o.L1Ratio <= 1) {
		return p, invalid("L1Ratio", "%v; want a value in [0, 1]", o.L1Ratio)
	}
	if !(p.AlphaW >= 0) || math.IsInf(p.AlphaW, 0) {
		return p, invalid("AlphaW", "%v; want a finite value ≥ 0", p.AlphaW)
	}
	if !(p.AlphaH >= 0) || math.IsInf(p.AlphaH, 0) {
		return p, invalid("AlphaH", "%v; want a finite value ≥ 0", p.AlphaH)
	}
	switch o.Solver {
	case SolverAuto:
		p.Solver = MU
		if p.Beta == 2 {
			p.Solver = CD
		}
	case MU, CD:
		p.Solver = o.Solver
	default:
		return p, invalid("Solver", "%q; want mu, cd or empty for auto", o.Solver)
	}
	if p.Solver == CD && p.Beta != 2 {
		return p, invalid("Solver", "coordinate descent minimises the Frobenius loss only, not %s (β = %v); use the multiplicative update", p.Loss, p.Beta)
	}
	k := p.Components
	switch o.Init {
	case InitAuto:
		switch {
		case o.W0 != nil || o.H0 != nil:
			p.Init = InitCustom
		case k <= min(l, n):
			p.Init = InitNNDSVDA
		default:
			p.Init = InitRandom
		}
	case InitRandom, InitCustom:
		p.Init = o.Init
	case InitNNDSVD, InitNNDSVDA, InitNNDSVDAR:
		if k > min(l, n) {
			return p, invalid("Init", "%s needs k ≤ min(rows, columns) = %d, have k = %d; use random", o.Init, min(l, n), k)
		}
		p.Init = o.Init
	default:
		return p, invalid("Init", "%q; want random, nndsvd, nndsvda, nndsvdar, custom or empty for auto", o.Init)
	}
	// scikit-learn's _scale_regularization.
	p.L1RegW = float64(n) * p.AlphaW * p.L1Ratio
	p.L2RegW = float64(n) * p.AlphaW * (1 - p.L1Ratio)
	p.L1RegH = float64(l) * p.AlphaH * p.L1Ratio
	p.L2RegH = float64(l) * p.AlphaH * (1 - p.L1Ratio)
	return p, nil
}

// InverseTransform returns W·H.
func InverseTransform[T Float](w, h *Dense[T]) (*Dense[T], error) {
	if w == nil || h == nil {
		return nil, inputErr("W", -1, -1, ErrShape, "missing W or H")
	}
	if w.Cols != h.Rows {
		return nil, inputErr("W", -1, -1, ErrShape, "W is %d×%d and H %d×%d: they do not multiply", w.Rows, w.Cols, h.Rows, h.Cols)
	}
	if len(w.Data) < w.Rows*w.Cols || w.Rows < 0 || w.Cols < 0 {
		return nil, inputErr("W", -1, -1, ErrShape, "%d×%d needs %d values, have %d", w.Rows, w.Cols, w.Rows*w.Cols, len(w.Data))
	}
	if len(h.Data) < h.Rows*h.Cols || h.Rows < 0 || h.Cols < 0 {
		return nil, inputErr("H", -1, -1, ErrShape, "%d×%d needs %d values, have %d", h.Rows, h.Cols, h.Rows*h.Cols, len(h.Data))
	}
	var out mat.Dense
	out.Mul(mat.NewDense(w.Rows, w.Cols, toFloat64(w.Data[:w.Rows*w.Cols])), mat.NewDense(h.Rows, h.Cols, toFloat64(h.Data[:h.Rows*h.Cols])))
	return &Dense[T]{Rows: w.Rows, Cols: h.Cols, Data: fromFloat64[T](out.RawMatrix().Data)}, nil
}

// Divergence returns scikit-learn's _beta_divergence(X, W, H, β) without
// the square root, computed on the CPU; sparse X is not densified.
func Divergence[T Float](x Matrix[T], w, h *Dense[T], beta float64) (float64, error) {
	if _, err := checkData("X", x); err != nil {
		return 0, err
	}
	l, n := x.Dims()
	if w == nil || h == nil {
		return 0, inputErr("W", -1, -1, ErrInvalid, "missing W or H")
	}
	k := w.Cols
	if _, err := checkFactorAllowZero[T]("W", w, l, k); err != nil {
		return 0, err
	}
	if _, err := checkFactorAllowZero[T]("H", h, k, n); err != nil {
		return 0, err
	}
	b, _, err := openBackend(Options{Device: "cpu"}, precisionOf[T]())
	if err != nil {
		return 0, err
	}
	defer b.Close()
	xd, err := b.NewData(x)
	if err != nil {
		return 0, err
	}
	pr := &problem{b: b, x: xd, prec: precisionOf[T](), l: l, n: n, k: k}
	wm, err := pr.matrix(l, k, toFloat64(w.Data[:l*k]))
	if err != nil {
		return 0, err
	}
	hm, err := pr.matrix(k, n, toFloat64(h.Data[:k*n]))
	if err != nil {
		return 0, err
	}
	return b.Divergence(xd, wm, hm, beta)
}

func checkFactorAllowZero[T Float](arg string, d *Dense[T], rows, cols int) (*Dense[T], error) {
	if d.Rows != rows || d.Cols != cols {
		return nil, inputErr(arg, -1, -1, ErrShape, "is %d×%d, want %d×%d", d.Rows, d.Cols, rows, cols)
	}
	if len(d.Data) < rows*cols {
		return nil, inputErr(arg, -1, -1, ErrShape, "%d×%d needs %d values, have %d", rows, cols, rows*cols, len(d.Data))
	}
	for p, v := range d.Data[:rows*cols] {
		if e := checkValue(arg, p/cols, p%cols, float64(v)); e != nil {
			return nil, e
		}
	}
	return d, nil
}

// FromMat copies a gonum matrix into a Dense[float64].
func FromMat(m mat.Matrix) *Dense[float64] {
	r, c := m.Dims()
	d := &Dense[float64]{Rows: r, Cols: c, Data: make([]float64, r*c)}
	for i := 0; i < r; i++ {
		for j := 0; j < c; j++ {
			d.Data[i*c+j] = m.At(i, j)
		}
	}
	return d
}

// ToMat returns a float64 Dense as a gonum matrix sharing its data, or a
// float32 one converted.
func ToMat[T Float](d *Dense[T]) *mat.Dense {
	if v, ok := any(d.Data).([]float64); ok {
		return mat.NewDense(d.Rows, d.Cols, v[:d.Rows*d.Cols])
	}
	return mat.NewDense(d.Rows, d.Cols, toFloat64(d.Data[:d.Rows*d.Cols]))
}

func toFloat64[T Float](s []T) []float64 {
	out := make([]float64, len(s))
	for i, v := range s {
		out[i] = float64(v)
	}
	return out
}

func fromFloat64[T Float](s []float64) []T {
	if v, ok := any(s).([]T); ok {
		return v
	}
	out := make([]T, len(s))
	for i, v := range s {
		out[i] = T(v)
	}
	return out
}
