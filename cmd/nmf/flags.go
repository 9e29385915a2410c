package main

import (
	"flag"
	"fmt"
	"io"
	"math"
	"regexp"
	"strconv"
	"strings"

	"github.com/clnmf/clnmf/cmd/nmf/internal/audio"
	"github.com/clnmf/clnmf/nmf"
)

// options are the flags of fit and transform, parsed and checked.
type options struct {
	cmd   string // "fit" or "transform"
	input string // the INPUT positional; "" with --resume

	rank      int
	lossFlag  string
	loss      nmf.Loss
	solver    string
	init      string
	w0, h0    string
	maxIter   int
	tol       float64
	alphaW    float64
	alphaHArg string
	alphaH    *float64 // nil: same as alpha-w
	l1Ratio   float64
	seed      uint64
	shuffle   bool
	svd       string
	device    string
	devices   []string // --device as a list (a,b or all-gpus)
	// distributed is --distributed ("" or "mpi"); dist this rank's part.
	distributed string
	dist        *distRun
	weightsArg  string    // --device-weights as given
	weights     []float64 // --device-weights: one per device of --device
	devMemArg   string    // --device-memory as given
	devMem      int64     // --device-memory in bytes; 0 for the device's own
	panels      string    // --panels: rows, columns, or "" for the longer side
	precision   string    // "" until resolved from the input
	out         string
	format      string
	force       bool
	quiet       bool
	verbose     bool
	fftSize     int
	indexColumn bool // --index-column: a CSV's first column is row names
	hop         int
	memArg      string // --memory-limit as given
	memory      int64  // the memory budget in bytes; -1: unknown, nothing checked
	memSet      bool   // memory is --memory-limit, not the memory available

	resume string // fit
	model  string // transform, partial-fit
	hFile  string // transform

	mb minibatchFlags // fit --minibatch, partial-fit

	set map[string]bool // flags given on the command line, by long name

	notes []string // about the input (a CSV header), printed with the summary
}

// aliases maps the short flags to their long names (sklearnAliases the
// scikit-learn names; longName looks up both).
var aliases = map[string]string{"k": "rank", "q": "quiet", "v": "verbose"}

// newFlagSet registers the flags of cmd ("fit" or "transform") on a fresh
// FlagSet bound to o.
func newFlagSet(cmd string, o *options) *flag.FlagSet {
	fs := flag.NewFlagSet("nmf "+cmd, flag.ContinueOnError)
	fs.SetOutput(io.Discard) // run prints errors and usage itself
	fs.Usage = func() {}
	o.cmd = cmd
	fs.IntVar(&o.rank, "rank", 0, "")
	fs.IntVar(&o.rank, "k", 0, "")
	fs.IntVar(&o.rank, "n-components", 0, "")
	fs.StringVar(&o.lossFlag, "loss", "frobenius", "")
	fs.StringVar(&o.lossFlag, "beta-loss", "frobenius", "")
	fs.StringVar(&o.solver, "solver", "auto", "")
	fs.IntVar(&o.maxIter, "max-iter", 200, "")
	fs.Float64Var(&o.tol, "tol", 1e-4, "")
	fs.Float64Var(&o.alphaW, "alpha-w", 0, "")
	fs.Float64Var(&o.alphaW, "alpha-W", 0, "")
	fs.StringVar(&o.alphaHArg, "alpha-h", "same", "")
	fs.StringVar(&o.alphaHArg, "alpha-H", "same", "")
	fs.Float64Var(&o.l1Ratio, "l1-ratio", 0, "")
	fs.Uint64Var(&o.seed, "seed", 0, "")
	fs.Uint64Var(&o.seed, "random-state", 0, "")
	if cmd != "partial-fit" { // coordinate descent's
		fs.BoolVar(&o.shuffle, "shuffle", false, "")
	}
	fs.StringVar(&o.device, "device", "auto", "")
	if cmd == "fit" {
		fs.StringVar(&o.distributed, "distributed", "", "")
		fs.StringVar(&o.weightsArg, "device-weights", "", "")
	}
	if cmd == "fit" || cmd == "transform" {
		fs.StringVar(&o.devMemArg, "device-memory", "", "")
		fs.StringVar(&o.panels, "panels", "", "")
	}
	fs.StringVar(&o.precision, "precision", "", "")
	fs.StringVar(&o.out, "out", "", "")
	fs.StringVar(&o.format, "format", "npy", "")
	fs.BoolVar(&o.force, "force", false, "")
	fs.BoolVar(&o.quiet, "quiet", false, "")
	fs.BoolVar(&o.quiet, "q", false, "")
	fs.BoolVar(&o.verbose, "verbose", false, "")
	fs.BoolVar(&o.verbose, "v", false, "")
	fs.IntVar(&o.fftSize, "fft-size", 2048, "")
	fs.IntVar(&o.hop, "hop", 512, "")
	fs.StringVar(&o.memArg, "memory-limit", "", "")
	fs.BoolVar(&o.indexColumn, "index-column", false, "")
	switch cmd {
	case "fit", "partial-fit":
		fs.StringVar(&o.init, "init", "auto", "")
		fs.StringVar(&o.svd, "svd", "randomized", "")
		fs.StringVar(&o.w0, "w0", "", "")
		fs.StringVar(&o.h0, "h0", "", "")
		if cmd == "fit" {
			fs.StringVar(&o.resume, "resume", "", "")
		} else {
			fs.StringVar(&o.model, "model", "", "")
		}
		registerMiniBatchFlags(fs, &o.mb, cmd)
	case "transform":
		fs.StringVar(&o.model, "model", "", "")
		fs.StringVar(&o.hFile, "h", "", "")
	}
	return fs
}

