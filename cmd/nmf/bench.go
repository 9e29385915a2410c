package main

import (
	"context"
	"errors"

	"github.com/clnmf/clnmf/cmd/nmf/internal/bench"
)

// benchUsage is the usage of nmf bench.
const benchUsage = bench.Usage

// runBench runs nmf bench (see package bench).
func runBench(ctx context.Context, args []string, e *env) error {
	err := bench.Run(ctx, args, e.stdout, e.stderr)
	var ue *bench.UsageError
	if errors.As(err, &ue) {
		return &usageError{usage: benchUsage, msg: "bench: " + ue.Msg}
	}
	return err
}
