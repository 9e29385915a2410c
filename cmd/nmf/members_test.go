package main

import (
	"path/filepath"
	"strings"
	"testing"
)

// TestDeviceList fits on --device cpu,cpu (one fit on two CPU backends) and
// checks report.json's members and that W and H are the one-device fit's;
// the same with --panels columns (report.json: panels_along, members'
// columns); a malformed list is flag misuse.
func TestDeviceList(t *testing.T) {
	dir := t.TempDir()
	in := patternNPY(t, dir, 50, 30)
	one, two, cols := filepath.Join(dir, "one.nmf"), filepath.Join(dir, "two.nmf"), filepath.Join(dir, "cols.nmf")
	common := []string{"fit", in, "-k", "3", "--max-iter", "30", "-q"}
	mustRun(t, append(common, "--out", one, "--device", "cpu")...)
	mustRun(t, append(common, "--out", two, "--device", "cpu, cpu")...)
	mustRun(t, append(common, "--out", cols, "--device", "cpu,cpu", "--panels", "columns")...)
	r1, _ := loadReport(t, one)
	r2, _ := loadReport(t, two)
	r3, _ := loadReport(t, cols)
	m, mc := r2.Device.Members, r3.Device.Members
	if len(m) != 2 || *m[0].Rows != [2]int{0, 25} || *m[1].Rows != [2]int{25, 50} || r1.Device.Members != nil || r2.Device.PanelsAlong != "rows" {
		t.Errorf("--device cpu,cpu: members %+v along %q (one device: %+v), want rows 0–25 and 25–50", m, r2.Device.PanelsAlong, r1.Device.Members)
	}
	if len(mc) != 2 || mc[0].Rows != nil || *mc[0].Columns != [2]int{0, 15} || *mc[1].Columns != [2]int{15, 30} || r3.Device.PanelsAlong != "columns" {
		t.Errorf("--device cpu,cpu --panels columns: members %+v along %q, want columns 0–15 and 15–30", mc, r3.Device.PanelsAlong)
	}
	for _, r := range []*runReport{r2, r3} {
		if r1.NIter != r.NIter {
			t.Errorf("n_iter %d on two devices, %d on one", r.NIter, r1.NIter)
		}
	}
	for _, f := range []string{"W.npy", "H.npy"} {
		for _, o := range []string{two, cols} {
			if diff := maxDiff(t, readMatrix(t, filepath.Join(one, f)), readMatrix(t, filepath.Join(o, f))); diff > 1e-4 {
				t.Errorf("%s: two devices (%s) and one differ by %g", f, o, diff)
			}
		}
	}
	if r := nmfRun(t.Context(), append(common, "--panels", "diagonal")...); r.code != 2 || !strings.Contains(r.stderr, "--panels") {
		t.Errorf("--panels diagonal: exit %d, stderr %q", r.code, r.stderr)
	}
	for _, bad := range []string{"cpu,", "auto,cpu", "opencl:0", "all-gpus,cpu"} {
		r := nmfRun(t.Context(), "fit", in, "--device", bad)
		if r.code != 2 || !strings.Contains(r.stderr, "--device") {
			t.Errorf("--device %q: exit %d, stderr %q", bad, r.code, r.stderr)
		}
	}
}
