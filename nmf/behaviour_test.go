package nmf_test

// The behaviours scikit-learn 1.2's sklearn/decomposition/tests/test_nmf.py
// checks, for this library. The golden conformance suite (nmf/nmftest) pins
// exact numbers against scikit-learn; these tests pin properties that hold
// for any input: nonnegativity, decreasing objectives, dense = sparse,
// float32 ≈ float64, warnings, determinism, cancellation and the input
// contract.

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/clnmf/clnmf/nmf"
	"github.com/clnmf/clnmf/nmf/internal/randomstate"
	"github.com/clnmf/clnmf/nmf/nmftest"
	"gonum.org/v1/gonum/mat"
)

var bg = context.Background()

// ---- helpers shared by the test files of this package ----

// absNormal returns an r×c matrix of |N(0,1)| entries from seed: numpy's
// np.abs(RandomState(seed).randn(r, c)), as in scikit-learn's tests.
func absNormal(seed uint64, r, c int) *nmf.Dense[float64] {
	rs, err := randomstate.New(seed)
	if err != nil {
		panic(err)
	}
	d := &nmf.Dense[float64]{Rows: r, Cols: c, Data: make([]float64, r*c)}
	for i := range d.Data {
		d.Data[i] = math.Abs(rs.StandardNormal())
	}
	return d
}

// convert returns d in element type U.
func convert[U, T nmf.Float](d *nmf.Dense[T]) *nmf.Dense[U] {
	out := &nmf.Dense[U]{Rows: d.Rows, Cols: d.Cols, Data: make([]U, len(d.Data))}
	for i, v := range d.Data {
		out.Data[i] = U(v)
	}
	return out
}

func clone[T nmf.Float](d *nmf.Dense[T]) *nmf.Dense[T] {
	return &nmf.Dense[T]{Rows: d.Rows, Cols: d.Cols, Data: append([]T(nil), d.Data...)}
}

// cpuOptions are scikit-learn's defaults on the CPU device.
func cpuOptions() nmf.Options {
	o := nmf.DefaultOptions()
	o.Device = "cpu"
	return o
}

func ptr(v float64) *float64 { return &v }

// fit runs nmf.Fit and fails the test on an error or a panic.
func fit[T nmf.Float](t testing.TB, x nmf.Matrix[T], o nmf.Options) *nmf.Result[T] {
	t.Helper()
	res, err := noPanic(t, func() (*nmf.Result[T], error) { return nmf.Fit(bg, x, o) })
	if err != nil {
		t.Fatalf("Fit: %v", err)
	}
	return res
}

func fitFrom[T nmf.Float](t testing.TB, x nmf.Matrix[T], w0, h0 *nmf.Dense[T], o nmf.Options) *nmf.Result[T] {
	t.Helper()
	res, err := noPanic(t, func() (*nmf.Result[T], error) { return nmf.FitFrom(bg, x, w0, h0, o) })
	if err != nil {
		t.Fatalf("FitFrom: %v", err)
	}
	return res
}

// noPanic calls f and turns a panic into a test failure with a nil result.
func noPanic[R any](t testing.TB, f func() (R, error)) (r R, err error) {
	t.Helper()
	defer func() {
		if p := recover(); p != nil {
			t.Errorf("panic: %v", p)
			err = fmt.Errorf("panicked: %v", p)
		}
	}()
	return f()
}

// maxAbsDiff is max|a − b|, +Inf when the lengths differ.
func maxAbsDiff[T nmf.Float](a, b []T) float64 {
	if len(a) != len(b) {
		return math.Inf(1)
	}
	var d float64
	for i := range a {
		d = math.Max(d, math.Abs(float64(a[i])-float64(b[i])))
	}
	return d
}

// product is W·H in float64.
func product[T nmf.Float](w, h *nmf.Dense[T]) []float64 {
	out := make([]float64, w.Rows*h.Cols)
	for i := 0; i < w.Rows; i++ {
		for t := 0; t < w.Cols; t++ {
			a := float64(w.Data[i*w.Cols+t])
			for j := 0; j < h.Cols; j++ {
				out[i*h.Cols+j] += a * float64(h.Data[t*h.Cols+j])
			}
		}
	}
	return out
}

// residual is ‖X − W·H‖_F for a dense X.
func residual[T nmf.Float](x, w, h *nmf.Dense[T]) float64 {
	var s float64
	for p, v := range product(w, h) {
		d := float64(x.Data[p]) - v
		s += d * d
	}
	return math.Sqrt(s)
}

func frobNorm[T nmf.Float](a []T) float64 {
	var s float64
	for _, v := range a {
		s += float64(v) * float64(v)
	}
	return math.Sqrt(s)
}

func sum[T nmf.Float](a []T) float64 {
	var s float64
	for _, v := range a {
		s += float64(v)
	}
	return s
}

// checkFactors fails unless every entry of W and H is finite and ≥ 0.
func checkFactors[T nmf.Float](t testing.TB, name string, res *nmf.Result[T]) {
	t.Helper()
	for _, m := range []struct {
		n string
		d *nmf.Dense[T]
	}{{"W", res.W}, {"H", res.H}} {
		for p, v := range m.d.Data {
			f := float64(v)
			if f < 0 || math.IsNaN(f) || math.IsInf(f, 0) {
				t.Errorf("%s: %s[%d,%d] = %v", name, m.n, p/m.d.Cols, p%m.d.Cols, v)
				break
			}
		}
	}
}

// penalty is one of scikit-learn's regularisation settings.
type penalty struct {
	name    string
	alphaW  float64
	alphaH  *float64
	l1Ratio float64
}

func (p penalty) apply(o *nmf.Options) {
	o.AlphaW, o.AlphaH, o.L1Ratio = p.alphaW, p.alphaH, p.l1Ratio
}

