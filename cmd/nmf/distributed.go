package main

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/clnmf/clnmf/nmf"
	"github.com/clnmf/clnmf/nmf/mpi"
)

// A fit under mpirun (--distributed mpi; docs/distributed.md): every rank
// maps the .npy and reads only its rows (a contiguous byte range of the
// file), starts from its rows of W0, runs on its own --device; the H half's
// sums are summed over the ranks through MPI; rank 0 gathers W and writes
// the results. A rank that fails reports its error and calls MPI_Abort,
// which ends every rank of the job.

// distRun is this process's part of a distributed fit.
type distRun struct {
	comm   *countingComm
	lo, hi int // this rank's rows of X
	rows   [][2]int
}

// countingComm is an nmf.Comm that times its sums and counts their words.
type countingComm struct {
	*mpi.Comm
	mu      sync.Mutex
	seconds float64
	words   int64
	calls   int
}

func (c *countingComm) count(t0 time.Time, n int) {
	c.mu.Lock()
	c.seconds += time.Since(t0).Seconds()
	c.words += int64(n)
	c.calls++
	c.mu.Unlock()
}

func (c *countingComm) SumFloat64(v []float64) error {
	defer c.count(time.Now(), len(v))
	return c.Comm.SumFloat64(v)
}

func (c *countingComm) SumFloat32(v []float32) error {
	defer c.count(time.Now(), len(v))
	return c.Comm.SumFloat32(v)
}

type distributedReport struct {
	Engine string `json:"engine"`
	ABI    string `json:"abi"`
	Ranks  int    `json:"ranks"`
	// Rows is each rank's rows [lo, hi) of X.
	Rows [][2]int `json:"rows"`
	// CommSeconds is each rank's time in the sums (MPI_Reduce+MPI_Bcast),
	// waiting for the slower ranks included; Words the values each rank
	// sent per iteration on average, Sums the number of sums.
	CommSeconds []float64 `json:"comm_seconds"`
	Words       int64     `json:"words"`
	Sums        int       `json:"sums"`
}

// startDistributed initialises MPI for --distributed mpi; once MPI is up
// it returns the rank's distRun, with or without an error.
func startDistributed(o *options) (*distRun, error) {
	if o.mb.on || o.resume != "" {
		return nil, fmt.Errorf("fit: --distributed mpi: not with --minibatch or --resume (not built)")
	}
	if o.w0 == "" {
		return nil, fmt.Errorf("fit: --distributed mpi starts from --w0/--h0 (each rank reads its rows of W0): the nndsvd and random inits need all of X (not built)")
	}
	c, err := mpi.Open()
	if err != nil {
		return nil, fmt.Errorf("fit: --distributed mpi: %w", err)
	}
	d := &distRun{comm: &countingComm{Comm: c}}
	// MPI is up: a failure from here on is this rank's (fail).
	return d, d.pickDevice(o)
}

// pickDevice gives the ranks of one node distinct devices: with a --device
// list (or all-gpus) each rank takes the list's entry at its local rank,
// modulo the list's length, instead of all of them.
func (d *distRun) pickDevice(o *options) error {
	list := o.devices
	if o.device == "all-gpus" {
		devs, err := nmf.Devices()
		if err != nil {
			return fmt.Errorf("--device all-gpus: %w", err)
		}
		list = nil
		for _, dev := range devs {
			if dev.Type == "GPU" {
				list = append(list, dev.Spec)
			}
		}
		if len(list) == 0 {
			return fmt.Errorf("--device all-gpus: no OpenCL GPU found")
		}
	}
	if len(list) > 1 || o.device == "all-gpus" {
		pick := list[mpi.LocalRank(d.comm.Rank())%len(list)]
		o.device, o.devices = pick, []string{pick}
	}
	return nil
}

// fail reports err as this rank's and ends the whole job with MPI_Abort.
func (d *distRun) fail(e *env, err error) error {
	fmt.Fprintf(e.stderr, "nmf: rank %d of %d: %v\n", d.comm.Rank(), d.comm.Size(), err)
	d.comm.Abort(exitCode(err))
	return err
}

// share sets this rank's rows of an l-row X: equal shares, in rank order.
func (d *distRun) share(ds *dataset, o *options) error {
	if ds.Kind != kindNPY || !ds.Mapped() || ds.Sparse != nil {
		return fmt.Errorf("%s: --distributed mpi reads each rank's rows of a memory-mapped .npy: want a C-ordered float32/float64 .npy in this machine's byte order", ds.Path)
	}
	if o.precision != ds.nativePrecision() {
		return fmt.Errorf("%s: --distributed mpi computes in the file's precision (%s): converting would read all of X", ds.Path, ds.nativePrecision())
	}
	l, _ := ds.Dims()
	size := d.comm.Size()
	if l < size {
		return fmt.Errorf("%s: %d rows for %d ranks: every rank needs one row at least", ds.Path, l, size)
	}
	for r := range size {
		d.rows = append(d.rows, [2]int{r * l / size, (r + 1) * l / size})
	}
	d.lo, d.hi = d.rows[d.comm.Rank()][0], d.rows[d.comm.Rank()][1]
	return nil
}

// gatherW returns all of W (l×k) from every rank's rows: each rank's rows
// in a zero l×k, summed over the ranks.
func gatherW[T nmf.Float](d *distRun, w *nmf.Dense[T], l int) (*nmf.Dense[T], error) {
	k := w.Cols
	all := &nmf.Dense[T]{Rows: l, Cols: k, Data: make([]T, l*k)}
	copy(all.Data[d.lo*k:d.hi*k], w.Data)
	var err error
	switch v := any(all.Data).(type) {
	case []float32:
		err = d.comm.Comm.SumFloat32(v)
	case []float64:
		err = d.comm.Comm.SumFloat64(v)
	}
	return all, err
}

// report is report.json's distributed object (every rank takes part: the
// ranks' communication times are summed into place).
func (d *distRun) report(nIter int) (*distributedReport, error) {
	secs := make([]float64, d.comm.Size())
	secs[d.comm.Rank()] = d.comm.seconds
	words, sums := d.comm.words, d.comm.calls
	if err := d.comm.Comm.SumFloat64(secs); err != nil {
		return nil, err
	}
	per := words
	if nIter > 0 {
		per = words / int64(nIter)
	}
	return &distributedReport{Engine: "mpi", ABI: d.comm.ABI(), Ranks: d.comm.Size(), Rows: d.rows, CommSeconds: secs, Words: per, Sums: sums}, nil
}

// distributedFit is fitAs's fit on this rank's rows; on rank 0 it returns
// the result with all of W and the distributed report.
func distributedFit[T nmf.Float](ctx context.Context, d *distRun, x nmf.Matrix[T], w0, h0 *nmf.Dense[T], opt nmf.Options) (*nmf.Result[T], *distributedReport, error) {
	l, _ := x.Dims()
	if w0.Rows != l {
		return nil, nil, fmt.Errorf("--w0: W0 has %d rows, X %d", w0.Rows, l)
	}
	opt.Comm = d.comm
	local := nmf.Rows(x, d.lo, d.hi).(*nmf.Dense[T])
	w0 = nmf.Rows[T](w0, d.lo, d.hi).(*nmf.Dense[T])
	res, err := nmf.FitFrom(ctx, local, w0, h0, opt)
	if err != nil {
		return nil, nil, err
	}
	if res.W, err = gatherW(d, res.W, l); err != nil {
		return nil, nil, err
	}
	rep, err := d.report(res.NIter)
	return res, rep, err
}
