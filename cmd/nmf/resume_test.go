package main

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/clnmf/clnmf/nmf/nmfio"
)

// interruptAt returns a context that is cancelled, as Ctrl-C does, once the
// fit has done iteration n (resumed iterations included).
func interruptAt(n int) context.Context {
	ctx, cancel := context.WithCancel(context.Background())
	return context.WithValue(ctx, progressHookKey{}, func(iter int) {
		if iter >= n {
			cancel()
		}
	})
}

// TestInterruptAndResume interrupts fits after some iterations, checks the
// checkpoint, resumes them (once more interrupted on the way) and compares
// the outcome with an uninterrupted run of as many iterations.
func TestInterruptAndResume(t *testing.T) {
	dir := t.TempDir()
	rows, cols, data := testMatrix()
	in := filepath.Join(dir, "d.csv")
	writeFile(t, in, "a,b,c,d,e\n"+csvOf(rows, cols, data, ","))
	imgs := filepath.Join(dir, "imgs")
	if err := os.Mkdir(imgs, 0o777); err != nil {
		t.Fatal(err)
	}
	for i, n := range []string{"a.png", "b.png", "c.png", "d.png"} {
		writePNG(t, filepath.Join(imgs, n), 5, 5, i)
	}
	cases := []struct {
		name   string
		input  string
		args   []string
		stops  []int // iterations after which Ctrl-C comes
		format string
	}{
		{"mu-float64", in, []string{"-k", "3", "--solver", "mu", "--loss", "kl", "--tol", "0", "--max-iter", "60", "--init", "random", "--seed", "4"}, []int{17}, "npy"},
		{"mu-twice-csv", in, []string{"-k", "3", "--solver", "mu", "--tol", "0", "--max-iter", "60", "--alpha-w", "0.01", "--format", "csv"}, []int{12, 40, 50}, "csv"},
		{"cd", in, []string{"-k", "2", "--solver", "cd", "--tol", "0", "--max-iter", "50"}, []int{25}, "npy"},
		{"images-float32", imgs, []string{"-k", "2", "--loss", "kl", "--tol", "0", "--max-iter", "40"}, []int{9}, "npy"},
		// With a tolerance the resumed fit stops where the uninterrupted
		// one does (the stopping rule's reference values are saved).
		{"cd-tol", in, []string{"-k", "3", "--solver", "cd", "--tol", "1e-4", "--max-iter", "3000"}, []int{7, 20}, "npy"},
		{"mu-kl-tol", in, []string{"-k", "3", "--solver", "mu", "--loss", "kl", "--tol", "3e-5", "--max-iter", "3000"}, []int{33}, "npy"},
		{"mu-tol-csv", in, []string{"-k", "3", "--solver", "mu", "--tol", "1e-4", "--max-iter", "3000", "--init", "random", "--format", "csv"}, []int{5, 10, 41}, "csv"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			full := filepath.Join(dir, c.name+"-full.nmf")
			mustRun(t, append([]string{"fit", c.input, "--device", "cpu", "-q", "--out", full}, c.args...)...)

			out := filepath.Join(dir, c.name+".nmf")
			r := nmfRun(interruptAt(c.stops[0]), append([]string{"fit", c.input, "--device", "cpu", "-q", "--out", out}, c.args...)...)
			checkCheckpoint(t, r, out, c.stops[0], c.format)
			// A fresh fit into the checkpoint's folder is refused.
			if r := nmfRun(context.Background(), append([]string{"fit", c.input, "--device", "cpu", "--out", out}, c.args...)...); r.code != 1 || !strings.Contains(r.stderr, "already holds results") {
				t.Errorf("fit into a checkpoint: exit %d, %q", r.code, r.stderr)
			}
			for _, stop := range c.stops[1:] {
				r := nmfRun(interruptAt(stop), "fit", "--resume", out, "-q", "--device", "cpu")
				checkCheckpoint(t, r, out, stop, c.format)
			}
			r = mustRun(t, "fit", "--resume", out, "--device", "cpu")
			if !strings.HasPrefix(r.stdout, out+": ") {
				t.Errorf("summary %q", r.stdout)
			}
			rep, _ := loadReport(t, out)
			want, _ := loadReport(t, full)
			if want.NIter <= c.stops[len(c.stops)-1] || want.NIter == want.Params.MaxIter && want.Params.Tol > 0 {
				t.Fatalf("the uninterrupted fit ran %d of %d iterations: the case does not test what it should", want.NIter, want.Params.MaxIter)
			}
			if rep.Partial || rep.NIter != want.NIter || rep.Params.Init != want.Params.Init || rep.Params.MaxIter != want.Params.MaxIter ||
				len(rep.Resumed) != len(c.stops) || rep.Resumed[0].NIter != c.stops[0] {
				t.Errorf("resumed report: partial %v n_iter %d init %s max_iter %d resumed %v; want n_iter %d init %s", rep.Partial, rep.NIter,
					rep.Params.Init, rep.Params.MaxIter, rep.Resumed, want.NIter, want.Params.Init)
			}
			for i := 1; i < len(rep.Trace); i++ {
				if rep.Trace[i].Iter <= rep.Trace[i-1].Iter || rep.Trace[i].Seconds < rep.Trace[i-1].Seconds {
					t.Errorf("trace not increasing: %v", rep.Trace)
				}
			}
			if !reflect.DeepEqual(untimed(rep.Trace), untimed(want.Trace)) || !reflect.DeepEqual(rep.Warnings, want.Warnings) || !reflect.DeepEqual(rep.SolverState, want.SolverState) {
				t.Errorf("resumed trace %v warnings %v state %+v\nuninterrupted %v %v %+v", rep.Trace, rep.Warnings, rep.SolverState, want.Trace, want.Warnings, want.SolverState)
			}
			if !reflect.DeepEqual(rep.Files, want.Files) {
				t.Errorf("files %+v, want %+v", rep.Files, want.Files)
			}
			for _, f := range []string{want.Files.W, want.Files.H} {
				a, b := readMatrix(t, filepath.Join(out, f)), readMatrix(t, filepath.Join(full, f))
				if !reflect.DeepEqual(a.data, b.data) || a.prec != b.prec {
					t.Errorf("%s after resuming differs from the uninterrupted run's by %g", f, maxDiff(t, a, b))
				}
			}
			if math := rep.ReconstructionErr; math != want.ReconstructionErr {
				t.Errorf("error %v, uninterrupted %v", math, want.ReconstructionErr)
			}
			if got, all := resultsIn(out), resultsIn(full); !reflect.DeepEqual(got, all) {
				t.Errorf("files %v, uninterrupted %v", got, all)
			}
			leftovers(t, dir)
		})
	}
}

