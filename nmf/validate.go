package nmf

import (
	"math"

	"github.com/clnmf/clnmf/nmf/internal/randomstate"
)

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

// resolve checks the options and fills in every default for an l×n X, in
// the order: loss, k, stopping, randomness, penalties, solver, init.
func resolve(l, n int, o Options) (Params, error) {
	p := Params{Beta: o.Loss.Beta(), Loss: o.Loss.String(), MaxIter: o.MaxIter, Tol: o.Tol,
		AlphaW: o.AlphaW, AlphaH: o.alphaH(), L1Ratio: o.L1Ratio, Seed: o.Seed, Shuffle: o.Shuffle}
	if math.IsNaN(p.Beta) || math.IsInf(p.Beta, 0) {
		return p, invalid("Loss", "β = %v; want a finite number", p.Beta)
	}
	for _, step := range []func(*Params, Options, int, int) error{
		resolveComponents, resolveStopping, resolveRandom, resolvePenalties, resolveSolver, resolveInit, checkPanels,
	} {
		if err := step(&p, o, l, n); err != nil {
			return p, err
		}
	}
	return p, nil
}

// resolveComponents sets k: Components, or n for 0.
func resolveComponents(p *Params, o Options, l, n int) error {
	switch {
	case o.Components < 0:
		return invalid("Components", "%d; want ≥ 1, or 0 for n", o.Components)
	case o.Components == 0:
		p.Components = n
	default:
		p.Components = o.Components
	}
	if p.Components < 1 {
		return invalid("Components", "k = %d after defaults; want ≥ 1", p.Components)
	}
	if p.Components > maxDim/max(l, n) {
		return invalid("Components", "k = %d makes W or H too large to address", p.Components)
	}
	return nil
}

// resolveStopping sets MaxIter and Tol: zeros are the defaults,
// NoIterations and NoTol scikit-learn's zeros.
func resolveStopping(p *Params, o Options, _, _ int) error {
	switch {
	case o.MaxIter == 0:
		p.MaxIter = DefaultMaxIter
	case o.MaxIter == NoIterations:
		p.MaxIter = 0
	case o.MaxIter < 0:
		return invalid("MaxIter", "%d; want ≥ 1, 0 for the default 200 or NoIterations", o.MaxIter)
	}
	switch {
	case o.Tol == 0:
		p.Tol = DefaultTol
	case o.Tol == NoTol:
		p.Tol = 0
	case !(o.Tol > 0):
		return invalid("Tol", "%v; want > 0, 0 for the default 1e-4, or NoTol", o.Tol)
	}
	return nil
}

// resolveRandom checks Seed and sets the SVD of the nndsvd inits.
func resolveRandom(p *Params, o Options, _, _ int) error {
	if o.Seed > randomstate.MaxSeed {
		return invalid("Seed", "%d; want 0 ≤ seed < 2³² (numpy's RandomState, as scikit-learn's random_state)", o.Seed)
	}
	switch o.SVD {
	case SVDAuto, SVDRandomized:
		p.SVD = SVDRandomized
	case SVDExact:
		p.SVD = SVDExact
	default:
		return invalid("SVD", "%q; want randomized, exact or empty for randomized", o.SVD)
	}
	return nil
}

// resolvePenalties checks the regularisation and scales it as
// scikit-learn's _scale_regularization.
func resolvePenalties(p *Params, o Options, l, n int) error {
	if !(o.L1Ratio >= 0 && o.L1Ratio <= 1) {
		return invalid("L1Ratio", "%v; want a value in [0, 1]", o.L1Ratio)
	}
	if !(p.AlphaW >= 0) || math.IsInf(p.AlphaW, 0) {
		return invalid("AlphaW", "%v; want a finite value ≥ 0", p.AlphaW)
	}
	if !(p.AlphaH >= 0) || math.IsInf(p.AlphaH, 0) {
		return invalid("AlphaH", "%v; want a finite value ≥ 0", p.AlphaH)
	}
	p.L1RegW = float64(n) * p.AlphaW * p.L1Ratio
	p.L2RegW = float64(n) * p.AlphaW * (1 - p.L1Ratio)
	p.L1RegH = float64(l) * p.AlphaH * p.L1Ratio
	p.L2RegH = float64(l) * p.AlphaH * (1 - p.L1Ratio)
	return nil
}

