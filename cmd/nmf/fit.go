package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/clnmf/clnmf/cmd/nmf/internal/audio"
	"github.com/clnmf/clnmf/nmf"
	"github.com/clnmf/clnmf/nmf/nmfio"
)

const fitUsage = `usage: nmf fit [flags] INPUT
       nmf fit --resume DIR [flags] [INPUT]

Factorises the nonnegative matrix X read from INPUT as X ≈ W·H, W with k
columns and H with k rows, and writes W, H, report.json and, for images and
sounds, pictures and one sound per component into --out. INPUT is a .npy,
.csv, .tsv, .mtx or .wav file or a folder of images; flags may follow it.

Flags:
  -k, --rank K          number of components (default: the number of columns of X)
  --loss L              frobenius, kullback-leibler (kl), itakura-saito (is) or a
                        number β (default frobenius)
  --solver S            auto, mu or cd; auto is cd for frobenius, mu otherwise
  --init I              auto, random, nndsvd, nndsvda, nndsvdar or custom; auto is
                        nndsvda when k ≤ min(rows, columns), random otherwise
  --w0 FILE --h0 FILE   a custom start, W0 (rows×k) and H0 (k×columns); giving
                        both means --init custom
  --max-iter N          at most N iterations; 0 writes the start (default 200)
  --tol T               stopping tolerance; 0 runs all --max-iter (default 0.0001)
  --alpha-w A           regularisation of W (default 0)
  --alpha-h A|same      regularisation of H; same is --alpha-w's (default same)
  --l1-ratio R          share of L1 in the regularisation, 0 to 1 (default 0)
  --seed S              scikit-learn's random_state: numpy's RandomState(S) draws the
                        random starts, the randomized SVD and --shuffle's orders;
                        0 ≤ S < 2³² (default 0)
  --svd M               randomized (scikit-learn's randomized_svd) or exact: the SVD
                        of the nndsvd starts (default randomized)
  --shuffle             coordinate descent visits the components in a random order
  --device D            auto, cpu, opencl, opencl:P:D (see nmf devices), a list of
                        them (opencl:0:0,opencl:0:1) for one fit on all, or all-gpus
                        (default auto)
  --device-weights W    with a --device list: share X among the devices in these
                        proportions (e.g. 1,3), one per device (all-gpus: per GPU, in
                        the order of nmf devices), instead of by their speeds
                        measured at the start (same split on every run)
  --distributed mpi     one rank of a fit under mpirun: each rank fits its rows (or
                        columns, see --panels) of a mapped .npy, its rows of a
                        .mtx or its images of a folder, rank 0 writes; Ctrl-C
                        checkpoints, --resume on as many ranks (MPI loaded at
                        run time; see docs/distributed.md)
  --device-memory B     plan as if the OpenCL device had B bytes (e.g. 256MiB): X
                        that does not fit is streamed onto it in panels
  --panels SIDE         rows or columns: the side X is cut along into panels
                        (default: the longer side of a dense X; rows for sparse X)
  --precision P         float32 or float64 (default: float32 for images, WAV and
                        float32 .npy files; float64 otherwise)
  --fft-size N          WAV: samples per STFT frame, a power of two (default 2048)
  --hop N               WAV: samples from one frame to the next (default 512)
  --index-column        CSV/TSV: the first column is row names (pandas' index), skipped
  --memory-limit B      the memory the run may use, e.g. 4GiB (default: what is
                        available)
  --out DIR             output folder (default: INPUT's name without its
                        extension + .nmf, in the current folder)
  --format F            npy or csv: the files of W and H (default npy)
  --force               replace the results already in --out
  --resume DIR          go on from the checkpoint an interrupted fit wrote in DIR
  -q, --quiet           no progress on stderr (warnings still)
  -v, --verbose         a line on stderr every 10 iterations
  scikit-learn's names work too: --n-components (--rank), --random-state
  (--seed), --beta-loss (--loss), --alpha-W, --alpha-H (--alpha-w, --alpha-h)

Minibatch (scikit-learn's MiniBatchNMF, multiplicative update; --tol then
stops on the relative change of H in one step):
  --minibatch           fit in batches of samples: rows of a matrix file; for a
                        folder of images or a WAV file, whose samples are the
                        columns, the batches are columns (images, STFT frames)
  --batch-size N        samples per batch (default 1024)
  --forget-factor F     weight of past batches in H's update, in (0, 1] (default 0.7)
  --fresh-restarts      solve each batch's activations afresh, and all of them
                        again at the end
  --fresh-restarts-max-iter N   iterations of those solves (default 30)
  --transform-max-iter N        iterations of the final solve and of nmf transform
                        --model on the result (default --max-iter)
  --max-no-improvement N|none   stop after N steps without a better smoothed
                        batch cost (default 10)
  The output folder also holds the online model (model.*.npy, report.json's
  minibatch), which nmf partial-fit --model goes on with. A .npy that is
  memory-mapped (C order, float32 or float64, the machine's byte order) is
  read a batch at a time with --init random or --w0/--h0: neither the
  process nor the device ever holds X whole (report.json: streamed); other
  X larger than --device-memory go to an OpenCL device a batch at a time.
`

