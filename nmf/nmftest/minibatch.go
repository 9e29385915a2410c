package nmftest

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"testing"

	"github.com/clnmf/clnmf/nmf"
	"github.com/clnmf/clnmf/nmf/backend"
)

// MBCase is a case of the minibatch/ folder: kind "minibatch" (a
// MiniBatchNMF fit) or "partial_fit" (a sequence of partial_fit calls).
type MBCase struct {
	Case
	BatchSize            int      `json:"batch_size"`
	ForgetFactor         float64  `json:"forget_factor"`
	FreshRestarts        bool     `json:"fresh_restarts"`
	FreshRestartsMaxIter int      `json:"fresh_restarts_max_iter"`
	TransformMaxIter     *int     `json:"transform_max_iter"`
	MaxNoImprovement     *int     `json:"max_no_improvement"`
	Chunks               [][2]int `json:"chunks"`
}

// MBExpect is the expect of a minibatch case; Steps that of a partial_fit
// case.
type MBExpect struct {
	W, H              string
	NIter             int     `json:"n_iter"`
	NSteps            int     `json:"n_steps"`
	ReconstructionErr float64 `json:"reconstruction_err"`
	Steps             []struct {
		Rows   [2]int `json:"rows"`
		H      string `json:"H"`
		NSteps int    `json:"n_steps"`
	} `json:"steps"`
}

// MBCases reads index.json in dir and the minibatch and partial_fit cases
// it lists (other kinds are skipped).
func MBCases(dir string) ([]*MBCase, error) {
	var cases []*MBCase
	err := eachCase(dir, func(caseDir string, raw []byte) error {
		c := &MBCase{}
		if err := json.Unmarshal(raw, c); err != nil {
			return err
		}
		c.dir = caseDir
		if c.Kind == "minibatch" || c.Kind == "partial_fit" {
			cases = append(cases, c)
		}
		return nil
	})
	return cases, err
}

// Dir is the case's folder.
func (c *MBCase) Dir() string { return c.dir }

// MiniBatchOptions returns the case's MiniBatchNMF parameters.
func (c *MBCase) MiniBatchOptions() nmf.MiniBatchOptions {
	return nmf.MiniBatchOptions{BatchSize: c.BatchSize, ForgetFactor: c.ForgetFactor, FreshRestarts: c.FreshRestarts,
		FreshRestartsMaxIter: c.FreshRestartsMaxIter, TransformMaxIter: c.TransformMaxIter, MaxNoImprovement: c.MaxNoImprovement}
}

// Expectation parses the case's expect.
func (c *MBCase) Expectation() (*MBExpect, error) {
	var e MBExpect
	if err := json.Unmarshal(c.Expect, &e); err != nil {
		return nil, fmt.Errorf("%s: expect: %w", c.Name, err)
	}
	return &e, nil
}

