//go:build unix

package gpu

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/clnmf/clnmf/internal/cputime"
	"github.com/clnmf/clnmf/nmf/backend"
	"github.com/clnmf/clnmf/nmf/backend/backendtest"
)

// BenchmarkGrowthProducts times, on the device's own profile, the products
// of one mu Frobenius iteration (X·Hᵀ, H·Hᵀ, W·G; Wᵀ·X, Wᵀ·W, G·H) at the
// growth target's sizes (500² to 4000², k = 32), so that the time per
// l·n·k of each product can be followed from size to size:
//
//	go test -run '^$' -bench GrowthProducts ./gpu/
func BenchmarkGrowthProducts(b *testing.B) {
	g := dev(b)
	const k = 32
	for _, s := range []int{500, 1000, 2000, 4000} {
		for _, p := range []backend.Precision{backend.Float32, backend.Float64} {
			l, n := s, s
			rng := rand.New(rand.NewPCG(5, uint64(s)))
			xv, wv, hv := backendtest.Factors(rng, p, l, n, k)
			x, w, h := backendtest.Put(b, g, p, l, n, xv), backendtest.Put(b, g, p, l, k, wv), backendtest.Put(b, g, p, k, n, hv)
			lk, kn, kk := mustMatrix(b, g, p, l, k), mustMatrix(b, g, p, k, n), mustMatrix(b, g, p, k, k)
			for _, pr := range []struct {
				name      string
				out, a, c backend.Matrix
				ta, tc    bool
			}{{"XHt", lk, x, h, false, true}, {"HHt", kk, h, h, false, true}, {"WG", lk, w, kk, false, false},
				{"WtX", kn, w, x, true, false}, {"WtW", kk, w, w, true, false}, {"GH", kn, kk, h, false, false}} {
				b.Run(fmt.Sprintf("%d/%v/%s", s, p, pr.name), func(b *testing.B) {
					c0 := cputime.Process()
					for i := 0; i < b.N; i++ {
						if err := g.Mul(pr.out, pr.a, pr.ta, pr.c, pr.tc); err != nil {
							b.Fatal(err)
						}
					}
					if err := g.q.Finish(); err != nil {
						b.Fatal(err)
					}
					lnk := float64(l*n*k) / 1e8
					b.ReportMetric(b.Elapsed().Seconds()*1e3/float64(b.N)/lnk, "ms/1e8lnk")
					b.ReportMetric((cputime.Process()-c0).Seconds()*1e3/float64(b.N)/lnk, "cpu-ms/1e8lnk")
				})
			}
		}
	}
}
