package gpu

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/clnmf/clnmf/gpu/internal/tuning"
	"github.com/clnmf/clnmf/nmf/backend"
	"github.com/clnmf/clnmf/nmf/backend/backendtest"
)

// BenchmarkMUTerms times, for a 2000×1000 X and k = 20, the dense β = 1.5
// terms (fused and materialised), the fused β = 1 (KL) terms, the sparse
// ones (X half zeros, and a 5 %-dense X under KL) and the Frobenius ones.
func BenchmarkMUTerms(b *testing.B) {
	g := dev(b)
	rng := rand.New(rand.NewPCG(1, 2))
	l, n, k := 2000, 1000, 20
	p := backend.Float32
	xv, wv, hv := backendtest.Factors(rng, p, l, n, k)
	xs := backendtest.Uniform(rng, p, l, n, 0, 0.95)
	w, h := backendtest.Put(b, g, p, l, k, wv), backendtest.Put(b, g, p, k, n, hv)
	for _, c := range []struct {
		name string
		x    []float64
		sp   bool
		path Path
		beta float64
	}{
		{"fro", xv, false, PathAuto, 2}, {"fused", xv, false, PathFused, 1.5}, {"fused-kl", xv, false, PathFused, 1},
		{"materialised", xv, false, PathMaterialised, 1.5}, {"sparse", xv, true, PathAuto, 1.5},
		{"sparse5-kl", xs, true, PathAuto, 1},
	} {
		for _, side := range []backend.Side{backend.SideW, backend.SideH} {
			b.Run(fmt.Sprintf("%s/side=%d", c.name, side), func(b *testing.B) {
				g.Path = c.path
				x, err := g.NewData(backendtest.HostData(p, c.x, l, n, c.sp))
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

// BenchmarkGemmKernels times the gpu profile's GEMM before xgemm (the
// tiled kernels gemm/gemm_rb, tuning.Gemm{}) and with xgemm at its
// defaults, and for reference the cpu profile's vector kernels, on the
// products of a mu iteration for a 1000×1000 X, k = 32: W·H, Wᵀ·X, X·Hᵀ,
// and the k×k Gram H·Hᵀ (split K).
func BenchmarkGemmKernels(b *testing.B) {
	g := dev(b)
	rng := rand.New(rand.NewPCG(3, 4))
	l, n, k := 1000, 1000, 32
	p := backend.Float32
	xv, wv, hv := backendtest.Factors(rng, p, l, n, k)
	for _, set := range []struct {
		name string
		gp   tuning.Gemm
	}{{"tiled", tuning.Gemm{}}, {"xgemm", tuning.DefaultGemm(g.dev, false)}, {"cpu-vec", tuning.DefaultGemm(g.dev, true)}} {
		nb := newBackend(g.ctx, g.spec, g.dev.Platform, g.dev, ProfileGPU, false)
		if err := nb.setGemm(set.gp); err != nil {
			b.Fatal(err)
		}
		x, w, h := backendtest.Put(b, nb, p, l, n, xv), backendtest.Put(b, nb, p, l, k, wv), backendtest.Put(b, nb, p, k, n, hv)
		ln, kn, lk, kk := mustMatrix(b, nb, p, l, n), mustMatrix(b, nb, p, k, n), mustMatrix(b, nb, p, l, k), mustMatrix(b, nb, p, k, k)
		products := []struct {
			name      string
			out, a, c backend.Matrix
			ta, tc    bool
		}{{"WH", ln, w, h, false, false}, {"WtX", kn, w, x, true, false}, {"XHt", lk, x, h, false, true}, {"HHt", kk, h, h, false, true}}
		for _, pr := range products {
			b.Run(set.name+"/"+pr.name, func(b *testing.B) {
				for i := 0; i < b.N; i++ {
					if err := nb.Mul(pr.out, pr.a, pr.ta, pr.c, pr.tc); err != nil {
						b.Fatal(err)
					}
				}
				if err := nb.q.Finish(); err != nil {
					b.Fatal(err)
				}
			})
		}
	}
}

func mustMatrix(b *testing.B, g *Backend, p backend.Precision, r, c int) backend.Matrix {
	m, err := g.NewMatrix(p, r, c)
	if err != nil {
		b.Fatal(err)
	}
	return m
}

// BenchmarkCDSweep times one coordinate-descent sweep over a 4000×k factor
// (k = 16 and 48).
func BenchmarkCDSweep(b *testing.B) {
	g := dev(b)
	rng := rand.New(rand.NewPCG(3, 4))
	p := backend.Float32
	for _, k := range []int{16, 48} {
		r := 4000
		b.Run(fmt.Sprintf("k=%d", k), func(b *testing.B) {
			hv := backendtest.Uniform(rng, p, k, 200, 0, 0.2)
			hht, _, _ := backendtest.Gemm(hv, k, 200, false, hv, k, 200, true)
			backendtest.Round(p, hht)
			xht := backendtest.Uniform(rng, p, r, k, 0, 0)
			w := backendtest.Put(b, g, p, r, k, backendtest.Uniform(rng, p, r, k, 0, 0.3))
			hm, xm := backendtest.Put(b, g, p, k, k, hht), backendtest.Put(b, g, p, r, k, xht)
			perm := rng.Perm(k)
			for i := 0; i < b.N; i++ {
				if _, err := g.CDSweep(w, hm, xm, 0.01, 0.01, perm); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
