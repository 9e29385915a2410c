package main

import (
	"path/filepath"
	"strings"
	"testing"
)

// TestDeviceList fits on --device cpu,cpu (one fit on two CPU backends) and
// checks report.json's members and that W and H are the one-device fit's;
// a malformed list is flag misuse.
func TestDeviceList(t *testing.T) {
	dir := t.TempDir()
	in := patternNPY(t, dir, 50, 30)
	one, two := filepath.Join(dir, "one.nmf"), filepath.Join(dir, "two.nmf")
	common := []string{"fit", in, "-k", "3", "--max-iter", "30", "-q"}
	mustRun(t, append(common, "--out", one, "--device", "cpu")...)
	mustRun(t, append(common, "--out", two, "--device", "cpu, cpu")...)
	r1, _ := loadReport(t, one)
	r2, _ := loadReport(t, two)
	m := r2.Device.Members
	if len(m) != 2 || m[0].Rows != [2]int{0, 25} || m[1].Rows != [2]int{25, 50} || r1.Device.Members != nil {
		t.Errorf("--device cpu,cpu: members %+v (one device: %+v), want rows 0–25 and 25–50", m, r1.Device.Members)
	}
	if r1.NIter != r2.NIter {
		t.Errorf("n_iter %d on two devices, %d on one", r2.NIter, r1.NIter)
	}
	for _, f := range []string{"W.npy", "H.npy"} {
		if diff := maxDiff(t, readMatrix(t, filepath.Join(one, f)), readMatrix(t, filepath.Join(two, f))); diff > 1e-4 {
			t.Errorf("%s: two devices and one differ by %g", f, diff)
		}
	}
	for _, bad := range []string{"cpu,", "auto,cpu", "opencl:0", "all-gpus,cpu"} {
		r := nmfRun(t.Context(), "fit", in, "--device", bad)
		if r.code != 2 || !strings.Contains(r.stderr, "--device") {
			t.Errorf("--device %q: exit %d, stderr %q", bad, r.code, r.stderr)
		}
	}
}
