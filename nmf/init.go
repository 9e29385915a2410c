package nmf

import (
	"fmt"
	"math"

	"github.com/clnmf/clnmf/nmf/internal/randomstate"
)

// The initialisations are scikit-learn 1.2.1's _initialize_nmf, draw for
// draw: every random number comes from numpy's legacy RandomState(Seed),
// restarted from the seed by each consumer as check_random_state(int) does
// (the random init, the randomized SVD, nndsvdar's fill, and the shuffled
// coordinate descent each get a fresh generator), and the arithmetic runs
// in X's precision where numpy's does.

// start computes the initial W (l×k) and H (k×n) of p.Init for X on pr's
// backend (X is pr.x there). Custom starts are not handled here.
//
// In a distributed fit X holds the rows (or columns) pt of the whole X:
// every process computes the whole X's start (the mean and the SVD's
// products with X summed over the processes, the random draws all made in
// order) and keeps its rows of W (or columns of H), so that the start is
// the one process's, within rounding.
func start[T Float](pr *problem, x Matrix[T], pt share) (w, h *Dense[T], err error) {
	l, n := pt.whole(pr.l, pr.n)
	k := pr.k
	var wt, ht []T
	switch pr.p.Init {
	case InitRandom, InitNNDSVD, InitNNDSVDA, InitNNDSVDAR:
	default:
		return nil, nil, fmt.Errorf("nmf: no initialisation %q", pr.p.Init)
	}
	mean, err := wholeMean(pr.comm, x, l, n)
	if err != nil {
		return nil, nil, err
	}
	if pr.p.Init == InitRandom {
		wt, ht, err = randomStart(mean, l, n, k, pr.p.Seed)
	} else {
		var u, s, vt []T
		if pr.p.SVD == SVDExact {
			u, s, vt, err = exactSVD(x, k)
		} else {
			u, s, vt, err = randomizedSVD[T](pr, pt, k, pr.p.Seed)
		}
		if err != nil {
			return nil, nil, err
		}
		wt, ht, err = nndsvd(mean, l, n, u, s, vt, k, pr.p.Init, pr.p.Seed)
	}
	if err != nil {
		return nil, nil, err
	}
	w, h = &Dense[T]{Rows: l, Cols: k, Data: wt}, &Dense[T]{Rows: k, Cols: n, Data: ht}
	if pt.cols {
		return w, Columns[T](h, pt.lo, pt.lo+pr.n).(*Dense[T]), nil
	}
	return &Dense[T]{Rows: pr.l, Cols: k, Data: wt[pt.lo*k : (pt.lo+pr.l)*k]}, h, nil
}

// meanOf is X.mean() in X's precision: summed in float64 (numpy sums
// pairwise; the two agree to rounding), implicit zeros included. X is read
// in place.
func meanOf[T Float](x Matrix[T]) T {
	l, n := x.Dims()
	return T(sumOf(x) / (float64(l) * float64(n)))
}

// wholeMean is meanOf of the whole l×n X of a distributed fit, x's sum
// summed over c's processes; meanOf(x) when c is nil.
func wholeMean[T Float](c Comm, x Matrix[T], l, n int) (T, error) {
	s, err := commScalar(c, sumOf(x))
	return T(s / (float64(l) * float64(n))), err
}

// sumOf is the sum of X's values in float64.
func sumOf[T Float](x Matrix[T]) float64 {
	var s float64
	for _, v := range x.Values() {
		s += float64(v)
	}
	return s
}

// avgOf is np.sqrt(mean / k) with numpy's rounding: the quotient and the
// root each rounded to T.
func avgOf[T Float](mean T, k int) T {
	q := T(float64(mean) / float64(k))
	return T(math.Sqrt(float64(q)))
}