// penalties: none, then W only, H only and both ("same") for each l1_ratio
// in {0, 0.5, 1}.
func penalties() []penalty {
	ps := []penalty{{name: "none"}}
	for _, l1 := range []float64{0, 0.5, 1} {
		ps = append(ps,
			penalty{fmt.Sprintf("W-only/l1=%g", l1), 1, ptr(0), l1},
			penalty{fmt.Sprintf("H-only/l1=%g", l1), 0, ptr(1), l1},
			penalty{fmt.Sprintf("both/l1=%g", l1), 1, nil, l1},
		)
	}
	return ps
}

var allInits = []nmf.Init{nmf.InitRandom, nmf.InitNNDSVD, nmf.InitNNDSVDA, nmf.InitNNDSVDAR, nmf.InitAuto}

// ---- nonnegativity ----

// TestNonnegativeOutput is test_nmf_fit_nn_output (and
// test_initialize_nn_output): W and H are nonnegative and finite for every
// solver × init × penalty and, for mu, every loss. X is strictly positive so
// that the Itakura-Saito loss (β = 0) is allowed; strong penalties (α = 1,
// scaled by n or l as scikit-learn does) drive whole factors to zero, the
// hardest case for the β < 1 updates.
func TestNonnegativeOutput(t *testing.T) {
	x := absNormal(1, 10, 8)
	for i := range x.Data {
		x.Data[i] += 1e-3 // strictly positive, for β ≤ 0
	}
	losses := []nmf.Loss{nmf.Frobenius, nmf.KullbackLeibler, nmf.ItakuraSaito, nmf.Beta(0.5), nmf.Beta(1.5), nmf.Beta(3)}
	for _, solver := range []nmf.Solver{nmf.MU, nmf.CD} {
		for _, loss := range losses {
			if solver == nmf.CD && loss != nmf.Frobenius {
				continue
			}
			for _, init := range allInits {
				for _, pen := range penalties() {
					name := fmt.Sprintf("%s/%s/%s/%s", solver, loss, initName(init), pen.name)
					o := cpuOptions()
					o.Components, o.Solver, o.Loss, o.Init, o.Seed = 4, solver, loss, init, 7
					pen.apply(&o)
					res, err := noPanic(t, func() (*nmf.Result[float64], error) { return nmf.Fit(bg, x, o) })
					if err != nil {
						t.Errorf("%s: %v", name, err)
						continue
					}
					checkFactors(t, name, res)
					if math.IsNaN(res.ReconstructionErr) || res.ReconstructionErr < 0 {
						t.Errorf("%s: reconstruction error %v", name, res.ReconstructionErr)
					}
				}
			}
		}
	}
}

func initName(i nmf.Init) string {
	if i == nmf.InitAuto {
		return "auto"
	}
	return string(i)
}

// ---- initialisation ----

// initFactors returns the initialisation of X by running zero iterations.
func initFactors(t *testing.T, x *nmf.Dense[float64], k int, init nmf.Init, seed uint64) (w, h *nmf.Dense[float64]) {
	t.Helper()
	o := cpuOptions()
	o.Components, o.Init, o.Seed, o.MaxIter = k, init, seed, nmf.NoIterations
	res := fit(t, x, o)
	if res.NIter != 0 {
		t.Fatalf("MaxIter 0: NIter = %d", res.NIter)
	}
	return res.W, res.H
}

// TestInitializeClose is test_initialize_close: NNDSVD with k = n is a
// better approximation than the mean, ‖X − WH‖ ≤ ‖X − mean(X)‖. An
// inequality, no tolerance.
func TestInitializeClose(t *testing.T) {
	for seed := uint64(0); seed < 5; seed++ {
		a := absNormal(seed, 10, 10)
		w, h := initFactors(t, a, 10, nmf.InitNNDSVD, 0)
		mean := sum(a.Data) / float64(len(a.Data))
		var sdev float64
		for _, v := range a.Data {
			sdev += (v - mean) * (v - mean)
		}
		sdev = math.Sqrt(sdev)
		if e := residual(a, w, h); !(e <= sdev) {
			t.Errorf("seed %d: ‖X − WH‖ = %v > ‖X − mean‖ = %v", seed, e, sdev)
		}
	}
}

// TestInitializeVariants is test_initialize_variants: nndsvda and nndsvdar
// differ from nndsvd only where nndsvd is zero. They share one SVD, so the
// nonzeros must be bit-identical (scikit-learn asserts 7 decimals).
func TestInitializeVariants(t *testing.T) {
	a := absNormal(42, 10, 10)
	w0, h0 := initFactors(t, a, 10, nmf.InitNNDSVD, 0)
	wa, ha := initFactors(t, a, 10, nmf.InitNNDSVDA, 0)
	war, har := initFactors(t, a, 10, nmf.InitNNDSVDAR, 0)
	mean := sum(a.Data) / float64(len(a.Data))
	zeros := 0
	for _, c := range []struct {
		name     string
		ref, evl *nmf.Dense[float64]
		filled   func(v float64) bool
	}{
		{"W nndsvda", w0, wa, func(v float64) bool { return v == mean }},
		{"W nndsvdar", w0, war, func(v float64) bool { return v >= 0 && v < mean }},
		{"H nndsvda", h0, ha, func(v float64) bool { return v == mean }},
		{"H nndsvdar", h0, har, func(v float64) bool { return v >= 0 && v < mean }},
	} {
		for p, r := range c.ref.Data {
			if r != 0 {
				if c.evl.Data[p] != r {
					t.Errorf("%s[%d] = %v, nndsvd %v", c.name, p, c.evl.Data[p], r)
				}
				continue
			}
			zeros++
			// nndsvda fills with mean(X); nndsvdar with |N(0,1)|·mean/100,
			// below mean(X) with overwhelming probability (|N| < 100).
			if !c.filled(c.evl.Data[p]) {
				t.Errorf("%s[%d] = %v where nndsvd is 0 (mean(X) = %v)", c.name, p, c.evl.Data[p], mean)
			}
		}
	}
	if zeros == 0 {
		t.Error("nndsvd has no zeros: the test checks nothing")
	}
}

