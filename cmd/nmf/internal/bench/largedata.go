package bench

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/clnmf/clnmf/nmf"
	"github.com/clnmf/clnmf/nmf/nmfio"
)

// Large-data rows (issue 12, docs/large-data.md). Memory: the peak
// anonymous memory (RssAnon, sampled every 10 ms) of `nmf fit -k 20 --loss
// kl --max-iter 3` (default init) run as a subprocess on a generated
// float32 .npy (memory-mapped by the command), next to scikit-learn's
// NMF(20, beta_loss="kullback-leibler", solver="mu", max_iter=3) on the
// np.load'ed file (with --compare); the bound is 1.3·X + 512 MiB.
// The files are written to a temporary folder and removed. Stream: on each
// OpenCL device, a fit with the device capped at a quarter of X (streamed
// panels) against the resident fit from the same start, 10 KL iterations:
// the time ratio (target ≥ 0.7) and the largest difference of W and H.

// largeK and largeIters are the memory rows' fit.
const largeK, largeIters = 20, 3

// streamTarget is the least resident/streamed time ratio.
const streamTarget = 0.7

// memorySizes are the l×n of the memory rows' X: 120 MB, and 1.2 GB and
// 2.4 GB with --large-data.
func memorySizes(quick, large bool) [][2]int {
	if quick {
		return [][2]int{{500, 1000}}
	}
	s := [][2]int{{4000, 7500}}
	if large {
		s = append(s, [2]int{20000, 15000}, [2]int{20000, 30000})
	}
	return s
}

// memoryBound is the budget for the peak anonymous memory of a fit
// of X's bytes: 1.3·X + 512 MiB.
func memoryBound(x int64) int64 { return x + 3*x/10 + 512<<20 }

// largeData adds the memory rows and the streamed-vs-resident rows.
func (m *measurer) largeData(ctx context.Context) error {
	c := m.c
	dir, err := os.MkdirTemp("", "nmf-bench-large-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	for _, sz := range memorySizes(c.Quick, c.LargeData) {
		l, n := sz[0], sz[1]
		label := fmt.Sprintf("peak memory %d×%d k=%d", l, n, largeK)
		if c.Only != nil && !c.Only.MatchString(label) {
			continue
		}
		if c.NMF == "" {
			m.note("memory rows skipped: they run the nmf command as a subprocess (--nmf PATH)")
			break
		}
		path := filepath.Join(dir, fmt.Sprintf("x%dx%d.npy", l, n))
		m.logf("writing %s (%d MB)", path, int64(l)*int64(n)*4/1000000)
		if err := nmfio.WriteNPYRows(path, l, n, max(1, (16<<20)/(4*n)), lowRankRows(n, largeK)); err != nil {
			return err
		}
		var sk procPeak
		if c.Compare {
			m.logf("%s scikit-learn", label)
			sk = sklearnPeak(ctx, c.Python, path)
		}
		for _, d := range m.devs {
			m.logf("%s %s", label, d)
			m.rep.Rows = append(m.rep.Rows, memoryRow(ctx, c.NMF, d, path, dir, l, n, sk))
		}
		os.Remove(path)
	}
	for _, d := range m.devs {
		if d == "cpu" {
			continue
		}
		l, n, k := 4000, 7500, largeK
		if c.Quick {
			l, n, k = 400, 300, 4
		}
		label := fmt.Sprintf("streamed vs resident %d×%d k=%d", l, n, k)
		if c.Only != nil && !c.Only.MatchString(label) {
			continue
		}
		m.logf("%s %s", label, d)
		rows := 0
		if c.Quick {
			rows = l / 8 // a quarter of a small X is below the planner's reserve
		}
		m.rep.Rows = append(m.rep.Rows, streamRow(ctx, d, l, n, k, rows))
	}
	return nil
}

// lowRankRows fills rows of a rank-k nonnegative l×n X plus noise of a
// tenth: row i from its own random stream, so that blocks agree.
func lowRankRows(n, k int) func(lo, hi int, dst []float32) {
	r := newRand(17)
	h := make([]float32, k*n)
	for i := range h {
		h[i] = r.Float32()
	}
	return func(lo, hi int, dst []float32) {
		w := make([]float32, k)
		for i := lo; i < hi; i++ {
			ri := newRand(uint64(i) + 1<<32)
			for t := range w {
				w[t] = ri.Float32()
			}
			row := dst[(i-lo)*n : (i-lo+1)*n]
			for j := range row {
				row[j] = 0.1 * ri.Float32()
			}
			for t, wt := range w {
				for j, v := range h[t*n : (t+1)*n] {
					row[j] += wt * v
				}
			}
		}
	}
}

// procPeak is what a subprocess measured: its peak RssAnon, wall seconds,
// and why it failed.
type procPeak struct {
	peak    int64
	seconds float64
	err     error
}

