package nmf_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"math"
	"reflect"
	"testing"

	"github.com/clnmf/clnmf/nmf"
)

// stopAt returns a context cancelled once iteration n is done (before the
// start for 0), and the Progress callback that cancels it.
func stopAt(n int) (context.Context, nmf.Progress) {
	ctx, cancel := context.WithCancel(bg)
	if n == 0 {
		cancel()
	}
	return ctx, func(iter int, _ float64) {
		if iter >= n {
			cancel()
		}
	}
}

// fitInterrupted fits x with o, stopped after each iteration of stops and
// resumed from the partial result every time; it returns the final result
// and the trace put together.
func fitInterrupted[T nmf.Float](t *testing.T, x nmf.Matrix[T], o nmf.Options, stops []int) (*nmf.Result[T], []nmf.TracePoint) {
	t.Helper()
	var res *nmf.Result[T]
	var trace []nmf.TracePoint
	for i := 0; i <= len(stops); i++ {
		ctx, opt := bg, o
		if i < len(stops) {
			ctx, opt.Progress = stopAt(stops[i])
		}
		var err error
		if res == nil {
			res, err = nmf.Fit(ctx, x, opt)
		} else {
			res, err = nmf.Resume(ctx, x, res.W, res.H, res.State, opt)
		}
		if i < len(stops) {
			if !errors.Is(err, context.Canceled) || res == nil || !res.Partial || res.NIter != stops[i] || res.State.NIter != stops[i] {
				t.Fatalf("stop %d at %d: %v, %+v", i, stops[i], err, res)
			}
		} else if err != nil {
			t.Fatalf("last resume: %v", err)
		}
		trace = append(trace, res.Trace...)
	}
	return res, trace
}

// untimed is the trace without its seconds, which differ from run to run.
func untimed(trace []nmf.TracePoint) []nmf.TracePoint {
	out := append([]nmf.TracePoint(nil), trace...)
	for i := range out {
		out[i].Seconds = 0
	}
	return out
}

// TestResumeExact interrupts fits with a tolerance (cd and mu, Frobenius,
// KL and IS, once and several times, both precisions, shuffled cd) and
// checks that resuming gives the uninterrupted fit's W, H, iteration count,
// trace, warnings and error bit for bit: the stopping rule goes on from the
// saved reference values.
func TestResumeExact(t *testing.T) {
	x := lowRank(3, 30, 20, 4)
	for i := range x.Data {
		x.Data[i] += 0.01 * float64(i%7)
	}
	cases := []struct {
		solver  nmf.Solver
		loss    nmf.Loss
		tol     float64
		shuffle bool
		init    nmf.Init
		stops   []int
	}{
		{nmf.CD, nmf.Frobenius, 1e-4, false, nmf.InitNNDSVDA, []int{3}},
		{nmf.CD, nmf.Frobenius, 1e-3, false, nmf.InitRandom, []int{1, 9, 10, 23}},
		{nmf.CD, nmf.Frobenius, 1e-4, true, nmf.InitNNDSVDA, []int{5, 17}},
		{nmf.MU, nmf.KullbackLeibler, 3e-5, false, nmf.InitNNDSVDA, []int{14}},
		{nmf.MU, nmf.Frobenius, 1e-4, false, nmf.InitNNDSVD, []int{10, 20, 31}},
		{nmf.MU, nmf.ItakuraSaito, 1e-3, false, nmf.InitNNDSVDAR, []int{2, 8}},
		{nmf.MU, nmf.Beta(1.5), 1e-4, false, nmf.InitRandom, []int{0, 40}},
	}
	for _, c := range cases {
		for _, prec := range []string{"float64", "float32"} {
			name := fmt.Sprintf("%s/%s/tol=%g/shuffle=%v/%v/%s", c.solver, c.loss, c.tol, c.shuffle, c.stops, prec)
			t.Run(name, func(t *testing.T) {
				o := cpuOptions()
				o.Solver, o.Loss, o.Tol, o.Shuffle, o.Init, o.Components, o.MaxIter = c.solver, c.loss, c.tol, c.shuffle, c.init, 4, 3000
				o.AlphaW, o.L1Ratio, o.Seed = 0.001, 0.5, 5
				if prec == "float32" {
					checkResume(t, convert[float32](x), o, c.stops)
				} else {
					checkResume(t, x, o, c.stops)
				}
			})
		}
	}
}

