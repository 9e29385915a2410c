// Package backend defines the small set of operations the NMF solver loop
// needs from a compute device, and the host-side matrix types that carry data
// to and from it.
//
// The solver loop in package nmf is written once against the Backend
// interface. Package cpu implements it with gonum (and OpenBLAS when present);
// package gpu implements it with OpenCL kernels. Package backendtest holds the
// conformance checks every implementation must pass, in the way gonum's
// blas/testblas serves blas/gonum.
//
// # Layout
//
// Every dense matrix is row-major with no padding: element (i, j) of an r×c
// matrix is at index i*c+j. X is l×n, W is l×k and H is k×n, so that X ≈ W·H.
//
// # Ownership
//
// A Backend owns the device memory behind every Matrix and Data it returns;
// all of it is released by Close. Host slices given to NewData may be
// referenced (not copied) by a backend that computes in host memory, and are
// never modified; the caller must not modify them until Close.
//
// # Errors
//
// Mismatched shapes or precisions between handles are programming errors in
// the caller and panic with a "backend:" prefix. Anything the device can cause
// (out of memory, a lost device, a failed enqueue) is a returned error.
package backend

import (
	"fmt"

	"gonum.org/v1/gonum/mat"
)

// Precision is the floating-point type a matrix is stored and computed in.
type Precision int

const (
	Float64 Precision = iota // IEEE 754 double precision.
	Float32                  // IEEE 754 single precision.
)

// String returns "float64" or "float32".
func (p Precision) String() string {
	switch p {
	case Float64:
		return "float64"
	case Float32:
		return "float32"
	}
	return fmt.Sprintf("Precision(%d)", int(p))
}

// Size returns the size of one element in bytes.
func (p Precision) Size() int {
	if p == Float32 {
		return 4
	}
	return 8
}

// Epsilon is scikit-learn's EPSILON, float32's machine epsilon, used in both
// precisions: it replaces zeros of W·H before negative powers and zero
// denominators of the multiplicative update.
const Epsilon = 1.1920928955078125e-07

// FlushBelow is float64's machine epsilon: after a multiplicative update,
// entries of W (β < 1) and H (β ≤ 1) below it are set to zero.
const FlushBelow = 2.220446049250313e-16

// Float is the set of element types a host matrix may hold.
type Float interface{ float32 | float64 }

// HostData is the input matrix X on the host: *Dense[float32],
// *Dense[float64], *CSR[float32] or *CSR[float64].
type HostData interface {
	Dims() (rows, cols int)
	Precision() Precision
	isHostData()
}

// Dense is a row-major matrix on the host: element (i, j) is Data[i*Cols+j].
type Dense[T Float] struct {
	Rows, Cols int
	Data       []T
}

// Dims returns the number of rows and columns.
func (m *Dense[T]) Dims() (rows, cols int) { return m.Rows, m.Cols }

// Precision returns the precision of T.
func (m *Dense[T]) Precision() Precision { return precisionOf[T]() }

// Values returns the elements, row-major.
func (m *Dense[T]) Values() []T { return m.Data }

// At returns element (i, j) as a float64, so that a *Dense of either
// precision is a gonum mat.Matrix. It panics when (i, j) is out of range,
// as gonum's matrices do.
func (m *Dense[T]) At(i, j int) float64 {
	if uint(i) >= uint(m.Rows) || uint(j) >= uint(m.Cols) {
		panic(fmt.Sprintf("backend: Dense.At(%d, %d) out of range for %d×%d", i, j, m.Rows, m.Cols))
	}
	return float64(m.Data[i*m.Cols+j])
}

// T returns the transpose of m as a gonum mat.Matrix, sharing m's data.
func (m *Dense[T]) T() mat.Matrix { return mat.Transpose{Matrix: m} }

func (*Dense[T]) isHostData() {}

func (*Dense[T]) isHostMatrix() {}

// HostMatrix is a dense matrix on the host in its own precision:
// *Dense[float32] or *Dense[float64]. Backend.Write and Backend.Read move
// one to and from a Matrix of the same precision and shape, so that float32
// values never pass through float64.
type HostMatrix interface {
	Dims() (rows, cols int)
	Precision() Precision
	isHostMatrix()
}

// NewHost returns v (row-major, rows×cols) as a host matrix of precision p:
// v itself for Float64, a rounded copy for Float32; nil v gives zeros. It is
// for tests and tools that hold float64 values; the solver keeps data in
// its own precision.
func NewHost(p Precision, rows, cols int, v []float64) HostMatrix {
	if v == nil {
		v = make([]float64, rows*cols)
	}
	if p == Float32 {
		s := make([]float32, len(v))
		for i, x := range v {
			s[i] = float32(x)
		}
		return &Dense[float32]{Rows: rows, Cols: cols, Data: s}
	}
	return &Dense[float64]{Rows: rows, Cols: cols, Data: v}
}

