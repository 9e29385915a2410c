package cpu

import (
	"fmt"
	"unsafe"

	"github.com/clnmf/clnmf/nmf/backend"
)

// Products: Gram, Mul, MulX (dense through the BLAS or the micro-kernels of
// mul_kernels.go, sparse by rows of CSR or CSC) and Transpose.

func (im *impl[T]) gram(out, a *matrix[T]) {
	if out.rows != a.cols || out.cols != a.cols {
		panic(fmt.Sprintf("backend: cpu: Gram: out %d×%d for a %d×%d", out.rows, out.cols, a.rows, a.cols))
	}
	if im.useKernels() {
		im.mulK(out, a, true, a, false)
		return
	}
	k := a.cols
	im.product(out.data, a.data, k, true, a.data, k, false, k, k, a.rows)
}

func (im *impl[T]) mul(out, a *matrix[T], ta bool, b *matrix[T], tb bool) {
	m, k := a.rows, a.cols
	if ta {
		m, k = k, m
	}
	kb, n := b.rows, b.cols
	if tb {
		kb, n = n, kb
	}
	if k != kb || out.rows != m || out.cols != n {
		panic(fmt.Sprintf("backend: cpu: Mul: %d×%d · %d×%d into %d×%d", m, k, kb, n, out.rows, out.cols))
	}
	if k == 0 { // an empty sum, which the BLAS refuses (lda < 1)
		clear(out.data)
		return
	}
	im.product(out.data, a.data, a.cols, ta, b.data, b.cols, tb, m, n, k)
}

// product sets out (m×n, row stride n) = op(a)·op(b) through the BLAS.
// While the kernels are on, OpenBLAS is single-threaded, so large products
// are cut into blocks of rows of out, which the workers take in turn. The
// blocks depend only on the shape (mulBlockRows), so every entry comes from
// the same BLAS call whatever the number of workers.
func (im *impl[T]) product(out, a []T, lda int, ta bool, b []T, ldb int, tb bool, m, n, k int) {
	if bm := mulBlockRows(m); im.useKernels() && float64(m)*float64(n)*float64(k) >= 1<<22 && m > bm {
		t := &im.mulRows
		*t = mulTask[T]{im: im, a: a, lda: lda, ta: ta, b: b, ldb: ldb, tb: tb, out: out, m: m, n: n, k: k, bm: bm}
		im.pool.dynamic((m+bm-1)/bm, t)
		return
	}
	im.g.gemm(ta, tb, m, n, k, 1, a, max(lda, 1), b, max(ldb, 1), 0, out, max(n, 1))
}

// mulBlockRows is the rows of out per block of a shared product: about a
// thirty-second of them, a multiple of 16, at least 32.
func mulBlockRows(m int) int { return roundUp(max(m/32, 32), 16) }

// mulTask forms the blocks [lo, hi) of bm rows of out = op(a)·op(b). It
// holds the slices, not the matrices, so that callers' matrix headers stay
// on their stacks.
type mulTask[T backend.Float] struct {
	im                    *impl[T]
	a, b, out             []T
	lda, ldb, m, n, k, bm int
	ta, tb                bool
}

func (t *mulTask[T]) run(c, lo, hi int) {
	for blk := lo; blk < hi; blk++ {
		r0, r1 := blk*t.bm, min((blk+1)*t.bm, t.m)
		// Rows r0.. of op(a) start at a[r0, 0], or at column r0 of a
		// when transposed.
		off := r0 * t.lda
		if t.ta {
			off = r0
		}
		t.im.slots[c].gemm(t.ta, t.tb, r1-r0, t.n, t.k, 1, t.a[off:], max(t.lda, 1), t.b, max(t.ldb, 1), 0, t.out[r0*t.n:], max(t.n, 1))
	}
}

func (im *impl[T]) mulX(out *matrix[T], x *data[T], tr bool, b *matrix[T]) {
	l, n := x.rows, x.cols
	inner, outer := n, l
	if tr {
		inner, outer = l, n
	}
	if b.rows != inner || out.rows != outer || out.cols != b.cols {
		panic(fmt.Sprintf("backend: cpu: MulX: X %d×%d (trans %v) · %d×%d into %d×%d", l, n, tr, b.rows, b.cols, out.rows, out.cols))
	}
	k := b.cols
	if !x.Sparse() && im.useKernels() {
		if !tr {
			p, ld := im.prodXB(x, b.data, k, false)
			copyRows(out.data, k, p, ld, l, k)
			return
		}
		p, ld := im.prodBtX(x, b.data, k)
		for kk := 0; kk < k; kk++ {
			for j, v := range p[kk*ld : kk*ld+n] {
				out.data[j*k+kk] = v
			}
		}
		return
	}
	if !x.Sparse() {
		im.g.gemm(tr, false, outer, k, inner, 1, x.x, max(n, 1), b.data, max(k, 1), 0, out.data, max(k, 1))
		return
	}
	t := &im.spmm
	if tr {
		*t = spmmTask[T]{ptr: x.colptr, idx: x.rowidx, vals: x.cvals, b: b.data, out: out.data, k: k}
	} else {
		*t = spmmTask[T]{ptr: x.indptr, idx: x.indices, vals: x.vals, b: b.data, out: out.data, k: k}
	}
	im.pool.parallel(outer, 64, t)
}

// spmmTask: out[i,:] = Σ_p vals[p]·b[idx[p],:] over p in row i's range.
type spmmTask[T backend.Float] struct {
	ptr, idx []int
	vals, b  []T
	out      []T
	k        int
}

func (t *spmmTask[T]) run(_, lo, hi int) {
	k := t.k
	for i := lo; i < hi; i++ {
		o := t.out[i*k : i*k+k]
		c0 := 0
		if hasAVX2 {
			c0 = spmmRow(o, t.b, k, t.idx[t.ptr[i]:t.ptr[i+1]], t.vals[t.ptr[i]:t.ptr[i+1]])
		}
		o = o[c0:]
		clear(o)
		for p := t.ptr[i]; p < t.ptr[i+1]; p++ {
			v := t.vals[p]
			row := t.b[t.idx[p]*k+c0 : t.idx[p]*k+k]
			for r, br := range row {
				o[r] += v * br
			}
		}
	}
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

func transpose[T backend.Float](out, a *matrix[T]) {
	if out.rows != a.cols || out.cols != a.rows {
		panic(fmt.Sprintf("backend: cpu: Transpose: %d×%d into %d×%d", a.rows, a.cols, out.rows, out.cols))
	}
	r, c := a.rows, a.cols
	const bs = 32
	for i0 := 0; i0 < r; i0 += bs {
		for j0 := 0; j0 < c; j0 += bs {
			for i := i0; i < min(i0+bs, r); i++ {
				for j := j0; j < min(j0+bs, c); j++ {
					out.data[j*r+i] = a.data[i*c+j]
				}
			}
		}
	}
}