func checkCheckpoint(t *testing.T, r result, out string, iter int, format string) {
	t.Helper()
	if r.code != 130 || !errors.Is(r.err, context.Canceled) {
		t.Fatalf("interrupted fit: exit %d (%v), stderr %q", r.code, r.err, r.stderr)
	}
	if want := "nmf: " + out + ": interrupted after iteration "; !strings.HasPrefix(r.stderr, want) || !strings.Contains(r.stderr, "nmf fit --resume "+out) {
		t.Errorf("stderr %q", r.stderr)
	}
	rep, raw := loadReport(t, out)
	if !rep.Partial || rep.NIter != iter || raw["partial"] != true {
		t.Errorf("checkpoint: partial %v, n_iter %d, want %d", rep.Partial, rep.NIter, iter)
	}
	want := []string{"H." + format, "W." + format, "report.json"}
	if got := resultsIn(out); !reflect.DeepEqual(got, want) {
		t.Errorf("checkpoint files %v, want %v", got, want)
	}
}

// leftovers fails the test if a staging folder is left in dir.
func leftovers(t *testing.T, dir string) {
	t.Helper()
	entries, _ := os.ReadDir(dir)
	for _, e := range entries {
		if strings.Contains(e.Name(), ".tmp-") {
			t.Errorf("temporary folder %s left behind", e.Name())
		}
	}
}

// TestInterruptedTransform checks that an interrupted transform writes
// nothing and exits 130.
func TestInterruptedTransform(t *testing.T) {
	dir := t.TempDir()
	rows, cols, data := testMatrix()
	in := filepath.Join(dir, "d.csv")
	writeFile(t, in, csvOf(rows, cols, data, ","))
	model := filepath.Join(dir, "m.nmf")
	mustRun(t, "fit", in, "-k", "2", "--device", "cpu", "--out", model, "--solver", "mu")
	out := filepath.Join(dir, "t.nmf")
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	r := nmfRun(ctx, "transform", "--model", model, "--out", out, in, "--tol", "0")
	if r.code != 130 || exists(out) || !strings.Contains(r.stderr, "interrupted; nothing written") {
		t.Errorf("exit %d, stderr %q, out exists %v", r.code, r.stderr, exists(out))
	}
	leftovers(t, dir)
}

