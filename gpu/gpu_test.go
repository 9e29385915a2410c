package gpu

import (
	"errors"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"os"
	"sort"
	"strings"
	"sync"
	"testing"

	"github.com/clnmf/clnmf/gpu/cl"
	"github.com/clnmf/clnmf/gpu/internal/gputest"
	"github.com/clnmf/clnmf/nmf/backend"
	"github.com/clnmf/clnmf/nmf/backend/backendtest"
)

// One backend, on the first OpenCL device, is shared by the whole test
// binary: PoCL compiles the kernels once per precision and context.
var (
	sharedOnce sync.Once
	shared     *Backend
	sharedErr  error
)

// TestMain runs the tests, then says which device and profile ran them
// and (with -v) reports the largest errors the checks saw, to show the
// margins against the tolerances.
func TestMain(m *testing.M) {
	code := m.Run()
	if shared != nil {
		fmt.Printf("gpu: tests ran on %s, profile %s (%s=%q, %s=%q)\n", shared.Name(), shared.Profile(),
			gputest.Env, os.Getenv(gputest.Env), EnvProfile, os.Getenv(EnvProfile))
		shared.Close()
	}
	if testing.Verbose() {
		reportWorst(os.Stdout)
	}
	os.Exit(code)
}

// reportWorst writes the largest relative error per check family.
func reportWorst(w io.Writer) {
	keys := make([]string, 0, len(worstSeen))
	for k := range worstSeen {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		fmt.Fprintf(w, "%-40s worst relative error %.3g\n", k, worstSeen[k])
	}
}

// skipNoDevice skips the test when there is no OpenCL device, except under
// CI=true, where a missing device is a failure.
func skipNoDevice(t testing.TB, err error) {
	t.Helper()
	if IsNoDevice(err) && os.Getenv("CI") != "true" {
		t.Skipf("no OpenCL device: %v", err)
	}
	t.Fatalf("opening OpenCL device: %v", err)
}

// dev returns the shared backend with its settings restored after the test.
func dev(t testing.TB) *Backend {
	t.Helper()
	sharedOnce.Do(func() { shared, sharedErr = OpenWith(gputest.Spec(), Options{NoTuneCache: true}) })
	if sharedErr != nil {
		skipNoDevice(t, sharedErr)
	}
	path, split, fused := shared.Path, shared.splitTarget, shared.fusedTarget
	held, ht, block := shared.kp.fused.held, shared.kp.sparse.ht, shared.kp.cd.block
	t.Cleanup(func() {
		shared.Path, shared.splitTarget, shared.fusedTarget = path, split, fused
		shared.kp.fused.held, shared.kp.sparse.ht, shared.kp.cd.block = held, ht, block
	})
	return shared
}

// fits says whether a shape is kept: in -short mode (used under oclgrind,
// which simulates every work-item) only shapes whose dimensions are all at
// most 20.
func fits(dims ...int) bool {
	if !testing.Short() {
		return true
	}
	for _, d := range dims {
		if d > 20 {
			return false
		}
	}
	return true
}

func small[A [2]int | [3]int](shapes []A) []A {
	var out []A
	for _, sh := range shapes {
		var dims []int
		switch v := any(sh).(type) {
		case [2]int:
			dims = v[:]
		case [3]int:
			dims = v[:]
		}
		if fits(dims...) {
			out = append(out, sh)
		}
	}
	return out
}

var precisions = []backend.Precision{backend.Float64, backend.Float32}

// tolerance for results compared with the float64 references: float64
// kernels sum at most a few thousand rounded terms (n·ε ≈ 1e-13), so 1e-12
// leaves room for pow's few ulps; float32 kernels round every input,
// product and partial sum to 24 bits (ε ≈ 6e-8, √n·ε and a few ulps of pow
// and log stay below 1e-5 for these sizes).
func tolerance(p backend.Precision) float64 {
	if p == backend.Float32 {
		return 1e-5
	}
	return 1e-12
}

// closeTo reports the largest error of got against want, measured per
// element relative to max(|want|, 1e-3·max|want|), and whether it is
// within tol. The compared quantities are sums of nonnegative terms, whose
// rounding error is relative to the element itself.
func closeTo(got, want []float64, tol float64) (float64, bool) {
	if len(got) != len(want) {
		return math.Inf(1), false
	}
	var scale float64
	for _, w := range want {
		scale = max(scale, math.Abs(w))
	}
	var worst float64
	for i := range want {
		den := max(math.Abs(want[i]), 1e-3*scale)
		d := math.Abs(got[i] - want[i])
		if d == 0 {
			continue
		}
		if den == 0 || math.IsNaN(got[i]) {
			return math.Inf(1), false
		}
		worst = max(worst, d/den)
	}
	return worst, worst <= tol
}

// worstSeen records the largest relative error per check family, logged
// with -v by TestMain.
var worstSeen = map[string]float64{}

