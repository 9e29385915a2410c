package bench

import (
	"context"

	"github.com/clnmf/clnmf/nmf"
)

// Minibatch workloads: scikit-learn's MiniBatchNMF, timed per pass over X
// (every batch of w.batch rows once: the W step, the batch cost and the
// online H step), against sklearn_bench.py running _minibatch_step and
// _minibatch_convergence on the same batches from the same start. tol is 0
// and the no-improvement stop off, so both sides do the same steps.

// minibatchWorkloads are the minibatch rows of a run.
func minibatchWorkloads(s sizes) []iterWork {
	m := s.minibatch
	return []iterWork{
		{name: "minibatch Frobenius", loss: "frobenius", beta: 2, solver: nmf.MU, data: "dense", l: m[0], n: m[1], k: m[2], batch: m[3], kind: "minibatch"},
		{name: "minibatch KL", loss: "kullback-leibler", beta: 1, solver: nmf.MU, data: "dense", l: m[0], n: m[1], k: m[2], batch: m[3], kind: "minibatch"},
	}
}

// minibatchTimes runs warmup+repeats passes of w on dev from w0, h0 (the
// fit's Progress is called once a pass) and returns the ms per pass after
// the warm-up, the device memory and the device's name.
func minibatchTimes[T nmf.Float](ctx context.Context, dev, prec string, x nmf.Matrix[T], w0, h0 *nmf.Dense[T], w iterWork, c *Config) ([]float64, int64, string, error) {
	return timedRun(dev, prec, w, c, func(opt nmf.Options) (*nmf.Result[T], error) {
		opt.Solver = nmf.MU
		res, err := nmf.FitMiniBatchFrom(ctx, x, w0, h0, opt, nmf.MiniBatchOptions{BatchSize: w.batch})
		if err != nil {
			return nil, err
		}
		return &res.Result, nil
	})
}

// timeMinibatch is timeFit for a minibatch workload.
func timeMinibatch(ctx context.Context, d, prec string, in *fitInput, w iterWork, c *Config) ([]float64, int64, string, error) {
	if prec == "float32" {
		return minibatchTimes(ctx, d, prec, in.x32, in.w32, in.h32, w, c)
	}
	return minibatchTimes(ctx, d, prec, in.h.x, in.h.w0, in.h.h0, w, c)
}
