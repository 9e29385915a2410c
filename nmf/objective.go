package nmf

import (
	"math"

	"github.com/clnmf/clnmf/nmf/backend"
)

// The regularised objective is scikit-learn's NMF objective,
//
//	D_β(X, W·H) + l1_W·Σ|W| + l1_H·Σ|H| + ½·l2_W·‖W‖² + ½·l2_H·‖H‖²
//
// (_beta_divergence plus the penalties with the Params' L1Reg/L2Reg, whose
// gradients are the terms the updates add), given in the units of the
// reconstruction error: sqrt(2·objective), which equals the error when no
// penalty applies.

// objective is sqrt(2·(D + pen)) for the reconstruction error e =
// sqrt(2·D) and the penalty pen; e itself when pen is 0.
func objective(e, pen float64) float64 {
	if pen == 0 {
		return e
	}
	return math.Sqrt(e*e + 2*pen)
}

// penaltyOf is the penalty of a host matrix (sums is in minibatch_step.go).
func penaltyOf(m backend.HostMatrix, l1, l2 float64) float64 {
	var s, s2 float64
	switch d := m.(type) {
	case *Dense[float32]:
		s, s2 = sums(d.Data)
	case *Dense[float64]:
		s, s2 = sums(d.Data)
	}
	return penaltyFrom(s, s2, l1, l2)
}

// penaltyFrom is l1·Σv + ½·l2·Σv² from s = Σv and s2 = Σv² (v is
// nonnegative, so Σv is Σ|v|).
func penaltyFrom(s, s2, l1, l2 float64) float64 { return l1*s + 0.5*l2*s2 }

// penalty is the penalty of the factors the problem solves for (a held
// factor's is a constant, left out), from their sums on the backends
// holding them (Backend.Sums; nothing is copied to the host); 0 when no
// penalty applies. The factor held in panels (W's rows, or H's columns
// with column panels) is spread over the processes of a distributed fit,
// so its part is summed over them; the shared one is the same on every
// process.
func (pr *problem) penalty(w, h backend.Matrix) (float64, error) {
	pen := 0.0
	if pr.updateW && (pr.p.L1RegW != 0 || pr.p.L2RegW != 0) {
		var parts []factorPart
		if pr.ps != nil && !pr.ps.cols {
			for _, pn := range pr.ps.panels {
				parts = append(parts, factorPart{pn.m.b, pn.w})
			}
		} else {
			parts = []factorPart{{pr.b, w}}
		}
		p, err := pr.factorPenalty("W", parts, !pr.cols(), pr.p.L1RegW, pr.p.L2RegW)
		if err != nil {
			return 0, err
		}
		pen += p
	}
	if pr.updateH && (pr.p.L1RegH != 0 || pr.p.L2RegH != 0) {
		var parts []factorPart
		if pr.cols() {
			for _, pn := range pr.ps.panels {
				parts = append(parts, factorPart{pn.m.b, pn.hp})
			}
		} else {
			parts = []factorPart{{pr.b, h}}
		}
		p, err := pr.factorPenalty("H", parts, pr.cols(), pr.p.L1RegH, pr.p.L2RegH)
		if err != nil {
			return 0, err
		}
		pen += p
	}
	return pen, nil
}

// factorPart is a factor's matrix, or one panel of it, and its backend.
type factorPart struct {
	b backend.Backend
	m backend.Matrix
}

// factorPenalty is the penalty of the factor named name held in parts:
// their sums added, then summed over the processes where split.
func (pr *problem) factorPenalty(name string, parts []factorPart, split bool, l1, l2 float64) (float64, error) {
	var s, s2 float64
	for _, part := range parts {
		a, a2, err := part.b.Sums(part.m)
		if err != nil {
			return 0, pr.wrap("the sums of "+name+" for the objective", err)
		}
		s, s2 = s+a, s2+a2
	}
	v := penaltyFrom(s, s2, l1, l2)
	if !split {
		return v, nil
	}
	return commScalar(pr.comm, v) // the processes hold parts of the factor
}
