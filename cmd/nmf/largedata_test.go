package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/clnmf/clnmf/nmf"
	"github.com/clnmf/clnmf/nmf/nmfio"
)

func TestDeviceMemoryFlag(t *testing.T) {
	r := nmfRun(t.Context(), "fit", "x.npy", "--device-memory", "lots")
	if r.code != 2 || !strings.Contains(r.stderr, "--device-memory \"lots\"") {
		t.Errorf("--device-memory lots: exit %d, stderr %q", r.code, r.stderr)
	}
}

// TestDeviceMemoryStreams fits a float32 .npy on the OpenCL device capped by
// --device-memory so that X is streamed, and checks report.json's device
// object and that W and H are the resident fit's.
func TestDeviceMemoryStreams(t *testing.T) {
	needOpenCL(t)
	dir := t.TempDir()
	const l, n = 2000, 300
	in := patternNPY(t, dir, l, n)
	res, str := filepath.Join(dir, "r.nmf"), filepath.Join(dir, "s.nmf")
	common := []string{"fit", in, "-k", "3", "--loss", "kl", "--max-iter", "5", "--device", "opencl", "-q"}
	mustRun(t, append(common, "--out", res)...)
	mustRun(t, append(common, "--out", str, "--device-memory", "17MiB")...)
	rr, _ := loadReport(t, res)
	sr, raw := loadReport(t, str)
	if rr.Device.Streamed || rr.Device.Panels != 1 {
		t.Errorf("uncapped: %+v, want one resident panel", rr.Device)
	}
	d := sr.Device
	if !d.Streamed || d.Panels < 2 || d.BytesPerIteration != l*n*4 || d.BytesLoaded < 5*l*n*4 {
		t.Errorf("--device-memory 17MiB: %+v, want X streamed in panels, %d bytes per iteration", d, l*n*4)
	}
	if dev, _ := raw["device"].(map[string]any); dev["streamed"] != true {
		t.Errorf("report.json device object %v lacks \"streamed\": true", dev)
	}
	for _, f := range []string{"W.npy", "H.npy"} {
		if diff := maxDiff(t, readMatrix(t, filepath.Join(res, f)), readMatrix(t, filepath.Join(str, f))); diff > 1e-3 {
			t.Errorf("%s: streamed and resident fits differ by %g", f, diff)
		}
	}
}

// needOpenCL skips t where no OpenCL device is found, and fails it under
// CI, which installs PoCL.
func needOpenCL(t *testing.T) {
	t.Helper()
	if !haveOpenCL() {
		if os.Getenv("CI") == "true" {
			t.Fatal("no OpenCL device under CI")
		}
		t.Skip("no OpenCL device")
	}
}

func haveOpenCL() bool {
	list, _ := nmf.Devices()
	for _, d := range list {
		if strings.HasPrefix(d.Spec, "opencl") {
			return true
		}
	}
	return false
}

// patternNPY writes a float32 l×n .npy of a fixed positive pattern into dir.
func patternNPY(t *testing.T, dir string, l, n int) string {
	t.Helper()
	data := make([]float32, l*n)
	for i := range data {
		data[i] = float32(1+(i*7)%13) * float32(1+(i/n)%5)
	}
	in := filepath.Join(dir, "x.npy")
	if err := nmfio.WriteNPY(in, l, n, data); err != nil {
		t.Fatal(err)
	}
	return in
}
