// Package backendtest checks an implementation of backend.Backend against
// naive float64 reference code written straight from the interface's
// contract, on shapes on and off every tile grid, every transposition, every
// β the solvers treat differently, dense and sparse X. Each backend's test
// file calls Run, as gonum's blas/testblas serves each BLAS.
package backendtest

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/clnmf/clnmf/nmf/backend"
)

// Sizes are the dimensions tried: 1, small primes, either side of the tile
// sizes kernels commonly use (8, 16, 32), and 64.
var Sizes = []int{1, 7, 15, 17, 31, 33, 64}

// Betas are the β values with distinct code paths: IS, β < 1 (clamp of U
// and flushes), KL (sums), 1 < β < 2, Frobenius, β > 2 (γ < 1).
var Betas = []float64{0, 0.5, 1, 1.5, 2, 3}

// tolerance is the allowed max|got − want| / max|want| for sums of up to
// about a thousand products: float64 rounding stays near 1e-15 per term; a
// float32 sum of n terms may drift by n·eps32 ≈ 1e-4 in the worst case, and
// power functions in float add a few ulps.
func tolerance(p backend.Precision) float64 {
	if p == backend.Float32 {
		return 2e-4
	}
	return 1e-11
}

// Run checks every operation of the backends newBackend returns, in the
// given precisions (both when none are given).
func Run(t *testing.T, newBackend func() (backend.Backend, error), precisions ...backend.Precision) {
	run(t, newBackend, Sizes, shapes, 1000, precisions)
}

// RunQuick is Run on a few small shapes only, for slow simulators such as
// oclgrind.
func RunQuick(t *testing.T, newBackend func() (backend.Backend, error), precisions ...backend.Precision) {
	run(t, newBackend, []int{1, 7, 17}, []shape{{1, 1, 1}, {7, 5, 3}, {17, 15, 4}, {3, 40, 2}}, 40, precisions)
}

func run(t *testing.T, newBackend func() (backend.Backend, error), sizes []int, shapes []shape, big int, precisions []backend.Precision) {
	if len(precisions) == 0 {
		precisions = []backend.Precision{backend.Float64, backend.Float32}
	}
	b, err := newBackend()
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	for _, p := range precisions {
		t.Run(p.String(), func(t *testing.T) {
			c := &checker{t: t, b: b, p: p, rng: rand.New(rand.NewPCG(1, 2)), sizes: sizes, shapes: shapes, big: big}
			t.Run("Mul", c.mul)
			t.Run("Gram", c.gram)
			t.Run("Transpose", c.transpose)
			t.Run("MulX", c.mulX)
			t.Run("MUTerms", c.muTerms)
			t.Run("MUStep", c.muStep)
			if _, ok := b.(backend.FrobeniusPass); ok {
				t.Run("MUFrobeniusPass", c.frobeniusPass)
			}
			t.Run("CDSweep", c.cdSweep)
			t.Run("Divergence", c.divergence)
			t.Run("Sums", c.sums)
		})
	}
}

type checker struct {
	t      *testing.T
	b      backend.Backend
	p      backend.Precision
	rng    *rand.Rand
	sizes  []int
	shapes []shape
	big    int // the long side of tall-skinny shapes
}

// host is a row-major float64 matrix, already rounded to the precision
// under test.
type host struct {
	r, c int
	v    []float64
}

// random returns an r×c matrix with entries in [0.05, 1.05); a fraction
// zeros of its entries are exactly zero.
func (c *checker) random(r, cols int, zeros float64) host {
	return host{r, cols, Uniform(c.rng, c.p, r, cols, 0.05, zeros)}
}

func (c *checker) upload(h host) backend.Matrix {
	c.t.Helper()
	return Put(c.t, c.b, c.p, h.r, h.c, h.v)
}

func (c *checker) zeros(r, cols int) backend.Matrix {
	c.t.Helper()
	return Put(c.t, c.b, c.p, r, cols, nil)
}

func (c *checker) read(m backend.Matrix) []float64 {
	c.t.Helper()
	return Get(c.t, c.b, m)
}

func (c *checker) data(x host, sparse bool) backend.Data {
	c.t.Helper()
	return NewData(c.t, c.b, c.p, x.v, x.r, x.c, sparse)
}

