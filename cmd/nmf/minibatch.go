package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"path/filepath"
	"regexp"
	"strconv"
	"time"

	"github.com/clnmf/clnmf/nmf"
)

// nmf fit --minibatch, nmf partial-fit, and nmf transform --model of their
// models: scikit-learn 1.2's MiniBatchNMF. The batches are samples: rows of
// a matrix file; for images and WAV, whose samples are the columns (images,
// STFT frames), the minibatch runs on Xᵀ, and W and H (and alpha-w and
// alpha-h) swap roles in and out of the library.

const partialFitUsage = `usage: nmf partial-fit [flags] [--out DIR] INPUT
       nmf partial-fit --model DIR [--device D] [-q] [-v] INPUT

Starts or updates an online NMF model with one batch of data, as
scikit-learn's MiniBatchNMF.partial_fit: INPUT is the batch, whatever its
number of samples. Each call solves the batch's activations afresh (at most
--fresh-restarts-max-iter iterations) and updates the components once,
through running sums weighted by rho = forget-factor^(batch-size / samples
of the first batch).

The first form starts a model from INPUT (its --init, or --w0 W0 --h0 H0 as
in nmf fit, W0 for INPUT's samples: checked, and as in scikit-learn not
used) and writes it into --out (default: INPUT's name without extension +
.nmf). The second updates the model in DIR (the --out of an earlier
partial-fit or of nmf fit --minibatch) in place: the new files are written
beside the old, and report.json, replaced last, names the model's state, so
that an interrupted update leaves the model as it was.

Samples are the rows of a matrix file (.npy, .csv, .tsv, .mtx), and the
columns of a folder of images (one image each) or of a WAV file's
spectrogram (one STFT frame each): there the batch is columns.

Writes W (the batch's activations: rows × k, for images and WAV the
components), H (k × columns; for images and WAV the batch's activations),
the model's state (model.N-ID.H.npy, .numerator.npy, .denominator.npy) and
report.json with n_steps, the minibatch parameters and the state's name.
nmf transform --model DIR solves new data against the model.

Flags (first form; the model fixes them for the second):
  -k, --rank K          number of components (default: the features)
  --loss L              frobenius, kullback-leibler (kl), itakura-saito (is) or β
  --solver S            auto or mu: the online model uses the multiplicative update
  --init I              auto, random, nndsvd, nndsvda, nndsvdar or custom
  --w0 FILE --h0 FILE   a custom start (W0 for INPUT's samples)
  --max-iter N          the default of --transform-max-iter (default 200)
  --tol T               stopping tolerance of the solves for W (default 0.0001)
  --alpha-w A, --alpha-h A|same, --l1-ratio R   regularisation, as in nmf fit
  --seed S              seed of the random starts and the randomized SVD (default 0)
  --svd M               randomized or exact: the SVD of the nndsvd inits (default
                        randomized, as scikit-learn)
  --batch-size N        the batch size rho is computed from (default 1024; at
                        most INPUT's samples)
  --forget-factor F     weight of the past, in (0, 1] (default 0.7)
  --fresh-restarts-max-iter N   iterations of each batch's solve (default 30)
  --transform-max-iter N        iterations of nmf transform (default --max-iter)
  --precision P         float32 or float64
  --fft-size N, --hop N WAV: the STFT, as in nmf fit
  --index-column        CSV/TSV: the first column is row names (pandas' index), skipped
  --memory-limit B      the memory the run may use, e.g. 4GiB (default: what is
                        available)
  --out DIR             output folder
  --format F            npy or csv: the files of W and H (default npy)
  --force               replace the results already in --out
Flags (both forms):
  --device D            auto, cpu, opencl or opencl:P:D (default auto)
  -q, --quiet           no summary
  -v, --verbose         describe the input
  scikit-learn's names work too: --n-components (--rank), --random-state
  (--seed), --beta-loss (--loss), --alpha-W, --alpha-H (--alpha-w, --alpha-h)
`

