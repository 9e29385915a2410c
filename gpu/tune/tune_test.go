package tune

import (
	"context"
	"math"
	"strings"
	"testing"

	"github.com/clnmf/clnmf/gpu"
	"github.com/clnmf/clnmf/gpu/cl"
	"github.com/clnmf/clnmf/gpu/internal/gputest"
	"github.com/clnmf/clnmf/gpu/internal/tuning"
	"github.com/clnmf/clnmf/nmf/backend"
)

// TestCandidatesValid checks that every candidate of the search from the
// CPU defaults is valid.
func TestCandidatesValid(t *testing.T) {
	def := tuning.DefaultGemm(nil, true)
	for _, gp := range append(append(stage1(def), stage2(def)...), stage3(def)...) {
		if !gp.Valid() {
			t.Errorf("candidate %v is not valid", gp)
		}
	}
}

// TestNotOpenCL checks the answers for a backend that is not OpenCL's.
func TestNotOpenCL(t *testing.T) {
	if _, err := Key(nil); err != ErrNotOpenCL {
		t.Errorf("Key(nil): %v", err)
	}
	if err := Finish(nil); err != nil {
		t.Errorf("Finish(nil): %v", err)
	}
	if _, ok := Queue(nil); ok {
		t.Error("Queue(nil) ok")
	}
	if _, ok := Buffer(nil); ok {
		t.Error("Buffer(nil) ok")
	}
}

// TestXCandidates checks that the xgemm passes from each vendor default
// hold enough valid candidates, together covering vector widths 1, 2, 4
// and 8, local memory on and off for each operand and 8×8 register tiles,
// and that fits drops those beyond a device's work-group and local memory.
func TestXCandidates(t *testing.T) {
	nvidia := &cl.Device{Vendor: "NVIDIA Corporation", Name: "NVIDIA H200", Type: cl.DeviceGPU}
	for _, d := range []*cl.Device{nvidia, nil, {Vendor: "Apple", Name: "Apple M2", Type: cl.DeviceGPU}} {
		def := tuning.DefaultGemm(d, false)
		vw, sa, sb, tile8 := map[int]bool{}, map[int]bool{}, map[int]bool{}, false
		valid := 0
		for _, stage := range []func(GemmParams) []GemmParams{xstage1, xstage2, xstage3} {
			for _, gp := range stage(def) {
				if !gp.Valid() {
					continue
				}
				valid++
				vw[gp.X.VWM], vw[gp.X.VWN], sa[gp.X.SA], sb[gp.X.SB] = true, true, true, true
				tile8 = tile8 || gp.X.MWG/gp.X.MDIMC == 8 && gp.X.NWG/gp.X.NDIMC == 8
			}
		}
		if valid < 40 || len(vw) != 4 || len(sa) != 2 || len(sb) != 2 || !tile8 {
			t.Errorf("from %v: %d valid candidates, widths %v, SA %v, SB %v, 8×8 %v", def, valid, vw, sa, sb, tile8)
		}
	}
	small := *nvidia
	small.MaxWorkGroupSize, small.LocalMem = 128, 8<<10
	s := &search{dev: &small, c: Config{Precisions: []backend.Precision{backend.Float64}}}
	for _, gp := range xstage1(tuning.DefaultGemm(nvidia, false)) {
		if s.fits(gp) != (gp.X.WGS() <= 128 && gp.X.LocalBytes(8) <= 8<<10) {
			t.Errorf("fits(%v) = %v on %d items, %d bytes", gp, s.fits(gp), small.MaxWorkGroupSize, small.LocalMem)
		}
	}
}

// TestSearchGPUProfile runs a short search under the gpu profile on the
// first OpenCL device (PoCL's CPU device without a GPU): every candidate
// is built, checked against the float64 products and timed, and the best
// is one that passed.
func TestSearchGPUProfile(t *testing.T) {
	be, err := gpu.OpenWith(gputest.Spec(), gpu.Options{Profile: gpu.ProfileGPU, NoTuneCache: true})
	if err != nil {
		if gpu.IsNoDevice(err) {
			t.Skip(err)
		}
		t.Fatal(err)
	}
	defer be.Close()
	var out strings.Builder
	res, err := Search(context.Background(), be, Config{Precisions: []backend.Precision{backend.Float32},
		Quick: true, Repeats: 1, Limit: 4}, &out)
	if err != nil {
		t.Fatalf("%v\n%s", err, out.String())
	}
	t.Log(out.String())
	if !res.Default.IsX() || len(res.Ms) < 4 || math.IsInf(res.Ms[res.Best], 1) {
		t.Errorf("best %v of %d candidates (default %v)\n%s", res.Best, len(res.Ms), res.Default, out.String())
	}
	if cur, _ := Current(be); cur != res.Best {
		t.Errorf("backend left on %v, best %v", cur, res.Best)
	}
}