// TestRandomInit checks the random initialisation: the same seed gives the
// same factors, another seed others, and the entries are |N(0,1)| scaled by
// sqrt(mean(X)/k), so their mean is sqrt(mean(X)/k)·sqrt(2/π). With 4000 and
// 3000 entries the standard error of the mean of |N(0,1)| is
// sqrt(1 − 2/π)/sqrt(N) ≈ 1%, so a 6% bound is ≥ 5 standard errors.
func TestRandomInit(t *testing.T) {
	x := absNormal(3, 400, 300)
	for i := range x.Data {
		x.Data[i] *= 7 // a mean far from 1 shows a missing scale
	}
	const k = 10
	w1, h1 := initFactors(t, x, k, nmf.InitRandom, 11)
	w2, h2 := initFactors(t, x, k, nmf.InitRandom, 11)
	w3, h3 := initFactors(t, x, k, nmf.InitRandom, 12)
	if maxAbsDiff(w1.Data, w2.Data) != 0 || maxAbsDiff(h1.Data, h2.Data) != 0 {
		t.Error("the same seed gave different random inits")
	}
	if maxAbsDiff(w1.Data, w3.Data) == 0 || maxAbsDiff(h1.Data, h3.Data) == 0 {
		t.Error("seeds 11 and 12 gave the same random init")
	}
	scale := math.Sqrt(sum(x.Data)/float64(len(x.Data))/k) * math.Sqrt(2/math.Pi)
	for _, m := range []struct {
		name string
		d    *nmf.Dense[float64]
	}{{"W", w1}, {"H", h1}} {
		mean := sum(m.d.Data) / float64(len(m.d.Data))
		if r := mean / scale; math.Abs(r-1) > 0.06 {
			t.Errorf("mean of %s = %v, want sqrt(mean(X)/k)·sqrt(2/π) = %v (ratio %.3f)", m.name, mean, scale, r)
		}
		for p, v := range m.d.Data {
			if !(v >= 0) {
				t.Errorf("%s[%d] = %v", m.name, p, v)
				break
			}
		}
	}
	// nndsvdar's fill is random too: same seed same fill, other seed other.
	a := absNormal(42, 10, 10)
	wa, _ := initFactors(t, a, 10, nmf.InitNNDSVDAR, 1)
	wb, _ := initFactors(t, a, 10, nmf.InitNNDSVDAR, 1)
	wc, _ := initFactors(t, a, 10, nmf.InitNNDSVDAR, 2)
	if maxAbsDiff(wa.Data, wb.Data) != 0 {
		t.Error("nndsvdar: the same seed gave different inits")
	}
	if maxAbsDiff(wa.Data, wc.Data) == 0 {
		t.Error("nndsvdar: seeds 1 and 2 gave the same init")
	}
}

// TestComponentsAndAutoInit: Components 0 means k = n; InitAuto resolves
// to nndsvda when k ≤ min(l, n) and to random otherwise, and to custom when
// W0 and H0 are given (scikit-learn 1.2's "None" init).
func TestComponentsAndAutoInit(t *testing.T) {
	x := absNormal(5, 12, 7)
	o := cpuOptions()
	o.MaxIter = 5
	res := fit(t, x, o)
	if res.Params.Components != 7 || res.W.Rows != 12 || res.W.Cols != 7 || res.H.Rows != 7 || res.H.Cols != 7 {
		t.Errorf("Components 0: k = %d, W %d×%d, H %d×%d; want k = n = 7", res.Params.Components, res.W.Rows, res.W.Cols, res.H.Rows, res.H.Cols)
	}
	if res.Params.Init != nmf.InitNNDSVDA {
		t.Errorf("k = 7 ≤ min(12, 7): Init resolved to %q, want nndsvda", res.Params.Init)
	}
	if res.Params.Solver != nmf.CD {
		t.Errorf("Frobenius: auto solver resolved to %q, want cd", res.Params.Solver)
	}
	o.Components = 8
	if res = fit(t, x, o); res.Params.Init != nmf.InitRandom {
		t.Errorf("k = 8 > min(12, 7): Init resolved to %q, want random", res.Params.Init)
	}
	o.Components, o.Loss = 3, nmf.KullbackLeibler
	if res = fitFrom(t, x, absNormal(1, 12, 3), absNormal(2, 3, 7), o); res.Params.Init != nmf.InitCustom || res.Params.Solver != nmf.MU {
		t.Errorf("W0, H0 given, KL: init %q solver %q, want custom and mu", res.Params.Init, res.Params.Solver)
	}
}

// ---- convergence ----

// lowRank returns X = W·H for random nonnegative W (l×k) and H (k×n).
func lowRank(seed uint64, l, n, k int) *nmf.Dense[float64] {
	w, h := absNormal(seed, l, k), absNormal(seed+1, k, n)
	return &nmf.Dense[float64]{Rows: l, Cols: n, Data: product(w, h)}
}

// TestLowRankRecovery is test_nmf_true_reconstruction (and test_nmf_fit_close)
// on an exactly rank-3 X: every solver and loss that can reach zero error
// gets close to it. The bounds are a few times what the fit reaches
// (measured: mu needs many iterations, the multiplicative update converges
// sublinearly; cd converges much faster), so they catch a broken update, not
// a slightly different rounding. Measured after 2000 iterations, the same
// as scikit-learn's NMF(3, init="nndsvda", tol=0, random_state=0) on the
// same X: mu-kl 1.6e-6, mu-frobenius 4.4e-3, cd 1.4e-5.
func TestLowRankRecovery(t *testing.T) {
	x := lowRank(10, 30, 20, 3)
	normX := frobNorm(x.Data)
	for _, c := range []struct {
		name    string
		solver  nmf.Solver
		loss    nmf.Loss
		maxIter int
		bound   float64
	}{
		{"mu-kl", nmf.MU, nmf.KullbackLeibler, 2000, 1e-3},
		{"mu-frobenius", nmf.MU, nmf.Frobenius, 2000, 2e-2},
		{"cd", nmf.CD, nmf.Frobenius, 2000, 1e-4},
	} {
		o := cpuOptions()
		o.Components, o.Solver, o.Loss, o.MaxIter, o.Tol, o.Init = 3, c.solver, c.loss, c.maxIter, nmf.NoTol, nmf.InitNNDSVDA
		res := fit(t, x, o)
		rel := residual(x, res.W, res.H) / normX
		t.Logf("%s: ‖X − WH‖/‖X‖ = %.3g after %d iterations", c.name, rel, res.NIter)
		if !(rel < c.bound) {
			t.Errorf("%s: ‖X − WH‖/‖X‖ = %.3g, want < %g", c.name, rel, c.bound)
		}
	}
}

