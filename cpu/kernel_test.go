package cpu

import (
	"math"
	"math/rand/v2"
	"os"
	"sync/atomic"
	"testing"

	"github.com/clnmf/clnmf/nmf/backend"
	"github.com/clnmf/clnmf/nmf/backend/backendtest"
)

// TestMicroKernels checks each micro-kernel against a float64 loop, with
// strided a (rows and columns of a matrix), both accumulate modes, and
// inner dimensions from 0 up.
func TestMicroKernels(t *testing.T) {
	if !hasFMA {
		t.Skip("no AVX2/FMA on this CPU")
	}
	forWidths(t, func(t *testing.T) {
		testMicro[float32](t, 1e-5)
		testMicro[float64](t, 1e-13)
	})
}

// forWidths runs f with the AVX2 micro-kernels and, where the CPU has
// them, the AVX-512 ones.
func forWidths(t *testing.T, f func(t *testing.T)) {
	saved := hasAVX512
	defer setAVX512(saved)
	setAVX512(false)
	t.Run("avx2", f)
	if setAVX512(true); !hasAVX512 {
		t.Log("no AVX-512 here: its kernels are not exercised")
		return
	}
	t.Run("avx512", f)
}

func testMicro[T backend.Float](t *testing.T, tol float64) {
	r := rand.New(rand.NewPCG(3, 4))
	for _, narrow := range []bool{false, true} {
		nr := nrOf[T]()
		if narrow {
			nr /= 2
		}
		for _, kd := range []int{0, 1, 2, 7, 50, 257} {
			for _, trans := range []bool{false, true} {
				for _, acc := range []bool{false, true} {
					// a is mr×kd read as rows (sar = lda) or as the
					// columns of a kd×mr matrix (sar = 1).
					lda := kd + 3
					sar, sap := lda, 1
					if trans {
						lda = mr + 2
						sar, sap = 1, lda
					}
					a := make([]T, mr*(kd+3)+lda*kd+1)
					ldb, ldc := nr+5, nr+1
					b := make([]T, kd*ldb+nr)
					c := make([]T, mr*ldc+nr)
					for i := range a {
						a[i] = T(r.Float64() - 0.5)
					}
					for i := range b {
						b[i] = T(r.Float64() - 0.5)
					}
					for i := range c {
						c[i] = T(r.Float64())
					}
					want := make([]float64, len(c))
					for i := range c {
						want[i] = float64(c[i])
					}
					for i := 0; i < mr; i++ {
						for j := 0; j < nr; j++ {
							var s float64
							for p := 0; p < kd; p++ {
								s += float64(a[i*sar+p*sap]) * float64(b[p*ldb+j])
							}
							if acc {
								want[i*ldc+j] += s
							} else {
								want[i*ldc+j] = s
							}
						}
					}
					microW(kd, a, sar, sap, b, ldb, c, ldc, acc, narrow)
					for i := range c {
						if math.Abs(float64(c[i])-want[i]) > tol*(1+math.Abs(want[i]))*float64(kd+1) {
							t.Fatalf("%T narrow=%v kd=%d trans=%v acc=%v: c[%d] = %g, want %g", c[0], narrow, kd, trans, acc, i, c[i], want[i])
						}
					}
				}
			}
		}
	}
}

// TestDynamic checks that pool.dynamic runs every block exactly once.
func TestDynamic(t *testing.T) {
	for _, workers := range []int{1, 2, 3, 8} {
		p := newPool(workers)
		for _, n := range []int{0, 1, 2, 5, 100} {
			ct := &countTask{seen: make([]atomic.Int32, n)}
			p.dynamic(n, ct)
			for b := range ct.seen {
				if got := ct.seen[b].Load(); got != 1 {
					t.Fatalf("workers=%d n=%d: block %d ran %d times", workers, n, b, got)
				}
			}
		}
		p.close()
	}
}

type countTask struct{ seen []atomic.Int32 }

func (c *countTask) run(_, lo, hi int) {
	for b := lo; b < hi; b++ {
		c.seen[b].Add(1)
	}
}

