package cpu

import (
	"unsafe"

	"github.com/clnmf/clnmf/nmf/backend"
)

// The multiplicative-update terms for β ≠ 2 and dense X on the micro-kernels
// (kernel.go): W·H formed a cache-sized block at a time, turned into the
// ratio and the power in place, and multiplied straight into num and den.

// muTermsKernels computes MUTerms for β ≠ 2 and dense X with the
// micro-kernels (see the top of this file).
func (im *impl[T]) muTermsKernels(side backend.Side, x *data[T], w, h *matrix[T], beta float64, num, den *matrix[T]) {
	nr := nrOf[T]()
	l, n, k := x.rows, x.cols, w.cols
	t := im.newKern(x, k, beta, side)
	kr := roundUp(k, mr)
	workers := im.pool.workers
	// H in column panels of nr (k rows each, contiguous), the b of W·H:
	// read with H's own row stride, a multiple of 4 KiB at n = 1024, the
	// panel's rows would share a few L1 sets and come from L2 every time.
	t.hp = im.buf("k.hp", k*t.np)
	im.pack(t.hp, h.data, k, k, n, n, 1, t.np, nr)
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
			micro(k, t.wp[(r0+rt)*k:], k, 1, t.hp[(j0+ct)*k:], nr, v[rt*nb+ct:], nb, false)
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
		applyRatio(t.x[i*t.n+j0:i*t.n+j0+vc], vr[:vc], uv, t.beta, true) // the kernels path: useKernels
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
