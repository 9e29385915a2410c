package tuning

import (
	"fmt"
	"strings"

	"github.com/clnmf/clnmf/gpu/cl"
)

// XGemm are the parameters of the GPU profile's GEMM, kernels/xgemm.cl, by
// CLBlast's names (its xgemm "kernel 0"); each is the -D define of the
// same name. M is the dimension along which C is contiguous (the columns
// of the row-major product), as in CLBlast. The zero value (MWG = 0) means
// no xgemm.
type XGemm struct {
	MWG   int `json:"mwg"`   // tile of C per work-group along m: 16…128
	NWG   int `json:"nwg"`   // … along n
	KWG   int `json:"kwg"`   // K tile: 16 or 32
	MDIMC int `json:"mdimc"` // work-items per group along m (MWI = MWG/MDIMC ≤ 8)
	NDIMC int `json:"ndimc"` // … along n (NWI = NWG/NDIMC ≤ 8)
	MDIMA int `json:"mdima"` // A's tile loads: MDIMA × (MDIMC·NDIMC/MDIMA) work-items
	NDIMB int `json:"ndimb"` // B's tile loads: NDIMB × (MDIMC·NDIMC/NDIMB)
	KWI   int `json:"kwi"`   // unrolling of the K tile: 1, 2, 4 or 8 (divides KWG)
	VWM   int `json:"vwm"`   // vector width along m: 1, 2, 4 or 8
	VWN   int `json:"vwn"`   // vector width along n
	STRM  int `json:"strm"`  // 1: a work-item's vectors strided over the group along m; 0: contiguous
	STRN  int `json:"strn"`  // … along n
	SA    int `json:"sa"`    // 1: cache A's tiles in local memory; 0: read A into registers
	SB    int `json:"sb"`    // … B's
}

// WGS is the work-group size, MDIMC·NDIMC.
func (x XGemm) WGS() int { return x.MDIMC * x.NDIMC }

// LocalBytes is the local memory of one work-group for elements of
// size bytes (the padded rows of kernels/xgemm.cl).
func (x XGemm) LocalBytes(size int) int64 {
	pad := func(vw int) int { return max(4/vw, 1) * vw }
	return int64(size) * int64(x.KWG) * int64(x.SA*(x.MWG+pad(x.VWM))+x.SB*(x.NWG+pad(x.VWN)))
}

func oneOf(v int, set ...int) bool {
	for _, s := range set {
		if v == s {
			return true
		}
	}
	return false
}

// Valid reports whether x can be built and run: the sizes from the sets
// above, whole register tiles of whole vectors, and tile loads that cover
// the tiles exactly (CLBlast's constraints for kernel 0).
func (x XGemm) Valid() bool {
	for _, v := range []int{x.MWG, x.NWG} {
		if !oneOf(v, 16, 32, 64, 128) {
			return false
		}
	}
	for _, v := range []int{x.MDIMC, x.NDIMC, x.MDIMA, x.NDIMB} {
		if !oneOf(v, 8, 16, 32) {
			return false
		}
	}
	for _, v := range []int{x.VWM, x.VWN} {
		if !oneOf(v, 1, 2, 4, 8) {
			return false
		}
	}
	for _, v := range []int{x.SA, x.SB, x.STRM, x.STRN} {
		if v != 0 && v != 1 {
			return false
		}
	}
	wgs := x.WGS()
	if !oneOf(x.KWG, 16, 32) || !oneOf(x.KWI, 1, 2, 4, 8) || x.KWG%x.KWI != 0 || wgs > 1024 {
		return false
	}
	mwi, nwi := x.MWG/x.MDIMC, x.NWG/x.NDIMC
	if mwi < 1 || mwi > 8 || nwi < 1 || nwi > 8 || x.MWG%(x.MDIMC*x.VWM) != 0 || x.NWG%(x.NDIMC*x.VWN) != 0 {
		return false
	}
	if x.SA == 1 && (wgs%x.MDIMA != 0 || x.MWG%(x.MDIMA*x.VWM) != 0 || x.KWG%(wgs/x.MDIMA) != 0) {
		return false
	}
	if x.SB == 1 && (wgs%x.NDIMB != 0 || x.NWG%(x.NDIMB*x.VWN) != 0 || x.KWG%(wgs/x.NDIMB) != 0) {
		return false
	}
	return true
}