func (c *checker) check(what string, got, want []float64) {
	c.t.Helper()
	if len(got) != len(want) {
		c.t.Errorf("%s: %d values, want %d", what, len(got), len(want))
		return
	}
	var d, m float64
	worst := -1
	for i := range got {
		if math.IsNaN(got[i]) != math.IsNaN(want[i]) {
			c.t.Errorf("%s: [%d] = %v, want %v", what, i, got[i], want[i])
			return
		}
		if e := math.Abs(got[i] - want[i]); e > d {
			d, worst = e, i
		}
		m = math.Max(m, math.Abs(want[i]))
	}
	if m > 0 {
		d /= m
	}
	if d > tolerance(c.p) {
		c.t.Errorf("%s: relative difference %.3g at [%d]: got %v, want %v (tolerance %g)", what, d, worst, got[worst], want[worst], tolerance(c.p))
	}
}

func (c *checker) checkScalar(what string, got, want float64) {
	c.t.Helper()
	if d := math.Abs(got-want) / math.Max(math.Abs(want), 1e-300); d > tolerance(c.p) {
		c.t.Errorf("%s = %v, want %v (relative %.3g)", what, got, want, d)
	}
}

// ---- the reference operations (ref.go) on host matrices ----

func refMul(a host, ta bool, b host, tb bool) host {
	v, m, n := Gemm(a.v, a.r, a.c, ta, b.v, b.r, b.c, tb)
	return host{m, n, v}
}

func refMUTerms(side backend.Side, x, w, h host, beta float64) (num, den host) {
	nv, dv := MUTerms(side, x.v, x.r, x.c, w.c, w.v, h.v, beta)
	r, cols := x.r, w.c
	if side == backend.SideH {
		r, cols = w.c, x.c
	}
	return host{r, cols, nv}, host{r, cols, dv}
}

func refDivergence(x, w, h host, beta float64) float64 {
	return Divergence(x.v, x.r, x.c, w.c, w.v, h.v, beta)
}

// ---- checks ----

func (c *checker) mul(t *testing.T) {
	for _, m := range c.sizes {
		for _, k := range []int{1, 17, 64} {
			for _, n := range c.sizes {
				for _, ta := range []bool{false, true} {
					for _, tb := range []bool{false, true} {
						a := c.random(m, k, 0.1)
						if ta {
							a = c.random(k, m, 0.1)
						}
						b := c.random(k, n, 0.1)
						if tb {
							b = c.random(n, k, 0.1)
						}
						out := c.zeros(m, n)
						if err := c.b.Mul(out, c.upload(a), ta, c.upload(b), tb); err != nil {
							t.Fatal(err)
						}
						c.check(fmt.Sprintf("%d×%d×%d ta=%v tb=%v", m, k, n, ta, tb), c.read(out), refMul(a, ta, b, tb).v)
					}
				}
			}
		}
	}
	// An empty inner dimension: out = 0, whatever it held.
	for _, ta := range []bool{false, true} {
		for _, tb := range []bool{false, true} {
			a, b := host{3, 0, nil}, host{0, 4, nil}
			if ta {
				a = host{0, 3, nil}
			}
			if tb {
				b = host{4, 0, nil}
			}
			out := Put(c.t, c.b, c.p, 3, 4, Uniform(c.rng, c.p, 3, 4, 1, 0))
			if err := c.b.Mul(out, c.upload(a), ta, c.upload(b), tb); err != nil {
				t.Fatal(err)
			}
			c.check(fmt.Sprintf("3×0×4 ta=%v tb=%v", ta, tb), c.read(out), make([]float64, 12))
		}
	}
	// A Gram of a nonzero 5×4 first, so that scratch a backend reuses
	// holds a product's values.
	out := Put(c.t, c.b, c.p, 4, 4, Uniform(c.rng, c.p, 4, 4, 1, 0))
	if err := c.b.Gram(out, c.upload(c.random(5, 4, 0))); err != nil {
		t.Fatal(err)
	}
	if err := c.b.Gram(out, c.upload(host{0, 4, nil})); err != nil {
		t.Fatal(err)
	}
	c.check("Gram of 0×4", c.read(out), make([]float64, 16))
	// The tall-skinny shape of an iteration with few components.
	a, b := c.random(c.big, 3, 0.1), c.random(3, 200, 0)
	out = c.zeros(c.big, 200)
	if err := c.b.Mul(out, c.upload(a), false, c.upload(b), false); err != nil {
		t.Fatal(err)
	}
	c.check(fmt.Sprintf("%d×3×200", c.big), c.read(out), refMul(a, false, b, false).v)
}

func (c *checker) gram(t *testing.T) {
	for _, r := range append(c.sizes, c.big) {
		for _, k := range []int{1, 3, 17} {
			a := c.random(r, k, 0.2)
			out := c.zeros(k, k)
			if err := c.b.Gram(out, c.upload(a)); err != nil {
				t.Fatal(err)
			}
			c.check(fmt.Sprintf("%d×%d", r, k), c.read(out), refMul(a, true, a, false).v)
		}
	}
}

