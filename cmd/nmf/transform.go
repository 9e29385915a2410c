package main

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/clnmf/clnmf/nmf"
)

const transformUsage = `usage: nmf transform (--model DIR | --h FILE) [flags] INPUT

Solves for the factor of new data with the other one held fixed, as
scikit-learn's NMF.transform. For a matrix file (.npy, .csv, .tsv, .mtx),
whose rows are the samples, H (k×columns) is held fixed and W is solved for
the rows of INPUT. For a folder of images or a WAV file, whose samples are
the columns (images, frames), W of the model is held fixed and H is solved:
the activations of the model's parts in the new images or sound.

--model DIR takes the output folder of nmf fit: its H (or W) and its
parameters (loss, solver, tolerances, regularisation, precision, STFT), any
of which a flag given here overrides. --h FILE takes H from a matrix file,
with the parameters of the flags.

Writes W, H, report.json and, for images and WAV, the same pictures and
sounds as nmf fit into --out (default: INPUT's name without its extension +
.transform.nmf, in the current folder).

Flags:
  --model DIR           the output folder of nmf fit to take H (or W) from
  --h FILE              H (k×columns) for a matrix file INPUT
  -k, --rank K          k, checked against the fixed factor
  --loss L              frobenius, kullback-leibler (kl), itakura-saito (is) or β
  --solver S            auto, mu or cd
  --max-iter N          at most N iterations (default 200)
  --tol T               stopping tolerance (default 0.0001)
  --alpha-w A           regularisation of W (default 0)
  --alpha-h A|same      regularisation of H (default same)
  --l1-ratio R          share of L1 in the regularisation (default 0)
  --seed S              random_state of --shuffle, 0 ≤ S < 2³² (default 0, or the model's)
  --shuffle             coordinate descent in random orders (default: the model's)
  --device D            auto, cpu, opencl or opencl:P:D (default auto)
  --device-memory B     plan as if the OpenCL device had B bytes (e.g. 256MiB)
  --panels SIDE         rows or columns: the side X is cut along into panels
  --precision P         float32 or float64
  --fft-size N          WAV: samples per STFT frame (default 2048, or the model's)
  --hop N               WAV: samples between frames (default 512, or the model's)
  --index-column        CSV/TSV: the first column is row names (pandas' index), skipped
  --memory-limit B      the memory the run may use, e.g. 4GiB (default: what is
                        available)
  --out DIR             output folder
  --format F            npy or csv (default npy)
  --force               replace the results already in --out
  -q, --quiet           no summary
  -v, --verbose         a line on stderr every 10 iterations
  scikit-learn's names work too: --n-components (--rank), --random-state
  (--seed), --beta-loss (--loss), --alpha-W, --alpha-H (--alpha-w, --alpha-h)
`

// modelState is the fit a transform takes its fixed factor from.
type modelState struct {
	*savedFit
	fixed string // the factor held fixed, "H" or "W"
}

func runTransform(ctx context.Context, args []string, e *env) error {
	o, kind, err := parseWithInput("transform", transformUsage, args)
	if err != nil {
		return err
	}
	var m *modelState
	if o.model != "" {
		if m, err = loadModel(o, kind); err != nil {
			return err
		}
	} else if columnsAreSamples(kind) {
		return &usageError{usage: transformUsage, msg: fmt.Sprintf("transform: --h holds H fixed, for matrix files; %s is %s, use --model DIR", o.input, kindName(kind))}
	}
	od, err := checkOutFlag(o, "transform")
	if err != nil {
		return err
	}
	return withInput(e, o, kind, func(ds *dataset) error {
		if o.precision == "float32" {
			return transformAs[float32](ctx, e, o, ds, od, m)
		}
		return transformAs[float64](ctx, e, o, ds, od, m)
	})
}

