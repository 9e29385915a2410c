package bench

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strings"
	"testing"

	"github.com/clnmf/clnmf/gpu/cl"
	"github.com/clnmf/clnmf/nmf"
	"github.com/clnmf/clnmf/nmf/backend"
)

func TestFlopsPerUnit(t *testing.T) {
	for _, c := range []struct {
		d    cl.Device
		want float64
		says string
	}{
		{cl.Device{Name: "NVIDIA H200", Vendor: "NVIDIA Corporation", Type: cl.DeviceGPU, ComputeCapabilityNV: [2]int{9, 0}}, 256, "compute capability 9.0"},
		{cl.Device{Name: "NVIDIA A100-SXM4-80GB", Vendor: "NVIDIA Corporation", Type: cl.DeviceGPU, ComputeCapabilityNV: [2]int{8, 0}}, 128, "64 FP32 lanes"},
		{cl.Device{Name: "NVIDIA GeForce RTX 3090", Vendor: "NVIDIA Corporation", Type: cl.DeviceGPU, ComputeCapabilityNV: [2]int{8, 6}}, 256, "8.6"},
		{cl.Device{Name: "Tesla V100", Vendor: "NVIDIA Corporation", Type: cl.DeviceGPU, ComputeCapabilityNV: [2]int{7, 0}}, 128, "7.0"},
		{cl.Device{Name: "NVIDIA something", Vendor: "NVIDIA Corporation", Type: cl.DeviceGPU}, 256, "not in the table"},
		{cl.Device{Name: "gfx90a", Vendor: "Advanced Micro Devices, Inc.", Type: cl.DeviceGPU}, 128, "AMD"},
		{cl.Device{Name: "Intel(R) Arc(TM) A770 Graphics", Vendor: "Intel(R) Corporation", Type: cl.DeviceGPU}, 16, "Intel GPU"},
		{cl.Device{Name: "Intel(R) Data Center GPU Max 1550", Vendor: "Intel(R) Corporation", Type: cl.DeviceGPU}, 32, "Max"},
		{cl.Device{Name: "Apple M2", Vendor: "Apple", Type: cl.DeviceGPU}, 256, "Apple"},
		{cl.Device{Name: "pthread-skylake-avx512-Intel(R) Xeon(R)", Vendor: "GenuineIntel", Type: cl.DeviceCPU}, 64, "CPU device"},
		{cl.Device{Name: "pthread-haswell-AMD EPYC", Vendor: "AuthenticAMD", Type: cl.DeviceCPU}, 32, "CPU device"},
		{cl.Device{Name: "Mali-G78", Vendor: "ARM", Type: cl.DeviceGPU}, 128, "not in the table"},
	} {
		got, says := flopsPerUnit(&c.d)
		if got != c.want || !strings.Contains(says, c.says) {
			t.Errorf("%s (%s): %g, %q; want %g and %q", c.d.Name, c.d.Vendor, got, says, c.want, c.says)
		}
	}
}

func TestDeviceRoofPeak(t *testing.T) {
	h200 := &cl.Device{Name: "NVIDIA H200", Vendor: "NVIDIA Corporation", Type: cl.DeviceGPU, ComputeUnits: 132, ClockMHz: 1980, ComputeCapabilityNV: [2]int{9, 0}}
	// 132 SMs × 1.98 GHz × 256: the 67 TFLOP/s of the datasheet.
	r := newDeviceRoof("opencl:0:0", h200, &Config{})
	if math.Abs(r.PeakGFLOPS-66908.16) > 0.01 || r.Note != "" {
		t.Errorf("H200 peak %g GFLOP/s (%s)", r.PeakGFLOPS, r.Note)
	}
	r = newDeviceRoof("opencl:0:0", h200, &Config{FlopsPerCU: 128})
	if math.Abs(r.PeakGFLOPS-33454.08) > 0.01 || !strings.Contains(r.PeakSource, "--flops-per-cu") {
		t.Errorf("--flops-per-cu 128: %g (%s)", r.PeakGFLOPS, r.PeakSource)
	}
	r = newDeviceRoof("opencl:0:0", h200, &Config{FlopsPerCU: 128, PeakGFLOPS: 50000})
	if r.PeakGFLOPS != 50000 || !strings.Contains(r.PeakSource, "--peak-gflops") {
		t.Errorf("--peak-gflops 50000: %g (%s)", r.PeakGFLOPS, r.PeakSource)
	}
	r = newDeviceRoof("opencl:0:0", &cl.Device{Vendor: "NVIDIA Corporation", Type: cl.DeviceGPU, ComputeUnits: 132}, &Config{})
	if r.PeakGFLOPS != 0 || !strings.Contains(r.Note, "0 MHz") {
		t.Errorf("no clock: peak %g, note %q", r.PeakGFLOPS, r.Note)
	}
}

