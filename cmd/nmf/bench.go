package main

import (
	"context"
	"errors"
	"flag"

	"github.com/clnmf/clnmf/cmd/nmf/internal/bench"
)

// benchUsage is the usage of nmf bench.
const benchUsage = bench.Usage

// runBench runs nmf bench (see package bench).
func runBench(ctx context.Context, args []string, e *env) error {
	err := bench.Run(ctx, args, e.stdout, e.stderr)
	var ue *bench.UsageError
	switch {
	case errors.Is(err, flag.ErrHelp):
		return &helpError{usage: benchUsage}
	case errors.As(err, &ue) && ue.Flags != nil:
		return flagError(ue.Flags, "bench", benchUsage, errors.New(ue.Msg))
	case errors.As(err, &ue):
		return &usageError{usage: benchUsage, msg: "bench: " + ue.Msg}
	}
	return err
}