// progressHookKey is a context key for tests: a func(iter int) called after
// every iteration with the iterations done, resumed ones included.
type progressHookKey struct{}

func runFit(ctx context.Context, args []string, e *env) error {
	o, err := parseOptions("fit", fitUsage, args)
	if err != nil {
		return err
	}
	var rs *resumeState
	if o.resume != "" {
		if rs, err = prepareResume(o); err != nil {
			return err
		}
	}
	kind, err := classify(o.input)
	if err != nil {
		return err
	}
	if err := o.checkKind(kind, fitUsage); err != nil {
		return err
	}
	if o.distributed != "" {
		if o.dist, err = startDistributed(o, rs); err != nil {
			if o.dist != nil {
				return o.dist.fail(e, err)
			}
			return err
		}
		return o.dist.finish(e, runFitRanks(ctx, e, o, kind, rs))
	}
	if err := rs.checkRanks(1); err != nil {
		return err
	}
	return runFitAt(ctx, e, o, kind, rs)
}

// runFitRanks is a fit as one rank of --distributed mpi: rank 0 checks and
// writes --out, the others stay quiet.
func runFitRanks(ctx context.Context, e *env, o *options, kind string, rs *resumeState) error {
	if o.dist.comm.Rank() != 0 {
		o.quiet, o.verbose, o.out = true, false, ""
		return fitInput(ctx, e, o, kind, nil, rs)
	}
	return runFitAt(ctx, e, o, kind, rs)
}

// runFitAt is fit from the input of kind on: --out checked, X loaded.
func runFitAt(ctx context.Context, e *env, o *options, kind string, rs *resumeState) error {
	out := o.out
	if out == "" {
		out = defaultOut(o.input, "fit")
	}
	resumeDir := ""
	if rs != nil {
		resumeDir = rs.dir
	}
	od, err := checkOut(out, o.force, resumeDir)
	if err != nil {
		return err
	}
	if o.mb.on {
		return runFitMiniBatch(ctx, e, o, kind, od)
	}
	return fitInput(ctx, e, o, kind, od, rs)
}

// fitInput loads the input of kind (this rank's part of it under
// --distributed) and fits it, writing to od (nil: a rank other than 0).
func fitInput(ctx context.Context, e *env, o *options, kind string, od *outDir, rs *resumeState) error {
	ds, err := loadInput(e, o, kind)
	if err != nil {
		return err
	}
	defer ds.close()
	if o.dist != nil {
		if err := o.dist.share(ds, o); err != nil {
			return err
		}
	}
	if rs != nil {
		if err := rs.checkInput(ds); err != nil {
			return err
		}
	}
	if o.precision == "float32" {
		return fitAs[float32](ctx, e, o, ds, od, rs)
	}
	return fitAs[float64](ctx, e, o, ds, od, rs)
}

// resumeState is the checkpoint fit --resume goes on from.
type resumeState struct {
	*savedFit
}

// prepareResume reads and checks the checkpoint in o.resume and takes from
// it every parameter not given as a flag, the input and the output folder.
func prepareResume(o *options) (*resumeState, error) {
	sv, err := readSaved(o.resume, asCheckpoint)
	if err != nil {
		return nil, err
	}
	rep := sv.rep
	if err := o.adopt(rep.Params); err != nil {
		return nil, &cliError{file: sv.path, msg: err.Error()}
	}
	if o.maxIter < rep.NIter {
		return nil, &usageError{usage: fitUsage, msg: fmt.Sprintf("fit: --max-iter %d: the checkpoint %s has done %d iterations already", o.maxIter, o.resume, rep.NIter)}
	}
	if !o.set["format"] {
		o.format = rep.Params.Format
	}
	if o.input == "" {
		o.input = rep.Input.Path
		if _, err := os.Stat(rep.Input.AbsPath); rep.Input.AbsPath != "" && err == nil {
			o.input = rep.Input.AbsPath
		}
		if o.input == "" {
			return nil, &cliError{file: sv.path, msg: "input.path: empty; give INPUT"}
		}
	}
	if w := rep.Input.WAV; w != nil {
		if !o.set["fft-size"] {
			o.fftSize = w.FFTSize
		}
		if !o.set["hop"] {
			o.hop = w.Hop
		}
	}
	if o.out == "" {
		o.out = o.resume
	}
	o.rank = rep.Params.Rank
	return &resumeState{sv}, nil
}

