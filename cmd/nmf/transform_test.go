package main

import (
	"context"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/clnmf/clnmf/nmf"
	"github.com/clnmf/clnmf/nmf/nmfio"
)

// TestTransformMatrix checks transform of a matrix file with --model and
// with --h against the library's Transform, and that the model's parameters
// are taken unless a flag overrides them.
func TestTransformMatrix(t *testing.T) {
	dir := t.TempDir()
	rows, cols, data := testMatrix()
	in := filepath.Join(dir, "d.csv")
	writeFile(t, in, csvOf(rows, cols, data, ","))
	// New rows with the same columns.
	newData := make([]float64, 3*cols)
	for i := range newData {
		newData[i] = data[(i*7)%len(data)] + 0.5
	}
	nw := filepath.Join(dir, "new.npy")
	if err := nmfio.WriteNPY(nw, 3, cols, newData); err != nil {
		t.Fatal(err)
	}
	model := filepath.Join(dir, "m.nmf")
	mustRun(t, "fit", in, "-k", "2", "--loss", "kl", "--alpha-w", "0.01", "--alpha-h", "0.02", "--l1-ratio", "0.5", "--tol", "1e-5", "--max-iter", "150", "--device", "cpu", "-q", "--out", model)
	h := readMatrix(t, filepath.Join(model, "H.npy"))
	hd := &nmf.Dense[float64]{Rows: h.rows, Cols: h.cols, Data: h.data}
	x := &nmf.Dense[float64]{Rows: 3, Cols: cols, Data: newData}

	library := func(o func(*nmf.Options)) *nmf.Result[float64] {
		opt := nmf.DefaultOptions()
		opt.Device = "cpu"
		o(&opt)
		res, err := nmf.Transform(context.Background(), x, hd, opt)
		if err != nil {
			t.Fatal(err)
		}
		return res
	}
	check := func(out string, res *nmf.Result[float64]) *runReport {
		t.Helper()
		w, hh := readMatrix(t, filepath.Join(out, "W.npy")), readMatrix(t, filepath.Join(out, "H.npy"))
		if !reflect.DeepEqual(w.data, res.W.Data) {
			t.Errorf("%s: W differs from the library's Transform by %g", out, maxDiff(t, w, &matrix{3, 2, res.W.Data, ""}))
		}
		if !reflect.DeepEqual(hh.data, hd.Data) {
			t.Errorf("%s: H is not the model's", out)
		}
		rep, _ := loadReport(t, out)
		if rep.Command != "transform" || rep.NIter != res.NIter || rep.Input.Shape != [2]int{3, cols} {
			t.Errorf("%s: report %+v", out, rep)
		}
		return rep
	}

	// --model: the model's parameters.
	out := filepath.Join(dir, "t1.nmf")
	mustRun(t, "transform", "--model", model, nw, "--device", "cpu", "--out", out)
	a := 0.02
	rep := check(out, library(func(o *nmf.Options) {
		o.Loss, o.AlphaW, o.AlphaH, o.L1Ratio, o.Tol, o.MaxIter = nmf.KullbackLeibler, 0.01, &a, 0.5, 1e-5, 150
	}))
	p := rep.Params
	if p.Loss != "kullback-leibler" || p.Solver != "mu" || p.AlphaW != 0.01 || p.AlphaH != 0.02 || p.L1Ratio != 0.5 || p.Tol != 1e-5 || p.MaxIter != 150 || p.Rank != 2 {
		t.Errorf("params not the model's: %+v", p)
	}
	if rep.Model == nil || rep.Model.Dir != model || rep.Model.Fixed != "H" || rep.Model.File != filepath.Join(model, "H.npy") {
		t.Errorf("model %+v", rep.Model)
	}

	// Flags override the model's parameters.
	out = filepath.Join(dir, "t2.nmf")
	mustRun(t, "transform", nw, "--model", model, "--device", "cpu", "--out", out, "--max-iter", "7", "--tol", "0", "--alpha-w", "0", "--alpha-h", "same", "--loss", "1.5", "-k", "2")
	rep = check(out, library(func(o *nmf.Options) {
		o.Loss, o.L1Ratio, o.Tol, o.MaxIter = nmf.Beta(1.5), 0.5, nmf.NoTol, 7
	}))
	if rep.NIter != 7 || rep.Params.Beta != 1.5 || rep.Params.AlphaW != 0 {
		t.Errorf("overrides: n_iter %d params %+v", rep.NIter, rep.Params)
	}

	// --h: the flags' parameters; cd; float32; csv.
	out = filepath.Join(dir, "t3.nmf")
	mustRun(t, "transform", "--h", filepath.Join(model, "H.npy"), nw, "--device", "cpu", "--out", out, "--solver", "cd", "--alpha-w", "0.1")
	rep = check(out, library(func(o *nmf.Options) { o.Solver, o.AlphaW = nmf.CD, 0.1 }))
	if rep.Params.Solver != "cd" || rep.Model.Fixed != "H" || rep.Model.Dir != "" {
		t.Errorf("--h: %+v %+v", rep.Params, rep.Model)
	}
	out = filepath.Join(dir, "t4.nmf")
	mustRun(t, "transform", "--h", filepath.Join(model, "H.npy"), nw, "--device", "cpu", "--out", out, "--precision", "float32", "--format", "csv", "--solver", "mu")
	if w := readMatrix(t, filepath.Join(out, "W.csv")); w.rows != 3 || w.cols != 2 {
		t.Errorf("W %d×%d", w.rows, w.cols)
	}
	if rep, _ := loadReport(t, out); rep.Params.Precision != "float32" {
		t.Errorf("precision %s", rep.Params.Precision)
	}

	// --verbose, --quiet, --force, --seed and --l1-ratio.
	out = filepath.Join(dir, "t1.nmf")
	r := mustRun(t, "transform", "--model", model, nw, "--device", "cpu", "--out", out, "--force", "-v", "--tol", "0", "--max-iter", "20")
	if !strings.Contains(r.stderr, "nmf: iteration 20/20") || !strings.HasPrefix(r.stdout, out+": W.npy") {
		t.Errorf("-v: stdout %q, stderr %q", r.stdout, r.stderr)
	}
	r = mustRun(t, "transform", "--model", model, nw, "--device", "cpu", "--out", out, "--force", "-q", "--seed", "3", "--l1-ratio", "0.2")
	if r.stdout != "" || r.stderr != "" {
		t.Errorf("-q: stdout %q, stderr %q", r.stdout, r.stderr)
	}
	if rep, _ := loadReport(t, out); rep.Params.Seed != 3 || rep.Params.L1Ratio != 0.2 || rep.Params.AlphaW != 0.01 {
		t.Errorf("params %+v", rep.Params)
	}
	if r := nmfRun(context.Background(), "transform", "--model", model, nw, "--device", "cpu", "--out", out); r.code != 1 || !strings.Contains(r.stderr, "already holds results") {
		t.Errorf("without --force: exit %d, %q", r.code, r.stderr)
	}

	// The default --out.
	t.Chdir(dir)
	r = mustRun(t, "transform", "--model", "m.nmf", "new.npy", "--device", "cpu")
	if !exists("new.transform.nmf/W.npy") || !strings.HasPrefix(r.stdout, "new.transform.nmf: W.npy, H.npy, ") || !strings.Contains(r.stdout, "report.json (") {
		t.Errorf("default out: %q", r.stdout)
	}
	// A model is a finished fit of a compatible kind.
	os.Mkdir("imgs", 0o777)
	writePNG(t, "imgs/a.png", 5, 1, 0)
	if r := nmfRun(context.Background(), "transform", "--model", "m.nmf", "imgs"); r.code != 1 || !strings.Contains(r.stderr, "was fitted on a .csv file; it cannot transform a folder of images") {
		t.Errorf("kind mismatch: exit %d, %q", r.code, r.stderr)
	}
	if r := nmfRun(interruptAt(3), "fit", "d.csv", "--out", "part.nmf", "--device", "cpu", "--solver", "mu"); r.code != 130 {
		t.Fatalf("interrupt: %d", r.code)
	}
	if r := nmfRun(context.Background(), "transform", "--model", "part.nmf", "d.csv"); r.code != 1 || !strings.Contains(r.stderr, "is a checkpoint of a fit interrupted after 3 iterations") {
		t.Errorf("checkpoint as model: exit %d, %q", r.code, r.stderr)
	}
	if r := nmfRun(context.Background(), "transform", "--model", "new.transform.nmf", "d.csv"); r.code != 1 || !strings.Contains(r.stderr, "is the report of nmf transform, not of a fit") {
		t.Errorf("transform as model: exit %d, %q", r.code, r.stderr)
	}
	if r := nmfRun(context.Background(), "fit", "--resume", "m.nmf"); r.code != 1 || !strings.Contains(r.stderr, "is not a checkpoint: that fit finished after") {
		t.Errorf("resume a finished fit: exit %d, %q", r.code, r.stderr)
	}
}