// loadModel reads the fit in o.model, checks it suits an input of kind, and
// takes its parameters for every flag not given.
func loadModel(o *options, kind string) (*modelState, error) {
	sv, err := readSaved(o.model, asModel)
	if err != nil {
		return nil, err
	}
	rep, path := sv.rep, sv.path
	mk := rep.Input.Kind
	if (columnsAreSamples(mk) || columnsAreSamples(kind)) && mk != kind {
		return nil, &cliError{file: o.model, msg: fmt.Sprintf("was fitted on %s; it cannot transform %s (%s)", kindName(mk), kindName(kind), o.input)}
	}
	if err := o.adopt(rep.Params); err != nil {
		return nil, &cliError{file: path, msg: err.Error()}
	}
	if w := rep.Input.WAV; w != nil {
		if !o.set["fft-size"] {
			o.fftSize = w.FFTSize
		}
		if !o.set["hop"] {
			o.hop = w.Hop
		}
	}
	m := &modelState{savedFit: sv, fixed: "H"}
	if columnsAreSamples(kind) {
		m.fixed = "W"
	}
	return m, nil
}

func transformAs[T nmf.Float](ctx context.Context, e *env, o *options, ds *dataset, od *outDir, m *modelState) error {
	if m != nil && m.rep.MiniBatch != nil {
		return transformOnlineAs[T](ctx, e, o, ds, od, m)
	}
	out := od.path
	holdW := columnsAreSamples(ds.Kind)
	file := o.hFile
	mr := &modelReport{File: o.hFile, Fixed: "H"}
	var fixed *nmf.Dense[T]
	var err error
	if m != nil {
		file = m.factorPath(m.fixed)
		mr = &modelReport{Dir: m.dir, File: file, Fixed: m.fixed}
		fixed, err = readSavedFactor[T](m.savedFit, m.fixed)
	} else {
		fixed, err = readFactor[T](file)
	}
	if err != nil {
		return err
	}
	if rows, _ := ds.Dims(); holdW && fixed.Rows != rows {
		what := fmt.Sprintf("%d pixels (%d×%d images)", rows, ds.Width, ds.Height)
		if ds.Kind == kindWAV {
			what = fmt.Sprintf("%d frequencies (--fft-size %d)", rows, ds.stft.FFTSize)
		}
		return &cliError{file: file, msg: fmt.Sprintf("W: wrong shape: the model's W has %d rows, but %s has %s", fixed.Rows, ds.Path, what), err: nmf.ErrShape}
	}
	opt := o.nmfOptions()
	opt.Init = nmf.InitAuto
	if holdW {
		// Samples are columns: W is held and H solved for the new ones.
		opt.Hold = nmf.HoldW
	}
	est := opt // a fit from a given start, with the model's k
	est.Init, est.Components = nmf.InitCustom, fixed.Rows
	if holdW {
		est.Components = fixed.Cols
	}
	if err := checkFitMemory[T](ds, o, &est); err != nil {
		return err
	}
	opt.MemoryLimit = est.MemoryLimit
	x := matrixAs[T](ds)
	prog := newProgress(e.stderr, o, 0, o.maxIter)
	opt.Progress = prog.update
	opt.Started = prog.started
	t0 := time.Now()
	res, err := nmf.Transform(ctx, x, fixed, opt)
	elapsed := time.Since(t0).Seconds()
	prog.finish()
	if err != nil {
		if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
			return &cliError{file: ds.Path, msg: "interrupted; nothing written", err: err}
		}
		return solveError(err, ds, map[string]string{opt.Hold.String(): file})
	}
	rep := resultReport("transform", res, o, ds, elapsed)
	rep.Params, rep.Model = paramsReport(res.Params, o), mr
	rep.Params.Init = "" // transform's start is fixed by the solver
	outs := &outputs[T]{W: res.W, H: res.H, ds: ds, format: o.format}
	if err := outs.write(ctx, od, rep); err != nil {
		return err
	}
	finish(e, o, out, rep)
	return nil
}