// parseInterspersed parses args with fs, allowing flags after positional
// arguments (nmf fit data.npy -k 5), and returns the positionals. A "--"
// ends the flags.
func parseInterspersed(fs *flag.FlagSet, args []string) ([]string, error) {
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, err
		}
		rest := fs.Args()
		if used := len(args) - len(rest); used > 0 && args[used-1] == "--" {
			return append(pos, rest...), nil
		}
		if len(rest) == 0 {
			return pos, nil
		}
		pos = append(pos, rest[0])
		args = rest[1:]
	}
}

var deviceSpec = regexp.MustCompile(`^(auto|cpu|opencl|opencl:[0-9]+:[0-9]+)$`)

// parseOptions parses and checks the flags of fit, transform or
// partial-fit. Every error it returns is a *usageError (or a *helpError).
func parseOptions(cmd, usage string, args []string) (*options, error) {
	o := &options{}
	fs := newFlagSet(cmd, o)
	if cmd == "transform" && len(args) > 0 && (args[len(args)-1] == "-h" || args[len(args)-1] == "--h") {
		// transform's --h takes a file; a -h without one asks for help.
		return nil, &helpError{usage: usage}
	}
	pos, err := parseInterspersed(fs, args)
	if err != nil {
		return nil, flagError(fs, cmd, usage, err)
	}
	o.set = map[string]bool{}
	fs.Visit(func(f *flag.Flag) { o.set[longName(f.Name)] = true })
	for _, check := range []func([]string) string{o.checkInput, o.checkModel, o.checkNumbers, o.checkRun} {
		if msg := check(pos); msg != "" {
			return nil, &usageError{usage: usage, msg: cmd + ": " + msg}
		}
	}
	return o, nil
}

// checkInput checks the positional arguments: one INPUT (none with
// --resume).
func (o *options) checkInput(pos []string) string {
	switch {
	case len(pos) > 1:
		return fmt.Sprintf("one INPUT expected, got %d: %s", len(pos), strings.Join(pos, " "))
	case len(pos) == 1:
		o.input = pos[0]
		if o.input == "" {
			return "INPUT is an empty string"
		}
	case o.resume == "":
		return "missing INPUT"
	}
	return ""
}