// TestTransformImages checks that transform of images holds the model's W
// and solves H, the same as the library's Transform of the transposed
// problem.
func TestTransformImages(t *testing.T) {
	dir := t.TempDir()
	imgs, more := filepath.Join(dir, "imgs"), filepath.Join(dir, "more")
	os.Mkdir(imgs, 0o777)
	os.Mkdir(more, 0o777)
	for i := range 6 {
		writePNG(t, filepath.Join(imgs, string(rune('a'+i))+".png"), 4, 3, i)
	}
	for i := range 2 {
		writePNG(t, filepath.Join(more, string(rune('p'+i))+".gif.png"), 4, 3, i+10)
	}
	model := filepath.Join(dir, "m.nmf")
	mustRun(t, "fit", imgs, "-k", "3", "--loss", "kl", "--alpha-w", "0.01", "--alpha-h", "0.03", "--device", "cpu", "--out", model)
	out := filepath.Join(dir, "t.nmf")
	mustRun(t, "transform", "--model", model, more, "--device", "cpu", "--out", out)
	w, h := readMatrix(t, filepath.Join(out, "W.npy")), readMatrix(t, filepath.Join(out, "H.npy"))
	mw := readMatrix(t, filepath.Join(model, "W.npy"))
	if !reflect.DeepEqual(w.data, mw.data) || h.rows != 3 || h.cols != 2 || h.prec != "float32" {
		t.Fatalf("W is not the model's, or H is %d×%d %s", h.rows, h.cols, h.prec)
	}
	// The library's Transform with W held, H taking H's penalty. (That
	// this is scikit-learn's transform of Xᵀ is nmf's TestTransformHoldW.)
	ds, err := load(more, kindImages, defaultSTFT(), &nmfio.Options{MemoryLimit: -1})
	if err != nil {
		t.Fatal(err)
	}
	wd := &nmf.Dense[float32]{Rows: mw.rows, Cols: mw.cols, Data: convert[float32](mw.data)}
	opt := nmf.DefaultOptions()
	a := 0.03
	opt.Device, opt.Loss, opt.AlphaW, opt.AlphaH, opt.Hold = "cpu", nmf.KullbackLeibler, 0.01, &a, nmf.HoldW
	res, err := nmf.Transform(context.Background(), ds.Dense32, wd, opt)
	if err != nil {
		t.Fatal(err)
	}
	if want := convert[float64](res.H.Data); !reflect.DeepEqual(h.data, want) {
		t.Errorf("H differs from the library's by %g", maxDiff(t, h, &matrix{3, 2, want, ""}))
	}
	rep, _ := loadReport(t, out)
	if rep.Model.Fixed != "W" || rep.Params.AlphaW != 0.01 || rep.Params.AlphaH != 0.03 || rep.Input.Kind != "images" {
		t.Errorf("report: model %+v params %+v", rep.Model, rep.Params)
	}
	checkPNG(t, filepath.Join(out, "components.png"))
	// Images of another size do not fit the model.
	other := filepath.Join(dir, "other")
	os.Mkdir(other, 0o777)
	writePNG(t, filepath.Join(other, "x.png"), 3, 3, 0)
	r := nmfRun(context.Background(), "transform", "--model", model, other, "--device", "cpu", "--out", filepath.Join(dir, "o.nmf"))
	if r.code != 1 || !strings.HasPrefix(r.stderr, "nmf: "+filepath.Join(model, "W.npy")+": W: wrong shape") {
		t.Errorf("other size: exit %d, %q", r.code, r.stderr)
	}
}

