package bench

import (
	"flag"
	"fmt"
	"math"

	"github.com/clnmf/clnmf/nmf"
)

// What `nmf bench --roofline` runs: the GEMM shapes of an iteration and the
// whole iterations the GPU targets name (mu Frobenius, mu KL, cd; mu KL on
// sparse X), in float32, at a size that fills a GPU — l = n = 20000, k = 64
// (--size sets l = n; --quick makes it 400) — generated in memory, and at
// 2000² beside it when the large size is larger.

// rooflineK is the components of every roofline workload (issue 17's
// targets are stated at k = 64).
const rooflineK = 64

// sizes returns the workload sizes of c.
func (c *Config) sizes() sizes {
	if c.Roofline {
		return rooflineSizes(c)
	}
	return sizesFor(c.Quick)
}

// rooflineSizes are --roofline's sizes; the device-filling dense shape is
// the last of dense (fillShape). The sparse X is 5L × 2.5L with 0.2 %
// nonzeros: 10⁷ at L = 20000.
func rooflineSizes(c *Config) sizes {
	l := c.Size
	if l == 0 {
		l = 20000
		if c.Quick {
			l = 400
		}
	}
	s := sizes{
		square: min(4096, l), gemmL: l, gemmK: []int{rooflineK},
		dense:  [][3]int{{l, l, rooflineK}},
		sparse: [3]int{5 * l, 5 * l / 2, rooflineK}, density: 0.002,
	}
	if l > 2000 {
		s.dense = [][3]int{{2000, 2000, rooflineK}, {l, l, rooflineK}}
	}
	return s
}

func fillShape(s sizes) [3]int { return s.dense[len(s.dense)-1] }

// workloads are the whole-iteration workloads of the run: with --roofline
// the dense mu Frobenius, mu KL and cd rows and the sparse mu KL row of
// iterWorkloads.
func (m *measurer) workloads() []iterWork {
	all := iterWorkloads(m.s)
	if !m.c.Roofline {
		return all
	}
	var ws []iterWork
	for _, w := range all {
		dense := w.data == "dense" && (w.beta == 2 || w.beta == 1 && w.solver == nmf.MU)
		sparseKL := w.data == "sparse" && w.beta == 1
		if w.kind == "iteration" && (dense || sparseKL) {
			ws = append(ws, w)
		}
	}
	return ws
}

// hostFor returns makeHost(w, density), reusing the last workload's
// matrices when w has the same data and shape: makeHost depends on nothing
// else, and --roofline's three dense workloads of a size share one X of
// l·n values (4·10⁸ at 20000²).
func (m *measurer) hostFor(w iterWork) *host {
	p := m.lastOf
	if m.last == nil || p.data != w.data || p.l != w.l || p.n != w.n || p.k != w.k {
		m.last, m.lastOf = makeHost(w, m.s.density), w
	}
	return m.last
}

// The targets at the device-filling size, for an OpenCL device in
// float32: shares of the float32 peak, of the copy bandwidth, and the
// least ratio to scikit-learn on the same machine.
const (
	targetPeakFrobenius = 0.5 // mu Frobenius and cd
	targetPeakKL        = 0.3 // mu KL, dense
	targetBWSparseKL    = 0.5 // mu KL, sparse: of the bandwidth bound
	targetGPUSklearn    = 20
)

// setRoofTargets gives row (workload w) its roofline targets when it is one
// the issue names: float32 on an OpenCL device, at the device-filling size
// for dense X.
func (m *measurer) setRoofTargets(w iterWork, row *Row) {
	if !m.c.Roofline || row.Device == "cpu" || row.Precision != "float32" || w.kind != "iteration" {
		return
	}
	r := &RoofRow{}
	switch fill := fillShape(m.s); {
	case w.data == "sparse" && w.beta == 1:
		r.Target, r.TargetOf = targetBWSparseKL, "bandwidth"
	case w.data != "dense" || [3]int{w.l, w.n, w.k} != fill:
		return
	case w.beta == 2:
		r.Target, r.TargetOf = targetPeakFrobenius, "peak"
	case w.beta == 1:
		r.Target, r.TargetOf = targetPeakKL, "peak"
	default:
		return
	}
	row.Roof, row.Target = r, targetGPUSklearn
}

