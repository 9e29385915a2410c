package cpu

import (
	"math/rand/v2"
	"testing"

	"github.com/clnmf/clnmf/nmf/backend"
)

func BenchmarkIterFrob(b *testing.B) {
	const l, n, k = 2000, 2000, 50
	be, _ := New()
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
	be.Write(w, ws)
	be.Write(h, hs)
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