// TestTransformWAVSTFT checks that transform of a WAV takes the model's STFT
// unless --fft-size and --hop are given.
func TestTransformWAVSTFT(t *testing.T) {
	dir := t.TempDir()
	in := filepath.Join(samplesDir, "melody.wav")
	model := filepath.Join(dir, "m.nmf")
	mustRun(t, "fit", in, "-k", "2", "--fft-size", "1024", "--hop", "256", "--max-iter", "20", "--device", "cpu", "-q", "--out", model)
	for i, args := range [][]string{nil, {"--fft-size", "1024", "--hop", "512"}} {
		out := filepath.Join(dir, "t"+string(rune('0'+i))+".nmf")
		mustRun(t, append([]string{"transform", "--model", model, in, "--device", "cpu", "-q", "--max-iter", "10", "--out", out}, args...)...)
		rep, _ := loadReport(t, out)
		hop := 256
		if args != nil {
			hop = 512
		}
		if w := rep.Input.WAV; w == nil || w.FFTSize != 1024 || w.Hop != hop || rep.Input.Shape[0] != 513 {
			t.Errorf("%q: wav %+v, shape %v", args, w, rep.Input.Shape)
		}
	}
	r := nmfRun(context.Background(), "transform", "--model", model, in, "--fft-size", "512", "--out", filepath.Join(dir, "x.nmf"))
	if r.code != 1 || !strings.Contains(r.stderr, "the model's W has 513 rows, but "+in+" has 257 frequencies (--fft-size 512)") {
		t.Errorf("other --fft-size: exit %d, %q", r.code, r.stderr)
	}
}
