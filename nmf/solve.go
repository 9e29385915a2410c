package nmf

import (
	"context"
	"fmt"
	"math"
	"time"

	"github.com/clnmf/clnmf/nmf/backend"
	"github.com/clnmf/clnmf/nmf/internal/randomstate"
)

// problem is one fit or transform on one backend: the solver loop, written
// once for every backend.
type problem struct {
	b       backend.Backend
	x       backend.Data
	prec    backend.Precision
	l, n, k int
	p       Params
	// updateW and updateH say which factors the solver updates: both in a
	// fit, one in a transform (the other held fixed).
	updateW, updateH bool
	prog             Progress
	// from is the state a resumed fit goes on from (Resume); nil for a
	// fresh start.
	from *State
	// ps holds X (x is nil) and W in row panels when the fit has more than
	// one (panels.go).
	ps *panelSet
	// more are the further members of a fit on several devices
	// (members.go): X's rows are shared among b and them.
	more []backend.Backend
	// comm sums the H half's terms over the processes of a distributed
	// fit (Options.Comm); nil for one process.
	comm Comm
	// began is when solve started: the trace's seconds count from it.
	began time.Time
}

// outcome is what a solve produced. w and h are the backend's matrices,
// valid until it is closed.
type outcome struct {
	w, h     backend.Matrix
	nIter    int
	recErr   float64
	trace    []TracePoint
	final    TracePoint // the state at the end
	warnings []Warning
	partial  bool
	state    State // NIter is filled in by solve
}

// solve runs the solver from w0 (l×k) and h0 (k×n). On cancellation it
// returns the state at the end of the last whole iteration with partial set,
// together with the context's error.
func (pr *problem) solve(ctx context.Context, w0, h0 backend.HostMatrix) (*outcome, error) {
	pr.began = time.Now()
	w, h, err := pr.place(w0, h0)
	if err != nil {
		return nil, err
	}
	out := &outcome{}
	if pr.from != nil {
		out.nIter, out.state = pr.from.NIter, *pr.from
	}
	if pr.p.MaxIter > out.nIter {
		if pr.p.Solver == CD {
			err = pr.coordinateDescent(ctx, w, h, out)
		} else {
			err = pr.multiplicative(ctx, w, h, out)
		}
		if err != nil && !out.partial {
			return nil, err
		}
	} else if pr.from == nil {
		e, err := pr.record(0, w, h, out)
		if err != nil {
			return nil, err
		}
		out.state.ErrInit, out.state.ErrLast = e, e
	}
	out.state.NIter = out.nIter
	cancelErr := err
	out.w, out.h = w, h
	if out.final, err = pr.finalPoint(w, h, out); err != nil && !out.partial {
		return nil, err
	}
	out.recErr = out.final.Err
	if pr.p.MaxIter > 0 && out.nIter == pr.p.MaxIter && pr.p.Tol > 0 && !out.partial {
		out.warnings = append(out.warnings, Warning{"max_iter", fmt.Sprintf("maximum number of iterations %d reached; increase it to improve convergence", pr.p.MaxIter)})
	}
	return out, cancelErr
}

// finalPoint is the error and objective at the end (iteration out.nIter):
// the trace's last point where it was taken there (the factors have not
// changed since: a fit stops at the top of an iteration or after a
// check), else computed afresh. Seconds are those at the end.
func (pr *problem) finalPoint(w, h backend.Matrix, out *outcome) (TracePoint, error) {
	if n := len(out.trace); n > 0 && out.trace[n-1].Iter == out.nIter {
		p := out.trace[n-1]
		p.Seconds = time.Since(pr.began).Seconds()
		return p, nil
	}
	return pr.point(out.nIter, w, h)
}

// point is the error and regularised objective after iteration it, and
// the seconds since the fit began. Where the penalty fails the point keeps
// the error (its objective without the penalty) beside the failure.
func (pr *problem) point(it int, w, h backend.Matrix) (TracePoint, error) {
	p := TracePoint{Iter: it}
	var err error
	if p.Err, err = pr.error(it, w, h); err == nil {
		var pen float64
		pen, err = pr.penalty(w, h)
		p.Objective = objective(p.Err, pen)
	}
	p.Seconds = time.Since(pr.began).Seconds()
	return p, err
}

