package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/clnmf/clnmf/nmf/nmfio"
)

// mpiRun starts this test binary as nmf with np ranks under a launcher.
type mpiRun func(ctx context.Context, np int, dir string, args ...string) *exec.Cmd

// mpirunFor returns an mpiRun under Open MPI's mpirun; it skips where
// mpirun is absent, except under CI (.ci/setup installs Open MPI).
func mpirunFor(t *testing.T) mpiRun {
	return launcherFor(t, "mpirun", "openmpi-bin libopenmpi3", "--allow-run-as-root", "--oversubscribe", "-x", "NMF_TEST_MAIN=1")
}

// mpichFor returns an mpiRun under MPICH's mpiexec.mpich (Hydra), as
// mpirunFor does (.ci/setup installs mpich beside Open MPI).
func mpichFor(t *testing.T) mpiRun {
	return launcherFor(t, "mpiexec.mpich", "mpich")
}

func launcherFor(t *testing.T, name, pkgs string, flags ...string) mpiRun {
	t.Helper()
	if testing.Short() {
		t.Skip("starts " + name)
	}
	path, err := exec.LookPath(name)
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("%s not found under CI: .ci/setup installs %s", name, pkgs)
		}
		t.Skipf("%s not found (apt-get install %s): skipping", name, pkgs)
	}
	exe, err := os.Executable()
	if err != nil {
		t.Skip(err)
	}
	return func(ctx context.Context, np int, dir string, args ...string) *exec.Cmd {
		a := append(slices.Clone(flags), "-np", fmt.Sprint(np), exe)
		c := exec.CommandContext(ctx, path, append(a, args...)...)
		c.Env = append(os.Environ(), "NMF_TEST_MAIN=1", "OMPI_MCA_rmaps_base_oversubscribe=1")
		c.Dir = dir
		return c
	}
}

// TestDistributedMPICH runs golden cases under MPICH's mpiexec.mpich -np 2
// (MPICH's ABI: integer handles) in one job, as TestDistributedGolden does.
func TestDistributedMPICH(t *testing.T) {
	run := mpichFor(t)
	var fits []goldenFit
	for _, f := range goldenFits(t) {
		if slices.Contains([]string{"mu_kl_reg", "cd_fro_f32", "mu_kl_sparse/mtx", "seeded_fit_mu_fro", "seeded_nndsvdar_wide"}, f.name) {
			fits = append(fits, f)
		}
	}
	if len(fits) != 5 {
		t.Fatalf("%d of the 5 golden cases", len(fits))
	}
	checkFitsUnder(t, run, "MPICH", "cpu", []int{2}, fits)
}

// distCase is a fit to run under mpirun and in one process.
type distCase struct {
	name string
	args []string // nmf fit INPUT ...: every path absolute
	tol  float64  // W's and H's difference, relative to their largest entry
}