// checkModel checks the flags that choose the model: rank, loss, solver,
// the start and the SVD.
func (o *options) checkModel([]string) string {
	var err error
	if o.set["rank"] && o.rank < 1 {
		return fmt.Sprintf("--rank %d: must be at least 1", o.rank)
	}
	if o.loss, err = nmf.ParseLoss(o.lossFlag); err != nil {
		return fmt.Sprintf("--loss %q: want frobenius, kullback-leibler, itakura-saito, kl, is or a number β", o.lossFlag)
	}
	switch o.solver {
	case "auto", "mu":
	case "cd":
		if o.loss.Beta() != 2 {
			return fmt.Sprintf("--solver cd minimises the Frobenius loss only, not --loss %s; use --solver mu", o.lossFlag)
		}
	default:
		return fmt.Sprintf("--solver %q: want auto, mu or cd", o.solver)
	}
	if o.cmd == "fit" || o.cmd == "partial-fit" {
		if msg := o.checkStart(); msg != "" {
			return msg
		}
	}
	if o.seed > math.MaxUint32 {
		return fmt.Sprintf("--seed %d: must be below 2³² = 4294967296 (scikit-learn's random_state seeds numpy's RandomState)", o.seed)
	}
	if o.cmd == "fit" {
		switch o.svd {
		case "randomized", "exact":
		default:
			return fmt.Sprintf("--svd %q: want randomized or exact", o.svd)
		}
	}
	return ""
}

// checkStart checks --init, --w0/--h0 and what --resume excludes.
func (o *options) checkStart() string {
	switch o.init {
	case "auto", "random", "nndsvd", "nndsvda", "nndsvdar", "custom":
	default:
		return fmt.Sprintf("--init %q: want auto, random, nndsvd, nndsvda, nndsvdar or custom", o.init)
	}
	if (o.w0 == "") != (o.h0 == "") {
		return "--w0 and --h0 go together: a custom start needs both"
	}
	if o.w0 != "" && o.init != "auto" && o.init != "custom" {
		return fmt.Sprintf("--w0 and --h0 are a custom start, but --init is %s", o.init)
	}
	if o.init == "custom" && o.w0 == "" {
		return "--init custom needs --w0 FILE and --h0 FILE"
	}
	if o.resume != "" {
		for _, f := range []string{"rank", "init", "w0", "h0"} {
			if o.set[f] {
				return fmt.Sprintf("--%s cannot be used with --resume: the checkpoint fixes it", f)
			}
		}
	}
	return ""
}

// checkNumbers checks the stopping rule and the penalties.
func (o *options) checkNumbers([]string) string {
	if o.maxIter < 0 {
		return fmt.Sprintf("--max-iter %d: must be at least 0", o.maxIter)
	}
	if !(o.tol >= 0) || math.IsInf(o.tol, 0) {
		return fmt.Sprintf("--tol %v: must be a finite number ≥ 0", o.tol)
	}
	if !(o.alphaW >= 0) || math.IsInf(o.alphaW, 0) {
		return fmt.Sprintf("--alpha-w %v: must be a finite number ≥ 0", o.alphaW)
	}
	if o.alphaHArg != "same" {
		a, err := strconv.ParseFloat(o.alphaHArg, 64)
		if err != nil || !(a >= 0) || math.IsInf(a, 0) {
			return fmt.Sprintf("--alpha-h %q: want same or a finite number ≥ 0", o.alphaHArg)
		}
		o.alphaH = &a
	}
	if !(o.l1Ratio >= 0 && o.l1Ratio <= 1) {
		return fmt.Sprintf("--l1-ratio %v: must be between 0 and 1", o.l1Ratio)
	}
	return ""
}

