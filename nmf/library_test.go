package nmf_test

import (
	"math"
	"testing"

	"github.com/clnmf/clnmf/nmf"
	"github.com/clnmf/clnmf/nmf/nmftest"
	"gonum.org/v1/gonum/mat"
)

// TestDenseIsMatMatrix: a *Dense of either precision is a gonum
// mat.Matrix: Dims, At and T read it in place, so gonum's functions take it.
func TestDenseIsMatMatrix(t *testing.T) {
	d := &nmf.Dense[float64]{Rows: 2, Cols: 3, Data: []float64{1, 2, 3, 4, 5, 6}}
	var m mat.Matrix = d
	if r, c := m.Dims(); r != 2 || c != 3 || m.At(1, 0) != 4 || m.At(0, 2) != 3 {
		t.Fatalf("Dims %d×%d, At(1,0) %v, At(0,2) %v", r, c, m.At(1, 0), m.At(0, 2))
	}
	if tr := m.T(); tr.At(2, 0) != 3 || tr.At(0, 1) != 4 {
		t.Errorf("T: At(2,0) %v, At(0,1) %v", tr.At(2, 0), tr.At(0, 1))
	}
	if !mat.Equal(d, mat.NewDense(2, 3, d.Data)) {
		t.Error("mat.Equal(Dense, the same gonum Dense) is false")
	}
	d.Data[4] = 50 // T is a view, not a copy
	if m.T().At(1, 1) != 50 {
		t.Error("T copies the data")
	}
	// float32: At converts exactly; Convert rounds one way and widens back.
	f := nmf.Convert[float32](d)
	if f.At(1, 1) != 50 || mat.DenseCopyOf(f).At(0, 1) != 2 {
		t.Errorf("float32 Dense through gonum: %v", mat.Formatted(mat.DenseCopyOf(f)))
	}
	third := &nmf.Dense[float64]{Rows: 1, Cols: 1, Data: []float64{1.0 / 3}}
	if got := nmf.Convert[float64](nmf.Convert[float32](third)).Data[0]; got != float64(float32(1.0/3)) {
		t.Errorf("Convert to float32 and back: %v", got)
	}
	// Out of range panics, as gonum's At does.
	defer func() {
		if recover() == nil {
			t.Error("At(2, 0) of a 2×3 Dense did not panic")
		}
	}()
	d.At(2, 0)
}

// TestZeroOptions: the zero Options are scikit-learn's defaults, as
// DefaultOptions; NoIterations and NoTol ask for the zeros that are not
// defaults, and SetStopping maps scikit-learn's max_iter and tol onto them.
func TestZeroOptions(t *testing.T) {
	x := absNormal(11, 20, 8)
	zero := nmf.Options{Components: 3, Device: "cpu"}
	def := cpuOptions()
	def.Components = 3
	for _, solver := range []nmf.Solver{nmf.CD, nmf.MU} {
		zero.Solver, def.Solver = solver, solver
		rz, rd := fit(t, x, zero), fit(t, x, def)
		if rz.NIter == 0 || rz.NIter != rd.NIter || maxAbsDiff(rz.W.Data, rd.W.Data) != 0 || maxAbsDiff(rz.H.Data, rd.H.Data) != 0 {
			t.Errorf("%s: the zero Options ran %d iterations, DefaultOptions %d, or the factors differ", solver, rz.NIter, rd.NIter)
		}
		if p := rz.Params; p.MaxIter != 200 || p.Tol != 1e-4 {
			t.Errorf("%s: the zero Options resolved to MaxIter %d, Tol %v; want 200 and 1e-4", solver, p.MaxIter, p.Tol)
		}

		o := zero
		o.MaxIter = nmf.NoIterations
		if r := fit(t, x, o); r.NIter != 0 || r.Params.MaxIter != 0 || len(r.Trace) != 1 {
			t.Errorf("%s: NoIterations ran %d iterations (Params.MaxIter %d, trace %v)", solver, r.NIter, r.Params.MaxIter, r.Trace)
		}
		o = zero
		o.MaxIter, o.Tol = 37, nmf.NoTol
		if r := fit(t, x, o); r.NIter != 37 || r.Params.Tol != 0 {
			t.Errorf("%s: NoTol stopped after %d of 37 iterations (Params.Tol %v)", solver, r.NIter, r.Params.Tol)
		}
		o = zero
		o.SetStopping(0, 0)
		if o.MaxIter != nmf.NoIterations || o.Tol != nmf.NoTol {
			t.Errorf("SetStopping(0, 0): MaxIter %d, Tol %v", o.MaxIter, o.Tol)
		}
		o.SetStopping(5, 1e-3)
		if o.MaxIter != 5 || o.Tol != 1e-3 {
			t.Errorf("SetStopping(5, 1e-3): MaxIter %d, Tol %v", o.MaxIter, o.Tol)
		}
	}
}

