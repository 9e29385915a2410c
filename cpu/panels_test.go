package cpu_test

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/clnmf/clnmf/cpu"
	"github.com/clnmf/clnmf/nmf"
	"github.com/clnmf/clnmf/nmf/backend"
	"github.com/clnmf/clnmf/nmf/nmftest"
)

// TestGoldenPanels runs the golden fits, transforms and inits with X and W
// in row panels of 1, 7 and 4 rows (the golden matrices' row counts are not
// multiples of 7 or 4: uneven last panels), dense and sparse.
func TestGoldenPanels(t *testing.T) {
	newB := func() (backend.Backend, error) { return cpu.New() }
	for _, rows := range []int{1, 7, 4} {
		t.Run(fmt.Sprintf("rows=%d", rows), func(t *testing.T) {
			nmftest.GoldenWith(t, "../testdata/golden", newB, func(o *nmf.Options) { o.PanelRows = rows })
		})
	}
}

// TestGoldenColumnPanels is TestGoldenPanels with X and H in column panels
// of 1, 7 and 4 columns (Options.PanelCols): W shared, its terms summed over
// the panels.
func TestGoldenColumnPanels(t *testing.T) {
	newB := func() (backend.Backend, error) { return cpu.New() }
	for _, cols := range []int{1, 7, 4} {
		t.Run(fmt.Sprintf("cols=%d", cols), func(t *testing.T) {
			nmftest.GoldenWith(t, "../testdata/golden", newB, func(o *nmf.Options) { o.PanelCols = cols })
		})
	}
}

// TestColumnPanelsEqualOne checks fits of a wide X (n > l) in column panels
// of 7 columns, alone and on two CPU backends, against the unpanelled fit:
// the plan says columns, n_iter is the same and W, H agree to 1e-9
// relative, for MU (Frobenius, KL, IS, penalised) and CD (shuffled),
// randomized-SVD init included.
func TestColumnPanelsEqualOne(t *testing.T) {
	const l, n, k = 41, 203, 5
	rng := rand.New(rand.NewPCG(9, 10))
	// rank k plus noise: a well-conditioned fit, where rounding differences
	// stay rounding differences
	a, b := make([]float64, l*k), make([]float64, k*n)
	for i := range a {
		a[i] = rng.Float64()
	}
	for i := range b {
		b[i] = rng.Float64()
	}
	x := &nmf.Dense[float64]{Rows: l, Cols: n, Data: make([]float64, l*n)}
	for i := range l {
		for j := range n {
			for t := range k {
				x.Data[i*n+j] += a[i*k+t] * b[t*n+j]
			}
			x.Data[i*n+j] += 0.01 * rng.Float64()
		}
	}
	two := func() ([]backend.Backend, error) {
		a, err := cpu.New()
		if err != nil {
			return nil, err
		}
		b, err := cpu.New()
		return []backend.Backend{a, b}, err
	}
	for _, c := range []struct {
		solver nmf.Solver
		loss   nmf.Loss
	}{{nmf.MU, nmf.Frobenius}, {nmf.MU, nmf.KullbackLeibler}, {nmf.MU, nmf.ItakuraSaito}, {nmf.CD, nmf.Frobenius}} {
		t.Run(fmt.Sprintf("%s/%v", c.solver, c.loss), func(t *testing.T) {
			opt := nmf.DefaultOptions()
			opt.Components, opt.Solver, opt.Loss, opt.MaxIter = k, c.solver, c.loss, 60
			opt.Init, opt.Shuffle, opt.Seed = nmf.InitNNDSVDA, true, 3
			if c.solver == nmf.MU {
				// (CD with this penalty amplifies rounding differences on
				// this X in row panels too: the golden cases cover it)
				opt.AlphaW = 0.01
			}
			opt.Backend = func() (backend.Backend, error) { return cpu.New() }
			one, err := nmf.Fit(context.Background(), x, opt)
			if err != nil {
				t.Fatal(err)
			}
			opt.PanelCols = 7
			for _, members := range []bool{false, true} {
				if members {
					// an even split, whatever the members' measured speeds
					opt.Backends, opt.MemberWeights = two, []float64{1, 1}
				}
				res, err := nmf.Fit(context.Background(), x, opt)
				if err != nil {
					t.Fatal(err)
				}
				if p := res.Plan; p.Along != nmf.AlongColumns || p.PanelCols != 7 || p.Panels < (n+6)/7 {
					t.Fatalf("plan %+v, want %d column panels of 7 at least", p, (n+6)/7)
				}
				if res.NIter != one.NIter {
					t.Fatalf("n_iter %d in column panels, %d in one", res.NIter, one.NIter)
				}
				a, b := res.Trace[len(res.Trace)-1].Objective, one.Trace[len(one.Trace)-1].Objective
				if math.Abs(a-b) > 1e-9*b {
					t.Fatalf("objective %g in column panels, %g in one", a, b)
				}
				for _, p := range [][2][]float64{{one.W.Data, res.W.Data}, {one.H.Data, res.H.Data}} {
					for i := range p[0] {
						if d := math.Abs(p[0][i] - p[1][i]); d > 1e-9*(1+math.Abs(p[0][i])) {
							t.Fatalf("members %v: entry %d: %g in column panels, %g in one", members, i, p[1][i], p[0][i])
						}
					}
				}
			}
		})
	}
}

// TestGoldenMembers runs the golden fits, transforms and inits, the
// seeded ones included, on two and three CPU backends at once
// (Options.Backends): X's rows shared among them, the H half's sums
// combined on the host, with and without panels inside a member; and X's
// columns shared among two (W's sums combined).
func TestGoldenMembers(t *testing.T) {
	for _, c := range []struct {
		members, rows int
		along         nmf.Along
	}{{2, 0, nmf.AlongRows}, {3, 4, nmf.AlongRows}, {2, 0, nmf.AlongColumns}} {
		t.Run(fmt.Sprintf("members=%d,rows=%d,along=%s", c.members, c.rows, c.along), func(t *testing.T) {
			open := func() ([]backend.Backend, error) {
				var bs []backend.Backend
				for range c.members {
					b, err := cpu.New()
					if err != nil {
						return nil, err
					}
					bs = append(bs, b)
				}
				return bs, nil
			}
			newB := func() (backend.Backend, error) { return cpu.New() }
			adjust := func(o *nmf.Options) { o.Backends, o.PanelRows, o.PanelsAlong = open, c.rows, c.along }
			nmftest.GoldenWith(t, "../testdata/golden", newB, adjust)
			t.Run("seeded", func(t *testing.T) { nmftest.GoldenWith(t, "../testdata/golden/seeded", newB, adjust) })
		})
	}
}