// checkInput refuses an X other than the one the checkpoint was fitted on.
func (rs *resumeState) checkInput(ds *dataset) error {
	in := rs.rep.Input
	rows, cols := ds.Dims()
	if ds.Kind != in.Kind || rows != in.Shape[0] || cols != in.Shape[1] {
		return &cliError{file: ds.Path, msg: fmt.Sprintf("is %s of %d×%d, but the checkpoint %s was fitted on %s of %d×%d (input.kind, input.shape)",
			kindName(ds.Kind), rows, cols, rs.dir, kindName(in.Kind), in.Shape[0], in.Shape[1])}
	}
	return nil
}

// describe prints what is about to be fitted (--verbose).
// loadInput reads o.input, settles the precision (the input's own unless
// --precision says otherwise) and, with --verbose, describes the input.
func loadInput(e *env, o *options, kind string) (*dataset, error) {
	t0 := time.Now()
	rd := &nmfio.Options{MemoryLimit: o.readLimit(), IndexColumn: o.indexColumn}
	if o.dist != nil {
		rd.KeepRows = o.dist.keepRows       // a .mtx: this rank's rows' entries only
		rd.KeepColumns = o.dist.keepColumns // an image folder: its images only
	}
	ds, err := load(o.input, kind, audio.STFT{FFTSize: o.fftSize, Hop: o.hop}, rd)
	if err != nil {
		return nil, err
	}
	ds.read = time.Since(t0)
	if note := headerNote(ds, o.indexColumn); note != "" {
		o.notes = append(o.notes, note) // printed by finish: an error stays one line
	}
	if o.precision == "" {
		o.precision = ds.nativePrecision()
	}
	if o.verbose {
		describe(e.stderr, ds, o)
	}
	return ds, nil
}

func describe(w io.Writer, ds *dataset, o *options) {
	rows, cols := ds.Dims()
	extra := ""
	if ds.Sparse != nil {
		extra = fmt.Sprintf(", sparse with %d stored entries", ds.nnz)
	}
	k := ""
	switch {
	case o.rank > 0:
		k = fmt.Sprintf("k %d, ", o.rank)
	case o.cmd == "fit" && o.w0 == "":
		k = fmt.Sprintf("k %d (the columns), ", cols)
	}
	fmt.Fprintf(w, "nmf: %s: %s, X %d×%d %s%s; %sloss %s, device %s\n",
		ds.Path, kindName(ds.Kind), rows, cols, o.precision, extra, k, o.loss, o.device)
}

func fitAs[T nmf.Float](ctx context.Context, e *env, o *options, ds *dataset, od *outDir, rs *resumeState) error {
	out := ""
	if od != nil {
		out = od.path
	}
	opt := o.nmfOptions()
	st, err := loadStarts[T](o, rs, &opt)
	if err != nil {
		return err
	}
	prog, endProg := fitProgress(e, o, st.offset)
	hook, _ := ctx.Value(progressHookKey{}).(func(int))
	opt.Progress = func(it int, err float64) {
		prog.update(it, err)
		if hook != nil {
			hook(it)
		}
	}
	opt.Started = prog.started
	est := opt // the fit as it will run: from W0/H0 or the checkpoint, k theirs
	switch {
	case rs != nil:
		est.Init, est.Components = nmf.InitCustom, st.w.Cols
	case st.w0 != nil:
		est.Init = nmf.InitCustom
	}
	if err := checkFitMemory[T](ds, o, &est); err != nil {
		return err
	}
	opt.MemoryLimit = est.MemoryLimit
	x := matrixAs[T](ds)
	if rs == nil {
		prog.initing(string(est.InitFor(ds.Dims())))
	}
	t0 := time.Now()
	res, dist, err := solveFit(ctx, o, x, st, rs, opt)
	elapsed := time.Since(t0).Seconds()
	prog.finish()
	defer endProg(err)
	if err != nil && (res == nil || !res.Partial) {
		return solveError(err, ds, st.roles)
	}
	if od == nil {
		return nil // a rank of a distributed fit other than 0 (rank 0 reports an interruption)
	}
	rep := fitReport(res, o, ds, elapsed, st.start, rs)
	rep.Distributed = dist
	outs := &outputs[T]{W: res.W, H: res.H, ds: ds, format: o.format, checkpoint: res.Partial}
	if werr := outs.write(ctx, od, rep); werr != nil {
		return werr
	}
	if res.Partial {
		return &interruptedError{out: out, iter: rep.NIter, err: err}
	}
	finish(e, o, out, rep)
	return nil
}