// minibatchFlags are the flags of fit --minibatch and partial-fit.
type minibatchFlags struct {
	on               bool // fit --minibatch, or partial-fit
	batchSize        int
	forgetFactor     float64
	freshRestarts    bool
	freshMaxIter     int
	transformMaxIter int
	maxNoImprovement string
	noImprovement    *int // parsed --max-no-improvement; nil: none
}

// minibatchFlagNames are the flags a minibatch run adds.
var minibatchFlagNames = []string{"batch-size", "forget-factor", "fresh-restarts", "fresh-restarts-max-iter", "transform-max-iter", "max-no-improvement"}

func registerMiniBatchFlags(fs *flag.FlagSet, m *minibatchFlags, cmd string) {
	if cmd == "fit" {
		fs.BoolVar(&m.on, "minibatch", false, "")
		fs.BoolVar(&m.freshRestarts, "fresh-restarts", false, "")
		fs.StringVar(&m.maxNoImprovement, "max-no-improvement", "10", "")
	} else {
		m.on = true
		m.maxNoImprovement = "10"
	}
	fs.IntVar(&m.batchSize, "batch-size", 1024, "")
	fs.Float64Var(&m.forgetFactor, "forget-factor", 0.7, "")
	fs.IntVar(&m.freshMaxIter, "fresh-restarts-max-iter", 30, "")
	fs.IntVar(&m.transformMaxIter, "transform-max-iter", 0, "")
}

// checkMiniBatch applies the rules of the minibatch flags; "" when they
// hold.
func (o *options) checkMiniBatch() string {
	m := &o.mb
	if !m.on {
		for _, f := range minibatchFlagNames {
			if o.set[f] {
				return fmt.Sprintf("--%s applies to minibatch fits only: add --minibatch", f)
			}
		}
		return ""
	}
	switch {
	case o.solver == "cd":
		return "--solver cd: a minibatch fit uses the multiplicative update (mu) only"
	case o.shuffle:
		return "--shuffle orders coordinate descent, which a minibatch fit does not use"
	case o.resume != "":
		return "--minibatch cannot be used with --resume: a minibatch fit writes no checkpoint (continue its model with nmf partial-fit --model)"
	case o.maxIter < 1:
		return fmt.Sprintf("--max-iter %d: a minibatch fit needs at least 1", o.maxIter)
	case m.batchSize < 1:
		return fmt.Sprintf("--batch-size %d: must be at least 1", m.batchSize)
	case !(m.forgetFactor > 0 && m.forgetFactor <= 1):
		return fmt.Sprintf("--forget-factor %v: must be in (0, 1]", m.forgetFactor)
	case m.freshMaxIter < 1:
		return fmt.Sprintf("--fresh-restarts-max-iter %d: must be at least 1", m.freshMaxIter)
	case o.set["transform-max-iter"] && m.transformMaxIter < 1:
		return fmt.Sprintf("--transform-max-iter %d: must be at least 1", m.transformMaxIter)
	}
	if o.model != "" {
		for _, f := range []string{"rank", "loss", "solver", "init", "w0", "h0", "max-iter", "tol", "alpha-w", "alpha-h", "l1-ratio",
			"seed", "svd", "precision", "batch-size", "forget-factor", "fresh-restarts-max-iter", "transform-max-iter", "fft-size", "hop", "out", "format", "force"} {
			if o.set[f] {
				return fmt.Sprintf("--%s cannot be used with --model: the model fixes it", f)
			}
		}
	}
	if s := m.maxNoImprovement; s != "none" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 {
			return fmt.Sprintf("--max-no-improvement %q: want a number ≥ 1, or none", s)
		}
		m.noImprovement = &n
	}
	return ""
}

// mbOptions are the library's minibatch options for the flags.
func (o *options) mbOptions() nmf.MiniBatchOptions {
	m := o.mb
	mb := nmf.MiniBatchOptions{BatchSize: m.batchSize, ForgetFactor: m.forgetFactor, FreshRestarts: m.freshRestarts,
		FreshRestartsMaxIter: m.freshMaxIter, MaxNoImprovement: m.noImprovement}
	if o.set["transform-max-iter"] {
		v := m.transformMaxIter
		mb.TransformMaxIter = &v
	}
	return mb
}

