package bench

import (
	"fmt"
	"io"
	"strings"
)

// The output of `nmf bench --roofline`: the devices' rooflines, every row
// against its device's, and the targets' verdicts.

func pct(v float64) string {
	if v == 0 {
		return "–"
	}
	return fmt.Sprintf("%.1f %%", 100*v)
}

// rooflineModel says how the roofline figures are made, for the reports.
const rooflineModel = `Peak: compute units × clock (CL_DEVICE_MAX_COMPUTE_UNITS, CL_DEVICE_MAX_CLOCK_FREQUENCY) × float32 flops per unit per clock from a per-vendor table (the source line says what was assumed; --flops-per-cu or --peak-gflops override it). Copy: clEnqueueCopyBuffer between two device buffers, bytes read plus written per second, timed on the host over batches that end in clFinish (best of three). GFLOP/s count products only, as nmf bench does. Bytes are modelled: a GEMM reads each operand and writes the product once; a dense iteration reads X once per factor update and each update's factor, numerator and denominator product once; a sparse iteration reads, per update, every nonzero (value, 4-byte index), the row pointers and, per nonzero, the W row and H column it combines (2k values: an implementation that gets no reuse of the factors from caches moves these; reuse can put a kernel above 100 %). "Bound" is the lower roof at the row's flop/B, and "of roof" GFLOP/s over min(peak, flop/B × copy rate).`

// WriteRoofline writes a --roofline run as markdown.
func (r *Report) WriteRoofline(w io.Writer) error {
	b := &strings.Builder{}
	p := func(f string, a ...any) { fmt.Fprintf(b, f, a...) }
	p("# nmf bench --roofline\n\n`%s`, %s, %.0f s. Each time is the median over %d round(s) × %d iteration(s) after %d warm-up (GEMMs: %d repeats).\n\n",
		r.Command, r.Started, r.Duration, r.cfg.Rounds, r.cfg.Repeats, r.cfg.Warmup, r.cfg.Repeats)
	p("- CPU: %s, %d cores (%s, %s)\n", r.Machine.CPU, r.Machine.Cores, r.Machine.OS, r.Machine.Go)
	for _, d := range r.Machine.OpenCL {
		p("- OpenCL %s\n", d)
	}
	if r.Sklearn != "" {
		p("- Compared with %s (%s)\n", r.Sklearn, r.cfg.Python)
	}
	p("\n## Device rooflines\n\n")
	r.writeRoofs(p)
	p("\n%s\n\n## Rows against the roofline\n\n", rooflineModel)
	r.writeRoofRows(p)
	p("\n## Targets\n\n")
	r.writeRoofTargets(p)
	if len(r.Notes) > 0 {
		p("\n## Notes\n\n")
		for _, n := range r.Notes {
			p("- %s\n", n)
		}
	}
	_, err := io.WriteString(w, b.String())
	return err
}

func (r *Report) writeRoofs(p func(string, ...any)) {
	if len(r.Roofs) == 0 {
		p("No OpenCL device was measured.\n")
		return
	}
	p("| device | name | compute units | clock MHz | flops per unit per clock | float32 peak GFLOP/s | copy GB/s (measured) | copy buffers MiB | ridge flop/B |\n|---|---|---|---|---|---|---|---|---|\n")
	for _, d := range r.Roofs {
		p("| %s | %s | %d | %d | %g | %s | %s | %s | %s |\n", d.Device, d.Name, d.ComputeUnits, d.ClockMHz, d.FlopsPerCUClock,
			fmtF(d.PeakGFLOPS, 0), fmtF(d.CopyGBps, 1), mib(d.CopyBytes), fmtF(d.Ridge(), 1))
	}
	p("\n")
	for _, d := range r.Roofs {
		p("- %s peak: %s.", d.Device, d.PeakSource)
		if d.Note != "" {
			p(" %s.", d.Note)
		}
		p("\n")
	}
}

func (r *Report) writeRoofRows(p func(string, ...any)) {
	p("| workload | shape | device | ms/iter | GFLOP/s | of peak | GB/s | of copy rate | flop/B | bound | of roof | scikit-learn ms | ratio |\n|---|---|---|---|---|---|---|---|---|---|---|---|---|\n")
	for _, x := range r.Rows {
		f := x.Roof
		if f == nil {
			f = &RoofRow{}
		}
		note := ""
		if x.Note != "" {
			note = " (" + x.Note + ")"
		}
		p("| %s%s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |\n", x.Workload, note, shape(x), x.Device,
			fmtF(x.MsPerIter, 3), fmtF(x.GFLOPS, 1), pct(f.FracPeak), fmtF(f.GBps, 1), pct(f.FracBW), fmtF(f.Intensity, 1),
			f.Bound, pct(f.FracRoof), fmtF(x.SklearnMs, 1), fmtF(x.Ratio, 1))
	}
}

// roofVerdict is the verdict of a share against its least value.
func roofVerdict(frac, target float64, measured bool) string {
	switch {
	case !measured || frac == 0:
		return "not measured"
	case frac >= target:
		return fmt.Sprintf("met (≥%.0f %%)", 100*target)
	}
	return fmt.Sprintf("NOT met (<%.0f %%)", 100*target)
}

func (r *Report) writeRoofTargets(p func(string, ...any)) {
	p("| target | workload | device | value | verdict |\n|---|---|---|---|---|\n")
	n := 0
	for _, x := range r.Rows {
		f := x.Roof
		if f == nil || f.Target == 0 {
			continue
		}
		n++
		what, val := "of the float32 peak", f.FracPeak
		if f.TargetOf == "bandwidth" {
			what, val = "of the bandwidth bound (copy rate)", f.FracBW
		}
		label := x.Workload + " " + shape(x)
		p("| ≥%.0f %% %s | %s | %s | %s | %s |\n", 100*f.Target, what, label, x.Device, pct(val), roofVerdict(val, f.Target, x.MsPerIter > 0))
		ratio := "–"
		if x.Ratio > 0 {
			ratio = fmt.Sprintf("%.1f×", x.Ratio)
		}
		p("| ≥%.0f× scikit-learn | %s | %s | %s | %s |\n", x.Target, label, x.Device, ratio, verdict(x.Ratio, x.Target))
	}
	if n == 0 {
		p("| – | no row has a target: they are float32 rows on an OpenCL device | – | – | – |\n")
	}
	if r.Sklearn == "" {
		p("\nscikit-learn was not timed in this run (--compare not given, or it failed: see Notes), so the ratios are not measured.\n")
	}
}

// writeRoofTable writes the roofline figures after the plain table.
func (r *Report) writeRoofTable(w io.Writer) error {
	b := &strings.Builder{}
	p := func(f string, a ...any) { fmt.Fprintf(b, f, a...) }
	p("\n")
	r.writeRoofs(p)
	p("\n")
	r.writeRoofRows(p)
	p("\n")
	r.writeRoofTargets(p)
	_, err := io.WriteString(w, b.String())
	return err
}
