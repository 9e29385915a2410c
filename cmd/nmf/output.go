package main

import (
	"context"
	"fmt"
	"io"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/clnmf/clnmf/cmd/nmf/internal/audio"
	"github.com/clnmf/clnmf/cmd/nmf/internal/plots"
	"github.com/clnmf/clnmf/nmf"
	"github.com/clnmf/clnmf/nmf/nmfio"
	"gonum.org/v1/plot/vg"
)

// resultName matches the files fit and transform write into --out.
var resultName = regexp.MustCompile(`^(([WH]\.(npy|csv))|report\.json|components\.png|spectrogram\.png|convergence\.png|[WH]\.png|component_[0-9]+\.wav|model\.[0-9]+-[0-9a-f]{8}\.(H|numerator|denominator)\.npy)$`)

// defaultOut is the --out of an input: its name without extension, plus
// ".nmf" (".transform.nmf" for transform), in the current folder.
func defaultOut(input, cmd string) string {
	base := filepath.Base(filepath.Clean(input))
	if ext := filepath.Ext(base); ext != "" && ext != base {
		base = strings.TrimSuffix(base, ext)
	}
	if base == "" || base == "." || base == ".." || base == string(filepath.Separator) {
		base = "out"
	}
	if cmd == "transform" {
		return base + ".transform.nmf"
	}
	return base + ".nmf"
}

// outputs are what a run writes: the factors in precision T, and for images
// and WAV the pictures and sounds.
type outputs[T nmf.Float] struct {
	W, H       *nmf.Dense[T]
	ds         *dataset
	format     string
	checkpoint bool // W, H and report.json only
	// state are the .npy files of an online model (minibatch fits).
	state []namedMatrix[T]
}

// namedMatrix is a matrix and the name of its file.
type namedMatrix[T nmf.Float] struct {
	name string
	m    *nmf.Dense[T]
}

// commitHookKey is a context key for tests: a func() error called after
// every output is staged and before the commit, whose error fails the run.
type commitHookKey struct{}

// noPicturesKey is a context key for tests that run many fits
// (TestDistributedGolden): set, a fit stages no pictures, which take most
// of a small fit's time.
type noPicturesKey struct{}

// write stages every output and the report, then commits them to out.
func (o *outputs[T]) write(ctx context.Context, od *outDir, rep *runReport) error {
	out := od.path
	st, err := newStaging(od)
	if err != nil {
		return err
	}
	defer st.discard()
	t0 := time.Now()
	rep.Files = filesReport{W: "W." + o.format, H: "H." + o.format}
	for _, f := range []struct {
		name string
		m    *nmf.Dense[T]
	}{{rep.Files.W, o.W}, {rep.Files.H, o.H}} {
		var err error
		if o.format == "csv" {
			err = nmfio.WriteCSV(st.path(f.name), f.m.Rows, f.m.Cols, f.m.Data)
		} else {
			err = nmfio.WriteNPY(st.path(f.name), f.m.Rows, f.m.Cols, f.m.Data)
		}
		if err != nil {
			return st.fileErr(f.name, err)
		}
	}
	for _, f := range o.state {
		if err := nmfio.WriteNPY(st.path(f.name), f.m.Rows, f.m.Cols, f.m.Data); err != nil {
			return fileErr(filepath.Join(out, f.name), err)
		}
	}
	if !o.checkpoint && ctx.Value(noPicturesKey{}) == nil {
		if err := o.pictures(st, rep); err != nil {
			return err
		}
	}
	if rep.Timings != nil {
		rep.Timings.Write = time.Since(t0).Seconds()
	}
	if err := st.file("report.json", rep.write); err != nil {
		return err
	}
	if hook, ok := ctx.Value(commitHookKey{}).(func() error); ok {
		if err := hook(); err != nil {
			return &cliError{file: out, msg: err.Error(), err: err}
		}
	}
	return st.commit()
}