func TestRoof(t *testing.T) {
	d := &DeviceRoof{PeakGFLOPS: 1000, CopyGBps: 100} // ridge 10 flop/B
	if d.Ridge() != 10 {
		t.Fatalf("ridge %g", d.Ridge())
	}
	// 2e9 flops and 1e8 bytes in 4 ms: 500 GFLOP/s, 25 GB/s, 20 flop/B.
	x := &Row{Flops: 2e9, Bytes: 1e8, MsPerIter: 4, GFLOPS: 500}
	r := roof(x, d)
	if r.GBps != 25 || r.FracPeak != 0.5 || r.FracBW != 0.25 || r.Intensity != 20 || r.Bound != "compute" || r.FracRoof != 0.5 {
		t.Errorf("compute-bound row: %+v", r)
	}
	// 1e8 flops and 1e8 bytes: 1 flop/B, roof 100 GFLOP/s.
	x = &Row{Flops: 1e8, Bytes: 1e8, MsPerIter: 2, GFLOPS: 50}
	r = roof(x, d)
	if r.GBps != 50 || r.FracBW != 0.5 || r.Bound != "memory" || r.FracRoof != 0.5 {
		t.Errorf("memory-bound row: %+v", r)
	}
	if r := roof(&Row{Flops: 1, Bytes: 1}, d); r.GBps != 0 || r.Bound != "" {
		t.Errorf("unmeasured row: %+v", r)
	}
}

func TestTrafficModel(t *testing.T) {
	if got := gemmBytes(10, 20, 30, "float32"); got != 4*(300+600+200) {
		t.Errorf("gemmBytes float32 %g", got)
	}
	if got := gemmBytes(10, 20, 30, "float64"); got != 8*(300+600+200) {
		t.Errorf("gemmBytes float64 %g", got)
	}
	dense := iterWork{data: "dense", l: 100, n: 50, k: 4}
	if got := iterBytes(dense, 5000, "float32"); got != 2*4*5000+4*4*150*4 {
		t.Errorf("dense %g", got)
	}
	sp := iterWork{data: "sparse", l: 100, n: 50, k: 4}
	// per update: 7 nonzeros × (4 + 4) + 7 × 2·4 values × 4, and the row
	// pointers (× 8) of X's CSR (101, the W update) or of its transpose's
	// (51, the H update)
	want := 2*(7*8+7*8*4) + 101*8 + 51*8 + 4*4*150*4.0
	if got := iterBytes(sp, 7, "float32"); got != want {
		t.Errorf("sparse %g, want %g", got, want)
	}
}

func TestRooflineArgs(t *testing.T) {
	// the default size's X whatever this machine has (TestRooflineMemory)
	defer func(f func() (int64, bool)) { availableMemory = f }(availableMemory)
	availableMemory = func() (int64, bool) { return 1 << 40, true }
	c, err := ParseArgs([]string{"--roofline", "--device", "opencl", "--size", "1000", "--peak-gflops", "5000", "--flops-per-cu", "64"})
	if err != nil {
		t.Fatal(err)
	}
	if !c.Roofline || c.Size != 1000 || c.PeakGFLOPS != 5000 || c.FlopsPerCU != 64 || strings.Join(c.Precisions, ",") != "float32" {
		t.Errorf("parsed: %+v", c)
	}
	if c, err := ParseArgs([]string{"--roofline", "--precision", "both"}); err != nil || len(c.Precisions) != 2 {
		t.Errorf("--roofline --precision both: %+v, %v", c, err)
	}
	for _, bad := range [][]string{
		{"--size", "1000"}, {"--peak-gflops", "1"}, {"--flops-per-cu", "2"}, {"--roofline", "--tune"},
		{"--roofline", "--size", "8"}, {"--roofline", "--size", "0"}, {"--roofline", "--size", "60000"}, {"--roofline", "--peak-gflops", "-1"},
		{"--roofline", "--peak-gflops", "NaN"}, {"--roofline", "--flops-per-cu", "+Inf"},
	} {
		_, err := ParseArgs(bad)
		var ue *UsageError
		if !errors.As(err, &ue) {
			t.Errorf("%q: got %v, want a UsageError", bad, err)
		}
	}
}

