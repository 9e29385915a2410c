package main

import (
	"context"
	"fmt"
	"image"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/clnmf/clnmf/nmf"
	"github.com/clnmf/clnmf/nmf/nmfio"
)

// TestFormats fits the same matrix from every input format and checks the
// report's description of the input and that the factors agree.
func TestFormats(t *testing.T) {
	dir := t.TempDir()
	rows, cols, data := testMatrix()
	ints := make([]int32, len(data))
	bytes8 := make([]uint8, len(data))
	for i, v := range data {
		ints[i] = int32(math.Round(v * 4))
		bytes8[i] = uint8(ints[i])
	}
	intData := convert[float64](convert[float32](ints2f(ints)))
	fortran := make([]float64, len(data))
	for i := range rows {
		for j := range cols {
			fortran[j*rows+i] = data[i*cols+j]
		}
	}
	file := func(name string) string { return filepath.Join(dir, name) }
	writeNPYRaw(t, file("f64.npy"), "<f8", false, rows, cols, leBytes(t, data))
	writeNPYRaw(t, file("fortran.npy"), "<f8", true, rows, cols, leBytes(t, fortran))
	writeNPYRaw(t, file("f32.npy"), "<f4", false, rows, cols, leBytes(t, convert[float32](data)))
	writeNPYRaw(t, file("i4.npy"), "<i4", false, rows, cols, leBytes(t, ints))
	writeNPYRaw(t, file("u1.npy"), "|u1", false, rows, cols, leBytes(t, bytes8))
	writeFile(t, file("plain.csv"), csvOf(rows, cols, data, ","))
	writeFile(t, file("header.csv"), "a,b,c,d,e\n"+csvOf(rows, cols, data, ","))
	writeFile(t, file("data.TSV"), "a\tb\tc\td\te\n"+csvOf(rows, cols, data, "\t"))
	// The same matrix as a sparse Matrix Market file, with one zero left out
	// of each row.
	sparse := append([]float64(nil), data...)
	var mtx strings.Builder
	nnz := 0
	for i := range rows {
		sparse[i*cols+i%cols] = 0
		for j := range cols {
			if sparse[i*cols+j] != 0 {
				nnz++
			}
		}
	}
	fmt.Fprintf(&mtx, "%%%%MatrixMarket matrix coordinate real general\n%% a comment\n%d %d %d\n", rows, cols, nnz)
	for i := range rows {
		for j := range cols {
			if v := sparse[i*cols+j]; v != 0 {
				fmt.Fprintf(&mtx, "%d %d %v\n", i+1, j+1, v)
			}
		}
	}
	writeFile(t, file("sparse.mtx"), mtx.String())
	writeFile(t, file("sparse.csv"), csvOf(rows, cols, sparse, ","))

	cases := []struct {
		file, kind, prec string
		header           []string
		sparse           bool
		data             []float64
	}{
		{"f64.npy", "npy", "float64", nil, false, data},
		{"fortran.npy", "npy", "float64", nil, false, data},
		{"f32.npy", "npy", "float32", nil, false, convert[float64](convert[float32](data))},
		{"i4.npy", "npy", "float64", nil, false, intData},
		{"u1.npy", "npy", "float64", nil, false, intData},
		{"plain.csv", "csv", "float64", nil, false, data},
		{"header.csv", "csv", "float64", []string{"a", "b", "c", "d", "e"}, false, data},
		{"data.TSV", "tsv", "float64", []string{"a", "b", "c", "d", "e"}, false, data},
		{"sparse.mtx", "mtx", "float64", nil, true, sparse},
		{"sparse.csv", "csv", "float64", nil, false, sparse},
	}
	results := map[string]*matrix{}
	for _, c := range cases {
		t.Run(c.file, func(t *testing.T) {
			out := file(c.file + ".nmf")
			mustRun(t, "fit", "--device", "cpu", "-k", "3", "--solver", "mu", "--tol", "0", "--max-iter", "40", "--out", out, file(c.file))
			rep, raw := loadReport(t, out)
			in := rep.Input
			want := 0
			for _, v := range c.data {
				if v != 0 {
					want++
				}
			}
			if in.Kind != c.kind || in.Precision != c.prec || in.Shape != [2]int{rows, cols} || in.Sparse != c.sparse ||
				in.NNZ != want || !reflect.DeepEqual(in.Header, c.header) || in.Path != file(c.file) || !filepath.IsAbs(in.AbsPath) {
				t.Errorf("input %+v", in)
			}
			if _, ok := raw["input"].(map[string]any)["nnz"]; !ok {
				t.Error("report.json lacks input.nnz")
			}
			w := readMatrix(t, filepath.Join(out, "W.npy"))
			h := readMatrix(t, filepath.Join(out, "H.npy"))
			if w.prec != c.prec || w.rows != rows || w.cols != 3 || h.rows != 3 || h.cols != cols {
				t.Fatalf("W %d×%d %s, H %d×%d", w.rows, w.cols, w.prec, h.rows, h.cols)
			}
			// The fit is the library's on the data as the format holds it.
			opt := nmf.DefaultOptions()
			opt.Device, opt.Components, opt.Solver, opt.Tol, opt.MaxIter = "cpu", 3, nmf.MU, nmf.NoTol, 40
			var lw []float64
			if c.prec == "float32" {
				res, err := nmf.Fit(context.Background(), &nmf.Dense[float32]{Rows: rows, Cols: cols, Data: convert[float32](c.data)}, opt)
				if err != nil {
					t.Fatal(err)
				}
				lw = convert[float64](res.W.Data)
			} else {
				res, err := nmf.Fit(context.Background(), &nmf.Dense[float64]{Rows: rows, Cols: cols, Data: c.data}, opt)
				if err != nil {
					t.Fatal(err)
				}
				lw = res.W.Data
			}
			// Sparse and dense products sum in other orders.
			tol := 0.0
			if c.sparse {
				tol = 1e-9
			}
			if d := maxDiff(t, w, &matrix{rows, 3, lw, ""}); d > tol {
				t.Errorf("W differs from the library's dense fit by %g", d)
			}
			results[c.file] = w
		})
	}
	// A sparse file computed in float32 stays sparse.
	out := file("sparse32.nmf")
	mustRun(t, "fit", "--device", "cpu", "-k", "3", "--precision", "float32", "--out", out, file("sparse.mtx"))
	if rep, _ := loadReport(t, out); !rep.Input.Sparse || rep.Params.Precision != "float32" {
		t.Errorf("float32 sparse: %+v", rep.Input)
	}
	if w := readMatrix(t, filepath.Join(out, "W.npy")); w.prec != "float32" {
		t.Errorf("W is %s", w.prec)
	}
	if a, b := results["f64.npy"], results["fortran.npy"]; a != nil && b != nil && !reflect.DeepEqual(a.data, b.data) {
		t.Error("Fortran order gives another fit")
	}
}

