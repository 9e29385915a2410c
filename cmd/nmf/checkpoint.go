package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"regexp"
	"strings"

	"github.com/clnmf/clnmf/cmd/nmf/internal/audio"
	"github.com/clnmf/clnmf/nmf"
	"github.com/clnmf/clnmf/nmf/nmfio"
)

// The folder of an earlier fit, read back as a checkpoint (fit --resume) or
// a model (transform --model), is input like any other: report.json may
// have been edited by hand or by an attacker. Every field is checked against
// the rules of the flag or the run that wrote it (free text only, such as
// version, device names and the file names in start and resumed, is taken
// as it is, and never as a path to write or read), the
// factor files are only ever the folder's W.<format> and H.<format> (no path
// is taken from the report) and their shapes and precision must be the
// report's. A field that breaks a rule is refused as
// "DIR/report.json: <field>: <what is wrong>" before anything is written.

// maxReportBytes bounds report.json: a report of a fit of millions of
// iterations (a trace point every 10) is a few MB.
const maxReportBytes = 64 << 20

// savedUse is what a saved fit is read for.
type savedUse int

const (
	asCheckpoint savedUse = iota // fit --resume: an interrupted fit
	asModel                      // transform --model: a finished fit
)

// savedFit is a checked report.json of nmf fit and its folder.
type savedFit struct {
	dir  string
	path string // dir/report.json, for messages
	rep  *runReport
}

// readSaved reads and checks dir/report.json for use.
func readSaved(dir string, use savedUse) (*savedFit, error) {
	if fi, err := os.Stat(dir); err != nil {
		return nil, fileErr(dir, err)
	} else if !fi.IsDir() {
		return nil, &cliError{file: dir, msg: "is not a folder; want the --out folder of nmf fit"}
	}
	path := filepath.Join(dir, "report.json")
	f, err := os.Open(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, &cliError{file: dir, msg: "has no report.json; want the --out folder of nmf fit", err: err}
	}
	if err != nil {
		return nil, fileErr(path, err)
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, maxReportBytes+1))
	if err != nil {
		return nil, fileErr(path, err)
	}
	if len(b) > maxReportBytes {
		return nil, &cliError{file: path, msg: fmt.Sprintf("is larger than %d MiB, more than any report of nmf", maxReportBytes>>20)}
	}
	rep, err := parseReport(b, use, dir)
	if err != nil {
		return nil, &cliError{file: path, msg: err.Error(), err: err}
	}
	return &savedFit{dir: dir, path: path, rep: rep}, nil
}

// fieldError is a field of report.json that breaks a rule.
type fieldError struct {
	field, msg string
}

func (e *fieldError) Error() string {
	if e.field == "" {
		return e.msg
	}
	return e.field + ": " + e.msg
}

func badField(field, format string, a ...any) *fieldError {
	return &fieldError{field, fmt.Sprintf(format, a...)}
}

