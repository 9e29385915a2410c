package bench

import (
	"fmt"
	"strings"
	"testing"
)

// TestRunTargets checks the run-wide verdicts on rows made up by hand.
func TestRunTargets(t *testing.T) {
	rows := []*Row{
		{Kind: "iteration", Device: "cpu", Precision: "float32", Target: 1, Ratio: 1.2},
		{Kind: "iteration", Device: "cpu", Precision: "float32", Target: 1.5, Ratio: 2.0},
		{Kind: "iteration", Device: "cpu", Precision: "float64", Target: 1.5, Ratio: 3.0},
		{Kind: "iteration", Device: "opencl:0:0", Precision: "float64", Target: 0, Ratio: 9},
		{Kind: "growth", Device: "cpu", Precision: "float32", L: 500, N: 500, K: 32, MsPerIter: 1},
		{Kind: "growth", Device: "cpu", Precision: "float32", L: 4000, N: 4000, K: 32, MsPerIter: 64 * 1.3},
		{Kind: "growth", Device: "cpu", Precision: "float32", L: 1000, N: 1000, K: 32, MsPerIter: 4},
	}
	if m, n := medianRatio(rows, ""); m != 2 || n != 3 {
		t.Errorf("median over both precisions = %v over %d rows, want 2 over 3", m, n)
	}
	if m, n := medianRatio(rows, "float32"); m != 1.6 || n != 2 {
		t.Errorf("median over float32 = %v over %d rows, want 1.6 over 2", m, n)
	}
	g := growthLines(rows)
	if len(g) != 1 || g[0].from.L != 500 || g[0].to.L != 4000 || g[0].ratio < 1.2999 || g[0].ratio > 1.3001 {
		t.Fatalf("growth lines = %+v, want one from 500 to 4000 of 1.3×", g)
	}
	var b strings.Builder
	r := &Report{Rows: rows}
	r.writeRunTargets(func(f string, a ...any) { fmt.Fprintf(&b, f, a...) })
	for _, want := range []string{"| 2.00× | met (≥1.5×) |", "| 1.30× | NOT met (>1.2×) |"} {
		if !strings.Contains(b.String(), want) {
			t.Errorf("targets lack %q:\n%s", want, b.String())
		}
	}
	if fracVerdict(0.49, 0.5) != "NOT met (<50 %)" || fracVerdict(0.6, 0.6) != "met (≥60 %)" {
		t.Errorf("fracVerdict: %q, %q", fracVerdict(0.49, 0.5), fracVerdict(0.6, 0.6))
	}
}