// runPeak runs cmd, sampling its RssAnon every 10 ms.
func runPeak(cmd *exec.Cmd) procPeak {
	var errb strings.Builder
	cmd.Stderr = &errb
	t0 := time.Now()
	if err := cmd.Start(); err != nil {
		return procPeak{err: err}
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	tick := time.NewTicker(10 * time.Millisecond)
	defer tick.Stop()
	var p procPeak
	for {
		if v, ok := rssAnon(cmd.Process.Pid); ok {
			p.peak = max(p.peak, v)
		}
		select {
		case err := <-done:
			p.seconds = time.Since(t0).Seconds()
			if err != nil {
				msg := strings.TrimSpace(errb.String())
				if i := strings.LastIndexByte(msg, '\n'); i >= 0 {
					msg = msg[i+1:]
				}
				p.err = fmt.Errorf("%v: %s", err, msg)
			}
			return p
		case <-tick.C:
		}
	}
}

// rssAnon is a process's RssAnon in bytes, from /proc (Linux).
func rssAnon(pid int) (int64, bool) {
	f, err := os.Open(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, false
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), "RssAnon:"); ok {
			kb, err := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
			return kb << 10, err == nil
		}
	}
	return 0, false
}

// sklearnScript is the scikit-learn side of a memory row.
const sklearnMemScript = `import sys, warnings
import numpy as np
from sklearn.decomposition import NMF
warnings.simplefilter("ignore")
x = np.load(sys.argv[1])
NMF(n_components=int(sys.argv[2]), beta_loss="kullback-leibler", solver="mu", max_iter=int(sys.argv[3]), tol=0).fit_transform(x)
`

func sklearnPeak(ctx context.Context, python, path string) procPeak {
	return runPeak(exec.CommandContext(ctx, python, "-c", sklearnMemScript, path, strconv.Itoa(largeK), strconv.Itoa(largeIters)))
}

// memoryRow runs the memory row's fit of the .npy at path on device d (an
// OpenCL device capped at 256 MiB, as in the issue) and compares with sk.
func memoryRow(ctx context.Context, exe, d, path, dir string, l, n int, sk procPeak) *Row {
	xb := int64(l) * int64(n) * 4
	out := filepath.Join(dir, "out")
	args := []string{"fit", "-k", strconv.Itoa(largeK), "--loss", "kl", "--max-iter", strconv.Itoa(largeIters), "--tol", "0", "-q", "--force", "--out", out, "--device", d}
	if d != "cpu" {
		args = append(args, "--device-memory", "256MiB")
	}
	own := runPeak(exec.CommandContext(ctx, exe, append(args, path)...))
	row := &Row{Kind: "memory", Workload: "peak memory fit KL 3 it, mapped .npy", Device: d, Precision: "float32", L: l, N: n, K: largeK,
		XBytes: xb, PeakAnon: own.peak, Seconds: own.seconds, SklearnPeakAnon: sk.peak, SklearnSeconds: sk.seconds}
	var notes []string
	if own.err != nil {
		notes = append(notes, "ours failed: "+own.err.Error())
	} else {
		var rep struct {
			Device struct {
				Name     string `json:"name"`
				Panels   int    `json:"panels"`
				Streamed bool   `json:"streamed"`
			} `json:"device"`
		}
		if b, err := os.ReadFile(filepath.Join(out, "report.json")); err == nil && json.Unmarshal(b, &rep) == nil {
			row.DeviceName = rep.Device.Name
			notes = append(notes, fmt.Sprintf("%d panel(s), streamed %v", rep.Device.Panels, rep.Device.Streamed))
		}
		verdict := "met"
		if own.peak == 0 {
			verdict = "not measured (no /proc RssAnon)"
		} else if own.peak > memoryBound(xb) {
			verdict = "NOT met"
		}
		notes = append(notes, fmt.Sprintf("≤ 1.3·X + 512 MiB = %.0f MiB: %s", float64(memoryBound(xb))/(1<<20), verdict))
	}
	if sk.err != nil {
		notes = append(notes, "scikit-learn failed: "+sk.err.Error())
	}
	row.Note = strings.Join(notes, "; ")
	os.RemoveAll(out)
	return row
}