// TestTransformMatchesFit is test_nmf_transform: transforming the training
// data with the fitted H gives back (nearly) the fitted W. Both are
// minimisers of the same convex problem in W reached from different starts,
// so they agree only to the solver tolerance: scikit-learn asserts
// assert_allclose(ft, t, atol=1e-1) with tol 1e-6, and so do we.
func TestTransformMatchesFit(t *testing.T) {
	a := absNormal(42, 6, 5)
	for _, solver := range []nmf.Solver{nmf.CD, nmf.MU} {
		o := cpuOptions()
		o.Solver, o.Components, o.Init, o.Seed, o.Tol = solver, 3, nmf.InitRandom, 0, 1e-6
		res := fit(t, a, o)
		tr, err := noPanic(t, func() (*nmf.Result[float64], error) { return nmf.Transform(bg, a, res.H, o) })
		if err != nil {
			t.Fatalf("%s: Transform: %v", solver, err)
		}
		if d := maxAbsDiff(res.W.Data, tr.W.Data); d > 1e-1 {
			t.Errorf("%s: max|fit W − transform W| = %v > 0.1", solver, d)
		}
		if maxAbsDiff(tr.H.Data, res.H.Data) != 0 || &tr.H.Data[0] == &res.H.Data[0] {
			t.Errorf("%s: Transform's H is not a copy of the H given", solver)
		}
	}
}

// TestDenseEqualsSparse is test_nmf_sparse_input,
// test_nmf_multiplicative_update_sparse and test_nmf_sparse_transform: the
// same X as *Dense and as *CSR gives the same W and H. X has zero columns
// and scattered zeros so that the sparse paths skip something. The two
// paths sum in different orders (BLAS on W·H versus per-nonzero dot
// products), so they agree to rounding, amplified a little over 100
// iterations; 1e-10 absolute on entries of order 1 is far above that and
// far below any real difference.
func TestDenseEqualsSparse(t *testing.T) {
	x := absNormal(42, 20, 12)
	rng := rand.New(rand.NewPCG(9, 9))
	for i := range x.Data {
		if i%12%3 == 0 || rng.Float64() < 0.2 {
			x.Data[i] = 0
		}
	}
	xs := nmftest.ToCSR(x)
	const k = 5
	w0, h0 := initFactors(t, x, k, nmf.InitRandom, 3)
	for _, c := range []struct {
		name   string
		solver nmf.Solver
		loss   nmf.Loss
	}{
		{"mu-frobenius", nmf.MU, nmf.Frobenius},
		{"mu-kl", nmf.MU, nmf.KullbackLeibler},
		{"mu-beta1.5", nmf.MU, nmf.Beta(1.5)},
		{"cd", nmf.CD, nmf.Frobenius},
	} {
		for _, pen := range []penalty{{name: "none"}, {"both/l1=0.5", 0.1, nil, 0.5}} {
			name := c.name + "/" + pen.name
			o := cpuOptions()
			o.Components, o.Solver, o.Loss, o.MaxIter, o.Tol = k, c.solver, c.loss, 100, nmf.NoTol
			pen.apply(&o)
			rd := fitFrom[float64](t, x, w0, h0, o)
			rs := fitFrom[float64](t, xs, w0, h0, o)
			d := max(maxAbsDiff(rd.W.Data, rs.W.Data), maxAbsDiff(rd.H.Data, rs.H.Data))
			t.Logf("%s: max difference %.3g", name, d)
			if d > 1e-10 {
				t.Errorf("%s: dense and sparse fits differ by %.3g", name, d)
			}
			if math.Abs(rd.ReconstructionErr-rs.ReconstructionErr) > 1e-10*rd.ReconstructionErr {
				t.Errorf("%s: reconstruction error dense %v, sparse %v", name, rd.ReconstructionErr, rs.ReconstructionErr)
			}
			if rd.NIter != rs.NIter {
				t.Errorf("%s: NIter dense %d, sparse %d", name, rd.NIter, rs.NIter)
			}
			td, err1 := nmf.Transform[float64](bg, x, rd.H, o)
			ts, err2 := nmf.Transform[float64](bg, xs, rd.H, o)
			if err1 != nil || err2 != nil {
				t.Fatalf("%s: Transform: %v, %v", name, err1, err2)
			}
			if d := maxAbsDiff(td.W.Data, ts.W.Data); d > 1e-10 {
				t.Errorf("%s: dense and sparse transforms differ by %.3g", name, d)
			}
		}
	}
}

// TestFloat32MatchesFloat64 is test_nmf_float32_float64_consistency: the
// same fit in float32 and float64 agrees to atol 1e-5, scikit-learn's
// tolerance. scikit-learn computes the float32 case in float32 (with
// float64 reductions where numpy promotes), as we do; the bound holds on a
// well-conditioned problem and tol 1e-3 ends both fits at the same
// iteration. Measured: W within 9e-7 (cd) and 8e-7 (mu), H within 1.2e-5
// of entries up to 8.8.
func TestFloat32MatchesFloat64(t *testing.T) {
	x := absNormal(0, 50, 7)
	x32 := convert[float32](x)
	for _, solver := range []nmf.Solver{nmf.CD, nmf.MU} {
		o := cpuOptions()
		o.Solver, o.Tol, o.Seed = solver, 1e-3, 0
		r64 := fit[float64](t, x, o)
		r32 := fit[float32](t, x32, o)
		if r32.Params.Precision != "float32" || r64.Params.Precision != "float64" {
			t.Errorf("%s: precisions %q, %q", solver, r32.Params.Precision, r64.Params.Precision)
		}
		if r32.NIter != r64.NIter {
			t.Errorf("%s: NIter float32 %d, float64 %d", solver, r32.NIter, r64.NIter)
		}
		dw := maxAbsDiff(convert[float64](r32.W).Data, r64.W.Data)
		dh := maxAbsDiff(convert[float64](r32.H).Data, r64.H.Data)
		t.Logf("%s: %d iterations, max|W32 − W64| = %.3g, max|H32 − H64| = %.3g", solver, r64.NIter, dw, dh)
		if dw > 1e-5 {
			t.Errorf("%s: max|W32 − W64| = %.3g > 1e-5", solver, dw)
		}
		// scikit-learn checks W only. H's entries are up to ~9 here (W's
		// below 1), so the same relative accuracy is 1e-5·max|H|.
		var hmax float64
		for _, v := range r64.H.Data {
			hmax = max(hmax, v)
		}
		if dh > 1e-5*hmax {
			t.Errorf("%s: max|H32 − H64| = %.3g > 1e-5·max|H| = %.3g", solver, dh, 1e-5*hmax)
		}
	}
}

