package cpu

import (
	"fmt"

	"github.com/clnmf/clnmf/nmf/backend"
)

// X·B and Bᵀ·X for dense X on the micro-kernels (kernel.go), X read in
// place without a packed copy: the Frobenius numerators and MulX.

// prodXB returns X·B for dense X (l×n) and B (n×k), or X·Bᵀ for B k×n
// when bT, in the lp×kp scratch it returns (row stride kp, rows ≥ l and
// columns ≥ k to be ignored).
func (im *impl[T]) prodXB(x *data[T], b []T, k int, bT bool) (out []T, ld int) {
	if bT {
		return im.prodAB(x.x, x.cols, 1, x.rows, x.cols, b, 1, x.cols, k)
	}
	return im.prodAB(x.x, x.cols, 1, x.rows, x.cols, b, k, 1, k)
}

// prodAB returns the m×n product A·B, A[r, p] = a[r·sar + p·sap] and
// B[p, c] = b[p·sbp + c·sbc] (p < inner), in the lp×kp scratch it returns
// (row stride kp; rows ≥ m and columns ≥ n to be ignored). A is read in
// place (its last m mod mr rows from a padded copy), B packed in column
// panels; blocks of mb rows go to the workers, and each output entry is
// summed in an order fixed by the shape alone.
func (im *impl[T]) prodAB(a []T, sar, sap, m, inner int, b []T, sbp, sbc, n int) (out []T, ld int) {
	mb, _, _ := blockSizes[T]()
	t := &im.kern
	im.setRows(t, a, sar, sap, m, inner, b, sbp, sbc, n, mb)
	im.pool.dynamic((t.lp+t.mb-1)/t.mb, t)
	return t.nump, t.kp
}

// setRows sets t up for prodAB's product A·B in blocks of mb rows (t.frobRows):
// B packed, the output scratch, and A's last m mod mr rows copied.
func (im *impl[T]) setRows(t *kernTask[T], a []T, sar, sap, m, inner int, b []T, sbp, sbc, n, mb int) {
	nr := nrOf[T]()
	_, _, kc := blockSizes[T]()
	*t = kernTask[T]{x: a, sar: sar, sap: sap, l: m, lp: roundUp(m, mr), hr: inner, kp: roundUp(n, nr/2), side: backend.SideW, frob: true, mb: mb, kc: kc}
	t.htp = im.buf("k.htp", inner*t.kp)
	im.pack(t.htp, b, inner, inner, n, sbp, sbc, t.kp, nr)
	t.nump = im.buf("k.num", t.lp*t.kp)
	if inner == 0 { // an empty sum: the blocks write nothing, and the scratch holds the last product
		clear(t.nump)
	}
	if m%mr != 0 {
		t.xrows = im.buf("k.xrows", mr*inner)
		clear(t.xrows)
		for r := m / mr * mr; r < m; r++ {
			row := t.xrows[(r%mr)*inner : (r%mr+1)*inner]
			for p := range row {
				row[p] = a[r*sar+p*sap]
			}
		}
	}
}

// mulK sets out = op(a)·op(b) like mul, on the micro-kernels where they
// are on: the MU terms' k×k products, whatever the BLAS.
func (im *impl[T]) mulK(out, a *matrix[T], ta bool, b *matrix[T], tb bool) {
	if !im.useKernels() {
		im.mul(out, a, ta, b, tb)
		return
	}
	m, inner, sar, sap := a.rows, a.cols, a.cols, 1
	if ta {
		m, inner, sar, sap = a.cols, a.rows, 1, a.cols
	}
	n, sbp, sbc := b.cols, b.cols, 1
	if tb {
		n, sbp, sbc = b.rows, 1, b.cols
	}
	kb := b.rows
	if tb {
		kb = b.cols
	}
	if kb != inner || out.rows != m || out.cols != n {
		panic(fmt.Sprintf("backend: cpu: Mul: %d×%d · %d×%d into %d×%d", m, inner, kb, n, out.rows, out.cols))
	}
	p, ld := im.prodAB(a.data, sar, sap, m, inner, b.data, sbp, sbc, n)
	copyRows(out.data, n, p, ld, m, n)
}

// prodBtX returns Bᵀ·X for B l×k and dense X (l×n) in the kr×np scratch
// it returns (row stride np).
func (im *impl[T]) prodBtX(x *data[T], b []T, k int) (out []T, ld int) {
	t := im.newKern(x, k, 2, backend.SideH)
	kr := roundUp(k, mr)
	t.wpk = im.buf("k.wpk", kr*t.lp)
	im.pack(t.wpk, b, t.lp, x.rows, k, k, 1, kr, mr)
	t.nump = im.buf("k.num", kr*t.np)
	if x.rows == 0 { // an empty sum, as in setRows
		clear(t.nump)
	}
	t.narrow(im.pool.workers)
	t.scratch = im.buf("k.xb", im.pool.workers*t.kc*t.nb)
	im.pool.dynamic((t.np+t.nb-1)/t.nb, t)
	return t.nump, t.np
}

// frobRows is prodAB's product for row block b, A read in place (its last
// l mod mr rows from the padded copy).
func (t *kernTask[T]) frobRows(b int) {
	nr := nrOf[T]()
	r0 := b * t.mb
	rw := min(t.mb, t.lp-r0)
	full := t.l / mr * mr
	for p0 := 0; p0 < t.hr; p0 += t.kc {
		pw := min(t.kc, t.hr-p0)
		for ct := 0; ct < t.kp; ct += nr {
			w := min(nr, t.kp-ct)
			bp := t.htp[ct*t.hr+p0*w:]
			for rt := r0; rt < r0+rw; rt += mr {
				a, sar, sap := t.x[rt*t.sar+p0*t.sap:], t.sar, t.sap
				if rt >= full {
					a, sar, sap = t.xrows[p0:], t.hr, 1
				}
				microW(pw, a, sar, sap, bp, w, t.nump[rt*t.kp+ct:], t.kp, p0 > 0, w < nr)
			}
		}
	}
}

// frobCols is Wᵀ·X for column block b. Each chunk of kc rows of the
// block's columns of X is first copied into xb (zero past X's last column,
// row stride the block's width): read from X row segment by row segment,
// which the hardware prefetchers follow, where the micro-kernel's strided
// walk down X's columns (one page per step) stalled on memory.
func (t *kernTask[T]) frobCols(b int, xb []T) {
	nr := nrOf[T]()
	j0 := b * t.nb
	jw := min(t.nb, t.np-j0)
	vc := min(jw, t.n-j0)
	kr := roundUp(t.k, mr)
	for i0 := 0; i0 < t.l; i0 += t.kc {
		iw := min(t.kc, t.l-i0)
		for i := 0; i < iw; i++ {
			row := xb[i*jw : i*jw+jw]
			copy(row, t.x[(i0+i)*t.n+j0:(i0+i)*t.n+j0+vc])
			clear(row[vc:])
		}
		for ct := 0; ct < jw; ct += nr {
			for kt := 0; kt < kr; kt += mr {
				micro(iw, t.wpk[kt*t.lp+i0*mr:], 1, mr, xb[ct:], jw, t.nump[kt*t.np+j0+ct:], t.np, i0 > 0)
			}
		}
	}
}
