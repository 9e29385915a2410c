package cpu

import "github.com/clnmf/clnmf/nmf/backend"

// X·B and Bᵀ·X for dense X on the micro-kernels (kernel.go), X read in
// place without a packed copy: the Frobenius numerators and MulX.

// prodXB returns X·B for dense X (l×n) and B (n×k), or X·Bᵀ for B k×n
// when bT, in the lp×kp scratch it returns (row stride kp, rows ≥ l and
// columns ≥ k to be ignored).
func (im *impl[T]) prodXB(x *data[T], b []T, k int, bT bool) (out []T, ld int) {
	nr := nrOf[T]()
	l, n := x.rows, x.cols
	t := im.newKern(x, k, 2, backend.SideW)
	t.hr = n
	t.htp = im.buf("k.htp", n*t.kp)
	if bT {
		im.pack(t.htp, b, n, n, k, 1, n, t.kp, nr)
	} else {
		im.pack(t.htp, b, n, n, k, k, 1, t.kp, nr)
	}
	t.nump = im.buf("k.num", t.lp*t.kp)
	if l%mr != 0 {
		t.xrows = im.buf("k.xrows", mr*n)
		padCopy(t.xrows, n, x.x[l/mr*mr*n:], l%mr, n, n)
	}
	im.pool.dynamic((t.lp+t.mb-1)/t.mb, t)
	return t.nump, t.kp
}

// prodBtX returns Bᵀ·X for B l×k and dense X (l×n) in the kr×np scratch
// it returns (row stride np).
func (im *impl[T]) prodBtX(x *data[T], b []T, k int) (out []T, ld int) {
	nr := nrOf[T]()
	l, n := x.rows, x.cols
	t := im.newKern(x, k, 2, backend.SideH)
	kr := roundUp(k, mr)
	t.wpk = im.buf("k.wpk", kr*t.lp)
	im.pack(t.wpk, b, t.lp, l, k, k, 1, kr, mr)
	t.nump = im.buf("k.num", kr*t.np)
	if n%nr != 0 {
		t.xtail = im.buf("k.xtail", l*nr)
		padCopy(t.xtail, nr, x.x[n/nr*nr:], l, n%nr, n)
	}
	t.narrow(im.pool.workers)
	im.pool.dynamic((t.np+t.nb-1)/t.nb, t)
	return t.nump, t.np
}

// frobRows is X·Hᵀ for row block b, X read in place (its last l mod mr
// rows from the padded copy).
func (t *kernTask[T]) frobRows(b int) {
	nr := nrOf[T]()
	r0 := b * t.mb
	rw := min(t.mb, t.lp-r0)
	full := t.l / mr * mr
	for p0 := 0; p0 < t.n; p0 += t.kc {
		pw := min(t.kc, t.n-p0)
		for ct := 0; ct < t.kp; ct += nr {
			w := min(nr, t.kp-ct)
			bp := t.htp[ct*t.hr+p0*w:]
			for rt := r0; rt < r0+rw; rt += mr {
				a, lda := t.x[rt*t.n+p0:], t.n
				if rt >= full {
					a = t.xrows[p0:]
				}
				microW(pw, a, lda, 1, bp, w, t.nump[rt*t.kp+ct:], t.kp, p0 > 0, w < nr)
			}
		}
	}
}

// frobCols is Wᵀ·X for column block b, X read in place (its last n mod nr
// columns from the padded copy).
func (t *kernTask[T]) frobCols(b int) {
	nr := nrOf[T]()
	j0 := b * t.nb
	jw := min(t.nb, t.np-j0)
	kr := roundUp(t.k, mr)
	full := t.n / nr * nr
	for i0 := 0; i0 < t.l; i0 += t.kc {
		iw := min(t.kc, t.l-i0)
		for ct := j0; ct < j0+jw; ct += nr {
			bm, ldb := t.x[i0*t.n+ct:], t.n
			if ct >= full {
				bm, ldb = t.xtail[i0*nr:], nr
			}
			for kt := 0; kt < kr; kt += mr {
				micro(iw, t.wpk[kt*t.lp+i0*mr:], 1, mr, bm, ldb, t.nump[kt*t.np+ct:], t.np, i0 > 0)
			}
		}
	}
}