// checkRun checks the flags of how the fit runs and what it writes: device,
// memory, precision, format, verbosity, the STFT, minibatch and --out.
func (o *options) checkRun([]string) string {
	if msg := o.resolveDevices(); msg != "" {
		return msg
	}
	if o.distributed != "" && o.distributed != "mpi" {
		return fmt.Sprintf("--distributed %s: want mpi", quoteArg(o.distributed))
	}
	if o.distributed != "" && o.weightsArg != "" {
		return fmt.Sprintf("--device-weights %s: under --distributed mpi each rank takes one device of the --device list; the weights do not apply", quoteArg(o.weightsArg))
	}
	if msg := o.resolveWeights(); msg != "" {
		return msg
	}
	if err := o.resolveMemory(); err != nil {
		return err.Error()
	}
	if o.devMemArg != "" {
		v, err := nmf.ParseBytes(o.devMemArg)
		if err != nil || v <= 0 {
			return fmt.Sprintf("--device-memory %q: want a number of bytes > 0, optionally with KiB, MiB, GiB, KB, MB or GB (e.g. 256MiB)", o.devMemArg)
		}
		o.devMem = v
	}
	if o.panels != "" && o.panels != "rows" && o.panels != "columns" {
		return fmt.Sprintf("--panels %s: want rows or columns", quoteArg(o.panels))
	}
	switch o.precision {
	case "", "float32", "float64":
	default:
		return fmt.Sprintf("--precision %q: want float32 or float64", o.precision)
	}
	switch o.format {
	case "npy", "csv":
	default:
		return fmt.Sprintf("--format %q: want npy or csv", o.format)
	}
	if o.quiet && o.verbose {
		return "--quiet and --verbose contradict each other"
	}
	if err := (audio.STFT{FFTSize: o.fftSize, Hop: o.hop}).Validate(); err != nil {
		return fmt.Sprintf("--fft-size %d --hop %d: %s", o.fftSize, o.hop, strings.TrimPrefix(err.Error(), "audio: "))
	}
	if msg := o.checkMiniBatch(); msg != "" {
		return msg
	}
	if o.cmd == "transform" && (o.model == "") == (o.hFile == "") {
		return "give either --model DIR or --h FILE"
	}
	if o.out == "" && o.set["out"] {
		return "--out is an empty string"
	}
	return ""
}

// checkKind rejects flags that do not apply to the kind of input.
func (o *options) checkKind(kind, usage string) error {
	if kind != kindWAV {
		for _, f := range []string{"fft-size", "hop"} {
			if o.set[f] {
				return &usageError{usage: usage, msg: fmt.Sprintf("%s: --%s applies to .wav input only, %s is %s", o.cmd, f, o.input, kindName(kind))}
			}
		}
	}
	return nil
}

// nmfOptions are the library options for the flags, without the start,
// device hooks or progress.
func (o *options) nmfOptions() nmf.Options {
	opt := nmf.DefaultOptions()
	opt.Components = o.rank
	opt.Loss = o.loss
	switch o.solver {
	case "mu":
		opt.Solver = nmf.MU
	case "cd":
		opt.Solver = nmf.CD
	}
	switch o.init {
	case "", "auto":
	default:
		opt.Init = nmf.Init(o.init)
	}
	opt.SetStopping(o.maxIter, o.tol)
	opt.AlphaW = o.alphaW
	opt.AlphaH = o.alphaH
	opt.L1Ratio = o.l1Ratio
	opt.Seed = o.seed
	opt.Shuffle = o.shuffle
	opt.SVD = nmf.SVD(o.svd)
	opt.Device = o.device
	if len(o.devices) > 1 || o.device == "all-gpus" {
		opt.Device, opt.Devices = "", o.devices
	}
	opt.MemberWeights = o.weights
	opt.DeviceMemory = o.devMem
	opt.PanelsAlong = nmf.Along(o.panels)
	return opt
}

// adopt takes the algorithm parameters of an earlier run's report for every
// flag not given on the command line (transform --model, fit --resume).
func (o *options) adopt(p reportParams) error {
	if !o.set["loss"] {
		o.loss = nmf.Beta(p.Beta)
		o.lossFlag = p.Loss
	}
	if !o.set["solver"] {
		o.solver = p.Solver
	}
	if !o.set["max-iter"] {
		o.maxIter = p.MaxIter
	}
	if !o.set["tol"] {
		o.tol = p.Tol
	}
	if !o.set["alpha-w"] {
		o.alphaW = p.AlphaW
	}
	if !o.set["alpha-h"] {
		o.alphaH = nil
		if !p.AlphaHSame {
			a := p.AlphaH
			o.alphaH = &a
		}
	}
	if !o.set["l1-ratio"] {
		o.l1Ratio = p.L1Ratio
	}
	if !o.set["seed"] {
		o.seed = p.Seed
	}
	if !o.set["shuffle"] {
		o.shuffle = p.Shuffle
	}
	if !o.set["precision"] {
		o.precision = p.Precision
	}
	if o.solver == "cd" && o.loss.Beta() != 2 {
		return fmt.Errorf("--solver cd minimises the Frobenius loss only, not %s", o.loss)
	}
	return nil
}