// measureRoofs finds each OpenCL device's peak and measures its copy
// bandwidth (Report.Roofs); a device that fails gets a note.
func (m *measurer) measureRoofs() {
	for _, d := range m.devs {
		dev, full, ok, err := clDevice(d)
		if err != nil || !ok {
			msg := fmt.Sprintf("%s: no roofline (not an OpenCL device)", d)
			if err != nil {
				msg = fmt.Sprintf("%s: no roofline: %v", d, err)
			}
			m.note(msg)
			continue
		}
		r := newDeviceRoof(d, dev, m.c)
		m.logf("%s (%s): copy bandwidth", d, full)
		gbps, size, err := copyBandwidth(dev, m.c.Quick)
		if err != nil {
			r.Note = err.Error()
			m.note(fmt.Sprintf("%s: %v", d, err))
		}
		r.CopyGBps, r.CopyBytes = gbps, size
		m.rep.Roofs = append(m.rep.Roofs, r)
	}
}

// applyRoofs puts every row of a device with a roofline against it,
// keeping the targets setRoofTargets gave.
func (m *measurer) applyRoofs() {
	for _, x := range m.rep.Rows {
		for _, d := range m.rep.Roofs {
			if d.Device != x.Device || x.Bytes == 0 {
				continue
			}
			r := roof(x, d)
			if x.Roof != nil {
				r.Target, r.TargetOf = x.Roof.Target, x.Roof.TargetOf
			}
			x.Roof = r
		}
	}
}

// addRooflineFlags registers --roofline's flags on fs.
func addRooflineFlags(fs *flag.FlagSet, c *Config) {
	fs.BoolVar(&c.Roofline, "roofline", false, "")
	fs.IntVar(&c.Size, "size", 0, "")
	fs.Float64Var(&c.PeakGFLOPS, "peak-gflops", 0, "")
	fs.Float64Var(&c.FlopsPerCU, "flops-per-cu", 0, "")
}

// checkRoofline checks --roofline's flags after parsing; without
// --precision, --roofline measures float32 (its peak is float32's).
func checkRoofline(fs *flag.FlagSet, c *Config) error {
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
	if !c.Roofline {
		for _, f := range []string{"size", "peak-gflops", "flops-per-cu"} {
			if set[f] {
				return &UsageError{Msg: "--" + f + " needs --roofline"}
			}
		}
		return nil
	}
	if !set["precision"] {
		c.Precisions = []string{"float32"}
	}
	switch {
	case c.Tune:
		return &UsageError{Msg: "--roofline and --tune exclude each other"}
	case set["size"] && (c.Size < 16 || c.Size > 50000):
		return &UsageError{Msg: fmt.Sprintf("--size %d: want l = n from 16 to 50000 (X is generated in memory: l·n values)", c.Size)}
	case !nonNegativeFinite(c.PeakGFLOPS) || !nonNegativeFinite(c.FlopsPerCU):
		return &UsageError{Msg: fmt.Sprintf("--peak-gflops %v, --flops-per-cu %v: want positive numbers (or 0: from the device)", c.PeakGFLOPS, c.FlopsPerCU)}
	}
	return checkRooflineMemory(c)
}

// availableMemory is nmf.AvailableMemory (tests replace it).
var availableMemory = nmf.AvailableMemory

// checkRooflineMemory refuses a --roofline size whose X, generated on the
// host in float64 with a float32 copy (12 bytes a value), does not fit in
// the memory available.
func checkRooflineMemory(c *Config) error {
	l := int64(fillShape(rooflineSizes(c))[0])
	need := 12 * l * l
	if avail, ok := availableMemory(); ok && need > avail {
		return &UsageError{Msg: fmt.Sprintf("--roofline at l = n = %d generates X on the host: %s (float64 and a float32 copy), more than the %s available; give a smaller --size",
			l, nmf.FormatBytes(need), nmf.FormatBytes(avail))}
	}
	return nil
}

// nonNegativeFinite says v is a finite number ≥ 0 (NaN fails v >= 0; a flag
// may parse NaN or Inf).
func nonNegativeFinite(v float64) bool { return v >= 0 && !math.IsInf(v, 0) }