func family(what string) string {
	f := strings.Fields(what)
	keep := f[:1]
	for _, w := range f[1:] {
		if strings.HasPrefix(w, "side=") || !strings.ContainsAny(w, "0123456789") {
			keep = append(keep, w)
		}
	}
	return strings.Join(keep, " ")
}

func check(t testing.TB, what string, got, want []float64, tol float64) {
	t.Helper()
	worst, ok := closeTo(got, want, tol)
	if fam := family(what); worst > worstSeen[fam] || worstSeen[fam] == 0 {
		worstSeen[fam] = worst
	}
	if !ok {
		i := 0
		for ; i < len(want) && i < len(got); i++ {
			if math.Abs(got[i]-want[i]) > tol*max(math.Abs(want[i]), 1e-300) {
				break
			}
		}
		var g, w float64
		if i < len(got) && i < len(want) {
			g, w = got[i], want[i]
		}
		t.Errorf("%s: relative error %.3g > %.0g (len %d/%d; first at %d: got %v want %v)", what, worst, tol, len(got), len(want), i, g, w)
	}
}

func checkScalar(t testing.TB, what string, got, want, tol float64) {
	t.Helper()
	d := math.Abs(got - want)
	if fam := family(what); want != 0 && d/math.Abs(want) > worstSeen[fam] {
		worstSeen[fam] = d / math.Abs(want)
	}
	if d > tol*math.Abs(want) && d > 1e-300 || math.IsNaN(got) {
		t.Errorf("%s: got %.17g, want %.17g (relative error %.3g > %.0g)", what, got, want, d/math.Abs(want), tol)
	}
}

// ---- devices and errors -------------------------------------------------------

func TestDevicesAndOpen(t *testing.T) {
	b := dev(t)
	devs, err := Devices()
	if err != nil {
		t.Fatal(err)
	}
	if len(devs) == 0 {
		t.Fatal("Devices: none, but Open(\"opencl\") worked")
	}
	for _, d := range devs {
		t.Logf("%s: %s %s (%s), %s, %d CUs, %d MiB, fp64 %v", d.Spec, d.Name, d.Vendor, d.Platform, d.Type, d.ComputeUnits, d.GlobalMem>>20, d.FP64)
	}
	if want := devs[0].Spec + " " + devs[0].Name + " (" + devs[0].Platform + ")"; b.Name() != want {
		t.Errorf("Name() = %q, want %q", b.Name(), want)
	}
	got := b.Device()
	if got.Profile != b.Profile() || got.Profile != "gpu" && got.Profile != "cpu" {
		t.Errorf("Device().Profile = %q, Profile() = %q", got.Profile, b.Profile())
	}
	if got.Profile = ""; got != devs[0] {
		t.Errorf("Device() = %+v, want %+v", got, devs[0])
	}

	for _, spec := range []string{"", "cuda", "opencl:", "opencl:0", "opencl:a:b", "opencl:-1:0", "opencl:0:0:0", "gpu:0"} {
		if _, err := Open(spec); err == nil || !strings.Contains(err.Error(), "bad device spec") {
			t.Errorf("Open(%q) = %v, want a bad-spec error", spec, err)
		}
	}
	if _, err := Open("opencl:99:0"); !errors.Is(err, ErrNoPlatform) {
		t.Errorf("Open(opencl:99:0) = %v, want ErrNoPlatform", err)
	}
	if _, err := Open("opencl:0:99"); !errors.Is(err, ErrNoDevice) {
		t.Errorf("Open(opencl:0:99) = %v, want ErrNoDevice", err)
	}
	hasGPU := false
	for _, d := range devs {
		hasGPU = hasGPU || strings.Contains(d.Type, "GPU")
	}
	g, err := Open("gpu")
	switch {
	case hasGPU && err != nil:
		t.Errorf("Open(gpu) = %v with a GPU present", err)
	case !hasGPU && !errors.Is(err, ErrNoDevice):
		t.Errorf("Open(gpu) = %v without a GPU, want ErrNoDevice", err)
	}
	if g != nil {
		g.Close()
	}
}

func TestCloseAndBytes(t *testing.T) {
	dev(t)
	b, err := Open("opencl")
	if err != nil {
		t.Fatal(err)
	}
	m, err := b.NewMatrix(backend.Float32, 10, 20)
	if err != nil {
		t.Fatal(err)
	}
	if got := b.DeviceBytes(); got < 800 {
		t.Errorf("DeviceBytes = %d after a 10×20 float32 matrix", got)
	}
	// Zero-size matrices are legal.
	z, err := b.NewMatrix(backend.Float64, 0, 5)
	if err != nil {
		t.Fatal(err)
	}
	if err := b.Write(z, backend.NewHost(backend.Float64, 0, 5, nil)); err != nil {
		t.Fatal(err)
	}
	if err := b.Close(); err != nil {
		t.Fatal(err)
	}
	if err := b.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
	if b.DeviceBytes() != 0 {
		t.Errorf("DeviceBytes after Close = %d", b.DeviceBytes())
	}
	err = b.Write(m, backend.NewHost(m.Precision(), 10, 20, nil))
	if err == nil || !strings.Contains(err.Error(), "opencl:") || !strings.Contains(err.Error(), "Write") {
		t.Errorf("Write after Close = %v, want an error naming the device and the step", err)
	}
}

