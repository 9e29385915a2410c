//go:build unix

package cpu_test

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/clnmf/clnmf/cpu"
	"github.com/clnmf/clnmf/internal/cputime"
	"github.com/clnmf/clnmf/nmf/backend"
	"github.com/clnmf/clnmf/nmf/backend/backendtest"
)

// BenchmarkCD times one coordinate-descent iteration on one worker (both
// halves: Gram, X's product and the sweep, as nmf's cdUpdate calls them),
// and the two sweeps alone:
//
//	go test -run '^$' -bench CD ./cpu/
func BenchmarkCD(b *testing.B) {
	for _, sh := range [][3]int{{1000, 1000, 200}, {2000, 2000, 50}, {4096, 1000, 64}, {4000, 4000, 32}, {5000, 4000, 20}} {
		for _, p := range []backend.Precision{backend.Float32, backend.Float64} {
			for _, part := range []string{"iteration", "sweep"} {
				b.Run(fmt.Sprintf("%dx%dk%d/%v/%s", sh[0], sh[1], sh[2], p, part), func(b *testing.B) {
					benchCD(b, p, sh[0], sh[1], sh[2], part == "sweep")
				})
			}
		}
	}
}

func benchCD(b *testing.B, p backend.Precision, l, n, k int, sweepOnly bool) {
	be, err := cpu.NewWith(cpu.Options{Workers: 1})
	if err != nil {
		b.Fatal(err)
	}
	defer be.Close()
	r := rand.New(rand.NewPCG(1, 2))
	d := backendtest.NewData(b, be, p, backendtest.Uniform(r, p, l, n, 0.01, 0), l, n, false)
	w := backendtest.Put(b, be, p, l, k, backendtest.Uniform(r, p, l, k, 0, 0))
	ht := backendtest.Put(b, be, p, n, k, backendtest.Uniform(r, p, n, k, 0, 0))
	g := backendtest.Put(b, be, p, k, k, nil)
	xw, xh := backendtest.Put(b, be, p, l, k, nil), backendtest.Put(b, be, p, n, k, nil)
	perm := r.Perm(k)
	half := func(a, o, xb backend.Matrix, trans bool) {
		if !sweepOnly {
			if err := be.Gram(g, o); err != nil {
				b.Fatal(err)
			}
			if err := be.MulX(xb, d, trans, o); err != nil {
				b.Fatal(err)
			}
		}
		if _, err := be.CDSweep(a, g, xb, 0, 0, perm); err != nil {
			b.Fatal(err)
		}
	}
	if sweepOnly {
		be.Gram(g, ht)
		be.MulX(xw, d, false, ht)
		be.MulX(xh, d, true, w)
	}
	b.ResetTimer()
	c0 := cputime.Process()
	for i := 0; i < b.N; i++ {
		half(w, ht, xw, false)
		half(ht, w, xh, true)
	}
	b.ReportMetric((cputime.Process()-c0).Seconds()*1e3/float64(b.N), "cpu-ms/op")
}
