// Package nmf factorises a nonnegative matrix X ≈ W·H as scikit-learn 1.2's
// NMF and MiniBatchNMF do, on the CPU or an OpenCL device, with the same
// numbers: the golden tests compare every solver, loss, init and penalty
// with scikit-learn 1.2.1.
//
// # Overview
//
// Fit is NMF.fit_transform, FitFrom the same from a given start (init
// "custom"), Transform is NMF.transform (and its mirror for new columns),
// Resume goes on with a saved fit, FitMiniBatch and Online are MiniBatchNMF
// (fit_transform and partial_fit). InverseTransform is W·H and Divergence
// scikit-learn's _beta_divergence. Options name scikit-learn's parameters;
// Result gives W, H, the iterations, the trace (every 10 iterations: the
// error, the regularised objective scikit-learn's NMF minimises and the
// seconds since the solve began; TracePoint), the warnings scikit-learn
// would give, the parameters as resolved (Params) and what ran
// the fit (Device, DeviceReason, DeviceOpenSeconds, DeviceBytes).
//
// The zero value of every Options field means scikit-learn's default, as
// in gonum's optimize.Settings: Options{Components: k} is NMF(k) — 200
// iterations, tolerance 1e-4, Frobenius, coordinate descent for Frobenius
// and the multiplicative update otherwise, nndsvda when k ≤ min(l, n),
// no regularisation. The zeros that are not defaults have names:
// MaxIter = NoIterations returns the start, Tol = NoTol runs MaxIter
// iterations; SetStopping takes scikit-learn's max_iter and tol as they are.
//
// # Layout and orientation
//
// Matrices are row-major Dense (element (i, j) at Data[i*Cols+j]) or CSR;
// X is l×n, W l×k and H k×n. Which of rows and columns are the samples is
// the caller's: the library treats both the same, and Transform holds
// either factor.
//
//	samples are rows (scikit-learn; matrix files):    W (l×k) is the
//	    activations of each sample, H (k×n) the parts. New samples are new
//	    rows: Transform(ctx, xNew, res.H, opt) holds H and solves W.
//	samples are columns (images as pixel columns, audio frames): W is the
//	    parts (images, spectra), H the activations. New samples are new
//	    columns: opt.Hold = HoldW; Transform(ctx, xNew, res.W, opt) holds W
//	    and solves H, the same as scikit-learn's transform of Xᵀ with
//	    components Wᵀ.
//
// The solved factor starts as scikit-learn's transform starts it and takes
// its own penalty (AlphaW for W, AlphaH for H, each scaled as the fit
// scales it); the other is copied into the Result unchanged.
//
// # Precision
//
// The element type T of X (float32 or float64) is the precision of the
// whole computation: W and H are T, every product on the device is in T,
// and X is never copied to change its precision. Backend.Write and Read
// move each factor in its own precision. Starts and fixed factors are
// *Dense[T] of X's type, so a mismatch does not compile. The inits are
// computed as scikit-learn computes them (the SVD in X's precision on the
// backend, or exactly in float64 with SVDExact), then rounded to T.
// scikit-learn's EPSILON (float32's) is used in both precisions, as there.
//
// # Inputs are never modified
//
// X, W0, H0, a fixed factor and a saved state are read, never written; the
// Result holds new slices (a fixed factor is copied). A Dense given to a
// backend that computes in host memory (the CPU) may be referenced during
// the call and is not kept after it. Nothing is retained between calls but
// what an Online model holds by design.
//
// # Errors
//
// Bad input — a negative, NaN or infinite entry, a wrong shape, an option
// out of range, zeros of X with β ≤ 0, a broken CSR — is an *InputError
// naming the argument and, for an entry, its row and column; errors.Is
// matches one of the sentinels (ErrInvalid, ErrShape, ErrNegative, ...).
// A fit that breaks down numerically is an *IterationError (ErrDiverged).
// A device that cannot be opened is an error wrapping ErrDevice. The
// library never panics on user data, never prints and never exits; sizes
// from the input are checked before anything is allocated.
//
// # Cancellation
//
// Every long call takes a context.Context. When it is cancelled the solver
// stops at the end of the current iteration and returns the state reached
// (Result.Partial, Result.NIter and Result.State) together with an error
// wrapping ctx.Err(); Resume goes on from there and gives the result the
// uninterrupted fit would have given, bit for bit.
//
// # Devices
//
// Options.Device is "auto" (or empty), "cpu", "opencl" or "opencl:P:D"
// (see OpenDevice and Devices). Auto takes the first OpenCL GPU and the CPU
// where there is none or it lacks float64 for a float64 fit; Result.
// DeviceReason says which and why. A device asked for by name that cannot
// be had is an error, never a silent fallback. Options.Backend supplies a
// backend.Backend of the caller's own instead. Each call opens its device,
// loads X (a minibatch fit: one batch at a time) and closes both before it
// returns; opening is timed apart (Result.DeviceOpenSeconds), and the
// device memory held is reported (Result.DeviceBytes).
package nmf