// onlineOptions are the library options of a minibatch run on an input of
// kind: for images and WAV (run on Xᵀ) alpha-w regularises the library's H
// and alpha-h its W.
func (o *options) onlineOptions(kind string) nmf.Options {
	opt := o.nmfOptions()
	opt.Solver = nmf.MU
	if columnsAreSamples(kind) && o.alphaH != nil {
		aw := o.alphaW
		opt.AlphaW, opt.AlphaH = *o.alphaH, &aw
	}
	return opt
}

// minibatchReport is report.json's minibatch: the parameters as used and
// the name of the model's state files.
type minibatchReport struct {
	// The parameters as used: batch_size, forget_factor, rho,
	// fresh_restarts, fresh_restarts_max_iter, transform_max_iter,
	// max_no_improvement (null: none).
	nmf.MiniBatchParams
	// Batches are "rows" of a matrix file or "columns" of images and WAV.
	Batches string `json:"batches"`
	// Streamed says X went to the device a batch at a time (a mapped .npy
	// read from its file batch by batch, or X beyond --device-memory).
	Streamed bool `json:"streamed,omitempty"`
	// Features is the length of a sample; the model's state is k×features.
	Features int `json:"features"`
	// State names the files model.<state>.{H,numerator,denominator}.npy.
	State string `json:"state"`
}

var stateName = regexp.MustCompile(`^[0-9]{1,19}-[0-9a-f]{8}$`)

// statePath is the file of part (H, numerator, denominator) of a model's
// state: its name is made of constants and the checked state name.
func statePath(dir, state, part string) string {
	return filepath.Join(dir, "model."+state+"."+part+".npy")
}

// newState names a new generation of a model's state: n_steps and a random
// tag, so that an update never overwrites the files report.json names.
func newState(nSteps int) (string, error) {
	var b [4]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", err
	}
	return fmt.Sprintf("%d-%s", nSteps, hex.EncodeToString(b[:])), nil
}

func batchesOf(kind string) string {
	if columnsAreSamples(kind) {
		return "columns"
	}
	return "rows"
}

// checkMiniBatch applies the rules of the minibatch parameters to a saved
// minibatch fit or online model; the library checks the state's values.
func (r *runReport) checkMiniBatch(use savedUse) error {
	m := r.MiniBatch
	if m == nil {
		if r.NSteps != 0 {
			return badField("n_steps", "given in the report of a fit without minibatch")
		}
		return nil
	}
	rows, cols := r.Input.Shape[0], r.Input.Shape[1]
	samples, features := rows, cols
	if columnsAreSamples(r.Input.Kind) {
		samples, features = cols, rows
	}
	switch {
	case use == asCheckpoint:
		return badField("minibatch", "given in a checkpoint: a minibatch fit writes none")
	case r.Params.Solver != "mu":
		return badField("params.solver", "%s; a minibatch fit uses mu", excerpt(r.Params.Solver))
	case r.Params.MaxIter < 1:
		return badField("params.max_iter", "%d; a minibatch fit needs at least 1", r.Params.MaxIter)
	case m.Batches != batchesOf(r.Input.Kind):
		return badField("minibatch.batches", "%s; want %s for input.kind %s", excerpt(m.Batches), batchesOf(r.Input.Kind), r.Input.Kind)
	case m.Features != features:
		return badField("minibatch.features", "%d, but input.shape %d×%d has %d", m.Features, rows, cols, features)
	case m.BatchSize < 1 || r.Command == "fit" && m.BatchSize > samples:
		return badField("minibatch.batch_size", "%d; want 1 to %d", m.BatchSize, samples)
	case !(m.ForgetFactor > 0 && m.ForgetFactor <= 1):
		return badField("minibatch.forget_factor", "%v; want a number in (0, 1]", m.ForgetFactor)
	case !(m.Rho >= 0 && m.Rho <= 1):
		return badField("minibatch.rho", "%v; want a number from 0 to 1", m.Rho)
	case m.FreshRestartsMaxIter < 1:
		return badField("minibatch.fresh_restarts_max_iter", "%d; want at least 1", m.FreshRestartsMaxIter)
	case m.TransformMaxIter < 1:
		return badField("minibatch.transform_max_iter", "%d; want at least 1", m.TransformMaxIter)
	case m.MaxNoImprovement != nil && *m.MaxNoImprovement < 1:
		return badField("minibatch.max_no_improvement", "%d; want at least 1, or null", *m.MaxNoImprovement)
	case !stateName.MatchString(m.State):
		return badField("minibatch.state", "%s; want N-XXXXXXXX (n_steps, 8 hexadecimal digits)", excerpt(m.State))
	case r.NSteps < 1:
		return badField("n_steps", "%d; want at least 1", r.NSteps)
	}
	if r.Command == "fit" {
		perIter := (samples + m.BatchSize - 1) / m.BatchSize
		if r.NSteps > r.Params.MaxIter*perIter || r.NIter != (r.NSteps+perIter-1)/perIter {
			return badField("n_steps", "%d does not go with n_iter %d (%d batches a pass, params.max_iter %d)", r.NSteps, r.NIter, perIter, r.Params.MaxIter)
		}
	}
	return nil
}

