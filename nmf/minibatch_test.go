package nmf_test

import (
	"context"
	"errors"
	"math"
	"os"
	"strings"
	"testing"

	"github.com/clnmf/clnmf/nmf"
	"github.com/clnmf/clnmf/nmf/nmftest"
)

func mbOptions(k int) nmf.Options {
	o := cpuOptions()
	o.Components = k
	o.Init = nmf.InitRandom
	o.MaxIter = 5
	return o
}

// TestMiniBatchBadOptions: every minibatch parameter out of range is an
// *InputError naming it.
func TestMiniBatchBadOptions(t *testing.T) {
	x := positive(1, 20, 6)
	neg, zero := -1, 0
	for _, c := range []struct {
		arg string
		opt func(*nmf.Options)
		mb  func(*nmf.MiniBatchOptions)
	}{
		{"BatchSize", nil, func(m *nmf.MiniBatchOptions) { m.BatchSize = -3 }},
		{"ForgetFactor", nil, func(m *nmf.MiniBatchOptions) { m.ForgetFactor = 1.5 }},
		{"ForgetFactor", nil, func(m *nmf.MiniBatchOptions) { m.ForgetFactor = math.NaN() }},
		{"FreshRestartsMaxIter", nil, func(m *nmf.MiniBatchOptions) { m.FreshRestartsMaxIter = -1 }},
		{"TransformMaxIter", nil, func(m *nmf.MiniBatchOptions) { m.TransformMaxIter = &zero }},
		{"MaxNoImprovement", nil, func(m *nmf.MiniBatchOptions) { m.MaxNoImprovement = &neg }},
		{"Solver", func(o *nmf.Options) { o.Solver = nmf.CD }, nil},
		{"MaxIter", func(o *nmf.Options) { o.MaxIter = nmf.NoIterations }, nil}, // 0 is the default 200
	} {
		o, mb := mbOptions(2), nmf.DefaultMiniBatchOptions()
		if c.opt != nil {
			c.opt(&o)
		}
		if c.mb != nil {
			c.mb(&mb)
		}
		_, err := nmf.FitMiniBatch(bg, x, o, mb)
		var ie *nmf.InputError
		if !errors.As(err, &ie) || ie.Arg != c.arg || !errors.Is(err, nmf.ErrInvalid) {
			t.Errorf("%s: got %v, want an invalid-parameter error for %s", c.arg, err, c.arg)
		}
	}
}

// TestMiniBatchDefaults: batch size above the rows is clamped, rho follows,
// and zero options mean scikit-learn's defaults.
func TestMiniBatchDefaults(t *testing.T) {
	x := positive(2, 30, 5)
	mb := nmf.DefaultMiniBatchOptions()
	mb.BatchSize = 8
	res, err := nmf.FitMiniBatch(bg, x, mbOptions(3), mb)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := res.MiniBatch.Rho, math.Pow(0.7, 8.0/30); got != want {
		t.Errorf("rho = %v, want %v", got, want)
	}
	if res.NSteps != 5*4 || res.NIter != 5 {
		t.Errorf("n_steps, n_iter = %d, %d; want 20, 5", res.NSteps, res.NIter)
	}
	res, err = nmf.FitMiniBatch(bg, x, mbOptions(3), nmf.MiniBatchOptions{})
	if err != nil {
		t.Fatal(err)
	}
	p := res.MiniBatch
	if p.BatchSize != 30 || p.Rho != 0.7 || p.ForgetFactor != 0.7 || p.FreshRestartsMaxIter != 30 || p.TransformMaxIter != 5 || p.MaxNoImprovement != nil {
		t.Errorf("resolved %+v", p)
	}
}

// rowsFunc is a RowSource from a function.
type rowsFunc struct {
	l, n int
	f    func(lo, hi int) (nmf.Matrix[float64], error)
}

func (s rowsFunc) Dims() (int, int)                             { return s.l, s.n }
func (s rowsFunc) Rows(lo, hi int) (nmf.Matrix[float64], error) { return s.f(lo, hi) }