// objective is the penalised objective test_nmf_decreasing computes:
// D_β(X, WH) + α·l1·(n·ΣW + l·ΣH) + α·(1 − l1)·(n·‖W‖² + l·‖H‖²). (This is
// what scikit-learn's test sums; the solvers minimise the same terms with
// ½ on the L2 part and the multiplicative update on its majoriser, and the
// test holds for both.)
func objective(t *testing.T, x, w, h *nmf.Dense[float64], beta, alpha, l1 float64) float64 {
	t.Helper()
	d, err := nmf.Divergence[float64](x, w, h, beta)
	if err != nil {
		t.Fatal(err)
	}
	l, n := float64(x.Rows), float64(x.Cols)
	sq := func(a []float64) float64 { s := frobNorm(a); return s * s }
	return d + alpha*l1*n*sum(w.Data) + alpha*l1*l*sum(h.Data) +
		alpha*(1-l1)*n*sq(w.Data) + alpha*(1-l1)*l*sq(h.Data)
}

// TestObjectiveDecreasing is test_nmf_decreasing: from one random start,
// running MaxIter = 1, 2, …, 30 iterations gives a strictly decreasing
// penalised objective, for β in scikit-learn's list and the brief's
// {0, 0.5, 1, 1.5, 2, 2.5}, mu and (β = 2) cd. It also checks that the
// iterations carry no hidden state: i iterations from the start equal one
// iteration from the result of i − 1 (bit for bit).
func TestObjectiveDecreasing(t *testing.T) {
	const alpha, l1 = 0.1, 0.5
	x := absNormal(42, 20, 15)
	w0, h0 := initFactors(t, x, 10, nmf.InitRandom, 42)
	for _, solver := range []nmf.Solver{nmf.MU, nmf.CD} {
		for _, beta := range []float64{-1.2, 0, 0.2, 0.5, 1, 1.5, 2, 2.5} {
			if solver == nmf.CD && beta != 2 {
				continue
			}
			name := fmt.Sprintf("%s/β=%g", solver, beta)
			o := cpuOptions()
			o.Solver, o.Loss, o.Components, o.Tol = solver, nmf.Beta(beta), 10, nmf.NoTol
			o.AlphaW, o.L1Ratio = alpha, l1
			previous := objective(t, x, w0, h0, beta, alpha, l1)
			w, h := w0, h0
			for i := 1; i <= 30; i++ {
				o.MaxIter = i
				res := fitFrom(t, x, w0, h0, o)
				o.MaxIter = 1
				step := fitFrom(t, x, w, h, o)
				if maxAbsDiff(res.W.Data, step.W.Data) != 0 || maxAbsDiff(res.H.Data, step.H.Data) != 0 {
					t.Errorf("%s: %d iterations from the start differ from 1 more after %d", name, i, i-1)
				}
				loss := objective(t, x, res.W, res.H, beta, alpha, l1)
				if !(loss < previous) {
					t.Errorf("%s: objective %v after %d iterations, %v after %d", name, loss, i, previous, i-1)
					break
				}
				previous, w, h = loss, res.W, res.H
			}
		}
	}
}

// TestRegularization is test_nmf_regularization: with α_W = 0.5, L1
// (l1_ratio 1) leaves more exact zeros (≤ float64 eps) in W and in H than no
// penalty, and L2 (l1_ratio 0) gives a smaller ‖W‖² + ‖H‖². Inequalities, as
// in scikit-learn.
func TestRegularization(t *testing.T) {
	x := absNormal(42, 6, 5)
	zeros := func(a []float64) int {
		n := 0
		for _, v := range a {
			if v <= 0x1p-52 {
				n++
			}
		}
		return n
	}
	for _, solver := range []nmf.Solver{nmf.CD, nmf.MU} {
		run := func(alpha, l1 float64) *nmf.Result[float64] {
			o := cpuOptions()
			o.Solver, o.Components, o.AlphaW, o.L1Ratio, o.Seed = solver, 3, alpha, l1, 42
			return fit(t, x, o)
		}
		reg, plain := run(0.5, 1), run(0, 1)
		if a, b := zeros(reg.W.Data), zeros(plain.W.Data); !(a > b) {
			t.Errorf("%s L1: W has %d zeros regularised, %d not", solver, a, b)
		}
		if a, b := zeros(reg.H.Data), zeros(plain.H.Data); !(a > b) {
			t.Errorf("%s L1: H has %d zeros regularised, %d not", solver, a, b)
		}
		reg, plain = run(0.5, 0), run(0, 0)
		n2 := func(r *nmf.Result[float64]) float64 {
			a, b := frobNorm(r.W.Data), frobNorm(r.H.Data)
			return a*a + b*b
		}
		if a, b := n2(reg), n2(plain); !(a < b) {
			t.Errorf("%s L2: ‖W‖² + ‖H‖² = %v regularised, %v not", solver, a, b)
		}
	}
}

