// Package bench implements `nmf bench`: fixed workloads timed on the chosen
// devices (GEMMs through backend.Backend.Mul with every operand on the
// device, and whole NMF iterations through nmf.Fit), with GFLOP/s, the
// fraction of the device's own square-GEMM rate, the device memory a fit
// holds, and, with --compare, scikit-learn timed side by side from the same
// start for the same iterations.
//
// Timing: every figure is the median of the per-repeat times after the
// warm-up, pooled over the rounds for whole iterations; scikit-learn's
// rounds alternate with ours, so a ratio compares times taken together. An iteration's time is taken between consecutive calls of
// nmf.Options.Progress, which waits for the device's queue first, so it
// holds the device's work, not only its enqueueing.
package bench

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"regexp"
	"strings"
)

// Config is the parsed command line of nmf bench.
type Config struct {
	Devices    []string // "cpu", "opencl", "opencl:P:D"
	Precisions []string // "float32", "float64"
	JSON       bool
	Compare    bool
	Markdown   bool
	Quick      bool
	Tune       bool   // search GEMM parameters and cache the best (see Tune)
	LargeData  bool   // also the 1.2 and 2.4 GB memory rows (largedata.go)
	NMF        string // the nmf command the memory and MPI scaling rows run; "" skips them
	Repeats    int
	Warmup     int
	Rounds     int    // fresh starts per iteration workload, alternating with scikit-learn's
	Python     string // the interpreter for --compare
	// Only, when set, keeps the workloads whose label matches it (the
	// square GEMM, every device's reference rate, always runs).
	Only *regexp.Regexp
	// Roofline runs the GPU check's workloads (rooflinerun.go) and puts
	// every OpenCL row against its device's roofline; Size is --size, the
	// l = n of the device-filling dense workload (0: the default), and
	// PeakGFLOPS and FlopsPerCU override the float32 peak (roofline.go).
	Roofline   bool
	Size       int
	PeakGFLOPS float64
	FlopsPerCU float64
	Args       []string
}

// Usage is the usage text of nmf bench.
const Usage = `usage: nmf bench [--device D] [--precision P] [--json] [--compare] [--markdown] [--quick] [--repeats N] [--warmup N] [--rounds N] [--only REGEXP] [--large-data] [--nmf PATH] [--tune]
       nmf bench --roofline [--size L] [--peak-gflops G] [--flops-per-cu N] [--device D] [other flags]

Times fixed workloads (GEMMs of the shapes an iteration runs, square 2048
GEMM, whole iterations of mu Frobenius/KL/IS/β=1.5 and cd on dense, sparse and
audio-like data, a growth series, and scaling: two members in one process and
MPI ranks, as speedups) and prints ms per iteration (median after warm-up),
GFLOP/s, the fraction of the device's measured GEMM rate and the device memory
of a fit.

  --device D      cpu, opencl, opencl:P:D, or a comma-separated list (default cpu,opencl;
                  an unavailable OpenCL device is skipped with a note)
  --precision P   float32, float64 or both (default both)
  --json          print the rows as JSON instead of a table
  --compare       time scikit-learn (Debian's /usr/bin/python3) on the same
                  workloads, same start, same iterations, and print the ratios
  --markdown      print a BENCHMARKS.md document (machine, tables, targets)
  --quick         small sizes (seconds, for tests)
  --repeats N     timed repeats after the warm-up (default 3)
  --warmup N      untimed warm-up repeats (default 1, at least 1)
  --rounds N      whole-iteration workloads: fresh starts, each of warm-up + repeats
                  iterations, pooled for the median (default 3); with --compare each
                  round of ours is followed by the same round in scikit-learn
  --python PATH   interpreter for --compare (default /usr/bin/python3)
  --only REGEXP   run only the workloads whose label matches, e.g. 'mu KL' or 'X·Hᵀ'
  --large-data    also the memory rows of 1.2 GB and 2.4 GB float32 X (written to the temporary
                  folder, removed after; on a loaded 2-core machine about 1.5 h with --compare
                  and --device cpu,opencl: scikit-learn ~12 and ~25 min and ~15 GiB at 2.4 GB,
                  PoCL ~40 min at 2.4 GB); the 120 MB rows and, on OpenCL devices, streamed
                  vs resident at 120 MB always run (together ~5 min there, --compare included)
  --nmf PATH      the nmf command the memory rows and the MPI scaling rows (under mpirun
                  -np 1 and 2) run as a subprocess (default: this one)
  --tune          instead of the workloads, search the GEMM kernels' parameters (variant,
                  vector width, register block, work-group shape) on each OpenCL device:
                  each candidate is built, checked against a host product and timed on
                  the iteration shapes in the chosen precisions; the fastest is cached
                  per device (name + driver) in <user cache dir>/clnmf/tune.json, which
                  every later opencl run loads
  --roofline      instead of the workloads above, the GPU check's: the GEMM shapes of an
                  iteration, mu Frobenius, mu KL and cd at L×L k=64 (and 2000² k=64 beside
                  a larger L), mu KL on a sparse 5L×2.5L X (0.2 % nonzeros), float32 unless
                  --precision says otherwise, generated in memory; each OpenCL device's
                  float32 peak (compute units × clock × flops per unit per clock, a vendor
                  table) and copy bandwidth (measured) are found first, and every row is
                  reported against them (GFLOP/s and GB/s, share of each, the lower roof)
                  with issue 17's targets; --markdown prints that report
  --size L        --roofline's l = n (default 20000, --quick 400); X takes 12·L² bytes
                  of host memory (float64 and a float32 copy), refused beyond what is available
  --peak-gflops G --roofline: take G as every OpenCL device's float32 peak
  --flops-per-cu N --roofline: float32 flops per compute unit per clock, instead of the table
`

