// Package nmftest is the conformance suite every backend runs: scikit-learn
// 1.2.1's outputs (testdata/golden) reproduced through nmf.Fit, nmf.Transform
// and the backend's divergence, within the tolerances of the golden
// README. A backend's test file calls Golden with a constructor, as gonum's
// blas/testblas serves each BLAS implementation.
package nmftest

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"testing"

	"github.com/clnmf/clnmf/nmf"
	"github.com/clnmf/clnmf/nmf/backend"
	"github.com/sbinet/npyio/npy"
)

// Tolerances of the golden README, as max|ours − theirs| / max|theirs|.
const (
	// Perturbing the start by 1e-9 moves scikit-learn's own float64
	// results by < 1e-8, so 1e-6 leaves room for summation order only.
	tol64 = 1e-6
	// scikit-learn's float32 results differ from its float64 ones by ~1e-6;
	// 1e-3 allows for float32 rounding through hundreds of iterations.
	tol32 = 1e-3
	// Divergences are single sums in float64.
	tolDivergence = 1e-9
)

// Case is one golden case's case.json.
type Case struct {
	Name     string          `json:"name"`
	Kind     string          `json:"kind"`
	X        string          `json:"X"`
	XMtx     string          `json:"X_mtx"`
	Rank     int             `json:"rank"`
	Dtype    string          `json:"dtype"`
	Init     string          `json:"init"`
	Solver   string          `json:"solver"`
	BetaLoss float64         `json:"beta_loss"`
	Tol      float64         `json:"tol"`
	MaxIter  int             `json:"max_iter"`
	AlphaW   float64         `json:"alpha_W"`
	AlphaH   json.RawMessage `json:"alpha_H"`
	L1Ratio  float64         `json:"l1_ratio"`
	// RandomState is scikit-learn's random_state of a seeded case, SVD its
	// SVD ("randomized"; absent in the top folder, made with the exact
	// one), Shuffle coordinate descent's shuffle.
	RandomState *uint64         `json:"random_state"`
	SVD         string          `json:"svd"`
	Shuffle     bool            `json:"shuffle"`
	W0          string          `json:"W0"`
	H0          string          `json:"H0"`
	W           string          `json:"W"`
	H           string          `json:"H"`
	Expect      json.RawMessage `json:"expect"`
	Transform   *struct {
		X string `json:"X"`
		W string `json:"W"`
	} `json:"transform"`
	dir string
}

type expectSolver struct {
	W, H              string
	NIter             int     `json:"n_iter"`
	ReconstructionErr float64 `json:"reconstruction_err"`
}

// Cases reads index.json in dir and every case it lists.
func Cases(dir string) ([]*Case, error) {
	var cases []*Case
	err := eachCase(dir, func(caseDir string, raw []byte) error {
		c := &Case{dir: caseDir}
		cases = append(cases, c)
		return json.Unmarshal(raw, c)
	})
	return cases, err
}

// eachCase calls f with the folder and the case.json of every case that
// index.json in dir lists, in order.
func eachCase(dir string, f func(caseDir string, raw []byte) error) error {
	raw, err := os.ReadFile(filepath.Join(dir, "index.json"))
	if err != nil {
		return err
	}
	var idx struct{ Cases []string }
	if err := json.Unmarshal(raw, &idx); err != nil {
		return fmt.Errorf("%s: %w", filepath.Join(dir, "index.json"), err)
	}
	for _, name := range idx.Cases {
		p := filepath.Join(dir, name, "case.json")
		raw, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		if err := f(filepath.Join(dir, name), raw); err != nil {
			return fmt.Errorf("%s: %w", p, err)
		}
	}
	return nil
}

// Options returns the nmf options of a solver case.
func (c *Case) Options() nmf.Options {
	o := nmf.DefaultOptions()
	o.Components = c.Rank
	o.Loss = nmf.Beta(c.BetaLoss)
	o.Solver = nmf.Solver(c.Solver)
	o.Init = nmf.Init(c.Init)
	if c.Init == "auto" { // scikit-learn's init=None
		o.Init = nmf.InitAuto
	}
	o.SVD = nmf.SVDExact
	if c.SVD == "randomized" {
		o.SVD = nmf.SVDRandomized
	}
	if c.RandomState != nil {
		o.Seed = *c.RandomState
	}
	o.Shuffle = c.Shuffle
	o.SetStopping(c.MaxIter, c.Tol)
	o.AlphaW = c.AlphaW
	o.L1Ratio = c.L1Ratio
	var a float64
	if json.Unmarshal(c.AlphaH, &a) == nil {
		o.AlphaH = &a
	}
	return o
}