// CheckHost panics, with a "backend: name: op:" prefix, unless h is a host
// matrix of m's precision and shape with all its elements: the check of
// every implementation's Write and Read.
func CheckHost(name, op string, m Matrix, h HostMatrix) {
	r, c := m.Dims()
	hr, hc := h.Dims()
	if h.Precision() != m.Precision() || hr != r || hc != c {
		panic(fmt.Sprintf("backend: %s: %s: host matrix %d×%d %v for a %d×%d %v matrix", name, op, hr, hc, h.Precision(), r, c, m.Precision()))
	}
	n := 0
	switch h := h.(type) {
	case *Dense[float32]:
		n = len(h.Data)
	case *Dense[float64]:
		n = len(h.Data)
	}
	if n < r*c {
		panic(fmt.Sprintf("backend: %s: %s: host matrix %d×%d holds %d elements", name, op, hr, hc, n))
	}
}

// Float64s returns the elements of h as float64: h's own slice for a
// *Dense[float64], a copy for a *Dense[float32].
func Float64s(h HostMatrix) []float64 {
	switch h := h.(type) {
	case *Dense[float64]:
		return h.Data
	case *Dense[float32]:
		out := make([]float64, len(h.Data))
		for i, x := range h.Data {
			out[i] = float64(x)
		}
		return out
	}
	panic(fmt.Sprintf("backend: Float64s: foreign host matrix %T", h))
}

// CSR is a compressed sparse row matrix on the host. Row i holds the entries
// Data[Indptr[i]:Indptr[i+1]] in the columns Indices[Indptr[i]:Indptr[i+1]].
// Column indices within a row are strictly increasing.
type CSR[T Float] struct {
	Rows, Cols int
	Indptr     []int // len Rows+1, Indptr[0] = 0, nondecreasing
	Indices    []int // len NNZ
	Data       []T   // len NNZ
}

// Dims returns the number of rows and columns.
func (m *CSR[T]) Dims() (rows, cols int) { return m.Rows, m.Cols }

// Precision returns the precision of T.
func (m *CSR[T]) Precision() Precision { return precisionOf[T]() }

// NNZ returns the number of stored entries.
func (m *CSR[T]) NNZ() int { return len(m.Data) }

// Values returns the stored entries.
func (m *CSR[T]) Values() []T { return m.Data }

func (*CSR[T]) isHostData() {}

func precisionOf[T Float]() Precision {
	var z T
	if _, ok := any(z).(float32); ok {
		return Float32
	}
	return Float64
}

// Side says which factor a multiplicative-update step is for.
type Side int

const (
	SideW Side = iota // the update of W (l×k), with H fixed
	SideH             // the update of H (k×n), with W fixed
)

// Matrix is a dense row-major matrix held by a backend.
type Matrix interface {
	Dims() (rows, cols int)
	Precision() Precision
}

// Data is the input matrix X held by a backend, dense or sparse.
type Data interface {
	Dims() (rows, cols int)
	Precision() Precision
	// Sparse reports whether X is held in CSR form.
	Sparse() bool
}

