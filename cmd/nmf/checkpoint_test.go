package main

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/clnmf/clnmf/nmf/nmfio"
)

// edit rewrites dir/report.json with change applied to it as a generic
// JSON object.
func edit(t *testing.T, dir string, change func(m map[string]any)) {
	t.Helper()
	_, m := loadReport(t, dir)
	change(m)
	b, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "report.json"), b, 0o644); err != nil {
		t.Fatal(err)
	}
}

// copyDir copies the files of src into a new folder dst.
func copyDir(t *testing.T, src, dst string) {
	t.Helper()
	if err := os.Mkdir(dst, 0o777); err != nil {
		t.Fatal(err)
	}
	entries, _ := os.ReadDir(src)
	for _, e := range entries {
		b, err := os.ReadFile(filepath.Join(src, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dst, e.Name()), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

func set(path string, v any) func(m map[string]any) {
	return func(m map[string]any) {
		keys := strings.Split(path, ".")
		for _, k := range keys[:len(keys)-1] {
			m = m[k].(map[string]any)
		}
		m[keys[len(keys)-1]] = v
	}
}

// craftedCases are edits of a report.json, each breaking one rule, and the
// field the error must name.
var craftedCases = []struct {
	name  string
	edit  func(m map[string]any)
	field string
}{
	{"format traversal", set("params.format", "x/../../victim"), "params.format"},
	{"format unknown", set("params.format", "mtx"), "params.format"},
	{"files.W traversal", set("files.W", "../victim.npy"), "files.W"},
	{"files.H other name", set("files.H", "W.npy"), "files.H"},
	{"n_iter huge", set("n_iter", 1e12), "n_iter"},
	{"n_iter not an integer", set("n_iter", 2.5), "n_iter"},
	{"n_iter out of int range", set("n_iter", 1e30), "n_iter"},
	{"n_iter negative", set("n_iter", -5), "n_iter"},
	{"max_iter negative", set("params.max_iter", -1), "params.max_iter"},
	{"precision float16", set("params.precision", "float16"), "params.precision"},
	{"rank zero", set("params.rank", 0), "params.rank"},
	{"rank huge", set("params.rank", int64(1)<<40), "params.rank"},
	{"loss unknown", set("params.loss", "hinge"), "params.loss"},
	{"beta mismatch", set("params.beta", 0.5), "params.beta"},
	{"solver unknown", set("params.solver", "als"), "params.solver"},
	{"solver cd with kl", func(m map[string]any) {
		set("params.solver", "cd")(m)
		set("params.loss", "kl")(m)
		set("params.beta", 1)(m)
	}, "params.solver"},
	{"init unknown", set("params.init", "svd"), "params.init"},
	{"init custom without start", set("params.init", "custom"), "start"},
	{"tol negative", set("params.tol", -1), "params.tol"},
	{"tol a string", set("params.tol", "small"), "params.tol"},
	{"alpha negative", set("params.alpha_w", -0.5), "params.alpha_w"},
	{"alpha_h not same", set("params.alpha_h", 3), "params.alpha_h"},
	{"l1_ratio above 1", set("params.l1_ratio", 1.5), "params.l1_ratio"},
	{"shape zero", set("input.shape", []int{0, 5}), "input.shape"},
	{"kind unknown", set("input.kind", "xlsx"), "input.kind"},
	{"nnz too many", set("input.nnz", 31), "input.nnz"},
	{"input precision", set("input.precision", "float32"), "input.precision"},
	{"wav for a csv", set("input.wav", map[string]any{"fft_size": 2048, "hop": 512}), "input.wav"},
	{"sparse csv", set("input.sparse", true), "input.sparse"},
	{"header count", set("input.header", []any{"a", "b"}), "input.header"},
	{"images for a csv", set("input.images", []any{"a.png"}), "input.images"},
	{"device bytes", set("device.bytes", -1), "device.bytes"},
	{"trace beyond n_iter", set("trace", []any{map[string]any{"iter": 0, "err": 1}, map[string]any{"iter": 500, "err": 1}}), "trace[1].iter"},
	{"trace negative error", set("trace", []any{map[string]any{"iter": 0, "err": -1}}), "trace[0].err"},
	{"elapsed negative", set("elapsed_seconds", -3), "elapsed_seconds"},
	{"warning code", set("warnings", []any{map[string]any{"code": "../x", "message": ""}}), "warnings[0].code"},
	{"pictures traversal", set("files.pictures", []any{"../../etc/passwd"}), "files"},
	{"model in a fit", set("model", map[string]any{"file": "x", "fixed": "H"}), "model"},
	{"command unknown", set("command", "rm -rf"), "command"},
	{"state missing", func(m map[string]any) { delete(m, "solver_state") }, "solver_state"},
	{"state negative", set("solver_state.err_init", -1), "solver_state.err_init"},
	{"distributed ranks zero", set("distributed", map[string]any{"engine": "mpi", "ranks": 0, "along": "rows"}), "distributed.ranks"},
	{"distributed along unknown", set("distributed", map[string]any{"engine": "mpi", "ranks": 1, "along": "diagonal"}), "distributed.along"},
	{"resumed beyond n_iter", set("resumed", []any{map[string]any{"dir": "x", "n_iter": 1e6}}), "resumed[0].n_iter"},
}

// TestCraftedCheckpoints edits the report of a checkpoint and of a finished
// fit, each edit breaking one rule, and checks that fit --resume and
// transform --model refuse it in one line naming the field, with exit 1,
// writing nothing anywhere (a victim file outside the folder included).
func TestCraftedCheckpoints(t *testing.T) {
	dir, _ := testCSV(t)
	t.Chdir(dir)
	rows, _, _ := testMatrix()
	writeFile(t, "victim.npy", "precious")
	base := []string{"-k", "3", "--solver", "mu", "--tol", "0", "--max-iter", "50", "--device", "cpu", "-q"}
	if r := nmfRun(interruptAt(12), append([]string{"fit", "d.csv", "--out", "ck.nmf"}, base...)...); r.code != 130 {
		t.Fatalf("interrupt: exit %d, %s", r.code, r.stderr)
	}
	mustRun(t, append([]string{"fit", "d.csv", "--out", "model.nmf"}, base...)...)
	for _, c := range craftedCases {
		for _, use := range []string{"resume", "model"} {
			if use == "model" && strings.HasPrefix(c.name, "state") {
				continue // a model needs no solver state
			}
			src, args := "ck.nmf", []string{"fit", "--resume", "x.nmf", "--device", "cpu"}
			if use == "model" {
				src, args = "model.nmf", []string{"transform", "--model", "x.nmf", "--out", "t.nmf", "--device", "cpu", "d.csv"}
			}
			os.RemoveAll("x.nmf")
			copyDir(t, src, "x.nmf")
			edit(t, "x.nmf", c.edit)
			before := snapshot(t, dir)
			r := nmfRun(context.Background(), args...)
			want := "nmf: " + filepath.Join("x.nmf", "report.json") + ": " + c.field + ": "
			if r.code != 1 || !strings.HasPrefix(r.stderr, want) || strings.Count(r.stderr, "\n") != 1 {
				t.Errorf("%s (%s): exit %d, stderr %q; want 1 and %q…", c.name, use, r.code, r.stderr, want)
			}
			sameSnapshot(t, c.name+" ("+use+")", before, snapshot(t, dir))
		}
	}
	// The factor files must be what the report says they are.
	for _, c := range []struct {
		name, file, content, want string
	}{
		{"W of another shape", "W.npy", "2x2", "W is 2×2, but"},
		{"H a folder", "H.npy", "", "is not a regular file"},
		{"W float32 in a float64 fit", "W.npy", "f32", "W is float32, but"},
	} {
		os.RemoveAll("x.nmf")
		copyDir(t, "ck.nmf", "x.nmf")
		p := filepath.Join("x.nmf", c.file)
		os.Remove(p)
		switch c.content {
		case "":
			os.Mkdir(p, 0o777)
		case "f32":
			if err := nmfio.WriteNPY(p, rows, 3, make([]float32, rows*3)); err != nil {
				t.Fatal(err)
			}
		default:
			if err := nmfio.WriteNPY(p, 2, 2, []float64{1, 2, 3, 4}); err != nil {
				t.Fatal(err)
			}
		}
		before := snapshot(t, dir)
		r := nmfRun(context.Background(), "fit", "--resume", "x.nmf", "--device", "cpu")
		if r.code != 1 || !strings.HasPrefix(r.stderr, "nmf: "+p+": ") || !strings.Contains(r.stderr, c.want) {
			t.Errorf("%s: exit %d, stderr %q", c.name, r.code, r.stderr)
		}
		sameSnapshot(t, c.name, before, snapshot(t, dir))
	}
	// Another X than the checkpoint's is refused.
	writeFile(t, "other.csv", "1,2\n3,4\n")
	if r := nmfRun(context.Background(), "fit", "--resume", "ck.nmf", "other.csv", "--device", "cpu"); r.code != 1 || !strings.Contains(r.stderr, "but the checkpoint ck.nmf was fitted on") {
		t.Errorf("other input: exit %d, %q", r.code, r.stderr)
	}
	// --max-iter below the iterations done is flag misuse.
	if r := nmfRun(context.Background(), "fit", "--resume", "ck.nmf", "--max-iter", "5", "--device", "cpu"); r.code != 2 || !strings.Contains(r.stderr, "has done 12 iterations already") {
		t.Errorf("--max-iter 5: exit %d, %q", r.code, r.stderr)
	}
	// The checkpoint itself still resumes.
	mustRun(t, "fit", "--resume", "ck.nmf", "--device", "cpu", "-q")
}

// FuzzSavedFit feeds report.json variants to the checkpoint and model
// reader, over a folder with the factor files of a 6×5 fit with k = 2: it
// never panics, refuses in one line naming the report or a factor file, and
// what it accepts keeps the rules (the factors read are the folder's W and H
// of the report's shapes, the format and precision known values).
func FuzzSavedFit(f *testing.F) {
	dir := f.TempDir()
	for _, ext := range []string{"npy", "csv"} {
		w, h := make([]float64, 6*2), make([]float64, 2*5)
		write := nmfio.WriteNPY[float64]
		if ext == "csv" {
			write = nmfio.WriteCSV[float64]
		}
		if err := write(filepath.Join(dir, "W."+ext), 6, 2, w); err != nil {
			f.Fatal(err)
		}
		if err := write(filepath.Join(dir, "H."+ext), 2, 5, h); err != nil {
			f.Fatal(err)
		}
	}
	seed := runReport{Version: "test", Command: "fit", Partial: true, NIter: 12,
		Trace:       []tracePoint{{0, 3, 3, 0.01}, {10, 1, 1.5, 0.2}},
		Params:      reportParams{Rank: 2, Loss: "frobenius", Beta: 2, Solver: "cd", Init: "nndsvda", MaxIter: 200, Tol: 1e-4, AlphaHSame: true, Precision: "float64", Format: "npy"},
		Input:       inputReport{Path: "d.csv", Kind: "csv", Shape: [2]int{6, 5}, NNZ: 30, Precision: "float64"},
		Files:       filesReport{W: "W.npy", H: "H.npy"},
		SolverState: &solverState{ErrInit: 3, ErrLast: 1, ViolationInit: 2},
	}
	for _, change := range []func(r *runReport){
		func(r *runReport) {},
		func(r *runReport) { r.Partial, r.NIter, r.SolverState = false, 200, nil },
		func(r *runReport) { r.Params.Format, r.Files = "csv", filesReport{W: "W.csv", H: "H.csv"} },
		func(r *runReport) {
			r.Params.Loss, r.Params.Beta, r.Params.Solver, r.Params.Init = "kullback-leibler", 1, "mu", "custom"
			r.Start = &startReport{W0: "w", H0: "h"}
		},
	} {
		r := seed
		change(&r)
		b, err := json.Marshal(&r)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	report := filepath.Join(dir, "report.json")
	f.Fuzz(func(t *testing.T, b []byte) {
		if err := os.WriteFile(report, b, 0o644); err != nil {
			t.Fatal(err)
		}
		for _, use := range []savedUse{asCheckpoint, asModel} {
			sv, err := readSaved(dir, use)
			if err != nil {
				if msg := err.Error(); !strings.HasPrefix(msg, report+": ") || strings.Contains(msg, "\n") {
					t.Fatalf("error %q: want one line about %s", msg, report)
				}
				continue
			}
			p := sv.rep.Params
			if (p.Format != "npy" && p.Format != "csv") || (p.Precision != "float32" && p.Precision != "float64") ||
				sv.rep.NIter < 0 || sv.rep.NIter > p.MaxIter || p.Rank < 1 || use == asCheckpoint && (!sv.rep.Partial || sv.rep.SolverState == nil) {
				t.Fatalf("accepted %+v", sv.rep)
			}
			for _, name := range []string{"W", "H"} {
				if path := sv.factorPath(name); filepath.Dir(path) != dir || filepath.Base(path) != name+"."+p.Format {
					t.Fatalf("factor path %s", path)
				}
				m, err := readSavedFactor[float64](sv, name)
				if err != nil {
					if msg := err.Error(); !strings.HasPrefix(msg, filepath.Join(dir, name+".")) || strings.Contains(msg, "\n") {
						t.Fatalf("error %q", msg)
					}
					continue
				}
				rows, cols := sv.rep.Input.Shape[0], p.Rank
				if name == "H" {
					rows, cols = p.Rank, sv.rep.Input.Shape[1]
				}
				if m.Rows != rows || m.Cols != cols {
					t.Fatalf("%s read as %d×%d, report says %d×%d", name, m.Rows, m.Cols, rows, cols)
				}
			}
		}
	})
}