// TestSmallWorkGroups runs the kernels with the settings for devices whose
// work-groups hold fewer than 256 work-items (8×8 tiles, 64-item
// reductions), on the same device.
func TestSmallWorkGroups(t *testing.T) {
	b := dev(t)
	d := *b.dev
	d.MaxWorkGroupSize = 128
	sb := newBackend(b.ctx, b.spec, b.dev.Platform, &d, b.profile, false)
	if sb.kp.tiled.ts != 8 || sb.kp.elem.wg != 64 {
		t.Fatalf("tile %d, wg %d for a device of 128 work-items", sb.kp.tiled.ts, sb.kp.elem.wg)
	}
	rng := rand.New(rand.NewPCG(25, 26))
	for _, p := range precisions {
		for _, s := range small([][3]int{{1, 1, 1}, {7, 9, 8}, {9, 7, 17}, {65, 70, 3}, {70, 65, 130}}) {
			for tr := 0; tr < 4; tr++ {
				mulCase(t, sb, rng, p, s[0], s[1], s[2], tr&1 != 0, tr&2 != 0)
			}
		}
	}
	shapes := small([][3]int{{1, 1, 1}, {7, 9, 3}, {9, 17, 10}, {40, 30, 5}})
	muTermsCases(t, sb, shapes)
	divergenceCases(t, sb, shapes)
}

func TestNoFP64(t *testing.T) {
	b := dev(t)
	d := *b.dev
	d.FP64 = false
	nb := newBackend(b.ctx, b.spec, b.dev.Platform, &d, b.profile, false)
	_, err := nb.NewMatrix(backend.Float64, 2, 2)
	if err == nil || !strings.Contains(err.Error(), "float32") || !strings.Contains(err.Error(), "--device cpu") {
		t.Errorf("NewMatrix(float64) without fp64 = %v", err)
	}
	_, err = nb.NewData(&backend.Dense[float64]{Rows: 1, Cols: 1, Data: []float64{1}})
	if err == nil {
		t.Errorf("NewData(float64) without fp64 succeeded")
	}
}

func TestWriteRead(t *testing.T) {
	b := dev(t)
	rng := rand.New(rand.NewPCG(1, 2))
	for _, p := range precisions {
		v := backendtest.Uniform(rng, p, 13, 7, 0, 0.2)
		m := backendtest.Put(t, b, p, 13, 7, v)
		check(t, p.String(), backendtest.Get(t, b, m), v, 0)
		z, _ := b.NewMatrix(p, 3, 4)
		check(t, "zero "+p.String(), backendtest.Get(t, b, z), make([]float64, 12), 0)
	}
}

// ---- products -------------------------------------------------------------------

func TestMul(t *testing.T) {
	b := dev(t)
	rng := rand.New(rand.NewPCG(3, 4))
	ts := b.kp.tiled.ts
	sizes := []int{1, 7, ts - 1, ts + 1, 64}
	if testing.Short() {
		sizes = []int{1, ts + 1}
	}
	for _, p := range precisions {
		for _, M := range sizes {
			for _, N := range sizes {
				for _, K := range sizes {
					for tr := 0; tr < 4; tr++ {
						mulCase(t, b, rng, p, M, N, K, tr&1 != 0, tr&2 != 0)
					}
				}
			}
		}
		// Tall and wide shapes of a fit (1000×3 factors): W·H, Wᵀ·W (split
		// along the inner dimension), X·Hᵀ and friends.
		for _, s := range small([][3]int{{1000, 3, 3}, {3, 3, 1000}, {1000, 1000, 3}, {3, 1000, 1000}, {1000, 3, 1000}}) {
			for tr := 0; tr < 4; tr++ {
				mulCase(t, b, rng, p, s[0], s[1], s[2], tr&1 != 0, tr&2 != 0)
			}
		}
	}
}

// TestMulBlocked covers the register-blocked GEMM (outputs of 64×64 and
// more), with partial tiles on every side.
func TestMulBlocked(t *testing.T) {
	b := dev(t)
	rng := rand.New(rand.NewPCG(23, 24))
	mn, ks := []int{64, 65, 100, 130}, []int{1, 17, 100}
	if testing.Short() {
		mn, ks = []int{65}, []int{17}
	}
	for _, p := range precisions {
		for _, M := range mn {
			for _, N := range mn {
				for _, K := range ks {
					for tr := 0; tr < 4; tr++ {
						mulCase(t, b, rng, p, M, N, K, tr&1 != 0, tr&2 != 0)
					}
				}
			}
		}
	}
}

