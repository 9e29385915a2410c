package bench

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"time"

	"github.com/clnmf/clnmf/nmf"
	"github.com/clnmf/clnmf/nmf/nmfio"
)

// Scaling rows (issue 13, docs/distributed.md). Several devices in one
// process: on each device d, the same fit (mu Frobenius, scaleIters
// iterations, one start) on the members d,d (X's rows shared between two
// backends: two PoCL contexts, or two CPU backends) against d alone.
// Several processes: `nmf fit --distributed mpi` under `mpirun -np 1` and
// `-np 2` (CPU backend, each rank its rows of a mapped float32 .npy)
// against the one-process `nmf fit` of the same X: ms per iteration from
// report.json (the fit's time over its iterations: the random init and the
// gather of W included, reading X and MPI's start-up not). Each setup runs
// a warm-up (in-process) and scaleRounds times, alternating; the least time
// counts. The figure is the speedup, one's time over theirs (above 1:
// faster); on a machine with
// fewer free cores than ranks it measures the overhead, not the scaling.

// scaleIters is the scaling rows' iterations.
const scaleIters = 20

// scalingShape is the scaling rows' X (l×n) and k.
func scalingShape(quick bool) (l, n, k int) {
	if quick {
		return 400, 300, 4
	}
	return 4000, 2000, 20
}