// loadOnline restores the online model of a saved minibatch fit or
// partial-fit: the state files, checked for shape and precision, and the
// parameters, checked again by the library.
func loadOnline[T nmf.Float](sv *savedFit, opt nmf.Options) (*nmf.Online[T], error) {
	rep, m := sv.rep, sv.rep.MiniBatch
	k, n := rep.Params.Rank, m.Features
	var parts [3][]float64
	for i, part := range []string{"H", "numerator", "denominator"} {
		path := statePath(sv.dir, m.State, part)
		d, prec, err := readSavedFile[T](path)
		if err != nil {
			return nil, err
		}
		if d.Rows != k || d.Cols != n {
			return nil, &cliError{file: path, msg: fmt.Sprintf("is %d×%d, but %s says %d×%d (params.rank, minibatch.features)", d.Rows, d.Cols, sv.path, k, n), err: nmf.ErrShape}
		}
		if prec != rep.Params.Precision {
			return nil, &cliError{file: path, msg: fmt.Sprintf("is %s, but %s says params.precision %s", prec, sv.path, rep.Params.Precision), err: nmf.ErrPrecision}
		}
		parts[i] = convert[float64](d.Data)
	}
	p := rep.Params
	params := nmf.Params{Components: k, Beta: p.Beta, Loss: p.Loss, Solver: nmf.MU, Init: nmf.Init(p.Init), MaxIter: p.MaxIter,
		Tol: p.Tol, AlphaW: p.AlphaW, AlphaH: p.AlphaH, L1Ratio: p.L1Ratio, Seed: p.Seed, Precision: p.Precision}
	if m.Batches == "columns" {
		params.AlphaW, params.AlphaH = params.AlphaH, params.AlphaW
	}
	st := &nmf.OnlineState{Params: params, Features: n, NSteps: rep.NSteps, H: parts[0], Numerator: parts[1], Denominator: parts[2],
		MiniBatch: m.MiniBatchParams}
	model, err := nmf.RestoreOnline[T](st, opt)
	if err != nil {
		return nil, &cliError{file: sv.path, msg: "the model's state: " + trimNMF(err), err: err}
	}
	return model, nil
}

func trimNMF(err error) string {
	s := err.Error()
	if len(s) > 5 && s[:5] == "nmf: " {
		return s[5:]
	}
	return s
}

