package nmf_test

// Benchmarks of whole fits, and the test that a fit allocates nothing per
// iteration.
//
//	go test -run '^$' -bench Fit -benchtime 3x ./nmf/                 # OpenBLAS where installed
//	CLNMF_BLAS=go go test -run '^$' -bench Fit -benchtime 3x ./nmf/   # gonum's pure-Go BLAS

import (
	"fmt"
	"math"
	"math/rand/v2"
	"runtime"
	"sync"
	"testing"
	"time"

	"github.com/clnmf/clnmf/cpu"
	"github.com/clnmf/clnmf/nmf"
	"github.com/clnmf/clnmf/nmf/backend"
	"github.com/clnmf/clnmf/nmf/nmftest"
)

// benchLoss is one solver × loss of the benchmarks and the allocation test.
type benchLoss struct {
	name   string
	solver nmf.Solver
	loss   nmf.Loss
}

var benchLosses = []benchLoss{
	{"mu-frobenius", nmf.MU, nmf.Frobenius},
	{"mu-kl", nmf.MU, nmf.KullbackLeibler},
	{"mu-is", nmf.MU, nmf.ItakuraSaito},
	{"mu-beta1.5", nmf.MU, nmf.Beta(1.5)},
	{"cd", nmf.CD, nmf.Frobenius},
}

// benchProblem is X = W·H + noise for seeded nonnegative W (l×k) and H
// (k×n), strictly positive (the noise is |N(0, 0.01²)| + 1e-3) so that every
// loss applies, and a custom start W0, H0 scaled as scikit-learn's random
// init.
type benchProblem struct {
	x, w0, h0 *nmf.Dense[float64]
}

func newBenchProblem(seed uint64, l, n, k int) *benchProblem {
	x := lowRank(seed, l, n, k)
	rng := rand.New(rand.NewPCG(seed, 7))
	for i := range x.Data {
		x.Data[i] += 0.01*math.Abs(rng.NormFloat64()) + 1e-3
	}
	scale := math.Sqrt(sum(x.Data) / float64(len(x.Data)) / float64(k))
	w0, h0 := absNormal(seed+2, l, k), absNormal(seed+3, k, n)
	for _, d := range [][]float64{w0.Data, h0.Data} {
		for i := range d {
			d[i] *= scale
		}
	}
	return &benchProblem{x, w0, h0}
}

var (
	bigOnce    sync.Once
	bigProblem *benchProblem
)

// BenchmarkFit fits a 1000×1000 rank-30 X with k = 30 for exactly 20
// iterations (tol 0) from a custom start, so the initialisation is not
// measured; ns/iter is the time of one iteration (the two error
// evaluations of a fit, at the start and the end, included and spread).
func BenchmarkFit(b *testing.B) {
	const l, n, k, iters = 1000, 1000, 30, 20
	bigOnce.Do(func() { bigProblem = newBenchProblem(1, l, n, k) })
	p := bigProblem
	for _, c := range benchLosses {
		b.Run(c.name, func(b *testing.B) {
			b.Run("float64", func(b *testing.B) { benchFit(b, c, p.x, p.w0, p.h0, iters) })
			b.Run("float32", func(b *testing.B) {
				benchFit(b, c, convert[float32](p.x), convert[float32](p.w0), convert[float32](p.h0), iters)
			})
		})
	}
}

func benchFit[T nmf.Float](b *testing.B, c benchLoss, x, w0, h0 *nmf.Dense[T], iters int) {
	o := nmf.Options{Device: "cpu", Components: w0.Cols, Solver: c.solver, Loss: c.loss,
		MaxIter: iters, Tol: nmf.NoTol}
	b.ReportAllocs()
	var device string
	start := time.Now()
	for b.Loop() {
		res, err := nmf.FitFrom(bg, x, w0, h0, o)
		if err != nil {
			b.Fatal(err)
		}
		if res.NIter != iters {
			b.Fatalf("NIter %d", res.NIter)
		}
		device = res.Device
	}
	b.ReportMetric(float64(time.Since(start).Nanoseconds())/float64(b.N*iters), "ns/iter")
	b.Logf("%s", device)
}

// mallocs returns the fewest heap allocations (runtime.MemStats.Mallocs,
// every goroutine) of three runs of f. Each run starts right after a
// garbage collection, which empties the sync.Pools (purego keeps its call
// frames in one) so that they refill the same way in every run, and makes
// another collection during the short run unlikely.
func mallocs(f func()) uint64 {
	best := uint64(math.MaxUint64)
	for range 3 {
		var before, after runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&before)
		f()
		runtime.ReadMemStats(&after)
		best = min(best, after.Mallocs-before.Mallocs)
	}
	return best
}

