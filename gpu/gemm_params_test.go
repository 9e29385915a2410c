package gpu

import (
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"testing"

	"github.com/clnmf/clnmf/gpu/cl"
	"github.com/clnmf/clnmf/gpu/internal/tuning"
	"github.com/clnmf/clnmf/nmf/backend"
)

// gemmParamSets are the GEMM settings the tests run: the tiled kernels,
// the CPU defaults, and vector variants with sizes that divide nothing.
var gemmParamSets = []tuning.Gemm{
	{},
	tuning.DefaultGemm(nil, true),
	{Vec: true, VW: 4, RM: 3, VN: 1, DM: 3, DN: 3, LX: 2, LY: 3},
	{Vec: true, VW: 16, RM: 1, VN: 3, DM: 1, DN: 1, PK: 1, LX: 1, LY: 1},
	{Vec: true, VW: 2, RM: 5, VN: 2, DM: 2, DN: 5, PK: 8, LX: 3, LY: 2},
	{Vec: true, VW: 8, RM: 6, VN: 2, DM: 4, DN: 2, PK: 1, LX: 4, LY: 4},
	{X: xgemmSets[1]}, // 8×8 register tiles, vectors of 8
	{X: xgemmSets[2]}, // no local memory, scalar
}

// xgemmSets are xgemm settings the tests run: together they cover vector
// widths 1, 2, 4 and 8 on both sides, local memory for A, B, both and
// neither, 8×8 register tiles, K tiles of 16 and 32 with every unrolling,
// strided and contiguous register vectors, and the vendor defaults.
var xgemmSets = []tuning.XGemm{
	tuning.DefaultXGemm(nil),
	{MWG: 64, NWG: 64, KWG: 32, MDIMC: 8, NDIMC: 8, MDIMA: 8, NDIMB: 8, KWI: 8, VWM: 8, VWN: 8, STRM: 1, SA: 1, SB: 1},
	{MWG: 16, NWG: 32, KWG: 16, MDIMC: 8, NDIMC: 16, MDIMA: 8, NDIMB: 8, KWI: 1, VWM: 1, VWN: 1},
	{MWG: 32, NWG: 128, KWG: 16, MDIMC: 16, NDIMC: 16, MDIMA: 16, NDIMB: 16, KWI: 4, VWM: 2, VWN: 8, STRM: 1, STRN: 1, SA: 1},
	{MWG: 128, NWG: 16, KWG: 32, MDIMC: 16, NDIMC: 8, MDIMA: 16, NDIMB: 16, KWI: 2, VWM: 8, VWN: 1, STRN: 1, SB: 1},
	tuning.DefaultXGemm(&cl.Device{Vendor: "NVIDIA Corporation", Name: "NVIDIA H200", Type: cl.DeviceGPU}),
	tuning.DefaultXGemm(&cl.Device{Vendor: "Advanced Micro Devices, Inc.", Name: "gfx90a", Type: cl.DeviceGPU}),
	tuning.DefaultXGemm(&cl.Device{Vendor: "Intel(R) Corporation", Name: "Intel(R) Arc(TM) A770 Graphics", Type: cl.DeviceGPU}),
	tuning.SmallXGemm,
}

// TestXGemmParams checks xgemm with each of xgemmSets on every transpose
// (the four kernels), shapes of 1, 7, 33, 1000 and others off every tile,
// with and without split K, in float32 and (the first three sets: 8×8
// tiles with vectors of 8, scalar without local memory, the generic
// default) float64, against backendtest's oracle; each product must be
// planned on xgemm.
func TestXGemmParams(t *testing.T) {
	b := dev(t)
	rng := rand.New(rand.NewPCG(61, 62))
	shapes := [][3]int{{1, 1, 1}, {7, 33, 1}, {33, 7, 33}, {65, 130, 17}, {1000, 7, 33}, {33, 1000, 7}, {7, 33, 1000}}
	if testing.Short() {
		shapes = [][3]int{{1, 1, 1}, {7, 9, 8}, {17, 33, 19}}
	}
	for i, x := range xgemmSets {
		gp := tuning.Gemm{X: x}
		if !gp.Valid() {
			t.Fatalf("%v is not valid", x)
		}
		nb := newBackend(b.ctx, b.spec, b.dev.Platform, b.dev, ProfileGPU, false)
		nb.keepGrown = b.keepGrown
		if err := nb.setGemm(gp); err != nil {
			t.Fatal(err)
		}
		for _, p := range precisions {
			if p == backend.Float64 && i >= 3 {
				continue // float64 on the first three (each set is a build)
			}
			for _, s := range shapes {
				// The long inner dimension also split along K.
				for _, split := range []bool{false, s[2] >= 8*x.KWG} {
					nb.splitTarget = map[bool]int{false: 1, true: 1 << 20}[split]
					for tr := 0; tr < 4; tr++ {
						xgemmCase(t, nb, rng, p, s, tr&1 != 0, tr&2 != 0, split)
					}
					if !split {
						break
					}
				}
			}
		}
	}
}

// xgemmCase checks one product on nb, which must plan it on xgemm, split
// along K or not as split says.
func xgemmCase(t *testing.T, nb *Backend, rng *rand.Rand, p backend.Precision, s [3]int, ta, tb, split bool) {
	t.Helper()
	pl, err := nb.planGemm(p, s[0], s[1], s[2], planOperand(ta, s[0], s[2]), planOperand(tb, s[2], s[1]))
	if err != nil || pl.kernel != gemmX || split != (pl.slices > 1) {
		t.Fatalf("%v %v: plan %+v, %v", nb.kp.gemm, s, pl, err)
	}
	t.Run(fmt.Sprintf("%v/%v/split=%v", nb.kp.gemm, p, split), func(t *testing.T) {
		mulCase(t, nb, rng, p, s[0], s[1], s[2], ta, tb)
	})
}

// TestTuneCache saves parameters and checks that a new backend on the same
// device loads them, and only under the device type's own profile and
// when the cache is not switched off.
func TestTuneCache(t *testing.T) {
	b := dev(t)
	dir := t.TempDir()
	t.Setenv("XDG_CACHE_HOME", dir)
	t.Setenv("HOME", dir)
	want := tuning.Gemm{Vec: true, VW: 4, RM: 3, VN: 1, DM: 3, DN: 3, LX: 2, LY: 3}
	path, err := tuning.Save(b.dev, want)
	if err != nil {
		t.Fatal(err)
	}
	if filepath.Base(path) != "tune.json" || filepath.Base(filepath.Dir(path)) != "clnmf" {
		t.Errorf("cache path %s", path)
	}
	own := typeProfile(b.dev)
	other := ProfileGPU
	if own == ProfileGPU {
		other = ProfileCPU
	}
	for _, c := range []struct {
		prof     Profile
		useCache bool
		loads    bool
	}{{own, true, true}, {own, false, false}, {other, true, false}} {
		nb := newBackend(b.ctx, b.spec, b.dev.Platform, b.dev, c.prof, c.useCache)
		if b.keepGrown {
			return // the simulator ignores the cache
		}
		got, def := nb.kp.gemm, tuning.DefaultGemm(b.dev, c.prof == ProfileCPU)
		if c.loads && got != want || !c.loads && got != def {
			t.Errorf("profile %v, cache %v: parameters %v (cached %v, defaults %v)", c.prof, c.useCache, got, want, def)
		}
	}
}
