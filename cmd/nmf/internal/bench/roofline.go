package bench

import (
	"fmt"
	"strings"

	"github.com/clnmf/clnmf/gpu/cl"
)

// The roofline of `nmf bench --roofline` (issue 17's GPU check): each
// OpenCL device's float32 peak from its clock, its compute units and a
// per-vendor count of float32 flops per unit per clock, and its copy
// bandwidth measured with clEnqueueCopyBuffer (copybw.go); each row's
// modelled bytes (rowBytes) against that bandwidth; and the issue's
// targets (rooflineTargets).

// DeviceRoof is the roofline of one OpenCL device.
type DeviceRoof struct {
	Device       string `json:"device"` // the spec the rows name
	Name         string `json:"name"`
	Vendor       string `json:"vendor"`
	ComputeUnits int    `json:"compute_units"`
	ClockMHz     int    `json:"clock_mhz"`
	// FlopsPerCUClock is the float32 flops one compute unit does per
	// clock (a fused multiply-add is 2), from the vendor table or
	// --flops-per-cu; PeakSource says which, and the assumption.
	FlopsPerCUClock float64 `json:"flops_per_cu_clock"`
	PeakSource      string  `json:"peak_source"`
	PeakGFLOPS      float64 `json:"peak_gflops"`
	// CopyGBps is the measured device-to-device copy rate, bytes read plus
	// bytes written per second, over buffers of CopyBytes each.
	CopyGBps  float64 `json:"copy_gbps"`
	CopyBytes int64   `json:"copy_bytes"`
	Note      string  `json:"note,omitempty"` // why a figure is missing
}

// Ridge is the arithmetic intensity (flop/B) above which a kernel is
// compute-bound on d; 0 when a roof is unknown.
func (d *DeviceRoof) Ridge() float64 {
	if d.PeakGFLOPS <= 0 || d.CopyGBps <= 0 {
		return 0
	}
	return d.PeakGFLOPS / d.CopyGBps
}

// flopsPerUnit returns the float32 flops per compute unit per clock of a
// device, as the vendors' documents give them (lanes × 2 for FMA), and a
// sentence saying what was assumed. Compute units are what OpenCL counts:
// SMs on NVIDIA, CUs on AMD, EUs (Xe vector engines) on Intel, GPU cores on
// Apple, hardware threads on a CPU device.
func flopsPerUnit(d *cl.Device) (float64, string) {
	vendor := strings.ToLower(d.Vendor)
	name := strings.ToLower(d.Name)
	switch {
	case d.Type&cl.DeviceCPU != 0:
		lanes := 8
		if strings.Contains(name, "avx512") {
			lanes = 16
		}
		return float64(lanes * 2 * 2), fmt.Sprintf("CPU device: assumed %d float32 lanes × 2 FMA units × 2 per compute unit (a hardware thread: with SMT this overstates the peak up to 2×)", lanes)
	case strings.Contains(vendor, "nvidia"):
		cc := d.ComputeCapabilityNV
		lanes, known := nvidiaLanes(cc)
		if !known {
			return float64(lanes * 2), fmt.Sprintf("NVIDIA, compute capability %d.%d not in the table: assumed %d FP32 lanes per SM × 2 (FMA)", cc[0], cc[1], lanes)
		}
		return float64(lanes * 2), fmt.Sprintf("NVIDIA compute capability %d.%d: %d FP32 lanes per SM × 2 (FMA)", cc[0], cc[1], lanes)
	case strings.Contains(vendor, "advanced micro devices") || strings.Contains(vendor, "amd"):
		return 128, "AMD: 64 FP32 lanes per CU × 2 (FMA), without packed or dual-issue FP32 (CDNA3's packed rate and RDNA3's dual issue are up to 2× more; an RDNA driver that counts WGPs as units halves the count: give --flops-per-cu)"
	case strings.Contains(vendor, "intel"):
		if strings.Contains(name, "max") {
			return 32, "Intel Data Center GPU Max: 16 FP32 lanes per vector engine × 2 (FMA)"
		}
		return 16, "Intel GPU: 8 FP32 lanes per EU/vector engine × 2 (FMA)"
	case strings.Contains(vendor, "apple"):
		return 256, "Apple GPU: 128 FP32 ALUs per core × 2 (FMA)"
	}
	return 128, fmt.Sprintf("vendor %q not in the table: assumed 64 FP32 lanes per compute unit × 2 (FMA); give --flops-per-cu or --peak-gflops", d.Vendor)
}

// nvidiaLanes is the FP32 lanes per SM of an NVIDIA compute capability
// (CUDA C Programming Guide, "Arithmetic Instructions" throughput table),
// and whether the capability is in the table; 128 when it is not.
func nvidiaLanes(cc [2]int) (int, bool) {
	switch major, minor := cc[0], cc[1]; {
	case major == 3:
		return 192, true // Kepler
	case major == 5:
		return 128, true // Maxwell
	case major == 6 && minor == 0:
		return 64, true // GP100
	case major == 6:
		return 128, true // GP10x
	case major == 7:
		return 64, true // Volta, Turing
	case major == 8 && minor == 0:
		return 64, true // A100, A30
	case major == 8:
		return 128, true // GA10x, Orin, Ada
	case major == 9:
		return 128, true // Hopper: H100, H200, GH200
	case major == 10 || major == 11 || major == 12:
		return 128, true // Blackwell
	}
	return 128, false
}

