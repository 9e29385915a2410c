package bench

import (
	"context"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"runtime"
	"sort"
	"strings"
	"time"

	"github.com/clnmf/clnmf/gpu/tune"
	"github.com/clnmf/clnmf/nmf"
	"github.com/clnmf/clnmf/nmf/backend"
)

// Row is one measured workload on one device in one precision.
type Row struct {
	Kind       string  `json:"kind"` // "gemm", "iteration", "growth", "init", "fit", "memory", "stream" or "scaling"
	Workload   string  `json:"workload"`
	Device     string  `json:"device"`
	DeviceName string  `json:"device_name"`
	Precision  string  `json:"precision"`
	L          int     `json:"l"`
	N          int     `json:"n"`
	K          int     `json:"k"`
	NNZ        int     `json:"nnz,omitempty"`
	Repeats    int     `json:"repeats"`
	Rounds     int     `json:"rounds"`
	MsPerIter  float64 `json:"ms_per_iter"`
	Flops      float64 `json:"flops"`
	GFLOPS     float64 `json:"gflops"`
	// FracGEMM is GFLOPS over the device's square-2048 GEMM rate in the
	// same precision, measured first in the same run.
	FracGEMM    float64 `json:"frac_gemm"`
	DeviceBytes int64   `json:"device_bytes,omitempty"`
	// SklearnMs is scikit-learn's ms per iteration on the same workload,
	// and Ratio = SklearnMs / MsPerIter (above 1: we are faster).
	SklearnMs float64 `json:"sklearn_ms_per_iter,omitempty"`
	Ratio     float64 `json:"ratio_vs_sklearn,omitempty"`
	// Target is the minimum Ratio for this row (0: none).
	Target float64 `json:"target,omitempty"`
	// TargetFracGEMM is the minimum FracGEMM for this row (0: none).
	TargetFracGEMM float64 `json:"target_frac_gemm,omitempty"`
	// CLBlastMs is CLBlast's GEMM on the same device and buffers, and
	// RatioCLBlast = CLBlastMs / MsPerIter.
	CLBlastMs    float64 `json:"clblast_ms,omitempty"`
	RatioCLBlast float64 `json:"ratio_vs_clblast,omitempty"`
	Note         string  `json:"note,omitempty"`
	// Bytes is the modelled global-memory traffic of one iteration or GEMM
	// (gemmBytes, iterBytes); Roof the row against its device's roofline
	// (--roofline).
	Bytes float64  `json:"bytes,omitempty"`
	Roof  *RoofRow `json:"roofline,omitempty"`
	// Large-data rows (largedata.go): X's bytes; the peak anonymous memory
	// and wall seconds of our fit's process and of scikit-learn's; for a
	// streamed fit the resident fit's ms per iteration, resident time over
	// streamed time, and the largest difference of W and H (relative to
	// the largest entry).
	XBytes          int64   `json:"x_bytes,omitempty"`
	PeakAnon        int64   `json:"peak_anon_bytes,omitempty"`
	Seconds         float64 `json:"seconds,omitempty"`
	SklearnPeakAnon int64   `json:"sklearn_peak_anon_bytes,omitempty"`
	SklearnSeconds  float64 `json:"sklearn_seconds,omitempty"`
	ResidentMs      float64 `json:"resident_ms_per_iter,omitempty"`
	RatioResident   float64 `json:"ratio_vs_resident,omitempty"`
	MaxRelDiff      float64 `json:"max_rel_diff,omitempty"`
	// Scaling rows (scaling.go): the one-device (or one-process) ms per
	// iteration, and Speedup = BaseMs / MsPerIter.
	BaseMs  float64 `json:"base_ms_per_iter,omitempty"`
	Speedup float64 `json:"speedup,omitempty"`
}