// GoldenMiniBatch runs the minibatch and partial_fit cases in dir (the
// minibatch/ folder of the golden data) through nmf.FitMiniBatch,
// nmf.FitMiniBatchSource and nmf.Online, dense and (where the case has an
// .mtx) sparse, on the backends newBackend returns. n_iter and n_steps must
// be equal, the factors within the golden tolerances.
func GoldenMiniBatch(t *testing.T, dir string, newBackend func() (backend.Backend, error)) {
	cases, err := MBCases(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(cases) == 0 {
		t.Fatalf("no minibatch cases in %s", dir)
	}
	for _, c := range cases {
		t.Run(c.Name, func(t *testing.T) {
			if c.Dtype == "float32" {
				runMB[float32](t, c, newBackend, tol32)
			} else {
				runMB[float64](t, c, newBackend, tol64)
			}
		})
	}
}

func runMB[T nmf.Float](t *testing.T, c *MBCase, newBackend func() (backend.Backend, error), tol float64) {
	x, err := Load[T](c.dirCase(), c.X)
	if err != nil {
		t.Fatal(err)
	}
	e, err := c.Expectation()
	if err != nil {
		t.Fatal(err)
	}
	inputs := map[string]nmf.Matrix[T]{"dense": x}
	if c.XMtx != "" {
		inputs["sparse"] = ToCSR(x)
	}
	for _, name := range []string{"dense", "sparse"} {
		in, ok := inputs[name]
		if !ok {
			continue
		}
		t.Run(name, func(t *testing.T) {
			o := c.Options()
			o.Backend = newBackend
			var w0, h0 *nmf.Dense[T]
			if c.W0 != "" {
				if w0, err = Load[T](c.dirCase(), c.W0); err != nil {
					t.Fatal(err)
				}
				if h0, err = Load[T](c.dirCase(), c.H0); err != nil {
					t.Fatal(err)
				}
			}
			if c.Kind == "partial_fit" {
				partialFitCase(t, c, e, in, w0, h0, o, tol)
				return
			}
			var res *nmf.MiniBatchResult[T]
			if w0 != nil {
				res, err = nmf.FitMiniBatchFrom(context.Background(), in, w0, h0, o, c.MiniBatchOptions())
			} else {
				res, err = nmf.FitMiniBatch(context.Background(), in, o, c.MiniBatchOptions())
			}
			if err != nil {
				t.Fatal(err)
			}
			checkMB(t, c, e, res, tol)
			if c.Init == "custom" {
				// The same fit with X streamed batch by batch.
				sres, err := nmf.FitMiniBatchSourceFrom[T](context.Background(), matrixRows[T]{in}, w0, h0, o, c.MiniBatchOptions())
				if err != nil {
					t.Fatal(err)
				}
				checkMB(t, c, e, sres, tol)
			}
			transformCase(t, c, name, res.Model, tol)
		})
	}
}

func (c *MBCase) dirCase() *Case { return &c.Case }

func checkMB[T nmf.Float](t *testing.T, c *MBCase, e *MBExpect, res *nmf.MiniBatchResult[T], tol float64) {
	t.Helper()
	if res.NIter != e.NIter || res.NSteps != e.NSteps {
		t.Errorf("n_iter, n_steps = %d, %d; scikit-learn %d, %d", res.NIter, res.NSteps, e.NIter, e.NSteps)
	}
	compare(t, c.dirCase(), "W", res.W, e.W, tol)
	compare(t, c.dirCase(), "H", res.H, e.H, tol)
	if d := math.Abs(res.ReconstructionErr-e.ReconstructionErr) / e.ReconstructionErr; d > tol {
		t.Errorf("reconstruction_err = %v, scikit-learn %v (relative difference %.3g > %g)", res.ReconstructionErr, e.ReconstructionErr, d, tol)
	}
}

func partialFitCase[T nmf.Float](t *testing.T, c *MBCase, e *MBExpect, x nmf.Matrix[T], w0, h0 *nmf.Dense[T], o nmf.Options, tol float64) {
	if len(e.Steps) != len(c.Chunks) || len(c.Chunks) == 0 {
		t.Fatalf("%d chunks, %d expected steps", len(c.Chunks), len(e.Steps))
	}
	m := nmf.NewOnline[T](o, c.MiniBatchOptions())
	if w0 != nil {
		// W0 for the first chunk's rows.
		a, b := c.Chunks[0][0], c.Chunks[0][1]
		if w0.Rows != b-a {
			w0 = nmf.Rows[T](w0, a, b).(*nmf.Dense[T])
		}
		m = nmf.NewOnlineFrom(w0, h0, o, c.MiniBatchOptions())
	}
	for i, ch := range c.Chunks {
		if err := m.PartialFit(context.Background(), nmf.Rows(x, ch[0], ch[1])); err != nil {
			t.Fatalf("call %d: %v", i, err)
		}
		if m.NSteps() != e.Steps[i].NSteps {
			t.Errorf("call %d: n_steps = %d, scikit-learn %d", i, m.NSteps(), e.Steps[i].NSteps)
		}
		compare(t, c.dirCase(), fmt.Sprintf("H after call %d", i), m.H(), e.Steps[i].H, tol)
	}
	// Saved and restored, the model transforms the same.
	r, err := nmf.RestoreOnline[T](m.State(), o)
	if err != nil {
		t.Fatal(err)
	}
	name := "dense"
	if _, ok := x.(*nmf.CSR[T]); ok {
		name = "sparse"
	}
	transformCase(t, c, name, r, tol)
}

func transformCase[T nmf.Float](t *testing.T, c *MBCase, name string, m *nmf.Online[T], tol float64) {
	t.Helper()
	if c.Transform == nil {
		return
	}
	xt, err := Load[T](c.dirCase(), c.Transform.X)
	if err != nil {
		t.Fatal(err)
	}
	var xin nmf.Matrix[T] = xt
	if name == "sparse" {
		xin = ToCSR(xt)
	}
	tr, err := m.Transform(context.Background(), xin)
	if err != nil {
		t.Fatal(err)
	}
	compare(t, c.dirCase(), "transform W", tr.W, c.Transform.W, tol)
}

// matrixRows is an in-memory matrix seen as a RowSource.
type matrixRows[T nmf.Float] struct{ x nmf.Matrix[T] }

func (s matrixRows[T]) Dims() (int, int) { return s.x.Dims() }
func (s matrixRows[T]) Rows(lo, hi int) (nmf.Matrix[T], error) {
	return nmf.Rows(s.x, lo, hi), nil
}
