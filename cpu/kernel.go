package cpu

import (
	"fmt"
	"unsafe"

	"github.com/clnmf/clnmf/nmf/backend"
)

// The multiplicative-update terms for dense X on CPUs with AVX2 and FMA,
// built on one register-blocked micro-kernel (gemm_amd64.s) instead of
// OpenBLAS calls:
//
//   - β ≠ 2: W·H is formed a cache-sized block at a time, turned into the
//     ratio X ⊙ (WH)^(β−2) and the power (WH)^(β−1) in place, and multiplied
//     straight into the numerator and denominator. No l×n temporary exists
//     and X is read once per half-iteration.
//   - β = 2: X·Hᵀ and Wᵀ·X read X where it lies, without the packed copy a
//     BLAS makes of the large operand.
//
// The small operands (W, H, Hᵀ) are copied once per call into zero-padded
// scratch so that every micro-tile is whole; padded rows and columns
// contribute zeros. Every output entry is summed in an order fixed by the
// block sizes, which do not depend on the number of workers, so results are
// reproducible across machines with the same kernels.

const mr = 6 // rows of a micro-tile

// nrOf is the columns of a micro-tile: one pair of YMM registers.
func nrOf[T backend.Float]() int {
	var z T
	if sizeof(z) == 4 {
		return 16
	}
	return 8
}

// micro runs the micro-kernel on one mr×nr block, checking that every
// element it touches lies inside the slices.
func micro[T backend.Float](kd int, a []T, sar, sap int, b []T, ldb int, c []T, ldc int, acc bool) {
	microW(kd, a, sar, sap, b, ldb, c, ldc, acc, false)
}

// microW is micro, on an mr×(nr/2) block when narrow (the last columns of
// an output whose width is a multiple of nr/2 only).
func microW[T backend.Float](kd int, a []T, sar, sap int, b []T, ldb int, c []T, ldc int, acc, narrow bool) {
	var z T
	nr := 64 / int(unsafe.Sizeof(z))
	if narrow {
		nr /= 2
	}
	if kd > 0 && (len(a) <= (mr-1)*sar+(kd-1)*sap || len(b) < (kd-1)*ldb+nr) || len(c) < (mr-1)*ldc+nr {
		panic(fmt.Sprintf("cpu: micro-kernel out of range: kd=%d len(a)=%d sar=%d sap=%d len(b)=%d ldb=%d len(c)=%d ldc=%d", kd, len(a), sar, sap, len(b), ldb, len(c), ldc))
	}
	ac := 0
	if acc {
		ac = 1
	}
	var ap, bp unsafe.Pointer
	if kd > 0 {
		ap, bp = unsafe.Pointer(unsafe.SliceData(a)), unsafe.Pointer(unsafe.SliceData(b))
	}
	cp := unsafe.Pointer(unsafe.SliceData(c))
	switch {
	case unsafe.Sizeof(z) == 4 && !narrow:
		kern32(kd, (*float32)(ap), sar, sap, (*float32)(bp), ldb, (*float32)(cp), ldc, ac)
	case unsafe.Sizeof(z) == 4:
		kern32n(kd, (*float32)(ap), sar, sap, (*float32)(bp), ldb, (*float32)(cp), ldc, ac)
	case !narrow:
		kern64(kd, (*float64)(ap), sar, sap, (*float64)(bp), ldb, (*float64)(cp), ldc, ac)
	default:
		kern64n(kd, (*float64)(ap), sar, sap, (*float64)(bp), ldb, (*float64)(cp), ldc, ac)
	}
}

func roundUp(n, m int) int { return (n + m - 1) / m * m }

// useKernels reports whether the fused kernels apply: AVX2 and FMA, and
// not switched off (CLNMF_KERNELS=off, read by the backend).
func (im *impl[T]) useKernels() bool { return hasFMA && !im.noKernels }

// blockSizes are the rows (mb) and columns (nb) of the W·H blocks, and the
// inner-dimension block (kc) of the β = 2 products: mb×nb and kc×nb blocks
// of 48–64 KiB, so that a block, its power and the operands it meets stay
// in L2.
func blockSizes[T backend.Float]() (mb, nb, kc int) {
	var z T
	if sizeof(z) == 4 {
		return 8 * mr, 256, 256
	}
	return 8 * mr, 128, 128
}

// padCopy copies the rows×cols matrix src (row stride ld) into dst with
// row stride ldd, zeroing dst's columns [cols, ldd) and its rows [rows,
// len(dst)/ldd).
func padCopy[T backend.Float](dst []T, ldd int, src []T, rows, cols, ld int) {
	for i := 0; i < len(dst)/ldd; i++ {
		d := dst[i*ldd : (i+1)*ldd]
		if i < rows {
			copy(d, src[i*ld:i*ld+cols])
			clear(d[cols:])
		} else {
			clear(d)
		}
	}
}