// modelOutputs are the files of an online model: its state, named by a new
// generation, and the report's minibatch part.
func modelOutputs[T nmf.Float](m *nmf.Online[T], kind string) ([]namedMatrix[T], *minibatchReport, error) {
	st := m.State()
	name, err := newState(st.NSteps)
	if err != nil {
		return nil, nil, err
	}
	k, n := st.Params.Components, st.Features
	var files []namedMatrix[T]
	for _, f := range []struct {
		part string
		v    []float64
	}{{"H", st.H}, {"numerator", st.Numerator}, {"denominator", st.Denominator}} {
		files = append(files, namedMatrix[T]{"model." + name + "." + f.part + ".npy", &nmf.Dense[T]{Rows: k, Cols: n, Data: convert[T](f.v)}})
	}
	return files, &minibatchReport{MiniBatchParams: st.MiniBatch, Batches: batchesOf(kind), Features: n, State: name}, nil
}

// runFitMiniBatch is nmf fit --minibatch.
func runFitMiniBatch(ctx context.Context, e *env, o *options, kind string, od *outDir) error {
	return withInput(e, o, kind, func(ds *dataset) error {
		if o.precision == "float32" {
			return fitMiniBatchAs[float32](ctx, e, o, ds, od)
		}
		return fitMiniBatchAs[float64](ctx, e, o, ds, od)
	})
}

// samplesX is X with the samples as rows, as the minibatch walks them: the
// input's X (in precision T), or for images and WAV its transpose, made in
// precision T at once (one copy of X, which checkSamplesMemory counts).
func samplesX[T nmf.Float](ds *dataset) nmf.Matrix[T] {
	switch {
	case !columnsAreSamples(ds.Kind):
		return matrixAs[T](ds)
	case ds.Dense32 != nil:
		return transposedAs[T](ds.Dense32)
	}
	return transposedAs[T](ds.Dense64)
}

// transposed returns mᵀ.
func transposed[T nmf.Float](m *nmf.Dense[T]) *nmf.Dense[T] { return transposedAs[T](m) }

// transposedAs returns mᵀ in precision T.
func transposedAs[T, S nmf.Float](m *nmf.Dense[S]) *nmf.Dense[T] {
	t := &nmf.Dense[T]{Rows: m.Cols, Cols: m.Rows, Data: make([]T, m.Rows*m.Cols)}
	for i := 0; i < m.Rows; i++ {
		for j, v := range m.Data[i*m.Cols : (i+1)*m.Cols] {
			t.Data[j*m.Rows+i] = T(v)
		}
	}
	return t
}

// mbSolveError is solveError for a run on Xᵀ (swap): positions in X and
// the start's roles are the input's.
func mbSolveError(err error, ds *dataset, roles map[string]string, swap bool) error {
	var ie *nmf.InputError
	if swap && errors.As(err, &ie) {
		ie.Row, ie.Col = ie.Col, ie.Row
		switch ie.Arg {
		case "W0":
			ie.Arg = "H0"
		case "H0":
			ie.Arg = "W0"
		}
	}
	return solveError(err, ds, roles)
}

// mbParamsReport is paramsReport for a run on Xᵀ (swap): the penalties of
// the library's W are the input's H's.
func mbParamsReport(p nmf.Params, o *options, swap bool) reportParams {
	r := paramsReport(p, o)
	if swap {
		r.AlphaW, r.AlphaH = r.AlphaH, r.AlphaW
		r.L1RegW, r.L1RegH = r.L1RegH, r.L1RegW
		r.L2RegW, r.L2RegH = r.L2RegH, r.L2RegW
	}
	return r
}

// customStart is the start of --w0 and --h0 (nil without them) for X as
// the minibatch sees it: for images and WAV H0ᵀ and W0ᵀ.
type customStart[T nmf.Float] struct {
	w0, h0 *nmf.Dense[T]
	roles  map[string]string // the library's W0, H0 → the files
	report *startReport
}

