package nmf_test

import (
	"context"
	"math"
	"testing"
	"time"

	"github.com/clnmf/clnmf/cpu"
	"github.com/clnmf/clnmf/nmf"
	"github.com/clnmf/clnmf/nmf/backend"
)

// handObjective is sqrt(2·(D_β + l1_W·ΣW + l1_H·ΣH + ½·l2_W·‖W‖² +
// ½·l2_H·‖H‖²)) with scikit-learn's regularisation of an l×n X
// (_compute_regularization), computed here from the alphas, not from
// Params; the factors held (heldW, heldH) add nothing.
func handObjective(t *testing.T, x, w, h *nmf.Dense[float64], beta, alphaW, alphaH, l1 float64, heldW, heldH bool) float64 {
	t.Helper()
	d := objective(t, x, w, h, beta, 0, 0) // D_β alone
	l, n := float64(x.Rows), float64(x.Cols)
	sq := func(a []float64) float64 { return math.Pow(frobNorm(a), 2) }
	pen := 0.0
	if !heldW {
		pen += n*alphaW*l1*sum(w.Data) + 0.5*n*alphaW*(1-l1)*sq(w.Data)
	}
	if !heldH {
		pen += l*alphaH*l1*sum(h.Data) + 0.5*l*alphaH*(1-l1)*sq(h.Data)
	}
	return math.Sqrt(2 * (d + pen))
}

// checkTrace checks that the trace's seconds start at 0 or later and never
// go back, and that its iterations increase.
func checkTrace(t *testing.T, name string, trace []nmf.TracePoint) {
	t.Helper()
	for i, p := range trace {
		if p.Seconds < 0 || i > 0 && (p.Seconds < trace[i-1].Seconds || p.Iter <= trace[i-1].Iter) {
			t.Errorf("%s: trace %+v", name, trace)
			return
		}
	}
}

// TestTraceObjective checks the trace's regularised objective: equal to the
// error without penalties; with them larger than the error at every point,
// and at the last point (iteration 20, the end of the fit) equal to the
// objective computed by hand from the result, for cd and mu (Frobenius,
// KL), resident and in row panels, and for a transform (the held factor's
// penalty left out).
func TestTraceObjective(t *testing.T) {
	x := absNormal(7, 30, 20)
	for _, c := range []struct {
		name          string
		solver        nmf.Solver
		loss          string
		alphaW, alpha float64
		panelRows     int
	}{
		{"cd no penalty", nmf.CD, "frobenius", 0, 0, 0},
		{"mu kl no penalty", nmf.MU, "kullback-leibler", 0, 0, 0},
		{"cd", nmf.CD, "frobenius", 0.05, 0.02, 0},
		{"mu", nmf.MU, "frobenius", 0.05, 0.02, 0},
		{"mu kl", nmf.MU, "kullback-leibler", 0.01, 0.03, 0},
		{"mu W only", nmf.MU, "frobenius", 0.05, 0, 0},
		{"mu panels", nmf.MU, "frobenius", 0.05, 0.02, 7},
		{"cd panels", nmf.CD, "frobenius", 0.05, 0.02, 7},
	} {
		loss, err := nmf.ParseLoss(c.loss)
		if err != nil {
			t.Fatal(err)
		}
		o := nmf.Options{Components: 4, Solver: c.solver, Loss: loss, Init: nmf.InitRandom, Seed: 3,
			AlphaW: c.alphaW, AlphaH: &c.alpha, L1Ratio: 0.3, PanelRows: c.panelRows}
		o.SetStopping(20, 0)
		res, err := nmf.Fit(context.Background(), x, o)
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		checkTrace(t, c.name, res.Trace)
		if len(res.Trace) != 3 || res.Trace[2].Iter != 20 || res.NIter != 20 {
			t.Fatalf("%s: n_iter %d, trace %+v", c.name, res.NIter, res.Trace)
		}
		for _, p := range res.Trace {
			if penalised := c.alphaW > 0 || c.alpha > 0; penalised && !(p.Objective > p.Err) || !penalised && p.Objective != p.Err {
				t.Errorf("%s: iteration %d: objective %v, error %v", c.name, p.Iter, p.Objective, p.Err)
			}
		}
		want := handObjective(t, x, res.W, res.H, res.Params.Beta, c.alphaW, c.alpha, 0.3, false, false)
		if got := res.Trace[2].Objective; math.Abs(got-want) > 1e-12*want {
			t.Errorf("%s: objective %.17g, by hand %.17g", c.name, got, want)
		}
		// The final state is the last point's (iteration 20 is traced).
		if f, p := res.Final, res.Trace[2]; f.Iter != 20 || f.Err != res.ReconstructionErr || f.Err != p.Err || f.Objective != p.Objective || f.Seconds < p.Seconds {
			t.Errorf("%s: final %+v, last point %+v", c.name, f, p)
		}
	}
}

