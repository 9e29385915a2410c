package main

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/clnmf/clnmf/nmf/mpi"
	"github.com/clnmf/clnmf/nmf/nmftest"
)

// goldenFit is a golden case as an nmf fit command line.
type goldenFit struct {
	name   string // the case's name, "/mtx" added for a sparse case's .mtx
	dir    string // the case's folder
	args   []string
	sparse bool // X is the case's .mtx: shared by rows only
	tol    float64
	expect struct {
		W, H              string
		NIter             *int    `json:"n_iter"` // nil for an init case
		ReconstructionErr float64 `json:"reconstruction_err"`
	}
}

// goldenFits lists every golden fit and init case the command can run
// under --distributed mpi, as fit command lines (every path absolute,
// without --device and --out): the solver cases of testdata/golden and
// of its seeded/ folder (every loss family, mu and cd, float32 and
// float64, penalties, tolerance stops, the inits and CD's shuffle), the
// sparse ones both from their dense .npy and from their .mtx, and the
// seeded init cases as fits of no iterations (W and H are the init). Left
// out: the top folder's nndsvd* cases, made with the exact SVD (--svd
// exact needs X whole: refused under MPI), the divergence case, and
// MiniBatchNMF (not distributed).
func goldenFits(t *testing.T) []goldenFit {
	t.Helper()
	var out []goldenFit
	for _, set := range []string{"../../testdata/golden", "../../testdata/golden/seeded"} {
		cases, err := nmftest.Cases(set)
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range cases {
			if (c.Kind != "" && c.Kind != "init") || (c.SVD != "randomized" && strings.HasPrefix(c.Init, "nndsvd")) {
				continue
			}
			dir, err := filepath.Abs(filepath.Join(set, c.Name))
			if err != nil {
				t.Fatal(err)
			}
			f := goldenFit{name: c.Name, dir: dir, tol: 1e-6}
			if c.Dtype == "float32" {
				f.tol = 1e-3
			}
			if err := json.Unmarshal(c.Expect, &f.expect); err != nil {
				t.Fatalf("%s: expect: %v", c.Name, err)
			}
			f.args = append([]string{"fit", filepath.Join(dir, c.X)}, caseFlags(c, dir)...)
			out = append(out, f)
			if c.XMtx != "" {
				m := f
				m.name, m.sparse = c.Name+"/mtx", true
				m.args = slices.Clone(f.args)
				m.args[1] = filepath.Join(dir, c.XMtx)
				out = append(out, m)
			}
		}
	}
	if len(out) < 40 {
		t.Fatalf("%d golden fits: the golden folders lack cases", len(out))
	}
	return out
}

// caseFlags are the fit flags of golden case c (in dir).
func caseFlags(c *nmftest.Case, dir string) []string {
	args := []string{"-k", fmt.Sprint(c.Rank), "-q"}
	if c.W0 != "" {
		args = append(args, "--w0", filepath.Join(dir, c.W0), "--h0", filepath.Join(dir, c.H0))
	} else {
		args = append(args, "--init", c.Init, "--seed", fmt.Sprint(*c.RandomState))
	}
	if c.Kind == "init" { // the init alone
		return append(args, "--max-iter", "0")
	}
	args = append(args, "--solver", c.Solver, "--loss", fmt.Sprint(c.BetaLoss), "--tol", fmt.Sprint(c.Tol), "--max-iter", fmt.Sprint(c.MaxIter),
		"--alpha-w", fmt.Sprint(c.AlphaW), "--alpha-h", strings.Trim(string(c.AlphaH), `"`), "--l1-ratio", fmt.Sprint(c.L1Ratio))
	if c.Shuffle {
		args = append(args, "--shuffle")
	}
	return args
}

// sides are the partitions a fit of f runs under: a .mtx by rows, a dense
// .npy by rows and by columns.
func (f goldenFit) sides() []string {
	if f.sparse {
		return []string{"rows"}
	}
	return []string{"rows", "columns"}
}

// TestDistributedGolden runs the golden suite (goldenFits) under mpirun
// --allow-run-as-root --oversubscribe -np 2 and -np 3, X shared by rows
// and (dense X) by columns, on the CPU backend and on the OpenCL device
// (PoCL here): each is one mpirun job whose ranks run every fit in turn
// (runFitList; no pictures). Every fit equals scikit-learn (n_iter exactly; W, H and
// the error within the golden tolerances) and the one-process fit of the
// same command on the same device (n_iter exactly, W and H within the
// tolerances), and report.json names the ranks' parts.
func TestDistributedGolden(t *testing.T) {
	run := mpirunFor(t)
	fits := goldenFits(t)
	for _, device := range []string{"cpu", "opencl"} {
		t.Run(device, func(t *testing.T) {
			if device == "opencl" {
				needOpenCL(t)
			}
			checkFitsUnder(t, run, "Open MPI", device, []int{2, 3}, fits)
		})
	}
}