// BenchmarkMicro measures the micro-kernels on operands in L1: the ceiling
// of the fused passes (one core).
func BenchmarkMicro(b *testing.B) {
	if !hasFMA {
		b.Skip("no AVX2/FMA on this CPU")
	}
	saved := hasAVX512
	defer setAVX512(saved)
	for _, x := range []bool{false, true} {
		if setAVX512(x); hasAVX512 != x {
			continue
		}
		name := map[bool]string{false: "avx2", true: "avx512"}[x]
		b.Run(name+"/float32", benchMicro[float32])
		b.Run(name+"/float64", benchMicro[float64])
	}
}

func benchMicro[T backend.Float](b *testing.B) {
	const kd = 256
	nr := nrOf[T]()
	a := make([]T, mr*kd)
	bm := make([]T, kd*nr)
	c := make([]T, mr*nr)
	for i := 0; i < b.N; i++ {
		micro(kd, a, kd, 1, bm, nr, c, nr, true)
	}
	b.ReportMetric(float64(b.N)*2*mr*float64(nr)*kd/b.Elapsed().Seconds()/1e9, "GFLOP/s")
}

// TestKernelsWorkerIndependent checks that the fused terms and X's
// products are bitwise the same whatever the number of workers, and the
// same with AVX2 and AVX-512 kernels except the β ≠ 2 terms (their ratio
// pass), for shapes with partial tiles and blocks on every side.
func TestKernelsWorkerIndependent(t *testing.T) {
	if !hasFMA {
		t.Skip("no AVX2/FMA on this CPU")
	}
	saved := hasAVX512
	defer setAVX512(saved)
	widths := []bool{false}
	if setAVX512(true); hasAVX512 {
		widths = append(widths, true)
	}
	for _, sh := range [][3]int{{101, 263, 7}, {50, 530, 20}, {397, 61, 13}, {40, 300, 50}, {200, 99, 64}} {
		l, n, k := sh[0], sh[1], sh[2]
		r := rand.New(rand.NewPCG(uint64(l), uint64(n)))
		xs := backendtest.Uniform(r, backend.Float64, l, n, 0.01, 0)
		ws := backendtest.Uniform(r, backend.Float64, l, k, 0, 0)
		hs := backendtest.Uniform(r, backend.Float64, k, n, 0, 0)
		for _, p := range []backend.Precision{backend.Float32, backend.Float64} {
			x := backendtest.HostData(p, xs, l, n, false)
			var ref [][]float64 // AVX2, one worker
			for _, avx512 := range widths {
				setAVX512(avx512)
				var wref [][]float64 // this width, one worker
				for _, workers := range []int{1, 2, 3, 5} {
					got := kernelOutputs(t, workers, p, x, ws, hs, l, n, k)
					if wref == nil {
						wref = got
					}
					if ref == nil {
						ref = got
					}
					for i := range got {
						for j := range got[i] {
							if got[i][j] != wref[i][j] {
								t.Fatalf("%d×%d k=%d %v: output %d[%d] with %d workers (AVX-512 %v) = %v, with 1 = %v", l, n, k, p, i, j, workers, avx512, got[i][j], wref[i][j])
							}
							// Outputs 4–15 (β = 1, 0, 1.5) go through the
							// ratio kernels, whose AVX-512 versions round
							// differently (TestRatioKernelsAVX512).
							if (i < 4 || i >= 16) && got[i][j] != ref[i][j] {
								t.Fatalf("%d×%d k=%d %v: output %d[%d] with %d workers (AVX-512 %v) = %v, with 1 (AVX2) = %v", l, n, k, p, i, j, workers, avx512, got[i][j], ref[i][j])
							}
						}
					}
				}
			}
		}
	}
}