// randomStart is the random init of an l×n X of the given mean (X.mean()
// in T, see meanOf): avg·|N(0, 1)| with avg = sqrt(mean/k), H (k×n) drawn
// first, then W (l×k), each normal rounded to T before the product, as
// scikit-learn's astype(X.dtype) does.
func randomStart[T Float](mean T, l, n, k int, seed uint64) (w, h []T, err error) {
	rs, err := randomstate.New(seed)
	if err != nil {
		return nil, nil, invalid("Seed", "%v", err)
	}
	avg := avgOf(mean, k)
	h = make([]T, k*n)
	for i := range h {
		h[i] = absT(avg * T(rs.StandardNormal()))
	}
	w = make([]T, l*k)
	for i := range w {
		w[i] = absT(avg * T(rs.StandardNormal()))
	}
	return w, h, nil
}

// nndsvd is the rest of _initialize_nmf for nndsvd, nndsvda and nndsvdar,
// from the leading k singular triplets U (l×k), S, Vᵀ (k×n) of an l×n X
// of the given mean (meanOf), in T.
func nndsvd[T Float](mean T, l, n int, u, s, vt []T, k int, init Init, seed uint64) (w, h []T, err error) {
	w = make([]T, l*k)
	h = make([]T, k*n)
	s0 := T(math.Sqrt(float64(s[0])))
	for i := 0; i < l; i++ {
		w[i*k] = s0 * absT(u[i*k])
	}
	for j := 0; j < n; j++ {
		h[j] = s0 * absT(vt[j])
	}
	xp, xn := make([]T, l), make([]T, l)
	yp, yn := make([]T, n), make([]T, n)
	for j := 1; j < k; j++ {
		for i := 0; i < l; i++ {
			v := u[i*k+j]
			xp[i], xn[i] = max(v, 0), absT(min(v, 0))
		}
		for c := 0; c < n; c++ {
			v := vt[j*n+c]
			yp[c], yn[c] = max(v, 0), absT(min(v, 0))
		}
		xpn, ypn, xnn, ynn := norm(xp), norm(yp), norm(xn), norm(yn)
		mp, mn := xpn*ypn, xnn*ynn
		uu, vv, sigma, un, vn := xp, yp, mp, xpn, ypn
		if !(mp > mn) {
			uu, vv, sigma, un, vn = xn, yn, mn, xnn, ynn
		}
		lbd := T(math.Sqrt(float64(s[j] * sigma)))
		for i := 0; i < l; i++ {
			w[i*k+j] = lbd * (uu[i] / un)
		}
		for c := 0; c < n; c++ {
			h[j*n+c] = lbd * (vv[c] / vn)
		}
	}
	// scikit-learn keeps the NaN of a 0/0 norm; it is zeroed here, so that
	// a degenerate component starts at zero (or the fill) instead.
	eps := T(1e-6)
	for _, a := range [][]T{w, h} {
		for p, v := range a {
			if v < eps || v != v {
				a[p] = 0
			}
		}
	}
	switch init {
	case InitNNDSVDA:
		fill(w, func() T { return mean })
		fill(h, func() T { return mean })
	case InitNNDSVDAR:
		// abs(avg · randn / 100): the product of T's mean with float64
		// normals is float64 in numpy, rounded to T on assignment.
		rs, err := randomstate.New(seed)
		if err != nil {
			return nil, nil, invalid("Seed", "%v", err)
		}
		avg := float64(mean)
		f := func() T { return T(math.Abs(avg * rs.StandardNormal() / 100)) }
		fill(w, f)
		fill(h, f)
	}
	return w, h, nil
}

// fill replaces the zeros of a, in order, by f's values.
func fill[T Float](a []T, f func() T) {
	for p, v := range a {
		if v == 0 {
			a[p] = f()
		}
	}
}

// norm is scikit-learn's norm, sqrt(x·x), summed in float64 and rounded
// to T.
func norm[T Float](a []T) T {
	var s float64
	for _, v := range a {
		s += float64(v) * float64(v)
	}
	return T(math.Sqrt(float64(T(s))))
}

func absT[T Float](v T) T {
	if v < 0 {
		return -v
	}
	return v
}