// resolveMemory sets the memory budget: --memory-limit, or else the memory
// available now, before the input is read.
func (o *options) resolveMemory() error {
	if o.set["memory-limit"] {
		n, err := nmf.ParseBytes(o.memArg)
		if err != nil || n == 0 {
			return fmt.Errorf("--memory-limit %s: want a positive byte count such as 512MiB or 2GB", quoteArg(o.memArg))
		}
		o.memory, o.memSet = n, true
		return nil
	}
	o.memory = -1
	if n, ok := nmf.AvailableMemory(); ok {
		o.memory = n
	}
	return nil
}

// readLimit is the nmfio.Options.MemoryLimit of the readers: --memory-limit,
// or 0 for the memory available when they read.
func (o *options) readLimit() int64 {
	if o.memSet {
		return o.memory
	}
	return 0
}

// quoteArg quotes a flag's value for a message, cut short when long.
func quoteArg(s string) string {
	if len(s) > 40 {
		return strconv.Quote(s[:32]) + "…"
	}
	return strconv.Quote(s)
}

// resolveDevices checks --device: one spec, a comma-separated list of them
// (one fit on all, nmf.Options.Devices), or all-gpus.
func (o *options) resolveDevices() string {
	o.device = strings.ToLower(strings.TrimSpace(o.device))
	o.devices = nil
	if o.device == "all-gpus" {
		o.devices = []string{o.device}
		return ""
	}
	for _, d := range strings.Split(o.device, ",") {
		d = strings.TrimSpace(d)
		if !deviceSpec.MatchString(d) || (d == "auto" && strings.Contains(o.device, ",")) {
			return fmt.Sprintf("--device %s: want auto, cpu, opencl, opencl:P:D, a list of cpu/opencl/opencl:P:D separated by commas, or all-gpus (see nmf devices)", quoteArg(o.device))
		}
		if rest, ok := strings.CutPrefix(d, "opencl:"); ok {
			for _, n := range strings.Split(rest, ":") {
				if _, err := strconv.ParseUint(n, 10, 31); err != nil {
					return fmt.Sprintf("--device %s: platform and device numbers are below 2³¹ (see nmf devices)", quoteArg(o.device))
				}
			}
		}
		o.devices = append(o.devices, d)
	}
	return ""
}

// resolveWeights checks --device-weights: one number > 0 per device of a
// --device list, or per GPU that all-gpus finds (where none is found, or
// the devices cannot be listed, the fit says so).
func (o *options) resolveWeights() string {
	o.weights = nil
	if o.weightsArg == "" {
		return ""
	}
	for _, f := range strings.Split(o.weightsArg, ",") {
		w, err := strconv.ParseFloat(strings.TrimSpace(f), 64)
		if err != nil || !(w > 0) || math.IsInf(w, 0) {
			return fmt.Sprintf("--device-weights %s: want one number > 0 per device of --device, separated by commas (e.g. 1,3)", quoteArg(o.weightsArg))
		}
		o.weights = append(o.weights, w)
	}
	switch {
	case len(o.devices) < 2 && o.device != "all-gpus":
		return fmt.Sprintf("--device-weights %s: --device %s is one device; the weights share X among the devices of a list (--device cpu,opencl)", quoteArg(o.weightsArg), quoteArg(o.device))
	case o.device != "all-gpus" && len(o.weights) != len(o.devices):
		return fmt.Sprintf("--device-weights %s: %d weights for the %d devices of --device %s", quoteArg(o.weightsArg), len(o.weights), len(o.devices), quoteArg(o.device))
	case o.device == "all-gpus":
		if gpus, err := gpuSpecs(); err == nil && len(gpus) > 0 && len(gpus) != len(o.weights) {
			return fmt.Sprintf("--device-weights %s: %d weights for the %d GPUs of --device all-gpus (see nmf devices)", quoteArg(o.weightsArg), len(o.weights), len(gpus))
		}
	}
	return ""
}

// gpuSpecs lists the specs of the OpenCL GPUs, which --device all-gpus
// stands for, in nmf.Devices' order (the library's). A variable, so that
// tests can pretend to have GPUs.
var gpuSpecs = func() ([]string, error) {
	devs, err := nmf.Devices()
	if err != nil {
		return nil, err
	}
	var specs []string
	for _, d := range devs {
		if d.Type == "GPU" {
			specs = append(specs, d.Spec)
		}
	}
	return specs, nil
}