// TestMiniBatchSourceChecks: a streamed source's batches are validated as X
// is, with rows counted in X; its failures and wrong shapes are reported.
func TestMiniBatchSourceChecks(t *testing.T) {
	x := positive(3, 40, 6)
	bad := with(x, 27, 4, math.NaN())
	mb := nmf.DefaultMiniBatchOptions()
	mb.BatchSize = 10
	src := func(m *nmf.Dense[float64]) rowsFunc {
		return rowsFunc{40, 6, func(lo, hi int) (nmf.Matrix[float64], error) { return nmf.Rows[float64](m, lo, hi), nil }}
	}
	_, err := nmf.FitMiniBatchSource[float64](bg, src(bad), mbOptions(2), mb)
	var ie *nmf.InputError
	if !errors.As(err, &ie) || ie.Row != 27 || ie.Col != 4 || !errors.Is(err, nmf.ErrNotFinite) {
		t.Errorf("NaN at [27,4]: got %v", err)
	}
	_, err = nmf.FitMiniBatchSource[float64](bg, rowsFunc{40, 6, func(lo, hi int) (nmf.Matrix[float64], error) {
		return nil, errors.New("disk on fire")
	}}, mbOptions(2), mb)
	if err == nil || !strings.Contains(err.Error(), "disk on fire") {
		t.Errorf("failing source: got %v", err)
	}
	_, err = nmf.FitMiniBatchSource[float64](bg, rowsFunc{40, 6, func(lo, hi int) (nmf.Matrix[float64], error) {
		return nmf.Rows[float64](x, lo, hi+1), nil
	}}, mbOptions(2), mb)
	if !errors.Is(err, nmf.ErrShape) {
		t.Errorf("wrong batch shape: got %v", err)
	}
	o := mbOptions(2)
	o.Init = nmf.InitNNDSVDA
	if _, err = nmf.FitMiniBatchSource[float64](bg, src(x), o, mb); !errors.Is(err, nmf.ErrInvalid) {
		t.Errorf("nndsvda streamed: got %v", err)
	}
	// Streamed and in-memory fits agree, random init included; the source
	// is asked for one batch at a time.
	widest := 0
	counting := rowsFunc{40, 6, func(lo, hi int) (nmf.Matrix[float64], error) {
		widest = max(widest, hi-lo)
		return nmf.Rows[float64](x, lo, hi), nil
	}}
	a, err := nmf.FitMiniBatchSource[float64](bg, counting, mbOptions(2), mb)
	if widest != mb.BatchSize {
		t.Errorf("the source was asked for %d rows at once; want batches of %d", widest, mb.BatchSize)
	}
	if err != nil {
		t.Fatal(err)
	}
	b, err := nmf.FitMiniBatch(bg, x, mbOptions(2), mb)
	if err != nil {
		t.Fatal(err)
	}
	if d := nmftest.RelDiff(a.H.Data, b.H.Data); d > 1e-12 {
		t.Errorf("streamed H differs from in-memory by %g", d)
	}
}

// TestMiniBatchCancel: a cancelled fit returns the state reached.
func TestMiniBatchCancel(t *testing.T) {
	x := positive(4, 50, 6)
	ctx, cancel := context.WithCancel(bg)
	o := mbOptions(2)
	o.MaxIter = 100
	steps := 0
	o.Progress = func(int, float64) {
		if steps++; steps == 3 {
			cancel()
		}
	}
	mb := nmf.DefaultMiniBatchOptions()
	mb.BatchSize = 10
	mb.MaxNoImprovement = nil
	res, err := nmf.FitMiniBatch(ctx, x, o, mb)
	if !errors.Is(err, context.Canceled) || res == nil || !res.Partial || res.NSteps == 0 || res.NSteps >= 500 {
		t.Fatalf("got %v, %+v", err, res)
	}
}