func checkResume[T nmf.Float](t *testing.T, x *nmf.Dense[T], o nmf.Options, stops []int) {
	full := fit(t, x, o)
	if full.NIter >= o.MaxIter || full.NIter <= stops[len(stops)-1] {
		t.Fatalf("the uninterrupted fit ran %d iterations: the case does not test the stopping rule", full.NIter)
	}
	res, trace := fitInterrupted(t, x, o, stops)
	if res.NIter != full.NIter {
		t.Errorf("resumed fit stopped after %d iterations, the uninterrupted one after %d", res.NIter, full.NIter)
	}
	if !bytes.Equal(bits(res.W.Data), bits(full.W.Data)) || !bytes.Equal(bits(res.H.Data), bits(full.H.Data)) {
		t.Errorf("resumed W, H differ from the uninterrupted fit's by %g, %g", maxAbsDiff(res.W.Data, full.W.Data), maxAbsDiff(res.H.Data, full.H.Data))
	}
	if res.ReconstructionErr != full.ReconstructionErr || res.State != full.State {
		t.Errorf("error %v state %+v; uninterrupted %v %+v", res.ReconstructionErr, res.State, full.ReconstructionErr, full.State)
	}
	if !reflect.DeepEqual(untimed(trace), untimed(full.Trace)) {
		t.Errorf("trace put together %v\nuninterrupted %v", trace, full.Trace)
	}
	if !reflect.DeepEqual(res.Warnings, full.Warnings) || !reflect.DeepEqual(res.Params, full.Params) {
		t.Errorf("warnings %v params %+v\nuninterrupted %v %+v", res.Warnings, res.Params, full.Warnings, full.Params)
	}
}

// TestResumeMaxIter: a resumed fit runs to MaxIter counted from the start,
// warns as the uninterrupted one does, and refuses a state past MaxIter or
// with impossible reference values.
func TestResumeMaxIter(t *testing.T) {
	x := absNormal(2, 10, 8)
	o := cpuOptions()
	o.Components, o.MaxIter, o.Tol, o.Solver = 3, 30, 1e-12, nmf.MU
	full := fit(t, x, o)
	res, _ := fitInterrupted(t, x, o, []int{12})
	if res.NIter != 30 || !hasWarning(res, "max_iter") || !hasWarning(full, "max_iter") || !bytes.Equal(bits(res.W.Data), bits(full.W.Data)) {
		t.Errorf("NIter %d, warnings %v", res.NIter, res.Warnings)
	}
	// Resuming a finished fit runs nothing and returns it again.
	again, err := nmf.Resume(bg, x, full.W, full.H, full.State, o)
	if err != nil || again.NIter != 30 || len(again.Trace) != 0 || !bytes.Equal(bits(again.W.Data), bits(full.W.Data)) {
		t.Errorf("resuming a finished fit: %v, NIter %d, trace %v", err, again.NIter, again.Trace)
	}
	for _, s := range []nmf.State{
		{NIter: 31, ErrInit: 1, ErrLast: 1},
		{NIter: -1, ErrInit: 1, ErrLast: 1},
		{NIter: 5, ErrInit: -1, ErrLast: 1},
		{NIter: 5, ErrInit: 1, ErrLast: math.Inf(1)},
		{NIter: 5, ErrInit: 1, ErrLast: 1, ViolationInit: math.NaN()},
	} {
		if _, err := nmf.Resume(bg, x, full.W, full.H, s, o); !errors.Is(err, nmf.ErrInvalid) {
			t.Errorf("state %+v: %v, want ErrInvalid", s, err)
		}
	}
	w := clone(full.W)
	w.Data[0] = -1
	if _, err := nmf.Resume(bg, x, w, full.H, full.State, o); !errors.Is(err, nmf.ErrNegative) {
		t.Errorf("negative W: %v", err)
	}
	if _, err := nmf.Resume(bg, x, full.W, absNormal(1, 3, 7), full.State, o); !errors.Is(err, nmf.ErrShape) {
		t.Errorf("H of the wrong shape: %v", err)
	}
}