// TestUnderflow is test_nmf_underflow: a denormal X entry (1e-323) counts
// as zero in the KL divergence (entries ≤ Epsilon are left out), and a KL
// fit gives the same factors as with an exact zero. Divergence:
// scikit-learn asserts 7 decimals; ours are the same sum, so 1e-9 relative.
// Fit: the entry only enters as X/V·Hᵀ ≈ 1e-323, invisible next to the
// other terms, so the fits agree to rounding (1e-12).
func TestUnderflow(t *testing.T) {
	x := absNormal(0, 10, 2)
	w, h := absNormal(1, 10, 2), absNormal(2, 2, 2)
	for i := range x.Data {
		x.Data[i] *= 10
	}
	for i := range w.Data {
		w.Data[i] *= 10
	}
	x.Data[0] = 0
	ref, err := nmf.Divergence[float64](x, w, h, 1)
	if err != nil {
		t.Fatal(err)
	}
	o := cpuOptions()
	o.Components, o.Loss, o.Solver, o.MaxIter, o.Tol = 2, nmf.KullbackLeibler, nmf.MU, 50, nmf.NoTol
	fitRef := fitFrom(t, x, w, h, o)
	x.Data[0] = 1e-323
	if x.Data[0] == 0 {
		t.Fatal("1e-323 is not a denormal here")
	}
	res, err := nmf.Divergence[float64](x, w, h, 1)
	if err != nil {
		t.Fatal(err)
	}
	if math.Abs(res-ref) > 1e-9*math.Abs(ref) || math.IsNaN(res) {
		t.Errorf("KL divergence with X[0,0] = 1e-323: %v, with 0: %v", res, ref)
	}
	for _, xs := range []nmf.Matrix[float64]{x, nmftest.ToCSR(x)} {
		got := fitFrom(t, xs, w, h, o)
		checkFactors(t, "denormal X", got)
		if d := max(maxAbsDiff(got.W.Data, fitRef.W.Data), maxAbsDiff(got.H.Data, fitRef.H.Data)); d > 1e-12 {
			t.Errorf("%T: KL fit with X[0,0] = 1e-323 differs from X[0,0] = 0 by %.3g", xs, d)
		}
	}
}

// ---- options ----

// TestMaxIterZeroReturnsInit: MaxIter 0 returns the custom start unchanged
// (bit for bit, float64 and float32) and its error.
func TestMaxIterZeroReturnsInit(t *testing.T) {
	x := absNormal(1, 8, 6)
	w0, h0 := absNormal(2, 8, 3), absNormal(3, 3, 6)
	o := cpuOptions()
	o.Components, o.MaxIter = 3, nmf.NoIterations
	for _, solver := range []nmf.Solver{nmf.MU, nmf.CD} {
		o.Solver = solver
		res := fitFrom(t, x, w0, h0, o)
		if res.NIter != 0 || maxAbsDiff(res.W.Data, w0.Data) != 0 || maxAbsDiff(res.H.Data, h0.Data) != 0 {
			t.Errorf("%s: MaxIter 0 moved the start (NIter %d)", solver, res.NIter)
		}
		if want := residual(x, w0, h0); math.Abs(res.ReconstructionErr-want) > 1e-12*want {
			t.Errorf("%s: error %v, want ‖X − W0·H0‖ = %v", solver, res.ReconstructionErr, want)
		}
		if len(res.Warnings) != 0 {
			t.Errorf("%s: MaxIter 0 warned %v", solver, res.Warnings)
		}
		w32 := convert[float32](w0)
		r32 := fitFrom(t, convert[float32](x), w32, convert[float32](h0), o)
		if maxAbsDiff(r32.W.Data, w32.Data) != 0 {
			t.Errorf("%s float32: MaxIter 0 moved the start", solver)
		}
	}
}

func hasWarning[T nmf.Float](res *nmf.Result[T], code string) bool {
	for _, w := range res.Warnings {
		if w.Code == code {
			if w.String() == "" || w.Message == "" {
				return false
			}
			return true
		}
	}
	return false
}

// TestWarnings is test_convergence_warning and the mu/nndsvd UserWarning:
// "max_iter" when tol > 0 and MaxIter is reached (scikit-learn's
// ConvergenceWarning on a 2×2 matrix of ones with max_iter 1), not with
// tol 0 or on convergence; "mu_nndsvd_zeros" for mu with nndsvd only.
func TestWarnings(t *testing.T) {
	ones := &nmf.Dense[float64]{Rows: 2, Cols: 2, Data: []float64{1, 1, 1, 1}}
	for _, solver := range []nmf.Solver{nmf.CD, nmf.MU} {
		o := cpuOptions()
		o.Solver, o.MaxIter = solver, 1
		if res := fit(t, ones, o); !hasWarning(res, "max_iter") || res.NIter != 1 {
			t.Errorf("%s: max_iter 1 on ones: warnings %v, NIter %d", solver, res.Warnings, res.NIter)
		}
		o.Tol = nmf.NoTol
		if res := fit(t, ones, o); hasWarning(res, "max_iter") {
			t.Errorf("%s: tol 0 still warned %v", solver, res.Warnings)
		}
		o = cpuOptions()
		o.Solver, o.MaxIter, o.Components = solver, 2000, 2
		if res := fit(t, absNormal(4, 6, 5), o); hasWarning(res, "max_iter") || res.NIter == o.MaxIter {
			t.Errorf("%s: a converged fit warned %v after %d iterations", solver, res.Warnings, res.NIter)
		}
	}
	x := absNormal(5, 6, 5)
	for _, c := range []struct {
		solver nmf.Solver
		init   nmf.Init
		want   bool
	}{{nmf.MU, nmf.InitNNDSVD, true}, {nmf.MU, nmf.InitNNDSVDA, false}, {nmf.CD, nmf.InitNNDSVD, false}} {
		o := cpuOptions()
		o.Solver, o.Init, o.Components = c.solver, c.init, 3
		if got := hasWarning(fit(t, x, o), "mu_nndsvd_zeros"); got != c.want {
			t.Errorf("%s with %s: mu_nndsvd_zeros warning %v, want %v", c.solver, c.init, got, c.want)
		}
	}
}