func mulCase(t *testing.T, b *Backend, rng *rand.Rand, p backend.Precision, M, N, K int, ta, tb bool) {
	t.Helper()
	ar, ac := M, K
	if ta {
		ar, ac = K, M
	}
	br, bc := K, N
	if tb {
		br, bc = N, K
	}
	av := backendtest.Uniform(rng, p, ar, ac, 0, 0.1)
	bv := backendtest.Uniform(rng, p, br, bc, 0, 0.1)
	a := backendtest.Put(t, b, p, ar, ac, av)
	bm := backendtest.Put(t, b, p, br, bc, bv)
	out, err := b.NewMatrix(p, M, N)
	if err != nil {
		t.Fatal(err)
	}
	if err := b.Mul(out, a, ta, bm, tb); err != nil {
		t.Fatal(err)
	}
	want, _, _ := backendtest.Gemm(av, ar, ac, ta, bv, br, bc, tb)
	check(t, fmt.Sprintf("%v Mul %d×%d×%d ta=%v tb=%v", p, M, N, K, ta, tb), backendtest.Get(t, b, out), want, tolerance(p))
}

func TestMulSplitK(t *testing.T) {
	b := dev(t)
	rng := rand.New(rand.NewPCG(5, 6))
	b.splitTarget = 1 << 20 // split every product with a long inner dimension
	for _, p := range precisions {
		for _, K := range []int{128, 129, 1000, 4097} {
			if testing.Short() && K > 129 {
				continue
			}
			for tr := 0; tr < 4; tr++ {
				mulCase(t, b, rng, p, 5, 17, K, tr&1 != 0, tr&2 != 0)
			}
		}
	}
}

func TestGramTranspose(t *testing.T) {
	b := dev(t)
	rng := rand.New(rand.NewPCG(7, 8))
	for _, p := range precisions {
		for _, s := range small([][2]int{{1, 1}, {7, 3}, {15, 17}, {17, 15}, {64, 64}, {1000, 3}, {3, 1000}, {0, 4}}) {
			r, c := s[0], s[1]
			av := backendtest.Uniform(rng, p, r, c, 0, 0.1)
			a := backendtest.Put(t, b, p, r, c, av)
			g, _ := b.NewMatrix(p, c, c)
			if err := b.Gram(g, a); err != nil {
				t.Fatal(err)
			}
			want, _, _ := backendtest.Gemm(av, r, c, true, av, r, c, false)
			check(t, fmt.Sprintf("%v Gram %d×%d", p, r, c), backendtest.Get(t, b, g), want, tolerance(p))
			tr, _ := b.NewMatrix(p, c, r)
			if err := b.Transpose(tr, a); err != nil {
				t.Fatal(err)
			}
			wt := make([]float64, r*c)
			for i := 0; i < r; i++ {
				for j := 0; j < c; j++ {
					wt[j*r+i] = av[i*c+j]
				}
			}
			check(t, fmt.Sprintf("%v Transpose %d×%d", p, r, c), backendtest.Get(t, b, tr), wt, 0)
		}
	}
}

func TestMulX(t *testing.T) {
	b := dev(t)
	rng := rand.New(rand.NewPCG(9, 10))
	for _, p := range precisions {
		for _, s := range small([][3]int{{1, 1, 1}, {7, 5, 3}, {17, 15, 16}, {64, 33, 5}, {1000, 3, 2}, {3, 1000, 2}, {0, 4, 2}, {4, 0, 2}}) {
			l, n, k := s[0], s[1], s[2]
			xv := backendtest.Uniform(rng, p, l, n, 0, 0.6)
			for _, sparse := range []bool{false, true} {
				x, err := b.NewData(backendtest.HostData(p, xv, l, n, sparse))
				if err != nil {
					t.Fatal(err)
				}
				if x.Sparse() != sparse {
					t.Fatalf("Sparse() = %v", x.Sparse())
				}
				bv := backendtest.Uniform(rng, p, n, k, 0, 0)
				bm := backendtest.Put(t, b, p, n, k, bv)
				out, _ := b.NewMatrix(p, l, k)
				if err := b.MulX(out, x, false, bm); err != nil {
					t.Fatal(err)
				}
				want, _, _ := backendtest.Gemm(xv, l, n, false, bv, n, k, false)
				check(t, fmt.Sprintf("%v sparse=%v X·B %d×%d k=%d", p, sparse, l, n, k), backendtest.Get(t, b, out), want, tolerance(p))

				cv := backendtest.Uniform(rng, p, l, k, 0, 0)
				cm := backendtest.Put(t, b, p, l, k, cv)
				outT, _ := b.NewMatrix(p, n, k)
				if err := b.MulX(outT, x, true, cm); err != nil {
					t.Fatal(err)
				}
				want, _, _ = backendtest.Gemm(xv, l, n, true, cv, l, k, false)
				check(t, fmt.Sprintf("%v sparse=%v Xᵀ·B %d×%d k=%d", p, sparse, l, n, k), backendtest.Get(t, b, outT), want, tolerance(p))
			}
		}
	}
}