// Report is everything one bench run measured.
type Report struct {
	Command  string   `json:"command"`
	Machine  Machine  `json:"machine"`
	Rows     []*Row   `json:"rows"`
	Notes    []string `json:"notes,omitempty"`
	Sklearn  string   `json:"sklearn,omitempty"`
	Started  string   `json:"started"`
	Duration float64  `json:"duration_s"`
	// Roofs are the OpenCL devices' rooflines (--roofline).
	Roofs []*DeviceRoof `json:"rooflines,omitempty"`
	cfg   *Config
}

// sizes are the workload sizes of a run.
type sizes struct {
	square     int
	gemmL      int   // l = n of the GEMM shapes
	gemmK      []int // k of the GEMM shapes
	dense      [][3]int
	sparse     [3]int // l, n, k
	density    float64
	audio      [3]int
	growth     [][3]int
	growthLoss string
	minibatch  [4]int // l, n, k, batch size
}

func sizesFor(quick bool) sizes {
	if quick {
		return sizes{
			square: 128, gemmL: 200, gemmK: []int{16},
			dense:  [][3]int{{120, 100, 8}},
			sparse: [3]int{800, 400, 5}, density: 0.01,
			audio:      [3]int{65, 200, 4},
			growth:     [][3]int{{40, 40, 8}, {80, 80, 8}, {120, 120, 8}, {220, 220, 8}},
			growthLoss: "frobenius",
			minibatch:  [4]int{600, 80, 5, 128},
		}
	}
	return sizes{
		square: 2048, gemmL: 2000, gemmK: []int{16, 32, 64, 128},
		// The last three are issue 15's: large k, a skinny k on a tall
		// X, and the largest square one.
		dense:  [][3]int{{2000, 2000, 50}, {4096, 1000, 64}, {1000, 1000, 200}, {5000, 4000, 20}, {4000, 4000, 32}},
		sparse: [3]int{20000, 10000, 20}, density: 0.005,
		audio: [3]int{1025, 5000, 32},
		// l·n·k from 8e6 to 5.12e8: 64×.
		growth:     [][3]int{{500, 500, 32}, {1000, 1000, 32}, {2000, 2000, 32}, {4000, 4000, 32}},
		growthLoss: "frobenius",
		minibatch:  [4]int{20000, 1000, 20, 1024},
	}
}

// iterWork is one whole-iteration workload.
type iterWork struct {
	name   string
	loss   string // "frobenius", "kullback-leibler", "itakura-saito", "1.5"
	beta   float64
	solver nmf.Solver
	data   string // "dense", "sparse", "audio"
	l, n   int
	k      int
	target float64 // minimum ratio vs scikit-learn on the cpu
	kind   string
	batch  int // batch size of a "minibatch" workload
}

func iterWorkloads(s sizes) []iterWork {
	var ws []iterWork
	mus := []struct {
		loss   string
		beta   float64
		target float64
	}{{"frobenius", 2, 1}, {"kullback-leibler", 1, 1.5}, {"itakura-saito", 0, 1.5}, {"1.5", 1.5, 1.5}}
	for _, d := range s.dense {
		for _, m := range mus {
			ws = append(ws, iterWork{name: "mu " + short(m.loss), loss: m.loss, beta: m.beta, solver: nmf.MU, data: "dense", l: d[0], n: d[1], k: d[2], target: m.target, kind: "iteration"})
		}
		ws = append(ws, iterWork{name: "cd", loss: "frobenius", beta: 2, solver: nmf.CD, data: "dense", l: d[0], n: d[1], k: d[2], target: 1, kind: "iteration"})
	}
	sp := s.sparse
	ws = append(ws,
		iterWork{name: "mu KL sparse", loss: "kullback-leibler", beta: 1, solver: nmf.MU, data: "sparse", l: sp[0], n: sp[1], k: sp[2], target: 2, kind: "iteration"},
		iterWork{name: "mu Frobenius sparse", loss: "frobenius", beta: 2, solver: nmf.MU, data: "sparse", l: sp[0], n: sp[1], k: sp[2], target: 1, kind: "iteration"},
	)
	a := s.audio
	ws = append(ws, iterWork{name: "mu IS audio", loss: "itakura-saito", beta: 0, solver: nmf.MU, data: "audio", l: a[0], n: a[1], k: a[2], target: 1.5, kind: "iteration"})
	for _, g := range s.growth {
		ws = append(ws, iterWork{name: "growth mu Frobenius", loss: s.growthLoss, beta: 2, solver: nmf.MU, data: "dense", l: g[0], n: g[1], k: g[2], kind: "growth"})
	}
	return append(ws, minibatchWorkloads(s)...)
}