// place puts the start w0, h0 on the device: W and H as matrices, or the
// part of them the panels hold (W's rows, or H's columns) in the panels, nil
// returned for it.
func (pr *problem) place(w0, h0 backend.HostMatrix) (w, h backend.Matrix, err error) {
	if pr.ps != nil && !pr.ps.cols {
		err = pr.ps.start(pr, w0)
	} else {
		w, err = pr.matrix(pr.l, pr.k, w0)
	}
	if err != nil {
		return nil, nil, err
	}
	if pr.cols() {
		err = pr.ps.startCols(pr, w, h0)
	} else {
		h, err = pr.matrix(pr.k, pr.n, h0)
	}
	if err != nil {
		return nil, nil, err
	}
	return w, h, nil
}

// cols says X and H are in column panels (colpanels.go): W is then shared,
// and the panels hold H's columns.
func (pr *problem) cols() bool { return pr.ps != nil && pr.ps.cols }

func (pr *problem) matrix(rows, cols int, v backend.HostMatrix) (backend.Matrix, error) {
	m, err := pr.b.NewMatrix(pr.prec, rows, cols)
	if err != nil {
		return nil, pr.wrap(fmt.Sprintf("allocating a %d×%d matrix", rows, cols), err)
	}
	if v != nil {
		if err := pr.b.Write(m, v); err != nil {
			return nil, pr.wrap("writing a matrix", err)
		}
	}
	return m, nil
}

func (pr *problem) wrap(step string, err error) error {
	return fmt.Errorf("nmf: %s: %s: %w", pr.b.Name(), step, err)
}

// error is sqrt(2·D_β(X, W·H)), negative rounding clamped to zero; a NaN or
// infinity stops the fit.
func (pr *problem) error(iter int, w, h backend.Matrix) (float64, error) {
	var d float64
	var err error
	switch {
	case pr.cols():
		d, err = pr.ps.colDivergence(pr)
	case pr.ps != nil:
		d, err = pr.ps.divergence(pr, h)
	default:
		d, err = pr.b.Divergence(pr.x, w, h, pr.p.Beta)
	}
	if err != nil {
		return 0, pr.wrap("divergence", err)
	}
	if math.IsNaN(d) || math.IsInf(d, 0) {
		return 0, &IterationError{Iter: iter, Step: "the reconstruction error", Err: ErrDiverged, Val: d}
	}
	return backend.ReconstructionErr(d), nil
}

// record computes the error and the regularised objective after iteration
// it and adds them to the trace; it returns the error.
func (pr *problem) record(it int, w, h backend.Matrix, out *outcome) (float64, error) {
	p, err := pr.point(it, w, h)
	if err != nil {
		return 0, err
	}
	out.trace = append(out.trace, p)
	return p.Err, nil
}

