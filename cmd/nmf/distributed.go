package main

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/clnmf/clnmf/nmf"
	"github.com/clnmf/clnmf/nmf/mpi"
)

// A fit under mpirun (--distributed mpi; docs/distributed.md): every rank
// maps the .npy and reads only its part of X, runs on its own --device;
// the sums of the shared factor go through MPI; rank 0 gathers the other
// factor and writes the results. The part is a block of rows (a contiguous
// byte range of the file; the rank starts from its rows of W0, H's sums
// are summed) or — for a dense X with more columns than rows, or when
// --panels columns says so — a block of
// columns (copied row by row out of the mapping; an image folder's ranks
// decode only their images; the rank starts from its columns of H0, W's
// l×k and k×k sums are summed): the summed factor is then the smaller.
// A rank that fails reports its error and calls
// MPI_Abort, which ends every rank of the job.

// distRun is this process's part of a distributed fit.
type distRun struct {
	comm    *countingComm
	cols    bool     // the ranks hold blocks of X's columns, not rows
	lo, hi  int      // this rank's rows (cols: columns) of X
	rows    [][2]int // every rank's
	entries []int64  // each rank's stored entries of a sparse X
	// resumed is the checkpoint's partition ("rows", "columns") when the
	// fit resumes one: the same again, so that the sums' order is.
	resumed string
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
	// Along is "rows" or "columns": how X is shared among the ranks; Rows
	// (or Columns) each rank's rows [lo, hi) of X (or columns).
	Along   string   `json:"along"`
	Rows    [][2]int `json:"rows,omitempty"`
	Columns [][2]int `json:"columns,omitempty"`
	// CommSeconds is each rank's time in the sums (MPI_Reduce+MPI_Bcast),
	// waiting for the slower ranks included; Words the values each rank
	// sent per iteration on average, Sums the number of sums.
	CommSeconds []float64 `json:"comm_seconds"`
	Words       int64     `json:"words"`
	Sums        int       `json:"sums"`
	// Entries is each rank's stored entries of a sparse X (a .mtx: each
	// rank holds only its rows').
	Entries []int64 `json:"entries,omitempty"`
}

// startDistributed initialises MPI for --distributed mpi; once MPI is up
// it returns the rank's distRun, with or without an error. A resumed fit
// (rs) must have as many ranks as the one that wrote the checkpoint.
func startDistributed(o *options, rs *resumeState) (*distRun, error) {
	if o.mb.on {
		return nil, fmt.Errorf("fit: --distributed mpi: not with --minibatch (not built)")
	}
	c, err := mpi.Open()
	if err != nil {
		return nil, fmt.Errorf("fit: --distributed mpi: %w", err)
	}
	d := &distRun{comm: &countingComm{Comm: c}}
	// MPI is up: a failure from here on is this rank's (fail).
	if err := rs.checkRanks(c.Size()); err != nil {
		return d, err
	}
	if rs != nil {
		d.resumed = "rows"
		if r := rs.rep.Distributed; r != nil && r.Along != "" {
			d.resumed = r.Along
		}
	}
	return d, d.pickDevice(o)
}

// check refuses a report's distributed part that a resume could not
// use: fewer than one rank, or a partition other than rows or columns
// (none: rows, as before the column partition).
func (r *distributedReport) check() error {
	switch {
	case r == nil:
		return nil
	case r.Ranks < 1:
		return badField("distributed.ranks", "%d; want at least 1", r.Ranks)
	case r.Along != "" && r.Along != "rows" && r.Along != "columns":
		return badField("distributed.along", "%s; want \"rows\" or \"columns\"", excerpt(r.Along))
	}
	return nil
}

// checkRanks refuses to resume a checkpoint written by a fit of another
// number of ranks (1 without --distributed): each rank's rows would
// change, and the sums' order with them.
func (rs *resumeState) checkRanks(n int) error {
	if rs == nil {
		return nil
	}
	had := 1
	if d := rs.rep.Distributed; d != nil {
		had = d.Ranks
	}
	switch {
	case had == n:
		return nil
	case had == 1:
		return &cliError{file: rs.dir, msg: fmt.Sprintf("the checkpoint was written by a one-process fit: resume it without --distributed, not on %d ranks", n)}
	}
	return &cliError{file: rs.dir, msg: fmt.Sprintf("the checkpoint was written by a fit on %d MPI ranks (distributed.ranks): resume it with mpirun -np %d ... --distributed mpi, not on %d", had, had, n)}
}

// finish ends this rank after its fit returned err: MPI_Finalize after a
// fit (or an interrupted fit whose checkpoint is written: every rank
// stopped at the same iteration), MPI_Abort after a failure.
func (d *distRun) finish(e *env, err error) error {
	var ie *interruptedError
	if err != nil && !errors.As(err, &ie) {
		return d.fail(e, err)
	}
	if ferr := d.comm.Finalize(); ferr != nil && err == nil {
		return ferr
	}
	return err
}