func (c *checker) transpose(t *testing.T) {
	for _, r := range c.sizes {
		for _, k := range c.sizes {
			a := c.random(r, k, 0)
			out := c.zeros(k, r)
			if err := c.b.Transpose(out, c.upload(a)); err != nil {
				t.Fatal(err)
			}
			want := host{k, r, make([]float64, r*k)}
			for i := 0; i < r; i++ {
				for j := 0; j < k; j++ {
					want.v[j*r+i] = a.v[i*k+j]
				}
			}
			c.check(fmt.Sprintf("%d×%d", r, k), c.read(out), want.v)
		}
	}
}

type shape struct{ l, n, k int }

var shapes = []shape{{1, 1, 1}, {7, 5, 3}, {17, 15, 4}, {33, 31, 7}, {64, 64, 16}, {1000, 3, 3}, {3, 1000, 2}, {40, 70, 17}}

func (c *checker) mulX(t *testing.T) {
	for _, s := range c.shapes {
		for _, sparse := range []bool{false, true} {
			x := c.random(s.l, s.n, 0.6)
			xd := c.data(x, sparse)
			b := c.random(s.n, s.k, 0.1)
			out := c.zeros(s.l, s.k)
			if err := c.b.MulX(out, xd, false, c.upload(b)); err != nil {
				t.Fatal(err)
			}
			c.check(fmt.Sprintf("X·B %v sparse=%v", s, sparse), c.read(out), refMul(x, false, b, false).v)
			bt := c.random(s.l, s.k, 0.1)
			outT := c.zeros(s.n, s.k)
			if err := c.b.MulX(outT, xd, true, c.upload(bt)); err != nil {
				t.Fatal(err)
			}
			c.check(fmt.Sprintf("Xᵀ·B %v sparse=%v", s, sparse), c.read(outT), refMul(x, true, bt, false).v)
		}
	}
}

// xFor returns a random X for shape s: half its entries zero, none for
// dense X when β ≤ 0.
func (c *checker) xFor(s shape, beta float64, sparse bool) host {
	zeros := 0.5
	if beta <= 0 && !sparse {
		zeros = 0
	}
	return c.random(s.l, s.n, zeros)
}

func (c *checker) muTerms(t *testing.T) {
	for _, s := range c.shapes {
		for _, beta := range Betas {
			for _, sparse := range []bool{false, true} {
				x := c.xFor(s, beta, sparse)
				// Zero rows of W and columns of H make zeros of W·H, and
				// a zero column of W a zero column sum: every clamp runs.
				w := c.random(s.l, s.k, 0.3)
				h := c.random(s.k, s.n, 0.3)
				for t := 0; t < s.k; t++ {
					w.v[t] = 0
				}
				if s.k > 1 {
					for i := 0; i < s.l; i++ {
						w.v[i*s.k+s.k-1] = 0
					}
				}
				xd, wm, hm := c.data(x, sparse), c.upload(w), c.upload(h)
				for _, side := range []backend.Side{backend.SideW, backend.SideH} {
					r, cols := s.l, s.k
					if side == backend.SideH {
						r, cols = s.k, s.n
					}
					num, den := c.zeros(r, cols), c.zeros(r, cols)
					if err := c.b.MUTerms(side, xd, wm, hm, beta, num, den); err != nil {
						t.Fatal(err)
					}
					wantN, wantD := refMUTerms(side, x, w, h, beta)
					name := fmt.Sprintf("%v β=%v sparse=%v side=%v", s, beta, sparse, side)
					c.check(name+" num", c.read(num), wantN.v)
					c.check(name+" den", c.read(den), wantD.v)
				}
			}
		}
	}
}

func (c *checker) muStep(t *testing.T) {
	type params struct{ l1, l2, gamma, flush float64 }
	for _, p := range []params{{0, 0, 1, 0}, {0.3, 0, 1, 0}, {0, 0.2, 1, 0}, {0.1, 0.2, 0.5, 0}, {0, 0, 2.0 / 3, backend.FlushBelow}, {0, 0, 1, 0.5}} {
		for _, n := range []int{1, 7, 33, c.big} {
			m := c.random(n, 3, 0.2)
			num := c.random(n, 3, 0.2)
			den := c.random(n, 3, 0.4)
			want := MUStep(c.p, m.v, num.v, den.v, p.l1, p.l2, p.gamma, p.flush)
			mm := c.upload(m)
			if err := c.b.MUStep(mm, c.upload(num), c.upload(den), p.l1, p.l2, p.gamma, p.flush); err != nil {
				t.Fatal(err)
			}
			c.check(fmt.Sprintf("%d %+v", n, p), c.read(mm), want)
		}
	}
}

