package gpu

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/clnmf/clnmf/cpu"
	"github.com/clnmf/clnmf/nmf/backend"
)

// TestAgainstCPU runs the same operations on the CPU backend (the
// reference path) and on the device and compares the results: every β, both
// sides, dense (fused and materialised) and sparse, both precisions.
func TestAgainstCPU(t *testing.T) {
	g := dev(t)
	c, err := cpu.New()
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	rng := rand.New(rand.NewPCG(21, 22))
	shapes := small([][3]int{{9, 11, 3}, {40, 33, 5}, {130, 70, 7}})
	for _, p := range precisions {
		tol := tolerance(p)
		for _, s := range shapes {
			l, n, k := s[0], s[1], s[2]
			xv, wv, hv := factors(rng, p, l, n, k)
			for _, sparse := range []bool{false, true} {
				for _, path := range []Path{PathFused, PathMaterialised} {
					if sparse && path == PathMaterialised {
						continue
					}
					g.Path = path
					name := fmt.Sprintf("%v %d×%d k=%d sparse=%v %v", p, l, n, k, sparse, path)
					both := func(b backend.Backend) (x backend.Data, w, h backend.Matrix) {
						x, err := b.NewData(hostData(p, xv, l, n, sparse))
						if err != nil {
							t.Fatal(err)
						}
						return x, put(t, b, p, l, k, wv), put(t, b, p, k, n, hv)
					}
					gx, gw, gh := both(g)
					cx, cw, ch := both(c)
					for _, beta := range betas {
						for _, side := range []backend.Side{backend.SideW, backend.SideH} {
							r, cc := l, k
							if side == backend.SideH {
								r, cc = k, n
							}
							run := func(b backend.Backend, x backend.Data, w, h backend.Matrix) (num, den []float64) {
								nm, _ := b.NewMatrix(p, r, cc)
								dm, _ := b.NewMatrix(p, r, cc)
								if err := b.MUTerms(side, x, w, h, beta, nm, dm); err != nil {
									t.Fatal(err)
								}
								return get(t, b, nm), get(t, b, dm)
							}
							gn, gd := run(g, gx, gw, gh)
							cn, cd := run(c, cx, cw, ch)
							check(t, fmt.Sprintf("%s side=%d β=%v num vs cpu", name, side, beta), gn, cn, tol)
							check(t, fmt.Sprintf("%s side=%d β=%v den vs cpu", name, side, beta), gd, cd, tol)
						}
						gv, err := g.Divergence(gx, gw, gh, beta)
						if err != nil {
							t.Fatal(err)
						}
						cv, err := c.Divergence(cx, cw, ch, beta)
						if err != nil {
							t.Fatal(err)
						}
						checkScalar(t, fmt.Sprintf("%s β=%v Divergence vs cpu", name, beta), gv, cv, tol)
					}
				}
			}

			// Coordinate descent: the same numbers as the CPU path.
			hht, _, _ := refGemm(hv, k, n, false, hv, k, n, true)
			round(p, hht)
			xht, _, _ := refGemm(xv, l, n, false, hv, k, n, true)
			round(p, xht)
			perm := rng.Perm(k)
			sweep := func(b backend.Backend) ([]float64, float64) {
				w := put(t, b, p, l, k, wv)
				v, err := b.CDSweep(w, put(t, b, p, k, k, hht), put(t, b, p, l, k, xht), 0.01, 0.1, perm)
				if err != nil {
					t.Fatal(err)
				}
				return get(t, b, w), v
			}
			gwv, gviol := sweep(g)
			cwv, cviol := sweep(c)
			name := fmt.Sprintf("%v %d×%d k=%d", p, l, n, k)
			check(t, name+" CDSweep W vs cpu", gwv, cwv, tol*1e-3)
			checkScalar(t, name+" CDSweep violation vs cpu", gviol, cviol, tol)
		}
	}
}

func put(t testing.TB, b backend.Backend, p backend.Precision, rows, cols int, v []float64) backend.Matrix {
	t.Helper()
	m, err := b.NewMatrix(p, rows, cols)
	if err != nil {
		t.Fatal(err)
	}
	if err := b.Write(m, backend.NewHost(p, rows, cols, v)); err != nil {
		t.Fatal(err)
	}
	return m
}

func get(t testing.TB, b backend.Backend, m backend.Matrix) []float64 {
	t.Helper()
	r, c := m.Dims()
	v := backend.NewHost(m.Precision(), r, c, nil)
	if err := b.Read(m, v); err != nil {
		t.Fatal(err)
	}
	return backend.Float64s(v)
}

// BenchmarkMUTerms times the dense β = 1.5 terms (fused and materialised),
// the sparse ones and the Frobenius ones for a 2000×1000 X, k = 20.
func BenchmarkMUTerms(b *testing.B) {
	g := dev(b)
	rng := rand.New(rand.NewPCG(1, 2))
	l, n, k := 2000, 1000, 20
	p := backend.Float32
	xv, wv, hv := factors(rng, p, l, n, k)
	w, h := put(b, g, p, l, k, wv), put(b, g, p, k, n, hv)
	for _, c := range []struct {
		name   string
		sparse bool
		path   Path
		beta   float64
	}{
		{"fro", false, PathAuto, 2}, {"fused", false, PathFused, 1.5},
		{"materialised", false, PathMaterialised, 1.5}, {"sparse", true, PathAuto, 1.5},
	} {
		for _, side := range []backend.Side{backend.SideW, backend.SideH} {
			b.Run(fmt.Sprintf("%s/side=%d", c.name, side), func(b *testing.B) {
				g.Path = c.path
				x, err := g.NewData(hostData(p, xv, l, n, c.sparse))
				if err != nil {
					b.Fatal(err)
				}
				r, cc := l, k
				if side == backend.SideH {
					r, cc = k, n
				}
				num, _ := g.NewMatrix(p, r, cc)
				den, _ := g.NewMatrix(p, r, cc)
				for i := 0; i < b.N; i++ {
					if err := g.MUTerms(side, x, w, h, c.beta, num, den); err != nil {
						b.Fatal(err)
					}
				}
				if err := g.q.Finish(); err != nil {
					b.Fatal(err)
				}
			})
		}
	}
}