// pickDevice gives the ranks of one node distinct devices: with a --device
// list (or all-gpus) each rank takes the list's entry at its local rank,
// modulo the list's length, instead of all of them.
func (d *distRun) pickDevice(o *options) error {
	list := o.devices
	if o.device == "all-gpus" {
		var err error
		if list, err = gpuSpecs(); err != nil {
			return fmt.Errorf("--device all-gpus: %w", err)
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

// share sets this rank's rows of an l-row X (or columns: chooseSide):
// equal shares, in rank order. X is a mapped .npy (each rank touches only
// its rows' pages), a .mtx read with keepRows (each rank holds only its
// rows' entries) or an image folder read with keepColumns (each rank
// decodes only its images: always columns).
func (d *distRun) share(ds *dataset, o *options) error {
	mtx, imgs := ds.Kind == kindMTX && ds.Sparse != nil, ds.Kind == kindImages
	if !mtx && !imgs && (ds.Kind != kindNPY || !ds.Mapped() || ds.Sparse != nil) {
		return fmt.Errorf("%s: --distributed mpi reads each rank's part of a memory-mapped .npy, of a .mtx or of an image folder: want a C-ordered float32/float64 .npy in this machine's byte order", ds.Path)
	}
	if imgs && (o.panels == "rows" || d.resumed == "rows") {
		return fmt.Errorf("%s: --panels rows: an image folder is shared among the ranks by its images (columns)", ds.Path)
	}
	if imgs {
		o.panels = "columns"
	}
	if o.precision != ds.nativePrecision() {
		return fmt.Errorf("%s: --distributed mpi computes in the file's precision (%s): converting would copy X", ds.Path, ds.nativePrecision())
	}
	l, n := ds.Dims()
	if err := d.chooseSide(o, l, n, mtx); err != nil {
		return fmt.Errorf("%s: %w", ds.Path, err)
	}
	span, side := l, "row"
	if d.cols {
		span, side = n, "column"
	}
	size := d.comm.Size()
	if span < size {
		return fmt.Errorf("%s: %d %ss for %d ranks: every rank needs one %s at least", ds.Path, span, side, size, side)
	}
	for r := range size {
		d.rows = append(d.rows, rankRows(r, size, span))
	}
	d.lo, d.hi = d.keepRows(span, 0)
	switch {
	case mtx:
		return d.countEntries(ds)
	case imgs:
		_, err := d.sumNNZ(ds)
		return err
	}
	return nil
}

// countEntries sums the ranks' stored entries of a sparse X: ds.nnz
// becomes the whole X's, d.entries each rank's.
func (d *distRun) countEntries(ds *dataset) error {
	v, err := d.sumNNZ(ds)
	for _, n := range v {
		d.entries = append(d.entries, int64(n))
	}
	return err
}

// sumNNZ makes ds.nnz, this rank's nonzero or stored entries, the whole
// X's, and returns each rank's.
func (d *distRun) sumNNZ(ds *dataset) ([]float64, error) {
	v := make([]float64, d.comm.Size())
	v[d.comm.Rank()] = float64(ds.nnz)
	if err := d.comm.Comm.SumFloat64(v); err != nil {
		return nil, err
	}
	ds.nnz = 0
	for _, n := range v {
		ds.nnz += int(n)
	}
	return v, nil
}

// chooseSide sets whether the ranks share X (l×n) by columns: --panels
// when given, a resumed checkpoint's partition, else columns when n > l,
// so that the factor summed over the ranks, W (l×k) instead of H (k×n),
// is the smaller. A .mtx (sparse) goes by rows.
func (d *distRun) chooseSide(o *options, l, n int, sparse bool) error {
	side := o.panels
	switch {
	case d.resumed != "" && side != "" && side != d.resumed:
		return fmt.Errorf("--panels %s: the checkpoint was written by a fit sharing X by %s among the ranks; resume it the same way", side, d.resumed)
	case d.resumed != "":
		side = d.resumed
	case side == "" && n > l && !sparse:
		side = "columns"
	}
	if side == "columns" && sparse {
		return fmt.Errorf("--panels columns: a .mtx is shared among the ranks by rows")
	}
	d.cols = side == "columns"
	return nil
}

// rankRows is rank r's rows [lo, hi) of an l-row X shared by size ranks.
func rankRows(r, size, l int) [2]int {
	return [2]int{r * l / size, (r + 1) * l / size}
}

// keepRows is this rank's rows of an l-row X (the .mtx reader's
// nmfio.Options.KeepRows).
func (d *distRun) keepRows(l, _ int) (lo, hi int) {
	rows := rankRows(d.comm.Rank(), d.comm.Size(), l)
	return rows[0], rows[1]
}

// keepColumns is this rank's images of a folder of n (the image reader's
// nmfio.Options.KeepColumns): share's columns.
func (d *distRun) keepColumns(_, n int) (lo, hi int) { return d.keepRows(n, 0) }

// gather returns the whole rows×cols factor from every rank's part (its
// rows [lo, hi) of W, or with d.cols its columns of H): each rank's part in
// a zero matrix, summed over the ranks.
func gather[T nmf.Float](d *distRun, part *nmf.Dense[T], rows, cols int) (*nmf.Dense[T], error) {
	all := &nmf.Dense[T]{Rows: rows, Cols: cols, Data: make([]T, rows*cols)}
	if c := d.hi - d.lo; d.cols {
		for i := range rows {
			copy(all.Data[i*cols+d.lo:i*cols+d.hi], part.Data[i*c:(i+1)*c])
		}
	} else {
		copy(all.Data[d.lo*cols:d.hi*cols], part.Data)
	}
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
	r := &distributedReport{Engine: "mpi", ABI: d.comm.ABI(), Ranks: d.comm.Size(), Along: "rows", Rows: d.rows, CommSeconds: secs, Words: per, Sums: sums, Entries: d.entries}
	if d.cols {
		r.Along, r.Rows, r.Columns = "columns", nil, d.rows
	}
	return r, nil
}

// distributedFit is fitAs's fit on this rank's part of X: from W0/H0,
// from the checkpoint (rs) or from the init; on rank 0 it returns the
// result with all of W and H and the distributed report. An interrupted fit
// returns its partial result, gathered, with the error.
func distributedFit[T nmf.Float](ctx context.Context, d *distRun, x nmf.Matrix[T], st *fitStarts[T], rs *resumeState, opt nmf.Options) (*nmf.Result[T], *distributedReport, error) {
	l, n := x.Dims()
	if d.cols {
		n = d.rows[len(d.rows)-1][1] // an image folder's x holds this rank's columns alone
	}
	opt.Comm, opt.PanelsAlong = d.comm, nmf.AlongRows
	local, part := localPart(d, x, l, n, &opt)
	var res *nmf.Result[T]
	var err error
	switch {
	case rs != nil:
		w, h, rerr := part(st.w, st.h, rs.factorPath("W"), rs.factorPath("H"))
		if rerr != nil {
			return nil, nil, rerr
		}
		res, err = nmf.Resume(ctx, local, w, h, rs.state(), opt)
	case st.w0 != nil:
		w0, h0, rerr := part(st.w0, st.h0, "--w0", "--h0")
		if rerr != nil {
			return nil, nil, rerr
		}
		opt.Init = nmf.InitCustom
		res, err = nmf.FitFrom(ctx, local, w0, h0, opt)
	default:
		res, err = nmf.Fit(ctx, local, opt)
	}
	if err != nil && (res == nil || !res.Partial) {
		return nil, nil, err
	}
	var gerr error
	if d.cols {
		res.H, gerr = gather(d, res.H, res.H.Rows, n)
	} else {
		res.W, gerr = gather(d, res.W, l, res.W.Cols)
	}
	if gerr != nil {
		return nil, nil, gerr
	}
	rep, gerr := d.report(res.NIter)
	if gerr != nil {
		return nil, nil, gerr
	}
	return res, rep, err
}

// localPart returns this rank's part of the whole l×n X — its rows, or
// with d.cols its columns, copied row by row out of the mapped file (an
// image folder's x is its columns already) — with opt set for it, and
// part, which checks a start W (l×k), H (k×n) against X (wf, hf name
// them) and returns this rank's part of them: W's rows and all of H, or
// all of W and H's columns.
func localPart[T nmf.Float](d *distRun, x nmf.Matrix[T], l, n int, opt *nmf.Options) (nmf.Matrix[T], func(w, h *nmf.Dense[T], wf, hf string) (*nmf.Dense[T], *nmf.Dense[T], error)) {
	part := func(w, h *nmf.Dense[T], wf, hf string) (*nmf.Dense[T], *nmf.Dense[T], error) {
		switch {
		case w.Rows != l:
			return nil, nil, fmt.Errorf("%s: W has %d rows, X %d", wf, w.Rows, l)
		case h.Cols != n:
			return nil, nil, fmt.Errorf("%s: H has %d columns, X %d", hf, h.Cols, n)
		case d.cols:
			return w, nmf.Columns[T](h, d.lo, d.hi).(*nmf.Dense[T]), nil
		}
		return nmf.Rows[T](w, d.lo, d.hi).(*nmf.Dense[T]), h, nil
	}
	if _, c := x.Dims(); d.cols {
		opt.PanelsAlong = nmf.AlongColumns
		if c < n {
			return x, part // already this rank's columns (an image folder)
		}
		return nmf.Columns(x, d.lo, d.hi), part
	}
	return nmf.Rows(x, d.lo, d.hi), part
}