// Backend is one device's implementation of the operations of a fit. A
// Backend is used by one goroutine at a time. All operands of one call have
// the same precision.
type Backend interface {
	// Name describes the device, e.g. "cpu (OpenBLAS)" or
	// "opencl:0:0 NVIDIA H200".
	Name() string

	// NewMatrix returns a zero-filled rows×cols matrix.
	NewMatrix(p Precision, rows, cols int) (Matrix, error)
	// Write copies src into m. src has m's precision and shape (a
	// mismatch panics); its elements are copied as they are, never through
	// another precision.
	Write(m Matrix, src HostMatrix) error
	// Read copies m into dst, which has m's precision and shape.
	Read(m Matrix, dst HostMatrix) error
	// NewData makes X available to the device. Explicitly stored zeros of a
	// CSR matrix may be dropped.
	NewData(x HostData) (Data, error)

	// Gram sets out = aᵀ·a (out is c×c for an r×c a).
	Gram(out, a Matrix) error
	// Mul sets out = op(a)·op(b), op transposing where ta, tb are true.
	Mul(out, a Matrix, ta bool, b Matrix, tb bool) error
	// MulX sets out = X·b (trans false; b n×k, out l×k) or Xᵀ·b (trans true;
	// b l×k, out n×k).
	MulX(out Matrix, x Data, trans bool, b Matrix) error
	// Transpose sets out = aᵀ.
	Transpose(out, a Matrix) error

	// MUTerms computes the numerator and denominator of the multiplicative
	// update of one factor for the β-divergence, exactly as scikit-learn 1.2's
	// _multiplicative_update_w / _h do before regularisation:
	//
	//	SideW (num, den l×k): β=2: num = X·Hᵀ, den = W·(H·Hᵀ)
	//	                      β≠2: num = (X ⊙ V^(β−2))·Hᵀ, den = U^(β−1)·Hᵀ
	//	                      β=1: num = (X / V)·Hᵀ, den[i][t] = Σ_j H[t][j]
	//	SideH (num, den k×n): β=2: num = Wᵀ·X, den = (Wᵀ·W)·H
	//	                      β≠2: num = Wᵀ·(X ⊙ V^(β−2)), den = Wᵀ·U^(β−1)
	//	                      β=1: num = Wᵀ·(X / V), den[t][j] = Σ_i W[i][t],
	//	                           a zero sum replaced by 1
	//
	// where V = W·H with zeros replaced by Epsilon when β < 2, and U = W·H
	// with zeros replaced by Epsilon when β < 1. For sparse X, V is needed
	// only at X's nonzeros.
	MUTerms(side Side, x Data, w, h Matrix, beta float64, num, den Matrix) error
	// MUStep applies one multiplicative update to m in a single pass:
	//
	//	d = den + l1 (if l1 > 0); d = d + l2·m (if l2 > 0); d = Epsilon where d == 0
	//	m = m · (num/d)^gamma;  m = 0 where m < flush (if flush > 0)
	//
	// num and den may be overwritten.
	MUStep(m, num, den Matrix, l1, l2, gamma, flush float64) error
	// CDSweep runs one pass of scikit-learn's _update_cdnmf_fast over the
	// rows of w (r×k), with hht (k×k) = Hᵀ-side Gram matrix and xht (r×k):
	// for each component t in perm order and each row i,
	//
	//	grad = −(xht[i][t] − l1) + Σ_r (hht[t][r] + l2·[t=r])·w[i][r]
	//	pg = min(0, grad) if w[i][t] == 0 else grad;  violation += |pg|
	//	hess = hht[t][t] + l2;  if hess ≠ 0: w[i][t] = max(w[i][t] − grad/hess, 0)
	//
	// and returns the summed violation.
	CDSweep(w, hht, xht Matrix, l1, l2 float64, perm []int) (float64, error)
	// Divergence returns scikit-learn's _beta_divergence(X, W, H, β) without
	// the square root: entries with X ≤ Epsilon are left out of the terms in
	// X, zeros of W·H at the others become Epsilon.
	Divergence(x Data, w, h Matrix, beta float64) (float64, error)
	// Sums returns Σ m and Σ m² over m's elements, accumulated in float64
	// (a device without it: its widest type): the penalties of the
	// regularised objective (l1·Σ|m| + ½·l2·‖m‖², m being nonnegative).
	Sums(m Matrix) (sum, sumSq float64, err error)

	// Close releases every matrix, data and scratch buffer the backend holds.
	// It is idempotent.
	Close() error
}

// FrobeniusPass is implemented by backends that can run the W half of a
// β = 2 multiplicative iteration and the H half's terms reading X once (the
// cpu backend, for dense X on its micro-kernels); the solver uses it where
// it is present.
type FrobeniusPass interface {
	// MUFrobeniusPass does what these calls would, in one pass over X:
	//
	//	MUTerms(SideW, x, w, h, 2, numW, denW)
	//	MUStep(w, numW, denW, l1, l2, gamma, flush)
	//	MUTerms(SideH, x, w, h, 2, numH, denH)   // with the updated w
	//
	// up to the order of the sums (results agree within rounding). It
	// returns false, having changed nothing, where it does not apply (sparse
	// X, say); the caller then makes those calls itself.
	MUFrobeniusPass(x Data, w, h Matrix, l1, l2, gamma, flush float64, numH, denH Matrix) (bool, error)
}

// DeviceBytes is implemented by backends that report how much device memory
// they hold (matrices, data and scratch), for reports and benchmarks.
type DeviceBytes interface {
	DeviceBytes() int64
}

// DataReleaser is implemented by backends that can release one Data before
// Close, for fits that hand X to the device one batch at a time. The Data
// must not be used afterwards.
type DataReleaser interface {
	ReleaseData(x Data) error
}

// Stager is implemented by backends that copy the panels of a streamed X
// on a transfer queue of their own while the device computes, two panels
// at a time (double-buffering; docs/large-data.md).
type Stager interface {
	DataReleaser
	// StageData starts copying x into the next of two staging slots, in
	// turn, and returns its Data at once: the device's work on the Data
	// waits for the copy. The slot's previous Data must have been released
	// (ReleaseData); StageData first waits until the device is done with
	// it. x must stay unchanged until its Data is released and the device
	// is done with it: the next StageData into the slot, StageTimes, a
	// Read, or Close.
	StageData(x HostData) (Data, error)
	// StageTimes waits for the copies of the released Data and returns, over
	// the backend's life, the seconds the copies took on the device (its
	// event profiling) and the seconds its computation waited for them; ok
	// is false when some times could not be read.
	StageTimes() (copySeconds, waitSeconds float64, ok bool)
}