// multiplicative is scikit-learn's _fit_multiplicative_update.
func (pr *problem) multiplicative(ctx context.Context, w, h backend.Matrix, out *outcome) error {
	beta := pr.p.Beta
	mu := backend.MUFor(beta)
	gamma, flushW, flushH := mu.Gamma, mu.FlushW, mu.FlushH
	if !pr.updateW {
		// W held (a transform of new columns): H is updated as W is in
		// scikit-learn's transform of Xᵀ, so that both transforms agree.
		flushH = flushW
	}
	var terms muMatrices
	var err error
	terms.numW, terms.denW, terms.numH, terms.denH, err = pr.muTerms()
	if err != nil {
		return err
	}
	first, err := pr.startState(w, h, out)
	if err != nil {
		return err
	}
	errInit, previous := out.state.ErrInit, out.state.ErrLast
	last := previous
	for it := first; it <= pr.p.MaxIter; it++ {
		if err := pr.cancelled(ctx); err != nil {
			out.partial = stopped(err)
			return err
		}
		// scikit-learn 1.2 caches H's row sums across iterations when H is
		// fixed and adds the L1 term to that cache in place, so in a
		// transform the KL denominator grows by the L1 term every
		// iteration. Reproduced for identical results (for W held too, as
		// scikit-learn's transform of Xᵀ would).
		quirk := 1.0
		if beta == 1 && pr.updateW != pr.updateH {
			quirk = float64(it)
		}
		switch {
		case pr.cols():
			err = pr.ps.colMU(pr, it, quirk, gamma, flushW, flushH)
		case pr.ps != nil:
			err = pr.ps.muIteration(pr, it, h, quirk, gamma, flushW, flushH)
		default:
			err = pr.muIteration(it, w, h, terms, quirk, gamma, flushW, flushH)
		}
		if err != nil {
			return err
		}
		out.nIter = it
		if it%10 == 0 {
			e, err := pr.record(it, w, h, out)
			if err != nil {
				return err
			}
			last = e
			out.state.ErrLast = e
			if pr.prog != nil {
				pr.prog(it, last)
			}
			if pr.p.Tol > 0 && (previous-e)/errInit < pr.p.Tol {
				return nil
			}
			previous = e
		} else if pr.prog != nil {
			pr.prog(it, last)
		}
	}
	return nil
}

// muTerms allocates the numerator and denominator of each factor updated:
// l×k for W, k×n for H (nil for a factor held).
func (pr *problem) muTerms() (numW, denW, numH, denH backend.Matrix, err error) {
	if pr.ps != nil {
		return // the panels hold their own
	}
	if pr.updateW {
		if numW, err = pr.matrix(pr.l, pr.k, nil); err != nil {
			return
		}
		if denW, err = pr.matrix(pr.l, pr.k, nil); err != nil {
			return
		}
	}
	if pr.updateH {
		if numH, err = pr.matrix(pr.k, pr.n, nil); err != nil {
			return
		}
		denH, err = pr.matrix(pr.k, pr.n, nil)
	}
	return
}

// muStep is one multiplicative update of the factor of side (w or h) at
// iteration it.
func (pr *problem) muStep(it int, side backend.Side, w, h, num, den backend.Matrix, l1, l2, gamma, flush float64) error {
	m, name := w, "W"
	if side == backend.SideH {
		m, name = h, "H"
	}
	if err := pr.b.MUTerms(side, pr.x, w, h, pr.p.Beta, num, den); err != nil {
		return pr.wrap(fmt.Sprintf("iteration %d: update of %s", it, name), err)
	}
	if err := pr.b.MUStep(m, num, den, l1, l2, gamma, flush); err != nil {
		return pr.wrap(fmt.Sprintf("iteration %d: update of %s", it, name), err)
	}
	return nil
}

// muMatrices are the numerators and denominators of one device's update
// (nil for a factor held).
type muMatrices struct{ numW, denW, numH, denH backend.Matrix }

// muIteration is iteration it on one device holding X whole: W's update,
// then H's, or both through frobeniusPass where it applies.
func (pr *problem) muIteration(it int, w, h backend.Matrix, m muMatrices, quirk, gamma, flushW, flushH float64) error {
	passed := false // W updated and H's terms formed in one pass over X
	if pr.updateW && pr.updateH && pr.p.Beta == 2 {
		var err error
		if passed, err = pr.frobeniusPass(it, w, h, m.numH, m.denH, quirk*pr.p.L1RegW, gamma, flushW); err != nil {
			return err
		}
	}
	if pr.updateW && !passed {
		if err := pr.muStep(it, backend.SideW, w, h, m.numW, m.denW, quirk*pr.p.L1RegW, pr.p.L2RegW, gamma, flushW); err != nil {
			return err
		}
	}
	if !pr.updateH {
		return nil
	}
	if passed {
		if err := pr.b.MUStep(h, m.numH, m.denH, quirk*pr.p.L1RegH, pr.p.L2RegH, gamma, flushH); err != nil {
			return pr.wrap(fmt.Sprintf("iteration %d: update of H", it), err)
		}
		return nil
	}
	return pr.muStep(it, backend.SideH, w, h, m.numH, m.denH, quirk*pr.p.L1RegH, pr.p.L2RegH, gamma, flushH)
}

