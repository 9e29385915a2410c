package nmf_test

import (
	"context"
	"errors"
	"fmt"
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
		opt, one := fitOne(t, x, w0, h0, c.solver, c.loss, c.alpha)
		res := ranks(t, size, l, func(r, lo, hi int, c nmf.Comm) (*nmf.Result[float64], error) {
			o := opt
			o.Comm = c
			return nmf.FitFrom(context.Background(), nmf.Rows[float64](x, lo, hi).(*nmf.Dense[float64]), nmf.Rows[float64](w0, lo, hi).(*nmf.Dense[float64]), h0, o)
		})
		for r := range size {
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

// fitOne is the one-process CPU fit from w0, h0 (80 iterations, L1 ratio
// 0.5) and its options.
func fitOne(t *testing.T, x, w0, h0 *nmf.Dense[float64], solver nmf.Solver, loss nmf.Loss, alpha float64) (nmf.Options, *nmf.Result[float64]) {
	t.Helper()
	opt := nmf.DefaultOptions()
	opt.Components, opt.Solver, opt.Loss, opt.MaxIter = w0.Cols, solver, loss, 80
	opt.AlphaW, opt.L1Ratio = alpha, 0.5
	opt.Backend = func() (backend.Backend, error) { return cpu.New() }
	one, err := nmf.FitFrom(context.Background(), x, w0, h0, opt)
	if err != nil {
		t.Fatal(err)
	}
	return opt, one
}

// cpuFit is the one-process fit of x with opt on the CPU backend, and
// opt with that backend set.
func cpuFit(t *testing.T, x *nmf.Dense[float64], opt nmf.Options) (nmf.Options, *nmf.Result[float64]) {
	t.Helper()
	opt.Backend = func() (backend.Backend, error) { return cpu.New() }
	one, err := nmf.Fit(context.Background(), x, opt)
	if err != nil {
		t.Fatal(err)
	}
	return opt, one
}

// ranks runs fit as size in-process ranks joined by a chanComm, each on its
// rows lo..hi of l, and returns their results; it fails t on any error.
func ranks(t *testing.T, size, l int, fit func(r, lo, hi int, c nmf.Comm) (*nmf.Result[float64], error)) []*nmf.Result[float64] {
	t.Helper()
	g := newGroup(size)
	res := make([]*nmf.Result[float64], size)
	errs := make([]error, size)
	var wg sync.WaitGroup
	for r := range size {
		wg.Add(1)
		go func() {
			defer wg.Done()
			res[r], errs[r] = fit(r, r*l/size, (r+1)*l/size, chanComm{r, g})
		}()
	}
	wg.Wait()
	for r, err := range errs {
		if err != nil && (res[r] == nil || !res[r].Partial) {
			t.Fatalf("rank %d: %v", r, err)
		}
	}
	return res
}

// sameAs checks rank r's result (rows lo.. of W) against one's.
func sameAs(t *testing.T, what string, r, lo int, got, one *nmf.Result[float64], tol float64) {
	t.Helper()
	if got.NIter != one.NIter {
		t.Errorf("%s: rank %d: n_iter %d, one process %d", what, r, got.NIter, one.NIter)
	}
	k := one.W.Cols
	for _, m := range []struct {
		name string
		a, b []float64
	}{{"H", got.H.Data, one.H.Data}, {"W", got.W.Data, one.W.Data[lo*k : lo*k+len(got.W.Data)]}} {
		for i := range m.a {
			if math.Abs(m.a[i]-m.b[i]) > tol*(1+math.Abs(m.b[i])) {
				t.Fatalf("%s: rank %d: %s[%d] = %g, one process %g", what, r, m.name, i, m.a[i], m.b[i])
			}
		}
	}
}

// TestCommInits checks the initialisations of a distributed fit (the mean
// and the randomized SVD's products summed over 3 ranks, the random draws
// in order) against one process's: after one iteration, W's rows and H to
// 1e-9, on a tall and a wide X; and with the ranks holding columns, W and
// H's columns.
func TestCommInits(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	for _, shape := range [][2]int{{61, 23}, {19, 47}} {
		l, n := shape[0], shape[1]
		x := &nmf.Dense[float64]{Rows: l, Cols: n, Data: make([]float64, l*n)}
		for i := range x.Data {
			x.Data[i] = rng.Float64() * float64(i%4)
		}
		for _, init := range []nmf.Init{nmf.InitRandom, nmf.InitNNDSVD, nmf.InitNNDSVDA, nmf.InitNNDSVDAR, nmf.InitAuto} {
			opt := nmf.DefaultOptions()
			opt.Components, opt.Init, opt.MaxIter, opt.Seed = 5, init, 1, 7
			opt, one := cpuFit(t, x, opt)
			res := ranks(t, 3, l, func(r, lo, hi int, c nmf.Comm) (*nmf.Result[float64], error) {
				o := opt
				o.Comm = c
				return nmf.Fit(context.Background(), nmf.Rows[float64](x, lo, hi).(*nmf.Dense[float64]), o)
			})
			for r, got := range res {
				sameAs(t, fmt.Sprintf("%d×%d %s", l, n, init), r, r*l/3, got, one, 1e-9)
			}
			// The same ranks holding columns (the randomized SVD's
			// products summed the other way round, H's columns kept).
			res = ranks(t, 3, n, func(r, lo, hi int, c nmf.Comm) (*nmf.Result[float64], error) {
				o := opt
				o.Comm, o.PanelsAlong = c, nmf.AlongColumns
				return nmf.Fit(context.Background(), nmf.Columns[float64](x, lo, hi).(*nmf.Dense[float64]), o)
			})
			for r, got := range res {
				lo, hi := r*n/3, (r+1)*n/3
				cols := &nmf.Result[float64]{NIter: one.NIter, W: one.W, H: nmf.Columns[float64](one.H, lo, hi).(*nmf.Dense[float64])}
				sameAs(t, fmt.Sprintf("%d×%d %s by columns", l, n, init), r, 0, got, cols, 1e-9)
			}
		}
	}
}

// TestCommStop cancels one rank of three during a fit: every rank stops at
// the same iteration with a partial result (the others with
// ErrPeerStopped), and resuming each from its part gives the uninterrupted
// fit.
func TestCommStop(t *testing.T) {
	const l, n, k = 50, 20, 3
	rng := rand.New(rand.NewPCG(5, 6))
	x := &nmf.Dense[float64]{Rows: l, Cols: n, Data: make([]float64, l*n)}
	for i := range x.Data {
		x.Data[i] = rng.Float64()
	}
	for _, solver := range []nmf.Solver{nmf.MU, nmf.CD} {
		opt := nmf.DefaultOptions()
		opt.Components, opt.Solver, opt.Init, opt.MaxIter, opt.Tol = k, solver, nmf.InitRandom, 60, 0
		opt, one := cpuFit(t, x, opt)
		part := ranks(t, 3, l, func(r, lo, hi int, c nmf.Comm) (*nmf.Result[float64], error) {
			o := opt
			o.Comm = c
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			if r == 1 {
				o.Progress = func(it int, _ float64) {
					if it == 23 {
						cancel()
					}
				}
			}
			res, err := nmf.Fit(ctx, nmf.Rows[float64](x, lo, hi).(*nmf.Dense[float64]), o)
			if r != 1 && !errors.Is(err, nmf.ErrPeerStopped) {
				t.Errorf("%v: rank %d: %v, want ErrPeerStopped", solver, r, err)
			}
			return res, err
		})
		for r, p := range part {
			if !p.Partial || p.NIter != 23 {
				t.Fatalf("%v: rank %d: partial %v after %d iterations, want 23", solver, r, p.Partial, p.NIter)
			}
		}
		res := ranks(t, 3, l, func(r, lo, hi int, c nmf.Comm) (*nmf.Result[float64], error) {
			o := opt
			o.Comm = c
			return nmf.Resume(context.Background(), nmf.Rows[float64](x, lo, hi).(*nmf.Dense[float64]), part[r].W, part[r].H, part[r].State, o)
		})
		for r, got := range res {
			sameAs(t, fmt.Sprint(solver), r, r*l/3, got, one, 1e-9)
		}
	}
}

// TestCommColumnsEqualOne is TestCommEqualsOne with the processes holding
// columns of a wide X (PanelsAlong = AlongColumns: each its columns of X
// and H0, all of W0): the W half's l×k and k×k sums go through the Comm,
// and every process gets all of W and its columns of H; the regularisation
// scales with the whole X's columns, summed over the processes.
func TestCommColumnsEqualOne(t *testing.T) {
	const l, n, k, size = 41, 97, 4, 3
	rng := rand.New(rand.NewPCG(5, 6))
	rand01 := func(rows, cols int, lo float64) *nmf.Dense[float64] {
		d := &nmf.Dense[float64]{Rows: rows, Cols: cols, Data: make([]float64, rows*cols)}
		for i := range d.Data {
			d.Data[i] = lo + rng.Float64()*float64(1+i%5)
		}
		return d
	}
	x, w0, h0 := rand01(l, n, 0), rand01(l, k, 0.1), rand01(k, n, 0.1)
	for _, c := range []struct {
		solver nmf.Solver
		loss   nmf.Loss
		alpha  float64
	}{{nmf.MU, nmf.Frobenius, 0}, {nmf.MU, nmf.KullbackLeibler, 0.01}, {nmf.MU, nmf.Beta(1.5), 0.01}, {nmf.CD, nmf.Frobenius, 0.01}} {
		opt, one := fitOne(t, x, w0, h0, c.solver, c.loss, c.alpha)
		opt.PanelsAlong = nmf.AlongColumns
		res := ranks(t, size, n, func(r, lo, hi int, c nmf.Comm) (*nmf.Result[float64], error) {
			o := opt
			o.Comm = c
			xr, hr := nmf.Columns[float64](x, lo, hi).(*nmf.Dense[float64]), nmf.Columns[float64](h0, lo, hi).(*nmf.Dense[float64])
			return nmf.FitFrom(context.Background(), xr, w0, hr, o)
		})
		for r := range size {
			if res[r].NIter != one.NIter || res[r].Plan.Along != nmf.AlongColumns {
				t.Errorf("%v %v: rank %d: n_iter %d along %q, one process %d", c.solver, c.loss, r, res[r].NIter, res[r].Plan.Along, one.NIter)
			}
			sameColumns(t, fmt.Sprintf("%v %v: rank %d", c.solver, c.loss, r), res[r], one, r*n/size, (r+1)*n/size)
			if math.Abs(res[r].ReconstructionErr-one.ReconstructionErr) > 1e-9*one.ReconstructionErr {
				t.Errorf("%v %v: rank %d: error %g, one process %g", c.solver, c.loss, r, res[r].ReconstructionErr, one.ReconstructionErr)
			}
			a, b := res[r].Trace[len(res[r].Trace)-1].Objective, one.Trace[len(one.Trace)-1].Objective
			if math.Abs(a-b) > 1e-9*b {
				t.Errorf("%v %v: rank %d: objective %g, one process %g", c.solver, c.loss, r, a, b)
			}
		}
	}
}

// TestCommColumnsResume stops a fit by columns on three in-process ranks
// after 30 iterations and resumes each rank from its result (all of W, its
// columns of H, the State): the resumed fit equals the one-process fit of
// 80 iterations (n_iter, W, H's columns to 1e-9), MU (KL) and CD.
func TestCommColumnsResume(t *testing.T) {
	const l, n, k, size = 23, 61, 3, 3
	rng := rand.New(rand.NewPCG(7, 8))
	random := func(rows, cols int) *nmf.Dense[float64] {
		d := &nmf.Dense[float64]{Rows: rows, Cols: cols, Data: make([]float64, rows*cols)}
		for i := range d.Data {
			d.Data[i] = 0.1 + rng.Float64()
		}
		return d
	}
	x, w0, h0 := random(l, n), random(l, k), random(k, n)
	cols := func(m *nmf.Dense[float64], lo, hi int) *nmf.Dense[float64] {
		return nmf.Columns[float64](m, lo, hi).(*nmf.Dense[float64])
	}
	for _, c := range []struct {
		solver nmf.Solver
		loss   nmf.Loss
	}{{nmf.MU, nmf.KullbackLeibler}, {nmf.CD, nmf.Frobenius}} {
		opt, one := fitOne(t, x, w0, h0, c.solver, c.loss, 0.01)
		opt.PanelsAlong, opt.MaxIter = nmf.AlongColumns, 30
		part := ranks(t, size, n, func(r, lo, hi int, cm nmf.Comm) (*nmf.Result[float64], error) {
			o := opt
			o.Comm = cm
			return nmf.FitFrom(context.Background(), cols(x, lo, hi), w0, cols(h0, lo, hi), o)
		})
		if part[0].NIter != 30 || one.NIter <= 30 {
			t.Fatalf("%v: %d iterations before the stop, %d in all: want 30 and more", c.solver, part[0].NIter, one.NIter)
		}
		opt.MaxIter = one.Params.MaxIter
		res := ranks(t, size, n, func(r, lo, hi int, cm nmf.Comm) (*nmf.Result[float64], error) {
			o := opt
			o.Comm = cm
			return nmf.Resume(context.Background(), cols(x, lo, hi), part[r].W, part[r].H, part[r].State, o)
		})
		for r, got := range res {
			lo, hi := r*n/size, (r+1)*n/size
			if got.NIter != one.NIter {
				t.Errorf("%v: rank %d: n_iter %d, one process %d", c.solver, r, got.NIter, one.NIter)
			}
			sameColumns(t, fmt.Sprintf("%v: rank %d", c.solver, r), got, one, lo, hi)
		}
	}
}

// sameColumns checks a process's result by columns (all of W, H's columns
// lo..hi) against one process's to 1e-9.
func sameColumns(t *testing.T, what string, got, one *nmf.Result[float64], lo, hi int) {
	t.Helper()
	want := nmf.Columns[float64](one.H, lo, hi).(*nmf.Dense[float64])
	for _, p := range [][3]any{{"W", got.W.Data, one.W.Data}, {"H", got.H.Data, want.Data}} {
		a, b := p[1].([]float64), p[2].([]float64)
		for i := range b {
			if math.Abs(a[i]-b[i]) > 1e-9*(1+math.Abs(b[i])) {
				t.Fatalf("%s: %s[%d] = %g, one process %g", what, p[0], i, a[i], b[i])
			}
		}
	}
}