// checkFitsUnder fits each of fits on device in one process and, for
// each np, under one job of run on np ranks along each of the fit's
// sides, then checks every distributed fit (checkGoldenFit).
func checkFitsUnder(t *testing.T, run mpiRun, abi, device string, nps []int, fits []goldenFit) {
	t.Helper()
	dir := t.TempDir()
	out := func(i int, what string) string { return filepath.Join(dir, fmt.Sprintf("%02d-%s.nmf", i, what)) }
	t0 := time.Now()
	ctx := context.WithValue(context.Background(), noPicturesKey{}, true)
	for i, f := range fits {
		args := append(slices.Clip(f.args), "--device", device, "--out", out(i, "one"))
		if r := nmfRun(ctx, args...); r.code != 0 {
			t.Fatalf("nmf %s: exit %d\n%s", strings.Join(args, " "), r.code, r.stderr)
		}
	}
	t.Logf("%d one-process fits on %s: %.1f s", len(fits), device, time.Since(t0).Seconds())
	for _, np := range nps {
		var lines [][]string
		for i, f := range fits {
			for _, side := range f.sides() {
				lines = append(lines, append(slices.Clip(f.args), "--device", device, "--distributed", "mpi", "--panels", side,
					"--out", out(i, fmt.Sprintf("np%d-%s", np, side))))
			}
		}
		list := filepath.Join(dir, fmt.Sprintf("fits-np%d.json", np))
		b, err := json.Marshal(lines)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(list, b, 0o644); err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
		cmd := run(ctx, np, dir)
		cmd.Env = append(cmd.Env, "NMF_TEST_MPI_FITS="+list)
		t0 := time.Now()
		b, err = cmd.CombinedOutput()
		cancel()
		if err != nil {
			t.Fatalf("-np %d on %s: %d fits in one job: %v\n%s", np, device, len(lines), err, b)
		}
		t.Logf("-np %d on %s: %d fits in one job: %.1f s", np, device, len(lines), time.Since(t0).Seconds())
	}
	for i, f := range fits {
		t.Run(f.name, func(t *testing.T) {
			for _, np := range nps {
				for _, side := range f.sides() {
					checkGoldenFit(t, f, np, side, abi, device, out(i, "one"), out(i, fmt.Sprintf("np%d-%s", np, side)))
				}
			}
		})
	}
}

// checkGoldenFit checks the fit of f on np ranks along side (in out)
// against scikit-learn and against the one-process fit (in one).
func checkGoldenFit(t *testing.T, f goldenFit, np int, side, abi, device, one, out string) {
	t.Helper()
	what := fmt.Sprintf("-np %d --panels %s --device %s", np, side, device)
	r1, _ := loadReport(t, one)
	r, raw := loadReport(t, out)
	if r.NIter != r1.NIter {
		t.Errorf("%s: n_iter %d, one process %d", what, r.NIter, r1.NIter)
	}
	if e := f.expect.NIter; e != nil && r.NIter != *e {
		t.Errorf("%s: n_iter %d, scikit-learn %d", what, r.NIter, *e)
	}
	if e := f.expect.ReconstructionErr; e != 0 && math.Abs(r.ReconstructionErr-e) > f.tol*e {
		t.Errorf("%s: reconstruction_err %v, scikit-learn %v", what, r.ReconstructionErr, e)
	}
	for _, m := range []struct{ got, want string }{{"W.npy", f.expect.W}, {"H.npy", f.expect.H}} {
		got, want := readMatrix(t, filepath.Join(out, m.got)), readMatrix(t, filepath.Join(f.dir, m.want))
		scale := want.maxAbs()
		// !(d <= tol): a NaN difference (or an all-zero reference against a
		// nonzero result) fails instead of passing every comparison.
		if d := maxDiff(t, got, want) / math.Max(scale, math.SmallestNonzeroFloat64); !(d <= f.tol) {
			t.Errorf("%s: %s differs from scikit-learn's by %.3g relative (tolerance %g)", what, m.got, d, f.tol)
		}
	}
	sameFactors(t, what, one, out, f.tol)
	l, n := readMatrix(t, filepath.Join(one, "W.npy")).rows, readMatrix(t, filepath.Join(one, "H.npy")).cols
	if d := r.Distributed; d == nil || d.ABI != abi || !d.sharedAs(np, side, l, n) {
		js, _ := json.Marshal(raw["distributed"])
		t.Errorf("%s: distributed %s", what, js)
	}
	if f.sparse {
		checkEntries(t, np, r.Distributed.Entries, r1.Input.NNZ)
	}
	if device == "opencl" && (r.Device.Profile == "" || r.Device.Name != r1.Device.Name) {
		t.Errorf("%s: rank 0 ran on %q (profile %q), the one-process fit on %q", what, r.Device.Name, r.Device.Profile, r1.Device.Name)
	}
}

// runFitList is the test binary as every rank of one mpirun job that runs
// many fits (NMF_TEST_MPI_FITS names a JSON list of nmf command lines):
// one after the other in this process, MPI initialised once — the list
// holds it open (mpi.Open counts; each fit's Finalize leaves it up). A fit
// that fails aborts the job (the command's own MPI_Abort, or this one's
// for an error before MPI is up), so the job ends with its error.
func runFitList(path string) int {
	b, err := os.ReadFile(path)
	var fits [][]string
	if err == nil {
		err = json.Unmarshal(b, &fits)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "NMF_TEST_MPI_FITS:", err)
		return 2
	}
	c, err := mpi.Open()
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	ctx := context.WithValue(context.Background(), noPicturesKey{}, true)
	for _, args := range fits {
		if err := run(ctx, args, os.Stdout, os.Stderr); err != nil {
			fmt.Fprintf(os.Stderr, "rank %d: nmf %s: %v\n", c.Rank(), strings.Join(args, " "), err)
			c.Abort(exitCode(err))
			return exitCode(err)
		}
	}
	if err := c.Finalize(); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	return 0
}