// ---- multiplicative updates -------------------------------------------------------

var betas = []float64{0, 0.5, 1, 1.5, 2, 3}

var muShapes = [][3]int{{1, 1, 1}, {7, 5, 3}, {15, 17, 4}, {17, 16, 17}, {64, 64, 5}, {40, 33, 70}, {1000, 3, 2}, {3, 1000, 2}, {0, 3, 2}, {3, 0, 2}, {3, 4, 0}}

func TestMUTerms(t *testing.T) {
	muTermsCases(t, dev(t), small(muShapes))
}

func muTermsCases(t *testing.T, b *Backend, shapes [][3]int) {
	rng := rand.New(rand.NewPCG(11, 12))
	type variant struct {
		name   string
		sparse bool
		path   Path
		alt    bool // the other kernels: fused streaming W and H, sparse reading H
	}
	variants := []variant{{"fused", false, PathFused, false}, {"fused-streaming", false, PathFused, true},
		{"materialised", false, PathMaterialised, false}, {"sparse", true, PathAuto, false}, {"sparse-h", true, PathAuto, true}}
	defer b.setKernels(b.kp.fused.held, b.kp.sparse.ht)
	for _, p := range precisions {
		for _, s := range shapes {
			l, n, k := s[0], s[1], s[2]
			xv, wv, hv := backendtest.Factors(rng, p, l, n, k)
			w := backendtest.Put(t, b, p, l, k, wv)
			h := backendtest.Put(t, b, p, k, n, hv)
			for _, v := range variants {
				x, err := b.NewData(backendtest.HostData(p, xv, l, n, v.sparse))
				if err != nil {
					t.Fatal(err)
				}
				b.Path = v.path
				b.setKernels(!v.alt, !v.alt)
				bs := betas
				if v.alt { // the other kernels: each variant's sums once (the β rules are shared)
					bs = []float64{1, 1.5}
				}
				for _, beta := range bs {
					for _, side := range []backend.Side{backend.SideW, backend.SideH} {
						r, c := l, k
						if side == backend.SideH {
							r, c = k, n
						}
						num, _ := b.NewMatrix(p, r, c)
						den, _ := b.NewMatrix(p, r, c)
						// garbage in the outputs must not leak into the terms
						b.Write(num, backend.NewHost(p, r, c, filled(r*c, 7)))
						b.Write(den, backend.NewHost(p, r, c, filled(r*c, 7)))
						if err := b.MUTerms(side, x, w, h, beta, num, den); err != nil {
							t.Fatal(err)
						}
						wn, wd := backendtest.MUTerms(side, xv, l, n, k, wv, hv, beta)
						name := fmt.Sprintf("%v %s side=%d β=%v %d×%d k=%d", p, v.name, side, beta, l, n, k)
						check(t, name+" num", backendtest.Get(t, b, num), wn, tolerance(p))
						check(t, name+" den", backendtest.Get(t, b, den), wd, tolerance(p))
					}
				}
			}
		}
	}
}

// setKernels chooses the fused _r kernels (held) and the sparse kernels
// reading Hᵀ (ht), or the others.
func (b *Backend) setKernels(held, ht bool) { b.kp.fused.held, b.kp.sparse.ht = held, ht }

func filled(n int, v float64) []float64 {
	s := make([]float64, n)
	for i := range s {
		s[i] = v
	}
	return s
}

func TestMUTermsAutoPath(t *testing.T) {
	b := dev(t)
	b.Path = PathAuto
	if b.useFused(backend.Float64, 100, 100) {
		t.Errorf("PathAuto fuses a 100×100 X")
	}
	huge := int(math.Sqrt(float64(b.dev.GlobalMem))) + 1
	if !b.useFused(backend.Float64, huge, huge) {
		t.Errorf("PathAuto materialises a %d×%d X on a device of %d bytes", huge, huge, b.dev.GlobalMem)
	}
}