// UsageError is a bad command line.
type UsageError struct {
	Msg   string
	Flags *flag.FlagSet // for suggesting the nearest flag; nil if not a flag error
}

func (e *UsageError) Error() string { return "bench: " + e.Msg }

// ParseArgs parses the arguments of nmf bench (without "bench").
func ParseArgs(args []string) (*Config, error) {
	fs := flag.NewFlagSet("bench", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	dev := fs.String("device", "cpu,opencl", "")
	prec := fs.String("precision", "both", "")
	c := &Config{Args: append([]string(nil), args...)}
	fs.BoolVar(&c.JSON, "json", false, "")
	fs.BoolVar(&c.Compare, "compare", false, "")
	fs.BoolVar(&c.Markdown, "markdown", false, "")
	fs.BoolVar(&c.Quick, "quick", false, "")
	fs.BoolVar(&c.Tune, "tune", false, "")
	fs.BoolVar(&c.LargeData, "large-data", false, "")
	fs.StringVar(&c.NMF, "nmf", nmfCommand(), "")
	fs.IntVar(&c.Repeats, "repeats", 3, "")
	fs.IntVar(&c.Warmup, "warmup", 1, "")
	fs.IntVar(&c.Rounds, "rounds", 3, "")
	fs.StringVar(&c.Python, "python", "/usr/bin/python3", "")
	only := fs.String("only", "", "")
	addRooflineFlags(fs, c)
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil, err // the caller prints Usage on stdout
		}
		return nil, &UsageError{Msg: err.Error(), Flags: fs}
	}
	if *only != "" {
		re, err := regexp.Compile(*only)
		if err != nil {
			return nil, &UsageError{Msg: fmt.Sprintf("--only %q: %v", *only, err)}
		}
		c.Only = re
	}
	if fs.NArg() > 0 {
		return nil, &UsageError{Msg: fmt.Sprintf("unexpected argument %q", fs.Arg(0))}
	}
	if c.Repeats < 1 {
		return nil, &UsageError{Msg: fmt.Sprintf("--repeats %d: must be at least 1", c.Repeats)}
	}
	if c.Rounds < 1 {
		return nil, &UsageError{Msg: fmt.Sprintf("--rounds %d: must be at least 1", c.Rounds)}
	}
	if c.Warmup < 1 {
		return nil, &UsageError{Msg: fmt.Sprintf("--warmup %d: must be at least 1", c.Warmup)}
	}
	// Iterations are timed between Progress calls and must stay below 10,
	// where the solver evaluates the error for its trace.
	if c.Warmup+c.Repeats > 9 {
		return nil, &UsageError{Msg: fmt.Sprintf("--warmup + --repeats = %d: at most 9 (the solver evaluates the error at iteration 10)", c.Warmup+c.Repeats)}
	}
	if c.JSON && c.Markdown {
		return nil, &UsageError{Msg: "--json and --markdown exclude each other"}
	}
	for _, d := range strings.Split(*dev, ",") {
		d = strings.TrimSpace(d)
		switch {
		case d == "cpu", d == "opencl", strings.HasPrefix(d, "opencl:"):
			c.Devices = append(c.Devices, d)
		case d == "":
		default:
			return nil, &UsageError{Msg: fmt.Sprintf("--device %q: want cpu, opencl or opencl:P:D", d)}
		}
	}
	if len(c.Devices) == 0 {
		return nil, &UsageError{Msg: "--device: no device"}
	}
	switch *prec {
	case "both", "all":
		c.Precisions = []string{"float32", "float64"}
	case "float32", "f32", "single":
		c.Precisions = []string{"float32"}
	case "float64", "f64", "double":
		c.Precisions = []string{"float64"}
	default:
		return nil, &UsageError{Msg: fmt.Sprintf("--precision %q: want float32, float64 or both", *prec)}
	}
	if err := checkRoofline(fs, c); err != nil {
		return nil, err
	}
	return c, nil
}

// Run runs nmf bench with args (without "bench"): the report goes to stdout,
// progress and notes to stderr.
func Run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	for _, a := range args {
		if a == "-h" || a == "--help" || a == "-help" {
			_, err := io.WriteString(stdout, Usage)
			return err
		}
	}
	c, err := ParseArgs(args)
	if err != nil {
		return err
	}
	if c.Tune {
		return Tune(ctx, c, stdout, stderr)
	}
	rep, err := Measure(ctx, c, stderr)
	if err != nil {
		return err
	}
	switch {
	case c.JSON:
		return rep.WriteJSON(stdout)
	case c.Markdown && c.Roofline:
		return rep.WriteRoofline(stdout)
	case c.Markdown:
		return rep.WriteMarkdown(stdout)
	}
	if err := rep.WriteTable(stdout); err != nil || !c.Roofline {
		return err
	}
	return rep.writeRoofTable(stdout)
}

var errCancelled = errors.New("bench: cancelled")