// frobeniusPass updates W and forms H's β = 2 terms into numH, denH in one
// pass over X where the backend can (backend.FrobeniusPass), and reports
// whether it did, with W's L1 penalty l1 as muStep gets it. With panels
// (pr.ps) the panels' own loop runs instead; one device holding X whole has
// no Comm and no further members.
func (pr *problem) frobeniusPass(it int, w, h, numH, denH backend.Matrix, l1, gamma, flush float64) (bool, error) {
	f, ok := pr.b.(backend.FrobeniusPass)
	if !ok {
		return false, nil
	}
	done, err := f.MUFrobeniusPass(pr.x, w, h, l1, pr.p.L2RegW, gamma, flush, numH, denH)
	if err != nil {
		return false, pr.wrap(fmt.Sprintf("iteration %d: update of W", it), err)
	}
	return done, nil
}

// coordinateDescent is scikit-learn's _fit_coordinate_descent: W and Hᵀ
// updated in turn by _update_coordinate_descent, stopping when the
// projected-gradient violation falls to Tol times its first value.
func (pr *problem) coordinateDescent(ctx context.Context, w, h backend.Matrix, out *outcome) (rerr error) {
	ht, hht, xht, xtw, err := pr.cdMatrices(h)
	if err != nil {
		return err
	}
	// Hᵀ goes back into h at the end, whatever happens in between.
	defer func() {
		if terr := pr.transposeH(h, ht); terr != nil && rerr == nil {
			rerr = pr.wrap("transposing H", terr)
		}
	}()
	first, err := pr.startState(w, h, out)
	if err != nil {
		return err
	}
	last := out.state.ErrLast
	perm, rng, err := pr.cdOrder(first)
	if err != nil {
		return err
	}
	violationInit := out.state.ViolationInit
	for it := first; it <= pr.p.MaxIter; it++ {
		if err := pr.cancelled(ctx); err != nil {
			out.partial = stopped(err)
			return err
		}
		var violation float64
		for _, u := range []struct {
			on       bool
			name     string
			a, b, xb backend.Matrix
			trans    bool
			l1, l2   float64
		}{
			{pr.updateW, "W", w, ht, xht, false, pr.p.L1RegW, pr.p.L2RegW},
			{pr.updateH, "H", ht, w, xtw, true, pr.p.L1RegH, pr.p.L2RegH},
		} {
			if !u.on {
				continue
			}
			if rng != nil {
				rng.Permutation(perm)
			}
			v, err := pr.cdUpdate(it, u.name, u.a, u.b, u.trans, hht, u.xb, u.l1, u.l2, perm)
			if err != nil {
				return err
			}
			violation += v
		}
		out.nIter = it
		if math.IsNaN(violation) || math.IsInf(violation, 0) {
			return &IterationError{Iter: it, Step: "the projected-gradient violation", Err: ErrDiverged, Val: violation}
		}
		if it%10 == 0 {
			if err := pr.transposeH(h, ht); err != nil {
				return pr.wrap("transposing H", err)
			}
			e, err := pr.record(it, w, h, out)
			if err != nil {
				return err
			}
			last = e
			out.state.ErrLast = e
		}
		if pr.prog != nil {
			pr.prog(it, last)
		}
		if it == 1 {
			violationInit = violation
			out.state.ViolationInit = violation
		}
		if violationInit == 0 || violation/violationInit <= pr.p.Tol {
			return nil
		}
	}
	return nil
}