// TestScratchReused checks that repeated updates allocate nothing more.
func TestScratchReused(t *testing.T) {
	b := dev(t)
	rng := rand.New(rand.NewPCG(13, 14))
	l, n, k := 50, 40, 6
	for _, path := range []Path{PathFused, PathMaterialised} {
		b.Path = path
		xv, wv, hv := backendtest.Factors(rng, backend.Float32, l, n, k)
		x, _ := b.NewData(backendtest.HostData(backend.Float32, xv, l, n, false))
		w := backendtest.Put(t, b, backend.Float32, l, k, wv)
		h := backendtest.Put(t, b, backend.Float32, k, n, hv)
		num, _ := b.NewMatrix(backend.Float32, l, k)
		den, _ := b.NewMatrix(backend.Float32, l, k)
		var before int64
		for it := 0; it < 3; it++ {
			if it == 1 {
				before = b.DeviceBytes()
			}
			if err := b.MUTerms(backend.SideW, x, w, h, 1.5, num, den); err != nil {
				t.Fatal(err)
			}
			if err := b.MUStep(w, num, den, 0, 0, 1, 0); err != nil {
				t.Fatal(err)
			}
			if _, err := b.Divergence(x, w, h, 1.5); err != nil {
				t.Fatal(err)
			}
		}
		if after := b.DeviceBytes(); after != before {
			t.Errorf("%v: DeviceBytes grew from %d to %d over iterations", path, before, after)
		}
		if path == PathFused {
			if _, ok := b.scratch["wh"]; ok && b.scratch["wh"].Size() >= int64(l*n*4) {
				// left from an earlier test; fine
			}
		}
	}
}

func TestMUStep(t *testing.T) {
	b := dev(t)
	rng := rand.New(rand.NewPCG(15, 16))
	for _, p := range precisions {
		for _, s := range small([][2]int{{1, 1}, {7, 5}, {33, 17}, {1000, 3}, {0, 3}}) {
			r, c := s[0], s[1]
			for _, l1 := range []float64{0, 0.1} {
				for _, l2 := range []float64{0, 0.2} {
					for _, gamma := range []float64{1, 0.5, 0.7} {
						for _, flush := range []float64{0, backend.FlushBelow, 0.05} {
							mv := backendtest.Uniform(rng, p, r, c, 0, 0.2)
							nv := backendtest.Uniform(rng, p, r, c, 0, 0.2)
							dv := backendtest.Uniform(rng, p, r, c, 0, 0.3) // zeros: EPSILON when l1 = l2 = 0
							m := backendtest.Put(t, b, p, r, c, mv)
							num := backendtest.Put(t, b, p, r, c, nv)
							den := backendtest.Put(t, b, p, r, c, dv)
							if err := b.MUStep(m, num, den, l1, l2, gamma, flush); err != nil {
								t.Fatal(err)
							}
							want := backendtest.MUStep(p, mv, nv, dv, l1, l2, gamma, flush)
							// The float32 kernel rounds l1, l2 (and the
							// intermediate sums) to float, as numpy does.
							check(t, fmt.Sprintf("%v MUStep %d×%d l1=%v l2=%v γ=%v flush=%v", p, r, c, l1, l2, gamma, flush),
								backendtest.Get(t, b, m), want, tolerance(p))
						}
					}
				}
			}
		}
	}
}

// ---- coordinate descent ---------------------------------------------------------------

var cdShapes = [][3]int{{1, 1, 1}, {7, 5, 3}, {33, 20, 17}, {70, 12, 64}, {40, 10, 70}, {1000, 30, 3}, {0, 3, 2}, {5, 4, 0}}

func TestCDSweep(t *testing.T) {
	cdCases(t, dev(t), small(cdShapes))
}

// cdCases runs each sweep with cd_sweep and (where k allows) cd_block,
// checks both against the oracle, and checks that they agree bit for bit.
func cdCases(t *testing.T, b *Backend, shapes [][3]int) {
	rng := rand.New(rand.NewPCG(17, 18))
	defer func(block bool) { b.kp.cd.block = block }(b.kp.cd.block)
	for _, p := range precisions {
		for _, s := range shapes {
			r, n, k := s[0], s[1], s[2]
			for _, reg := range [][2]float64{{0, 0}, {0.05, 0}, {0, 0.3}, {0.02, 0.1}} {
				l1, l2 := reg[0], reg[1]
				hv := backendtest.Uniform(rng, p, k, n, 0, 0.2)
				if k > 1 && l2 == 0 { // a zero row of H: hess = 0, no update
					for j := 0; j < n; j++ {
						hv[1*n+j] = 0
					}
				}
				hht, _, _ := backendtest.Gemm(hv, k, n, false, hv, k, n, true)
				backendtest.Round(p, hht)
				xht := backendtest.Uniform(rng, p, r, k, 0, 0)
				for i := range xht {
					xht[i] *= float64(n) / 4
				}
				backendtest.Round(p, xht)
				wv := backendtest.Uniform(rng, p, r, k, 0, 0.3)
				perm := rng.Perm(k)
				wantW, want := backendtest.CDSweep(p, wv, r, k, hht, xht, l1, l2, perm)
				hm := backendtest.Put(t, b, p, k, k, hht)
				xm := backendtest.Put(t, b, p, r, k, xht)
				var first []float64
				for _, block := range []bool{false, true} {
					b.kp.cd.block = block
					w := backendtest.Put(t, b, p, r, k, wv)
					got, err := b.CDSweep(w, hm, xm, l1, l2, perm)
					if err != nil {
						t.Fatal(err)
					}
					gotW := backendtest.Get(t, b, w)
					name := fmt.Sprintf("%v CDSweep block=%v %d×%d l1=%v l2=%v", p, block, r, k, l1, l2)
					// The same operations in the same order: W matches to the
					// last bit; the violation is summed in another order.
					check(t, name+" W", gotW, wantW, tolerance(p)*1e-3)
					checkScalar(t, name+" violation", got, want, tolerance(p))
					if first == nil {
						first = gotW
					} else if i := firstDiff(first, gotW); i >= 0 {
						t.Errorf("%s: W[%d] = %v, cd_sweep gave %v", name, i, gotW[i], first[i])
					}
				}
			}
		}
	}
}

