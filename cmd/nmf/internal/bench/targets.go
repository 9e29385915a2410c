package bench

import (
	"fmt"
	"sort"
)

// The run-wide targets (issue 15), computed from the rows: the median ratio
// against scikit-learn over the cpu workloads, the share of the GEMM rate
// dense iterations reach, and the growth of the time per unit of l·n·k.

// fracVerdict is verdict for a share of the GEMM rate.
func fracVerdict(frac, target float64) string {
	switch {
	case target == 0:
		return ""
	case frac == 0:
		return "not measured"
	case frac >= target:
		return fmt.Sprintf("met (≥%.0f %%)", 100*target)
	}
	return fmt.Sprintf("NOT met (<%.0f %%)", 100*target)
}

// medianTarget is the least median ratio over the workloads.
const medianTarget = 1.5

// medianRatio is the median of the ratios against scikit-learn of the cpu
// iteration rows with a target, in precision prec ("" for both), and how
// many rows it is over.
func medianRatio(rows []*Row, prec string) (float64, int) {
	var rs []float64
	for _, x := range rows {
		if x.Kind == "iteration" && x.Device == "cpu" && x.Target > 0 && x.Ratio > 0 && (prec == "" || x.Precision == prec) {
			rs = append(rs, x.Ratio)
		}
	}
	if len(rs) == 0 {
		return 0, 0
	}
	return median(rs), len(rs)
}

// growthLine is the growth of one device and precision: the time per unit
// of l·n·k at the largest size over that at the smallest.
type growthLine struct {
	device, precision string
	from, to          *Row
	ratio             float64
}

func growthLines(rows []*Row) []growthLine {
	type key struct{ d, p string }
	var keys []key
	ends := map[key][2]*Row{}
	perLNK := func(x *Row) float64 { return x.MsPerIter / (float64(x.L) * float64(x.N) * float64(x.K)) }
	for _, x := range rows {
		if x.Kind != "growth" || x.MsPerIter == 0 {
			continue
		}
		k := key{x.Device, x.Precision}
		e, seen := ends[k]
		if !seen {
			keys = append(keys, k)
			e = [2]*Row{x, x}
		}
		size := func(r *Row) int { return r.L * r.N * r.K }
		if size(x) < size(e[0]) {
			e[0] = x
		}
		if size(x) > size(e[1]) {
			e[1] = x
		}
		ends[k] = e
	}
	var out []growthLine
	for _, k := range keys {
		e := ends[k]
		if e[0] == e[1] {
			continue
		}
		out = append(out, growthLine{k.d, k.p, e[0], e[1], perLNK(e[1]) / perLNK(e[0])})
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].device < out[j].device })
	return out
}

// writeRunTargets writes the Targets section's run-wide rows: the share of
// GEMM of each dense cpu iteration, the median ratios and the growth.
func (r *Report) writeRunTargets(p func(string, ...any)) {
	p("\n| target | workload | device | precision | ours GFLOP/s | GEMM GFLOP/s | share | verdict |\n|---|---|---|---|---|---|---|---|\n")
	for _, x := range r.Rows {
		if x.TargetFracGEMM == 0 {
			continue
		}
		gemm := 0.0
		if x.FracGEMM > 0 {
			gemm = x.GFLOPS / x.FracGEMM
		}
		p("| ≥%.0f %% of GEMM | %s %s | %s | %s | %s | %s | %s | %s |\n", 100*x.TargetFracGEMM, x.Workload, shape(x), x.Device, x.Precision,
			fmtF(x.GFLOPS, 1), fmtF(gemm, 1), fmtF(x.FracGEMM, 2), fracVerdict(x.FracGEMM, x.TargetFracGEMM))
	}
	p("\n| target | over | value | verdict |\n|---|---|---|---|\n")
	for _, prec := range []string{"", "float32", "float64"} {
		m, n := medianRatio(r.Rows, prec)
		if n == 0 {
			continue
		}
		what := "both precisions"
		if prec != "" {
			what = prec
		}
		p("| median ratio ≥%.1f× scikit-learn | %d cpu workloads, %s | %.2f× | %s |\n", medianTarget, n, what, m, verdict(m, medianTarget))
	}
	for _, g := range growthLines(r.Rows) {
		v := fmt.Sprintf("met (≤%.1f×)", growthTarget)
		if g.ratio > growthTarget {
			v = fmt.Sprintf("NOT met (>%.1f×)", growthTarget)
		}
		p("| growth of ms per l·n·k ≤%.1f× | mu Frobenius %d×%d → %d×%d k=%d, %s %s | %.2f× | %s |\n", growthTarget,
			g.from.L, g.from.N, g.to.L, g.to.N, g.to.K, g.device, g.precision, g.ratio, v)
	}
}
