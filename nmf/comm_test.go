package nmf_test

import (
	"context"
	"math"
	"math/rand/v2"
	"sync"
	"testing"

	"github.com/clnmf/clnmf/cpu"
	"github.com/clnmf/clnmf/nmf"
	"github.com/clnmf/clnmf/nmf/backend"
)

// chanComm is an in-process Comm for tests: size goroutines meet at every
// sum, which rank 0 forms in rank order and all read.
type chanComm struct {
	rank int
	g    *group
}

type group struct {
	size    int
	mu      sync.Mutex
	cond    *sync.Cond
	parts   [][]float64
	arrived int
	round   int
	result  []float64
}

func newGroup(size int) *group {
	g := &group{size: size, parts: make([][]float64, size)}
	g.cond = sync.NewCond(&g.mu)
	return g
}

func (c chanComm) Rank() int { return c.rank }
func (c chanComm) Size() int { return c.g.size }

func (c chanComm) SumFloat64(v []float64) error {
	g := c.g
	g.mu.Lock()
	defer g.mu.Unlock()
	round := g.round
	g.parts[c.rank] = append([]float64(nil), v...)
	g.arrived++
	if g.arrived == g.size {
		s := make([]float64, len(v))
		for _, p := range g.parts {
			for i := range s {
				s[i] += p[i]
			}
		}
		g.result, g.arrived = s, 0
		g.round++
		g.cond.Broadcast()
	}
	for g.round == round {
		g.cond.Wait()
	}
	copy(v, g.result)
	return nil
}

func (c chanComm) SumFloat32(v []float32) error {
	w := make([]float64, len(v))
	for i, x := range v {
		w[i] = float64(x)
	}
	if err := c.SumFloat64(w); err != nil {
		return err
	}
	for i := range v {
		v[i] = float32(w[i])
	}
	return nil
}

// TestCommEqualsOne runs a fit as three "processes" (goroutines joined by
// an in-process Comm, each with its rows of X and W0) and checks it against
// the one-process fit: n_iter the same, W's rows and H to 1e-9.
func TestCommEqualsOne(t *testing.T) {
	const l, n, k, size = 97, 41, 4, 3
	rng := rand.New(rand.NewPCG(1, 2))
	x := &nmf.Dense[float64]{Rows: l, Cols: n, Data: make([]float64, l*n)}
	for i := range x.Data {
		x.Data[i] = rng.Float64() * float64(1+i%5)
	}
	w0 := &nmf.Dense[float64]{Rows: l, Cols: k, Data: make([]float64, l*k)}
	h0 := &nmf.Dense[float64]{Rows: k, Cols: n, Data: make([]float64, k*n)}
	for _, d := range [][]float64{w0.Data, h0.Data} {
		for i := range d {
			d[i] = 0.1 + rng.Float64()
		}
	}
	for _, c := range []struct {
		solver nmf.Solver
		loss   nmf.Loss
		alpha  float64
	}{{nmf.MU, nmf.Frobenius, 0}, {nmf.MU, nmf.KullbackLeibler, 0.01}, {nmf.CD, nmf.Frobenius, 0.01}} {
		opt := nmf.DefaultOptions()
		opt.Components, opt.Solver, opt.Loss, opt.MaxIter = k, c.solver, c.loss, 80
		opt.AlphaW, opt.L1Ratio = c.alpha, 0.5
		opt.Backend = func() (backend.Backend, error) { return cpu.New() }
		one, err := nmf.FitFrom(context.Background(), x, w0, h0, opt)
		if err != nil {
			t.Fatal(err)
		}
		g := newGroup(size)
		res := make([]*nmf.Result[float64], size)
		errs := make([]error, size)
		var wg sync.WaitGroup
		for r := range size {
			lo, hi := r*l/size, (r+1)*l/size
			wg.Add(1)
			go func() {
				defer wg.Done()
				o := opt
				o.Comm = chanComm{r, g}
				res[r], errs[r] = nmf.FitFrom(context.Background(), nmf.Rows[float64](x, lo, hi).(*nmf.Dense[float64]), nmf.Rows[float64](w0, lo, hi).(*nmf.Dense[float64]), h0, o)
			}()
		}
		wg.Wait()
		for r := range size {
			if errs[r] != nil {
				t.Fatalf("%v %v: rank %d: %v", c.solver, c.loss, r, errs[r])
			}
			lo := r * l / size
			if res[r].NIter != one.NIter {
				t.Errorf("%v %v: rank %d: n_iter %d, one process %d", c.solver, c.loss, r, res[r].NIter, one.NIter)
			}
			close := func(what string, a, b []float64) {
				for i := range a {
					if math.Abs(a[i]-b[i]) > 1e-9*(1+math.Abs(b[i])) {
						t.Fatalf("%v %v: rank %d: %s[%d] = %g, one process %g", c.solver, c.loss, r, what, i, a[i], b[i])
					}
				}
			}
			close("H", res[r].H.Data, one.H.Data)
			close("W", res[r].W.Data, one.W.Data[lo*k:lo*k+len(res[r].W.Data)])
			if math.Abs(res[r].ReconstructionErr-one.ReconstructionErr) > 1e-9*one.ReconstructionErr {
				t.Errorf("%v %v: rank %d: error %g, one process %g", c.solver, c.loss, r, res[r].ReconstructionErr, one.ReconstructionErr)
			}
		}
	}
}