// firstDiff is the first index where a and c differ, −1 if none.
func firstDiff(a, c []float64) int {
	for i := range a {
		if a[i] != c[i] {
			return i
		}
	}
	return -1
}

// ---- divergence ---------------------------------------------------------------------

func TestDivergence(t *testing.T) {
	divergenceCases(t, dev(t), small(muShapes))
}

func divergenceCases(t *testing.T, b *Backend, shapes [][3]int) {
	rng := rand.New(rand.NewPCG(19, 20))
	defer func(ht bool) { b.kp.sparse.ht = ht }(b.kp.sparse.ht)
	for _, p := range precisions {
		for _, s := range shapes {
			l, n, k := s[0], s[1], s[2]
			xv, wv, hv := backendtest.Factors(rng, p, l, n, k)
			// entries at or below EPSILON are left out of the terms in X
			if l*n > 3 {
				xv[3] = backend.Epsilon / 2
			}
			w := backendtest.Put(t, b, p, l, k, wv)
			h := backendtest.Put(t, b, p, k, n, hv)
			for _, v := range []struct{ sparse, ht bool }{{false, true}, {true, true}, {true, false}} {
				sparse := v.sparse
				b.kp.sparse.ht = v.ht
				x, err := b.NewData(backendtest.HostData(p, xv, l, n, sparse))
				if err != nil {
					t.Fatal(err)
				}
				for _, beta := range betas {
					got, err := b.Divergence(x, w, h, beta)
					if err != nil {
						t.Fatal(err)
					}
					want := backendtest.Divergence(xv, l, n, k, wv, hv, beta)
					name := fmt.Sprintf("%v sparse=%v ht=%v Divergence β=%v %d×%d k=%d", p, sparse, v.ht, beta, l, n, k)
					if want == 0 {
						if math.Abs(got) > 1e-300 {
							t.Errorf("%s: got %v, want 0", name, got)
						}
						continue
					}
					checkScalar(t, name, got, want, tolerance(p))
				}
			}
		}
	}
}

// TestFitsSmallSizes gives a device copy just the local memory the kernels
// need at the small sizes: the build at the profile's sizes does not fit,
// so the backend falls back to the small ones, and computes right.
func TestFitsSmallSizes(t *testing.T) {
	b := dev(t)
	most := func(kp kernelParams) int64 {
		nb := newBackend(b.ctx, b.spec, b.dev.Platform, b.dev, b.profile, false)
		nb.kp = kp
		prog, err := nb.build(backend.Float32)
		if err != nil {
			t.Fatal(err)
		}
		var m int64
		for _, kg := range kp.groups() {
			k, err := prog.Kernel(kg.name)
			if err != nil {
				t.Fatal(err)
			}
			lm, err := k.LocalMemSize()
			if err != nil {
				t.Fatal(err)
			}
			m = max(m, lm)
		}
		return m
	}
	big, small := most(b.kp), most(b.kp.fitSmall())
	if big <= small {
		t.Skipf("the device reports %d bytes of local memory at the profile's sizes, %d at the small ones", big, small)
	}
	d := *b.dev
	d.LocalMem = small
	nb := newBackend(b.ctx, b.spec, b.dev.Platform, &d, b.profile, false)
	rng := rand.New(rand.NewPCG(27, 28))
	mulCase(t, nb, rng, backend.Float32, 17, 9, 20, false, true)
	if !nb.kp.small || nb.kp.tiled.ts != 8 {
		t.Errorf("local memory %d (the profile's sizes need %d): tile %d, small %v", small, big, nb.kp.tiled.ts, nb.kp.small)
	}
	nb.kp = nb.kp.fitSmall()
	nb.kp.small = true
	d.LocalMem = small - 1
	nb.progs = [2]*cl.Program{}
	if _, err := nb.program(backend.Float32); err == nil || !strings.Contains(err.Error(), "local memory") {
		t.Errorf("local memory below the small sizes' needs: %v, want an error naming it", err)
	}
}

