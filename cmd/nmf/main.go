package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"runtime"
	"runtime/debug"
	"strings"
)

//go:generate go run . samples ../../testdata/samples

// A command is one subcommand of nmf.
type command struct {
	name    string
	summary string
	usage   string // the usage text, flags included, printed by help and on misuse
	run     func(ctx context.Context, args []string, env *env) error
	hidden  bool // left out of the top-level usage's list (still in the manual)
}

// commands lists the subcommands in the order the usage shows them. A new
// subcommand (bench) adds itself here.
var commands []*command

func init() {
	commands = []*command{
		{name: "fit", summary: "factorise a matrix, image folder or WAV file and write W, H and pictures", usage: fitUsage, run: runFit},
		{name: "transform", summary: "solve for new data with a fitted factor held fixed", usage: transformUsage, run: runTransform},
		{name: "partial-fit", summary: "start or update an online (minibatch) model with one batch of data", usage: partialFitUsage, run: runPartialFit},
		{name: "devices", summary: "list the OpenCL devices --device takes, and what auto chooses", usage: devicesUsage, run: runDevices},
		{name: "samples", summary: "write the sample data sets (swimmer images, melody WAV) into a folder", usage: samplesUsage, run: runSamples},
		{name: "bench", summary: "time fixed workloads (GEMMs, whole iterations), optionally beside scikit-learn", usage: benchUsage, run: runBench},
		{name: "help", summary: "show the usage of nmf or of a subcommand", usage: helpUsage, run: runHelp},
	}
}

func lookup(name string) *command {
	for _, c := range commands {
		if c.name == name {
			return c
		}
	}
	return nil
}

// env is what a subcommand writes to.
type env struct {
	stdout, stderr io.Writer
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), stopSignals...)
	// After the first signal, a second one kills the process the usual way
	// instead of waiting for the checkpoint to be written.
	go func() {
		<-ctx.Done()
		stop()
	}()
	code := exitCode(run(ctx, os.Args[1:], os.Stdout, os.Stderr))
	stop()
	os.Exit(code)
}

// run runs the nmf command line args (without the program name), writing
// results to stdout and messages to stderr. It reports its error on stderr
// itself (one line, or the usage for a usage error) and returns it, for
// exitCode to map to the exit status.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	e := &env{stdout: stdout, stderr: stderr}
	err := dispatch(ctx, args, e)
	var he *helpError
	if errors.As(err, &he) {
		fmt.Fprint(stdout, he.usage) // asked for: stdout, for nmf fit --help | less
		return err
	}
	report(stderr, err)
	return err
}

func dispatch(ctx context.Context, args []string, e *env) error {
	if len(args) == 0 {
		return &usageError{usage: topUsage()}
	}
	switch args[0] {
	case "--version", "-version", "version":
		fmt.Fprintf(e.stdout, "nmf %s (%s %s/%s)\n", version(), runtime.Version(), runtime.GOOS, runtime.GOARCH)
		return nil
	case "-h", "-help", "--help":
		fmt.Fprint(e.stdout, topUsage())
		return nil
	}
	c := lookup(args[0])
	if c == nil {
		return &usageError{usage: topUsage(), msg: fmt.Sprintf("unknown subcommand %q", args[0])}
	}
	return c.run(ctx, args[1:], e)
}

func runHelp(_ context.Context, args []string, e *env) error {
	switch len(args) {
	case 0:
		fmt.Fprint(e.stdout, topUsage())
		return nil
	case 1:
		if c := lookup(args[0]); c != nil {
			fmt.Fprint(e.stdout, c.usage)
			return nil
		}
		return &usageError{usage: helpUsage, msg: fmt.Sprintf("unknown subcommand %q", args[0])}
	}
	return &usageError{usage: helpUsage, msg: "help takes at most one subcommand"}
}

const helpUsage = `usage: nmf help [SUBCOMMAND]

Shows the usage of nmf, or of one subcommand.
`

func topUsage() string {
	var b strings.Builder
	b.WriteString(`usage: nmf SUBCOMMAND [flags] [INPUT]

nmf factorises a nonnegative matrix X ≈ W·H as scikit-learn's NMF does, on an
OpenCL device or the CPU. Subcommands:

`)
	for _, c := range commands {
		if !c.hidden {
			fmt.Fprintf(&b, "  %-10s %s\n", c.name, c.summary)
		}
	}
	b.WriteString(`
Run "nmf help SUBCOMMAND" for its flags, and "nmf --version" for the version.
Exit status: 0 done, 1 error, 2 misuse of flags, 130 interrupted.
`)
	return b.String()
}

// version is the module version the binary was built from, or "devel".
func version() string {
	if bi, ok := debug.ReadBuildInfo(); ok && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
		return bi.Main.Version
	}
	return "devel"
}

// usageError is a misuse of the command line: exit status 2, with the usage.
type usageError struct {
	usage string
	msg   string
}

func (e *usageError) Error() string { return e.msg }

// helpError is a -h or --help flag: the usage on stdout, exit status 0.
type helpError struct{ usage string }

func (e *helpError) Error() string { return "help requested" }
func (e *helpError) Unwrap() error { return flag.ErrHelp }

// cliError is the one-line error of a failed run: "<file>: <what>".
type cliError struct {
	file string
	msg  string
	err  error // the cause, for errors.Is; may be nil
}

func (e *cliError) Error() string {
	if e.file == "" {
		return e.msg
	}
	return e.file + ": " + e.msg
}

func (e *cliError) Unwrap() error { return e.err }

// interruptedError says a fit was cancelled and where its checkpoint is.
type interruptedError struct {
	out  string
	iter int
	err  error // the context's error
}

func (e *interruptedError) Error() string {
	return fmt.Sprintf("%s: interrupted after iteration %d; checkpoint written, continue with: nmf fit --resume %s", e.out, e.iter, shellQuote(e.out))
}

func (e *interruptedError) Unwrap() error { return e.err }

// exitCode maps run's error to the exit status: 0, 1 for errors, 2 for
// usage errors, 130 when interrupted.
func exitCode(err error) int {
	var ue *usageError
	switch {
	case err == nil, errors.Is(err, flag.ErrHelp):
		return 0
	case errors.As(err, &ue):
		return 2
	case errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
		return 130
	}
	return 1
}

// report writes err to w: one line "nmf: ...", followed by the usage lines
// for a usage error (shortUsage: not every flag).
func report(w io.Writer, err error) {
	var ue *usageError
	switch {
	case err == nil:
		return
	case errors.Is(err, flag.ErrHelp):
		return
	case errors.As(err, &ue):
		if ue.msg != "" {
			msg := oneLine(ue.msg)
			if name, _, ok := strings.Cut(msg, ": "); ok && lookup(name) != nil {
				fmt.Fprintf(w, "nmf %s\n", msg) // "nmf fit: --tol -1: ..."
			} else {
				fmt.Fprintf(w, "nmf: %s\n", msg)
			}
		}
		fmt.Fprint(w, shortUsage(ue.usage))
		return
	}
	fmt.Fprintf(w, "nmf: %s\n", oneLine(strings.TrimPrefix(err.Error(), "nmf: ")))
}

// oneLine folds a message onto one line.
func oneLine(s string) string {
	s = strings.TrimSpace(s)
	return strings.Join(strings.Fields(strings.ReplaceAll(s, "\n", " ")), " ")
}

// shellQuote quotes s for a POSIX shell when it needs it.
func shellQuote(s string) string {
	if s != "" && strings.IndexFunc(s, func(r rune) bool {
		return !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("-_./:+=,@%", r))
	}) < 0 {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}