// fracGEMMTarget is the least share of the square GEMM rate a dense
// iteration on the cpu should reach in precision prec (issue 15).
func fracGEMMTarget(prec string) float64 {
	if prec == "float32" {
		return 0.5
	}
	return 0.6
}

// growthTarget is the most the time per unit of l·n·k may grow from the
// smallest growth size to the largest.
const growthTarget = 1.2

func short(loss string) string {
	switch loss {
	case "frobenius":
		return "Frobenius"
	case "kullback-leibler":
		return "KL"
	case "itakura-saito":
		return "IS"
	}
	return "β=" + loss
}

// iterFlops is the floating-point operation count of one iteration (a
// multiply-add is 2), products only; elementwise passes are left out.
//
//	mu β = 2 and cd:  2·(2·lnk + 2·(l+n)·k²)   (X·Hᵀ, Wᵀ·X; the two Grams and
//	                  the k×k products W·(HHᵀ), (WᵀW)·H; cd's sweeps are the
//	                  same 2·(l+n)·k² as those products)
//	mu β = 1:         2·(2·lnk + 2·lnk) = 8·lnk  (V = W·H and the product
//	                  with X/V, per side; the denominators are sums)
//	mu other β:       2·(3·2·lnk) = 12·lnk  (V, the X⊙V^(β−2) product and the
//	                  V^(β−1) product, per side)
//
// For sparse X, lnk becomes nnz·k in the terms that touch X (V only at X's
// nonzeros), except β ≠ 1, 2 which still needs the dense V^(β−1) product.
func iterFlops(w iterWork, nnz int) float64 {
	l, n, k := float64(w.l), float64(w.n), float64(w.k)
	lnk := l * n * k
	xk := lnk
	if w.data == "sparse" {
		xk = float64(nnz) * k
	}
	switch {
	case w.solver == nmf.CD || w.beta == 2:
		return 2 * (2*xk + 2*(l+n)*k*k)
	case w.beta == 1:
		return 8 * xk
	default:
		return 2 * (2*xk + 2*lnk + 2*lnk) // sparse: V and num at nonzeros
	}
}

// host holds the matrices of one workload in one precision.
type host struct {
	x      nmf.Matrix[float64]
	w0, h0 *nmf.Dense[float64]
	nnz    int
	csr    *nmf.CSR[float64]
	dense  *nmf.Dense[float64]
}

func newRand(seed uint64) *rand.Rand { return rand.New(rand.NewPCG(seed, 0x5eed)) }

