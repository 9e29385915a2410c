package main

import (
	"encoding/json"
	"io"
	"path/filepath"
	"time"

	"github.com/clnmf/clnmf/nmf"
)

// runReport is report.json: everything about a run of fit or transform.
type runReport struct {
	Version string `json:"version"`
	Command string `json:"command"` // "fit" or "transform"
	// Partial is set in a checkpoint: the fit was interrupted after NIter
	// iterations and can go on with nmf fit --resume.
	Partial           bool         `json:"partial"`
	NIter             int          `json:"n_iter"`
	ReconstructionErr float64      `json:"reconstruction_err"`
	Trace             []tracePoint `json:"trace"`
	// Final is the state at the end (nmf.Result.Final): the error and the
	// objective after n_iter iterations, the seconds of the solve.
	Final          *tracePoint `json:"final,omitempty"`
	ElapsedSeconds float64     `json:"elapsed_seconds"`
	// InitSeconds is the part of elapsed_seconds the initialisation took
	// (the randomized SVD of nndsvd*, the random draws).
	InitSeconds float64 `json:"init_seconds"`
	// Timings are the seconds of each phase of this run (not of the runs
	// a --resume goes on from).
	Timings  *timings      `json:"timings,omitempty"`
	Device   deviceReport  `json:"device"`
	Warnings []warning     `json:"warnings"`
	Params   reportParams  `json:"params"`
	Input    inputReport   `json:"input"`
	Start    *startReport  `json:"start,omitempty"`
	Model    *modelReport  `json:"model,omitempty"`
	Resumed  []resumeEntry `json:"resumed,omitempty"`
	Files    filesReport   `json:"files"`
	// NSteps is the number of mini-batches processed (n_steps_) of a
	// minibatch fit or an online model; MiniBatch its parameters and state.
	NSteps    int              `json:"n_steps,omitempty"`
	MiniBatch *minibatchReport `json:"minibatch,omitempty"`
	// SolverState is, for a fit, the state of the stopping rule after
	// NIter iterations, which fit --resume goes on from.
	SolverState *solverState `json:"solver_state,omitempty"`
	// Distributed is a fit's ranks under --distributed mpi.
	Distributed *distributedReport `json:"distributed,omitempty"`
}

// timings are the seconds of the phases of a run: reading the input, the
// initialisation, the iterations (with the device's own work, but not the
// time to open it, device.open_seconds) and writing the results into the
// staging folder of --out (W, H, pictures, sounds; report.json itself not
// counted).
type timings struct {
	Read  float64 `json:"read"`
	Init  float64 `json:"init"`
	Solve float64 `json:"solve"`
	Write float64 `json:"write"`
}

// timingsOf are the timings of a run that read its input in read and
// solved in elapsed seconds, open and init of which were the device's
// opening and the initialisation; write is filled in by outputs.write.
func timingsOf(read time.Duration, elapsed, open, init float64) *timings {
	return &timings{Read: read.Seconds(), Init: init, Solve: max(0, elapsed-open-init)}
}

// solverState is nmf.State less the iteration count (n_iter).
type solverState struct {
	ErrInit       float64 `json:"err_init"`
	ErrLast       float64 `json:"err_last"`
	ViolationInit float64 `json:"violation_init"`
}

// tracePoint is nmf.TracePoint: the reconstruction error, the regularised
// objective (in the error's units; equal to it without penalties) and the
// seconds since the solve began, those of the runs a --resume goes on from
// included.
type tracePoint struct {
	Iter      int     `json:"iter"`
	Err       float64 `json:"err"`
	Objective float64 `json:"objective"`
	Seconds   float64 `json:"seconds"`
}

type warning struct {
	Code    string `json:"code"`
	Message string `json:"message"`
}

type deviceReport struct {
	Requested string `json:"requested"` // the --device flag
	Name      string `json:"name"`      // what ran
	Reason    string `json:"reason"`    // why it was chosen
	Bytes     int64  `json:"bytes"`     // device memory held at the end
	// OpenSeconds is the time taken to open the device (an OpenCL context),
	// left out of elapsed_seconds.
	OpenSeconds float64 `json:"open_seconds"`
	// How the device held X (nmf.Plan): in how many panels, cut along
	// "rows" or "columns", whether they were streamed onto it on every
	// pass, the bytes of X loaded per iteration and in all, and the seconds
	// those loads took (streamed on OpenCL: the copies' own device time,
	// from event profiling; they run on a queue of their own, overlapping
	// the compute). The compute waited transfer_wait_seconds of them;
	// transfer_untimed says some copies' times could not be read and are
	// left out.
	Panels              int     `json:"panels"`
	PanelsAlong         string  `json:"panels_along"`
	Streamed            bool    `json:"streamed"`
	BytesPerIteration   int64   `json:"bytes_per_iteration"`
	BytesLoaded         int64   `json:"bytes_loaded"`
	TransferSeconds     float64 `json:"transfer_seconds"`
	TransferWaitSeconds float64 `json:"transfer_wait_seconds"`
	TransferUntimed     bool    `json:"transfer_untimed,omitempty"`
	// Profile is the OpenCL kernel profile that ran, "gpu" or "cpu"
	// (CLNMF_OPENCL_PROFILE, else the device type's); absent for the host
	// CPU backend.
	Profile string `json:"profile,omitempty"`
	// Members is each device's share of a fit on several (--device a,b):
	// its name, X's rows [lo, hi) (or columns, with column panels), its
	// panels, and how the share was sized (nmf.MemberSpeed).
	Members []memberReport `json:"members,omitempty"`
}