// TestTraceObjectiveTransformAndFloat32 checks the objective of a
// transform (W held: only H's penalty) and of a float32 fit.
func TestTraceObjectiveTransformAndFloat32(t *testing.T) {
	x := absNormal(8, 25, 15)
	o := nmf.Options{Components: 3, Init: nmf.InitRandom, Seed: 1, AlphaW: 0.04, AlphaH: ptr(0.02), L1Ratio: 0.5}
	o.SetStopping(10, 0)
	fit, err := nmf.Fit(context.Background(), x, o)
	if err != nil {
		t.Fatal(err)
	}
	// H held (new rows): W is solved, with W's penalty.
	tr, err := nmf.Transform(context.Background(), x, fit.H, o)
	if err != nil {
		t.Fatal(err)
	}
	want := handObjective(t, x, tr.W, fit.H, 2, 0.04, 0.02, 0.5, false, true)
	if p := tr.Trace[len(tr.Trace)-1]; p.Iter != 10 || math.Abs(p.Objective-want) > 1e-12*want || !(p.Objective > p.Err) {
		t.Errorf("transform: last point %+v, objective by hand %v", p, want)
	}
	// 25 iterations: the final state is beyond the trace (0, 10, 20).
	o.SetStopping(25, 0)
	fit25, err := nmf.Fit(context.Background(), x, o)
	if err != nil {
		t.Fatal(err)
	}
	want = handObjective(t, x, fit25.W, fit25.H, 2, 0.04, 0.02, 0.5, false, false)
	if f := fit25.Final; len(fit25.Trace) != 3 || f.Iter != 25 || f.Err != fit25.ReconstructionErr || math.Abs(f.Objective-want) > 1e-12*want || f.Seconds < fit25.Trace[2].Seconds {
		t.Errorf("25 iterations: final %+v, trace %+v, objective by hand %v", f, fit25.Trace, want)
	}
	x32 := nmf.Convert[float32](x)
	f32, err := nmf.Fit(context.Background(), x32, o)
	if err != nil {
		t.Fatal(err)
	}
	want = handObjective(t, x, nmf.Convert[float64](f32.W), nmf.Convert[float64](f32.H), 2, 0.04, 0.02, 0.5, false, false)
	if p := f32.Final; math.Abs(p.Objective-want) > 1e-5*want {
		t.Errorf("float32: last point %+v, objective by hand %v", p, want)
	}
}