// makeHost builds X, W0 and H0 for a workload, deterministically. W0 and H0
// are scikit-learn's "random" init: |N(0,1)|·sqrt(mean(X)/k).
func makeHost(w iterWork, density float64) *host {
	r := newRand(uint64(w.l)*7919 + uint64(w.n)*31 + uint64(w.k))
	h := &host{}
	var sum float64
	switch w.data {
	case "sparse":
		c := &nmf.CSR[float64]{Rows: w.l, Cols: w.n, Indptr: make([]int, w.l+1)}
		per := density * float64(w.n)
		for i := 0; i < w.l; i++ {
			m := int(per)
			if r.Float64() < per-float64(m) {
				m++
			}
			cols := map[int]bool{}
			for len(cols) < m {
				cols[r.IntN(w.n)] = true
			}
			idx := make([]int, 0, m)
			for j := range cols {
				idx = append(idx, j)
			}
			sort.Ints(idx)
			for _, j := range idx {
				v := 1 + 4*r.Float64()
				c.Indices = append(c.Indices, j)
				c.Data = append(c.Data, v)
				sum += v
			}
			c.Indptr[i+1] = len(c.Indices)
		}
		h.csr, h.x, h.nnz = c, c, len(c.Data)
	default:
		d := &nmf.Dense[float64]{Rows: w.l, Cols: w.n, Data: make([]float64, w.l*w.n)}
		for i := range d.Data {
			v := r.Float64()
			if w.data == "audio" {
				// A power spectrogram: positive, heavy-tailed.
				v = v*v*v + 1e-3
			}
			d.Data[i] = v
			sum += v
		}
		h.dense, h.x, h.nnz = d, d, len(d.Data)
	}
	avg := math.Sqrt(sum / float64(w.l*w.n) / float64(w.k))
	h.w0 = &nmf.Dense[float64]{Rows: w.l, Cols: w.k, Data: make([]float64, w.l*w.k)}
	h.h0 = &nmf.Dense[float64]{Rows: w.k, Cols: w.n, Data: make([]float64, w.k*w.n)}
	for i := range h.w0.Data {
		h.w0.Data[i] = avg * math.Abs(r.NormFloat64())
	}
	for i := range h.h0.Data {
		h.h0.Data[i] = avg * math.Abs(r.NormFloat64())
	}
	return h
}

func to32d(d *nmf.Dense[float64]) *nmf.Dense[float32] {
	o := &nmf.Dense[float32]{Rows: d.Rows, Cols: d.Cols, Data: make([]float32, len(d.Data))}
	for i, v := range d.Data {
		o.Data[i] = float32(v)
	}
	return o
}

func to32c(c *nmf.CSR[float64]) *nmf.CSR[float32] {
	o := &nmf.CSR[float32]{Rows: c.Rows, Cols: c.Cols, Indptr: c.Indptr, Indices: c.Indices, Data: make([]float32, len(c.Data))}
	for i, v := range c.Data {
		o.Data[i] = float32(v)
	}
	return o
}

// finish waits for an OpenCL backend's queue (see tune.Finish).
func finish(b backend.Backend) error { return tune.Finish(b) }

func median(ts []float64) float64 {
	s := append([]float64(nil), ts...)
	sort.Float64s(s)
	m := len(s) / 2
	if len(s)%2 == 1 {
		return s[m]
	}
	return (s[m-1] + s[m]) / 2
}

func precOf(p string) backend.Precision {
	if p == "float32" {
		return backend.Float32
	}
	return backend.Float64
}

// fitTimes runs warmup+repeats iterations of w on dev from the start in h
// and returns the per-iteration times (ms) after the warm-up, the device
// memory and the device's name.
func fitTimes[T nmf.Float](ctx context.Context, dev string, prec string, x nmf.Matrix[T], w0, h0 *nmf.Dense[T], w iterWork, c *Config) ([]float64, int64, string, error) {
	return timedRun(dev, prec, w, c, func(opt nmf.Options) (*nmf.Result[T], error) { return nmf.FitFrom(ctx, x, w0, h0, opt) })
}