// packB writes the rows×kp matrix M, M[p, c] = m[p·sp + c·sc] for p <
// valid and c < cols and 0 elsewhere, as column panels of width nr (the
// last nr/2 wide when kp mod nr ≠ 0): the panel of columns [ct, ct+w)
// holds M[p, ct+j] at dst[ct·rows + p·w + j], so that a micro-kernel reads
// its b operand contiguously.
func packB[T backend.Float](dst, m []T, rows, valid, cols, sp, sc, kp, nr int) {
	for ct := 0; ct < kp; ct += nr {
		packPanel(dst, m, rows, valid, cols, sp, sc, kp, nr, ct)
	}
}

// packPanel writes packB's panel of columns [ct, ct+w). For a transposed
// source (sp = 1) it walks each column of the panel along m's row, so that
// the reads are sequential.
func packPanel[T backend.Float](dst, m []T, rows, valid, cols, sp, sc, kp, nr, ct int) {
	w := min(nr, kp-ct)
	panel := dst[ct*rows : ct*rows+rows*w]
	if sp == 1 {
		clear(panel)
		for j := 0; j < w && ct+j < cols; j++ {
			src := m[(ct+j)*sc:]
			for p := 0; p < valid; p++ {
				panel[p*w+j] = src[p]
			}
		}
		return
	}
	for p := 0; p < rows; p++ {
		row := panel[p*w : p*w+w]
		if p >= valid {
			clear(row)
			continue
		}
		for j := range row {
			if c := ct + j; c < cols {
				row[j] = m[p*sp+c*sc]
			} else {
				row[j] = 0
			}
		}
	}
}

// packTask runs packB's panels in parallel (pool.parallel over panels).
type packTask[T backend.Float] struct {
	dst, m                            []T
	rows, valid, cols, sp, sc, kp, nr int
}

func (t *packTask[T]) run(_, lo, hi int) {
	for b := lo; b < hi; b++ {
		packPanel(t.dst, t.m, t.rows, t.valid, t.cols, t.sp, t.sc, t.kp, t.nr, b*t.nr)
	}
}

// pack is packB with the panels shared between the workers.
func (im *impl[T]) pack(dst, m []T, rows, valid, cols, sp, sc, kp, nr int) {
	t := &im.packer
	*t = packTask[T]{dst: dst, m: m, rows: rows, valid: valid, cols: cols, sp: sp, sc: sc, kp: kp, nr: nr}
	im.pool.parallel((kp+nr-1)/nr, 1, t)
}

// kernTask is one call of the fused terms: side W walks blocks of mb rows,
// side H blocks of nb columns; each worker owns the output rows or columns
// of its blocks.
type kernTask[T backend.Float] struct {
	x          []T
	l, n, k    int
	lp, np     int // l rounded up to mr, n to nr
	wp         []T // W, lp×k, zero rows past l (the a of W·H)
	wpk        []T // side H: W packed in panels of mr columns (packB), the a of Wᵀ·(...)
	hp         []T // H, k×np, zero-padded
	htp        []T // Hᵀ (side W), hr×kp zero-padded, packed in column panels (packB)
	hr         int // rows of htp
	kp         int // k rounded up to nr/2 (the last column tile may be narrow)
	nump, denp []T // side W: lp×kp; side H: kr×np (kr = k rounded up to mr)
	beta       float64
	side       backend.Side
	frob       bool
	mb, nb, kc int
	scratch    []T // per worker: V and U blocks, mb×nb each
	xtail      []T // side H, β = 2: X's last n mod nr columns, l×nr, zero-padded
	xrows      []T // side W, β = 2: X's last l mod mr rows, mr×n, zero-padded
}

func (t *kernTask[T]) run(c, lo, hi int) {
	var v, u []T
	if size := t.mb * t.nb; t.scratch != nil {
		v = t.scratch[2*c*size : (2*c+1)*size]
		u = t.scratch[(2*c+1)*size : (2*c+2)*size]
	}
	for b := lo; b < hi; b++ {
		switch {
		case t.frob && t.side == backend.SideW:
			t.frobRows(b)
		case t.frob:
			t.frobCols(b)
		case t.side == backend.SideW:
			t.rows(b, v, u)
		default:
			t.cols(b, v, u)
		}
	}
}

