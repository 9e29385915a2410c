package main

import (
	"bytes"
	"context"
	"errors"
	"image"
	"image/color"
	"image/png"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/clnmf/clnmf/nmf"
	"github.com/clnmf/clnmf/nmf/nmfio"
)

func TestUsageAndVersion(t *testing.T) {
	ctx := context.Background()
	r := nmfRun(ctx)
	if r.code != 2 || !strings.Contains(r.stderr, "usage: nmf SUBCOMMAND") {
		t.Errorf("no arguments: exit %d, stderr %q", r.code, r.stderr)
	}
	for _, c := range commands {
		if !strings.Contains(r.stderr, "  "+c.name+" ") && !c.hidden {
			t.Errorf("usage does not list %s", c.name)
		}
	}
	r = nmfRun(ctx, "--version")
	if r.code != 0 || !strings.HasPrefix(r.stdout, "nmf ") {
		t.Errorf("--version: exit %d, stdout %q", r.code, r.stdout)
	}
	r = nmfRun(ctx, "help")
	if r.code != 0 || !strings.Contains(r.stdout, "usage: nmf SUBCOMMAND") {
		t.Errorf("help: exit %d, stdout %q", r.code, r.stdout)
	}
	for _, c := range commands {
		r = nmfRun(ctx, "help", c.name)
		if r.code != 0 || r.stdout != c.usage {
			t.Errorf("help %s: exit %d, stdout %q", c.name, r.code, r.stdout)
		}
	}
	for _, args := range [][]string{{"help", "nope"}, {"help", "fit", "transform"}, {"nope"}, {"--nope"}} {
		if r = nmfRun(ctx, args...); r.code != 2 || !strings.Contains(r.stderr, "usage: nmf") {
			t.Errorf("%q: exit %d, stderr %q", args, r.code, r.stderr)
		}
	}
	for _, cmd := range []string{"fit", "transform", "partial-fit", "devices", "samples", "bench"} {
		for _, h := range []string{"-h", "--help"} {
			r = nmfRun(ctx, cmd, h)
			if r.code != 0 || r.stdout != lookup(cmd).usage || r.stderr != "" {
				t.Errorf("%s %s: exit %d, stdout %q, stderr %q", cmd, h, r.code, r.stdout, r.stderr)
			}
		}
	}
}

// TestUsageListsEveryFlag keeps the usage texts in step with the flags.
func TestUsageListsEveryFlag(t *testing.T) {
	for _, c := range []struct{ cmd, usage string }{{"fit", fitUsage}, {"transform", transformUsage}, {"partial-fit", partialFitUsage}} {
		fs := newFlagSet(c.cmd, &options{})
		for name := range flagNames(fs) {
			want := "--" + name
			if len(name) == 1 {
				want = "-" + name + ", --" + aliases[name]
				if name == "h" {
					want = "--h FILE"
				}
			}
			if !strings.Contains(c.usage, want) {
				t.Errorf("%s usage lacks %q", c.cmd, want)
			}
			if !strings.Contains(docText(t), want) && c.cmd != "transform" {
				t.Errorf("doc.go lacks %q", want)
			}
		}
	}
}

