package cpu

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/clnmf/clnmf/nmf/backend"
	"github.com/clnmf/clnmf/nmf/backend/backendtest"
)

// TestCDSweepBitwise checks that CDSweep's W and violation are bitwise the
// same in Go (kernels off), with the AVX-512 steps and without them, and
// whatever the number of workers: on partial blocks, k from 1 to past the
// L1-sized block (and k = 0), with zeros in W (the projected gradient)
// and with l1/l2.
func TestCDSweepBitwise(t *testing.T) {
	saved := hasAVX512
	defer setAVX512(saved)
	type run struct {
		kernels, avx512 bool
		workers         int
	}
	runs := []run{{false, false, 1}, {true, false, 2}}
	if setAVX512(true); hasAVX512 {
		runs = append(runs, run{true, true, 1}, run{true, true, 2}, run{true, true, 3})
	} else {
		t.Log("no AVX-512 on this CPU: only the Go path is compared (kernels off and on)")
	}
	for _, sh := range [][2]int{{5, 0}, {5, 3}, {64, 1}, {101, 7}, {200, 20}, {97, 50}, {70, 203}} {
		rows, k := sh[0], sh[1]
		r := rand.New(rand.NewPCG(uint64(rows), uint64(k)))
		ws := backendtest.Uniform(r, backend.Float64, rows, k, 0, 0.2)
		hr := 3*k + 5
		hs := backendtest.Uniform(r, backend.Float64, hr, k, 0, 0)
		xs := backendtest.Uniform(r, backend.Float64, rows, k, 0, 0)
		for i := range xs {
			xs[i] *= float64(k)
		}
		perm := r.Perm(k)
		for _, p := range []backend.Precision{backend.Float32, backend.Float64} {
			for _, reg := range [][2]float64{{0, 0}, {0.05, 0.1}} {
				var refW []float64
				var refV float64
				for i, c := range runs {
					setAVX512(c.avx512)
					gotW, gotV := cdOnce(t, c.kernels, c.workers, p, ws, hs, xs, rows, hr, k, reg, perm)
					if i == 0 {
						refW, refV = gotW, gotV
						continue
					}
					if math.Float64bits(gotV) != math.Float64bits(refV) {
						t.Fatalf("%d×%d %v reg=%v %+v: violation %v, in Go %v", rows, k, p, reg, c, gotV, refV)
					}
					for j := range gotW {
						if math.Float64bits(gotW[j]) != math.Float64bits(refW[j]) {
							t.Fatalf("%d×%d %v reg=%v %+v: W[%d] = %v, in Go %v", rows, k, p, reg, c, j, gotW[j], refW[j])
						}
					}
				}
			}
		}
	}
}

// cdOnce runs one CDSweep of W (rows×k) against hsᵀ·hs (hs hr×k) and
// XHᵀ = xs.
func cdOnce(t *testing.T, kernels bool, workers int, p backend.Precision, ws, hs, xs []float64, rows, hr, k int, reg [2]float64, perm []int) ([]float64, float64) {
	b, err := NewWith(Options{Workers: workers, NoKernels: !kernels})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	w := backendtest.Put(t, b, p, rows, k, ws)
	// HHᵀ on the host, so that every run sweeps against the same numbers.
	hht, _, _ := backendtest.Gemm(hs, hr, k, true, hs, hr, k, false)
	g := backendtest.Put(t, b, p, k, k, backendtest.Round(p, hht))
	v, err := b.CDSweep(w, g, backendtest.Put(t, b, p, rows, k, xs), reg[0], reg[1], perm)
	if err != nil {
		t.Fatal(err)
	}
	return backendtest.Get(t, b, w), v
}