// block forms V = W[r0:r0+rw]·H[:, j0:j0+jw] (rw a multiple of mr, jw of
// nr) into v (row stride nb), then the ratio in v and the power in u over
// the entries inside X; the rest of the block is zeroed.
func (t *kernTask[T]) block(r0, rw, j0, jw int, v, u []T) {
	nr := nrOf[T]()
	k, nb := t.k, t.nb
	vc := min(jw, t.n-j0)
	if r0 < t.l {
		// X's part of the block is wanted after the product: ask for it
		// now so that the ratio pass does not wait on memory.
		var z T
		sz := int(unsafe.Sizeof(z))
		prefetchRows(unsafe.Pointer(&t.x[r0*t.n+j0]), min(rw, t.l-r0), vc*sz, t.n*sz)
	}
	for ct := 0; ct < jw; ct += nr {
		for rt := 0; rt < rw; rt += mr {
			micro(k, t.wp[(r0+rt)*k:], k, 1, t.hp[j0+ct:], t.np, v[rt*nb+ct:], nb, false)
		}
	}
	for r := 0; r < rw; r++ {
		vr := v[r*nb : r*nb+jw]
		var ur []T
		if t.beta != 1 {
			ur = u[r*nb : r*nb+jw]
		}
		i := r0 + r
		if i >= t.l {
			clear(vr)
			clear(ur)
			continue
		}
		var uv []T
		if ur != nil {
			uv = ur[:vc]
		}
		applyRatio(t.x[i*t.n+j0:i*t.n+j0+vc], vr[:vc], uv, t.beta)
		clear(vr[vc:])
		if ur != nil {
			clear(ur[vc:])
		}
	}
}

// rows is side W for row block b: num[rows] = Σ over column blocks of
// R·Hᵀ, den[rows] likewise with U.
func (t *kernTask[T]) rows(b int, v, u []T) {
	nr := nrOf[T]()
	r0 := b * t.mb
	rw := min(t.mb, t.lp-r0)
	for j0 := 0; j0 < t.np; j0 += t.nb {
		jw := min(t.nb, t.np-j0)
		t.block(r0, rw, j0, jw, v, u)
		for ct := 0; ct < t.kp; ct += nr {
			narrow := ct+nr > t.kp
			for rt := 0; rt < rw; rt += mr {
				w := min(nr, t.kp-ct)
				bp := t.htp[ct*t.hr+j0*w:]
				microW(jw, v[rt*t.nb:], t.nb, 1, bp, w, t.nump[(r0+rt)*t.kp+ct:], t.kp, j0 > 0, narrow)
				if t.beta != 1 {
					microW(jw, u[rt*t.nb:], t.nb, 1, bp, w, t.denp[(r0+rt)*t.kp+ct:], t.kp, j0 > 0, narrow)
				}
			}
		}
	}
}