func docText(t *testing.T) string {
	b, err := os.ReadFile("doc.go")
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// TestFlagMisuse checks that every misuse of the command line exits with
// status 2, prints the usage, names the problem, and writes nothing.
func TestFlagMisuse(t *testing.T) {
	dir := t.TempDir()
	t.Chdir(dir)
	rows, cols, data := testMatrix()
	writeFile(t, "d.csv", csvOf(rows, cols, data, ","))
	if err := os.Mkdir("imgs", 0o777); err != nil {
		t.Fatal(err)
	}
	writePNG(t, "imgs/a.png", 4, 4, 1)
	before := snapshot(t, dir)
	cases := []struct {
		args []string
		want string
	}{
		{[]string{"fit", "--nope", "d.csv"}, "-nope"},
		{[]string{"fit"}, "missing INPUT"},
		{[]string{"fit", "d.csv", "d.csv"}, "one INPUT"},
		{[]string{"fit", "--rank", "0", "d.csv"}, "--rank 0"},
		{[]string{"fit", "-k", "-1", "d.csv"}, "--rank -1"},
		{[]string{"fit", "-k", "two", "d.csv"}, "-k"},
		{[]string{"fit", "--loss", "foo", "d.csv"}, "--loss"},
		{[]string{"fit", "--solver", "foo", "d.csv"}, "--solver"},
		{[]string{"fit", "--solver", "cd", "--loss", "kl", "d.csv"}, "--solver cd"},
		{[]string{"fit", "--init", "foo", "d.csv"}, "--init"},
		{[]string{"fit", "--w0", "d.csv", "d.csv"}, "--w0 and --h0"},
		{[]string{"fit", "--init", "custom", "d.csv"}, "--init custom"},
		{[]string{"fit", "--w0", "d.csv", "--h0", "d.csv", "--init", "random", "d.csv"}, "--init is random"},
		{[]string{"fit", "--max-iter", "-1", "d.csv"}, "--max-iter"},
		{[]string{"fit", "--tol", "-1", "d.csv"}, "--tol"},
		{[]string{"fit", "--tol", "NaN", "d.csv"}, "--tol"},
		{[]string{"fit", "--alpha-w", "-1", "d.csv"}, "--alpha-w"},
		{[]string{"fit", "--alpha-h", "lots", "d.csv"}, "--alpha-h"},
		{[]string{"fit", "--alpha-h", "-0.5", "d.csv"}, "--alpha-h"},
		{[]string{"fit", "--l1-ratio", "2", "d.csv"}, "--l1-ratio"},
		{[]string{"fit", "--seed", "-3", "d.csv"}, "-seed"},
		{[]string{"fit", "--seed", "4294967296", "d.csv"}, "--seed 4294967296: must be below 2³²"},
		{[]string{"transform", "--seed", "4294967296", "--h", "d.csv", "d.csv"}, "--seed 4294967296"},
		{[]string{"fit", "--svd", "lanczos", "d.csv"}, "--svd \"lanczos\""},
		{[]string{"transform", "--svd", "exact", "--h", "d.csv", "d.csv"}, "-svd"},
		{[]string{"fit", "--device", "tpu", "d.csv"}, "--device"},
		{[]string{"fit", "--precision", "float16", "d.csv"}, "--precision"},
		{[]string{"fit", "--format", "txt", "d.csv"}, "--format"},
		{[]string{"fit", "-q", "-v", "d.csv"}, "--quiet and --verbose"},
		{[]string{"fit", "--fft-size", "1000", "d.csv"}, "--fft-size"},
		{[]string{"fit", "--hop", "0", "d.csv"}, "--hop"},
		{[]string{"fit", "--hop", "256", "d.csv"}, "--hop applies to .wav input only"},
		{[]string{"fit", "--out", "", "d.csv"}, "--out"},
		{[]string{"fit", "--resume", "x.nmf", "-k", "3"}, "--rank cannot be used with --resume"},
		{[]string{"fit", "--resume", "x.nmf", "--init", "random"}, "--init cannot be used with --resume"},
		{[]string{"fit", "--force=maybe", "d.csv"}, "-force"},
		{[]string{"transform", "d.csv"}, "--model DIR or --h FILE"},
		{[]string{"transform", "--model", "m", "--h", "d.csv", "d.csv"}, "--model DIR or --h FILE"},
		{[]string{"transform", "--init", "random", "--h", "d.csv", "d.csv"}, "-init"},
		{[]string{"transform", "--h", "d.csv", "imgs"}, "use --model"},
		{[]string{"transform", "--h", "d.csv"}, "missing INPUT"},
		{[]string{"devices", "extra"}, "no arguments"},
		{[]string{"devices", "--nope"}, "-nope"},
		{[]string{"samples"}, "one folder"},
	}
	for _, c := range cases {
		r := nmfRun(context.Background(), c.args...)
		var ue *usageError
		if r.code != 2 || !errors.As(r.err, &ue) {
			t.Errorf("%q: exit %d (%v), want 2", c.args, r.code, r.err)
			continue
		}
		first, rest, _ := strings.Cut(r.stderr, "\n")
		if !strings.HasPrefix(first, "nmf "+c.args[0]+": ") || !strings.Contains(first, c.want) {
			t.Errorf("%q: first line %q, want \"nmf %s: ...%s...\"", c.args, first, c.args[0], c.want)
		}
		if !strings.HasPrefix(rest, "usage: nmf "+c.args[0]) {
			t.Errorf("%q: no usage after the error: %q", c.args, rest)
		}
		if r.stdout != "" {
			t.Errorf("%q: stdout %q", c.args, r.stdout)
		}
	}
	sameSnapshot(t, "flag misuse", before, snapshot(t, dir))
}

// fitOpts is a command line's options in library terms, for comparing the
// command with the library.
type fitCase struct {
	name  string
	args  []string
	opt   func(o *nmf.Options)
	check func(t *testing.T, rep *runReport)
}

// TestFitFlagsMatchLibrary runs fit with each algorithm flag and checks that
// W and H are exactly the library's with the same options, and that the
// report states the parameters as used.
func TestFitFlagsMatchLibrary(t *testing.T) {
	dir := t.TempDir()
	rows, cols, data := testMatrix()
	in := filepath.Join(dir, "d.csv")
	writeFile(t, in, csvOf(rows, cols, data, ","))
	x64 := &nmf.Dense[float64]{Rows: rows, Cols: cols, Data: data}
	cases := []fitCase{
		{"defaults", nil, func(o *nmf.Options) {}, func(t *testing.T, r *runReport) {
			p := r.Params
			if p.Rank != cols || p.Loss != "frobenius" || p.Beta != 2 || p.Solver != "cd" || p.Init != "nndsvda" ||
				p.MaxIter != 200 || p.Tol != 1e-4 || p.AlphaW != 0 || p.AlphaH != 0 || !p.AlphaHSame || p.L1Ratio != 0 ||
				p.Seed != 0 || p.Shuffle || p.SVD != "randomized" || p.Precision != "float64" || p.Format != "npy" {
				t.Errorf("params %+v", p)
			}
			if !(r.InitSeconds > 0 && r.InitSeconds < r.ElapsedSeconds) {
				t.Errorf("init_seconds %v, elapsed_seconds %v", r.InitSeconds, r.ElapsedSeconds)
			}
			// The phases: each measured, the init's that of init_seconds,
			// init and solve together the elapsed time.
			if tm := r.Timings; tm == nil || !(tm.Read > 0 && tm.Write > 0 && tm.Solve > 0) || tm.Init != r.InitSeconds ||
				math.Abs(tm.Init+tm.Solve-r.ElapsedSeconds) > 1e-9*r.ElapsedSeconds+1e-12 {
				t.Errorf("timings %+v, init_seconds %v, elapsed_seconds %v", tm, r.InitSeconds, r.ElapsedSeconds)
			}
		}},
		{"cd-shuffle-exact", []string{"-k", "3", "--shuffle", "--seed", "7", "--svd", "exact", "--init", "nndsvd"},
			func(o *nmf.Options) {
				o.Components, o.Shuffle, o.Seed, o.SVD, o.Init = 3, true, 7, nmf.SVDExact, nmf.InitNNDSVD
			},
			func(t *testing.T, r *runReport) {
				if !r.Params.Shuffle || r.Params.Seed != 7 || r.Params.SVD != "exact" || r.Params.Solver != "cd" {
					t.Errorf("params %+v", r.Params)
				}
			}},
		{"kl-random", []string{"-k", "3", "--loss", "kl", "--solver", "mu", "--init", "random", "--seed", "5", "--max-iter", "50", "--tol", "0"},
			func(o *nmf.Options) {
				o.Components, o.Loss, o.Solver, o.Init, o.Seed, o.MaxIter, o.Tol = 3, nmf.KullbackLeibler, nmf.MU, nmf.InitRandom, 5, 50, nmf.NoTol
			}, func(t *testing.T, r *runReport) {
				if r.NIter != 50 || r.Params.Seed != 5 || r.Params.Init != "random" || r.Params.SVD != "" || r.Params.Beta != 1 || len(r.Trace) != 6 {
					t.Errorf("n_iter %d, params %+v, trace %v", r.NIter, r.Params, r.Trace)
				}
			}},
		{"is-nndsvdar", []string{"--rank", "3", "--loss", "itakura-saito", "--init", "nndsvdar", "--seed", "2"},
			func(o *nmf.Options) { o.Components, o.Loss, o.Init, o.Seed = 3, nmf.ItakuraSaito, nmf.InitNNDSVDAR, 2 },
			func(t *testing.T, r *runReport) {
				if r.Params.Solver != "mu" || r.Params.Loss != "itakura-saito" {
					t.Errorf("params %+v", r.Params)
				}
			}},
		{"beta-reg", []string{"-k", "2", "--loss", "1.5", "--alpha-w", "0.1", "--alpha-h", "0.05", "--l1-ratio", "0.3", "--solver", "mu", "--init", "nndsvd"},
			func(o *nmf.Options) {
				a := 0.05
				o.Components, o.Loss, o.AlphaW, o.AlphaH, o.L1Ratio, o.Solver, o.Init = 2, nmf.Beta(1.5), 0.1, &a, 0.3, nmf.MU, nmf.InitNNDSVD
			}, func(t *testing.T, r *runReport) {
				p := r.Params
				if p.AlphaW != 0.1 || p.AlphaH != 0.05 || p.AlphaHSame || p.L1Ratio != 0.3 ||
					math.Abs(p.L1RegW-float64(cols)*0.1*0.3) > 1e-12 || math.Abs(p.L2RegH-float64(rows)*0.05*0.7) > 1e-12 {
					t.Errorf("params %+v", p)
				}
				if len(r.Warnings) == 0 || r.Warnings[0].Code != "mu_nndsvd_zeros" {
					t.Errorf("warnings %v", r.Warnings)
				}
			}},
		{"cd-l1", []string{"-k", "3", "--solver", "cd", "--alpha-w", "0.2", "--l1-ratio", "1", "--init", "nndsvd", "--tol", "1e-6", "--max-iter", "300"},
			func(o *nmf.Options) {
				o.Components, o.Solver, o.AlphaW, o.L1Ratio, o.Init, o.Tol, o.MaxIter = 3, nmf.CD, 0.2, 1, nmf.InitNNDSVD, 1e-6, 300
			}, func(t *testing.T, r *runReport) {
				if !r.Params.AlphaHSame || r.Params.AlphaH != 0.2 || r.Params.L1RegH != float64(rows)*0.2 {
					t.Errorf("params %+v", r.Params)
				}
			}},
		{"max-iter-0", []string{"-k", "2", "--max-iter", "0"},
			func(o *nmf.Options) { o.Components, o.MaxIter = 2, nmf.NoIterations },
			func(t *testing.T, r *runReport) {
				if r.NIter != 0 || len(r.Trace) != 1 || r.Trace[0].Iter != 0 {
					t.Errorf("n_iter %d, trace %v", r.NIter, r.Trace)
				}
			}},
		{"alpha-h-same-explicit", []string{"-k", "2", "--alpha-w", "0.3", "--alpha-h", "same", "--solver", "mu", "--loss", "fro"},
			func(o *nmf.Options) { o.Components, o.AlphaW, o.Solver = 2, 0.3, nmf.MU },
			func(t *testing.T, r *runReport) {
				if !r.Params.AlphaHSame || r.Params.AlphaH != 0.3 || r.Params.Loss != "frobenius" {
					t.Errorf("params %+v", r.Params)
				}
			}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			out := filepath.Join(dir, "out", c.name)
			args := append([]string{"fit", in, "--device", "cpu", "-q", "--out", out}, c.args...)
			r := mustRun(t, args...)
			if r.stdout != "" {
				t.Errorf("stdout with -q: %q", r.stdout)
			}
			opt := nmf.DefaultOptions()
			opt.Device = "cpu"
			c.opt(&opt)
			res, err := nmf.Fit(context.Background(), x64, opt)
			if err != nil {
				t.Fatal(err)
			}
			w, h := readMatrix(t, filepath.Join(out, "W.npy")), readMatrix(t, filepath.Join(out, "H.npy"))
			if w.prec != "float64" || w.rows != rows || h.cols != cols || w.cols != res.W.Cols {
				t.Fatalf("W %d×%d %s, H %d×%d", w.rows, w.cols, w.prec, h.rows, h.cols)
			}
			if !reflect.DeepEqual(w.data, res.W.Data) || !reflect.DeepEqual(h.data, res.H.Data) {
				t.Errorf("W, H differ from the library's: %g, %g", maxDiff(t, w, &matrix{rows, res.W.Cols, res.W.Data, ""}), maxDiff(t, h, &matrix{res.H.Rows, cols, res.H.Data, ""}))
			}
			rep, _ := loadReport(t, out)
			if rep.NIter != res.NIter || rep.ReconstructionErr != res.ReconstructionErr || rep.Params.Rank != res.Params.Components {
				t.Errorf("report n_iter %d err %v rank %d; library %d %v %d", rep.NIter, rep.ReconstructionErr, rep.Params.Rank, res.NIter, res.ReconstructionErr, res.Params.Components)
			}
			if rep.Device.Requested != "cpu" || !strings.HasPrefix(rep.Device.Name, "cpu") || rep.Device.Reason == "" || rep.ElapsedSeconds <= 0 {
				t.Errorf("device %+v, elapsed %v", rep.Device, rep.ElapsedSeconds)
			}
			if rep.Command != "fit" || rep.Partial || rep.Version == "" || rep.Files.W != "W.npy" {
				t.Errorf("report %+v", rep)
			}
			c.check(t, rep)
		})
	}
}