// newDeviceRoof fills the peak of device d (spec) from its clock, its
// compute units and flopsPerUnit, unless c overrides them.
func newDeviceRoof(spec string, d *cl.Device, c *Config) *DeviceRoof {
	r := &DeviceRoof{Device: spec, Name: strings.TrimSpace(d.Name), Vendor: strings.TrimSpace(d.Vendor), ComputeUnits: d.ComputeUnits, ClockMHz: d.ClockMHz}
	r.FlopsPerCUClock, r.PeakSource = flopsPerUnit(d)
	if c.FlopsPerCU > 0 {
		r.FlopsPerCUClock = c.FlopsPerCU
		r.PeakSource = fmt.Sprintf("--flops-per-cu %g (given)", c.FlopsPerCU)
	}
	r.PeakGFLOPS = float64(r.ComputeUnits) * float64(r.ClockMHz) * r.FlopsPerCUClock / 1e3
	if c.PeakGFLOPS > 0 {
		r.PeakGFLOPS = c.PeakGFLOPS
		r.PeakSource = fmt.Sprintf("--peak-gflops %g (given)", c.PeakGFLOPS)
	}
	if r.PeakGFLOPS <= 0 {
		r.Note = fmt.Sprintf("no float32 peak: the device reports %d compute units at %d MHz (give --peak-gflops)", r.ComputeUnits, r.ClockMHz)
	}
	return r
}

// RoofRow is one row against its device's roofline.
type RoofRow struct {
	GBps      float64 `json:"gbps"`           // Row.Bytes per second
	FracPeak  float64 `json:"frac_peak"`      // GFLOP/s over the float32 peak
	FracBW    float64 `json:"frac_bandwidth"` // GB/s over the measured copy rate
	Intensity float64 `json:"flop_per_byte"`  // Row.Flops / Row.Bytes
	// Bound is "compute" or "memory": the lower roof at this intensity;
	// FracRoof is GFLOP/s over that roof, min(peak, intensity × copy rate).
	Bound    string  `json:"bound"`
	FracRoof float64 `json:"frac_roof"`
	// Target is the least FracPeak (TargetOf "peak") or FracBW
	// (TargetOf "bandwidth") for this row; 0 when it has none.
	Target   float64 `json:"target,omitempty"`
	TargetOf string  `json:"target_of,omitempty"`
}

// roof computes x's figures against d.
func roof(x *Row, d *DeviceRoof) *RoofRow {
	r := &RoofRow{}
	if x.MsPerIter <= 0 || x.Bytes <= 0 {
		return r
	}
	r.GBps = x.Bytes / x.MsPerIter / 1e6
	r.Intensity = x.Flops / x.Bytes
	if d.PeakGFLOPS > 0 {
		r.FracPeak = x.GFLOPS / d.PeakGFLOPS
	}
	if d.CopyGBps > 0 {
		r.FracBW = r.GBps / d.CopyGBps
	}
	if d.PeakGFLOPS > 0 && d.CopyGBps > 0 {
		top, bound := d.PeakGFLOPS, "compute"
		if mem := r.Intensity * d.CopyGBps; mem < top {
			top, bound = mem, "memory"
		}
		r.Bound, r.FracRoof = bound, x.GFLOPS/top
	}
	return r
}

// gemmBytes is the least global-memory traffic of a GEMM (m×k)·(k×n) in
// elements of e bytes: each operand read once, the product written once.
func gemmBytes(m, n, k int, prec string) float64 {
	return elemBytes(prec) * (float64(m)*float64(k) + float64(k)*float64(n) + float64(m)*float64(n))
}

func elemBytes(prec string) float64 {
	if prec == "float32" {
		return 4
	}
	return 8
}

// iterBytes is the modelled global-memory traffic of one iteration of w,
// in precision prec. Dense X: the least traffic of the two factor updates
// — X read once per update, and per update the factor, its numerator and
// its denominator product read and the factor written (4(l+n)k elements
// in all). Sparse X (CSR with 4-byte column indices and 8-byte row
// pointers, as the OpenCL backend stores it, and its transpose for the H
// update): per update every nonzero's value and column index and the row
// pointers (l+1 for W's update, n+1 for H's), and, per nonzero, the row
// of W and the column of H it combines (2k elements) — what an
// implementation without cache reuse of the factors moves, the bound the
// sparse target is read against (reuse from caches can put a kernel above
// it) — plus the factors as for dense X.
func iterBytes(w iterWork, nnz int, prec string) float64 {
	e := elemBytes(prec)
	l, n, k := float64(w.l), float64(w.n), float64(w.k)
	factors := e * 4 * (l + n) * k
	if w.data == "sparse" {
		s := float64(nnz)
		return 2*((e+4)*s+e*2*k*s) + 8*(l+1) + 8*(n+1) + factors
	}
	return 2*e*l*n + factors
}