// Load reads a .npy file of the case as a Dense of T.
func Load[T nmf.Float](c *Case, name string) (*nmf.Dense[T], error) {
	f, err := os.Open(filepath.Join(c.dir, name))
	if err != nil {
		return nil, err
	}
	defer f.Close()
	r, err := npy.NewReader(f)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", f.Name(), err)
	}
	shape := r.Header.Descr.Shape
	var data []T
	if err := r.Read(&data); err != nil {
		return nil, fmt.Errorf("%s: %w", f.Name(), err)
	}
	switch len(shape) {
	case 1:
		return &nmf.Dense[T]{Rows: 1, Cols: shape[0], Data: data}, nil
	case 2:
		return &nmf.Dense[T]{Rows: shape[0], Cols: shape[1], Data: data}, nil
	}
	return nil, fmt.Errorf("%s: shape %v", f.Name(), shape)
}

// ToCSR returns the nonzeros of d as a CSR matrix.
func ToCSR[T nmf.Float](d *nmf.Dense[T]) *nmf.CSR[T] {
	s := &nmf.CSR[T]{Rows: d.Rows, Cols: d.Cols, Indptr: make([]int, d.Rows+1)}
	for i := 0; i < d.Rows; i++ {
		for j := 0; j < d.Cols; j++ {
			if v := d.Data[i*d.Cols+j]; v != 0 {
				s.Indices = append(s.Indices, j)
				s.Data = append(s.Data, v)
			}
		}
		s.Indptr[i+1] = len(s.Data)
	}
	return s
}

// RelDiff is max|a − b| / max|b| (nmf.MaxRelDiff).
func RelDiff[T nmf.Float](a, b []T) float64 { return nmf.MaxRelDiff(a, b) }

// Golden runs every case in dir against the backends newBackend returns,
// then those of dir/minibatch (MiniBatchNMF) and of dir/seeded
// (scikit-learn as shipped: its randomized SVD and numpy's generator, seed
// for seed) where that folder has an index.
func Golden(t *testing.T, dir string, newBackend func() (backend.Backend, error)) {
	goldenDir(t, dir, newBackend, nil)
	t.Run("minibatch", func(t *testing.T) { GoldenMiniBatch(t, filepath.Join(dir, "minibatch"), newBackend) })
	seeded := filepath.Join(dir, "seeded")
	if _, err := os.Stat(filepath.Join(seeded, "index.json")); err == nil {
		t.Run("seeded", func(t *testing.T) {
			goldenDir(t, seeded, newBackend, nil)
			t.Run("minibatch", func(t *testing.T) { GoldenMiniBatch(t, seeded, newBackend) })
		})
	}
}

// GoldenWith runs the fit, transform and init cases in dir (not the
// MiniBatchNMF ones) with every case's options passed through adjust: the
// same cases under a fit's other ways of running (X in panels, streamed).
func GoldenWith(t *testing.T, dir string, newBackend func() (backend.Backend, error), adjust func(*nmf.Options)) {
	goldenDir(t, dir, newBackend, adjust)
}

