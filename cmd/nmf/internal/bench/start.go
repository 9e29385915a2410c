package bench

import (
	"context"
	"fmt"
	"path/filepath"
	"runtime"
	"time"

	"github.com/clnmf/clnmf/nmf"
	"github.com/clnmf/clnmf/nmf/backend"
)

// startWork is a workload timed whole: the initialisation alone (nmf.Fit
// with no iterations, its Result.InitTime, against scikit-learn's
// _initialize_nmf), or a whole default fit (nmf.Fit with DefaultOptions
// against NMF(k, random_state=0).fit_transform).
type startWork struct {
	name   string
	kind   string // "init" or "fit"
	prec   string
	l, n   int
	k      int
	target float64 // minimum ratio vs scikit-learn on the cpu
	// explicit workloads (whole fits: minutes) run only when --only names
	// them.
	explicit bool
}

func (w startWork) label() string { return fmt.Sprintf("%s %d×%d k=%d", w.name, w.l, w.n, w.k) }

func startWorkloads(quick bool) []startWork {
	if quick {
		return []startWork{
			{name: "init nndsvda", kind: "init", prec: "float64", l: 150, n: 120, k: 5, target: 1},
			{name: "init nndsvda", kind: "init", prec: "float32", l: 100, n: 160, k: 4, target: 1},
		}
	}
	return []startWork{
		{name: "init nndsvda", kind: "init", prec: "float64", l: 1500, n: 1500, k: 20, target: 1},
		{name: "init nndsvda", kind: "init", prec: "float32", l: 5000, n: 6000, k: 10, target: 1},
		{name: "fit default", kind: "fit", prec: "float32", l: 5000, n: 6000, k: 10, target: 1.5, explicit: true},
	}
}

// startX is the X of a start workload: uniform in [0, 1), deterministic.
func startX(w startWork) *nmf.Dense[float64] {
	r := newRand(uint64(w.l)*104729 + uint64(w.n)*13 + uint64(w.k))
	d := &nmf.Dense[float64]{Rows: w.l, Cols: w.n, Data: make([]float64, w.l*w.n)}
	for i := range d.Data {
		d.Data[i] = r.Float64()
	}
	return d
}

// startTimes runs w once on dev and returns its time in ms (the init's, or
// the whole fit's) and the device memory held at the end.
func startTimes[T nmf.Float](ctx context.Context, dev string, x *nmf.Dense[T], w startWork) (float64, int64, string, error) {
	opt := nmf.DefaultOptions()
	opt.Components = w.k
	opt.Backend = func() (backend.Backend, error) {
		b, _, err := nmf.OpenDevice(dev, precOf(w.prec))
		return b, err
	}
	if w.kind == "init" {
		opt.MaxIter = nmf.NoIterations
	}
	runtime.GC()
	t := time.Now()
	res, err := nmf.Fit(ctx, x, opt)
	elapsed := time.Since(t)
	if err != nil {
		return 0, 0, "", err
	}
	if w.kind == "init" {
		if res.NIter != 0 {
			return 0, 0, "", fmt.Errorf("bench: init workload ran %d iterations", res.NIter)
		}
		elapsed = res.InitTime
	}
	return float64(elapsed.Nanoseconds()) / 1e6, res.DeviceBytes, res.Device, nil
}