// TestShuffle: shuffled coordinate descent is deterministic for a seed,
// differs from the unshuffled one, and from another seed's.
func TestShuffle(t *testing.T) {
	x := absNormal(6, 15, 10)
	o := cpuOptions()
	o.Solver, o.Components, o.Init, o.MaxIter, o.Tol = nmf.CD, 5, nmf.InitNNDSVDA, 20, nmf.NoTol
	plain := fit(t, x, o)
	o.Shuffle, o.Seed = true, 1
	a, b := fit(t, x, o), fit(t, x, o)
	o.Seed = 2
	c := fit(t, x, o)
	if maxAbsDiff(a.W.Data, b.W.Data) != 0 || maxAbsDiff(a.H.Data, b.H.Data) != 0 {
		t.Error("shuffled cd with the same seed is not deterministic")
	}
	if maxAbsDiff(a.W.Data, plain.W.Data) == 0 {
		t.Error("shuffled cd equals the unshuffled one")
	}
	if maxAbsDiff(a.W.Data, c.W.Data) == 0 {
		t.Error("shuffled cd with seeds 1 and 2 agree")
	}
	if !a.Params.Shuffle || a.Params.Seed != 1 {
		t.Errorf("Params: Shuffle %v Seed %d", a.Params.Shuffle, a.Params.Seed)
	}
}

// TestCancel: cancelling from Progress at iteration 7 stops Fit at the end
// of iteration 7 with the state reached: an error wrapping
// context.Canceled, Result.Partial, NIter 7, and W, H equal to a
// 7-iteration fit. Progress sees 1, 2, …, 7 in order. Transform too.
func TestCancel(t *testing.T) {
	x := absNormal(7, 12, 9)
	for _, solver := range []nmf.Solver{nmf.MU, nmf.CD} {
		for _, transform := range []bool{false, true} {
			name := fmt.Sprintf("%s/transform=%v", solver, transform)
			ctx, cancel := context.WithCancel(bg)
			var seen []int
			o := cpuOptions()
			o.Solver, o.Components, o.MaxIter, o.Tol, o.Init = solver, 4, 50, nmf.NoTol, nmf.InitNNDSVDA
			h := fit(t, x, o).H
			o.Progress = func(iter int, err float64) {
				seen = append(seen, iter)
				if math.IsNaN(err) || err <= 0 {
					t.Errorf("%s: Progress(%d, %v)", name, iter, err)
				}
				if iter == 7 {
					cancel()
				}
			}
			var res *nmf.Result[float64]
			var err error
			if transform {
				res, err = nmf.Transform[float64](ctx, x, h, o)
			} else {
				res, err = nmf.Fit[float64](ctx, x, o)
			}
			cancel()
			if !errors.Is(err, context.Canceled) {
				t.Errorf("%s: error %v, want one wrapping context.Canceled", name, err)
			}
			if res == nil {
				t.Errorf("%s: no result with the cancellation", name)
				continue
			}
			if !res.Partial || res.NIter != 7 {
				t.Errorf("%s: Partial %v, NIter %d; want true, 7", name, res.Partial, res.NIter)
			}
			if fmt.Sprint(seen) != "[1 2 3 4 5 6 7]" {
				t.Errorf("%s: Progress saw %v", name, seen)
			}
			// The state is that of 7 whole iterations.
			o.Progress, o.MaxIter = nil, 7
			var want *nmf.Result[float64]
			if transform {
				want, err = nmf.Transform[float64](bg, x, h, o)
			} else {
				want = fit(t, x, o)
			}
			if err == nil && (maxAbsDiff(res.W.Data, want.W.Data) != 0 || maxAbsDiff(res.H.Data, want.H.Data) != 0) {
				t.Errorf("%s: the partial result is not the state after 7 iterations", name)
			}
		}
	}
	// Progress is called every iteration, with increasing numbers, to the
	// end; and a cancelled context before the start gives no iteration.
	o := cpuOptions()
	o.Components, o.MaxIter, o.Tol, o.Solver = 3, 25, nmf.NoTol, nmf.MU
	var seen []int
	o.Progress = func(iter int, _ float64) { seen = append(seen, iter) }
	fit(t, x, o)
	for i, it := range seen {
		if it != i+1 {
			t.Fatalf("Progress saw %v, want 1…25", seen)
		}
	}
	if len(seen) != 25 {
		t.Errorf("Progress called %d times for 25 iterations", len(seen))
	}
	ctx, cancel := context.WithCancel(bg)
	cancel()
	o.Progress = nil
	res, err := nmf.Fit[float64](ctx, x, o)
	if !errors.Is(err, context.Canceled) || res == nil || res.NIter != 0 || !res.Partial {
		t.Errorf("cancelled before the start: %v, %+v", err, res)
	}
}

// bits is the bytes of a slice, for byte-identical comparisons.
func bits[T nmf.Float | int](s []T) []byte {
	var b bytes.Buffer
	var err error
	if is, ok := any(s).([]int); ok {
		wide := make([]int64, len(is))
		for i, v := range is {
			wide[i] = int64(v)
		}
		err = binary.Write(&b, binary.LittleEndian, wide)
	} else {
		err = binary.Write(&b, binary.LittleEndian, s)
	}
	if err != nil {
		panic(err)
	}
	return b.Bytes()
}

// TestInputsNotModified: X (dense and CSR, including an explicitly stored
// zero the backend drops), W0, H0 and Transform's H are byte-identical
// after Fit and Transform, for every solver, in both precisions.
func TestInputsNotModified(t *testing.T) {
	testInputsNotModified[float64](t)
	testInputsNotModified[float32](t)
}

