package gpu

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/clnmf/clnmf/nmf/backend"
	"github.com/clnmf/clnmf/nmf/backend/backendtest"
)

// BenchmarkMUTerms times the dense β = 1.5 terms (fused and materialised),
// the sparse ones and the Frobenius ones for a 2000×1000 X, k = 20.
func BenchmarkMUTerms(b *testing.B) {
	g := dev(b)
	rng := rand.New(rand.NewPCG(1, 2))
	l, n, k := 2000, 1000, 20
	p := backend.Float32
	xv, wv, hv := backendtest.Factors(rng, p, l, n, k)
	w, h := backendtest.Put(b, g, p, l, k, wv), backendtest.Put(b, g, p, k, n, hv)
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
				x, err := g.NewData(backendtest.HostData(p, xv, l, n, c.sparse))
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