// TestFitStartAndPrecision covers --w0/--h0, --precision and --seed.
func TestFitStartAndPrecision(t *testing.T) {
	dir := t.TempDir()
	in := filepath.Join(dir, "d.npy")
	rows, cols, data := testNPY(t, in)
	k := 2
	w0 := make([]float64, rows*k)
	h0 := make([]float64, k*cols)
	for i := range w0 {
		w0[i] = 0.5 + float64(i%3)
	}
	for i := range h0 {
		h0[i] = 1 + float64(i%4)/4
	}
	wf, hf := filepath.Join(dir, "w0.npy"), filepath.Join(dir, "h0.csv")
	if err := nmfio.WriteNPY(wf, rows, k, w0); err != nil {
		t.Fatal(err)
	}
	writeFile(t, hf, csvOf(k, cols, h0, ","))

	// --max-iter 0 with a custom start writes the start; k comes from W0.
	out := filepath.Join(dir, "start.nmf")
	mustRun(t, "fit", "--w0", wf, "--h0", hf, "--max-iter", "0", "--device", "cpu", "--out", out, in)
	if w := readMatrix(t, filepath.Join(out, "W.npy")); !reflect.DeepEqual(w.data, w0) {
		t.Errorf("W = %v, want W0 %v", w.data, w0)
	}
	rep, _ := loadReport(t, out)
	if rep.Params.Init != "custom" || rep.Params.Rank != k || rep.Start == nil || rep.Start.W0 != wf || rep.Start.H0 != hf {
		t.Errorf("params %+v, start %+v", rep.Params, rep.Start)
	}

	// --init custom with a start, float32: the same as the library on
	// float32 data.
	out = filepath.Join(dir, "f32.nmf")
	mustRun(t, "fit", in, "--init", "custom", "--w0", wf, "--h0", hf, "-k", "2", "--precision", "float32", "--solver", "mu", "--device", "cpu", "--out", out)
	x32 := &nmf.Dense[float32]{Rows: rows, Cols: cols, Data: convert[float32](data)}
	opt := nmf.DefaultOptions()
	opt.Device, opt.Solver, opt.Init, opt.Components = "cpu", nmf.MU, nmf.InitCustom, 2
	w032 := &nmf.Dense[float32]{Rows: rows, Cols: k, Data: convert[float32](w0)}
	h032 := &nmf.Dense[float32]{Rows: k, Cols: cols, Data: convert[float32](h0)}
	res, err := nmf.FitFrom(context.Background(), x32, w032, h032, opt)
	if err != nil {
		t.Fatal(err)
	}
	w := readMatrix(t, filepath.Join(out, "W.npy"))
	if w.prec != "float32" || !reflect.DeepEqual(w.data, convert[float64](res.W.Data)) {
		t.Errorf("float32 W: %s, differs from the library's", w.prec)
	}
	if rep, _ := loadReport(t, out); rep.Params.Precision != "float32" || rep.Input.Precision != "float32" {
		t.Errorf("precision %q %q", rep.Params.Precision, rep.Input.Precision)
	}

	// --precision float64 of a float32 file.
	in32 := filepath.Join(dir, "d32.npy")
	if err := nmfio.WriteNPY(in32, rows, cols, convert[float32](data)); err != nil {
		t.Fatal(err)
	}
	out = filepath.Join(dir, "f64.nmf")
	mustRun(t, "fit", in32, "-k", "2", "--precision", "float64", "--device", "cpu", "--out", out)
	if w := readMatrix(t, filepath.Join(out, "W.npy")); w.prec != "float64" {
		t.Errorf("W is %s", w.prec)
	}
	out = filepath.Join(dir, "f32default.nmf")
	mustRun(t, "fit", in32, "-k", "2", "--device", "cpu", "--out", out)
	if w := readMatrix(t, filepath.Join(out, "W.npy")); w.prec != "float32" {
		t.Errorf("W of a float32 file is %s", w.prec)
	}

	// --seed changes a random start; the same seed gives the same result.
	var ws []*matrix
	for _, seed := range []string{"1", "2", "1"} {
		out := filepath.Join(dir, "seed"+seed+".nmf")
		mustRun(t, "fit", in, "-k", "2", "--init", "random", "--seed", seed, "--device", "cpu", "--force", "--out", out)
		ws = append(ws, readMatrix(t, filepath.Join(out, "W.npy")))
	}
	if reflect.DeepEqual(ws[0].data, ws[1].data) || !reflect.DeepEqual(ws[0].data, ws[2].data) {
		t.Error("--seed does not drive the random start")
	}
}