// pictures stages convergence.png for every fit with a trace; W.png and
// H.png for a matrix; components.png for images; spectrogram.png and one
// WAV per component for a WAV.
func (o *outputs[T]) pictures(st *staging, rep *runReport) error {
	ds := o.ds
	k := o.W.Cols
	w64, h64 := convert[float64](o.W.Data), convert[float64](o.H.Data)
	if err := o.plots(st, rep, w64, h64); err != nil {
		return err
	}
	switch ds.Kind {
	case kindImages:
		rep.Files.Pictures = append(rep.Files.Pictures, "components.png")
		return st.file("components.png", func(w io.Writer) error {
			return nmfio.ComponentsPNG(w, w64, o.W.Rows, k, ds.Width, ds.Height)
		})
	case kindWAV:
		x64 := ds.float64Data()
		f, t := ds.Dims()
		rep.Files.Pictures = append(rep.Files.Pictures, "spectrogram.png")
		fig, err := plots.Spectrogram(plots.Sound{X: x64, W: w64, H: h64, Freqs: f, Frames: t, K: k,
			Rate: ds.sound.Rate, Hop: ds.stft.Hop, FFTSize: ds.stft.FFTSize, Samples: len(ds.sound.Samples)})
		if err != nil {
			return st.fileErr("spectrogram.png", err)
		}
		if err := st.file("spectrogram.png", func(w io.Writer) error { return fig.WritePNG(w, 11*vg.Inch, 7*vg.Inch) }); err != nil {
			return err
		}
		parts, err := audio.Separate(x64, ds.phase, w64, h64, k)
		if err != nil {
			return fileErr(ds.Path, err)
		}
		digits := max(2, len(strconv.Itoa(k-1)))
		for c, p := range parts {
			name := fmt.Sprintf("component_%0*d.wav", digits, c)
			rep.Files.Sounds = append(rep.Files.Sounds, name)
			if err := st.file(name, func(w io.Writer) error { return nmfio.WriteWAV(w, ds.sound.Rate, p) }); err != nil {
				return err
			}
		}
	}
	return nil
}

// plots stages convergence.png (when the trace and the final state have two
// points or more) and,
// for a matrix input no larger than plots.MaxSide on a side, the heatmaps
// W.png and H.png, H's columns named by a CSV header.
func (o *outputs[T]) plots(st *staging, rep *runReport, w64, h64 []float64) error {
	if points := rep.convergence(); len(points) > 1 {
		trace := make([]plots.Point, len(points))
		for i, t := range points {
			trace[i] = plots.Point{Iter: t.Iter, Seconds: t.Seconds, Err: t.Err, Objective: t.Objective}
		}
		p, err := plots.Convergence(trace, fmt.Sprintf("%s, %s solver, k = %d", rep.Params.Loss, rep.Params.Solver, o.W.Cols))
		if err != nil {
			return st.fileErr("convergence.png", err)
		}
		rep.Files.Pictures = append(rep.Files.Pictures, "convergence.png")
		if err := st.file("convergence.png", func(w io.Writer) error { return p.WritePNG(w, 10*vg.Inch, 4*vg.Inch) }); err != nil {
			return err
		}
	}
	if o.ds.Kind == kindImages || o.ds.Kind == kindWAV {
		return nil
	}
	k := o.W.Cols
	for _, f := range []struct {
		name, rowLabel, colLabel string
		data                     []float64
		rows, cols               int
		rowNames, colNames       []string
	}{
		{"W.png", "row of X (sample)", "component", w64, o.W.Rows, k, nil, nil},
		{"H.png", "component", "column of X (feature)", h64, k, o.H.Cols, nil, o.ds.Header},
	} {
		if f.rows > plots.MaxSide || f.cols > plots.MaxSide {
			continue
		}
		hm, err := plots.NewHeatmap(f.data, f.rows, f.cols, strings.TrimSuffix(f.name, ".png"), f.rowLabel, f.colLabel, f.rowNames, f.colNames)
		if err != nil {
			return st.fileErr(f.name, err)
		}
		rep.Files.Pictures = append(rep.Files.Pictures, f.name)
		if err := st.file(f.name, func(w io.Writer) error { return hm.WritePNG(w, 7*vg.Inch, 5*vg.Inch) }); err != nil {
			return err
		}
	}
	return nil
}