// cols is side H for column block b: num[:, cols] = Σ over row blocks of
// Wᵀ·R, den likewise with U.
func (t *kernTask[T]) cols(b int, v, u []T) {
	nr := nrOf[T]()
	j0 := b * t.nb
	jw := min(t.nb, t.np-j0)
	kr := roundUp(t.k, mr)
	for r0 := 0; r0 < t.lp; r0 += t.mb {
		rw := min(t.mb, t.lp-r0)
		t.block(r0, rw, j0, jw, v, u)
		for kt := 0; kt < kr; kt += mr {
			for ct := 0; ct < jw; ct += nr {
				ap := t.wpk[kt*t.lp+r0*mr:]
				micro(rw, ap, 1, mr, v[ct:], t.nb, t.nump[kt*t.np+j0+ct:], t.np, r0 > 0)
				if t.beta != 1 {
					micro(rw, ap, 1, mr, u[ct:], t.nb, t.denp[kt*t.np+j0+ct:], t.np, r0 > 0)
				}
			}
		}
	}
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

// newKern resets the backend's kernTask for one call on dense X with k
// components: padded sizes and the default block sizes; the caller adds
// the operands.
func (im *impl[T]) newKern(x *data[T], k int, beta float64, side backend.Side) *kernTask[T] {
	nr := nrOf[T]()
	mb, nb, kc := blockSizes[T]()
	t := &im.kern
	*t = kernTask[T]{x: x.x, l: x.rows, n: x.cols, k: k, lp: roundUp(x.rows, mr), np: roundUp(x.cols, nr), kp: roundUp(k, nr/2),
		beta: beta, side: side, frob: beta == 2, mb: mb, nb: nb, kc: kc}
	return t
}

// copyRows copies the rows×cols top-left corner of src (row stride lds)
// into dst (row stride ldd): a padded result into its matrix.
func copyRows[T backend.Float](dst []T, ldd int, src []T, lds, rows, cols int) {
	for i := 0; i < rows; i++ {
		copy(dst[i*ldd:i*ldd+cols], src[i*lds:i*lds+cols])
	}
}

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

// narrow halves the column blocks until every worker has several.
func (t *kernTask[T]) narrow(workers int) {
	nr := nrOf[T]()
	for t.nb > 4*nr && (t.np+t.nb-1)/t.nb < 4*workers {
		t.nb /= 2
	}
}

// muTermsKernels computes MUTerms for β ≠ 2 and dense X with the
// micro-kernels (see the top of this file).
func (im *impl[T]) muTermsKernels(side backend.Side, x *data[T], w, h *matrix[T], beta float64, num, den *matrix[T]) {
	nr := nrOf[T]()
	l, n, k := x.rows, x.cols, w.cols
	t := im.newKern(x, k, beta, side)
	kr := roundUp(k, mr)
	workers := im.pool.workers
	t.hp = im.buf("k.hp", k*t.np)
	padCopy(t.hp, t.np, h.data, k, n, n)
	t.wp = im.buf("k.wp", t.lp*k)
	padCopy(t.wp, k, w.data, l, k, k)
	if side == backend.SideW {
		t.scratch = im.buf("k.vu", 2*workers*t.mb*t.nb)
		t.hr = t.np
		t.htp = im.buf("k.htp", t.np*t.kp)
		im.pack(t.htp, h.data, t.np, n, k, 1, n, t.kp, nr)
		t.nump = im.buf("k.num", t.lp*t.kp)
		if beta != 1 {
			t.denp = im.buf("k.den", t.lp*t.kp)
		}
		im.pool.dynamic((t.lp+t.mb-1)/t.mb, t)
		copyRows(num.data, k, t.nump, t.kp, l, k)
		if t.denp != nil {
			copyRows(den.data, k, t.denp, t.kp, l, k)
		}
		return
	}
	// Side H: W also packed in panels of mr columns, the a of Wᵀ·R.
	t.wpk = im.buf("k.wpk", kr*t.lp)
	im.pack(t.wpk, w.data, t.lp, l, k, k, 1, kr, mr)
	t.nump = im.buf("k.num", kr*t.np)
	if beta != 1 {
		t.denp = im.buf("k.den", kr*t.np)
	}
	// Taller row blocks than side W's, so that the products into num and
	// den run over more rows per call (and the same for any number of
	// workers: the blocks fix the summation order); column blocks
	// narrowed so that every worker has several.
	t.mb *= 2
	t.narrow(workers)
	t.scratch = im.buf("k.vu", 2*workers*t.mb*t.nb)
	im.pool.dynamic((t.np+t.nb-1)/t.nb, t)
	copyRows(num.data, n, t.nump, t.np, k, n)
	if t.denp != nil {
		copyRows(den.data, n, t.denp, t.np, k, n)
	}
}

// stepAVX runs the AVX2 step kernel (m = m·num/d, d = den + l1, Epsilon
// where d is 0) over the longest prefix of whole vectors of m and returns
// its length. Lane by lane it performs the scalar loop's operations (adding
// l1 = 0 changes no d but −0, which is then 0 either way), so results are
// bitwise the same.
func stepAVX[T backend.Float](m, num, den []T, l1 T) int {
	var z T
	w := 32 / int(unsafe.Sizeof(z))
	n := len(m) &^ (w - 1)
	if n == 0 {
		return 0
	}
	num, den = num[:n], den[:n]
	c := [2]T{l1, T(backend.Epsilon)}
	mp, np, dp, cp := unsafe.Pointer(&m[0]), unsafe.Pointer(&num[0]), unsafe.Pointer(&den[0]), unsafe.Pointer(&c[0])
	if w == 8 {
		step32((*float32)(mp), (*float32)(np), (*float32)(dp), n, (*float32)(cp))
	} else {
		step64((*float64)(mp), (*float64)(np), (*float64)(dp), n, (*float64)(cp))
	}
	return n
}

// spmmRow forms the leading columns of out (one row of a CSR matrix with
// nonzeros idx, vals times b, k columns, row stride k) that fill whole
// vectors, with the AVX2 kernel, and returns how many it formed. Each
// column's terms are multiplied and added in the scalar loop's order.
func spmmRow[T backend.Float](out, b []T, k int, idx []int, vals []T) int {
	var z T
	w := 32 / int(unsafe.Sizeof(z))
	cols := k &^ (w - 1)
	if cols == 0 {
		return 0
	}
	for _, j := range idx {
		if j < 0 || (j+1)*k > len(b) {
			panic(fmt.Sprintf("cpu: spmm: column %d outside b (%d rows of %d)", j, len(b)/k, k))
		}
	}
	var ip unsafe.Pointer
	var vp unsafe.Pointer
	if len(idx) > 0 {
		ip, vp = unsafe.Pointer(&idx[0]), unsafe.Pointer(&vals[:len(idx)][0])
	}
	op, bp := unsafe.Pointer(&out[:cols][0]), unsafe.Pointer(unsafe.SliceData(b))
	if w == 8 {
		spmm32((*float32)(op), cols, (*float32)(bp), k, (*int)(ip), (*float32)(vp), len(idx))
	} else {
		spmm64((*float64)(op), cols, (*float64)(bp), k, (*int)(ip), (*float64)(vp), len(idx))
	}
	return cols
}