// kernelOutputs returns MUTerms (num, den) for every β and side, X·B,
// Xᵀ·B, the Grams of W and Hᵀ and MUFrobeniusPass's W, num and den, from a backend with the given number of workers.
func kernelOutputs(t *testing.T, workers int, p backend.Precision, x backend.HostData, ws, hs []float64, l, n, k int) [][]float64 {
	b, err := NewWith(Options{Workers: workers})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	if !b.Kernels() {
		t.Skipf("kernels off (%s=%q)", EnvKernels, os.Getenv(EnvKernels))
	}
	d, err := b.NewData(x)
	if err != nil {
		t.Fatal(err)
	}
	w, h := backendtest.Put(t, b, p, l, k, ws), backendtest.Put(t, b, p, k, n, hs)
	var out [][]float64
	read := func(m backend.Matrix) { out = append(out, backendtest.Get(t, b, m)) }
	for _, beta := range []float64{2, 1, 0, 1.5} {
		for _, side := range []backend.Side{backend.SideW, backend.SideH} {
			or, oc := l, k
			if side == backend.SideH {
				or, oc = k, n
			}
			num, den := backendtest.Put(t, b, p, or, oc, nil), backendtest.Put(t, b, p, or, oc, nil)
			if err := b.MUTerms(side, d, w, h, beta, num, den); err != nil {
				t.Fatal(err)
			}
			read(num)
			read(den)
		}
	}
	ht := backendtest.Put(t, b, p, n, k, nil)
	if err := b.Transpose(ht, h); err != nil {
		t.Fatal(err)
	}
	xb := backendtest.Put(t, b, p, l, k, nil)
	if err := b.MulX(xb, d, false, ht); err != nil {
		t.Fatal(err)
	}
	read(xb)
	xtb := backendtest.Put(t, b, p, n, k, nil)
	if err := b.MulX(xtb, d, true, w); err != nil {
		t.Fatal(err)
	}
	read(xtb)
	g := backendtest.Put(t, b, p, k, k, nil)
	for _, a := range []backend.Matrix{w, ht} {
		if err := b.Gram(g, a); err != nil {
			t.Fatal(err)
		}
		read(g)
	}
	// the β = 2 pass (mu_pass.go): W's new rows, H's terms
	numH, denH := backendtest.Put(t, b, p, k, n, nil), backendtest.Put(t, b, p, k, n, nil)
	if done, err := b.MUFrobeniusPass(d, w, h, 0.1, 0.2, 1, 0, numH, denH); err != nil || !done {
		t.Fatalf("MUFrobeniusPass: done %v, %v", done, err)
	}
	read(w)
	read(numH)
	read(denH)
	return out
}

// TestStepAVX checks that the AVX2 multiplicative step is bitwise the
// scalar loop, with zero denominators, with and without L1, for γ = 1 and
// γ = 1/2.
func TestStepAVX(t *testing.T) {
	if !hasAVX2 {
		t.Skip("no AVX2 on this CPU")
	}
	testStepAVX[float32](t)
	testStepAVX[float64](t)
}

func testStepAVX[T backend.Float](t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	const n = 203
	for _, c := range [][2]float64{{0, 1}, {0.25, 1}, {0, 0.5}, {0.25, 0.5}} {
		l1, gamma := c[0], c[1]
		m, num, den := make([]T, n), make([]T, n), make([]T, n)
		for i := range m {
			m[i], num[i], den[i] = T(r.Float64()), T(r.Float64()), T(r.Float64())
			if i%7 == 0 {
				den[i] = 0
			}
			if i%11 == 0 {
				num[i] = 0
			}
		}
		want := append([]T(nil), m...)
		scalar(func() { (&stepTask[T]{m: want, num: num, den: den, l1: T(l1), gamma: gamma}).run(0, 0, n) })
		got := append([]T(nil), m...)
		(&stepTask[T]{m: got, num: num, den: den, l1: T(l1), gamma: gamma}).run(0, 0, n)
		if i := firstDiff(got, want); i >= 0 {
			t.Fatalf("%T l1=%g γ=%g: m[%d] = %v, want %v", got[0], l1, gamma, i, got[i], want[i])
		}
	}
}

// TestSpmmAVX checks that the AVX2 sparse-times-dense rows are bitwise the
// scalar loop, for widths below, at and past whole vectors, with empty
// rows.
func TestSpmmAVX(t *testing.T) {
	if !hasAVX2 {
		t.Skip("no AVX2 on this CPU")
	}
	testSpmmAVX[float32](t)
	testSpmmAVX[float64](t)
}

