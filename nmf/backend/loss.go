package backend

import (
	"fmt"
	"math"
)

// This file is the one home of the β-divergence's algebra that every
// backend shares: how scikit-learn 1.2's multiplicative update treats a
// given β (the ratio's mode, the clamps, γ, the flushes) and how the sums a
// backend forms combine into _beta_divergence's value. The backends form
// the terms; they do not re-derive these rules.

// MUMode says how the ratio X ⊙ V^(β−2) of the multiplicative update is
// formed. The values are those of the MU_* defines of kernels/common.cl,
// which the gpu backend passes to its kernels from these constants
// (KernelDefines).
type MUMode int32

const (
	MUGeneral MUMode = 0 // pow(V, β−2)·X
	MUKL      MUMode = 1 // X / V        (β = 1)
	MUIS      MUMode = 2 // (1/V)²·X     (β = 0)
)

// MUModeOf returns the ratio's mode for β. Frobenius (β = 2) is MUGeneral:
// backends that take its own path (X·Hᵀ and W·(H·Hᵀ)) never form the ratio.
func MUModeOf(beta float64) MUMode {
	switch beta {
	case 1:
		return MUKL
	case 0:
		return MUIS
	}
	return MUGeneral
}

// MU is how scikit-learn 1.2's _multiplicative_update_w / _h and
// _fit_multiplicative_update treat one β.
type MU struct {
	Beta float64
	Mode MUMode
	// RatioExp is β−2, the exponent of V in the numerator's ratio;
	// DenExp is β−1, the exponent of U in the denominator.
	RatioExp, DenExp float64
	// ClampV (β < 2): zeros of V = W·H become Epsilon before the ratio.
	// ClampU (β < 1): zeros of U = W·H become Epsilon before U^(β−1).
	ClampV, ClampU bool
	// Gamma is the exponent of the step, Gamma(β).
	Gamma float64
	// FlushW and FlushH are the thresholds below which entries of W and
	// H are set to zero after their steps (0: no flush), Flush(side, β).
	FlushW, FlushH float64
}

// MUFor returns the multiplicative update's treatment of β.
func MUFor(beta float64) MU {
	return MU{
		Beta:     beta,
		Mode:     MUModeOf(beta),
		RatioExp: beta - 2,
		DenExp:   beta - 1,
		ClampV:   beta < 2,
		ClampU:   beta < 1,
		Gamma:    Gamma(beta),
		FlushW:   Flush(SideW, beta),
		FlushH:   Flush(SideH, beta),
	}
}

// Gamma is scikit-learn's _gamma(β), the exponent of the multiplicative
// step that makes it a majorisation-minimisation: 1/(2−β) for β < 1,
// 1/(β−1) for β > 2, and 1 in between.
func Gamma(beta float64) float64 {
	switch {
	case beta < 1:
		return 1 / (2 - beta)
	case beta > 2:
		return 1 / (beta - 1)
	}
	return 1
}

// Flush is the threshold below which entries of the factor on side are set
// to zero after its multiplicative step: FlushBelow for W when β < 1 and
// for H when β ≤ 1 (as scikit-learn 1.2 does), 0 (no flush) otherwise.
func Flush(side Side, beta float64) float64 {
	if beta < 1 || side == SideH && beta == 1 {
		return FlushBelow
	}
	return 0
}

// DivMode says which form of the β-divergence a backend evaluates. The
// values are those of the DIV_* defines of kernels/common.cl.
type DivMode int32

const (
	DivGeneral DivMode = 0 // β ∉ {0, 1, 2}
	DivKL      DivMode = 1 // β = 1
	DivIS      DivMode = 2 // β = 0
	DivFro     DivMode = 3 // β = 2
)

// DivModeOf returns the divergence's form for β.
func DivModeOf(beta float64) DivMode {
	switch beta {
	case 2:
		return DivFro
	case 1:
		return DivKL
	case 0:
		return DivIS
	}
	return DivGeneral
}

// KernelDefines returns the mode constants as OpenCL build options
// ("-DMU_KL=1", ...), in a fixed order, so that kernels use the same values
// as the host.
func KernelDefines() []string {
	return []string{
		fmt.Sprintf("-DMU_GENERAL=%d", MUGeneral),
		fmt.Sprintf("-DMU_KL=%d", MUKL),
		fmt.Sprintf("-DMU_IS=%d", MUIS),
		fmt.Sprintf("-DDIV_GENERAL=%d", DivGeneral),
		fmt.Sprintf("-DDIV_KL=%d", DivKL),
		fmt.Sprintf("-DDIV_IS=%d", DivIS),
		fmt.Sprintf("-DDIV_FRO=%d", DivFro),
	}
}

// DivSums are the sums of scikit-learn 1.2's _beta_divergence(X, W, H, β)
// that a backend forms, with V = W·H; in the terms in X, only entries with
// x > Epsilon count, and a zero v there is Epsilon. Finish combines them in
// scikit-learn's order.
//
//	β = 2:  A = Σ (x − v)² over every entry
//	β = 1:  A = Σ x·log(x/v),  B = Σ x,          WH = Σ W·H
//	β = 0:  A = Σ x/v,         B = Σ log(x/v)
//	other:  A = Σ x^β,         B = Σ x·v^(β−1),  WH = Σ (W·H)^β
//
// A backend that forms some of these already combined (the whole term in
// x, say, x·log(x/v) − x) puts the combination in A and leaves the parts it
// folded in zero: Finish then adds nothing to it but the remaining sums.
type DivSums struct {
	A, B, WH float64
	// Size is the number of entries of X, l·n (β = 0).
	Size float64
}

// Finish returns the divergence from its sums, without the square root:
//
//	β = 2:  A / 2
//	β = 1:  A + WH − B
//	β = 0:  A − Size − B
//	other:  (A − β·B + (β−1)·WH) / (β(β−1))
func (s DivSums) Finish(beta float64) float64 {
	switch DivModeOf(beta) {
	case DivFro:
		return s.A / 2
	case DivKL:
		return s.A + s.WH - s.B
	case DivIS:
		return s.A - s.Size - s.B
	}
	res := s.A - beta*s.B
	res += s.WH * (beta - 1)
	return res / (beta * (beta - 1))
}

// FrobeniusFromGram is the Frobenius divergence ‖X − W·H‖²/2 without W·H,
// as scikit-learn forms it for sparse X:
//
//	(‖X‖² + Σ (WᵀW·H) ⊙ H − 2·Σ (X·Hᵀ) ⊙ W) / 2
//
// from normX = ‖X‖², normWH = Σ (WᵀW·H) ⊙ H and cross = Σ (X·Hᵀ) ⊙ W.
func FrobeniusFromGram(normX, normWH, cross float64) float64 {
	return (normX + normWH - 2*cross) / 2
}

// ReconstructionErr is the error scikit-learn reports for a divergence d
// (what Backend.Divergence returns): sqrt(2·d), a negative d (rounding)
// taken as zero.
func ReconstructionErr(d float64) float64 { return math.Sqrt(2 * math.Max(d, 0)) }