// timedRun runs fit with the options of w on dev for warmup+repeats
// iterations (tol 0), each of which calls Progress once, and returns the ms
// between those calls after the warm-up, the device memory and the
// device's name.
func timedRun[T nmf.Float](dev, prec string, w iterWork, c *Config, fit func(nmf.Options) (*nmf.Result[T], error)) ([]float64, int64, string, error) {
	loss, err := nmf.ParseLoss(w.loss)
	if err != nil {
		return nil, 0, "", err
	}
	var be backend.Backend
	var stamps []time.Time
	var syncErr error
	opt := nmf.Options{
		Components: w.k, Loss: loss, Solver: w.solver,
		Backend: func() (backend.Backend, error) {
			b, _, err := nmf.OpenDevice(dev, precOf(prec))
			be = b
			return b, err
		},
		Progress: func(int, float64) {
			if err := finish(be); err != nil && syncErr == nil {
				syncErr = err
			}
			stamps = append(stamps, time.Now())
		},
	}
	opt.SetStopping(c.Warmup+c.Repeats, 0)
	res, err := fit(opt)
	if err != nil {
		return nil, 0, "", err
	}
	if syncErr != nil {
		return nil, 0, "", syncErr
	}
	if len(stamps) != c.Warmup+c.Repeats {
		return nil, 0, "", fmt.Errorf("bench: %d progress calls for %d iterations", len(stamps), c.Warmup+c.Repeats)
	}
	var ts []float64
	for i := c.Warmup; i < len(stamps); i++ {
		ts = append(ts, float64(stamps[i].Sub(stamps[i-1]).Nanoseconds())/1e6)
	}
	return ts, res.DeviceBytes, res.Device, nil
}

// fitInput is a workload's X, W0 and H0 in one precision, converted once
// for all its rounds.
type fitInput struct {
	x32      nmf.Matrix[float32]
	w32, h32 *nmf.Dense[float32]
	h        *host
}

func newFitInput(h *host, prec string) *fitInput {
	in := &fitInput{h: h}
	if prec == "float32" {
		if h.csr != nil {
			in.x32 = to32c(h.csr)
		} else {
			in.x32 = to32d(h.dense)
		}
		in.w32, in.h32 = to32d(h.w0), to32d(h.h0)
	}
	return in
}

// settle is the pause before every timed round, ours or scikit-learn's:
// BLAS and OpenCL runtimes keep their idle threads spinning for a while
// (OpenBLAS ≈ 0.1 s) after a call, which would slow whatever runs next.
const settle = 200 * time.Millisecond

// pause waits settle, except in --quick runs (tests), whose figures are not
// for reading.
func (c *Config) pause() {
	if !c.Quick {
		time.Sleep(settle)
	}
}

// timeFit times w on d (fitTimes) from in. It collects the garbage first,
// so that no collection started by earlier rounds runs beside the timed
// iterations, and lets the previous round's threads go idle.
func timeFit(ctx context.Context, d, prec string, in *fitInput, w iterWork, c *Config) ([]float64, int64, string, error) {
	runtime.GC()
	c.pause()
	if w.kind == "minibatch" {
		return timeMinibatch(ctx, d, prec, in, w, c)
	}
	if prec == "float32" {
		return fitTimes(ctx, d, prec, in.x32, in.w32, in.h32, w, c)
	}
	return fitTimes(ctx, d, prec, in.h.x, in.h.w0, in.h.h0, w, c)
}