func customStartFor[T nmf.Float](o *options, opt *nmf.Options, kind string) (*customStart[T], error) {
	cs := &customStart[T]{roles: map[string]string{"W0": o.w0, "H0": o.h0}}
	if o.w0 == "" {
		return cs, nil
	}
	w0, err := readFactor[T](o.w0)
	if err != nil {
		return nil, err
	}
	h0, err := readFactor[T](o.h0)
	if err != nil {
		return nil, err
	}
	if !o.set["rank"] {
		opt.Components = w0.Cols
	}
	opt.Init = nmf.InitCustom
	cs.w0, cs.h0, cs.report = w0, h0, &startReport{W0: o.w0, H0: o.h0}
	if columnsAreSamples(kind) {
		cs.w0, cs.h0 = transposed(h0), transposed(w0)
	}
	return cs, nil
}

// streamable reports whether a minibatch fit of ds reads X a batch at a
// time from its file: a memory-mapped .npy (the file's pages, never the
// process's memory) with a start that needs X only in passes (random or
// custom; the NNDSVD inits need it whole).
func streamable(ds *dataset, o *options) bool {
	return ds.Kind == kindNPY && ds.Mapped() && (o.init == "random" || o.w0 != "")
}

// npyRows is a mapped .npy's X as a RowSource: each batch is a view of the
// mapped rows, converted to T on the fly where the file's precision is
// another (so X is never copied whole).
type npyRows[T nmf.Float] struct {
	d32 *nmf.Dense[float32]
	d64 *nmf.Dense[float64]
}

func (s npyRows[T]) Dims() (int, int) {
	if s.d32 != nil {
		return s.d32.Dims()
	}
	return s.d64.Dims()
}

func (s npyRows[T]) Rows(lo, hi int) (nmf.Matrix[T], error) {
	if s.d32 != nil {
		return rowsAs[T](s.d32, lo, hi), nil
	}
	return rowsAs[T](s.d64, lo, hi), nil
}

func rowsAs[T, S nmf.Float](d *nmf.Dense[S], lo, hi int) *nmf.Dense[T] {
	v := d.Data[lo*d.Cols : hi*d.Cols]
	if t, ok := any(v).([]T); ok {
		return &nmf.Dense[T]{Rows: hi - lo, Cols: d.Cols, Data: t}
	}
	return &nmf.Dense[T]{Rows: hi - lo, Cols: d.Cols, Data: convert[T](v)}
}

// fitMiniBatch runs the minibatch fit of ds, streamed where it can be.
func fitMiniBatch[T nmf.Float](ctx context.Context, ds *dataset, o *options, opt nmf.Options, cs *customStart[T]) (*nmf.MiniBatchResult[T], bool, error) {
	mb := o.mbOptions()
	if streamable(ds, o) {
		src := npyRows[T]{d32: ds.Dense32, d64: ds.Dense64}
		if cs.w0 != nil {
			res, err := nmf.FitMiniBatchSourceFrom[T](ctx, src, cs.w0, cs.h0, opt, mb)
			return res, true, err
		}
		res, err := nmf.FitMiniBatchSource[T](ctx, src, opt, mb)
		return res, true, err
	}
	x := samplesX[T](ds)
	if cs.w0 != nil {
		res, err := nmf.FitMiniBatchFrom(ctx, x, cs.w0, cs.h0, opt, mb)
		return res, false, err
	}
	res, err := nmf.FitMiniBatch(ctx, x, opt, mb)
	return res, false, err
}

