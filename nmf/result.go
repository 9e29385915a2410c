package nmf

import "time"

// Warning is a condition worth telling the user that did not stop the fit.
type Warning struct {
	Code    string // "max_iter" or "mu_nndsvd_zeros"
	Message string
}

func (w Warning) String() string { return w.Message }

// TracePoint is the state of a fit after an iteration.
type TracePoint struct {
	Iter int
	// Err is the reconstruction error sqrt(2·D_β(X, W·H)).
	Err float64
	// Objective is the regularised objective scikit-learn's NMF minimises,
	// D_β + l1_W·Σ|W| + l1_H·Σ|H| + ½·l2_W·‖W‖² + ½·l2_H·‖H‖² (the
	// Params' L1Reg/L2Reg), in the units of Err: sqrt(2·objective). It
	// equals Err when AlphaW and AlphaH are 0. A transform leaves out the
	// held factor's penalty (a constant); a minibatch fit's is that of
	// NMF on the whole X (the Params before the per-batch scaling).
	Objective float64
	// Seconds is the time from the start of the solve (after the init and
	// the device's opening) to this point, the error computed; a resumed
	// fit counts from its own start.
	Seconds float64
}

// Result is the outcome of Fit or Transform.
type Result[T Float] struct {
	W *Dense[T] // l×k
	H *Dense[T] // k×n
	// NIter is the number of iterations done.
	NIter int
	// ReconstructionErr is sqrt(2·D_β(X, W·H)), penalties excluded.
	ReconstructionErr float64
	// Trace is the error, the regularised objective and the time at the
	// start (Iter 0) and every 10 iterations (a minibatch fit: once, at its
	// end).
	Trace []TracePoint
	// Final is the state at the end: Iter NIter, Err ReconstructionErr,
	// the objective there and the seconds of the whole solve (a trace point
	// when NIter is a multiple of 10, the last one otherwise missing from
	// Trace). A cancelled fit whose factors cannot be read back has the
	// error as its objective.
	Final TracePoint
	// InitTime is the time the initialisation took (the SVD of nndsvd*,
	// the random draws), inside the fit's time.
	InitTime time.Duration
	// Warnings lists conditions scikit-learn would warn about.
	Warnings []Warning
	// Device names what ran the fit; DeviceReason says why it was chosen
	// (for Options.Backend, "given by the caller").
	Device, DeviceReason string
	// DeviceOpenSeconds is the time taken to open the device (finding an
	// OpenCL platform, building the kernels), part of the call's time but
	// not of the solve.
	DeviceOpenSeconds float64
	// DeviceProfile is the OpenCL kernel profile that ran, "gpu" or "cpu"
	// (see gpu.Profile); empty on the host CPU backend.
	DeviceProfile string
	// DeviceBytes is the memory the backend held at the end of the fit.
	DeviceBytes int64
	// Plan is how the device held X: panels, streamed, bytes loaded.
	Plan Plan
	// Params are the options as used, defaults resolved.
	Params Params
	// Partial is set when the fit was cancelled: W and H are the state
	// after NIter whole iterations.
	Partial bool
	// State is the solver's state at the end, NIter included: with W and
	// H, what Resume needs to go on from a partial result.
	State State
}

// Params are the parameters of a fit with every default resolved.
type Params struct {
	Components     int
	Beta           float64
	Loss           string
	Solver         Solver
	Init           Init
	MaxIter        int
	Tol            float64
	AlphaW, AlphaH float64
	L1Ratio        float64
	L1RegW, L2RegW float64
	L1RegH, L2RegH float64
	Seed           uint64
	Shuffle        bool
	SVD            SVD
	Precision      string
}
