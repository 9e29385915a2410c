package main

import (
	"path/filepath"
	"strings"
	"testing"
)

// TestDeviceList fits on --device cpu,cpu (one fit on two CPU backends)
// and checks report.json's members — shares sized by the measured speed,
// with the probe's figures — and that W and H are the one-device fit's; the
// same with --panels columns and --device-weights 1,4 (report.json:
// panels_along, the members' columns split exactly 1:4, sized_by
// "weights"); a malformed list or weights are flag misuse.
func TestDeviceList(t *testing.T) {
	dir := t.TempDir()
	in := patternNPY(t, dir, 50, 30)
	one, two, cols := filepath.Join(dir, "one.nmf"), filepath.Join(dir, "two.nmf"), filepath.Join(dir, "cols.nmf")
	common := []string{"fit", in, "-k", "3", "--max-iter", "30", "-q"}
	mustRun(t, append(common, "--out", one, "--device", "cpu")...)
	mustRun(t, append(common, "--out", two, "--device", "cpu, cpu")...)
	mustRun(t, append(common, "--out", cols, "--device", "cpu,cpu", "--panels", "columns", "--device-weights", "1, 4")...)
	r1, _ := loadReport(t, one)
	r2, _ := loadReport(t, two)
	r3, _ := loadReport(t, cols)
	m, mc := r2.Device.Members, r3.Device.Members
	if len(m) != 2 || m[0].Rows[0] != 0 || m[0].Rows[1] != m[1].Rows[0] || m[1].Rows[1] != 50 || r1.Device.Members != nil || r2.Device.PanelsAlong != "rows" {
		t.Errorf("--device cpu,cpu: members %+v along %q (one device: %+v), want rows 0–50 shared", m, r2.Device.PanelsAlong, r1.Device.Members)
	}
	for i, mr := range m {
		if s := mr.Speed; mr.SizedBy != "speed" || s == nil || s.Method != "probe" || s.PerSecond != mr.Weight || !(s.PerSecond > 0) || s.ProbeSize != 4 || s.ProbeIterations < 1 || !(s.ProbeSeconds > 0) {
			t.Errorf("--device cpu,cpu: member %d sized by %q, weight %g, speed %+v; want a probe of 4 rows", i, mr.SizedBy, mr.Weight, s)
		}
	}
	if len(mc) != 2 || mc[0].Rows != nil || *mc[0].Columns != [2]int{0, 6} || *mc[1].Columns != [2]int{6, 30} || r3.Device.PanelsAlong != "columns" ||
		mc[1].SizedBy != "weights" || mc[1].Weight != 4 || mc[1].Speed != nil {
		t.Errorf("--device cpu,cpu --panels columns --device-weights 1,4: members %+v along %q, want columns 0–6 and 6–30 by the weights", mc, r3.Device.PanelsAlong)
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
	for _, c := range [][2]string{{"cpu,cpu", "1"}, {"cpu,cpu", "1,2,3"}, {"cpu", "1"}, {"cpu,cpu", "1,0"}, {"cpu,cpu", "-1,1"}, {"cpu,cpu", "NaN,1"}, {"cpu,cpu", "inf,1"}, {"cpu,cpu", "1,x"}} {
		r := nmfRun(t.Context(), "fit", in, "-k", "3", "--device", c[0], "--device-weights", c[1])
		if first, _, _ := strings.Cut(r.stderr, "\n"); r.code != 2 || !strings.HasPrefix(first, "nmf fit: --device-weights") {
			t.Errorf("--device %s --device-weights %s: exit %d, stderr %q; want flag misuse naming --device-weights", c[0], c[1], r.code, r.stderr)
		}
	}
	// all-gpus with a wrong count of weights: flag misuse, counted against
	// the GPUs found (two pretended ones here), not the library's
	// MemberWeights error.
	saved := gpuSpecs
	gpuSpecs = func() ([]string, error) { return []string{"opencl:0:0", "opencl:0:1"}, nil }
	r := nmfRun(t.Context(), "fit", in, "-k", "3", "--device", "all-gpus", "--device-weights", "1,2,3")
	gpuSpecs = saved
	if first, _, _ := strings.Cut(r.stderr, "\n"); r.code != 2 || !strings.HasPrefix(first, "nmf fit: --device-weights") || !strings.Contains(first, "3 weights for the 2 GPUs") {
		t.Errorf("--device all-gpus (2 GPUs) --device-weights 1,2,3: exit %d, stderr %q; want flag misuse counting the GPUs", r.code, r.stderr)
	}
	// Under --distributed mpi each rank takes one device of the list, so the
	// weights are refused before MPI starts.
	r = nmfRun(t.Context(), "fit", in, "-k", "3", "--distributed", "mpi", "--device", "cpu,cpu", "--device-weights", "1,3")
	if first, _, _ := strings.Cut(r.stderr, "\n"); r.code != 2 || !strings.HasPrefix(first, "nmf fit: --device-weights") || !strings.Contains(first, "each rank takes one device") {
		t.Errorf("--distributed mpi --device cpu,cpu --device-weights 1,3: exit %d, stderr %q; want flag misuse naming --device-weights", r.code, r.stderr)
	}
}