// TestNoAllocationPerIteration measures the heap allocations of a fit of
// 10 and of 40 iterations (tol 0, custom start) for every solver and loss,
// dense and sparse X, float32 and float64, with OpenBLAS (where installed)
// and gonum's BLAS, on a small X and a medium one, and requires the
// difference to be small: one allocation per 10 iterations, for the
// trace the error is appended to every 10 iterations (append's growth
// allocates at 1, 2, 3 and 5 points: 2 of them between 2 and 5 points),
// plus per-fit noise from goroutine creation (see slack below).
// Everything else — scratch buffers, per-chunk partial sums, the
// worker-pool tasks — is allocated once per fit.
//
// testing.AllocsPerRun is not used: it sets GOMAXPROCS to 1 while it
// measures, and the backend then starts a single worker and never
// dispatches to the pool, hiding whatever the parallel path allocates.
// runtime.MemStats counts the workers' allocations too.
//
// gonum's pure-Go Dgemm/Sgemm allocate on every call once the product has
// at least 4 blocks of 64×64 (blocks(m)·blocks(n) ≥ 4, gonum's
// minParBlock): dgemmParallel makes a semaphore channel and starts one
// goroutine per block, each a closure. That is gonum's, not this library's,
// and the medium X (100×90: 2×2 blocks) is past that threshold, so the gonum/medium
// sub-cases report their per-iteration count and do not fail. The small X
// (40×30) stays below it, so gonum/small must be allocation-free like
// OpenBLAS.
func TestNoAllocationPerIteration(t *testing.T) {
	libs := []cpu.BLAS{cpu.BLASGo}
	if cpu.OpenBLASAvailable() {
		libs = append(libs, cpu.BLASOpenBLAS)
	} else {
		t.Log("libopenblas not found: only gonum's BLAS is measured")
	}
	sizes := []struct {
		name    string
		l, n, k int
	}{{"small", 40, 30, 5}, {"medium", 100, 90, 6}}
	// (40 − 10)/10 trace points, and up to 5 for goroutine descriptors: each
	// fit starts its backend's pool workers, and runtime.newproc allocates a
	// g (runtime.malg) when no exited one is free to reuse — per fit, not
	// per iteration, and seen in 0–9 allocations per fit in 300 fits. A
	// single allocation per iteration adds 30.
	const slack = 8
	for _, sz := range sizes {
		p := newBenchProblem(5, sz.l, sz.n, sz.k)
		// Sparse X: a third of the entries zero (every loss but IS, whose
		// X must be positive: for it the CSR stores every entry).
		sp := clone(p.x)
		rng := rand.New(rand.NewPCG(3, 3))
		for i := range sp.Data {
			if rng.Float64() < 0.33 {
				sp.Data[i] = 0
			}
		}
		for _, lib := range libs {
			for _, c := range benchLosses {
				for _, sparse := range []bool{false, true} {
					for _, prec := range []string{"float64", "float32"} {
						name := fmt.Sprintf("%s/%s/%s/sparse=%v/%s", sz.name, lib, c.name, sparse, prec)
						x := p.x
						if sparse && c.loss != nmf.ItakuraSaito {
							x = sp
						}
						var a10, a40 uint64
						if prec == "float64" {
							a10, a40 = allocsOfFits(t, lib, c, x, p.w0, p.h0, sparse)
						} else {
							a10, a40 = allocsOfFits(t, lib, c, convert[float32](x), convert[float32](p.w0), convert[float32](p.h0), sparse)
						}
						extra := int64(a40) - int64(a10)
						if lib == cpu.BLASGo && sz.name == "medium" {
							t.Logf("%s: %d allocations for 10 iterations, %d for 40: %.1f per iteration (gonum's parallel Dgemm)", name, a10, a40, float64(extra)/30)
							continue
						}
						if extra > slack {
							t.Errorf("%s: %d allocations for 10 iterations, %d for 40: %d more (%.1f per iteration), want ≤ %d", name, a10, a40, extra, float64(extra)/30, slack)
						}
					}
				}
			}
		}
	}
}

// allocsOfFits returns the allocations of fits of 10 and 40 iterations.
func allocsOfFits[T nmf.Float](t *testing.T, lib cpu.BLAS, c benchLoss, x, w0, h0 *nmf.Dense[T], sparse bool) (a10, a40 uint64) {
	t.Helper()
	var xm nmf.Matrix[T] = x
	if sparse {
		xm = nmftest.ToCSR(x)
	}
	o := nmf.Options{Components: w0.Cols, Solver: c.solver, Loss: c.loss, Tol: nmf.NoTol,
		Backend: func() (backend.Backend, error) { return cpu.NewWith(cpu.Options{BLAS: lib}) }}
	run := func(iters int) uint64 {
		o.MaxIter = iters
		return mallocs(func() {
			res, err := nmf.FitFrom(bg, xm, w0, h0, o)
			if err != nil {
				t.Fatal(err)
			}
			if res.NIter != iters {
				t.Fatalf("NIter %d, want %d", res.NIter, iters)
			}
		})
	}
	return run(10), run(40)
}