// transposed returns mᵀ through gonum (Dense.T is a mat.Matrix view).
func transposed(m *nmf.Dense[float64]) *nmf.Dense[float64] { return nmf.FromMat(m.T()) }

// TestTransformHoldW: Transform with W held solves H for the columns of X,
// and is scikit-learn's transform of Xᵀ with components Wᵀ — what the
// library computes with H held on the transposed problem — for every solver
// and loss, penalties on, dense and sparse. The two sum in different orders,
// so they agree to rounding: 1e-9 relative after up to 200 iterations of
// float64 (observed ≤ 1e-15).
func TestTransformHoldW(t *testing.T) {
	l, n, k := 30, 9, 3
	x := absNormal(21, l, n)
	for i := range x.Data {
		x.Data[i] += 0.01 // β ≤ 0 needs X > 0
	}
	w := absNormal(22, l, k)
	xt, wt := transposed(x), transposed(w)
	for _, c := range []struct {
		name   string
		solver nmf.Solver
		loss   nmf.Loss
	}{
		{"cd", nmf.CD, nmf.Frobenius},
		{"mu-fro", nmf.MU, nmf.Frobenius},
		{"mu-kl", nmf.MU, nmf.KullbackLeibler},
		{"mu-is", nmf.MU, nmf.ItakuraSaito},
		{"mu-1.5", nmf.MU, nmf.Beta(1.5)},
	} {
		for _, shuffle := range []bool{false, true} {
			if shuffle && c.solver != nmf.CD {
				continue
			}
			o := cpuOptions()
			o.Solver, o.Loss, o.Shuffle, o.Seed = c.solver, c.loss, shuffle, 3
			o.AlphaW, o.AlphaH, o.L1Ratio = 0.2, ptr(0.05), 0.4
			// The reference: H held on Xᵀ; Hᵀ's penalty is then AlphaW.
			ref := o
			ref.AlphaW, ref.AlphaH = 0.05, ptr(0.2)
			want, err := nmf.Transform(bg, xt, wt, ref)
			if err != nil {
				t.Fatal(err)
			}
			o.Hold = nmf.HoldW
			for _, xm := range []nmf.Matrix[float64]{x, nmftest.ToCSR(x)} {
				got, err := nmf.Transform(bg, xm, w, o)
				if err != nil {
					t.Fatalf("%s: %v", c.name, err)
				}
				if got.H.Rows != k || got.H.Cols != n || maxAbsDiff(got.W.Data, w.Data) != 0 {
					t.Fatalf("%s: H is %d×%d or W is not the one held", c.name, got.H.Rows, got.H.Cols)
				}
				wantH := transposed(want.W)
				scale := maxAbs(wantH.Data)
				if d := maxAbsDiff(got.H.Data, wantH.Data); d > 1e-9*scale || got.NIter != want.NIter {
					t.Errorf("%s shuffle=%v %T: H differs from the transposed transform by %.3g (scale %.3g), %d iterations vs %d",
						c.name, shuffle, xm, d, scale, got.NIter, want.NIter)
				}
				if math.Abs(got.ReconstructionErr-want.ReconstructionErr) > 1e-9*want.ReconstructionErr {
					t.Errorf("%s: error %v, transposed %v", c.name, got.ReconstructionErr, want.ReconstructionErr)
				}
				if p := got.Params; p.L1RegH != float64(l)*0.05*0.4 || p.AlphaH != 0.05 {
					t.Errorf("%s: H's penalty %+v, want AlphaH 0.05 scaled by l", c.name, p)
				}
			}
		}
	}
}

// TestTransformHoldWBad: the held W is checked as H is, under its own name.
func TestTransformHoldWBad(t *testing.T) {
	x := positive(1, 6, 4)
	w := positive(2, 6, 2)
	o := cpuOptions()
	o.Hold = nmf.HoldW
	tr := func(w *nmf.Dense[float64], f func(*nmf.Options)) func() error {
		return func() error {
			o := o
			if f != nil {
				f(&o)
			}
			_, err := nmf.Transform(bg, x, w, o)
			return err
		}
	}
	for _, c := range []badCase{
		{"W missing", tr(nil, nil), nmf.ErrInvalid, "W", -1, -1, "missing"},
		{"W rows", tr(positive(2, 5, 2), nil), nmf.ErrShape, "W", -1, -1, "6×k"},
		{"W negative", tr(with(w, 4, 1, -1), nil), nmf.ErrNegative, "W", 4, 1, ""},
		{"W all zero", tr(&nmf.Dense[float64]{Rows: 6, Cols: 2, Data: make([]float64, 12)}, nil), nmf.ErrAllZero, "W", -1, -1, ""},
		{"Components", tr(w, func(o *nmf.Options) { o.Components = 3 }), nmf.ErrInvalid, "Components", -1, -1, "k = 2"},
		{"Hold", tr(w, func(o *nmf.Options) { o.Hold = 7 }), nmf.ErrInvalid, "Hold", -1, -1, ""},
	} {
		checkBad(t, c)
	}
}

