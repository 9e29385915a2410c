package nmf

import (
	"math"
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
	InitCustom   Init = "custom"   // the W0 and H0 given to FitFrom
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

// Hold says which factor Transform holds fixed.
type Hold int

const (
	// HoldH holds H (k×n) and solves W for the rows of X: new samples
	// when rows are samples (scikit-learn's NMF.transform).
	HoldH Hold = iota
	// HoldW holds W (l×k) and solves H for the columns of X: new samples
	// when columns are samples (images, audio frames).
	HoldW
)

// String returns "H" or "W".
func (h Hold) String() string {
	if h == HoldW {
		return "W"
	}
	return "H"
}

const (
	// NoIterations as Options.MaxIter asks for zero iterations: Fit returns
	// the initialisation, Transform the start (scikit-learn's max_iter=0).
	NoIterations = -1
	// NoTol as Options.Tol turns the stopping rule off, so that MaxIter
	// iterations run (scikit-learn's tol=0).
	NoTol = -math.MaxFloat64
)

// Options are the parameters of a fit, named after scikit-learn's NMF. As
// in gonum's optimize.Settings, the zero value of every field means
// scikit-learn's default: Options{} (or Options{Components: k}) is
// NMF(n_components=k) — 200 iterations, tolerance 1e-4, Frobenius, the
// solver and init chosen as scikit-learn does, no regularisation, the
// device chosen automatically. A zero that is not the default is asked for
// with a named value: NoIterations, NoTol; see also SetStopping.
type Options struct {
	// Components is k; 0 means n, the number of columns of X (for FitFrom,
	// the columns of W0; for Transform, the fixed factor's k).
	Components int
	Loss       Loss
	Solver     Solver
	// Init is how Fit starts; FitFrom sets InitCustom.
	Init Init
	// MaxIter is the maximum number of iterations; 0 means 200,
	// NoIterations none.
	MaxIter int
	// Tol is the stopping tolerance (see Fit); 0 means 1e-4, NoTol runs
	// MaxIter iterations.
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
	// Devices, when it names more than one device ("opencl:0:0",
	// "cpu", ..., or "all-gpus" for every OpenCL GPU), runs one fit on all
	// of them (over Device and Backend): X's rows are shared among them in
	// proportion to their speeds, measured by a short probe of the fit's
	// iteration on each, within what each one's memory holds, the H half's
	// small sums combined on the host every iteration
	// (docs/distributed.md). Results agree with one device's to rounding.
	Devices []string
	// MemberWeights, when set, replaces the measured speeds of a fit on
	// several devices: one weight > 0 per device of Devices (or Backends),
	// in their order; X's rows (columns) are shared in exactly those
	// proportions (one at least each), so that the split, and with it the
	// order of the sums, is the same on every run.
	MemberWeights []float64
	// Backends, when set, is Devices with the caller's backends: called
	// once per fit, the fit closes what it returns. For tests.
	Backends func() ([]backend.Backend, error)
	// Comm, when set, makes this fit one process of a distributed fit
	// (docs/distributed.md): X is this process's rows of the whole, W0 its
	// rows of W0 (FitFrom; the other inits need all of X), H0 the whole
	// H0; every process calls FitFrom with the same options, the H half's
	// sums and the error's are summed over the processes through Comm, and
	// every process gets the same H and its own rows of W.
	Comm Comm
	// DeviceMemory, when positive, caps the device memory (bytes) a fit on
	// an OpenCL device plans with: X that does not fit beside the factors
	// is streamed to the device in row panels on every pass
	// (docs/large-data.md). It does not apply to the CPU, which computes on
	// X where it is.
	DeviceMemory int64
	// PanelRows, when positive, holds X in row panels of that many rows
	// (the last shorter) instead of the planner's choice; on the CPU too.
	// On an OpenCL device they are then streamed when X's bytes exceed
	// DeviceMemory (when set), resident otherwise, and the cap is not
	// checked against the factors. For tests and experiments: results
	// agree with one panel's to rounding.
	PanelRows int
	// PanelCols, when positive, holds X in column panels of that many
	// columns (the last shorter), as PanelRows does rows. At most one of
	// the two may be set.
	PanelCols int
	// PanelsAlong is the side X is cut along when it is held in panels:
	// AlongAuto (the zero value) cuts a dense X along its longer side —
	// column panels when it has more columns than rows — so that the factor
	// whose terms are summed over the panels is the smaller one
	// (docs/large-data.md); a sparse X, and a distributed fit (Comm), in
	// rows. Under Comm, AlongColumns makes X this process's columns of the
	// whole X, W0 the whole W0 and H0 this process's columns of it (FitFrom
	// or Resume; the inits compute the whole start and keep these columns
	// of H); the result has the whole W and this process's columns of H.
	PanelsAlong Along
	// Progress, when set, is called after every iteration.
	Progress Progress
	// Started, when set, is called once the start (W, H) is ready, before
	// the first iteration, with the time the initialisation took.
	Started func(initTime time.Duration)
	// Hold is the factor Transform holds fixed: H (the zero value) or W.
	// Fit ignores it.
	Hold Hold
	// MemoryLimit bounds the bytes Fit and Transform allocate beyond X, as
	// estimated by FitMemory before anything is allocated: 0 means the
	// memory the system reports available (AvailableMemory), a negative
	// value turns the check off. Too much is a *MemoryError.
	MemoryLimit int64
}

// Along is the side X is cut along into panels (Options.PanelsAlong).
type Along string

const (
	AlongAuto    Along = ""
	AlongRows    Along = "rows"
	AlongColumns Along = "columns"
)

// Default values of the zero Options fields.
const (
	DefaultMaxIter = 200
	DefaultTol     = 1e-4
)

// DefaultOptions returns scikit-learn's defaults: k = n, Frobenius, auto
// solver and init, 200 iterations, tolerance 1e-4, no regularisation, the
// device chosen automatically. It equals the zero Options but for MaxIter
// and Tol, which it spells out.
func DefaultOptions() Options {
	return Options{MaxIter: DefaultMaxIter, Tol: DefaultTol}
}

// SetStopping sets MaxIter and Tol from scikit-learn's max_iter and tol,
// where 0 means what it means there: zero iterations, no tolerance.
func (o *Options) SetStopping(maxIter int, tol float64) {
	o.MaxIter, o.Tol = maxIter, tol
	if maxIter == 0 {
		o.MaxIter = NoIterations
	}
	if tol == 0 {
		o.Tol = NoTol
	}
}

// InitFor is the initialisation a fit of an l×n X with these options
// runs: Init, or for InitAuto scikit-learn's rule, nndsvda when
// k ≤ min(l, n) (k = Components, or n when 0) and random otherwise.
func (o Options) InitFor(l, n int) Init {
	if o.Init != InitAuto {
		return o.Init
	}
	k := o.Components
	if k == 0 {
		k = n
	}
	if k <= min(l, n) {
		return InitNNDSVDA
	}
	return InitRandom
}

// alphaH returns AlphaH with "same" resolved.
func (o *Options) alphaH() float64 {
	if o.AlphaH == nil {
		return o.AlphaW
	}
	return *o.AlphaH
}