// scaling adds the multi-device rows and, with the nmf command and mpirun,
// the MPI rows.
func (m *measurer) scaling(ctx context.Context) error {
	c := m.c
	if c.Only != nil && !c.Only.MatchString("scaling") {
		return nil
	}
	l, n, k := scalingShape(c.Quick)
	for _, d := range m.devs {
		m.logf("scaling %s,%s vs %s", d, d, d)
		m.rep.Rows = append(m.rep.Rows, membersRow(ctx, d, l, n, k))
	}
	if c.NMF == "" {
		m.note("MPI scaling rows skipped: they run the nmf command under mpirun (--nmf PATH)")
		return nil
	}
	mpirun, err := exec.LookPath("mpirun")
	if err != nil {
		m.note("MPI scaling rows skipped: no mpirun (apt-get install openmpi-bin libopenmpi3)")
		return nil
	}
	dir, err := os.MkdirTemp("", "nmf-bench-scaling-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "x.npy")
	if err := nmfio.WriteNPYRows(path, l, n, max(1, (16<<20)/(4*n)), lowRankRows(n, k)); err != nil {
		return err
	}
	fit := []string{"fit", path, "-k", strconv.Itoa(k), "--init", "random", "--max-iter", strconv.Itoa(scaleIters), "--tol", "0", "--device", "cpu", "-q", "--force"}
	setups := [][]string{nil, mpirunArgs(mpirun, c.NMF, 1), mpirunArgs(mpirun, c.NMF, 2)}
	best := make([]float64, len(setups))
	errs := make([]error, len(setups))
	for round := range scaleRounds {
		for i, pre := range setups {
			m.logf("scaling: %v round %d", pre, round+1)
			out := filepath.Join(dir, fmt.Sprintf("out%d", i))
			args := append(slices.Clone(fit), "--out", out)
			cmd := exec.CommandContext(ctx, c.NMF, args...)
			if pre != nil {
				cmd = exec.CommandContext(ctx, pre[0], append(append(pre[1:], args...), "--distributed", "mpi")...)
			}
			ms, err := commandMs(cmd, out)
			if err != nil {
				errs[i] = err
			} else {
				best[i] = minPositive(best[i], ms)
			}
		}
	}
	for i, np := range []int{1, 2} {
		row := &Row{Kind: "scaling", Workload: fmt.Sprintf("mpirun -np %d --distributed mpi vs one process, mu Frobenius %d it", np, scaleIters),
			Device: "cpu", Precision: "float32", L: l, N: n, K: k, MsPerIter: best[i+1], BaseMs: best[0]}
		switch {
		case errs[0] != nil:
			row.Note = "one process failed: " + errs[0].Error()
		case errs[i+1] != nil:
			row.Note = "mpirun failed: " + errs[i+1].Error()
		default:
			row.Speedup = best[0] / best[i+1]
		}
		m.rep.Rows = append(m.rep.Rows, row)
	}
	return nil
}

// scaleRounds is how often each setup runs, alternating: the least time
// counts (the machine may be shared).
const scaleRounds = 3

// mpirunArgs is the command line prefix running exe on np ranks.
func mpirunArgs(mpirun, exe string, np int) []string {
	a := []string{mpirun, "--oversubscribe", "-np", strconv.Itoa(np)}
	if os.Geteuid() == 0 {
		a = append(a, "--allow-run-as-root")
	}
	return append(a, exe)
}

// commandMs runs an nmf fit writing to out and returns its ms per
// iteration from out/report.json.
func commandMs(cmd *exec.Cmd, out string) (float64, error) {
	if b, err := cmd.CombinedOutput(); err != nil {
		return 0, fmt.Errorf("%v: %s", err, lastLines(string(b), 1))
	}
	var rep struct {
		NIter   int     `json:"n_iter"`
		Elapsed float64 `json:"elapsed_seconds"`
	}
	b, err := os.ReadFile(filepath.Join(out, "report.json"))
	if err == nil {
		err = json.Unmarshal(b, &rep)
	}
	if err != nil || rep.NIter == 0 {
		return 0, fmt.Errorf("%s: no report (%v)", out, err)
	}
	return rep.Elapsed * 1000 / float64(rep.NIter), nil
}

// membersRow fits a rank-k l×n float32 X on the members d,d and on d
// alone, from the same start.
func membersRow(ctx context.Context, d string, l, n, k int) *Row {
	row := &Row{Kind: "scaling", Workload: fmt.Sprintf("--device %s,%s (two members) vs %s, mu Frobenius %d it", d, d, d, scaleIters),
		Device: d, Precision: "float32", L: l, N: n, K: k}
	x := &nmf.Dense[float32]{Rows: l, Cols: n, Data: make([]float32, l*n)}
	lowRankRows(n, k)(0, l, x.Data)
	w0, h0 := startOf(x, k)
	opt := nmf.DefaultOptions()
	opt.Components, opt.Solver, opt.MaxIter, opt.Tol = k, nmf.MU, scaleIters, 0
	fit := func(devs []string) (float64, error) {
		o := opt
		o.Device, o.Devices = devs[0], nil
		if len(devs) > 1 {
			o.Device, o.Devices = "", devs
		}
		t0 := time.Now()
		res, err := nmf.FitFrom(ctx, x, w0, h0, o)
		if err != nil {
			return 0, err
		}
		return (time.Since(t0).Seconds() - res.DeviceOpenSeconds) * 1000 / float64(res.NIter), nil
	}
	// A warm-up of each, then alternating rounds: the least time counts.
	for round := range scaleRounds + 1 {
		one, err := fit([]string{d})
		if err == nil {
			var two float64
			if two, err = fit([]string{d, d}); err == nil && round > 0 {
				row.BaseMs, row.MsPerIter = minPositive(row.BaseMs, one), minPositive(row.MsPerIter, two)
			}
		}
		if err != nil {
			row.Note = err.Error()
			return row
		}
	}
	row.Speedup = row.BaseMs / row.MsPerIter
	return row
}

// minPositive is the lesser of a (0: none yet) and b.
func minPositive(a, b float64) float64 {
	if a == 0 || b < a {
		return b
	}
	return a
}

// writeScaling writes the scaling rows' table.
func (r *Report) writeScaling(p func(string, ...any)) {
	var rows []*Row
	for _, x := range r.Rows {
		if x.Kind == "scaling" {
			rows = append(rows, x)
		}
	}
	if len(rows) == 0 {
		return
	}
	p("## Scaling (several devices, MPI ranks)\n\nThe same fit (mu Frobenius, %d iterations, float32) on two members in one process (`--device d,d`: X's rows shared by two backends, the H half's sums added on the host) against one, and under `mpirun -np 1` / `-np 2 nmf fit --distributed mpi` (CPU backend) against the one-process command; speedup = one's ms per iteration over theirs. On a machine with fewer free cores than members or ranks this measures the overhead of the mechanism, not the scaling.\n\n", scaleIters)
	p("| shape | setup | device | one ms/iter | ms/iter | speedup | note |\n|---|---|---|---|---|---|---|\n")
	for _, x := range rows {
		p("| %d×%d k=%d | %s | %s | %s | %s | %s | %s |\n", x.L, x.N, x.K, x.Workload, x.Device, fmtF(x.BaseMs, 2), fmtF(x.MsPerIter, 2), fmtF(x.Speedup, 2), x.Note)
	}
	p("\n")
}