func ints2f(v []int32) []float64 {
	out := make([]float64, len(v))
	for i, x := range v {
		out[i] = float64(x)
	}
	return out
}

// TestImageFolder fits a folder of images and checks the report's image
// names and size, and components.png.
func TestImageFolder(t *testing.T) {
	dir := t.TempDir()
	imgs := filepath.Join(dir, "imgs")
	if err := os.Mkdir(imgs, 0o777); err != nil {
		t.Fatal(err)
	}
	names := []string{"a.png", "b.PNG", "c.png", "d.png", "e.png"}
	for i, n := range names {
		writePNG(t, filepath.Join(imgs, n), 6, 4, i)
	}
	writeFile(t, filepath.Join(imgs, "notes.txt"), "not an image")
	out := filepath.Join(dir, "imgs.nmf")
	mustRun(t, "fit", imgs, "-k", "2", "--device", "cpu", "--out", out)
	rep, _ := loadReport(t, out)
	in := rep.Input
	if in.Kind != "images" || !reflect.DeepEqual(in.Images, names) || in.Width != 6 || in.Height != 4 || in.Shape != [2]int{24, 5} || in.Precision != "float32" {
		t.Errorf("input %+v", in)
	}
	if !reflect.DeepEqual(rep.Files.Pictures, withConvergence(rep, "components.png")) {
		t.Errorf("files %+v", rep.Files)
	}
	checkPNG(t, filepath.Join(out, "components.png"))
	if w := readMatrix(t, filepath.Join(out, "W.npy")); w.prec != "float32" || w.rows != 24 {
		t.Errorf("W %d×%d %s", w.rows, w.cols, w.prec)
	}
}

