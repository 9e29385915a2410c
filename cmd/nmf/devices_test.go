package main

import (
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/clnmf/clnmf/nmf"
)

// TestDevices lists the devices of this machine, and checks the table and
// the JSON against a made-up list with a GPU that lacks float64.
func TestDevices(t *testing.T) {
	r := mustRun(t, "devices")
	if !strings.HasPrefix(r.stdout, "SPEC ") || !strings.Contains(r.stdout, "\ncpu ") {
		t.Errorf("devices: %q", r.stdout)
	}
	t.Log("\n" + r.stdout)

	defer func(f func() ([]nmf.Device, error)) { devicesList = f }(devicesList)
	devicesList = func() ([]nmf.Device, error) {
		return []nmf.Device{
			{Spec: "cpu", Name: "cpu (gonum)", Type: "CPU (host)", FP64: true},
			{Spec: "opencl:0:0", Name: "Little GPU", Platform: "Vendor CL", Type: "GPU", GlobalMem: 3 << 30, MaxAlloc: 768 << 20, ComputeUnits: 8, Auto: true},
			{Spec: "opencl:1:0", Name: "Some CPU", Platform: "PoCL", Type: "CPU", GlobalMem: 1536, MaxAlloc: 1000, ComputeUnits: 2, FP64: true},
		}, nil
	}
	r = mustRun(t, "devices")
	lines := strings.Split(strings.TrimSpace(r.stdout), "\n")
	if len(lines) != 4 {
		t.Fatalf("table %q", r.stdout)
	}
	for i, want := range [][]string{
		{"cpu ", "CPU (host)", "yes", "float64"},
		{"opencl:0:0 ", "GPU", "Little GPU", "Vendor CL", "3.0 GiB", "768.0 MiB", " 8 ", " no ", "float32"},
		{"opencl:1:0 ", "1.5 KiB", "1000 B", "yes", " -"},
	} {
		for _, w := range want {
			if !strings.Contains(lines[i+1], w) {
				t.Errorf("row %d %q lacks %q", i, lines[i+1], w)
			}
		}
	}
	r = mustRun(t, "devices", "--json")
	var got struct {
		Devices []struct {
			Spec        string
			Auto        bool
			AutoFloat64 bool
		} `json:"devices"`
	}
	if err := json.Unmarshal([]byte(r.stdout), &got); err != nil || len(got.Devices) != 3 || !got.Devices[1].Auto || !got.Devices[0].AutoFloat64 {
		t.Errorf("json %q: %v", r.stdout, err)
	}
	devicesList = func() ([]nmf.Device, error) {
		return []nmf.Device{{Spec: "cpu", Name: "cpu (gonum)", Type: "CPU (host)", FP64: true, Auto: true}}, errors.New("gpu: cl: no OpenCL library found")
	}
	r = mustRun(t, "devices")
	if !strings.Contains(r.stdout, "float32, float64") || !strings.Contains(r.stdout, "Only the CPU: gpu: cl: no OpenCL library found") {
		t.Errorf("without OpenCL: %q", r.stdout)
	}
}

// TestMainProcess runs the command as a process (this test binary, see
// TestMain): exit statuses, and Ctrl-C during a fit writing a checkpoint
// and exiting with 130.
func TestMainProcess(t *testing.T) {
	if testing.Short() || runtime.GOOS == "windows" {
		t.Skip("starts processes and sends them SIGINT")
	}
	exe, err := os.Executable()
	if err != nil {
		t.Skip(err)
	}
	dir := t.TempDir()
	command := func(args ...string) *exec.Cmd {
		c := exec.Command(exe, args...)
		c.Env = append(os.Environ(), "NMF_TEST_MAIN=1")
		c.Dir = dir
		return c
	}
	for _, c := range []struct {
		args []string
		code int
	}{{nil, 2}, {[]string{"--version"}, 0}, {[]string{"fit", "missing.npy"}, 1}, {[]string{"fit", "--tol"}, 2}} {
		err := command(c.args...).Run()
		code := 0
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			code = ee.ExitCode()
		} else if err != nil {
			t.Fatal(err)
		}
		if code != c.code {
			t.Errorf("nmf %q: exit %d, want %d", c.args, code, c.code)
		}
	}

	swimmer, _ := filepath.Abs(filepath.Join(samplesDir, "swimmer"))
	cmd := command("fit", "-v", "-k", "16", "--loss", "kl", "--tol", "0", "--max-iter", "100000", "--device", "cpu", "--out", "s.nmf", swimmer)
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	// Wait for the first progress line, then press Ctrl-C.
	buf := make([]byte, 4096)
	var seen strings.Builder
	deadline := time.Now().Add(30 * time.Second)
	for !strings.Contains(seen.String(), "iteration 10/") && time.Now().Before(deadline) {
		n, err := stderr.Read(buf)
		seen.Write(buf[:n])
		if err != nil {
			break
		}
	}
	if err := cmd.Process.Signal(syscall.SIGINT); err != nil {
		t.Fatal(err)
	}
	rest := make([]byte, 0, 1024)
	for {
		n, err := stderr.Read(buf)
		rest = append(rest, buf[:n]...)
		if err != nil {
			break
		}
	}
	err = cmd.Wait()
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.ExitCode() != 130 {
		t.Fatalf("after SIGINT: %v, stderr %s%s", err, seen.String(), rest)
	}
	if !strings.Contains(string(rest), "interrupted after iteration") {
		t.Errorf("stderr %q", rest)
	}
	rep, _ := loadReport(t, filepath.Join(dir, "s.nmf"))
	if !rep.Partial || rep.NIter < 10 {
		t.Errorf("checkpoint: partial %v, n_iter %d", rep.Partial, rep.NIter)
	}
}
