package cpu_test

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/clnmf/clnmf/cpu"
	"github.com/clnmf/clnmf/nmf/backend"
	"github.com/clnmf/clnmf/nmf/backend/backendtest"
)

// BenchmarkMUTerms times one half-step's terms (MUTerms) on dense X, per
// side, loss and precision, with and without the micro-kernels:
//
//	go test -run '^$' -bench MUTerms ./cpu/
func BenchmarkMUTerms(b *testing.B) {
	for _, sh := range [][3]int{{2000, 2000, 50}, {4096, 1000, 64}, {4000, 4000, 32}, {1000, 1000, 200}} {
		b.Run(fmt.Sprintf("%dx%dk%d", sh[0], sh[1], sh[2]), func(b *testing.B) { benchMUTerms(b, sh[0], sh[1], sh[2]) })
	}
}

func benchMUTerms(b *testing.B, l, n, k int) {
	r := rand.New(rand.NewPCG(1, 2))
	xs := backendtest.Uniform(r, backend.Float64, l, n, 0.01, 0)
	ws := backendtest.Uniform(r, backend.Float64, l, k, 0, 0)
	hs := backendtest.Uniform(r, backend.Float64, k, n, 0, 0)
	for _, p := range []backend.Precision{backend.Float32, backend.Float64} {
		x := backendtest.HostData(p, xs, l, n, false)
		for _, beta := range []float64{2, 1, 0, 1.5} {
			for _, side := range []backend.Side{backend.SideW, backend.SideH} {
				for _, nok := range []bool{false, true} {
					name := fmt.Sprintf("%v/beta=%g/side=%v/kernels=%v", p, beta, side, !nok)
					b.Run(name, func(b *testing.B) {
						be, err := cpu.NewWith(cpu.Options{NoKernels: nok})
						if err != nil {
							b.Fatal(err)
						}
						defer be.Close()
						d, err := be.NewData(x)
						if err != nil {
							b.Fatal(err)
						}
						w, h := backendtest.Put(b, be, p, l, k, ws), backendtest.Put(b, be, p, k, n, hs)
						or, oc := l, k
						if side == backend.SideH {
							or, oc = k, n
						}
						num, den := backendtest.Put(b, be, p, or, oc, nil), backendtest.Put(b, be, p, or, oc, nil)
						be.MUTerms(side, d, w, h, beta, num, den)
						b.ResetTimer()
						for i := 0; i < b.N; i++ {
							if err := be.MUTerms(side, d, w, h, beta, num, den); err != nil {
								b.Fatal(err)
							}
						}
						flops := 2.0 * float64(l*n*k)
						if beta != 2 {
							flops *= 2
							if beta != 1 {
								flops *= 1.5
							}
						}
						b.ReportMetric(flops*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
					})
				}
			}
		}
	}
}

// BenchmarkIteration times one whole mu Frobenius iteration (both halves:
// terms and steps) on 2000×2000 k=50 float32 with the default options:
//
//	go test -run '^$' -bench Iteration ./cpu/
func BenchmarkIteration(b *testing.B) {
	const l, n, k = 2000, 2000, 50
	be, _ := cpu.New()
	defer be.Close()
	r := rand.New(rand.NewPCG(1, 2))
	p := backend.Float32
	xs := backendtest.Uniform(r, p, l, n, 0.01, 0)
	d := backendtest.NewData(b, be, p, xs, l, n, false)
	w := backendtest.Put(b, be, p, l, k, backendtest.Uniform(r, p, l, k, 0, 0))
	h := backendtest.Put(b, be, p, k, n, backendtest.Uniform(r, p, k, n, 0, 0))
	nw, dw := backendtest.Put(b, be, p, l, k, nil), backendtest.Put(b, be, p, l, k, nil)
	nh, dh := backendtest.Put(b, be, p, k, n, nil), backendtest.Put(b, be, p, k, n, nil)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		be.MUTerms(backend.SideW, d, w, h, 2, nw, dw)
		be.MUStep(w, nw, dw, 0, 0, 1, 0)
		be.MUTerms(backend.SideH, d, w, h, 2, nh, dh)
		be.MUStep(h, nh, dh, 0, 0, 1, 0)
	}
}
