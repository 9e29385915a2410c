package cpu_test

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/clnmf/clnmf/cpu"
	"github.com/clnmf/clnmf/nmf/backend"
)

// BenchmarkMUTerms times one half-step's terms (MUTerms) on dense X, per
// side, loss and precision, with and without the micro-kernels:
//
//	go test -run '^$' -bench MUTerms ./cpu/
func BenchmarkMUTerms(b *testing.B) {
	for _, sh := range [][3]int{{2000, 2000, 50}, {4096, 1000, 64}} {
		b.Run(fmt.Sprintf("%dx%dk%d", sh[0], sh[1], sh[2]), func(b *testing.B) { benchMUTerms(b, sh[0], sh[1], sh[2]) })
	}
}

func benchMUTerms(b *testing.B, l, n, k int) {
	r := rand.New(rand.NewPCG(1, 2))
	xs := make([]float64, l*n)
	for i := range xs {
		xs[i] = r.Float64() + 0.01
	}
	ws, hs := make([]float64, l*k), make([]float64, k*n)
	for i := range ws {
		ws[i] = r.Float64()
	}
	for i := range hs {
		hs[i] = r.Float64()
	}
	for _, p := range []backend.Precision{backend.Float32, backend.Float64} {
		var x backend.HostData = &backend.Dense[float64]{Rows: l, Cols: n, Data: xs}
		if p == backend.Float32 {
			x32 := make([]float32, len(xs))
			for i, v := range xs {
				x32[i] = float32(v)
			}
			x = &backend.Dense[float32]{Rows: l, Cols: n, Data: x32}
		}
		for _, beta := range []float64{2, 1, 0} {
			for _, side := range []backend.Side{backend.SideW, backend.SideH} {
				for _, nok := range []bool{false, true} {
					name := fmt.Sprintf("%v/beta=%g/side=%v/kernels=%v", p, beta, side, !nok)
					b.Run(name, func(b *testing.B) {
						be, err := cpu.NewWith(cpu.Options{NoKernels: nok})
						if err != nil {
							b.Fatal(err)
						}
						defer be.Close()
						d, _ := be.NewData(x)
						w, _ := be.NewMatrix(p, l, k)
						h, _ := be.NewMatrix(p, k, n)
						be.Write(w, backend.NewHost(p, l, k, ws))
						be.Write(h, backend.NewHost(p, k, n, hs))
						or, oc := l, k
						if side == backend.SideH {
							or, oc = k, n
						}
						num, _ := be.NewMatrix(p, or, oc)
						den, _ := be.NewMatrix(p, or, oc)
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
	x32 := make([]float32, l*n)
	for i := range x32 {
		x32[i] = float32(r.Float64() + 0.01)
	}
	ws, hs := make([]float64, l*k), make([]float64, k*n)
	for i := range ws {
		ws[i] = r.Float64()
	}
	for i := range hs {
		hs[i] = r.Float64()
	}
	p := backend.Float32
	d, _ := be.NewData(&backend.Dense[float32]{Rows: l, Cols: n, Data: x32})
	w, _ := be.NewMatrix(p, l, k)
	h, _ := be.NewMatrix(p, k, n)
	be.Write(w, backend.NewHost(p, l, k, ws))
	be.Write(h, backend.NewHost(p, k, n, hs))
	nw, _ := be.NewMatrix(p, l, k)
	dw, _ := be.NewMatrix(p, l, k)
	nh, _ := be.NewMatrix(p, k, n)
	dh, _ := be.NewMatrix(p, k, n)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		be.MUTerms(backend.SideW, d, w, h, 2, nw, dw)
		be.MUStep(w, nw, dw, 0, 0, 1, 0)
		be.MUTerms(backend.SideH, d, w, h, 2, nh, dh)
		be.MUStep(h, nh, dh, 0, 0, 1, 0)
	}
}
