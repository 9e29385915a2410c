package tuning

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/clnmf/clnmf/gpu/cl"
)

// gemmSets are valid settings: the tiled kernels, the CPU defaults, and
// vector variants with sizes that divide nothing (as gpu's tests run).
var gemmSets = []Gemm{
	{},
	DefaultGemm(nil, true),
	{Vec: true, VW: 4, RM: 3, VN: 1, DM: 3, DN: 3, LX: 2, LY: 3},
	{Vec: true, VW: 16, RM: 1, VN: 3, DM: 1, DN: 1, PK: 1, LX: 1, LY: 1},
	DefaultGemm(nil, false),
	{X: SmallXGemm},
}

func TestGemmParamsValid(t *testing.T) {
	sets := gemmSets
	for _, v := range vendorDefaults {
		sets = append(sets, Gemm{X: v.x})
	}
	for _, gp := range sets {
		if !gp.Valid() {
			t.Errorf("%v not valid", gp)
		}
	}
	bad := SmallXGemm
	bad.VWM = 8 // MWG 32 is not a multiple of MDIMC·VWM = 64
	for _, gp := range []Gemm{{Vec: true, VW: 3, RM: 1, VN: 1, DM: 1, DN: 1, LX: 1, LY: 1}, {Vec: true, VW: 4},
		{X: bad}, {Vec: true, VW: 8, RM: 4, VN: 2, DM: 4, DN: 2, LX: 4, LY: 4, X: SmallXGemm}} {
		if gp.Valid() {
			t.Errorf("%v valid", gp)
		}
	}
}

// TestDefaultXGemm checks the choice by vendor and name and the shrinking
// to the device's work-group.
func TestDefaultXGemm(t *testing.T) {
	gpu := func(vendor, name string, wg int) *cl.Device {
		return &cl.Device{Vendor: vendor, Name: name, Type: cl.DeviceGPU, MaxWorkGroupSize: wg}
	}
	for _, c := range []struct {
		d    *cl.Device
		want XGemm
	}{
		{gpu("NVIDIA Corporation", "NVIDIA H200", 1024), vendorDefaults[0].x},
		{gpu("Advanced Micro Devices, Inc.", "gfx90a:sramecc+:xnack-", 256), vendorDefaults[1].x},
		{gpu("Intel(R) Corporation", "Intel(R) Arc(TM) A770 Graphics", 1024), vendorDefaults[3].x},
		{gpu("Apple", "Apple M2 Max", 256), vendorDefaults[4].x},
		{gpu("Imagination", "PowerVR", 512), genericDefault},
		{gpu("Advanced Micro Devices, Inc.", "gfx906", 128), SmallXGemm}, // 256 items do not fit
		{&cl.Device{Vendor: "GenuineIntel", Name: "pthread-skylake", Type: cl.DeviceCPU, MaxWorkGroupSize: 4096}, genericDefault},
		{nil, genericDefault},
	} {
		if got := DefaultXGemm(c.d); got != c.want {
			t.Errorf("%+v: %v, want %v", c.d, got, c.want)
		}
	}
}

// TestCacheJSON checks that xgemm parameters survive the cache's JSON and
// that an entry written before xgemm (no "x") still means what it did.
func TestCacheJSON(t *testing.T) {
	for _, gp := range gemmSets {
		data, err := json.Marshal(cache{"d": gp})
		if err != nil {
			t.Fatal(err)
		}
		var c cache
		if err := json.Unmarshal(data, &c); err != nil || c["d"] != gp {
			t.Errorf("%v: read back %v (%s, %v)", gp, c["d"], data, err)
		}
		if !gp.IsX() && strings.Contains(string(data), `"x"`) {
			t.Errorf("%v: %s holds an xgemm entry", gp, data)
		}
	}
	var c cache
	old := `{"d": {"vec": true, "vw": 8, "rm": 4, "vn": 2, "dm": 4, "dn": 2, "pk": 1, "lx": 4, "ly": 4}, "t": {"vec": false}}`
	if err := json.Unmarshal([]byte(old), &c); err != nil || c["d"] != DefaultGemm(nil, true) || c["t"] != (Gemm{}) {
		t.Errorf("old cache read as %v, %v", c, err)
	}
}