type memberReport struct {
	Name     string  `json:"name"`
	Rows     *[2]int `json:"rows,omitempty"`
	Columns  *[2]int `json:"columns,omitempty"`
	Panels   int     `json:"panels"`
	Streamed bool    `json:"streamed"`
	// SizedBy is "speed" (the share follows the measured speed) or
	// "weights" (--device-weights); Weight is what the share is
	// proportional to (the speed's per_second, or the weight given);
	// MemoryCapped says the share was cut to what the device holds
	// resident.
	SizedBy      string       `json:"sized_by"`
	Weight       float64      `json:"weight"`
	MemoryCapped bool         `json:"memory_capped"`
	Speed        *speedReport `json:"speed,omitempty"`
}

// speedReport is a member's measured speed: the fit's iteration timed on
// the device alone over X's first probe_size rows (columns), after one
// untimed iteration; per_second is rows (columns) of X per second.
type speedReport struct {
	Method           string  `json:"method"`
	PerSecond        float64 `json:"per_second"`
	ProbeSize        int     `json:"probe_size"`
	ProbeIterations  int     `json:"probe_iterations"`
	ProbeSeconds     float64 `json:"probe_seconds"`
	ProbeWallSeconds float64 `json:"probe_wall_seconds"`
}

// reportParams are the parameters as used, every default resolved; their
// names are those of the flags.
type reportParams struct {
	Rank       int     `json:"rank"`
	Loss       string  `json:"loss"`
	Beta       float64 `json:"beta"`
	Solver     string  `json:"solver"`
	Init       string  `json:"init"`
	MaxIter    int     `json:"max_iter"`
	Tol        float64 `json:"tol"`
	AlphaW     float64 `json:"alpha_w"`
	AlphaH     float64 `json:"alpha_h"`
	AlphaHSame bool    `json:"alpha_h_same"` // --alpha-h same
	L1Ratio    float64 `json:"l1_ratio"`
	L1RegW     float64 `json:"l1_reg_w"`
	L2RegW     float64 `json:"l2_reg_w"`
	L1RegH     float64 `json:"l1_reg_h"`
	L2RegH     float64 `json:"l2_reg_h"`
	Seed       uint64  `json:"seed"`
	Shuffle    bool    `json:"shuffle"`
	SVD        string  `json:"svd,omitempty"` // of nndsvd*: randomized or exact
	Precision  string  `json:"precision"`
	Format     string  `json:"format"`
}

type inputReport struct {
	Path      string   `json:"path"`     // as given
	AbsPath   string   `json:"abs_path"` // absolute, for --resume from elsewhere
	Kind      string   `json:"kind"`     // npy, csv, tsv, mtx, images or wav
	Shape     [2]int   `json:"shape"`    // rows, columns of X
	NNZ       int      `json:"nnz"`      // nonzero (or stored, for .mtx) entries
	Sparse    bool     `json:"sparse"`
	Precision string   `json:"precision"` // the computation's
	Header    []string `json:"header,omitempty"`
	Images    []string `json:"images,omitempty"`
	Width     int      `json:"image_width,omitempty"`
	Height    int      `json:"image_height,omitempty"`
	WAV       *wavInfo `json:"wav,omitempty"`
}

type wavInfo struct {
	Rate     int     `json:"rate"`
	Channels int     `json:"channels"`
	BitDepth int     `json:"bit_depth"`
	Samples  int     `json:"samples"`
	Seconds  float64 `json:"seconds"`
	FFTSize  int     `json:"fft_size"`
	Hop      int     `json:"hop"`
	Window   string  `json:"window"`
}

// startReport names the files of a custom start.
type startReport struct {
	W0 string `json:"w0"`
	H0 string `json:"h0"`
}