// TestFitOutputFlags covers --out (and its default), --format, --quiet,
// --verbose and --device.
func TestFitOutputFlags(t *testing.T) {
	dir := t.TempDir()
	t.Chdir(dir)
	rows, cols, data := testMatrix()
	writeFile(t, "table.v1.csv", csvOf(rows, cols, data, ","))

	r := mustRun(t, "fit", "table.v1.csv", "-k", "2", "--device", "cpu", "--format", "csv")
	if !exists("table.v1.nmf/W.csv") || !exists("table.v1.nmf/H.csv") || exists("table.v1.nmf/W.npy") {
		t.Fatalf("default --out: %v", snapshot(t, "."))
	}
	if !strings.HasPrefix(r.stdout, "table.v1.nmf: W.csv, H.csv, convergence.png, W.png, H.png, report.json (k 2, ") {
		t.Errorf("summary %q", r.stdout)
	}
	w := readMatrix(t, "table.v1.nmf/W.csv")
	mustRun(t, "fit", "table.v1.csv", "-k", "2", "--device", "cpu", "--out", "npy.nmf")
	if d := maxDiff(t, w, readMatrix(t, "npy.nmf/W.npy")); d != 0 {
		t.Errorf("CSV and NPY results differ by %g", d)
	}
	if rep, _ := loadReport(t, "table.v1.nmf"); rep.Files.W != "W.csv" || rep.Params.Format != "csv" {
		t.Errorf("files %+v", rep.Files)
	}

	r = mustRun(t, "fit", "table.v1.csv", "-k", "2", "--device", "cpu", "--out", "v.nmf", "-v", "--tol", "0", "--max-iter", "30", "--solver", "mu")
	for _, want := range []string{"nmf: table.v1.csv: a .csv file, X 6×5 float64; k 2", "nmf: iteration 10/30", "nmf: iteration 20/30", "nmf: iteration 30/30"} {
		if !strings.Contains(r.stderr, want) {
			t.Errorf("--verbose stderr lacks %q: %q", want, r.stderr)
		}
	}
	r = mustRun(t, "fit", "table.v1.csv", "-k", "2", "--device", "cpu", "--out", "q.nmf", "--quiet", "--max-iter", "5", "--solver", "mu")
	if r.stdout != "" || !strings.HasPrefix(r.stderr, "nmf: warning: maximum number of iterations 5 reached") || strings.Count(r.stderr, "\n") != 1 {
		t.Errorf("--quiet: stdout %q, stderr %q (want the warning only)", r.stdout, r.stderr)
	}
	r = mustRun(t, "fit", "table.v1.csv", "-k", "2", "--out", "auto.nmf", "-q")
	if rep, _ := loadReport(t, "auto.nmf"); rep.Device.Requested != "auto" || rep.Device.Name == "" || !strings.HasPrefix(rep.Device.Reason, "auto") {
		t.Errorf("--device auto: %+v", rep.Device)
	}
	// A device that does not exist is an error, with nothing written.
	r = nmfRun(context.Background(), "fit", "table.v1.csv", "-k", "2", "--out", "none.nmf", "--device", "opencl:7:7")
	if r.code != 1 || !strings.HasPrefix(r.stderr, "nmf: ") || !strings.Contains(r.stderr, "opencl:7:7") || exists("none.nmf") {
		t.Errorf("--device opencl:7:7: exit %d, stderr %q", r.code, r.stderr)
	}
}