// resolveSolver sets the solver: coordinate descent for Frobenius, the
// multiplicative update otherwise.
func resolveSolver(p *Params, o Options, _, _ int) error {
	switch o.Solver {
	case SolverAuto:
		p.Solver = MU
		if p.Beta == 2 {
			p.Solver = CD
		}
	case MU, CD:
		p.Solver = o.Solver
	default:
		return invalid("Solver", "%q; want mu, cd or empty for auto", o.Solver)
	}
	if p.Solver == CD && p.Beta != 2 {
		return invalid("Solver", "coordinate descent minimises the Frobenius loss only, not %s (β = %v); use the multiplicative update", p.Loss, p.Beta)
	}
	return nil
}

// resolveInit sets the init: nndsvda when k ≤ min(l, n), random otherwise.
func resolveInit(p *Params, o Options, l, n int) error {
	k := p.Components
	switch o.Init {
	case InitAuto:
		o.Components = k
		p.Init = o.InitFor(l, n)
	case InitRandom, InitCustom:
		p.Init = o.Init
	case InitNNDSVD, InitNNDSVDA, InitNNDSVDAR:
		if k > min(l, n) {
			return invalid("Init", "%s needs k ≤ min(rows, columns) = %d, have k = %d; use random", o.Init, min(l, n), k)
		}
		p.Init = o.Init
	default:
		return invalid("Init", "%q; want random, nndsvd, nndsvda, nndsvdar, custom or empty for auto", o.Init)
	}
	return nil
}

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

// checkFactor validates a start W0 or H0 or a fixed factor: the given
// shape, finite, nonnegative, not all zero.
func checkFactor[T Float](arg string, d *Dense[T], rows, cols int) (*Dense[T], error) {
	if d == nil {
		return nil, inputErr(arg, -1, -1, ErrInvalid, "missing (FitFrom needs both W0 and H0)")
	}
	mx, err := checkValues(arg, d, rows, cols)
	if err != nil {
		return nil, err
	}
	if mx == 0 {
		return nil, inputErr(arg, -1, -1, ErrAllZero, "a multiplicative update can never move it")
	}
	return d, nil
}

// checkValues checks d's shape and that its entries are finite and
// nonnegative, and returns the largest.
func checkValues[T Float](arg string, d *Dense[T], rows, cols int) (T, error) {
	if d.Rows != rows || d.Cols != cols {
		return 0, inputErr(arg, -1, -1, ErrShape, "is %d×%d, want %d×%d", d.Rows, d.Cols, rows, cols)
	}
	if len(d.Data) < rows*cols {
		return 0, inputErr(arg, -1, -1, ErrShape, "%d×%d needs %d values, have %d", rows, cols, rows*cols, len(d.Data))
	}
	var mx T
	for p, v := range d.Data[:rows*cols] {
		if e := checkValue(arg, p/cols, p%cols, float64(v)); e != nil {
			return 0, e
		}
		mx = max(mx, v)
	}
	return mx, nil
}

// checkPanels checks DeviceMemory, MemberWeights, PanelRows, PanelCols and
// PanelsAlong (panels.go, memberspeed.go).
func checkPanels(_ *Params, o Options, _, _ int) error {
	if o.DeviceMemory < 0 {
		return invalid("DeviceMemory", "%d; want bytes > 0, or 0 for the device's own", o.DeviceMemory)
	}
	for i, w := range o.MemberWeights {
		if !(w > 0) || math.IsInf(w, 0) {
			return invalid("MemberWeights", "weight %d is %v; want a finite number > 0 for each device", i+1, w)
		}
	}
	if o.PanelRows < 0 {
		return invalid("PanelRows", "%d; want rows > 0, or 0 to let the fit choose", o.PanelRows)
	}
	if o.PanelCols < 0 {
		return invalid("PanelCols", "%d; want columns > 0, or 0 to let the fit choose", o.PanelCols)
	}
	if o.PanelRows > 0 && o.PanelCols > 0 {
		return invalid("PanelCols", "%d with PanelRows %d; set one of them", o.PanelCols, o.PanelRows)
	}
	switch {
	case o.PanelsAlong != AlongAuto && o.PanelsAlong != AlongRows && o.PanelsAlong != AlongColumns:
		return invalid("PanelsAlong", "%q; want \"rows\", \"columns\" or empty", o.PanelsAlong)
	case o.PanelRows > 0 && o.PanelsAlong == AlongColumns, o.PanelCols > 0 && o.PanelsAlong == AlongRows:
		return invalid("PanelsAlong", "%q contradicts PanelRows %d / PanelCols %d", o.PanelsAlong, o.PanelRows, o.PanelCols)
	}
	return nil
}
