package main

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/clnmf/clnmf/gpu"
	"github.com/clnmf/clnmf/nmf"
)

// TestReportProfile checks report.json's device.profile: the OpenCL
// profile that ran, as CLNMF_OPENCL_PROFILE forces it, and none for the
// host CPU backend.
func TestReportProfile(t *testing.T) {
	dir := t.TempDir()
	in := filepath.Join(dir, "x.csv")
	if err := os.WriteFile(in, []byte("1,2,3\n4,5,6\n7,8,0\n0,1,2\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "host.nmf")
	mustRun(t, "fit", "-k", "2", "--max-iter", "3", "--device", "cpu", "-q", "--out", out, in)
	if rep, m := loadReport(t, out); rep.Device.Profile != "" || m["device"].(map[string]any)["profile"] != nil {
		t.Errorf("host CPU backend: profile %q, want none", rep.Device.Profile)
	}
	if b, _, err := nmf.OpenDevice("opencl", 0); err != nil {
		if os.Getenv("CI") != "true" {
			t.Skipf("no OpenCL device: %v", err)
		}
		t.Fatal(err)
	} else {
		b.Close()
	}
	for _, prof := range []string{"gpu", "cpu"} {
		t.Setenv(gpu.EnvProfile, prof)
		out := filepath.Join(dir, "opencl-"+prof+".nmf")
		mustRun(t, "fit", "-k", "2", "--max-iter", "3", "--device", "opencl", "-q", "--out", out, in)
		if rep, _ := loadReport(t, out); rep.Device.Profile != prof {
			t.Errorf("%s=%s: report.json device.profile %q", gpu.EnvProfile, prof, rep.Device.Profile)
		}
	}
}
