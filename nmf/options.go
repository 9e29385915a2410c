package nmf

import (
	"fmt"
	"math"
	"strconv"
	"strings"

	"github.com/clnmf/clnmf/nmf/backend"
)

// Float is the set of element types: float32 data is computed and returned
// in float32, float64 data in float64.
type Float = backend.Float

// Dense is a row-major matrix: element (i, j) is Data[i*Cols+j].
type Dense[T Float] = backend.Dense[T]

// CSR is a compressed sparse row matrix; it is never densified.
type CSR[T Float] = backend.CSR[T]

// Matrix is the data matrix X: a *Dense[T] or a *CSR[T]. Type arguments of
// Fit and Transform are inferred from it.
type Matrix[T Float] interface {
	backend.HostData
	Values() []T
}

// Loss is the β of the β-divergence minimised. The zero value is Frobenius
// (β = 2), scikit-learn's default.
type Loss struct {
	beta float64
	set  bool
}

var (
	Frobenius       = Loss{2, true} // β = 2: half the squared Frobenius norm
	KullbackLeibler = Loss{1, true} // β = 1: generalised Kullback-Leibler
	ItakuraSaito    = Loss{0, true} // β = 0: Itakura-Saito
)

// Beta returns the loss of the β-divergence for any real β.
func Beta(beta float64) Loss { return Loss{beta, true} }

// Beta returns β.
func (l Loss) Beta() float64 {
	if !l.set {
		return 2
	}
	return l.beta
}

// String returns the loss's scikit-learn name, or β as a number.
func (l Loss) String() string {
	switch l.Beta() {
	case 2:
		return "frobenius"
	case 1:
		return "kullback-leibler"
	case 0:
		return "itakura-saito"
	}
	return strconv.FormatFloat(l.Beta(), 'g', -1, 64)
}

// ParseLoss accepts frobenius, kullback-leibler (kl), itakura-saito (is) or
// a number β.
func ParseLoss(s string) (Loss, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "frobenius", "fro":
		return Frobenius, nil
	case "kullback-leibler", "kl":
		return KullbackLeibler, nil
	case "itakura-saito", "is":
		return ItakuraSaito, nil
	}
	b, err := strconv.ParseFloat(strings.TrimSpace(s), 64)
	if err != nil || math.IsNaN(b) || math.IsInf(b, 0) {
		return Loss{}, fmt.Errorf("%w: loss %q: want frobenius, kullback-leibler, itakura-saito, kl, is or a finite number", ErrInvalid, s)
	}
	return Beta(b), nil
}

// Solver is the numerical method.
type Solver string

const (
	SolverAuto Solver = ""   // coordinate descent for Frobenius, multiplicative update otherwise
	MU         Solver = "mu" // multiplicative update (every β)
	CD         Solver = "cd" // coordinate descent (β = 2 only)
)

// Init is how W and H start.
type Init string

const (
	InitAuto     Init = ""         // nndsvda when k ≤ min(l, n), random otherwise
	InitRandom   Init = "random"   // |N(0,1)|·sqrt(mean(X)/k), from Seed
	InitNNDSVD   Init = "nndsvd"   // nonnegative double SVD
	InitNNDSVDA  Init = "nndsvda"  // NNDSVD with zeros filled with mean(X)
	InitNNDSVDAR Init = "nndsvdar" // NNDSVD with zeros filled with small random values from Seed
	InitCustom   Init = "custom"   // Options.W0 and Options.H0
)

// Progress is called after every iteration with the iteration number and
// the latest reconstruction error (computed every 10 iterations).
type Progress func(iter int, err float64)

// Options are the parameters of a fit, named after scikit-learn's NMF. Start
// from DefaultOptions: there MaxIter is 200 and Tol 1e-4, while the zero
// Options runs zero iterations with tolerance 0. Every other zero field means
// scikit-learn's default.
type Options struct {
	// Components is k; 0 means n, the number of columns of X.
	Components int
	Loss       Loss
	Solver     Solver
	Init       Init
	// W0 (l×k) and H0 (k×n) are the start for InitCustom, as *Dense of X's
	// element type. They are copied, never modified.
	W0, H0 backend.HostData
	// MaxIter is the maximum number of iterations; 0 returns the
	// initialisation.
	MaxIter int
	// Tol is the stopping tolerance (see Fit); 0 runs MaxIter iterations.
	Tol float64
	// AlphaW is the regularisation of W; AlphaH that of H, nil meaning the
	// same as AlphaW (scikit-learn's "same").
	AlphaW float64
	AlphaH *float64
	// L1Ratio mixes L1 (1) and L2 (0) regularisation.
	L1Ratio float64
	// Seed drives the random initialisations and the shuffled coordinate
	// descent.
	Seed uint64
	// Shuffle walks the coordinate-descent components in a random order
	// drawn from Seed every sweep.
	Shuffle bool
	// Device is "auto" (or ""), "cpu", "opencl" or "opencl:P:D"; see
	// OpenDevice.
	Device string
	// Backend, when set, is used instead of Device: it is called once per
	// fit, and the fit closes what it returns.
	Backend func() (backend.Backend, error)
	// Progress, when set, is called after every iteration.
	Progress Progress
}

// DefaultOptions returns scikit-learn's defaults: k = n, Frobenius, auto
// solver and init, 200 iterations, tolerance 1e-4, no regularisation, the
// device chosen automatically.
func DefaultOptions() Options {
	return Options{MaxIter: 200, Tol: 1e-4}
}

// alphaH returns AlphaH with "same" resolved.
func (o *Options) alphaH() float64 {
	if o.AlphaH == nil {
		return o.AlphaW
	}
	return *o.AlphaH
}

// Warning is a condition worth telling the user that did not stop the fit.
type Warning struct {
	Code    string // "max_iter" or "mu_nndsvd_zeros"
	Message string
}

func (w Warning) String() string { return w.Message }

// TracePoint is the reconstruction error after an iteration.
type TracePoint struct {
	Iter int
	Err  float64
}

// Result is the outcome of Fit or Transform.
type Result[T Float] struct {
	W *Dense[T] // l×k
	H *Dense[T] // k×n
	// NIter is the number of iterations done.
	NIter int
	// ReconstructionErr is sqrt(2·D_β(X, W·H)), penalties excluded.
	ReconstructionErr float64
	// Trace is the reconstruction error at the start (Iter 0) and every 10
	// iterations.
	Trace []TracePoint
	// Warnings lists conditions scikit-learn would warn about.
	Warnings []Warning
	// Device names what ran the fit; DeviceReason says why it was chosen.
	Device, DeviceReason string
	// DeviceBytes is the memory the backend held at the end of the fit.
	DeviceBytes int64
	// Params are the options as used, defaults resolved.
	Params Params
	// Partial is set when the fit was cancelled: W and H are the state
	// after NIter whole iterations.
	Partial bool
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
	Precision      string
}