// modelReport says what transform held fixed, and where it came from.
type modelReport struct {
	Dir   string `json:"dir,omitempty"` // --model
	File  string `json:"file"`          // the fixed factor's file
	Fixed string `json:"fixed"`         // "H" (matrix files) or "W" (images, WAV)
}

// resumeEntry records a checkpoint a fit went on from.
type resumeEntry struct {
	Dir   string `json:"dir"`
	NIter int    `json:"n_iter"`
}

type filesReport struct {
	W        string   `json:"W"`
	H        string   `json:"H"`
	Pictures []string `json:"pictures,omitempty"`
	Sounds   []string `json:"sounds,omitempty"`
}

// paramsReport turns the library's resolved parameters into the report's.
func paramsReport(p nmf.Params, o *options) reportParams {
	r := reportParams{
		Rank: p.Components, Loss: p.Loss, Beta: p.Beta, Solver: string(p.Solver), Init: string(p.Init),
		MaxIter: p.MaxIter, Tol: p.Tol, AlphaW: p.AlphaW, AlphaH: p.AlphaH, AlphaHSame: o.alphaH == nil,
		L1Ratio: p.L1Ratio, L1RegW: p.L1RegW, L2RegW: p.L2RegW, L1RegH: p.L1RegH, L2RegH: p.L2RegH,
		Seed: p.Seed, Shuffle: p.Shuffle, Precision: p.Precision, Format: o.format,
	}
	switch p.Init {
	case nmf.InitNNDSVD, nmf.InitNNDSVDA, nmf.InitNNDSVDAR:
		r.SVD = string(p.SVD)
	}
	return r
}

func inputReportOf(ds *dataset, precision string) inputReport {
	rows, cols := ds.Dims()
	abs, err := filepath.Abs(ds.Path)
	if err != nil {
		abs = ds.Path
	}
	r := inputReport{Path: ds.Path, AbsPath: abs, Kind: ds.Kind, Shape: [2]int{rows, cols}, NNZ: ds.nnz,
		Sparse: ds.Sparse != nil, Precision: precision, Header: ds.Header, Images: ds.Images, Width: ds.Width, Height: ds.Height}
	if s := ds.sound; s != nil {
		r.WAV = &wavInfo{Rate: s.Rate, Channels: s.Channels, BitDepth: s.BitDepth, Samples: len(s.Samples),
			Seconds: float64(len(s.Samples)) / float64(s.Rate), FFTSize: ds.stft.FFTSize, Hop: ds.stft.Hop, Window: "hann"}
	}
	return r
}

// resultReport is the report of a run of cmd (fit or transform) that gave
// res in elapsed seconds, the device's opening included: the parts every
// run has; the caller adds its parameters and the rest.
func resultReport[T nmf.Float](cmd string, res *nmf.Result[T], o *options, ds *dataset, elapsed float64) *runReport {
	final := traceReport([]nmf.TracePoint{res.Final}, 0)[0]
	return &runReport{
		Final:             &final,
		Version:           version(),
		Command:           cmd,
		Partial:           res.Partial,
		NIter:             res.NIter,
		ReconstructionErr: res.ReconstructionErr,
		Trace:             traceReport(res.Trace, 0),
		ElapsedSeconds:    elapsed - res.DeviceOpenSeconds,
		InitSeconds:       res.InitTime.Seconds(),
		Timings:           timingsOf(ds.read, elapsed, res.DeviceOpenSeconds, res.InitTime.Seconds()),
		Device:            deviceReportOf(o, res),
		Warnings:          warningsReport(res.Warnings),
		Input:             inputReportOf(ds, o.precision),
	}
}

// convergence is the trace with the final state after it when that is
// beyond the last point: what convergence.png shows.
func (r *runReport) convergence() []tracePoint {
	t := r.Trace
	if f := r.Final; f != nil && (len(t) == 0 || f.Iter > t[len(t)-1].Iter) {
		t = append(t[:len(t):len(t)], *f)
	}
	return t
}

// traceReport is the trace t of a run whose solve began offset seconds
// after that of the fit it goes on from (0 for a fresh fit).
func traceReport(t []nmf.TracePoint, offset float64) []tracePoint {
	out := make([]tracePoint, 0, len(t))
	for _, p := range t {
		out = append(out, tracePoint{Iter: p.Iter, Err: p.Err, Objective: p.Objective, Seconds: p.Seconds + offset})
	}
	return out
}

func warningsReport(ws []nmf.Warning) []warning {
	out := []warning{}
	for _, w := range ws {
		out = append(out, warning{Code: w.Code, Message: w.Message})
	}
	return out
}

func (r *runReport) write(w io.Writer) error {
	b, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		return err
	}
	b = append(b, '\n')
	_, err = w.Write(b)
	return err
}
