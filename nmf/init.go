package nmf

import (
	"fmt"
	"math"
	"math/rand/v2"

	"gonum.org/v1/gonum/mat"
)

// exactSVDLimit is the largest min(l, n) for which NNDSVD uses gonum's exact
// dense SVD; larger and sparse inputs use a randomized SVD (as scikit-learn
// always does) built on products with X, so sparse X is never densified.
const exactSVDLimit = 1500

// host is X on the host in float64 terms, for initialisation.
type host struct {
	rows, cols int
	dense      []float64 // row-major, or nil
	// CSR
	indptr, indices []int
	vals            []float64
}

func hostOf[T Float](x Matrix[T]) *host {
	rows, cols := x.Dims()
	h := &host{rows: rows, cols: cols}
	switch m := any(x).(type) {
	case *Dense[T]:
		h.dense = make([]float64, rows*cols)
		for p, v := range m.Data[:rows*cols] {
			h.dense[p] = float64(v)
		}
	case *CSR[T]:
		h.indptr, h.indices = m.Indptr, m.Indices
		h.vals = make([]float64, len(m.Data))
		for p, v := range m.Data {
			h.vals[p] = float64(v)
		}
	}
	return h
}

func (h *host) mean() float64 {
	var s float64
	if h.dense != nil {
		for _, v := range h.dense {
			s += v
		}
	} else {
		for _, v := range h.vals {
			s += v
		}
	}
	return s / (float64(h.rows) * float64(h.cols))
}

// mulRight returns X·B for B cols×c (row-major), l×c.
func (h *host) mulRight(b *mat.Dense) *mat.Dense {
	_, c := b.Dims()
	out := mat.NewDense(h.rows, c, nil)
	if h.dense != nil {
		out.Mul(mat.NewDense(h.rows, h.cols, h.dense), b)
		return out
	}
	for i := 0; i < h.rows; i++ {
		row := out.RawRowView(i)
		for p := h.indptr[i]; p < h.indptr[i+1]; p++ {
			v := h.vals[p]
			for r, bv := range b.RawRowView(h.indices[p]) {
				row[r] += v * bv
			}
		}
	}
	return out
}

// mulLeftT returns Xᵀ·B for B rows×c, n×c.
func (h *host) mulLeftT(b *mat.Dense) *mat.Dense {
	_, c := b.Dims()
	out := mat.NewDense(h.cols, c, nil)
	if h.dense != nil {
		out.Mul(mat.NewDense(h.rows, h.cols, h.dense).T(), b)
		return out
	}
	for i := 0; i < h.rows; i++ {
		brow := b.RawRowView(i)
		for p := h.indptr[i]; p < h.indptr[i+1]; p++ {
			v := h.vals[p]
			row := out.RawRowView(h.indices[p])
			for r, bv := range brow {
				row[r] += v * bv
			}
		}
	}
	return out
}

// randomInit is scikit-learn's random initialisation: H then W drawn from
// N(0,1), scaled by sqrt(mean(X)/k), absolute values.
func randomInit(x *host, k int, seed uint64) (w, h []float64) {
	rng := rand.New(rand.NewPCG(seed, 0x9e3779b97f4a7c15))
	avg := math.Sqrt(x.mean() / float64(k))
	h = make([]float64, k*x.cols)
	for p := range h {
		h[p] = math.Abs(avg * rng.NormFloat64())
	}
	w = make([]float64, x.rows*k)
	for p := range w {
		w[p] = math.Abs(avg * rng.NormFloat64())
	}
	return w, h
}

// svdTop returns the leading k singular triplets of X: U (l×k), S (k) and
// Vᵀ (k×n), with scikit-learn's sign convention (svd_flip: the largest
// entry in absolute value of each column of U is positive, or of each row of
// Vᵀ when l < n, as randomized_svd transposes then).
func svdTop(x *host, k int, seed uint64) (u *mat.Dense, s []float64, vt *mat.Dense, err error) {
	if x.dense != nil && min(x.rows, x.cols) <= exactSVDLimit {
		var svd mat.SVD
		if !svd.Factorize(mat.NewDense(x.rows, x.cols, x.dense), mat.SVDThin) {
			return nil, nil, nil, fmt.Errorf("nmf: NNDSVD: the SVD of X did not converge")
		}
		var uf, vf mat.Dense
		svd.UTo(&uf)
		svd.VTo(&vf)
		vals := svd.Values(nil)
		u = mat.DenseCopyOf(uf.Slice(0, x.rows, 0, k))
		vt = mat.DenseCopyOf(vf.Slice(0, x.cols, 0, k).T())
		s = vals[:k]
	} else {
		u, s, vt, err = randomizedSVD(x, k, seed)
		if err != nil {
			return nil, nil, nil, err
		}
	}
	vBased := x.rows < x.cols
	for j := 0; j < k; j++ {
		var best float64
		if vBased {
			row := vt.RawRowView(j)
			for _, v := range row {
				if math.Abs(v) > math.Abs(best) {
					best = v
				}
			}
		} else {
			for i := 0; i < x.rows; i++ {
				if v := u.At(i, j); math.Abs(v) > math.Abs(best) {
					best = v
				}
			}
		}
		if best < 0 {
			for i := 0; i < x.rows; i++ {
				u.Set(i, j, -u.At(i, j))
			}
			row := vt.RawRowView(j)
			for c := range row {
				row[c] = -row[c]
			}
		}
	}
	return u, s, vt, nil
}