// TestLocalMem32K checks that at the profile's sizes no kernel takes more
// than 32 KB of local memory, the least a device has (oclgrind's too), so
// that no device falls back to the small sizes for lack of it.
func TestLocalMem32K(t *testing.T) {
	b := dev(t)
	for _, p := range precisions {
		if p == backend.Float64 && !b.dev.FP64 {
			continue
		}
		nb := newBackend(b.ctx, b.spec, b.dev.Platform, b.dev, b.profile, false)
		prog, err := nb.build(p)
		if err != nil {
			t.Fatal(err)
		}
		for _, kg := range nb.kp.groups() {
			k, err := prog.Kernel(kg.name)
			if err != nil {
				t.Fatal(err)
			}
			if lm, err := k.LocalMemSize(); err != nil {
				t.Fatal(err)
			} else if lm > 32<<10 {
				t.Errorf("%v %s: %d bytes of local memory", p, kg.name, lm)
			}
		}
	}
}

// TestHtCached checks hT's cached Hᵀ against every write of H: after each
// method that writes H (Write, MUStep, MUTerms, CDSweep, Transpose, Mul,
// Gram, MulX, Add) the sparse divergence and W's numerator, which gather
// from Hᵀ, must be those of H's new values, and a second H of the same
// shape must not be taken for the first. It counts the transposes: one
// per verify after a write of H or a change of H, none on a repeated read.
func TestHtCached(t *testing.T) {
	b := dev(t)
	b.kp.sparse.ht = true
	rng := rand.New(rand.NewPCG(41, 42))
	const p = backend.Float64
	// n = k so that Gram can write H (k×k) as well
	l, n, k := 13, 5, 5
	xv, wv, hv := backendtest.Factors(rng, p, l, n, k)
	x := backendtest.NewData(t, b, p, xv, l, n, true)
	xd := backendtest.NewData(t, b, p, xv, l, n, false)
	w := backendtest.Put(t, b, p, l, k, wv)
	h := backendtest.Put(t, b, p, k, n, hv)
	num, den := backendtest.Put(t, b, p, l, k, nil), backendtest.Put(t, b, p, l, k, nil)
	defer func() { b.launched = nil }()
	verify := func(what string, h backend.Matrix, transposes int) {
		t.Helper()
		hv := backendtest.Get(t, b, h)
		b.launched = map[string]int{}
		got, err := b.Divergence(x, w, h, 1)
		if err != nil {
			t.Fatal(err)
		}
		checkScalar(t, what+" Divergence", got, backendtest.Divergence(xv, l, n, k, wv, hv, 1), tolerance(p))
		if err := b.MUTerms(backend.SideW, x, w, h, 1, num, den); err != nil {
			t.Fatal(err)
		}
		wn, _ := backendtest.MUTerms(backend.SideW, xv, l, n, k, wv, hv, 1)
		check(t, what+" num", backendtest.Get(t, b, num), wn, tolerance(p))
		if got := b.launched["transpose"]; got != transposes {
			t.Errorf("%s: %d transposes of H for Divergence and MUTerms, want %d", what, got, transposes)
		}
	}
	pos := func(r, c int) backend.Matrix {
		return backendtest.Put(t, b, p, r, c, backendtest.Uniform(rng, p, r, c, 0.1, 0))
	}
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	verify("first", h, 1)
	verify("again", h, 0)
	h2 := pos(k, n)
	verify("another H", h2, 1)
	verify("back", h, 1)
	writes := []struct {
		name  string
		write func() error
	}{
		{"Write", func() error { return b.Write(h, backend.NewHost(p, k, n, backendtest.Uniform(rng, p, k, n, 0.1, 0))) }},
		{"MUStep", func() error { return b.MUStep(h, pos(k, n), pos(k, n), 0, 0, 1, 0) }},
		{"MUTerms", func() error { return b.MUTerms(backend.SideH, xd, w, h2, 1, h, pos(k, n)) }}, // dense: h2 is not gathered
		{"CDSweep", func() error {
			_, err := b.CDSweep(h, pos(n, n), pos(k, n), 0, 0, []int{4, 3, 2, 1, 0})
			return err
		}},
		{"Transpose", func() error { return b.Transpose(h, pos(n, k)) }},
		{"Mul", func() error { return b.Mul(h, pos(k, 3), false, pos(3, n), false) }},
		{"Gram", func() error { return b.Gram(h, pos(7, n)) }},
		{"MulX", func() error {
			return b.MulX(h, backendtest.NewData(t, b, p, backendtest.Uniform(rng, p, k, 6, 0.1, 0), k, 6, false), false, pos(6, n))
		}},
		{"Add", func() error { return b.Add(h, pos(k, n)) }},
	}
	for _, wr := range writes {
		must(wr.write())
		verify("after "+wr.name, h, 1)
	}
}