// frobeniusPass checks backend.FrobeniusPass against the calls it stands
// for: W's β = 2 terms and step, then H's terms with the new W; where the
// backend declines, that nothing changed.
func (c *checker) frobeniusPass(t *testing.T) {
	type params struct{ l1, l2, gamma, flush float64 }
	ps := []params{{0, 0, 1, 0}, {0.3, 0.2, 1, 0}, {0.1, 0, 0.5, 0.4}}
	for i, s := range c.shapes {
		for _, sparse := range []bool{false, true} {
			p := ps[i%len(ps)]
			x := c.xFor(s, 2, sparse)
			w, h := c.random(s.l, s.k, 0.3), c.random(s.k, s.n, 0.3)
			for t := 0; t < s.k; t++ {
				w.v[t] = 0 // a zero row of W: a zero denominator
			}
			wm, numH, denH := c.upload(w), c.zeros(s.k, s.n), c.zeros(s.k, s.n)
			f := c.b.(backend.FrobeniusPass)
			done, err := f.MUFrobeniusPass(c.data(x, sparse), wm, c.upload(h), p.l1, p.l2, p.gamma, p.flush, numH, denH)
			if err != nil {
				t.Fatal(err)
			}
			name := fmt.Sprintf("%v sparse=%v %+v", s, sparse, p)
			if !done {
				c.check(name+" W unchanged", c.read(wm), w.v)
				continue
			}
			numW, denW := refMUTerms(backend.SideW, x, w, h, 2)
			w2 := host{s.l, s.k, MUStep(c.p, w.v, numW.v, denW.v, p.l1, p.l2, p.gamma, p.flush)}
			wantN, wantD := refMUTerms(backend.SideH, x, w2, h, 2)
			c.check(name+" W", c.read(wm), w2.v)
			c.check(name+" num H", c.read(numH), wantN.v)
			c.check(name+" den H", c.read(denH), wantD.v)
		}
	}
}

func (c *checker) cdSweep(t *testing.T) {
	for _, s := range c.shapes {
		for _, reg := range [][2]float64{{0, 0}, {0.05, 0.1}} {
			w := c.random(s.l, s.k, 0.3)
			ht := c.random(s.n, s.k, 0.1)
			x := c.random(s.l, s.n, 0.3)
			hht := refMul(ht, true, ht, false)
			xht := refMul(x, false, ht, false)
			Round(c.p, hht.v)
			Round(c.p, xht.v)
			perm := c.rng.Perm(s.k)
			want, violation := CDSweep(c.p, w.v, s.l, s.k, hht.v, xht.v, reg[0], reg[1], perm)
			wm := c.upload(w)
			got, err := c.b.CDSweep(wm, c.upload(hht), c.upload(xht), reg[0], reg[1], perm)
			if err != nil {
				t.Fatal(err)
			}
			name := fmt.Sprintf("%v reg=%v", s, reg)
			c.check(name+" W", c.read(wm), want)
			c.checkScalar(name+" violation", got, violation)
		}
	}
}

func (c *checker) divergence(t *testing.T) {
	for _, s := range c.shapes {
		for _, beta := range Betas {
			for _, sparse := range []bool{false, true} {
				x := c.xFor(s, beta, sparse)
				w := c.random(s.l, s.k, 0.2)
				h := c.random(s.k, s.n, 0.2)
				if beta > 0 {
					// A zero row of W makes W·H zero where X may not be.
					for t := 0; t < s.k; t++ {
						w.v[t] = 0
					}
				}
				got, err := c.b.Divergence(c.data(x, sparse), c.upload(w), c.upload(h), beta)
				if err != nil {
					t.Fatal(err)
				}
				c.checkScalar(fmt.Sprintf("%v β=%v sparse=%v", s, beta, sparse), got, refDivergence(x, w, h, beta))
			}
		}
	}
}

// sums checks Sums on empty, small and tall matrices (a fraction of
// zeros) against Σ m and Σ m² summed in float64.
func (c *checker) sums(t *testing.T) {
	for _, r := range append([]int{0}, append(c.sizes, c.big)...) {
		for _, k := range []int{1, 3, 17} {
			m := c.random(r, k, 0.2)
			var want, wantSq float64
			for _, v := range m.v {
				want += v
				wantSq += v * v
			}
			got, gotSq, err := c.b.Sums(c.upload(m))
			if err != nil {
				t.Fatal(err)
			}
			c.checkScalar(fmt.Sprintf("%d×%d Σ", r, k), got, want)
			c.checkScalar(fmt.Sprintf("%d×%d Σ²", r, k), gotSq, wantSq)
		}
	}
}