func fitMiniBatchAs[T nmf.Float](ctx context.Context, e *env, o *options, ds *dataset, od *outDir) error {
	swap := columnsAreSamples(ds.Kind)
	opt := o.onlineOptions(ds.Kind)
	cs, err := customStartFor[T](o, &opt, ds.Kind)
	if err != nil {
		return err
	}
	if err := checkSamplesMemory[T](ds, o, opt.Components, &opt); err != nil {
		return err
	}
	prog := newProgress(e.stderr, o, 0, opt.MaxIter)
	opt.Progress = prog.update
	opt.Started = prog.started
	l, n := ds.Dims()
	if swap {
		l, n = n, l
	}
	prog.initing(string(opt.InitFor(l, n)))
	t0 := time.Now()
	res, streamed, err := fitMiniBatch(ctx, ds, o, opt, cs)
	elapsed := time.Since(t0).Seconds()
	prog.finish()
	if err != nil {
		if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
			return &cliError{file: ds.Path, msg: "interrupted; nothing written (a minibatch fit writes no checkpoint)", err: err}
		}
		return mbSolveError(err, ds, cs.roles, swap)
	}
	W, H := res.W, res.H
	if swap {
		W, H = transposed(res.H), transposed(res.W)
	}
	state, mbr, err := modelOutputs(res.Model, ds.Kind)
	if err != nil {
		return err
	}
	mbr.Streamed = streamed || res.Streamed
	rep := resultReport("fit", &res.Result, o, ds, elapsed)
	rep.NSteps, rep.Params, rep.Start, rep.MiniBatch = res.NSteps, mbParamsReport(res.Params, o, swap), cs.report, mbr
	outs := &outputs[T]{W: W, H: H, ds: ds, format: o.format, state: state}
	if err := outs.write(ctx, od, rep); err != nil {
		return err
	}
	finish(e, o, od.path, rep)
	return nil
}

// checkOutFlag is checkOut of --out, by default INPUT's name for cmd.
func checkOutFlag(o *options, cmd string) (*outDir, error) {
	out := o.out
	if out == "" {
		out = defaultOut(o.input, cmd)
	}
	return checkOut(out, o.force, "")
}

// parseWithInput parses the flags of cmd and says what kind of input
// INPUT is, refusing flags that do not apply to it.
func parseWithInput(cmd, usage string, args []string) (*options, string, error) {
	o, err := parseOptions(cmd, usage, args)
	if err != nil {
		return nil, "", err
	}
	kind, err := classify(o.input)
	if err != nil {
		return nil, "", err
	}
	if err := o.checkKind(kind, usage); err != nil {
		return nil, "", err
	}
	return o, kind, nil
}

func runPartialFit(ctx context.Context, args []string, e *env) error {
	o, kind, err := parseWithInput("partial-fit", partialFitUsage, args)
	if err != nil {
		return err
	}
	var m *modelState
	var od *outDir
	if o.model != "" {
		// What the folder holds now: an update committed by another run
		// meanwhile fails this one's commit.
		if od, err = checkOut(o.model, true, ""); err != nil {
			return err
		}
		if m, err = loadModel(o, kind); err != nil {
			return err
		}
		if m.rep.MiniBatch == nil {
			return &cliError{file: m.path, msg: "is the report of a fit without --minibatch: partial-fit updates the models of nmf fit --minibatch and nmf partial-fit"}
		}
		o.format = m.rep.Params.Format
	} else if od, err = checkOutFlag(o, "fit"); err != nil {
		return err
	}
	return withInput(e, o, kind, func(ds *dataset) error {
		if o.precision == "float32" {
			return partialFitAs[float32](ctx, e, o, ds, od, m)
		}
		return partialFitAs[float64](ctx, e, o, ds, od, m)
	})
}