// fitStarts are the factors a fit starts from: W0 and H0 (--w0, --h0) or a
// checkpoint's W and H (rs), the files they came from by role, the start
// to report, and the iterations already done.
type fitStarts[T nmf.Float] struct {
	w0, h0 *nmf.Dense[T]
	w, h   *nmf.Dense[T]
	offset int
	roles  map[string]string
	start  *startReport
}

// loadStarts reads the start factors of a fit and sets opt's Components
// (from W0, unless --rank was given) and Init (the checkpoint's).
func loadStarts[T nmf.Float](o *options, rs *resumeState, opt *nmf.Options) (*fitStarts[T], error) {
	st := &fitStarts[T]{roles: map[string]string{}}
	if o.w0 != "" {
		var err error
		if st.w0, err = readFactor[T](o.w0); err != nil {
			return nil, err
		}
		if st.h0, err = readFactor[T](o.h0); err != nil {
			return nil, err
		}
		if !o.set["rank"] {
			opt.Components = st.w0.Cols
		}
		st.roles["W0"], st.roles["H0"] = o.w0, o.h0
		st.start = &startReport{W0: o.w0, H0: o.h0}
	}
	if rs != nil {
		var err error
		if st.w, err = readSavedFactor[T](rs.savedFit, "W"); err != nil {
			return nil, err
		}
		if st.h, err = readSavedFactor[T](rs.savedFit, "H"); err != nil {
			return nil, err
		}
		opt.Init = nmf.Init(rs.rep.Params.Init)
		st.offset = rs.rep.NIter
		st.roles["W"], st.roles["H"] = rs.factorPath("W"), rs.factorPath("H")
		st.start = rs.rep.Start
	}
	return st, nil
}

// solveFit runs the fit: distributed, resumed from the checkpoint, from
// W0/H0, or from the options' initialization.
func solveFit[T nmf.Float](ctx context.Context, o *options, x nmf.Matrix[T], st *fitStarts[T], rs *resumeState, opt nmf.Options) (*nmf.Result[T], *distributedReport, error) {
	switch {
	case o.dist != nil:
		return distributedFit(ctx, o.dist, x, st, rs, opt)
	case rs != nil:
		res, err := nmf.Resume(ctx, x, st.w, st.h, rs.state(), opt)
		return res, nil, err
	case st.w0 != nil:
		opt.Init = nmf.InitCustom
		res, err := nmf.FitFrom(ctx, x, st.w0, st.h0, opt)
		return res, nil, err
	default:
		res, err := nmf.Fit(ctx, x, opt)
		return res, nil, err
	}
}

// fitReport is the report of a fit that gave res; for a resumed fit (rs)
// the checkpoint's trace, time and resumptions come first.
func fitReport[T nmf.Float](res *nmf.Result[T], o *options, ds *dataset, elapsed float64, start *startReport, rs *resumeState) *runReport {
	rep := resultReport("fit", res, o, ds, elapsed)
	rep.Params, rep.Start = paramsReport(res.Params, o), start
	rep.SolverState = &solverState{ErrInit: res.State.ErrInit, ErrLast: res.State.ErrLast, ViolationInit: res.State.ViolationInit}
	if rs != nil {
		// This run's solve began after the runs before it had solved for
		// their elapsed seconds less their init.
		offset := max(0, rs.rep.ElapsedSeconds-rs.rep.InitSeconds)
		rep.Trace = append(rs.rep.Trace, traceReport(res.Trace, offset)...)
		rep.Final.Seconds += offset
		rep.ElapsedSeconds += rs.rep.ElapsedSeconds
		rep.InitSeconds += rs.rep.InitSeconds
		abs, _ := filepath.Abs(rs.dir)
		rep.Resumed = append(rs.rep.Resumed, resumeEntry{Dir: abs, NIter: rs.rep.NIter})
	}
	return rep
}