// gemmTimes times out = op(a)·op(b) on b with the operands on the device.
func gemmTimes(ctx context.Context, be backend.Backend, prec string, m, n, k int, shape string, c *Config, r *rand.Rand) ([]float64, error) {
	p := precOf(prec)
	// Shapes: "WH" (m×k)·(k×n); "WtX" (k×m)ᵀ... stored as W m'×k with
	// ta; "XHt" X (m×k')·(n×k')ᵀ. a and b are allocated in their stored form.
	var ar, ac, br, bc int
	var ta, tb bool
	switch shape {
	case "WtX": // out k'×n' = Wᵀ·X: W is K×M (l×k), X is K×N (l×n); here m = k, k = l
		ar, ac, ta = k, m, true
		br, bc = k, n
	case "XHt": // out l×k = X·Hᵀ: X m×k (l×n), H n×k (k×n stored)
		ar, ac = m, k
		br, bc, tb = n, k, true
	default: // plain out m×n = a (m×k) · b (k×n)
		ar, ac = m, k
		br, bc = k, n
	}
	a, err := be.NewMatrix(p, ar, ac)
	if err != nil {
		return nil, err
	}
	b, err := be.NewMatrix(p, br, bc)
	if err != nil {
		return nil, err
	}
	out, err := be.NewMatrix(p, m, n)
	if err != nil {
		return nil, err
	}
	fill := func(mm backend.Matrix, rr, cc int) error {
		d := make([]float64, rr*cc)
		for i := range d {
			d[i] = r.Float64()
		}
		return be.Write(mm, backend.NewHost(p, rr, cc, d))
	}
	if err := fill(a, ar, ac); err != nil {
		return nil, err
	}
	if err := fill(b, br, bc); err != nil {
		return nil, err
	}
	if err := finish(be); err != nil {
		return nil, err
	}
	var ts []float64
	for i := 0; i < c.Warmup+c.Repeats; i++ {
		if ctx.Err() != nil {
			return nil, errCancelled
		}
		t := time.Now()
		if err := be.Mul(out, a, ta, b, tb); err != nil {
			return nil, err
		}
		if err := finish(be); err != nil {
			return nil, err
		}
		if i >= c.Warmup {
			ts = append(ts, float64(time.Since(t).Nanoseconds())/1e6)
		}
	}
	if cb, ok := clblastFor(be); ok {
		ms, err := cb.time(out, a, ta, b, tb, c)
		if err != nil {
			return ts, fmt.Errorf("clblast: %w", err)
		}
		ts = append(ts, -ms) // negative tail: CLBlast's time (see caller)
	}
	return ts, nil
}

// measurer holds the state of one Measure call: the report it fills, the
// devices that opened, and each device's square GEMM rate.
type measurer struct {
	c        *Config
	rep      *Report
	s        sizes
	devs     []string
	gemmRate map[string]float64 // device|prec → GFLOP/s of square GEMM
	r        *rand.Rand
	logw     io.Writer
	last     *host // the last workload's matrices (hostFor)
	lastOf   iterWork
}

func (m *measurer) logf(f string, a ...any) { fmt.Fprintf(m.logw, "bench: "+f+"\n", a...) }

func (m *measurer) note(msg string) { m.rep.Notes = append(m.rep.Notes, msg) }

// Measure runs every workload of c and returns the report.
func Measure(ctx context.Context, c *Config, logw io.Writer) (*Report, error) {
	start := time.Now()
	rep := &Report{Command: "nmf bench " + strings.Join(c.Args, " "), Machine: machine(), Started: start.UTC().Format(time.RFC3339), cfg: c}
	m := &measurer{c: c, rep: rep, s: c.sizes(), gemmRate: map[string]float64{}, r: newRand(1), logw: logw}
	for _, d := range c.Devices {
		b, _, err := nmf.OpenDevice(d, backend.Float32)
		if err != nil {
			msg := fmt.Sprintf("device %s skipped: %v", d, err)
			m.note(msg)
			m.logf("%s", msg)
			continue
		}
		b.Close()
		m.devs = append(m.devs, d)
	}
	if c.Roofline {
		m.measureRoofs()
	}
	// GEMMs: square first (the device's reference rate), then the shapes.
	for _, d := range m.devs {
		for _, prec := range c.Precisions {
			m.gemms(ctx, d, prec)
		}
	}
	if err := m.iterations(ctx); err != nil {
		return nil, err
	}
	if !c.Roofline {
		if err := m.largeData(ctx); err != nil {
			return nil, err
		}
		if err := m.scaling(ctx); err != nil {
			return nil, err
		}
	}
	if len(m.devs) > 0 && !hasCLBlast(rep) {
		m.note(clblastNote())
	}
	m.applyRoofs()
	rep.Duration = time.Since(start).Seconds()
	return rep, nil
}

// gemmShape is one GEMM workload: (m×k)·(k×n), kind saying which operand
// is X's shape ("WtX", "XHt" or "").
type gemmShape struct {
	name        string
	m, n, k     int
	kind, label string
}

