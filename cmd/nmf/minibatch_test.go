package main

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/clnmf/clnmf/nmf"
	"github.com/clnmf/clnmf/nmf/nmfio"
	"github.com/clnmf/clnmf/nmf/nmftest"
)

const mbGolden = "../../testdata/golden/minibatch"

// mbFlags are the command-line flags of a golden minibatch case.
func mbFlags(c *nmftest.MBCase) []string {
	a := []string{"--device", "cpu", "-k", strconv.Itoa(c.Rank), "--loss", strconv.FormatFloat(c.BetaLoss, 'g', -1, 64),
		"--tol", strconv.FormatFloat(c.Tol, 'g', -1, 64), "--max-iter", strconv.Itoa(c.MaxIter),
		"--alpha-w", strconv.FormatFloat(c.AlphaW, 'g', -1, 64), "--l1-ratio", strconv.FormatFloat(c.L1Ratio, 'g', -1, 64),
		"--batch-size", strconv.Itoa(c.BatchSize), "--forget-factor", strconv.FormatFloat(c.ForgetFactor, 'g', -1, 64),
		"--fresh-restarts-max-iter", strconv.Itoa(c.FreshRestartsMaxIter), "--precision", c.Dtype, "-q"}
	var ah float64
	if json.Unmarshal(c.AlphaH, &ah) == nil {
		a = append(a, "--alpha-h", strconv.FormatFloat(ah, 'g', -1, 64))
	}
	if c.TransformMaxIter != nil {
		a = append(a, "--transform-max-iter", strconv.Itoa(*c.TransformMaxIter))
	}
	if c.Kind == "minibatch" {
		if c.FreshRestarts {
			a = append(a, "--fresh-restarts")
		}
		mni := "none"
		if c.MaxNoImprovement != nil {
			mni = strconv.Itoa(*c.MaxNoImprovement)
		}
		a = append(a, "--minibatch", "--max-no-improvement", mni)
	}
	return a
}

func mbTol(c *nmftest.MBCase) float64 {
	if c.Dtype == "float32" {
		return 1e-3
	}
	return 1e-6
}

func checkAgainst(t *testing.T, c *nmftest.MBCase, what, got, want string) {
	t.Helper()
	g, w := readMatrix(t, got), readMatrix(t, filepath.Join(c.Dir(), want))
	if g.rows != w.rows || g.cols != w.cols {
		t.Errorf("%s is %d×%d, scikit-learn's %d×%d", what, g.rows, g.cols, w.rows, w.cols)
		return
	}
	if d := nmftest.RelDiff(g.data, w.data); d > mbTol(c) {
		t.Errorf("%s differs from scikit-learn's by %.3g relative", what, d)
	}
}

// TestMiniBatchGoldenCommand: every minibatch case (custom starts, and
// the seeded ones of seeded/) through nmf fit --minibatch (dense .npy, and
// .mtx where the case has one) and nmf transform --model; every partial_fit
// case through nmf partial-fit, one call per chunk, then nmf transform
// --model.
func TestMiniBatchGoldenCommand(t *testing.T) {
	cases, err := nmftest.MBCases(mbGolden)
	if err != nil {
		t.Fatal(err)
	}
	seeded, err := nmftest.MBCases("../../testdata/golden/seeded")
	if err != nil {
		t.Fatal(err)
	}
	if len(seeded) == 0 {
		t.Fatal("no seeded minibatch cases")
	}
	for _, c := range append(cases, seeded...) {
		t.Run(c.Name, func(t *testing.T) {
			dir := t.TempDir()
			e, err := c.Expectation()
			if err != nil {
				t.Fatal(err)
			}
			start := []string{"--w0", filepath.Join(c.Dir(), c.W0), "--h0", filepath.Join(c.Dir(), c.H0)}
			if c.Init != "custom" {
				start = []string{"--init", c.Init, "--seed", strconv.FormatUint(*c.RandomState, 10), "--svd", c.SVD}
			}
			if c.Kind == "partial_fit" {
				partialFitCommand(t, c, e, dir, start)
				return
			}
			inputs := []string{filepath.Join(c.Dir(), c.X)}
			if c.XMtx != "" {
				inputs = append(inputs, filepath.Join(c.Dir(), c.XMtx))
			}
			for i, in := range inputs {
				out := filepath.Join(dir, fmt.Sprintf("fit%d", i))
				mustRun(t, append(append([]string{"fit", "--out", out}, append(mbFlags(c), start...)...), in)...)
				rep, _ := loadReport(t, out)
				if rep.NIter != e.NIter || rep.NSteps != e.NSteps {
					t.Errorf("%s: n_iter, n_steps = %d, %d; scikit-learn %d, %d", in, rep.NIter, rep.NSteps, e.NIter, e.NSteps)
				}
				if d := math.Abs(rep.ReconstructionErr-e.ReconstructionErr) / e.ReconstructionErr; d > mbTol(c) {
					t.Errorf("%s: reconstruction_err %v, scikit-learn %v", in, rep.ReconstructionErr, e.ReconstructionErr)
				}
				checkAgainst(t, c, "W", filepath.Join(out, "W.npy"), e.W)
				checkAgainst(t, c, "H", filepath.Join(out, "H.npy"), e.H)
				if c.Transform == nil {
					continue
				}
				tr := filepath.Join(dir, fmt.Sprintf("tr%d", i))
				mustRun(t, "transform", "--model", out, "--device", "cpu", "-q", "--out", tr, filepath.Join(c.Dir(), c.Transform.X))
				checkAgainst(t, c, "transform W", filepath.Join(tr, "W.npy"), c.Transform.W)
			}
		})
	}
}