// finish prints the warnings, always, and a summary unless --quiet.
func finish(e *env, o *options, out string, rep *runReport) {
	for _, w := range rep.Warnings {
		fmt.Fprintf(e.stderr, "nmf: warning: %s\n", w.Message)
	}
	if o.quiet {
		return
	}
	for _, n := range o.notes {
		fmt.Fprintf(e.stderr, "nmf: %s\n", n)
	}
	files := []string{rep.Files.W, rep.Files.H}
	files = append(files, rep.Files.Pictures...)
	if n := len(rep.Files.Sounds); n > 0 {
		files = append(files, fmt.Sprintf("%d sounds", n))
	}
	files = append(files, "report.json")
	fmt.Fprintf(e.stdout, "%s: %s (k %d, %d iterations, error %.6g, %.3g s on %s)\n",
		out, strings.Join(files, ", "), rep.Params.Rank, rep.NIter, rep.ReconstructionErr, rep.ElapsedSeconds, rep.Device.Name)
}

// deviceReportOf says what ran res, why, and how long it took to open.
func deviceReportOf[T nmf.Float](o *options, res *nmf.Result[T]) deviceReport {
	p := res.Plan
	r := deviceReport{Requested: o.device, Name: res.Device, Reason: res.DeviceReason, Bytes: res.DeviceBytes, OpenSeconds: res.DeviceOpenSeconds,
		Panels: p.Panels, PanelsAlong: string(p.Along), Streamed: p.Streamed, BytesPerIteration: p.BytesPerIteration, BytesLoaded: p.BytesLoaded, TransferSeconds: p.LoadSeconds,
		TransferWaitSeconds: p.WaitSeconds, TransferUntimed: p.Untimed,
		Profile: res.DeviceProfile}
	for _, m := range p.Members {
		sp := m.Speed
		mr := memberReport{Name: m.Device, Panels: m.Panels, Streamed: m.Streamed, SizedBy: "weights", Weight: sp.Weight, MemoryCapped: sp.Capped}
		if sp.Method == "probe" {
			mr.SizedBy = "speed"
			mr.Speed = &speedReport{Method: sp.Method, PerSecond: sp.Weight, ProbeSize: sp.ProbeRows, ProbeIterations: sp.ProbeIterations,
				ProbeSeconds: sp.ProbeSeconds, ProbeWallSeconds: sp.WallSeconds}
		}
		if span := &[2]int{m.Lo, m.Hi}; p.Along == nmf.AlongColumns {
			mr.Columns = span
		} else {
			mr.Rows = span
		}
		r.Members = append(r.Members, mr)
	}
	return r
}

// optionFlags maps the library's option names to the flags that set them.
var optionFlags = map[string]string{
	"Components": "rank", "Loss": "loss", "Solver": "solver", "Init": "init", "MaxIter": "max-iter",
	"Tol": "tol", "AlphaW": "alpha-w", "AlphaH": "alpha-h", "L1Ratio": "l1-ratio", "Device": "device",
}

// solveError turns an error of Fit or Transform into the one-line form,
// naming the file the bad entry is in. roles maps the library's argument
// names (W0, H0, and H or W for transform) to their files.
func solveError(err error, ds *dataset, roles map[string]string) error {
	var ce *cliError
	if errors.As(err, &ce) {
		return ce
	}
	var ie *nmf.InputError
	isIE := errors.As(err, &ie)
	if errors.Is(err, nmf.ErrDevice) || isIE && ie.Arg == "Device" {
		// Opening the device: no file to name.
		return &cliError{msg: strings.TrimPrefix(err.Error(), "nmf: "), err: err}
	}
	if isIE {
		what := ie.Err.Error()
		if ie.Msg != "" {
			what += ": " + ie.Msg
		}
		row, col := ie.Row, ie.Col
		switch ie.Arg {
		case "X":
			if pos := ds.position(row, col); pos != "" {
				what = pos + ": " + what
			}
			return &cliError{file: ds.Path, msg: what, err: err}
		case "W0", "H0", "W", "H":
			file, name := roles[ie.Arg], ie.Arg
			if row >= 0 && col >= 0 {
				name = fmt.Sprintf("%s[%d, %d]", name, row, col)
			}
			return &cliError{file: file, msg: name + ": " + what, err: err}
		}
		if f, ok := optionFlags[ie.Arg]; ok {
			return &cliError{file: ds.Path, msg: "--" + f + ": " + what, err: err}
		}
		return &cliError{file: ds.Path, msg: ie.Arg + ": " + what, err: err}
	}
	return &cliError{file: ds.Path, msg: strings.TrimPrefix(err.Error(), "nmf: "), err: err}
}
