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

// nrOf is the columns of a micro-tile: one pair of YMM registers, or of
// ZMM registers where the kernels use AVX-512.
func nrOf[T backend.Float]() int {
	var z T
	nr := 8
	if sizeof(z) == 4 {
		nr = 16
	}
	if hasAVX512 {
		nr *= 2
	}
	return nr
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
	nr := nrOf[T]()
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
	a32, b32, c32 := (*float32)(ap), (*float32)(bp), (*float32)(cp)
	a64, b64, c64 := (*float64)(ap), (*float64)(bp), (*float64)(cp)
	switch wide := !narrow; {
	case unsafe.Sizeof(z) == 4 && hasAVX512 && wide:
		kern32x(kd, a32, sar, sap, b32, ldb, c32, ldc, ac)
	case unsafe.Sizeof(z) == 4 && hasAVX512:
		kern32xn(kd, a32, sar, sap, b32, ldb, c32, ldc, ac)
	case unsafe.Sizeof(z) == 4 && wide:
		kern32(kd, a32, sar, sap, b32, ldb, c32, ldc, ac)
	case unsafe.Sizeof(z) == 4:
		kern32n(kd, a32, sar, sap, b32, ldb, c32, ldc, ac)
	case hasAVX512 && wide:
		kern64x(kd, a64, sar, sap, b64, ldb, c64, ldc, ac)
	case hasAVX512:
		kern64xn(kd, a64, sar, sap, b64, ldb, c64, ldc, ac)
	case wide:
		kern64(kd, a64, sar, sap, b64, ldb, c64, ldc, ac)
	default:
		kern64n(kd, a64, sar, sap, b64, ldb, c64, ldc, ac)
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

// packPanel writes packB's panel of columns [ct, ct+w). A source with
// contiguous rows (sc = 1) is copied row by row; a transposed one (sp = 1)
// is walked down each column a few rows at a time, so that both the reads
// and the writes stay within a few cache lines.
func packPanel[T backend.Float](dst, m []T, rows, valid, cols, sp, sc, kp, nr, ct int) {
	w := min(nr, kp-ct)
	wc := min(w, max(cols-ct, 0)) // columns of the panel inside M
	panel := dst[ct*rows : ct*rows+rows*w]
	switch {
	case sc == 1:
		for p := 0; p < rows; p++ {
			row := panel[p*w : p*w+w]
			if p >= valid {
				clear(row)
				continue
			}
			copy(row, m[p*sp+ct:p*sp+ct+wc])
			clear(row[wc:])
		}
	case sp == 1:
		clear(panel)
		const pb = 16
		for p0 := 0; p0 < valid; p0 += pb {
			p1 := min(p0+pb, valid)
			for j := 0; j < wc; j++ {
				for i, v := range m[(ct+j)*sc+p0 : (ct+j)*sc+p1] {
					panel[(p0+i)*w+j] = v
				}
			}
		}
	default:
		clear(panel)
		for p := 0; p < valid; p++ {
			for j := 0; j < wc; j++ {
				panel[p*w+j] = m[p*sp+(ct+j)*sc]
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
	sar, sap   int // prodAB: A's strides (x holds A)
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
	scratch    []T // per worker: V and U blocks, mb×nb each (β = 2, side H: a kc×nb block of X)
	xrows      []T // side W, β = 2: X's last l mod mr rows, mr×n, zero-padded
}

func (t *kernTask[T]) run(c, lo, hi int) {
	var v, u, xb []T
	switch size := t.mb * t.nb; {
	case t.frob && t.side == backend.SideH:
		xb = t.scratch[c*t.kc*t.nb : (c+1)*t.kc*t.nb]
	case !t.frob:
		v = t.scratch[2*c*size : (2*c+1)*size]
		u = t.scratch[(2*c+1)*size : (2*c+2)*size]
	}
	for b := lo; b < hi; b++ {
		switch {
		case t.frob && t.side == backend.SideW:
			t.frobRows(b)
		case t.frob:
			t.frobCols(b, xb)
		case t.side == backend.SideW:
			t.rows(b, v, u)
		default:
			t.cols(b, v, u)
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

// narrow halves the column blocks until every worker has several.
func (t *kernTask[T]) narrow(workers int) {
	nr := nrOf[T]()
	for t.nb > 4*nr && (t.np+t.nb-1)/t.nb < 4*workers {
		t.nb /= 2
	}
}