// Defines are x's -D defines.
func (x XGemm) Defines() map[string]int {
	return map[string]int{
		"MWG": x.MWG, "NWG": x.NWG, "KWG": x.KWG, "MDIMC": x.MDIMC, "NDIMC": x.NDIMC,
		"MDIMA": x.MDIMA, "NDIMB": x.NDIMB, "KWI": x.KWI, "VWM": x.VWM, "VWN": x.VWN,
		"STRM": x.STRM, "STRN": x.STRN, "SA": x.SA, "SB": x.SB,
	}
}

func (x XGemm) String() string {
	return fmt.Sprintf("xgemm %d×%d×%d c%d×%d a%d b%d kwi%d v%d×%d str%d%d s%d%d",
		x.MWG, x.NWG, x.KWG, x.MDIMC, x.NDIMC, x.MDIMA, x.NDIMB, x.KWI, x.VWM, x.VWN, x.STRM, x.STRN, x.SA, x.SB)
}

// clblast makes an XGemm from a row of CLBlast's database in its column
// order (src/database/kernels/xgemm/xgemm_32.hpp: GEMMK, KREG, KWG, KWI,
// MDIMA, MDIMC, MWG, NDIMB, NDIMC, NWG, SA, SB, STRM, STRN, VWM, VWN),
// without GEMMK and KREG (only rows of kernel 0, GEMMK = 0, KREG = 1, are
// taken).
func clblast(kwg, kwi, mdima, mdimc, mwg, ndimb, ndimc, nwg, sa, sb, strm, strn, vwm, vwn int) XGemm {
	return XGemm{MWG: mwg, NWG: nwg, KWG: kwg, MDIMC: mdimc, NDIMC: ndimc, MDIMA: mdima, NDIMB: ndimb,
		KWI: kwi, VWM: vwm, VWN: vwn, STRM: strm, STRN: strn, SA: sa, SB: sb}
}

// The vendor defaults, CLBlast's tuned single-precision rows (CLBlast
// master, src/database/kernels/xgemm/xgemm_32.hpp; float64 uses the same
// parameters): the first entry whose vendor and name fragments both
// occur in the device's vendor and name (case-insensitive) wins.
var vendorDefaults = []struct {
	vendor, name string
	x            XGemm
}{
	// NVIDIA "SM8.0", "A100-PCIE-40GB" (also the row for later data-centre
	// parts, Hopper's H100/H200 included, which the database lacks).
	{"nvidia", "", clblast(32, 2, 8, 8, 32, 16, 16, 64, 1, 1, 0, 0, 4, 4)},
	// AMD "gfx906:sramecc+:xnack-", "AMD Instinct MI50/MI60" (= Radeon VII).
	{"advanced micro devices", "", clblast(32, 2, 16, 16, 64, 16, 16, 64, 1, 1, 0, 0, 4, 4)},
	{"amd", "", clblast(32, 2, 16, 16, 64, 16, 16, 64, 1, 1, 0, 0, 4, 4)},
	// Intel GPUs, the "default" device row.
	{"intel", "", clblast(32, 2, 16, 16, 64, 8, 8, 64, 1, 1, 0, 0, 4, 2)},
	// Apple, the "default" device row (= "Apple M2 Max").
	{"apple", "", clblast(32, 2, 16, 16, 32, 8, 8, 32, 1, 1, 0, 0, 2, 2)},
}

// genericDefault is CLBlast's row for every other device ("default",
// kDeviceTypeAll).
var genericDefault = clblast(32, 2, 8, 8, 32, 8, 8, 32, 1, 1, 0, 0, 4, 4)

// SmallXGemm is the set a device gets when its defaults do not fit (64
// work-items, 4.6 KB of local memory in float32).
var SmallXGemm = clblast(16, 2, 8, 8, 32, 8, 8, 32, 1, 1, 1, 1, 2, 2)

// DefaultXGemm returns the defaults for device d: by vendor and name for
// GPUs and accelerators, the generic row for CPU devices run under the gpu
// profile (PoCL reports the host CPU's vendor, whose GPU rows mean nothing
// there) and for nil; SmallXGemm when the work-group exceeds the device's.
func DefaultXGemm(d *cl.Device) XGemm {
	if d == nil {
		return genericDefault
	}
	x := genericDefault
	vendor, name := strings.ToLower(d.Vendor), strings.ToLower(d.Name)
	for _, v := range vendorDefaults {
		if d.Type&cl.DeviceCPU == 0 && strings.Contains(vendor, v.vendor) && strings.Contains(name, v.name) {
			x = v.x
			break
		}
	}
	if d.MaxWorkGroupSize > 0 && x.WGS() > d.MaxWorkGroupSize {
		return SmallXGemm
	}
	return x
}