func TestProgressBar(t *testing.T) {
	var b bytes.Buffer
	p := &progress{w: &b, bar: true, total: 100, offset: 20}
	p.started(1250 * time.Millisecond)
	p.start = p.start.Add(-1e9)
	p.update(50, 1.5)   // iterations count those before the resume
	p.update(100, 1.25) // the end: drawn at once
	p.finish()
	s := b.String()
	for _, want := range []string{"\r50/100 [", "error 1.5 ", "it/s", "left", "start 1.25 s", "\r100/100 [████████████████████████]", "error 1.25 "} {
		if !strings.Contains(s, want) {
			t.Errorf("bar %q lacks %q", s, want)
		}
	}
	if !strings.HasSuffix(s, "\r") {
		t.Errorf("bar not cleared: %q", s)
	}
	var lines bytes.Buffer
	(&progress{w: &lines, lines: true, total: 10}).started(40 * time.Millisecond)
	if got := lines.String(); got != "nmf: start 0.04 s\n" {
		t.Errorf("--verbose start line %q", got)
	}
	// The init is a phase of its own: its line comes first, complete, and
	// the rate and time left of the bar count from its end.
	var ph bytes.Buffer
	p = &progress{w: &ph, bar: true, total: 10}
	p.initing("nndsvda")
	p.started(300 * time.Millisecond)
	p.start = p.start.Add(-1e9)
	p.update(5, 2)
	if got := ph.String(); !strings.HasPrefix(got, "init nndsvda …\rinit nndsvda 0.3 s\n\r5/10 [") || strings.Contains(got, "start") || !strings.Contains(got, "left 1s") {
		t.Errorf("init phase and bar %q", got)
	}
	lines.Reset()
	p = &progress{w: &lines, lines: true, total: 10}
	p.initing("random")
	p.started(20 * time.Millisecond)
	if got := lines.String(); got != "nmf: init random 0.02 s\n" {
		t.Errorf("--verbose init line %q", got)
	}
	if isTerminal(&b) || isTerminal(os.NewFile(^uintptr(0), "bad")) {
		t.Error("a buffer or a bad file is a terminal")
	}
	if f, err := os.Open(os.DevNull); err == nil {
		if isTerminal(f) {
			t.Error("the null device is a terminal")
		}
		f.Close()
	}
}

// writePNG writes a w×h gray PNG whose pixels depend on seed.
func writePNG(t *testing.T, path string, w, h, seed int) {
	t.Helper()
	img := image.NewGray(image.Rect(0, 0, w, h))
	for y := range h {
		for x := range w {
			img.SetGray(x, y, color.Gray{uint8((x*37 + y*11 + seed*53) % 256)})
		}
	}
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := png.Encode(f, img); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
}