// cdMatrices allocates coordinate descent's matrices: Hᵀ (n×k, from h), the
// Gram matrix (k×k), X·Hᵀ (l×k) when W is updated, Xᵀ·W (n×k) when H is.
// Column panels hold their own Hᵀ and sums: only the Gram matrix.
func (pr *problem) cdMatrices(h backend.Matrix) (ht, hht, xht, xtw backend.Matrix, err error) {
	l, n, k := pr.l, pr.n, pr.k
	if pr.cols() {
		hht, err = pr.matrix(k, k, nil)
		return
	}
	if ht, err = pr.matrix(n, k, nil); err != nil {
		return
	}
	if err = pr.b.Transpose(ht, h); err != nil {
		err = pr.wrap("transposing H", err)
		return
	}
	if hht, err = pr.matrix(k, k, nil); err != nil {
		return
	}
	if pr.ps != nil {
		return // the panels hold their own
	}
	if pr.updateW {
		if xht, err = pr.matrix(l, k, nil); err != nil {
			return
		}
	}
	if pr.updateH {
		xtw, err = pr.matrix(n, k, nil)
	}
	return
}

// transposeH sets h = htᵀ: H from the Hᵀ coordinate descent sweeps (the
// panels' own with column panels).
func (pr *problem) transposeH(h, ht backend.Matrix) error {
	if pr.cols() {
		return pr.ps.transposeH()
	}
	return pr.b.Transpose(h, ht)
}

// cdOrder returns the order of the components and, when they are shuffled,
// scikit-learn's check_random_state(random_state): a generator fresh from
// the seed (in Transform too), advanced past the permutations of the
// iterations a resumed fit has done, to go on with the same sequence.
func (pr *problem) cdOrder(first int) ([]int, *randomstate.State, error) {
	perm := make([]int, pr.k)
	for t := range perm {
		perm[t] = t
	}
	if !pr.p.Shuffle {
		return perm, nil, nil
	}
	rng, err := randomstate.New(pr.p.Seed)
	if err != nil {
		return nil, nil, invalid("Seed", "%v", err)
	}
	for range (first - 1) * pr.sweeps() {
		rng.Permutation(perm)
	}
	return perm, rng, nil
}

// startState returns the first iteration to run and sets out.state's
// reference values: those of the resumed state, or for a fresh start the
// error of the start, recorded in the trace as iteration 0.
func (pr *problem) startState(w, h backend.Matrix, out *outcome) (int, error) {
	if pr.from != nil {
		return pr.from.NIter + 1, nil
	}
	e, err := pr.record(0, w, h, out)
	if err != nil {
		return 0, err
	}
	out.state.ErrInit, out.state.ErrLast = e, e
	return 1, nil
}

// sweeps is the number of coordinate-descent sweeps per iteration: one
// for each factor updated.
func (pr *problem) sweeps() int {
	n := 0
	for _, on := range []bool{pr.updateW, pr.updateH} {
		if on {
			n++
		}
	}
	return n
}

// cdUpdate is scikit-learn's _update_coordinate_descent: a (W, or Hᵀ) is
// swept against the other factor b (Hᵀ, or W) with g = bᵀ·b and xb = X·b
// (Xᵀ·b when trans); it returns the violation.
func (pr *problem) cdUpdate(it int, name string, a, b backend.Matrix, trans bool, g, xb backend.Matrix, l1, l2 float64, perm []int) (float64, error) {
	if pr.cols() {
		return pr.ps.colCD(pr, it, name, g, l1, l2, perm)
	}
	if pr.ps != nil {
		return pr.ps.cdUpdate(pr, it, name, a, b, g, l1, l2, perm)
	}
	if err := pr.b.Gram(g, b); err != nil {
		return 0, pr.wrap(fmt.Sprintf("iteration %d: update of %s", it, name), err)
	}
	if err := pr.b.MulX(xb, pr.x, trans, b); err != nil {
		return 0, pr.wrap(fmt.Sprintf("iteration %d: update of %s", it, name), err)
	}
	v, err := pr.b.CDSweep(a, g, xb, l1, l2, perm)
	if err != nil {
		return 0, pr.wrap(fmt.Sprintf("iteration %d: update of %s", it, name), err)
	}
	return v, nil
}