func partialFitCommand(t *testing.T, c *nmftest.MBCase, e *nmftest.MBExpect, dir string, start []string) {
	x := readMatrix(t, filepath.Join(c.Dir(), c.X))
	model := filepath.Join(dir, "model")
	for i, ch := range c.Chunks {
		path := filepath.Join(dir, fmt.Sprintf("chunk%d.npy", i))
		if err := nmfio.WriteNPY(path, ch[1]-ch[0], x.cols, x.data[ch[0]*x.cols:ch[1]*x.cols]); err != nil {
			t.Fatal(err)
		}
		if i == 0 {
			mustRun(t, append(append(append([]string{"partial-fit", "--out", model}, mbFlags(c)...), start...), path)...)
		} else {
			mustRun(t, "partial-fit", "--model", model, "--device", "cpu", "-q", path)
		}
		rep, _ := loadReport(t, model)
		if rep.NSteps != e.Steps[i].NSteps {
			t.Errorf("call %d: n_steps %d, scikit-learn %d", i, rep.NSteps, e.Steps[i].NSteps)
		}
		checkAgainst(t, c, fmt.Sprintf("H after call %d", i), filepath.Join(model, "H.npy"), e.Steps[i].H)
		checkAgainst(t, c, fmt.Sprintf("the state's H after call %d", i), statePath(model, rep.MiniBatch.State, "H"), e.Steps[i].H)
		if n := len(stateFiles(t, model)); n != 3 {
			t.Errorf("call %d: %d state files in the model, want 3 (one generation)", i, n)
		}
	}
	tr := filepath.Join(dir, "tr")
	mustRun(t, "transform", "--model", model, "--device", "cpu", "-q", "--out", tr, filepath.Join(c.Dir(), c.Transform.X))
	checkAgainst(t, c, "transform W", filepath.Join(tr, "W.npy"), c.Transform.W)
}

