package backend

import (
	"math"
	"slices"
	"testing"
)

// TestMUFor checks the rules scikit-learn 1.2's _nmf.py applies per β:
// _gamma, the flushes of _fit_multiplicative_update, the clamps of
// _multiplicative_update_w/_h.
func TestMUFor(t *testing.T) {
	for _, c := range []struct {
		beta, gamma    float64
		mode           MUMode
		flushW, flushH bool
		clampV, clampU bool
	}{
		{-1, 1.0 / 3, MUGeneral, true, true, true, true},
		{0, 0.5, MUIS, true, true, true, true},
		{0.5, 1 / 1.5, MUGeneral, true, true, true, true},
		{1, 1, MUKL, false, true, true, false},
		{1.5, 1, MUGeneral, false, false, true, false},
		{2, 1, MUGeneral, false, false, false, false},
		{3, 0.5, MUGeneral, false, false, false, false},
	} {
		m := MUFor(c.beta)
		flush := func(b bool) float64 {
			if b {
				return FlushBelow
			}
			return 0
		}
		if m.Gamma != c.gamma || m.Mode != c.mode || m.FlushW != flush(c.flushW) || m.FlushH != flush(c.flushH) ||
			m.ClampV != c.clampV || m.ClampU != c.clampU || m.RatioExp != c.beta-2 || m.DenExp != c.beta-1 {
			t.Errorf("MUFor(%v) = %+v, want %+v", c.beta, m, c)
		}
	}
}

func TestDivModeOf(t *testing.T) {
	for beta, want := range map[float64]DivMode{2: DivFro, 1: DivKL, 0: DivIS, 0.5: DivGeneral, 3: DivGeneral, -1: DivGeneral} {
		if got := DivModeOf(beta); got != want {
			t.Errorf("DivModeOf(%v) = %v, want %v", beta, got, want)
		}
	}
}

// TestFinish checks the divergence's finish on sums small enough to write
// out by hand, against scikit-learn's formulas.
func TestFinish(t *testing.T) {
	s := DivSums{A: 10, B: 3, WH: 7, Size: 6}
	for _, c := range []struct{ beta, want float64 }{
		{2, 5},                                   // A/2
		{1, 10 + 7 - 3},                          // A + Σ W·H − Σ X
		{0, 10 - 6 - 3},                          // A − l·n − Σ log
		{3, (10 - 3*3 + 7*2) / 6.0},              // (A − βB + (β−1)WH)/(β(β−1))
		{0.5, (10 - 0.5*3 + 7*(-0.5)) / (-0.25)}, // the same for β < 1
	} {
		if got := s.Finish(c.beta); math.Abs(got-c.want) > 1e-15*math.Abs(c.want) {
			t.Errorf("Finish(β=%v) = %v, want %v", c.beta, got, c.want)
		}
	}
	// Sums pre-combined into A (the rest zero) finish exactly.
	if got := (DivSums{A: 1.25}).Finish(1); got != 1.25 {
		t.Errorf("Finish(β=1) of A alone = %v, want 1.25", got)
	}
	if got := (DivSums{A: 1.25}).Finish(3); got != 1.25/6 {
		t.Errorf("Finish(β=3) of A alone = %v, want 1.25/6", got)
	}
	if got := FrobeniusFromGram(9, 4, 2); got != 4.5 {
		t.Errorf("FrobeniusFromGram(9, 4, 2) = %v, want 4.5", got)
	}
	if got := ReconstructionErr(-1e-18); got != 0 {
		t.Errorf("ReconstructionErr of a rounding negative = %v, want 0", got)
	}
	if got := ReconstructionErr(8); got != 4 {
		t.Errorf("ReconstructionErr(8) = %v, want 4", got)
	}
}

func TestKernelDefines(t *testing.T) {
	got := KernelDefines()
	want := []string{"-DMU_GENERAL=0", "-DMU_KL=1", "-DMU_IS=2", "-DDIV_GENERAL=0", "-DDIV_KL=1", "-DDIV_IS=2", "-DDIV_FRO=3"}
	if !slices.Equal(got, want) {
		t.Errorf("KernelDefines() = %q, want %q", got, want)
	}
}