// measureStarts times the start workloads on devs, c.Repeats times per
// round (once for whole fits), each round of ours followed by the same in
// scikit-learn, and appends their rows.
func measureStarts(ctx context.Context, c *Config, devs []string, sk *sklearnRun, rep *Report, logf func(string, ...any)) error {
	for _, w := range startWorkloads(c.Quick) {
		if c.Only == nil && w.explicit || c.Only != nil && !c.Only.MatchString(w.label()) {
			continue
		}
		if !contains(c.Precisions, w.prec) {
			continue
		}
		x64 := startX(w)
		var x32 *nmf.Dense[float32]
		if w.prec == "float32" {
			x32 = to32d(x64)
		}
		var job *sklearnJob
		if sk != nil && sk.err == nil {
			var err error
			if job, err = sk.addStart(w, x64, c); err != nil {
				rep.Notes = append(rep.Notes, "scikit-learn input: "+err.Error())
				job = nil
			}
		}
		warmup, repeats, rounds := c.Warmup, c.Repeats, c.Rounds
		if w.kind == "fit" {
			warmup, repeats, rounds = 0, 1, 1
		}
		rows := make([]*Row, len(devs))
		own := make([][]float64, len(devs))
		for i, d := range devs {
			rows[i] = &Row{Kind: w.kind, Workload: w.name, Device: d, Precision: w.prec, L: w.l, N: w.n, K: w.k, NNZ: w.l * w.n, Repeats: repeats, Rounds: rounds}
			if d == "cpu" {
				rows[i].Target = w.target
			}
		}
		var skTimes []float64
		for r := 1; r <= rounds; r++ {
			for i, d := range devs {
				if err := timeStartDevice(ctx, c, d, w, x64, x32, rows[i], &own[i], warmup, repeats, r, rounds, logf); err != nil {
					return err
				}
			}
			if job != nil && sk.err == nil {
				logf("scikit-learn %s %s, round %d/%d", w.prec, w.label(), r, rounds)
				c.pause()
				ts, err := sk.time(job)
				if err != nil {
					rep.Notes = append(rep.Notes, "scikit-learn comparison failed: "+err.Error())
					logf("scikit-learn: %v", err)
					continue
				}
				skTimes = append(skTimes, ts...)
			}
		}
		for i := range devs {
			row := rows[i]
			if len(own[i]) > 0 {
				row.MsPerIter = median(own[i])
				if len(skTimes) > 0 {
					row.SklearnMs = median(skTimes)
					row.Ratio = row.SklearnMs / row.MsPerIter
				}
			}
			rep.Rows = append(rep.Rows, row)
		}
	}
	return nil
}

// timeStartDevice runs round r of w on device d, warmup+repeats times,
// appending the times after the warmup to own; the first failure becomes
// row's note, and a device with a note is not run again.
func timeStartDevice(ctx context.Context, c *Config, d string, w startWork, x64 *nmf.Dense[float64], x32 *nmf.Dense[float32], row *Row, own *[]float64, warmup, repeats, r, rounds int, logf func(string, ...any)) error {
	for rep := 0; rep < warmup+repeats && row.Note == ""; rep++ {
		if ctx.Err() != nil {
			return errCancelled
		}
		logf("%s %s %s, round %d/%d", d, w.prec, w.label(), r, rounds)
		c.pause()
		var ms float64
		var db int64
		var name string
		var err error
		if x32 != nil {
			ms, db, name, err = startTimes(ctx, d, x32, w)
		} else {
			ms, db, name, err = startTimes(ctx, d, x64, w)
		}
		if err != nil {
			row.Note = err.Error()
			logf("%s", err)
			break
		}
		row.DeviceName, row.DeviceBytes = name, db
		if rep >= warmup {
			*own = append(*own, ms)
		}
	}
	return nil
}

func contains(s []string, v string) bool {
	for _, x := range s {
		if x == v {
			return true
		}
	}
	return false
}

// addStart writes X of a start workload in its precision and queues the
// job: _initialize_nmf(X, k, "nndsvda", random_state=0) warm-up + repeats
// times, or one NMF(k, random_state=0).fit_transform(X).
func (s *sklearnRun) addStart(w startWork, x *nmf.Dense[float64], c *Config) (*sklearnJob, error) {
	id := fmt.Sprintf("j%d", len(s.jobs))
	j := &sklearnJob{ID: id, Kind: w.kind, K: w.k, L: w.l, N: w.n, X: filepath.Join(s.dir, id+"_x.npy"), Warmup: c.Warmup, Repeats: c.Repeats}
	if w.kind == "fit" {
		j.Warmup, j.Repeats = 0, 1
	}
	if err := writeNPY(j.X, x, w.prec); err != nil {
		return nil, err
	}
	s.jobs = append(s.jobs, j)
	return j, nil
}