// TestForce checks the refusal of a folder holding results, that failed
// runs with --force leave the old results as they were, and what a
// successful --force replaces.
func TestForce(t *testing.T) {
	dir := t.TempDir()
	rows, cols, data := testMatrix()
	in := filepath.Join(dir, "d.csv")
	writeFile(t, in, csvOf(rows, cols, data, ","))
	bad := filepath.Join(dir, "bad.csv")
	writeFile(t, bad, "1,2\n3,-1\n")
	out := filepath.Join(dir, "out.nmf")
	base := []string{"fit", "--device", "cpu", "-q", "--out", out}

	mustRun(t, append(base, in, "-k", "2")...)
	before := snapshot(t, dir)

	r := nmfRun(context.Background(), append(base, in, "-k", "3")...)
	if r.code != 1 || r.stderr != "nmf: "+out+": already holds results (H.npy, H.png, W.npy, W.png, convergence.png, report.json); use --force to replace them, or another --out\n" {
		t.Errorf("without --force: exit %d, %q", r.code, r.stderr)
	}
	sameSnapshot(t, "refused", before, snapshot(t, dir))

	if r := nmfRun(context.Background(), append(base, bad, "--force")...); r.code != 1 {
		t.Errorf("bad input with --force: exit %d", r.code)
	}
	sameSnapshot(t, "bad input with --force", before, snapshot(t, dir))

	// A failure after everything is written, just before it is moved into
	// place (as a full disk would cause), leaves the old results too.
	ctx := context.WithValue(context.Background(), commitHookKey{}, func() error { return errors.New("disk full") })
	if r := nmfRun(ctx, append(base, in, "--force", "-k", "3", "--format", "csv")...); r.code != 1 || r.stderr != "nmf: "+out+": disk full\n" {
		t.Errorf("failed commit: exit %d, %q", r.code, r.stderr)
	}
	sameSnapshot(t, "failed commit with --force", before, snapshot(t, dir))
	// The same failure into a new folder leaves nothing.
	if r := nmfRun(ctx, "fit", "--device", "cpu", "--out", filepath.Join(dir, "new", "deeper", "x.nmf"), in); r.code != 1 {
		t.Errorf("failed commit: exit %d", r.code)
	}
	if exists(filepath.Join(dir, "new")) {
		t.Error("a failed run left the folders made for its --out")
	}
	sameSnapshot(t, "failed commit into a new folder", before, snapshot(t, dir))

	// With --force the results are replaced, old result files not written
	// again are removed, and other files are kept.
	writeFile(t, filepath.Join(out, "notes.txt"), "mine")
	writeFile(t, filepath.Join(out, "component_07.wav"), "stale")
	mustRun(t, append(base, in, "--force", "-k", "3", "--format", "csv")...)
	if got := resultsIn(out); !reflect.DeepEqual(got, []string{"H.csv", "H.png", "W.csv", "W.png", "convergence.png", "report.json"}) {
		t.Errorf("after --force: %v", got)
	}
	if !exists(filepath.Join(out, "notes.txt")) {
		t.Error("--force removed a file that is not a result")
	}
	if w := readMatrix(t, filepath.Join(out, "W.csv")); w.cols != 3 {
		t.Errorf("W has %d columns after --force -k 3", w.cols)
	}
	// A folder without results is written into without --force.
	other := filepath.Join(dir, "other")
	os.Mkdir(other, 0o777)
	writeFile(t, filepath.Join(other, "keep.txt"), "x")
	mustRun(t, "fit", "--device", "cpu", "-q", "--out", other, in)
	if !exists(filepath.Join(other, "keep.txt")) || !exists(filepath.Join(other, "W.npy")) {
		t.Error("writing into a folder without results")
	}
	// Missing folders above --out are made.
	mustRun(t, "fit", "--device", "cpu", "-q", "--out", filepath.Join(dir, "n1", "n2", "ok.nmf"), in)
	if !exists(filepath.Join(dir, "n1", "n2", "ok.nmf", "report.json")) {
		t.Error("nested --out not written")
	}
	leftovers(t, dir)
	if fi, err := os.Stat(out); err != nil || fi.Mode().Perm()&0o700 != 0o700 {
		t.Errorf("out folder mode %v", fi.Mode())
	}
	if _, err := nmfio.Read(filepath.Join(out, "H.csv")); err != nil {
		t.Error(err)
	}
}

// untimed is the trace without its seconds, which differ from run to run.
func untimed(trace []tracePoint) []tracePoint {
	out := append([]tracePoint(nil), trace...)
	for i := range out {
		out[i].Seconds = 0
	}
	return out
}