// randomizedSVD is Halko et al.'s randomized range finder with QR
// normalisation, as scikit-learn's randomized_svd (10 oversamples, 7 power
// iterations when k < 0.1·min(l, n), else 4), using only products with X.
func randomizedSVD(x *host, k int, seed uint64) (*mat.Dense, []float64, *mat.Dense, error) {
	p := min(k+10, min(x.rows, x.cols))
	iters := 4
	if float64(k) < 0.1*float64(min(x.rows, x.cols)) {
		iters = 7
	}
	rng := rand.New(rand.NewPCG(seed, 0x243f6a8885a308d3))
	omega := mat.NewDense(x.cols, p, nil)
	for i := 0; i < x.cols; i++ {
		for j := 0; j < p; j++ {
			omega.Set(i, j, rng.NormFloat64())
		}
	}
	q := orth(x.mulRight(omega))
	for it := 0; it < iters; it++ {
		q = orth(x.mulRight(orth(x.mulLeftT(q))))
	}
	bt := x.mulLeftT(q) // Bᵀ = Xᵀ·Q, n×p
	var svd mat.SVD
	if !svd.Factorize(bt.T(), mat.SVDThin) {
		return nil, nil, nil, fmt.Errorf("nmf: NNDSVD: the randomized SVD of X did not converge")
	}
	var ub, vb mat.Dense
	svd.UTo(&ub)
	svd.VTo(&vb)
	var u mat.Dense
	u.Mul(q, &ub)
	uk := mat.DenseCopyOf(u.Slice(0, x.rows, 0, k))
	vt := mat.DenseCopyOf(vb.Slice(0, x.cols, 0, k).T())
	return uk, svd.Values(nil)[:k], vt, nil
}

func orth(a *mat.Dense) *mat.Dense {
	var qr mat.QR
	qr.Factorize(a)
	r, c := a.Dims()
	var q mat.Dense
	qr.QTo(&q)
	return mat.DenseCopyOf(q.Slice(0, r, 0, c))
}

// nndsvd is scikit-learn's _initialize_nmf for nndsvd, nndsvda and
// nndsvdar, in float64.
func nndsvd(x *host, k int, init Init, seed uint64) (w, h []float64, err error) {
	u, s, vt, err := svdTop(x, k, seed)
	if err != nil {
		return nil, nil, err
	}
	l, n := x.rows, x.cols
	w = make([]float64, l*k)
	h = make([]float64, k*n)
	s0 := math.Sqrt(s[0])
	for i := 0; i < l; i++ {
		w[i*k] = s0 * math.Abs(u.At(i, 0))
	}
	for j := 0; j < n; j++ {
		h[j] = s0 * math.Abs(vt.At(0, j))
	}
	xp, xn := make([]float64, l), make([]float64, l)
	yp, yn := make([]float64, n), make([]float64, n)
	for j := 1; j < k; j++ {
		for i := 0; i < l; i++ {
			v := u.At(i, j)
			xp[i], xn[i] = math.Max(v, 0), math.Abs(math.Min(v, 0))
		}
		for c := 0; c < n; c++ {
			v := vt.At(j, c)
			yp[c], yn[c] = math.Max(v, 0), math.Abs(math.Min(v, 0))
		}
		xpn, ypn, xnn, ynn := norm(xp), norm(yp), norm(xn), norm(yn)
		mp, mn := xpn*ypn, xnn*ynn
		uu, vv, sigma, un, vn := xp, yp, mp, xpn, ypn
		if !(mp > mn) {
			uu, vv, sigma, un, vn = xn, yn, mn, xnn, ynn
		}
		lbd := math.Sqrt(s[j] * sigma)
		for i := 0; i < l; i++ {
			w[i*k+j] = lbd * (uu[i] / un)
		}
		for c := 0; c < n; c++ {
			h[j*n+c] = lbd * (vv[c] / vn)
		}
	}
	const eps = 1e-6
	for p, v := range w {
		if v < eps || math.IsNaN(v) {
			w[p] = 0
		}
	}
	for p, v := range h {
		if v < eps || math.IsNaN(v) {
			h[p] = 0
		}
	}
	switch init {
	case InitNNDSVDA:
		avg := x.mean()
		fill(w, func() float64 { return avg })
		fill(h, func() float64 { return avg })
	case InitNNDSVDAR:
		avg := x.mean()
		rng := rand.New(rand.NewPCG(seed, 0x13198a2e03707344))
		f := func() float64 { return math.Abs(avg * rng.NormFloat64() / 100) }
		fill(w, f)
		fill(h, f)
	}
	return w, h, nil
}

func fill(a []float64, f func() float64) {
	for p, v := range a {
		if v == 0 {
			a[p] = f()
		}
	}
}

// norm is scikit-learn's norm: the Euclidean norm, sqrt of the squared sum.
func norm(a []float64) float64 {
	var s float64
	for _, v := range a {
		s += v * v
	}
	return math.Sqrt(s)
}
