package bench

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"
)

func TestParseArgs(t *testing.T) {
	c, err := ParseArgs(nil)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(c.Devices, ",") != "cpu,opencl" || strings.Join(c.Precisions, ",") != "float32,float64" || c.Repeats != 3 || c.Warmup != 1 || c.Rounds != 3 || c.Python != "/usr/bin/python3" {
		t.Errorf("defaults: %+v", c)
	}
	c, err = ParseArgs([]string{"--device", "cpu,opencl:0:0", "--precision", "float32", "--json", "--compare", "--quick", "--repeats", "5", "--warmup", "2", "--rounds", "4"})
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(c.Devices, ",") != "cpu,opencl:0:0" || len(c.Precisions) != 1 || c.Precisions[0] != "float32" || !c.JSON || !c.Compare || !c.Quick || c.Repeats != 5 || c.Warmup != 2 || c.Rounds != 4 {
		t.Errorf("parsed: %+v", c)
	}
	for _, bad := range [][]string{
		{"--device", "tpu"}, {"--precision", "half"}, {"--repeats", "0"}, {"--warmup", "0"}, {"--rounds", "0"},
		{"--repeats", "9"}, {"--json", "--markdown"}, {"extra"}, {"--nope"}, {"--device", ""},
	} {
		_, err := ParseArgs(bad)
		var ue *UsageError
		if !errors.As(err, &ue) {
			t.Errorf("%q: got %v, want a UsageError", bad, err)
		}
	}
}

func quick(t *testing.T, format string) string {
	t.Helper()
	var out, log bytes.Buffer
	args := []string{"--quick", "--device", "cpu", "--precision", "float32", "--repeats", "1"}
	if format != "" {
		args = append(args, format)
	}
	if err := Run(context.Background(), args, &out, &log); err != nil {
		t.Fatalf("Run: %v\n%s", err, log.String())
	}
	return out.String()
}

func TestQuickTable(t *testing.T) {
	out := quick(t, "")
	for _, want := range []string{"workload", "ms/iter", "GFLOP/s", "GEMM 128² square", "mu Frobenius", "mu KL", "mu IS", "mu β=1.5", "cd", "mu KL sparse", "mu IS audio", "growth mu Frobenius", "init nndsvda"} {
		if !strings.Contains(out, want) {
			t.Errorf("table lacks %q:\n%s", want, out)
		}
	}
}

func TestQuickJSON(t *testing.T) {
	out := quick(t, "--json")
	var rep struct {
		Command string `json:"command"`
		Machine struct {
			CPU   string `json:"cpu"`
			Cores int    `json:"cores"`
		} `json:"machine"`
		Rows []map[string]any `json:"rows"`
	}
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	if rep.Machine.Cores < 1 || rep.Command == "" || len(rep.Rows) == 0 {
		t.Fatalf("report: %+v", rep)
	}
	kinds := map[string]int{}
	for _, r := range rep.Rows {
		for _, f := range []string{"kind", "workload", "device", "precision", "ms_per_iter", "gflops", "frac_gemm", "flops", "repeats"} {
			if _, ok := r[f]; !ok {
				t.Errorf("row %v lacks %q", r["workload"], f)
			}
		}
		if n, _ := r["note"].(string); n != "" {
			t.Errorf("row %v failed: %s", r["workload"], n)
		}
		kinds[r["kind"].(string)]++
		if r["kind"] != "gemm" && r["kind"] != "scaling" {
			if _, ok := r["device_bytes"]; !ok {
				t.Errorf("row %v lacks device_bytes", r["workload"])
			}
		}
		if r["ms_per_iter"].(float64) <= 0 {
			t.Errorf("row %v: ms_per_iter %v", r["workload"], r["ms_per_iter"])
		}
	}
	if kinds["gemm"] != 4 || kinds["iteration"] != 8 || kinds["growth"] != 4 || kinds["init"] != 1 || kinds["fit"] != 0 || kinds["scaling"] != 1 {
		t.Errorf("rows by kind: %v", kinds)
	}
}

func TestQuickMarkdown(t *testing.T) {
	out := quick(t, "--markdown")
	for _, want := range []string{"# Benchmarks", "## Machine", "## Targets", "## Growth", "## Initialisation and whole fits", "nmf bench --quick"} {
		if !strings.Contains(out, want) {
			t.Errorf("markdown lacks %q", want)
		}
	}
}

func TestTuneArgs(t *testing.T) {
	c, err := ParseArgs([]string{"--tune", "--device", "opencl", "--quick"})
	if err != nil || !c.Tune {
		t.Fatalf("--tune: %+v, %v", c, err)
	}
	// Without an OpenCL device among --device, --tune is a usage error.
	err = Tune(context.Background(), &Config{Devices: []string{"cpu"}, Precisions: []string{"float32"}, Repeats: 1, Warmup: 1}, &bytes.Buffer{}, &bytes.Buffer{})
	var ue *UsageError
	if !errors.As(err, &ue) {
		t.Errorf("--tune --device cpu: %v, want a UsageError", err)
	}
}