// TestDeviceInResult: the result says what ran, why, and that opening it
// was timed apart (the time itself is not asserted).
func TestDeviceInResult(t *testing.T) {
	o := cpuOptions()
	o.Components = 2
	res := fit(t, positive(3, 5, 4), o)
	if res.Device == "" || res.DeviceReason != "asked for" || res.DeviceOpenSeconds < 0 || math.IsNaN(res.DeviceOpenSeconds) {
		t.Errorf("device %q, reason %q, open %v s", res.Device, res.DeviceReason, res.DeviceOpenSeconds)
	}
}

// TestCustomStartNeedsFactors: init custom without a start, or a start with
// another init, is refused by every fit that takes one, naming the call to
// use.
func TestCustomStartNeedsFactors(t *testing.T) {
	x := positive(4, 6, 4)
	w0, h0 := positive(5, 6, 2), positive(6, 2, 4)
	o := cpuOptions()
	o.Components, o.Init = 2, nmf.InitCustom
	mb := nmf.DefaultMiniBatchOptions()
	mb.BatchSize = 3
	random := o
	random.Init = nmf.InitRandom
	for _, c := range []badCase{
		{"Fit", func() error { _, err := nmf.Fit(bg, x, o); return err }, nmf.ErrInvalid, "Init", -1, -1, "FitFrom"},
		{"FitMiniBatch", func() error { _, err := nmf.FitMiniBatch(bg, x, o, mb); return err }, nmf.ErrInvalid, "Init", -1, -1, "FitMiniBatchFrom"},
		{"NewOnline", func() error { return nmf.NewOnline[float64](o, mb).PartialFit(bg, x) }, nmf.ErrInvalid, "Init", -1, -1, "NewOnlineFrom"},
		{"FitMiniBatchFrom random", func() error { _, err := nmf.FitMiniBatchFrom(bg, x, w0, h0, random, mb); return err }, nmf.ErrInvalid, "Init", -1, -1, "W0 and H0"},
		{"NewOnlineFrom random", func() error { return nmf.NewOnlineFrom(w0, h0, random, mb).PartialFit(bg, x) }, nmf.ErrInvalid, "Init", -1, -1, "W0 and H0"},
	} {
		checkBad(t, c)
	}
	// With the start, each runs; k comes from W0.
	o.Components = 0
	if _, err := nmf.FitMiniBatchFrom(bg, x, w0, h0, o, mb); err != nil {
		t.Errorf("FitMiniBatchFrom: %v", err)
	}
	if err := nmf.NewOnlineFrom(w0, h0, o, mb).PartialFit(bg, x); err != nil {
		t.Errorf("NewOnlineFrom: %v", err)
	}
}

// TestTransformHoldWFloat32: in float32 the two orientations agree to
// float32's rounding (1e-4 relative after 200 iterations).
func TestTransformHoldWFloat32(t *testing.T) {
	x := nmf.Convert[float32](positive(31, 25, 7))
	w := nmf.Convert[float32](positive(32, 25, 3))
	o := cpuOptions()
	o.Loss, o.Solver, o.MaxIter, o.Tol = nmf.KullbackLeibler, nmf.MU, 200, nmf.NoTol
	want, err := nmf.Transform(bg, nmf.Convert[float32](transposed(nmf.Convert[float64](x))), nmf.Convert[float32](transposed(nmf.Convert[float64](w))), o)
	if err != nil {
		t.Fatal(err)
	}
	o.Hold = nmf.HoldW
	got, err := nmf.Transform(bg, x, w, o)
	if err != nil {
		t.Fatal(err)
	}
	wantH := transposed(nmf.Convert[float64](want.W))
	if d := maxAbsDiff(nmf.Convert[float64](got.H).Data, wantH.Data); d > 1e-4*maxAbs(wantH.Data) || got.Params.Precision != "float32" {
		t.Errorf("float32 H differs from the transposed transform by %.3g (%s)", d, got.Params.Precision)
	}
}

func maxAbs(s []float64) float64 {
	m := 0.0
	for _, v := range s {
		m = max(m, math.Abs(v))
	}
	return m
}