func testInputsNotModified[T nmf.Float](t *testing.T) {
	x := convert[T](absNormal(8, 9, 7))
	x.Data[3] = 0
	x.Data[5] = 0
	// X[0,3] is stored as an explicit zero, X[0,5] is implicit.
	xs := &nmf.CSR[T]{Rows: x.Rows, Cols: x.Cols, Indptr: make([]int, x.Rows+1)}
	for p, v := range x.Data {
		if v != 0 || p == 3 {
			xs.Indices = append(xs.Indices, p%x.Cols)
			xs.Data = append(xs.Data, v)
		}
		xs.Indptr[p/x.Cols+1] = len(xs.Data)
	}
	w0, h0 := convert[T](absNormal(9, 9, 3)), convert[T](absNormal(10, 3, 7))
	snapshot := func() [][]byte {
		return [][]byte{bits(x.Data), bits(xs.Data), bits(xs.Indices), bits(xs.Indptr), bits(w0.Data), bits(h0.Data)}
	}
	before := snapshot()
	for _, xm := range []nmf.Matrix[T]{x, xs} {
		for _, c := range []struct {
			solver nmf.Solver
			loss   nmf.Loss
		}{{nmf.MU, nmf.Frobenius}, {nmf.MU, nmf.KullbackLeibler}, {nmf.MU, nmf.Beta(1.5)}, {nmf.CD, nmf.Frobenius}} {
			o := cpuOptions()
			o.Solver, o.Loss, o.Components, o.MaxIter = c.solver, c.loss, 3, 30
			res := fitFrom(t, xm, w0, h0, o)
			if &res.W.Data[0] == &w0.Data[0] || &res.H.Data[0] == &h0.Data[0] {
				t.Errorf("%T %s %s: the result aliases W0 or H0", xm, c.solver, c.loss)
			}
			if _, err := nmf.Transform(bg, xm, h0, o); err != nil {
				t.Fatal(err)
			}
			if _, err := nmf.Divergence(xm, w0, h0, c.loss.Beta()); err != nil {
				t.Fatal(err)
			}
		}
	}
	for i, b := range snapshot() {
		if !bytes.Equal(b, before[i]) {
			t.Errorf("%T: input %d (X, CSR data, indices, indptr, W0, H0) was modified", *new(T), i)
		}
	}
}

// TestGonumInterop: FromMat copies a gonum matrix, ToMat gives it back
// (sharing the data for float64, converting float32), and a fit result goes
// through gonum unchanged.
func TestGonumInterop(t *testing.T) {
	m := mat.NewDense(3, 4, []float64{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12})
	d := nmf.FromMat(m)
	if d.Rows != 3 || d.Cols != 4 || maxAbsDiff(d.Data, m.RawMatrix().Data) != 0 {
		t.Fatalf("FromMat: %+v", d)
	}
	d.Data[0] = 100
	if m.At(0, 0) != 1 {
		t.Error("FromMat shares the gonum matrix's data")
	}
	d.Data[0] = 1
	back := nmf.ToMat(d)
	if !mat.Equal(back, m) {
		t.Errorf("ToMat(FromMat(m)) = %v", mat.Formatted(back))
	}
	back.Set(1, 1, -3)
	if d.Data[5] != -3 {
		t.Error("ToMat of a float64 Dense does not share its data")
	}
	// A transposed view goes through At.
	dt := nmf.FromMat(m.T())
	if dt.Rows != 4 || dt.Cols != 3 || dt.Data[1] != m.At(1, 0) {
		t.Errorf("FromMat(mᵀ): %+v", dt)
	}
	f := convert[float32](nmf.FromMat(m))
	if got := nmf.ToMat(f); !mat.Equal(got, m) {
		t.Errorf("ToMat(float32) = %v", mat.Formatted(got))
	}
	// A fit through gonum: X from gonum, W·H back in gonum.
	o := cpuOptions()
	o.Components = 2
	res := fit(t, nmf.FromMat(m), o)
	var wh mat.Dense
	wh.Mul(nmf.ToMat(res.W), nmf.ToMat(res.H))
	inv, err := nmf.InverseTransform(res.W, res.H)
	if err != nil {
		t.Fatal(err)
	}
	if !mat.EqualApprox(&wh, nmf.ToMat(inv), 1e-12) {
		t.Error("InverseTransform differs from gonum's W·H")
	}
}

// TestLossNames: ParseLoss accepts every name, abbreviation and number,
// and String gives scikit-learn's names back.
func TestLossNames(t *testing.T) {
	for _, c := range []struct {
		in   string
		beta float64
		name string
	}{
		{"frobenius", 2, "frobenius"}, {"fro", 2, "frobenius"}, {" Frobenius ", 2, "frobenius"},
		{"kullback-leibler", 1, "kullback-leibler"}, {"KL", 1, "kullback-leibler"},
		{"itakura-saito", 0, "itakura-saito"}, {"is", 0, "itakura-saito"},
		{"2", 2, "frobenius"}, {"1", 1, "kullback-leibler"}, {"0", 0, "itakura-saito"},
		{"1.5", 1.5, "1.5"}, {"-0.5", -0.5, "-0.5"}, {"3e0", 3, "3"}, {" 0.25 ", 0.25, "0.25"},
	} {
		l, err := nmf.ParseLoss(c.in)
		if err != nil || l.Beta() != c.beta || l.String() != c.name {
			t.Errorf("ParseLoss(%q) = β %v %q, %v; want β %v %q", c.in, l.Beta(), l.String(), err, c.beta, c.name)
		}
	}
	for _, bad := range []string{"", " ", "kl2", "frobenius-ish", "nan", "NaN", "inf", "-Inf", "1e400", "2,5", "0x", "beta"} {
		if l, err := nmf.ParseLoss(bad); !errors.Is(err, nmf.ErrInvalid) || !strings.Contains(err.Error(), "loss") {
			t.Errorf("ParseLoss(%q) = %v, %v; want an ErrInvalid naming the loss", bad, l, err)
		}
	}
	var zero nmf.Loss
	if zero.Beta() != 2 || zero.String() != "frobenius" {
		t.Errorf("zero Loss: β %v %q", zero.Beta(), zero.String())
	}
	if nmf.Beta(2) != nmf.Frobenius || nmf.Beta(1) != nmf.KullbackLeibler || nmf.Beta(0) != nmf.ItakuraSaito {
		t.Error("Beta(2), Beta(1), Beta(0) differ from the named losses")
	}
}