func (m *measurer) gemmShapes() []gemmShape {
	s := m.s
	L := s.gemmL
	shapes := []gemmShape{{"square", s.square, s.square, s.square, "", fmt.Sprintf("GEMM %d² square", s.square)}}
	for _, k := range s.gemmK {
		shapes = append(shapes,
			gemmShape{"WH", L, L, k, "", fmt.Sprintf("GEMM W·H (%d×%d)·(%d×%d)", L, k, k, L)},
			gemmShape{"WtX", k, L, L, "WtX", fmt.Sprintf("GEMM Wᵀ·X (%d×%d)ᵀ·(%d×%d)", L, k, L, L)},
			gemmShape{"XHt", L, k, L, "XHt", fmt.Sprintf("GEMM X·Hᵀ (%d×%d)·(%d×%d)ᵀ", L, L, k, L)},
		)
	}
	return shapes
}

// gemms times the GEMM shapes on device d in precision prec.
func (m *measurer) gemms(ctx context.Context, d, prec string) {
	c := m.c
	be, _, err := nmf.OpenDevice(d, precOf(prec))
	if err != nil {
		m.note(fmt.Sprintf("%s %s: %v", d, prec, err))
		return
	}
	defer be.Close()
	for _, sh := range m.gemmShapes() {
		if sh.name != "square" && c.Only != nil && !c.Only.MatchString(sh.label) {
			continue
		}
		m.logf("%s %s %s", d, prec, sh.label)
		ts, err := gemmTimes(ctx, be, prec, sh.m, sh.n, sh.k, sh.kind, c, m.r)
		row := &Row{Kind: "gemm", Workload: sh.label, Device: d, DeviceName: be.Name(), Precision: prec, L: sh.m, N: sh.n, K: sh.k, Repeats: c.Repeats}
		if err != nil {
			row.Note = err.Error()
		}
		if err != nil && ts == nil {
			m.rep.Rows = append(m.rep.Rows, row)
			continue
		}
		var own []float64
		for _, t := range ts {
			if t < 0 {
				row.CLBlastMs = -t
			} else {
				own = append(own, t)
			}
		}
		// A GEMM of (m×k)·(k×n) is 2·m·n·k flops.
		row.Flops = 2 * float64(sh.m) * float64(sh.n) * float64(sh.k)
		row.Bytes = gemmBytes(sh.m, sh.n, sh.k, prec)
		row.MsPerIter = median(own)
		row.GFLOPS = row.Flops / row.MsPerIter / 1e6
		if sh.name == "square" {
			m.gemmRate[d+"|"+prec] = row.GFLOPS
		}
		if g := m.gemmRate[d+"|"+prec]; g > 0 {
			row.FracGEMM = row.GFLOPS / g
		}
		if row.CLBlastMs > 0 {
			row.RatioCLBlast = row.CLBlastMs / row.MsPerIter
			if sh.name != "square" {
				row.Target = 1
			}
		}
		m.rep.Rows = append(m.rep.Rows, row)
	}
}

// iterations times the whole-iteration workloads, then the starts
// (measureStarts) while scikit-learn is up: each workload runs c.Rounds
// rounds, every round a fresh fit from the same start on each device and
// then, with --compare, the same round in scikit-learn, so that the two
// sides of a ratio share the machine's slow and quiet spells.
func (m *measurer) iterations(ctx context.Context) error {
	c := m.c
	var sk *sklearnRun
	if c.Compare {
		var err error
		if sk, err = newSklearnRun(c.Python); err == nil {
			m.logf("starting scikit-learn (%s)", c.Python)
			if err = sk.start(ctx); err != nil {
				sk.close()
				sk = nil
			}
		}
		if err != nil {
			m.note("scikit-learn comparison skipped: " + err.Error())
			m.logf("scikit-learn comparison skipped: %v", err)
		} else {
			m.rep.Sklearn = sk.version
			defer sk.close()
		}
	}
	for _, w := range m.workloads() {
		if c.Only != nil && !c.Only.MatchString(fmt.Sprintf("%s %d×%d k=%d", w.name, w.l, w.n, w.k)) {
			continue
		}
		h := m.hostFor(w)
		for _, prec := range c.Precisions {
			var job *sklearnJob
			if sk != nil && sk.err == nil {
				var err error
				if job, err = sk.add(w, h, prec, c); err != nil {
					m.note("scikit-learn input: " + err.Error())
					job = nil
				}
			}
			if err := m.iteration(ctx, w, h, prec, sk, job); err != nil {
				return err
			}
		}
	}
	if c.Roofline {
		return nil
	}
	return measureStarts(ctx, c, m.devs, sk, m.rep, m.logf)
}