func testSpmmAVX[T backend.Float](t *testing.T) {
	r := rand.New(rand.NewPCG(7, 8))
	const rows, n = 40, 57
	for _, k := range []int{1, 3, 4, 7, 8, 9, 16, 20, 33, 64} {
		ptr := []int{0}
		var idx []int
		var vals []T
		for i := 0; i < rows; i++ {
			for j := 0; j < n; j++ {
				if i%9 != 4 && r.Float64() < 0.2 {
					idx = append(idx, j)
					vals = append(vals, T(r.Float64()))
				}
			}
			ptr = append(ptr, len(idx))
		}
		b := make([]T, n*k)
		for i := range b {
			b[i] = T(r.Float64() - 0.3)
		}
		want, got := make([]T, rows*k), make([]T, rows*k)
		for i := range got {
			got[i] = 42 // overwritten
		}
		scalar(func() { (&spmmTask[T]{ptr: ptr, idx: idx, vals: vals, b: b, out: want, k: k}).run(0, 0, rows) })
		(&spmmTask[T]{ptr: ptr, idx: idx, vals: vals, b: b, out: got, k: k}).run(0, 0, rows)
		if i := firstDiff(got, want); i >= 0 {
			t.Fatalf("%T k=%d: out[%d] = %v, want %v", got[0], k, i, got[i], want[i])
		}
	}
}

// scalar runs f with the AVX2 paths off.
func scalar(f func()) {
	saved := hasAVX2
	setAVX2(false)
	defer setAVX2(saved)
	f()
}

// firstDiff is the first index where got and want differ in their bits,
// or -1.
func firstDiff[T backend.Float](got, want []T) int {
	for i := range got {
		if math.Float64bits(float64(got[i])) != math.Float64bits(float64(want[i])) {
			return i
		}
	}
	return -1
}

// TestMulWorkerIndependent checks that products large enough to be shared
// between the workers (the l×k·k×k ones of the Frobenius update with large
// k) and the Gram matrices are bitwise the same for any number of workers.
func TestMulWorkerIndependent(t *testing.T) {
	const l, k = 700, 130
	r := rand.New(rand.NewPCG(7, 7))
	as := backendtest.Uniform(r, backend.Float64, l, k, 0, 0)
	gs := backendtest.Uniform(r, backend.Float64, k, k, 0, 0)
	for _, p := range []backend.Precision{backend.Float32, backend.Float64} {
		var ref [][]float64
		for _, workers := range []int{1, 2, 3, 5} {
			b, err := NewWith(Options{Workers: workers})
			if err != nil {
				t.Fatal(err)
			}
			a, g := backendtest.Put(t, b, p, l, k, as), backendtest.Put(t, b, p, k, k, gs)
			out, gram := backendtest.Put(t, b, p, l, k, nil), backendtest.Put(t, b, p, k, k, nil)
			if err := b.Mul(out, a, false, g, false); err != nil {
				t.Fatal(err)
			}
			if err := b.Gram(gram, a); err != nil {
				t.Fatal(err)
			}
			got := [][]float64{backendtest.Get(t, b, out), backendtest.Get(t, b, gram)}
			b.Close()
			if ref == nil {
				ref = got
				continue
			}
			for i := range got {
				if j := firstDiff(got[i], ref[i]); j >= 0 {
					t.Fatalf("%v: product %d [%d] with %d workers = %v, with 1 = %v", p, i, j, workers, got[i][j], ref[i][j])
				}
			}
		}
	}
}

// TestFrobeniusPassEmpty checks that MUFrobeniusPass declines (done false,
// W unchanged) for k = 0 and for an X with no rows or no columns, where
// passPlan's partials would be empty.
func TestFrobeniusPassEmpty(t *testing.T) {
	for _, sh := range [][3]int{{5, 7, 0}, {5, 0, 3}, {0, 7, 3}, {0, 0, 0}} {
		if g := passPlan(sh[0], sh[1], sh[2]); g != 0 {
			t.Errorf("passPlan(%d, %d, %d) = %d, want 0", sh[0], sh[1], sh[2], g)
		}
	}
	b, err := NewWith(Options{Workers: 2})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	for _, sh := range [][3]int{{5, 7, 0}, {5, 0, 3}, {600, 7, 0}} {
		l, n, k := sh[0], sh[1], sh[2]
		r := rand.New(rand.NewPCG(uint64(l), uint64(k)))
		for _, p := range []backend.Precision{backend.Float32, backend.Float64} {
			d, err := b.NewData(backendtest.HostData(p, backendtest.Uniform(r, backend.Float64, l, n, 0, 0), l, n, false))
			if err != nil {
				t.Fatal(err)
			}
			ws := backendtest.Uniform(r, backend.Float64, l, k, 0, 0)
			w, h := backendtest.Put(t, b, p, l, k, ws), backendtest.Put(t, b, p, k, n, nil)
			numH, denH := backendtest.Put(t, b, p, k, n, nil), backendtest.Put(t, b, p, k, n, nil)
			before := backendtest.Get(t, b, w)
			done, err := b.MUFrobeniusPass(d, w, h, 0, 0, 1, 0, numH, denH)
			if err != nil || done {
				t.Fatalf("%d×%d k=%d %v: MUFrobeniusPass: done %v, %v; want false", l, n, k, p, done, err)
			}
			for i, v := range backendtest.Get(t, b, w) {
				if v != before[i] {
					t.Fatalf("%d×%d k=%d %v: W[%d] = %v after the declined pass, was %v", l, n, k, p, i, v, before[i])
				}
			}
		}
	}
}