// TestWAVFlags fits the melody with another STFT and checks the shape, the
// report and the sounds.
func TestWAVFlags(t *testing.T) {
	dir := t.TempDir()
	in := filepath.Join("testdata", "samples", "melody.wav")
	if _, err := os.Stat(in); err != nil {
		in = filepath.Join("..", "..", "testdata", "samples", "melody.wav")
	}
	out := filepath.Join(dir, "m.nmf")
	mustRun(t, "fit", in, "-k", "3", "--loss", "kl", "--fft-size", "512", "--hop", "256", "--max-iter", "20", "--device", "cpu", "--out", out, "--precision", "float64", "--format", "csv")
	rep, _ := loadReport(t, out)
	wi := rep.Input.WAV
	if wi == nil || wi.Rate != 16000 || wi.FFTSize != 512 || wi.Hop != 256 || wi.Channels != 1 || wi.BitDepth != 16 || wi.Samples != 57600 || wi.Window != "hann" {
		t.Fatalf("wav %+v", wi)
	}
	frames := 1 + (57600-512)/256
	if rep.Input.Shape != [2]int{257, frames} || rep.Input.Kind != "wav" || rep.Params.Precision != "float64" {
		t.Errorf("input %+v", rep.Input)
	}
	want := []string{"component_00.wav", "component_01.wav", "component_02.wav"}
	if !reflect.DeepEqual(rep.Files.Sounds, want) || !reflect.DeepEqual(rep.Files.Pictures, withConvergence(rep, "spectrogram.png")) {
		t.Errorf("files %+v", rep.Files)
	}
	for _, n := range want {
		s, err := nmfio.ReadWAV(filepath.Join(out, n))
		if err != nil {
			t.Fatal(err)
		}
		if s.Rate != 16000 || len(s.Samples) != 57600 {
			t.Errorf("%s: %d Hz, %d samples", n, s.Rate, len(s.Samples))
		}
	}
	// 11×7 inches at 96 dpi: spectrogram, spectra, activations and scale.
	if r := checkPNG(t, filepath.Join(out, "spectrogram.png")); r.Dx() != 1056 || r.Dy() != 672 {
		t.Errorf("spectrogram.png %v, want 1056×672", r)
	}
	if h := readMatrix(t, filepath.Join(out, "H.csv")); h.rows != 3 || h.cols != frames {
		t.Errorf("H %d×%d", h.rows, h.cols)
	}
}

func checkPNG(t *testing.T, path string) image.Rectangle {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	img, err := decodePNG(f)
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return img.Bounds()
}