// iterRows returns the rows of workload w in precision prec, one per
// device, with their targets.
func (m *measurer) iterRows(w iterWork, h *host, prec string) []*Row {
	rows := make([]*Row, len(m.devs))
	for i, d := range m.devs {
		rows[i] = &Row{Kind: w.kind, Workload: w.name, Device: d, Precision: prec, L: w.l, N: w.n, K: w.k, NNZ: h.nnz, Repeats: m.c.Repeats, Rounds: m.c.Rounds}
		if w.data == "sparse" {
			rows[i].Workload += fmt.Sprintf(" (%.1f%% nnz)", 100*m.s.density)
		}
		if d == "cpu" && w.kind == "iteration" {
			rows[i].Target = w.target
			if w.data == "dense" {
				rows[i].TargetFracGEMM = fracGEMMTarget(prec)
			}
		}
		m.setRoofTargets(w, rows[i])
	}
	return rows
}

// iteration times workload w in precision prec on every device and, with
// job, in scikit-learn, round by round, and adds its rows to the report.
func (m *measurer) iteration(ctx context.Context, w iterWork, h *host, prec string, sk *sklearnRun, job *sklearnJob) error {
	c := m.c
	rows := m.iterRows(w, h, prec)
	own := make([][]float64, len(m.devs))
	var skTimes []float64
	in := newFitInput(h, prec)
	for r := 1; r <= c.Rounds; r++ {
		for i, d := range m.devs {
			if rows[i].Note != "" {
				continue
			}
			if ctx.Err() != nil {
				return errCancelled
			}
			m.logf("%s %s %s %d×%d k=%d, round %d/%d", d, prec, w.name, w.l, w.n, w.k, r, c.Rounds)
			ts, db, name, err := timeFit(ctx, d, prec, in, w, c)
			if err != nil {
				rows[i].Note = err.Error()
				m.logf("%s", err)
				continue
			}
			rows[i].DeviceName, rows[i].DeviceBytes = name, db
			own[i] = append(own[i], ts...)
		}
		if job != nil && sk.err == nil {
			if ctx.Err() != nil {
				return errCancelled
			}
			m.logf("scikit-learn %s %s %d×%d k=%d, round %d/%d", prec, w.name, w.l, w.n, w.k, r, c.Rounds)
			c.pause()
			ts, err := sk.time(job)
			if err != nil {
				m.note("scikit-learn comparison failed: " + err.Error())
				m.logf("scikit-learn: %v", err)
				continue
			}
			skTimes = append(skTimes, ts...)
		}
	}
	for i, d := range m.devs {
		row := rows[i]
		if len(own[i]) > 0 {
			row.MsPerIter = median(own[i])
			row.Flops = iterFlops(w, h.nnz)
			row.Bytes = iterBytes(w, h.nnz, prec)
			row.GFLOPS = row.Flops / row.MsPerIter / 1e6
			if g := m.gemmRate[d+"|"+prec]; g > 0 {
				row.FracGEMM = row.GFLOPS / g
			}
			if len(skTimes) > 0 {
				row.SklearnMs = median(skTimes)
				row.Ratio = row.SklearnMs / row.MsPerIter
			}
		}
		m.rep.Rows = append(m.rep.Rows, row)
	}
	return nil
}

func hasCLBlast(rep *Report) bool {
	for _, r := range rep.Rows {
		if r.CLBlastMs > 0 {
			return true
		}
	}
	return false
}