func stateFiles(t *testing.T, dir string) []string {
	m, err := filepath.Glob(filepath.Join(dir, "model.*.npy"))
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// TestMiniBatchFlags: the minibatch flags are refused where they do not
// apply, and out of range.
func TestMiniBatchFlags(t *testing.T) {
	dir := t.TempDir()
	in := filepath.Join(dir, "x.npy")
	testNPY(t, in)
	for _, c := range []struct {
		args []string
		msg  string
	}{
		{[]string{"fit", "--batch-size", "4", in}, "--batch-size applies to minibatch fits only"},
		{[]string{"fit", "--minibatch", "--solver", "cd", in}, "multiplicative update"},
		{[]string{"fit", "--minibatch", "--batch-size", "0", in}, "--batch-size 0"},
		{[]string{"fit", "--minibatch", "--forget-factor", "0", in}, "--forget-factor 0"},
		{[]string{"fit", "--minibatch", "--max-no-improvement", "x", in}, "--max-no-improvement"},
		{[]string{"fit", "--minibatch", "--max-iter", "0", in}, "--max-iter 0"},
		{[]string{"fit", "--minibatch", "--transform-max-iter", "-1", in}, "--transform-max-iter -1"},
		{[]string{"partial-fit", "--model", dir, "-k", "3", in}, "--rank cannot be used with --model"},
	} {
		r := nmfRun(context.Background(), c.args...)
		if r.code != 2 || !strings.Contains(r.stderr, c.msg) {
			t.Errorf("nmf %s: exit %d, stderr %q; want 2 and %q", strings.Join(c.args, " "), r.code, r.stderr, c.msg)
		}
	}
}

// TestMiniBatchModelChecked: a model folder is input; a corrupted state is
// refused with the file or field, and nothing is written.
func TestMiniBatchModelChecked(t *testing.T) {
	dir := t.TempDir()
	in := filepath.Join(dir, "x.npy")
	_, cols, _ := testNPY(t, in)
	model := filepath.Join(dir, "m")
	mustRun(t, "partial-fit", "--device", "cpu", "-q", "-k", "2", "--init", "random", "--out", model, in)
	mustRun(t, "partial-fit", "--model", model, "--device", "cpu", "-q", in)
	good, err := os.ReadFile(filepath.Join(model, "report.json"))
	if err != nil {
		t.Fatal(err)
	}
	rep, _ := loadReport(t, model)
	if rep.NSteps != 2 || rep.Command != "partial-fit" || rep.MiniBatch == nil {
		t.Fatalf("report %+v", rep)
	}
	for _, c := range []struct {
		from, to, msg string
	}{
		{`"state": "` + rep.MiniBatch.State, `"state": "../../etc/passwd`, "minibatch.state"},
		{`"rho": `, `"rho": 7`, "minibatch.rho"},
		{`"n_steps": 2`, `"n_steps": 0`, "n_steps"},
		{`"features": `, `"features": 1`, "minibatch.features"},
		{`"batches": "rows"`, `"batches": "columns"`, "minibatch.batches"},
	} {
		bad := strings.Replace(string(good), c.from, c.to, 1)
		if bad == string(good) {
			t.Fatalf("%q not in the report", c.from)
		}
		writeFile(t, filepath.Join(model, "report.json"), bad)
		before := snapshot(t, model)
		r := nmfRun(context.Background(), "partial-fit", "--model", model, "--device", "cpu", in)
		if r.code != 1 || !strings.Contains(r.stderr, c.msg) {
			t.Errorf("%s: exit %d, stderr %q; want 1 and %q", c.msg, r.code, r.stderr, c.msg)
		}
		sameSnapshot(t, c.msg, before, snapshot(t, model))
	}
	writeFile(t, filepath.Join(model, "report.json"), string(good))
	// A state file of the wrong shape, then with a negative entry.
	den := statePath(model, rep.MiniBatch.State, "denominator")
	if err := nmfio.WriteNPY(den, 1, 2, []float64{1, 1}); err != nil {
		t.Fatal(err)
	}
	if r := nmfRun(context.Background(), "transform", "--model", model, "--device", "cpu", "--out", filepath.Join(dir, "t"), in); r.code != 1 || !strings.Contains(r.stderr, "denominator.npy") {
		t.Errorf("wrong shape: exit %d, stderr %q", r.code, r.stderr)
	}
	neg := make([]float64, 2*cols)
	neg[3] = -1
	if err := nmfio.WriteNPY(den, 2, cols, neg); err != nil {
		t.Fatal(err)
	}
	if r := nmfRun(context.Background(), "partial-fit", "--model", model, "--device", "cpu", in); r.code != 1 || !strings.Contains(r.stderr, "denominator") {
		t.Errorf("negative denominator: exit %d, stderr %q", r.code, r.stderr)
	}
	// A plain fit is no online model.
	plain := filepath.Join(dir, "plain")
	mustRun(t, "fit", "--device", "cpu", "-q", "-k", "2", "--out", plain, in)
	if r := nmfRun(context.Background(), "partial-fit", "--model", plain, "--device", "cpu", in); r.code != 1 || !strings.Contains(r.stderr, "without --minibatch") {
		t.Errorf("plain fit as a model: exit %d, stderr %q", r.code, r.stderr)
	}
}

// TestMiniBatchImages: for a folder of images the batches are images
// (columns): fit --minibatch equals the library's minibatch fit of Xᵀ, with
// W (pixels × k) the components and H their activations.
func TestMiniBatchImages(t *testing.T) {
	dir := t.TempDir()
	imgs := "../../testdata/samples/swimmer"
	out := filepath.Join(dir, "sw")
	mustRun(t, "fit", "--minibatch", "--batch-size", "64", "--max-iter", "3", "-k", "6", "--init", "random", "--device", "cpu", "-q", "--out", out, imgs)
	in, err := nmfio.ReadImageFolder(imgs)
	if err != nil {
		t.Fatal(err)
	}
	x := in.Dense32
	o := nmf.DefaultOptions()
	o.Components, o.Init, o.MaxIter, o.Device, o.Solver = 6, nmf.InitRandom, 3, "cpu", nmf.MU
	mb := nmf.DefaultMiniBatchOptions()
	mb.BatchSize = 64
	res, err := nmf.FitMiniBatch(context.Background(), transposed(x), o, mb)
	if err != nil {
		t.Fatal(err)
	}
	w, h := readMatrix(t, filepath.Join(out, "W.npy")), readMatrix(t, filepath.Join(out, "H.npy"))
	if w.rows != x.Rows || w.cols != 6 || h.rows != 6 || h.cols != x.Cols {
		t.Fatalf("W %d×%d, H %d×%d for X %d×%d", w.rows, w.cols, h.rows, h.cols, x.Rows, x.Cols)
	}
	if d := nmftest.RelDiff(w.data, convert[float64](transposed(res.H).Data)); d > 1e-6 {
		t.Errorf("W differs from the library's Hᵀ by %g", d)
	}
	if !exists(filepath.Join(out, "components.png")) {
		t.Error("no components.png")
	}
	rep, _ := loadReport(t, out)
	if rep.MiniBatch.Batches != "columns" || rep.NSteps != res.NSteps {
		t.Errorf("batches %q, n_steps %d (library %d)", rep.MiniBatch.Batches, rep.NSteps, res.NSteps)
	}
	// The model takes more images, and transforms them.
	mustRun(t, "partial-fit", "--model", out, "--device", "cpu", "-q", imgs)
	mustRun(t, "transform", "--model", out, "--device", "cpu", "-q", "--out", filepath.Join(dir, "tr"), imgs)
}

// TestMiniBatchStreamed: a minibatch fit of a memory-mapped .npy with a
// random or custom start reads X a batch at a time (report.json says
// streamed), gives the in-memory fit's numbers, converts precision batch by
// batch, and on an OpenCL device never holds X there.
func TestMiniBatchStreamed(t *testing.T) {
	dir := t.TempDir()
	const rows, cols = 2000, 30
	x := &nmf.Dense[float64]{Rows: rows, Cols: cols, Data: make([]float64, rows*cols)}
	for i := range x.Data {
		x.Data[i] = float64((i*7919)%97) / 97
	}
	in := filepath.Join(dir, "x.npy")
	if err := nmfio.WriteNPY(in, rows, cols, x.Data); err != nil {
		t.Fatal(err)
	}
	o := nmf.DefaultOptions()
	o.Components, o.Init, o.MaxIter, o.Device = 4, nmf.InitRandom, 3, "cpu"
	mb := nmf.DefaultMiniBatchOptions()
	mb.BatchSize = 100
	for _, prec := range []string{"float64", "float32"} {
		out := filepath.Join(dir, prec)
		mustRun(t, "fit", "--minibatch", "--batch-size", "100", "--max-iter", "3", "-k", "4", "--init", "random", "--precision", prec, "--device", "cpu", "-q", "--out", out, in)
		rep, _ := loadReport(t, out)
		if !rep.MiniBatch.Streamed {
			t.Errorf("%s: not streamed", prec)
		}
		var h []float64
		if prec == "float64" {
			res, err := nmf.FitMiniBatch(context.Background(), x, o, mb)
			if err != nil {
				t.Fatal(err)
			}
			h = res.H.Data
		} else {
			res, err := nmf.FitMiniBatch(context.Background(), nmf.Convert[float32](x), o, mb)
			if err != nil {
				t.Fatal(err)
			}
			h = convert[float64](res.H.Data)
		}
		if d := nmftest.RelDiff(readMatrix(t, filepath.Join(out, "H.npy")).data, h); d > 1e-5 {
			t.Errorf("%s: streamed H differs from the in-memory fit's by %g", prec, d)
		}
	}
	if b, _, err := nmf.OpenDevice("opencl", 0); err != nil {
		if os.Getenv("CI") != "true" {
			t.Skipf("no OpenCL device: %v", err)
		}
	} else {
		b.Close()
	}
	out := filepath.Join(dir, "cl")
	mustRun(t, "fit", "--minibatch", "--batch-size", "100", "--max-iter", "2", "-k", "4", "--init", "random", "--device", "opencl", "-q", "--out", out, in)
	rep, _ := loadReport(t, out)
	t.Logf("opencl (%s): device bytes %d, X %d bytes", rep.Device.Name, rep.Device.Bytes, rows*cols*8)
	if xb := int64(rows * cols * 8); !rep.MiniBatch.Streamed || rep.Device.Bytes <= 0 || rep.Device.Bytes >= xb {
		t.Errorf("opencl: streamed %v, device bytes %d; want a batch's worth, below X's %d", rep.MiniBatch.Streamed, rep.Device.Bytes, xb)
	}
}

// TestMiniBatchTimings checks that a minibatch fit's report times its init
// (the library's MiniBatchResult.InitTime, in init_seconds and
// timings.init), that -v shows the init as its own phase, and that the
// trace's one point has the objective with the penalty.
func TestMiniBatchTimings(t *testing.T) {
	dir := t.TempDir()
	in := filepath.Join(dir, "x.npy")
	testNPY(t, in)
	out := filepath.Join(dir, "x.nmf")
	r := nmfRun(context.Background(), "fit", "--minibatch", "-v", "-k", "2", "--init", "nndsvda", "--alpha-H", "0.1", "--out", out, in)
	if r.code != 0 {
		t.Fatalf("exit %d: %s", r.code, r.stderr)
	}
	if !strings.Contains(r.stderr, "nmf: init nndsvda ") {
		t.Errorf("no init phase in %q", r.stderr)
	}
	rep, _ := loadReport(t, out)
	tm := rep.Timings
	if tm == nil || !(rep.InitSeconds > 0) || tm.Init != rep.InitSeconds || math.Abs(tm.Init+tm.Solve-rep.ElapsedSeconds) > 1e-9*rep.ElapsedSeconds+1e-12 {
		t.Errorf("init_seconds %v, timings %+v, elapsed_seconds %v", rep.InitSeconds, tm, rep.ElapsedSeconds)
	}
	if len(rep.Trace) != 1 || !(rep.Trace[0].Objective > rep.Trace[0].Err) || rep.Trace[0].Iter != rep.NIter {
		t.Errorf("trace %+v (n_iter %d)", rep.Trace, rep.NIter)
	}
}

// TestMiniBatchMemoryCountsCopy checks that --memory-limit covers a
// minibatch fit of a WAV: X as read, its transpose (the samples as rows)
// and the outputs are counted by the command, and what is left bounds the
// library's own allocations.
func TestMiniBatchMemoryCountsCopy(t *testing.T) {
	in := filepath.Join("..", "..", "testdata", "samples", "melody.wav")
	ds, err := load(in, kindWAV, defaultSTFT(), &nmfio.Options{MemoryLimit: -1})
	if err != nil {
		t.Fatal(err)
	}
	f, frames := ds.Dims()
	held, _ := heldBytes[float32](ds)
	copyBytes := int64(f) * int64(frames) * 4 // Xᵀ in float32
	need := held + copyBytes + outputBytes(ds, 2) + 3*2*int64(f)*4
	dir := t.TempDir()
	for _, c := range []struct {
		limit int64
		msg   string
	}{
		{need - 1, "needs " + nmf.FormatBytes(need) + " for X as read, X with the samples as rows and the outputs alone"},
		{need + 1024, "minibatch fit with k = 2"}, // the library's share is more than 1 KiB
	} {
		r := nmfRun(context.Background(), "fit", "--minibatch", "-k", "2", "--precision", "float32", "--memory-limit", fmt.Sprint(c.limit), "--out", filepath.Join(dir, "m.nmf"), in)
		if r.code != 1 || !strings.Contains(r.stderr, c.msg) {
			t.Errorf("--memory-limit %d: exit %d, stderr %q; want 1 and %q", c.limit, r.code, r.stderr, c.msg)
		}
	}
	if r := nmfRun(context.Background(), "fit", "--minibatch", "-k", "2", "--precision", "float32", "--memory-limit", fmt.Sprint(need+64<<20), "--out", filepath.Join(dir, "m.nmf"), in); r.code != 0 {
		t.Errorf("64 MiB more: exit %d, %s", r.code, r.stderr)
	}
}