// TestOnlineRestore: a saved state restores to the same model, and every
// corrupted field is refused with its name.
func TestOnlineRestore(t *testing.T) {
	x := positive(5, 30, 4)
	m := nmf.NewOnline[float64](mbOptions(2), nmf.DefaultMiniBatchOptions())
	if _, err := m.Transform(bg, x); err == nil {
		t.Error("Transform before PartialFit: no error")
	}
	for i := 0; i < 3; i++ {
		if err := m.PartialFit(bg, nmf.Rows[float64](x, i*10, i*10+10)); err != nil {
			t.Fatal(err)
		}
	}
	if err := m.PartialFit(bg, positive(6, 5, 3)); !errors.Is(err, nmf.ErrShape) {
		t.Errorf("batch of 3 columns: got %v", err)
	}
	st := m.State()
	r, err := nmf.RestoreOnline[float64](st, cpuOptions())
	if err != nil {
		t.Fatal(err)
	}
	if err := r.PartialFit(bg, x); err != nil {
		t.Fatal(err)
	}
	if err := m.PartialFit(bg, x); err != nil {
		t.Fatal(err)
	}
	if d := nmftest.RelDiff(r.H().Data, m.H().Data); d != 0 || r.NSteps() != 4 {
		t.Errorf("restored model diverges from the original: %g, n_steps %d", d, r.NSteps())
	}
	if _, err := nmf.RestoreOnline[float32](st, cpuOptions()); err == nil {
		t.Error("float64 state restored as float32")
	}
	for name, f := range map[string]func(s *nmf.OnlineState){
		"rho":         func(s *nmf.OnlineState) { s.MiniBatch.Rho = 2 },
		"batch_size":  func(s *nmf.OnlineState) { s.MiniBatch.BatchSize = 0 },
		"shape":       func(s *nmf.OnlineState) { s.Features = -1 },
		"H":           func(s *nmf.OnlineState) { s.H = s.H[1:] },
		"numerator":   func(s *nmf.OnlineState) { s.Numerator[3] = math.Inf(1) },
		"denominator": func(s *nmf.OnlineState) { s.Denominator[0] = 0 },
		"beta":        func(s *nmf.OnlineState) { s.Params.Beta = math.NaN() },
		"l1_ratio":    func(s *nmf.OnlineState) { s.Params.L1Ratio = -1 },
		"n_steps":     func(s *nmf.OnlineState) { s.NSteps = -2 },
	} {
		s := *m.State()
		f(&s)
		if _, err := nmf.RestoreOnline[float64](&s, cpuOptions()); err == nil || !strings.Contains(err.Error(), name) {
			t.Errorf("%s corrupted: got %v", name, err)
		}
	}
}

// TestMiniBatchDeviceMemory: on an OpenCL device, X beyond DeviceMemory is
// handed over a batch at a time (Streamed, less device memory), with the
// same numbers; on the CPU the cap does not apply.
func TestMiniBatchDeviceMemory(t *testing.T) {
	x := positive(7, 400, 30)
	mb := nmf.DefaultMiniBatchOptions()
	mb.BatchSize = 50
	o := mbOptions(3)
	o.DeviceMemory = 1 << 10
	res, err := nmf.FitMiniBatch(bg, x, o, mb)
	if err != nil {
		t.Fatal(err)
	}
	if res.Streamed {
		t.Error("cpu: streamed under DeviceMemory")
	}
	o.Device = "opencl"
	capped, err := nmf.FitMiniBatch(bg, x, o, mb)
	if errors.Is(err, nmf.ErrDevice) && os.Getenv("CI") != "true" {
		t.Skipf("no OpenCL device: %v", err)
	}
	if err != nil {
		t.Fatal(err)
	}
	o.DeviceMemory = 0
	whole, err := nmf.FitMiniBatch(bg, x, o, mb)
	if err != nil {
		t.Fatal(err)
	}
	if !capped.Streamed || whole.Streamed || capped.DeviceBytes >= whole.DeviceBytes {
		t.Errorf("streamed %v/%v, device bytes %d/%d", capped.Streamed, whole.Streamed, capped.DeviceBytes, whole.DeviceBytes)
	}
	if d := nmftest.RelDiff(capped.H.Data, whole.H.Data); d != 0 {
		t.Errorf("capped H differs by %g", d)
	}
}