func partialFitAs[T nmf.Float](ctx context.Context, e *env, o *options, ds *dataset, od *outDir, m *modelState) error {
	swap := columnsAreSamples(ds.Kind)
	opt := o.onlineOptions(ds.Kind)
	k := opt.Components
	if m != nil {
		k = m.rep.Params.Rank
	}
	if err := checkSamplesMemory[T](ds, o, k, &opt); err != nil {
		return err
	}
	x := samplesX[T](ds)
	var model *nmf.Online[T]
	cs := &customStart[T]{}
	var err error
	if m != nil {
		if model, err = loadOnline[T](m.savedFit, opt); err != nil {
			return err
		}
		cs.report = m.rep.Start
	} else {
		if cs, err = customStartFor[T](o, &opt, ds.Kind); err != nil {
			return err
		}
		if cs.w0 != nil {
			model = nmf.NewOnlineFrom(cs.w0, cs.h0, opt, o.mbOptions())
		} else {
			model = nmf.NewOnline[T](opt, o.mbOptions())
		}
	}
	t0 := time.Now()
	err = model.PartialFit(ctx, x)
	elapsed := time.Since(t0).Seconds()
	if err != nil {
		if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
			return &cliError{file: ds.Path, msg: "interrupted; nothing written", err: err}
		}
		return mbSolveError(err, ds, cs.roles, swap)
	}
	W, H := model.BatchW(), model.H()
	if swap {
		W, H = transposed(H), transposed(W)
	}
	state, mbr, err := modelOutputs(model, ds.Kind)
	if err != nil {
		return err
	}
	params := mbParamsReport(model.Params(), o, swap)
	params.Format = o.format
	name, reason := model.Device()
	rep := &runReport{
		Version:        version(),
		Command:        "partial-fit",
		NSteps:         model.NSteps(),
		Trace:          []tracePoint{},
		ElapsedSeconds: elapsed,
		Device:         deviceReport{Requested: o.device, Name: name, Reason: reason},
		Warnings:       []warning{},
		Params:         params,
		Input:          inputReportOf(ds, o.precision),
		Start:          cs.report,
		MiniBatch:      mbr,
	}
	rep.Params.L1RegW, rep.Params.L2RegW, rep.Params.L1RegH, rep.Params.L2RegH = 0, 0, 0, 0
	outs := &outputs[T]{W: W, H: H, ds: ds, format: o.format, state: state}
	if err := outs.write(ctx, od, rep); err != nil {
		return err
	}
	if !o.quiet {
		fmt.Fprintf(e.stdout, "%s: step %d (k %d, batch of %d samples, %.3g s on %s)\n", od.path, rep.NSteps, rep.Params.Rank, model.BatchW().Rows, elapsed, rep.Device.Name)
	}
	return nil
}

// transformOnlineAs is nmf transform --model of a minibatch fit or online
// model: MiniBatchNMF.transform, W solved by _solve_W with the model's
// tolerance and transform_max_iter.
func transformOnlineAs[T nmf.Float](ctx context.Context, e *env, o *options, ds *dataset, od *outDir, m *modelState) error {
	for _, f := range []string{"loss", "solver", "max-iter", "tol", "alpha-w", "alpha-h", "l1-ratio", "seed"} {
		if o.set[f] {
			return &usageError{usage: transformUsage, msg: fmt.Sprintf("transform: --%s cannot be used with the minibatch model %s: its parameters are fixed", f, m.dir)}
		}
	}
	swap := columnsAreSamples(ds.Kind)
	opt := o.onlineOptions(ds.Kind)
	if err := checkSamplesMemory[T](ds, o, m.rep.Params.Rank, &opt); err != nil {
		return err
	}
	model, err := loadOnline[T](m.savedFit, opt)
	if err != nil {
		return err
	}
	t0 := time.Now()
	res, err := model.Transform(ctx, samplesX[T](ds))
	elapsed := time.Since(t0).Seconds()
	if err != nil {
		if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
			return &cliError{file: ds.Path, msg: "interrupted; nothing written", err: err}
		}
		return mbSolveError(err, ds, map[string]string{"H": statePath(m.dir, m.rep.MiniBatch.State, "H")}, swap)
	}
	W, H := res.W, res.H
	if swap {
		W, H = transposed(res.H), transposed(res.W)
	}
	params := mbParamsReport(res.Params, o, swap)
	params.Init = ""
	rep := &runReport{
		Version:           version(),
		Command:           "transform",
		ReconstructionErr: res.ReconstructionErr,
		Trace:             []tracePoint{},
		ElapsedSeconds:    elapsed - res.DeviceOpenSeconds,
		Device:            deviceReportOf(o, res),
		Warnings:          []warning{},
		Params:            params,
		Input:             inputReportOf(ds, o.precision),
		Model:             &modelReport{Dir: m.dir, File: statePath(m.dir, m.rep.MiniBatch.State, "H"), Fixed: m.fixed},
	}
	outs := &outputs[T]{W: W, H: H, ds: ds, format: o.format}
	if err := outs.write(ctx, od, rep); err != nil {
		return err
	}
	finish(e, o, od.path, rep)
	return nil
}