// TestFrobeniusPassMaxK checks the pass at its k threshold on dense X with
// the kernels on: at k = passMaxK it runs and matches MUTerms(W), MUStep
// and MUTerms(H) on the same backend; at passMaxK+1 it declines and leaves
// W unchanged.
func TestFrobeniusPassMaxK(t *testing.T) {
	b, err := NewWith(Options{Workers: 2})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	if !b.Kernels() {
		t.Skipf("kernels off (%s=%q)", EnvKernels, os.Getenv(EnvKernels))
	}
	const l, n = 97, 333
	const l1, l2, gamma = 0.1, 0.2, 1.0
	for _, k := range []int{passMaxK, passMaxK + 1} {
		r := rand.New(rand.NewPCG(uint64(k), 7))
		xs := backendtest.Uniform(r, backend.Float64, l, n, 0.01, 0)
		ws := backendtest.Uniform(r, backend.Float64, l, k, 0, 0)
		hs := backendtest.Uniform(r, backend.Float64, k, n, 0, 0)
		for _, p := range []backend.Precision{backend.Float32, backend.Float64} {
			d, err := b.NewData(backendtest.HostData(p, xs, l, n, false))
			if err != nil {
				t.Fatal(err)
			}
			w, h := backendtest.Put(t, b, p, l, k, ws), backendtest.Put(t, b, p, k, n, hs)
			numH, denH := backendtest.Put(t, b, p, k, n, nil), backendtest.Put(t, b, p, k, n, nil)
			done, err := b.MUFrobeniusPass(d, w, h, l1, l2, gamma, 0, numH, denH)
			if err != nil {
				t.Fatal(err)
			}
			if done != (k <= passMaxK) {
				t.Fatalf("k=%d %v: MUFrobeniusPass done = %v, want %v", k, p, done, k <= passMaxK)
			}
			if !done {
				if i := firstDiff(backendtest.Get(t, b, w), backendtest.Round(p, append([]float64(nil), ws...))); i >= 0 {
					t.Fatalf("k=%d %v: W[%d] changed by the declined pass", k, p, i)
				}
				continue
			}
			// the same fit step in three calls
			w3 := backendtest.Put(t, b, p, l, k, ws)
			numW, denW := backendtest.Put(t, b, p, l, k, nil), backendtest.Put(t, b, p, l, k, nil)
			num3, den3 := backendtest.Put(t, b, p, k, n, nil), backendtest.Put(t, b, p, k, n, nil)
			if err := b.MUTerms(backend.SideW, d, w3, h, 2, numW, denW); err != nil {
				t.Fatal(err)
			}
			if err := b.MUStep(w3, numW, denW, l1, l2, gamma, 0); err != nil {
				t.Fatal(err)
			}
			if err := b.MUTerms(backend.SideH, d, w3, h, 2, num3, den3); err != nil {
				t.Fatal(err)
			}
			tol := 1e-12
			if p == backend.Float32 {
				tol = 1e-5
			}
			for _, c := range []struct {
				name      string
				got, want backend.Matrix
			}{{"W", w, w3}, {"num H", numH, num3}, {"den H", denH, den3}} {
				got, want := backendtest.Get(t, b, c.got), backendtest.Get(t, b, c.want)
				scale := 0.0
				for _, v := range want {
					scale = math.Max(scale, math.Abs(v))
				}
				for i := range got {
					if !(math.Abs(got[i]-want[i]) <= tol*scale) {
						t.Fatalf("k=%d %v: %s[%d] = %v from the pass, %v from the three calls (scale %v)", k, p, c.name, i, got[i], want[i], scale)
					}
				}
			}
		}
	}
}