// TestBadInputs checks that every bad input gives one line naming the file
// and the problem, exit status 1, and writes nothing.
func TestBadInputs(t *testing.T) {
	dir := t.TempDir()
	t.Chdir(dir)
	rows, cols, data := testMatrix()
	writeFile(t, "good.csv", csvOf(rows, cols, data, ","))
	if err := nmfio.WriteNPY("good.npy", rows, cols, data); err != nil {
		t.Fatal(err)
	}
	neg := append([]float64(nil), data...)
	neg[1*cols+2] = -1
	writeNPYRaw(t, "neg.npy", "<f8", false, rows, cols, leBytes(t, neg))
	nan := append([]float64(nil), data...)
	nan[2*cols+1] = math.NaN()
	writeNPYRaw(t, "nan.npy", "<f8", false, rows, cols, leBytes(t, nan))
	inf := append([]float64(nil), data...)
	inf[0] = math.Inf(1)
	writeNPYRaw(t, "inf.npy", "<f8", false, rows, cols, leBytes(t, inf))
	writeNPYRaw(t, "truncated.npy", "<f8", false, 100000, 100000, leBytes(t, data))
	writeNPYRaw(t, "short.npy", "<f8", false, rows, cols, leBytes(t, data[:7]))
	writeFile(t, "badmagic.npy", "NUMPY not really")
	writeNPYRaw(t, "zerorows.npy", "<f8", false, 0, 3, nil)
	writeFile(t, "empty.npy", "")
	writeFile(t, "empty.csv", "")
	writeFile(t, "blank.csv", "\n\n")
	writeFile(t, "headeronly.csv", "a,b,c\n")
	writeFile(t, "ragged.csv", "1,2,3\n4,5\n")
	writeFile(t, "word.csv", "1,2,3\n4,five,6\n")
	writeFile(t, "nan.csv", "1,2\nNaN,3\n")
	writeFile(t, "neg.tsv", "1\t2\n3\t-4\n")
	writeFile(t, "negheader.csv", "x,y\n1,2\n3,-4\n")
	writeFile(t, "range.mtx", "%%MatrixMarket matrix coordinate real general\n3 3 2\n1 1 1.0\n4 2 2.0\n")
	writeFile(t, "badheader.mtx", "%%MatrixMarket matrix array real general\n2 2\n1\n2\n3\n4\n")
	writeFile(t, "fewer.mtx", "%%MatrixMarket matrix coordinate real general\n3 3 3\n1 1 1.0\n2 2 2.0\n")
	writeFile(t, "neg.mtx", "%%MatrixMarket matrix coordinate real general\n3 3 2\n1 1 1.0\n2 3 -2.0\n")
	writeFile(t, "empty.mtx", "")
	writeFile(t, "data.xyz", "1,2\n")
	writeFile(t, "noext", "1,2\n")
	writeFile(t, "zeros.csv", "0,1\n1,1\n")
	if err := os.Mkdir("mixed", 0o777); err != nil {
		t.Fatal(err)
	}
	writePNG(t, "mixed/a.png", 4, 4, 0)
	writePNG(t, "mixed/b.png", 5, 4, 1)
	if err := os.Mkdir("noimages", 0o777); err != nil {
		t.Fatal(err)
	}
	writeFile(t, "noimages/readme.txt", "")
	if err := os.Mkdir("corrupt", 0o777); err != nil {
		t.Fatal(err)
	}
	writeFile(t, "corrupt/a.png", "\x89PNG\r\n\x1a\nbroken")
	if err := os.Mkdir("dir.npy", 0o777); err != nil {
		t.Fatal(err)
	}
	var wav strings.Builder
	if err := nmfio.WriteWAV(&wav, 8000, make([]float64, 1000)); err != nil {
		t.Fatal(err)
	}
	writeFile(t, "short.wav", wav.String())
	wav.Reset()
	if err := nmfio.WriteWAV(&wav, 8000, make([]float64, 5000)); err != nil {
		t.Fatal(err)
	}
	writeFile(t, "truncated.wav", wav.String()[:3000])
	writeFile(t, "garbage.wav", "RIFX and then nothing useful")
	writeFile(t, "empty.wav", "")
	w0 := make([]float64, rows*2)
	h0 := make([]float64, 2*cols)
	for i := range w0 {
		w0[i] = 1
	}
	for i := range h0 {
		h0[i] = 1
	}
	nmfio.WriteNPY("w0.npy", rows, 2, w0)
	nmfio.WriteNPY("h0.npy", 2, cols, h0)
	wide := make([]float64, rows*3)
	for i := range wide {
		wide[i] = 1
	}
	nmfio.WriteNPY("w0wide.npy", rows, 3, wide)
	nmfio.WriteNPY("w0zero.npy", rows, 2, make([]float64, rows*2))
	negH := append([]float64(nil), h0...)
	negH[3] = -2
	nmfio.WriteNPY("h0neg.npy", 2, cols, negH)
	nmfio.WriteNPY("hwrong.npy", 2, cols+1, make([]float64, 2*(cols+1)))
	if err := os.Mkdir("notamodel", 0o777); err != nil {
		t.Fatal(err)
	}
	if err := os.Mkdir("badreport", 0o777); err != nil {
		t.Fatal(err)
	}
	writeFile(t, "badreport/report.json", "{not json")
	if os.Geteuid() != 0 {
		writeFile(t, "secret.csv", "1,2\n")
		os.Chmod("secret.csv", 0)
	}

	cases := []struct {
		args []string
		file string // the file the message must name
		want string
	}{
		{[]string{"fit", "missing.npy"}, "missing.npy", "no such file"},
		{[]string{"fit", "empty.npy"}, "empty.npy", ""},
		{[]string{"fit", "truncated.npy"}, "truncated.npy", "header"},
		{[]string{"fit", "short.npy"}, "short.npy", ""},
		{[]string{"fit", "badmagic.npy"}, "badmagic.npy", ""},
		{[]string{"fit", "zerorows.npy"}, "zerorows.npy", ""},
		{[]string{"fit", "neg.npy"}, "neg.npy", "element [1, 2]: negative value"},
		{[]string{"fit", "nan.npy"}, "nan.npy", "element [2, 1]: NaN"},
		{[]string{"fit", "inf.npy"}, "inf.npy", "element [0, 0]: NaN or infinite"},
		{[]string{"fit", "empty.csv"}, "empty.csv", ""},
		{[]string{"fit", "blank.csv"}, "blank.csv", ""},
		{[]string{"fit", "headeronly.csv"}, "headeronly.csv", ""},
		{[]string{"fit", "ragged.csv"}, "ragged.csv", "line 2"},
		{[]string{"fit", "word.csv"}, "word.csv", "line 2, column 2"},
		{[]string{"fit", "nan.csv"}, "nan.csv", "line 2, column 1"},
		{[]string{"fit", "neg.tsv"}, "neg.tsv", "data row 2, column 2: negative value"},
		{[]string{"fit", "negheader.csv"}, "negheader.csv", "data row 2, column 2 (y): negative value"},
		{[]string{"fit", "range.mtx"}, "range.mtx", "line 4"},
		{[]string{"fit", "badheader.mtx"}, "badheader.mtx", "line 1"},
		{[]string{"fit", "fewer.mtx"}, "fewer.mtx", ""},
		{[]string{"fit", "neg.mtx"}, "neg.mtx", "entry (2, 3): negative value"},
		{[]string{"fit", "empty.mtx"}, "empty.mtx", ""},
		{[]string{"fit", "data.xyz"}, "data.xyz", "unknown extension .xyz"},
		{[]string{"fit", "noext"}, "noext", "no extension"},
		{[]string{"fit", "mixed"}, "mixed", "all images must have the same size"},
		{[]string{"fit", "noimages"}, "noimages", "no .png"},
		{[]string{"fit", "corrupt"}, "corrupt", "decode"},
		{[]string{"fit", "dir.npy"}, "dir.npy", "no .png"},
		{[]string{"fit", "short.wav"}, "short.wav", "shorter than one frame of 2048"},
		{[]string{"fit", "--fft-size", "8192", "truncated.wav"}, "truncated.wav", "truncated"},
		{[]string{"fit", "garbage.wav"}, "garbage.wav", "RIFF"},
		{[]string{"fit", "empty.wav"}, "empty.wav", ""},
		{[]string{"fit", "--loss", "is", "zeros.csv"}, "zeros.csv", "zeros in X"},
		{[]string{"fit", "-k", "9", "--init", "nndsvd", "good.csv"}, "good.csv", "--init: invalid parameter: nndsvd needs k ≤ min(rows, columns) = 5"},
		{[]string{"fit", "--w0", "w0wide.npy", "--h0", "h0.npy", "good.csv"}, "h0.npy", "H0: wrong shape"},
		{[]string{"fit", "-k", "2", "--w0", "w0wide.npy", "--h0", "h0.npy", "good.csv"}, "w0wide.npy", "W0: wrong shape"},
		{[]string{"fit", "--w0", "w0zero.npy", "--h0", "h0.npy", "good.csv"}, "w0zero.npy", "W0: matrix is all zero"},
		{[]string{"fit", "--w0", "w0.npy", "--h0", "h0neg.npy", "good.csv"}, "h0neg.npy", "H0[0, 3]: negative value"},
		{[]string{"fit", "--w0", "w0.npy", "--h0", "nothere.npy", "good.csv"}, "nothere.npy", "no such file"},
		{[]string{"fit", "--w0", "w0.npy", "--h0", "empty.csv", "good.csv"}, "empty.csv", ""},
		{[]string{"fit", "--resume", "nothere.nmf"}, "nothere.nmf", "no such file"},
		{[]string{"fit", "--resume", "notamodel"}, "notamodel", "has no report.json"},
		{[]string{"fit", "--resume", "badreport"}, "badreport/report.json", "not a report of nmf"},
		{[]string{"fit", "--resume", "good.csv"}, "good.csv", "is not a folder"},
		{[]string{"fit", "--device", "opencl:3:4", "good.csv"}, "", "opencl:3:4"},
		{[]string{"fit", "--out", "good.csv", "good.npy"}, "good.csv", "is not a folder"},
		{[]string{"transform", "--h", "hwrong.npy", "good.csv"}, "hwrong.npy", "wrong shape"},
		{[]string{"transform", "--h", "h0neg.npy", "good.csv"}, "h0neg.npy", "H[0, 3]: negative value"},
		{[]string{"transform", "-k", "3", "--h", "h0.npy", "good.csv"}, "good.csv", "--rank"},
		{[]string{"transform", "--h", "h0.npy", "neg.npy"}, "neg.npy", "negative value"},
		{[]string{"transform", "--model", "nothere", "good.csv"}, "nothere", "no such file"},
		{[]string{"transform", "--model", "notamodel", "good.csv"}, "notamodel", "has no report.json"},
		{[]string{"transform", "--h", "h0.npy", "missing.csv"}, "missing.csv", "no such file"},
	}
	if os.Geteuid() != 0 {
		cases = append(cases, struct {
			args       []string
			file, want string
		}{[]string{"fit", "secret.csv"}, "secret.csv", "permission denied"})
	}
	before := snapshot(t, ".")
	for _, c := range cases {
		r := nmfRun(context.Background(), c.args...)
		if r.code != 1 {
			t.Errorf("%q: exit %d (%v), want 1; stderr %q", c.args, r.code, r.err, r.stderr)
			continue
		}
		line := strings.TrimSuffix(r.stderr, "\n")
		t.Logf("%s\n\t%s", strings.Join(c.args, " "), line)
		if strings.Contains(line, "\n") || !strings.HasPrefix(line, "nmf: "+c.file) || !strings.Contains(line, c.want) {
			t.Errorf("%q: stderr %q, want one line \"nmf: %s: ...%s...\"", c.args, r.stderr, c.file, c.want)
		}
		if strings.HasPrefix(line, "nmf: nmf:") || strings.Contains(line, "picture:") || strings.Contains(line, "audio:") {
			t.Errorf("%q: stderr %q repeats a package prefix", c.args, line)
		}
		if r.stdout != "" {
			t.Errorf("%q: stdout %q", c.args, r.stdout)
		}
		sameSnapshot(t, strings.Join(c.args, " "), before, snapshot(t, "."))
	}
}