// TestRooflineMemory checks that a --roofline size whose X does not fit in
// the memory available is refused before anything is generated, and that
// one that fits is not.
func TestRooflineMemory(t *testing.T) {
	defer func(f func() (int64, bool)) { availableMemory = f }(availableMemory)
	availableMemory = func() (int64, bool) { return 1 << 30, true }
	_, err := ParseArgs([]string{"--roofline", "--size", "20000"}) // 4.8 GB
	var ue *UsageError
	if !errors.As(err, &ue) || !strings.Contains(err.Error(), "--size") {
		t.Errorf("--size 20000 in 1 GiB: %v", err)
	}
	if _, err := ParseArgs([]string{"--roofline", "--size", "2000"}); err != nil { // 48 MB
		t.Errorf("--size 2000 in 1 GiB: %v", err)
	}
	if _, err := ParseArgs([]string{"--roofline"}); !errors.As(err, &ue) {
		t.Errorf("the default size in 1 GiB: %v", err)
	}
}

// TestRooflineWorkloads checks what --roofline runs and which rows get the
// issue's targets.
func TestRooflineWorkloads(t *testing.T) {
	c := &Config{Roofline: true}
	m := &measurer{c: c, s: c.sizes()}
	var got []string
	for _, w := range m.workloads() {
		got = append(got, fmt.Sprintf("%s %d×%d k=%d %s", w.name, w.l, w.n, w.k, w.data))
		for _, dev := range []string{"opencl:0:0", "cpu"} {
			row := &Row{Device: dev, Precision: "float32"}
			m.setRoofTargets(w, row)
			fill := w.l == 20000 || w.data == "sparse"
			if hasTarget := row.Roof != nil && row.Roof.Target > 0; hasTarget != (fill && dev != "cpu") {
				t.Errorf("%s on %s: roofline target %+v", got[len(got)-1], dev, row.Roof)
			}
		}
	}
	want := []string{
		"mu Frobenius 2000×2000 k=64 dense", "mu KL 2000×2000 k=64 dense", "cd 2000×2000 k=64 dense",
		"mu Frobenius 20000×20000 k=64 dense", "mu KL 20000×20000 k=64 dense", "cd 20000×20000 k=64 dense",
		"mu KL sparse 100000×50000 k=64 sparse",
	}
	if strings.Join(got, "; ") != strings.Join(want, "; ") {
		t.Errorf("workloads:\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if s := (&Config{Roofline: true, Quick: true}).sizes(); len(s.dense) != 1 || fillShape(s) != [3]int{400, 400, 64} {
		t.Errorf("--quick sizes: %+v", s)
	}
}

// TestRooflineQuick runs --roofline on the first OpenCL device (PoCL in
// CI) at a small size and checks the report's parts.
func TestRooflineQuick(t *testing.T) {
	be, _, err := nmf.OpenDevice("opencl", backend.Float32)
	if err != nil {
		t.Skipf("no OpenCL device: %v", err)
	}
	be.Close()
	args := []string{"--roofline", "--quick", "--size", "48", "--device", "opencl", "--repeats", "1", "--rounds", "1"}
	var out, log bytes.Buffer
	if err := Run(context.Background(), append(args, "--json"), &out, &log); err != nil {
		t.Fatalf("%v\n%s", err, log.String())
	}
	var rep Report
	if err := json.Unmarshal(out.Bytes(), &rep); err != nil {
		t.Fatal(err)
	}
	if len(rep.Roofs) != 1 || rep.Roofs[0].PeakGFLOPS <= 0 || rep.Roofs[0].CopyGBps <= 0 || rep.Roofs[0].ClockMHz <= 0 {
		t.Fatalf("rooflines: %+v", rep.Roofs)
	}
	targets := 0
	for _, x := range rep.Rows {
		if x.Note != "" || x.Roof == nil || x.Roof.GBps <= 0 || x.Roof.FracPeak <= 0 || x.Roof.Bound == "" {
			t.Errorf("row %s %s: note %q, roofline %+v", x.Workload, shape(x), x.Note, x.Roof)
		}
		if x.Roof != nil && x.Roof.Target > 0 {
			targets++
		}
	}
	if len(rep.Rows) != 8 || targets != 4 {
		t.Errorf("%d rows, %d with targets; want 8 and 4", len(rep.Rows), targets)
	}
	out.Reset()
	if err := Run(context.Background(), append(args, "--markdown"), &out, &log); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"## Device rooflines", "## Rows against the roofline", "## Targets", "≥50 % of the float32 peak | mu Frobenius 48×48 k=64", "≥30 % of the float32 peak | mu KL 48×48", "≥50 % of the bandwidth bound", "≥20× scikit-learn", "not measured", "peak: CPU device"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("markdown lacks %q:\n%s", want, out.String())
		}
	}
}