// TestMiniBatchTraceAndInit checks a minibatch fit's trace point (the
// objective of NMF on the whole X, by hand) and that its init is timed and
// reported to Started.
func TestMiniBatchTraceAndInit(t *testing.T) {
	x := absNormal(9, 40, 12)
	o := nmf.Options{Components: 3, Init: nmf.InitNNDSVDA, Seed: 2, AlphaW: 0.03, AlphaH: ptr(0.05), L1Ratio: 0.4}
	o.SetStopping(5, 0)
	var started []time.Duration
	o.Started = func(d time.Duration) { started = append(started, d) }
	mbo := nmf.DefaultMiniBatchOptions()
	mbo.BatchSize = 16
	res, err := nmf.FitMiniBatch(context.Background(), x, o, mbo)
	if err != nil {
		t.Fatal(err)
	}
	if res.InitTime <= 0 || len(started) != 1 || started[0] != res.InitTime {
		t.Errorf("init time %v, Started called with %v", res.InitTime, started)
	}
	checkTrace(t, "minibatch", res.Trace)
	want := handObjective(t, x, res.W, res.H, 2, 0.03, 0.05, 0.4, false, false)
	if len(res.Trace) != 1 || res.Final != res.Trace[0] {
		t.Fatalf("trace %+v, final %+v", res.Trace, res.Final)
	}
	if p := res.Trace[0]; p.Err != res.ReconstructionErr || math.Abs(p.Objective-want) > 1e-12*want || !(p.Objective > p.Err) {
		t.Errorf("last point %+v (error %v), objective by hand %v", p, res.ReconstructionErr, want)
	}
}

// countingBackend counts the divergence passes and the reads of the
// backend it wraps.
type countingBackend struct {
	backend.Backend
	divergences, reads *int
}

func (c countingBackend) Divergence(x backend.Data, w, h backend.Matrix, beta float64) (float64, error) {
	*c.divergences++
	return c.Backend.Divergence(x, w, h, beta)
}

func (c countingBackend) Read(m backend.Matrix, dst backend.HostMatrix) error {
	*c.reads++
	return c.Backend.Read(m, dst)
}

// TestFinalReusesTrace checks that the error at the end is the trace's
// last point where that was taken at n_iter (MaxIter on a check
// iteration, convergence on one, no iterations), with one divergence pass
// per trace point and a further one only where the fit ended off the
// checks; that it is the error of the result; and that the penalty
// (alpha_W = alpha_H = 0.01) reads nothing back before the end.
func TestFinalReusesTrace(t *testing.T) {
	x := absNormal(10, 30, 20)
	for _, c := range []struct {
		name    string
		solver  nmf.Solver
		maxIter int
		tol     float64
		calls   int
	}{
		{"mu max_iter on a check", nmf.MU, 20, 0, 3},
		{"mu max_iter off the checks", nmf.MU, 25, 0, 4},
		{"mu converged on a check", nmf.MU, 200, 0.5, 2},
		{"cd max_iter on a check", nmf.CD, 20, 0, 3},
		{"cd converged off the checks", nmf.CD, 200, 0.5, 2},
		{"no iterations", nmf.MU, 0, 0, 1},
	} {
		var calls, reads int
		o := nmf.Options{Components: 3, Solver: c.solver, Init: nmf.InitRandom, Seed: 4, AlphaW: 0.01,
			Backend: func() (backend.Backend, error) {
				b, err := cpu.New()
				return countingBackend{b, &calls, &reads}, err
			}}
		o.SetStopping(c.maxIter, c.tol)
		res, err := nmf.Fit(context.Background(), x, o)
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		last := res.Trace[len(res.Trace)-1]
		// the penalties are summed on the backend: W and H are read once,
		// at the end
		if reads != 2 {
			t.Errorf("%s: %d reads of W or H, want 2", c.name, reads)
		}
		if calls != c.calls {
			t.Errorf("%s: %d divergence passes, want %d (n_iter %d, trace %+v)", c.name, calls, c.calls, res.NIter, res.Trace)
		}
		if onCheck := last.Iter == res.NIter; onCheck != (c.calls == len(res.Trace)) {
			t.Errorf("%s: n_iter %d, trace %+v", c.name, res.NIter, res.Trace)
		}
		d, err := nmf.Divergence(x, res.W, res.H, res.Params.Beta)
		if err != nil {
			t.Fatal(err)
		}
		// the error of the result, summed in another order
		if f, want := res.Final, math.Sqrt(2*d); f.Iter != res.NIter || f.Err != res.ReconstructionErr || math.Abs(f.Err-want) > 1e-12*want {
			t.Errorf("%s: final %+v, error of the result %v", c.name, f, want)
		}
	}
}