func goldenDir(t *testing.T, dir string, newBackend func() (backend.Backend, error), adjust func(*nmf.Options)) {
	cases, err := Cases(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(cases) == 0 {
		t.Fatalf("no golden cases in %s", dir)
	}
	for _, c := range cases {
		t.Run(c.Name, func(t *testing.T) {
			if c.Dtype == "float32" {
				runCase[float32](t, c, newBackend, tol32, adjust)
			} else {
				runCase[float64](t, c, newBackend, tol64, adjust)
			}
		})
	}
}

func runCase[T nmf.Float](t *testing.T, c *Case, newBackend func() (backend.Backend, error), tol float64, adjust func(*nmf.Options)) {
	options := func() nmf.Options {
		o := c.Options()
		if adjust != nil {
			adjust(&o)
		}
		return o
	}
	x, err := Load[T](c, c.X)
	if err != nil {
		t.Fatal(err)
	}
	switch c.Kind {
	case "divergence":
		divergenceCase(t, c, x, newBackend)
		return
	case "minibatch", "partial_fit":
		t.Skip("a MiniBatchNMF case: run by GoldenMiniBatch")
	}
	inputs := []nmf.Matrix[T]{x}
	names := []string{"dense"}
	if c.XMtx != "" {
		inputs = append(inputs, ToCSR(x))
		names = append(names, "sparse")
	}
	if c.Kind == "init" {
		initCase(t, c, inputs, names, newBackend, tol, options)
		return
	}
	var e expectSolver
	if err := json.Unmarshal(c.Expect, &e); err != nil {
		t.Fatal(err)
	}
	for i, in := range inputs {
		t.Run(names[i], func(t *testing.T) {
			solverCase(t, c, in, names[i], &e, newBackend, tol, options)
		})
	}
}

// solverCase fits input in (named name: "dense" or "sparse") as case c
// says and compares n_iter, W, H, the reconstruction error and, where c
// has one, the transform with scikit-learn's (e).
func solverCase[T nmf.Float](t *testing.T, c *Case, in nmf.Matrix[T], name string, e *expectSolver, newBackend func() (backend.Backend, error), tol float64, options func() nmf.Options) {
	o := options()
	o.Backend = newBackend
	var res *nmf.Result[T]
	var err error
	if c.W0 != "" {
		w0, h0 := loadWH[T](t, c, c.W0, c.H0)
		res, err = nmf.FitFrom(context.Background(), in, w0, h0, o)
	} else {
		res, err = nmf.Fit(context.Background(), in, o)
	}
	if err != nil {
		t.Fatal(err)
	}
	if res.NIter != e.NIter {
		t.Errorf("n_iter = %d, scikit-learn %d", res.NIter, e.NIter)
	}
	compare(t, c, "W", res.W, e.W, tol)
	compare(t, c, "H", res.H, e.H, tol)
	if d := math.Abs(res.ReconstructionErr-e.ReconstructionErr) / e.ReconstructionErr; d > tol {
		t.Errorf("reconstruction_err = %v, scikit-learn %v (relative difference %.3g > %g)", res.ReconstructionErr, e.ReconstructionErr, d, tol)
	}
	if c.Transform == nil {
		return
	}
	xt, err := Load[T](c, c.Transform.X)
	if err != nil {
		t.Fatal(err)
	}
	var xin nmf.Matrix[T] = xt
	if name == "sparse" {
		xin = ToCSR(xt)
	}
	to := options()
	to.Backend = newBackend
	tr, err := nmf.Transform(context.Background(), xin, res.H, to)
	if err != nil {
		t.Fatal(err)
	}
	compare(t, c, "transform W", tr.W, c.Transform.W, tol)
}

// initCase checks _initialize_nmf's W and H: Fit with no iterations.
func initCase[T nmf.Float](t *testing.T, c *Case, inputs []nmf.Matrix[T], names []string, newBackend func() (backend.Backend, error), tol float64, options func() nmf.Options) {
	var e struct{ W, H string }
	if err := json.Unmarshal(c.Expect, &e); err != nil {
		t.Fatal(err)
	}
	for i, in := range inputs {
		t.Run(names[i], func(t *testing.T) {
			o := options()
			// An init case has no loss or solver: scikit-learn's defaults.
			o.Loss, o.Solver = nmf.Frobenius, nmf.SolverAuto
			o.MaxIter, o.Tol, o.Backend = nmf.NoIterations, nmf.NoTol, newBackend
			res, err := nmf.Fit(context.Background(), in, o)
			if err != nil {
				t.Fatal(err)
			}
			compare(t, c, "W", res.W, e.W, tol)
			compare(t, c, "H", res.H, e.H, tol)
		})
	}
}

// loadWH loads case c's files wf and hf (a W and an H), failing t if
// either cannot be read.
func loadWH[T nmf.Float](t *testing.T, c *Case, wf, hf string) (w, h *nmf.Dense[T]) {
	t.Helper()
	w, err := Load[T](c, wf)
	if err != nil {
		t.Fatal(err)
	}
	h, err = Load[T](c, hf)
	if err != nil {
		t.Fatal(err)
	}
	return w, h
}

func compare[T nmf.Float](t *testing.T, c *Case, what string, got *nmf.Dense[T], file string, tol float64) {
	t.Helper()
	want, err := Load[T](c, file)
	if err != nil {
		t.Fatal(err)
	}
	if got.Rows != want.Rows || got.Cols != want.Cols {
		t.Errorf("%s is %d×%d, scikit-learn's %d×%d", what, got.Rows, got.Cols, want.Rows, want.Cols)
		return
	}
	if d := RelDiff(got.Data, want.Data); d > tol {
		t.Errorf("%s differs from scikit-learn's by %.3g relative (tolerance %g)", what, d, tol)
	}
}

func divergenceCase[T nmf.Float](t *testing.T, c *Case, x *nmf.Dense[T], newBackend func() (backend.Backend, error)) {
	w, h := loadWH[T](t, c, c.W, c.H)
	var expect map[string]float64
	if err := json.Unmarshal(c.Expect, &expect); err != nil {
		t.Fatal(err)
	}
	keys := make([]string, 0, len(expect))
	for k := range expect {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	b, err := newBackend()
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	for _, sparse := range []bool{false, true} {
		var in backend.HostData = x
		if sparse {
			in = ToCSR(x)
		}
		xd, err := b.NewData(in)
		if err != nil {
			t.Fatal(err)
		}
		p := x.Precision()
		wm, err := b.NewMatrix(p, w.Rows, w.Cols)
		if err != nil {
			t.Fatal(err)
		}
		hm, err := b.NewMatrix(p, h.Rows, h.Cols)
		if err != nil {
			t.Fatal(err)
		}
		if err := b.Write(wm, w); err != nil {
			t.Fatal(err)
		}
		if err := b.Write(hm, h); err != nil {
			t.Fatal(err)
		}
		for _, k := range keys {
			beta, err := strconv.ParseFloat(k, 64)
			if err != nil {
				t.Fatal(err)
			}
			got, err := b.Divergence(xd, wm, hm, beta)
			if err != nil {
				t.Fatal(err)
			}
			if d := math.Abs(got-expect[k]) / math.Abs(expect[k]); d > tolDivergence {
				t.Errorf("sparse=%v β=%s: divergence %v, scikit-learn %v (relative %.3g)", sparse, k, got, expect[k], d)
			}
		}
	}
}
