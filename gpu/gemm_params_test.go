package gpu

import (
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"testing"

	"github.com/clnmf/clnmf/gpu/internal/tuning"
)

// gemmParamSets are the GEMM settings the tests run: the tiled kernels,
// the CPU defaults, and vector variants with sizes that divide nothing.
var gemmParamSets = []tuning.Gemm{
	{},
	tuning.DefaultGemm(true),
	{Vec: true, VW: 4, RM: 3, VN: 1, DM: 3, DN: 3, LX: 2, LY: 3},
	{Vec: true, VW: 16, RM: 1, VN: 3, DM: 1, DN: 1, PK: 1, LX: 1, LY: 1},
	{Vec: true, VW: 2, RM: 5, VN: 2, DM: 2, DN: 5, PK: 8, LX: 3, LY: 2},
	{Vec: true, VW: 8, RM: 6, VN: 2, DM: 4, DN: 2, PK: 1, LX: 4, LY: 4},
}

// TestOclgrindGemmParams checks every transpose of the product, on shapes
// on and off each setting's blocks, with each of gemmParamSets (its name
// matches TestOclgrind, so that make oclgrind-ci runs it under the
// simulator too).
func TestOclgrindGemmParams(t *testing.T) {
	b := dev(t)
	rng := rand.New(rand.NewPCG(41, 42))
	shapes := [][3]int{{1, 1, 1}, {7, 9, 8}, {17, 33, 9}, {65, 70, 3}, {33, 5, 100}, {70, 65, 130}}
	if testing.Short() {
		shapes = [][3]int{{1, 1, 1}, {7, 9, 8}, {17, 33, 19}}
	}
	for _, gp := range gemmParamSets {
		nb := newBackend(b.ctx, b.spec, b.dev.Platform, b.dev, b.profile, false)
		nb.keepGrown = b.keepGrown
		nb.packMin = 0
		nb.packCap = 100 // chunks of k on the larger shapes
		if err := nb.setGemm(gp); err != nil {
			t.Fatal(err)
		}
		for _, split := range []bool{false, true} {
			if split && gp.Vec {
				continue
			}
			if split {
				nb.splitTarget = 1 << 20
			}
			for _, p := range precisions {
				for _, s := range shapes {
					for tr := 0; tr < 4; tr++ {
						t.Run(fmt.Sprintf("%v/%v/split=%v", gp, p, split), func(t *testing.T) {
							mulCase(t, nb, rng, p, s[0], s[1], s[2], tr&1 != 0, tr&2 != 0)
						})
					}
				}
			}
		}
	}
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
		got, def := nb.kp.gemm, tuning.DefaultGemm(c.prof == ProfileCPU)
		if c.loads && got != want || !c.loads && got != def {
			t.Errorf("profile %v, cache %v: parameters %v (cached %v, defaults %v)", c.prof, c.useCache, got, want, def)
		}
	}
}