// streamRow fits a rank-k l×n float32 X on device d resident, then with the
// device capped at a quarter of X, from the same start; rows, when
// positive, sets the streamed panels' rows.
func streamRow(ctx context.Context, d string, l, n, k, rows int) *Row {
	row := &Row{Kind: "stream", Workload: "streamed vs resident (device at ¼ of X), mu KL 10 it", Device: d, Precision: "float32", L: l, N: n, K: k, Target: streamTarget}
	x := &nmf.Dense[float32]{Rows: l, Cols: n, Data: make([]float32, l*n)}
	lowRankRows(n, k)(0, l, x.Data)
	w0, h0 := startOf(x, k)
	opt := nmf.DefaultOptions()
	opt.Components, opt.Loss, opt.Solver, opt.MaxIter, opt.Tol, opt.Device = k, nmf.KullbackLeibler, nmf.MU, 10, 0, d
	fit := func(capBytes int64) (*nmf.Result[float32], float64, error) {
		opt.DeviceMemory, opt.PanelRows = capBytes, 0
		if capBytes > 0 {
			opt.PanelRows = rows
		}
		t0 := time.Now()
		res, err := nmf.FitFrom(ctx, x, w0, h0, opt)
		if err != nil {
			return nil, 0, err
		}
		return res, time.Since(t0).Seconds() - res.DeviceOpenSeconds, nil
	}
	res, tr, err := fit(0)
	var str *nmf.Result[float32]
	var ts float64
	if err == nil {
		str, ts, err = fit(int64(l) * int64(n) * 4 / 4)
	}
	if err != nil {
		row.Note = err.Error()
		return row
	}
	row.DeviceName = str.Device
	row.MsPerIter, row.ResidentMs = 1000*ts/10, 1000*tr/10
	row.RatioResident = tr / ts
	row.MaxRelDiff = math.Max(nmf.MaxRelDiff(str.W.Data, res.W.Data), nmf.MaxRelDiff(str.H.Data, res.H.Data))
	p := str.Plan
	row.Note = fmt.Sprintf("%d panels streamed %v, copies %.3g s, compute waited %.3g s for them", p.Panels, p.Streamed, p.LoadSeconds, p.WaitSeconds)
	if !p.Streamed {
		row.Note += "; the capped fit did not stream"
	}
	return row
}

// startOf is a random start for x: avg·|N(0, 1)| with avg = sqrt(mean/k).
func startOf(x *nmf.Dense[float32], k int) (*nmf.Dense[float32], *nmf.Dense[float32]) {
	var sum float64
	for _, v := range x.Data {
		sum += float64(v)
	}
	avg := math.Sqrt(sum / float64(len(x.Data)) / float64(k))
	r := newRand(23)
	w := &nmf.Dense[float32]{Rows: x.Rows, Cols: k, Data: make([]float32, x.Rows*k)}
	h := &nmf.Dense[float32]{Rows: k, Cols: x.Cols, Data: make([]float32, k*x.Cols)}
	for _, s := range [][]float32{w.Data, h.Data} {
		for i := range s {
			s[i] = float32(avg * math.Abs(r.NormFloat64()))
		}
	}
	return w, h
}

// writeLargeData writes the large-data section of BENCHMARKS.md.
func (r *Report) writeLargeData(p func(string, ...any)) {
	var mem, str []*Row
	for _, x := range r.Rows {
		switch x.Kind {
		case "memory":
			mem = append(mem, x)
		case "stream":
			str = append(str, x)
		}
	}
	if len(mem)+len(str) == 0 {
		return
	}
	p("## Large data\n\nPeak anonymous memory (RssAnon sampled every 10 ms) of `nmf fit -k %d --loss kl --max-iter %d --tol 0` (default init) in a subprocess on a generated float32 .npy, which the command memory-maps, on cpu and on OpenCL with `--device-memory 256MiB`; scikit-learn's NMF(%d, beta_loss=\"kullback-leibler\", solver=\"mu\", max_iter=%d) on the np.load'ed file. The issue's bound: 1.3·X + 512 MiB (O((l+n)k) when mapped). 120 MB always; 1.2 and 2.4 GB with `nmf bench --large-data`.\n\n", largeK, largeIters, largeK, largeIters)
	if len(mem) > 0 {
		p("| X | shape | device | ours peak MiB | ours s | scikit-learn peak MiB | scikit-learn s | ours / X | note |\n|---|---|---|---|---|---|---|---|---|\n")
		for _, x := range mem {
			p("| %.0f MB | %d×%d | %s | %s | %s | %s | %s | %s | %s |\n", float64(x.XBytes)/1e6, x.L, x.N, x.Device, mib(x.PeakAnon), fmtF(x.Seconds, 1),
				mib(x.SklearnPeakAnon), fmtF(x.SklearnSeconds, 1), fmtF(float64(x.PeakAnon)/float64(x.XBytes), 3), x.Note)
		}
		p("\n")
	}
	if len(str) > 0 {
		p("Streamed vs resident: the same fit (mu KL, 10 iterations, the same random start) resident and with the device capped at a quarter of X (`Options.DeviceMemory`), so that X is streamed in panels, double-buffered; ratio = resident time / streamed time (target ≥ %.1f).\n\n", streamTarget)
		p("| shape | device | resident ms/iter | streamed ms/iter | ratio | verdict | max rel. diff W, H | note |\n|---|---|---|---|---|---|---|---|\n")
		for _, x := range str {
			p("| %d×%d k=%d | %s | %s | %s | %s | %s | %.2g | %s |\n", x.L, x.N, x.K, x.Device, fmtF(x.ResidentMs, 1), fmtF(x.MsPerIter, 1), fmtF(x.RatioResident, 2), verdict(x.RatioResident, x.Target), x.MaxRelDiff, x.Note)
		}
		p("\n")
	}
}

// nmfCommand is this executable when it is the nmf command (not a test
// binary), else "".
func nmfCommand() string {
	exe, err := os.Executable()
	if err != nil {
		return ""
	}
	if b := strings.TrimSuffix(filepath.Base(exe), ".exe"); b != "nmf" {
		return ""
	}
	return exe
}
