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

// penaltyOf is l1·Σv + ½·l2·Σv² (v is nonnegative; sums is in
// minibatch_step.go).
func penaltyOf(m backend.HostMatrix, l1, l2 float64) float64 {
	var s, s2 float64
	switch d := m.(type) {
	case *Dense[float32]:
		s, s2 = sums(d.Data)
	case *Dense[float64]:
		s, s2 = sums(d.Data)
	}
	return l1*s + 0.5*l2*s2
}

// penalty is the penalty of the factors the problem solves for (a held
// factor's is a constant, left out), read from the backend into host
// buffers allocated on first use; 0, with nothing read, when no penalty
// applies. The factor held in panels (W's rows, or H's columns with column
// panels) is spread over the processes of a distributed fit, so its part is
// summed over them; the shared one is the same on every process.
func (pr *problem) penalty(w, h backend.Matrix) (float64, error) {
	pen := 0.0
	if pr.updateW && (pr.p.L1RegW != 0 || pr.p.L2RegW != 0) {
		if pr.hostW == nil {
			pr.hostW = newHostMatrix(pr.prec, pr.l, pr.k)
		}
		var err error
		if pr.ps != nil && !pr.ps.cols {
			err = pr.ps.readW(pr.hostW)
		} else {
			err = pr.b.Read(w, pr.hostW)
		}
		if err != nil {
			return 0, pr.wrap("reading W for the objective", err)
		}
		if pen, err = pr.penaltySum(!pr.cols(), penaltyOf(pr.hostW, pr.p.L1RegW, pr.p.L2RegW)); err != nil {
			return 0, err
		}
	}
	if pr.updateH && (pr.p.L1RegH != 0 || pr.p.L2RegH != 0) {
		if pr.hostH == nil {
			pr.hostH = newHostMatrix(pr.prec, pr.k, pr.n)
		}
		var err error
		if pr.cols() {
			err = readHost(pr.ps, pr.hostH)
		} else {
			err = pr.b.Read(h, pr.hostH)
		}
		if err != nil {
			return 0, pr.wrap("reading H for the objective", err)
		}
		p, err := pr.penaltySum(pr.cols(), penaltyOf(pr.hostH, pr.p.L1RegH, pr.p.L2RegH))
		if err != nil {
			return 0, err
		}
		pen += p
	}
	return pen, nil
}

// penaltySum is a factor's penalty v summed over the processes when the
// processes hold parts of that factor (split), v itself otherwise.
func (pr *problem) penaltySum(split bool, v float64) (float64, error) {
	if !split {
		return v, nil
	}
	return commScalar(pr.comm, v)
}

// newHostMatrix is a zero rows×cols host matrix of precision p.
func newHostMatrix(p backend.Precision, rows, cols int) backend.HostMatrix {
	if p == backend.Float32 {
		return &Dense[float32]{Rows: rows, Cols: cols, Data: make([]float32, rows*cols)}
	}
	return &Dense[float64]{Rows: rows, Cols: cols, Data: make([]float64, rows*cols)}
}
