package nmf

import (
	"time"

	"github.com/clnmf/clnmf/nmf/backend"
)

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
	InitRandom   Init = "random"   // |N(0,1)|·sqrt(mean(X)/k), drawn from RandomState(Seed)
	InitNNDSVD   Init = "nndsvd"   // nonnegative double SVD
	InitNNDSVDA  Init = "nndsvda"  // NNDSVD with zeros filled with mean(X)
	InitNNDSVDAR Init = "nndsvdar" // NNDSVD with zeros filled with small random values from Seed
	InitCustom   Init = "custom"   // Options.W0 and Options.H0
)

// SVD is how the nndsvd initialisations find X's leading singular vectors.
type SVD string

const (
	SVDAuto       SVD = ""           // randomized, as scikit-learn
	SVDRandomized SVD = "randomized" // scikit-learn's randomized_svd, from Seed
	SVDExact      SVD = "exact"      // a dense SVD of a float64 copy of X (8·l·n bytes, O(l·n·min(l, n)) time)
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
	// Seed is scikit-learn's random_state: every draw (the random init,
	// the randomized SVD of nndsvd*, nndsvdar's fill, the shuffled
	// coordinate descent) comes from numpy's legacy RandomState(Seed),
	// restarted from the seed for each, so that the same seed gives the
	// same numbers as scikit-learn. It must be below 2³².
	Seed uint64
	// Shuffle walks the coordinate-descent components in the order of
	// RandomState(Seed).permutation(k), drawn afresh for every update of W
	// and of H (scikit-learn's shuffle).
	Shuffle bool
	// SVD is the SVD of the nndsvd initialisations: randomized (the
	// default, scikit-learn's) or exact.
	SVD SVD
	// Device is "auto" (or ""), "cpu", "opencl" or "opencl:P:D"; see
	// OpenDevice.
	Device string
	// Backend, when set, is used instead of Device: it is called once per
	// fit, and the fit closes what it returns.
	Backend func() (backend.Backend, error)
	// Progress, when set, is called after every iteration.
	Progress Progress
	// Started, when set, is called once the start (W, H) is ready, before
	// the first iteration, with the time the initialisation took.
	Started func(initTime time.Duration)
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