// parseReport decodes report.json and checks it for use; dir is the
// folder, for the message that says how to finish a checkpoint.
func parseReport(b []byte, use savedUse, dir string) (*runReport, error) {
	var r runReport
	dec := json.NewDecoder(bytes.NewReader(b))
	if err := dec.Decode(&r); err != nil {
		var te *json.UnmarshalTypeError
		if errors.As(err, &te) && te.Field != "" {
			return nil, badField(te.Field, "want %s, not a JSON %s", jsonKind(te.Type.Kind().String()), te.Value)
		}
		return nil, badField("", "not a report of nmf: %v", err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, badField("", "not a report of nmf: more data after the JSON object")
	}
	// An online model (partial-fit) is a model like a fit's.
	fitted := r.Command == "fit" || r.Command == "partial-fit" && r.MiniBatch != nil && use == asModel
	switch {
	case r.Command == "":
		return nil, badField("command", "missing: not a report of nmf")
	case !fitted && lookup(r.Command) != nil:
		return nil, badField("", "is the report of nmf %s, not of a fit", r.Command)
	case !fitted:
		return nil, badField("command", "%s; want fit", excerpt(r.Command))
	case use == asCheckpoint && !r.Partial:
		return nil, badField("", "is not a checkpoint: that fit finished after %d iterations", r.NIter)
	case use == asModel && r.Partial:
		return nil, badField("", "is a checkpoint of a fit interrupted after %d iterations; finish it with nmf fit --resume %s", r.NIter, shellQuote(dir))
	}
	if err := r.Params.check(); err != nil {
		return nil, err
	}
	if err := r.Input.check(r.Params); err != nil {
		return nil, err
	}
	if err := r.checkRun(use); err != nil {
		return nil, err
	}
	if err := r.Files.check(r.Params.Format, use); err != nil {
		return nil, err
	}
	if err := r.checkMiniBatch(use); err != nil {
		return nil, err
	}
	return &r, nil
}

// jsonKind names a Go kind as the JSON value it is decoded from.
func jsonKind(k string) string {
	switch {
	case strings.HasPrefix(k, "int"), strings.HasPrefix(k, "uint"):
		return "an integer in range"
	case strings.HasPrefix(k, "float"):
		return "a number"
	case k == "bool":
		return "true or false"
	case k == "slice", k == "array":
		return "an array"
	case k == "struct", k == "ptr":
		return "an object"
	}
	return "a " + k
}

// excerpt quotes a string from the report, cut to a few dozen characters.
func excerpt(s string) string {
	if r := []rune(s); len(r) > 40 {
		s = string(r[:40]) + "…"
	}
	return fmt.Sprintf("%q", s)
}

// nonneg checks finite numbers ≥ 0 (JSON has no NaN or infinity; the bound
// guards against a decoder that would accept them).
func nonneg(field string, v float64) *fieldError {
	if !(v >= 0) || math.IsInf(v, 0) {
		return badField(field, "%v; want a finite number ≥ 0", v)
	}
	return nil
}

// check applies the rules of the flags to the parameters of the fit.
func (p *reportParams) check() error {
	if p.Rank < 1 {
		return badField("params.rank", "%d; want at least 1", p.Rank)
	}
	loss, err := nmf.ParseLoss(p.Loss)
	if err != nil {
		return badField("params.loss", "%s; want frobenius, kullback-leibler, itakura-saito or a number β", excerpt(p.Loss))
	}
	if loss.Beta() != p.Beta {
		return badField("params.beta", "%v, but params.loss %s is β = %v", p.Beta, excerpt(p.Loss), loss.Beta())
	}
	switch p.Solver {
	case "mu":
	case "cd":
		if p.Beta != 2 {
			return badField("params.solver", "cd minimises the Frobenius loss only, not β = %v", p.Beta)
		}
	default:
		return badField("params.solver", "%s; want mu or cd", excerpt(p.Solver))
	}
	switch nmf.Init(p.Init) {
	case nmf.InitRandom, nmf.InitNNDSVD, nmf.InitNNDSVDA, nmf.InitNNDSVDAR, nmf.InitCustom:
	default:
		return badField("params.init", "%s; want random, nndsvd, nndsvda, nndsvdar or custom", excerpt(p.Init))
	}
	switch p.SVD {
	case "", "randomized", "exact":
	default:
		return badField("params.svd", "%s; want randomized or exact", excerpt(p.SVD))
	}
	if p.Seed > math.MaxUint32 {
		return badField("params.seed", "%d; want below 2³²", p.Seed)
	}
	if p.MaxIter < 0 {
		return badField("params.max_iter", "%d; want at least 0", p.MaxIter)
	}
	for _, f := range []struct {
		name string
		v    float64
	}{{"tol", p.Tol}, {"alpha_w", p.AlphaW}, {"alpha_h", p.AlphaH}, {"l1_reg_w", p.L1RegW},
		{"l2_reg_w", p.L2RegW}, {"l1_reg_h", p.L1RegH}, {"l2_reg_h", p.L2RegH}} {
		if err := nonneg("params."+f.name, f.v); err != nil {
			return err
		}
	}
	if p.AlphaHSame && p.AlphaH != p.AlphaW {
		return badField("params.alpha_h", "%v, but params.alpha_h_same says it is params.alpha_w, %v", p.AlphaH, p.AlphaW)
	}
	if !(p.L1Ratio >= 0 && p.L1Ratio <= 1) {
		return badField("params.l1_ratio", "%v; want a number from 0 to 1", p.L1Ratio)
	}
	switch p.Precision {
	case "float32", "float64":
	default:
		return badField("params.precision", "%s; want float32 or float64", excerpt(p.Precision))
	}
	switch p.Format {
	case "npy", "csv":
	default:
		return badField("params.format", "%s; want npy or csv", excerpt(p.Format))
	}
	return nil
}

// check applies the rules of the readers to what the report says of X.
func (in *inputReport) check(p reportParams) error {
	switch in.Kind {
	case kindNPY, kindCSV, kindTSV, kindMTX, kindImages, kindWAV:
	default:
		return badField("input.kind", "%s; want npy, csv, tsv, mtx, images or wav", excerpt(in.Kind))
	}
	rows, cols := in.Shape[0], in.Shape[1]
	if rows < 1 || cols < 1 {
		return badField("input.shape", "%d×%d; want at least 1×1", rows, cols)
	}
	if p.Rank > math.MaxInt32/max(rows, cols) { // far beyond any memory
		return badField("params.rank", "%d is too large for a %d×%d X", p.Rank, rows, cols)
	}
	if (nmf.Init(p.Init) == nmf.InitNNDSVD || nmf.Init(p.Init) == nmf.InitNNDSVDA || nmf.Init(p.Init) == nmf.InitNNDSVDAR) && p.Rank > min(rows, cols) {
		return badField("params.init", "%s needs params.rank ≤ %d (input.shape %d×%d), have %d", p.Init, min(rows, cols), rows, cols, p.Rank)
	}
	if in.NNZ < 0 || rows > math.MaxInt/cols || in.NNZ > rows*cols {
		return badField("input.nnz", "%d; want 0 to %d×%d", in.NNZ, rows, cols)
	}
	if in.Precision != p.Precision {
		return badField("input.precision", "%s, but params.precision is %s", excerpt(in.Precision), p.Precision)
	}
	if in.Kind == kindImages && (in.Width < 1 || in.Height < 1 || in.Width > rows/in.Height || in.Width*in.Height != rows) {
		return badField("input.image_width", "%d×%d images, but input.shape has %d pixels", in.Width, in.Height, rows)
	}
	if in.Sparse && in.Kind != kindMTX {
		return badField("input.sparse", "true for input.kind %s; only .mtx input is sparse", excerpt(in.Kind))
	}
	if len(in.Header) > 0 && (len(in.Header) != cols || in.Kind != kindCSV && in.Kind != kindTSV) {
		return badField("input.header", "%d names for input.kind %s with %d columns", len(in.Header), excerpt(in.Kind), cols)
	}
	if (in.Kind == kindImages) != (len(in.Images) > 0) || len(in.Images) > 0 && len(in.Images) != cols {
		return badField("input.images", "%d names for input.kind %s with %d columns; want one a column for images, none otherwise", len(in.Images), excerpt(in.Kind), cols)
	}
	if (in.Kind == kindWAV) != (in.WAV != nil) {
		return badField("input.wav", "given for input.kind %s", excerpt(in.Kind))
	}
	if w := in.WAV; w != nil {
		if err := (audio.STFT{FFTSize: w.FFTSize, Hop: w.Hop}).Validate(); err != nil {
			return badField("input.wav", "fft_size %d, hop %d: %s", w.FFTSize, w.Hop, strings.TrimPrefix(err.Error(), "audio: "))
		}
		if w.Rate < 1 || w.Channels < 1 || w.BitDepth < 1 || w.Samples < 0 || !(w.Seconds >= 0) || w.Window != "hann" {
			return badField("input.wav", "rate %d, channels %d, bit_depth %d, samples %d, seconds %v, window %s: not a WAV nmf read",
				w.Rate, w.Channels, w.BitDepth, w.Samples, w.Seconds, excerpt(w.Window))
		}
		if rows != w.FFTSize/2+1 {
			return badField("input.shape", "%d rows, but fft_size %d gives %d frequencies", rows, w.FFTSize, w.FFTSize/2+1)
		}
	}
	return nil
}

// check applies the rules of the solver to the run: iterations, errors,
// trace, the solver state of a checkpoint, the resumptions.
func (r *runReport) checkRun(use savedUse) error {
	if last := r.Params.MaxIter; r.NIter < 0 || r.NIter > last || (use == asCheckpoint && r.NIter == last) {
		if use == asCheckpoint {
			return badField("n_iter", "%d; want 0 to %d (params.max_iter − 1: a checkpoint is of an unfinished fit)", r.NIter, last-1)
		}
		return badField("n_iter", "%d; want 0 to %d (params.max_iter)", r.NIter, last)
	}
	if err := nonneg("reconstruction_err", r.ReconstructionErr); err != nil {
		return err
	}
	if err := nonneg("elapsed_seconds", r.ElapsedSeconds); err != nil {
		return err
	}
	if err := nonneg("init_seconds", r.InitSeconds); err != nil {
		return err
	}
	if err := nonneg("device.open_seconds", r.Device.OpenSeconds); err != nil {
		return err
	}
	if p := r.Device.Profile; p != "" && p != "gpu" && p != "cpu" {
		return badField("device.profile", "%q; want \"gpu\", \"cpu\" or none", p)
	}
	if err := r.Timings.check(); err != nil {
		return err
	}
	if r.Device.Bytes < 0 {
		return badField("device.bytes", "%d; want at least 0", r.Device.Bytes)
	}
	if err := r.Distributed.check(); err != nil {
		return err
	}
	if err := r.checkTrace(); err != nil {
		return err
	}
	for i, w := range r.Warnings {
		if !warningCode.MatchString(w.Code) {
			return badField(fmt.Sprintf("warnings[%d].code", i), "%s; want a name of lower-case letters and _", excerpt(w.Code))
		}
	}
	for i, e := range r.Resumed {
		if e.NIter < 0 || e.NIter > r.NIter || i > 0 && e.NIter < r.Resumed[i-1].NIter {
			return badField(fmt.Sprintf("resumed[%d].n_iter", i), "%d; want increasing iterations from 0 to n_iter (%d)", e.NIter, r.NIter)
		}
	}
	switch custom := nmf.Init(r.Params.Init) == nmf.InitCustom; {
	case custom && r.Start == nil:
		return badField("start", "missing; params.init custom names the files of the start here")
	case !custom && r.Start != nil:
		return badField("start", "given for params.init %s; only a custom start has one", r.Params.Init)
	}
	if r.Model != nil {
		return badField("model", "given in the report of a fit")
	}
	s := r.SolverState
	if s == nil {
		if use == asCheckpoint {
			return badField("solver_state", "missing: the checkpoint was written by an older nmf that did not save the state of the stopping rule; start the fit again")
		}
		return nil
	}
	for _, f := range []struct {
		name string
		v    float64
	}{{"err_init", s.ErrInit}, {"err_last", s.ErrLast}, {"violation_init", s.ViolationInit}} {
		if err := nonneg("solver_state."+f.name, f.v); err != nil {
			return err
		}
	}
	return nil
}

// checkTrace checks the trace (increasing iterations up to n_iter) and the
// final state (at n_iter).
func (r *runReport) checkTrace() error {
	for i, t := range r.Trace {
		field := fmt.Sprintf("trace[%d]", i)
		if t.Iter < 0 || t.Iter > r.NIter || i > 0 && t.Iter <= r.Trace[i-1].Iter {
			return badField(field+".iter", "%d; want increasing iterations from 0 to n_iter (%d)", t.Iter, r.NIter)
		}
		if err := t.check(field); err != nil {
			return err
		}
	}
	if f := r.Final; f != nil {
		if f.Iter != r.NIter {
			return badField("final.iter", "%d; want n_iter (%d)", f.Iter, r.NIter)
		}
		return f.check("final")
	}
	return nil
}

// check applies nonneg to the point's error, objective and seconds.
func (t tracePoint) check(field string) error {
	for _, v := range []struct {
		name string
		v    float64
	}{{".err", t.Err}, {".objective", t.Objective}, {".seconds", t.Seconds}} {
		if err := nonneg(field+v.name, v.v); err != nil {
			return err
		}
	}
	return nil
}

var warningCode = regexp.MustCompile(`^[a-z][a-z0-9_]*$`)

// check requires the factor files to be the folder's W.<format> and
// H.<format>, and the pictures and sounds names of files fit writes.
func (f *filesReport) check(format string, use savedUse) error {
	if f.W != "W."+format {
		return badField("files.W", "%s; want W.%s (params.format %s)", excerpt(f.W), format, format)
	}
	if f.H != "H."+format {
		return badField("files.H", "%s; want H.%s (params.format %s)", excerpt(f.H), format, format)
	}
	extra := append(append([]string(nil), f.Pictures...), f.Sounds...)
	if use == asCheckpoint && len(extra) > 0 {
		return badField("files", "lists pictures or sounds, which a checkpoint has none of")
	}
	for _, n := range extra {
		if !resultName.MatchString(n) {
			return badField("files", "names %s, not a file nmf fit writes", excerpt(n))
		}
	}
	return nil
}

// state is the library's solver state of a checkpoint.
func (s *savedFit) state() nmf.State {
	st := s.rep.SolverState
	return nmf.State{NIter: s.rep.NIter, ErrInit: st.ErrInit, ErrLast: st.ErrLast, ViolationInit: st.ViolationInit}
}

// factorPath is the folder's file of factor name ("W" or "H"): its name is
// made of constants, never taken from the report.
func (s *savedFit) factorPath(name string) string {
	ext := "npy"
	if s.rep.Params.Format == "csv" {
		ext = "csv"
	}
	return filepath.Join(s.dir, name+"."+ext)
}

// readSavedFile reads a dense matrix file of a saved fit, a regular file, in
// precision T, and says the file's precision.
func readSavedFile[T nmf.Float](path string) (*nmf.Dense[T], string, error) {
	if fi, err := os.Lstat(path); err != nil {
		return nil, "", fileErr(path, err)
	} else if !fi.Mode().IsRegular() {
		return nil, "", &cliError{file: path, msg: "is not a regular file; a saved fit's factors are files nmf wrote"}
	}
	in, err := nmfio.Read(path)
	if err != nil {
		return nil, "", fileErr(path, err)
	}
	switch {
	case in.Dense32 != nil:
		return &nmf.Dense[T]{Rows: in.Dense32.Rows, Cols: in.Dense32.Cols, Data: convert[T](in.Dense32.Data)}, "float32", nil
	case in.Dense64 != nil:
		return &nmf.Dense[T]{Rows: in.Dense64.Rows, Cols: in.Dense64.Cols, Data: convert[T](in.Dense64.Data)}, "float64", nil
	}
	return nil, "", &cliError{file: path, msg: "is a sparse matrix; nmf fit writes its factors dense"}
}

// readSavedFactor reads the factor name ("W" or "H") of a saved fit in
// precision T and checks that it is the shape the report says, and for a
// .npy file the precision.
func readSavedFactor[T nmf.Float](s *savedFit, name string) (*nmf.Dense[T], error) {
	path := s.factorPath(name)
	d, prec, err := readSavedFile[T](path)
	if err != nil {
		return nil, err
	}
	p, shape := s.rep.Params, s.rep.Input.Shape
	rows, cols := shape[0], p.Rank
	if name == "H" {
		rows, cols = p.Rank, shape[1]
	}
	if d.Rows != rows || d.Cols != cols {
		return nil, &cliError{file: path, msg: fmt.Sprintf("%s is %d×%d, but %s says %d×%d (params.rank %d, input.shape %d×%d)",
			name, d.Rows, d.Cols, s.path, rows, cols, p.Rank, shape[0], shape[1]), err: nmf.ErrShape}
	}
	if p.Format == "npy" && prec != p.Precision {
		return nil, &cliError{file: path, msg: fmt.Sprintf("%s is %s, but %s says params.precision %s", name, prec, s.path, p.Precision), err: nmf.ErrPrecision}
	}
	return d, nil
}

// check applies nonneg to each phase's seconds; a report without timings
// (older runs) passes.
func (t *timings) check() error {
	if t == nil {
		return nil
	}
	for _, f := range []struct {
		name string
		v    float64
	}{{"read", t.Read}, {"init", t.Init}, {"solve", t.Solve}, {"write", t.Write}} {
		if err := nonneg("timings."+f.name, f.v); err != nil {
			return err
		}
	}
	return nil
}