// checkRanks fits c on np ranks, X shared by side (--panels; "" for the
// default), and checks it against the one-process fit in one: n_iter, W
// and H, report.json's distributed object and the ABI.
func checkRanks(t *testing.T, run mpiRun, np int, c distCase, one, abi, side string) {
	t.Helper()
	what := fmt.Sprintf("-np %d --panels %q", np, side)
	out := filepath.Join(filepath.Dir(one), fmt.Sprintf("np%d%s.nmf", np, side))
	args := append(slices.Clip(c.args), "--out", out, "--distributed", "mpi")
	if side != "" {
		args = append(args, "--panels", side)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	b, err := run(ctx, np, filepath.Dir(one), args...).CombinedOutput()
	if err != nil {
		t.Fatalf("%s: %v\n%s", what, err, b)
	}
	r1, _ := loadReport(t, one)
	r, raw := loadReport(t, out)
	if r.NIter != r1.NIter {
		t.Errorf("%s: n_iter %d, one process %d", what, r.NIter, r1.NIter)
	}
	l, n := readMatrix(t, filepath.Join(one, "W.npy")).rows, readMatrix(t, filepath.Join(one, "H.npy")).cols
	if side == "" {
		side = "rows"
		if isDir(c.args[1]) || !strings.HasSuffix(c.args[1], ".mtx") && n > l {
			side = "columns"
		}
	}
	d := r.Distributed
	if d == nil || d.ABI != abi || !d.sharedAs(np, side, l, n) {
		js, _ := json.Marshal(raw["distributed"])
		t.Errorf("%s: distributed %s", what, js)
	}
	if strings.HasSuffix(c.args[1], ".mtx") {
		checkEntries(t, np, d.Entries, r1.Input.NNZ)
	}
	sameFactors(t, what, one, out, c.tol)
}

// sharedAs says d is the report of an MPI fit on np ranks sharing an l×n X
// by side ("rows" or "columns"), every rank's part listed.
func (d *distributedReport) sharedAs(np int, side string, l, n int) bool {
	parts, span, other := d.Rows, l, d.Columns
	if side == "columns" {
		parts, span, other = d.Columns, n, d.Rows
	}
	return d.Engine == "mpi" && d.Ranks == np && d.Along == side && len(parts) == np && other == nil &&
		len(d.CommSeconds) == np && parts[0][0] == 0 && parts[np-1][1] == span
}

// checkEntries checks that each rank of a .mtx fit held only its rows'
// entries: some, fewer than all, summing to the whole X's.
func checkEntries(t *testing.T, np int, entries []int64, total int) {
	t.Helper()
	sum := int64(0)
	for _, e := range entries {
		if e <= 0 || e >= int64(total) {
			t.Errorf("-np %d: ranks' entries %v of %d", np, entries, total)
		}
		sum += e
	}
	if len(entries) != np || sum != int64(total) {
		t.Errorf("-np %d: ranks' entries %v, want %d summing to %d", np, entries, np, total)
	}
}

// TestDistributedFailingRank fits an X whose NaN lies in the last rank's
// rows only: that rank fails, reports its error and aborts the job; mpirun
// ends (no hang) with a failure status and the rank's error. mpirun runs
// as a launcher that leaves the job running when one process exits
// non-zero (orte_abort_on_non_zero_status off, as srun without
// --kill-on-bad-exit): the other ranks, waiting in a sum, end only
// through the failing rank's MPI_Abort — a rank that merely exits leaves
// them hanging, and the test fails on its deadline.
func TestDistributedFailingRank(t *testing.T) {
	run := mpirunFor(t)
	dir := t.TempDir()
	const l, n, k = 30, 8, 2
	x := make([]float64, l*n)
	for i := range x {
		x[i] = float64(1 + i%7)
	}
	x[(l-2)*n+3] = math.NaN()
	w0, h0 := make([]float64, l*k), make([]float64, k*n)
	for i := range w0 {
		w0[i] = 1
	}
	for i := range h0 {
		h0[i] = 1
	}
	for name, m := range map[string]struct {
		r, c int
		v    []float64
	}{"x.npy": {l, n, x}, "w0.npy": {l, k, w0}, "h0.npy": {k, n, h0}} {
		if err := nmfio.WriteNPY(filepath.Join(dir, name), m.r, m.c, m.v); err != nil {
			t.Fatal(err)
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	cmd := run(ctx, 3, dir, "fit", "x.npy", "-k", "2", "--w0", "w0.npy", "--h0", "h0.npy", "--device", "cpu", "--distributed", "mpi", "--out", "out.nmf")
	cmd.Env = append(cmd.Env, "OMPI_MCA_orte_abort_on_non_zero_status=0")
	var buf bytes.Buffer
	cmd.Stdout, cmd.Stderr = &buf, &buf
	err := cmd.Run()
	if ctx.Err() != nil {
		t.Fatalf("the job hung: %s", buf.String())
	}
	if err == nil {
		t.Fatalf("the job succeeded:\n%s", buf.String())
	}
	if s := buf.String(); !strings.Contains(s, "rank 2 of 3") || !strings.Contains(strings.ToLower(s), "nan") {
		t.Errorf("the job's output lacks rank 2's error:\n%s", s)
	}
	if _, err := os.Stat(filepath.Join(dir, "out.nmf")); err == nil {
		t.Error("a failed job wrote --out")
	}
}

// TestDistributedWithoutMPI: --distributed mpi where no MPI library loads
// is one clear error naming what to install.
func TestDistributedWithoutMPI(t *testing.T) {
	t.Setenv("CLNMF_MPI_LIB", "/nonexistent/libmpi.so")
	dir := t.TempDir()
	if err := nmfio.WriteNPY(filepath.Join(dir, "x.npy"), 2, 2, []float64{1, 2, 3, 4}); err != nil {
		t.Fatal(err)
	}
	if err := nmfio.WriteNPY(filepath.Join(dir, "w.npy"), 2, 1, []float64{1, 1}); err != nil {
		t.Fatal(err)
	}
	if err := nmfio.WriteNPY(filepath.Join(dir, "h.npy"), 1, 2, []float64{1, 1}); err != nil {
		t.Fatal(err)
	}
	r := nmfRun(context.Background(), "fit", filepath.Join(dir, "x.npy"), "--w0", filepath.Join(dir, "w.npy"), "--h0", filepath.Join(dir, "h.npy"), "--distributed", "mpi", "--out", filepath.Join(dir, "o.nmf"))
	if r.code != 1 || !strings.Contains(r.stderr, "openmpi-bin") {
		t.Errorf("exit %d, stderr %q: want one error naming openmpi-bin", r.code, r.stderr)
	}
	r = nmfRun(context.Background(), "fit", "x.npy", "--distributed", "tcp")
	if r.code != 2 || !strings.Contains(r.stderr, "--distributed") {
		t.Errorf("--distributed tcp: exit %d, stderr %q", r.code, r.stderr)
	}
}

// TestDistributedDevices runs golden cases under mpirun -np 2 with
// --device opencl,cpu: rank 0 (local rank 0) fits its rows on the OpenCL
// device, rank 1 on the CPU; the fit equals the one-process CPU fit
// (n_iter exactly, golden tolerances), and rank 0 reports the OpenCL device.
func TestDistributedDevices(t *testing.T) {
	run := mpirunFor(t)
	needOpenCL(t)
	for _, name := range []string{"mu_kl", "cd_fro"} {
		t.Run(name, func(t *testing.T) {
			dir := t.TempDir()
			g, _ := filepath.Abs(filepath.Join("../../testdata/golden", name))
			loss := map[string]string{"mu_kl": "kl", "cd_fro": "frobenius"}[name]
			args := []string{"fit", filepath.Join(g, "X.npy"), "-k", "5", "--w0", filepath.Join(g, "W0.npy"), "--h0", filepath.Join(g, "H0.npy"),
				"--loss", loss, "--tol", "0", "--max-iter", "100", "-q"}
			one := filepath.Join(dir, "one.nmf")
			mustRun(t, append(args, "--out", one, "--device", "cpu")...)
			out := filepath.Join(dir, "two.nmf")
			ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
			defer cancel()
			b, err := run(ctx, 2, dir, append(args, "--out", out, "--device", "opencl,cpu", "--distributed", "mpi")...).CombinedOutput()
			if err != nil {
				t.Fatalf("%v\n%s", err, b)
			}
			r1, _ := loadReport(t, one)
			r, _ := loadReport(t, out)
			if r.NIter != r1.NIter || r.Distributed == nil || r.Distributed.Ranks != 2 {
				t.Errorf("n_iter %d (one process %d), distributed %+v", r.NIter, r1.NIter, r.Distributed)
			}
			if r.Device.Name == r1.Device.Name || r.Device.Profile == "" {
				t.Errorf("rank 0 ran on %q (profile %q), want the OpenCL device", r.Device.Name, r.Device.Profile)
			}
			sameFactors(t, "-np 2 opencl,cpu", one, out, 1e-6)
		})
	}
}

// sameFactors checks the W.npy and H.npy of the fit in out against the
// one-process fit's in one: within tol relative to their largest entry
// (at least 1).
func sameFactors(t *testing.T, what, one, out string, tol float64) {
	t.Helper()
	for _, f := range []string{"W.npy", "H.npy"} {
		a, b := readMatrix(t, filepath.Join(one, f)), readMatrix(t, filepath.Join(out, f))
		if diff := maxDiff(t, a, b); !(diff <= tol*math.Max(1, a.maxAbs())) { // NaN fails
			t.Errorf("%s: %s differs from one process by %g", what, f, diff)
		}
	}
}
