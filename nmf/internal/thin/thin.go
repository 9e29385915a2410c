// Package thin factorises the thin blocks of a randomized SVD (m×c, c
// small) in their own precision, as scipy's LAPACK calls do: LU with
// partial pivoting returned as scipy.linalg.lu(a, permute_l=True) returns
// P·L (getrf: the largest |value| of the column is the pivot, the first one
// on ties), and the economic Q of a Householder QR (geqrf and orgqr), as
// scipy.linalg.qr(a, mode="economic") returns it. Matrices are row-major.
package thin

import "math"

// Float is the element type.
type Float interface{ float32 | float64 }

// PermutedL overwrites a (m×n, row-major) with its LU factorisation and
// returns P·L, m×r with r = min(m, n): the unit lower-trapezoidal L with
// its rows put back in a's order. U is not returned.
func PermutedL[T Float](a []T, m, n int) (pl []T, r int) {
	r = min(m, n)
	perm := make([]int, m)
	for i := range perm {
		perm[i] = i
	}
	for j := 0; j < r; j++ {
		p := j
		best := abs(a[j*n+j])
		for i := j + 1; i < m; i++ {
			// NaN never wins, as in i?amax's > comparison.
			if v := abs(a[i*n+j]); v > best {
				p, best = i, v
			}
		}
		if p != j {
			rj, rp := a[j*n:(j+1)*n], a[p*n:(p+1)*n]
			for c := range rj {
				rj[c], rp[c] = rp[c], rj[c]
			}
			perm[j], perm[p] = perm[p], perm[j]
		}
		piv := a[j*n+j]
		if piv == 0 {
			// A singular column: getrf leaves it and goes on.
			continue
		}
		// getf2 scales by the reciprocal where it is safe to form.
		if float64(abs(piv)) >= sfmin[T]() {
			inv := 1 / piv
			for i := j + 1; i < m; i++ {
				a[i*n+j] *= inv
			}
		} else {
			for i := j + 1; i < m; i++ {
				a[i*n+j] /= piv
			}
		}
		uj := a[j*n+j+1 : (j+1)*n]
		for i := j + 1; i < m; i++ {
			lij := a[i*n+j]
			if lij == 0 {
				continue
			}
			ri := a[i*n+j+1 : (i+1)*n]
			for c, u := range uj {
				ri[c] -= lij * u
			}
		}
	}
	pl = make([]T, m*r)
	for i := 0; i < m; i++ {
		dst := pl[perm[i]*r : (perm[i]+1)*r]
		for c := 0; c < r && c < i; c++ {
			dst[c] = a[i*n+c]
		}
		if i < r {
			dst[i] = 1
		}
	}
	return pl, r
}

// Q overwrites a (m×n, row-major) with its Householder QR factorisation
// and returns the economic Q, m×r with r = min(m, n), orthonormal columns
// spanning a's leading r columns (LAPACK's geqr2 and org2r, unblocked).
func Q[T Float](a []T, m, n int) (q []T, r int) {
	r = min(m, n)
	tau := make([]T, r)
	w := make([]T, n)
	for j := 0; j < r; j++ {
		tau[j] = reflector(a, m, n, j)
		if j+1 < n {
			applyLeft(a, m, n, j, j+1, n, tau[j], w)
		}
	}
	// org2r on the m×r leading block, kept in a's stride.
	for i := r - 1; i >= 0; i-- {
		if i+1 < r {
			a[i*n+i] = 1
			applyLeft(a, m, n, i, i+1, r, tau[i], w)
		}
		for row := i + 1; row < m; row++ {
			a[row*n+i] *= -tau[i]
		}
		a[i*n+i] = 1 - tau[i]
		for row := 0; row < i; row++ {
			a[row*n+i] = 0
		}
	}
	q = make([]T, m*r)
	for i := 0; i < m; i++ {
		copy(q[i*r:(i+1)*r], a[i*n:i*n+r])
	}
	return q, r
}

// reflector is larfg on column j below the diagonal: it makes a[j][j] β
// and a[j+1:][j] the reflector's v (v[0] = 1 implied) and returns τ.
func reflector[T Float](a []T, m, n, j int) T {
	alpha := a[j*n+j]
	var ss, scale float64 = 0, 0
	for i := j + 1; i < m; i++ {
		scale = math.Max(scale, math.Abs(float64(a[i*n+j])))
	}
	if scale > 0 {
		for i := j + 1; i < m; i++ {
			v := float64(a[i*n+j]) / scale
			ss += v * v
		}
	}
	xnorm := T(scale * math.Sqrt(ss))
	if xnorm == 0 {
		return 0
	}
	beta := -T(math.Copysign(math.Hypot(float64(alpha), float64(xnorm)), float64(alpha)))
	tau := (beta - alpha) / beta
	inv := 1 / (alpha - beta)
	for i := j + 1; i < m; i++ {
		a[i*n+j] *= inv
	}
	a[j*n+j] = beta
	return tau
}

// applyLeft applies H = I − τ·v·vᵀ, v = (1, a[j+1:][j]), to the rows j… and
// columns c0…c1−1 of a (larf), with w as scratch.
func applyLeft[T Float](a []T, m, n, j, c0, c1 int, tau T, w []T) {
	if tau == 0 {
		return
	}
	w = w[:c1-c0]
	copy(w, a[j*n+c0:j*n+c1])
	for i := j + 1; i < m; i++ {
		vi := a[i*n+j]
		if vi == 0 {
			continue
		}
		for c, x := range a[i*n+c0 : i*n+c1] {
			w[c] += vi * x
		}
	}
	row := a[j*n+c0 : j*n+c1]
	for c := range row {
		row[c] -= tau * w[c]
	}
	for i := j + 1; i < m; i++ {
		t := tau * a[i*n+j]
		if t == 0 {
			continue
		}
		for c := range a[i*n+c0 : i*n+c1] {
			a[i*n+c0+c] -= t * w[c]
		}
	}
}

func abs[T Float](v T) T {
	if v < 0 {
		return -v
	}
	return v
}

// sfmin is LAPACK's safe minimum: the smallest x whose 1/x does not
// overflow.
func sfmin[T Float]() float64 {
	var z T
	if _, ok := any(z).(float32); ok {
		return math.SmallestNonzeroFloat32 * (1 << 23) // 2⁻¹²⁶, float32's smallest normal
	}
	return 0x1p-1022
}
