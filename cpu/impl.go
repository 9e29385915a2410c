package cpu

import (
	"fmt"
	"math"
	"slices"

	"github.com/clnmf/clnmf/nmf/backend"
)

// impl holds the operations and buffers of one precision.
type impl[T backend.Float] struct {
	g     gemmer[T]   // for calls outside parallel regions
	slots []gemmer[T] // slots[c] for chunk c of a parallel region
	pool  *pool
	bytes int64 // held in matrices and scratch

	scratch map[string][]T

	// Long-lived task values: dispatching them allocates nothing.
	ratio     ratioTask[T]
	fused     fusedTask[T]
	frob      frobTask[T]
	kern      kernTask[T]
	packer    packTask[T]
	mulRows   mulTask[T]
	noKernels bool // Options.NoKernels
	threads   threadControl
	step      stepTask[T]
	sddmm     sddmmTask[T]
	blockW    powBlockTask[T]
	divD      divDenseTask[T]
	divS      divSparseTask[T]
	cd        cdTask[T]
	spmm      spmmTask[T]
	partial   []float64 // per-chunk partial sums, 4 per chunk
	blockSums []float64 // per-chunk sums of the block tasks
}

const blockRows = 32 // rows (or columns) of W·H formed at a time for sparse X

func newImpl[T backend.Float](p *pool, lib BLAS) *impl[T] {
	im := &impl[T]{pool: p, scratch: map[string][]T{}}
	for c := 0; c < p.workers; c++ {
		if lib == BLASOpenBLAS {
			var z T
			fn := openblas.dgemm
			if _, ok := any(z).(float32); ok {
				fn = openblas.sgemm
			}
			// Each slot has its own argument block: concurrent calls
			// must not share one.
			im.slots = append(im.slots, openBLAS[T]{fn: fn, args: new(gemmArgs[T])})
		} else {
			im.slots = append(im.slots, goBLAS[T]{})
		}
	}
	im.g = im.slots[0]
	im.threads = newThreadControl(lib)
	im.partial = make([]float64, 4*p.workers)
	im.blockSums = make([]float64, p.workers)
	return im
}

func (im *impl[T]) release() {
	im.scratch = map[string][]T{}
	im.bytes = 0
}

func (im *impl[T]) newMatrix(rows, cols int) (*matrix[T], error) {
	n := rows * cols
	if rows != 0 && n/rows != cols {
		return nil, fmt.Errorf("cpu: NewMatrix: %d×%d overflows", rows, cols)
	}
	var z T
	im.bytes += int64(n) * int64(sizeof(z))
	return &matrix[T]{rows: rows, cols: cols, data: make([]T, n)}, nil
}

func sizeof[T backend.Float](T) int {
	var z T
	if _, ok := any(z).(float32); ok {
		return 4
	}
	return 8
}

// buf returns the scratch buffer called name with at least n elements,
// allocating it on first use (or when a larger one is needed).
func (im *impl[T]) buf(name string, n int) []T {
	s := im.scratch[name]
	if cap(s) < n {
		var z T
		im.bytes += int64(n-cap(s)) * int64(sizeof(z))
		s = make([]T, n)
		im.scratch[name] = s
	}
	return s[:n]
}

func (im *impl[T]) sparseData(x *backend.CSR[T]) *data[T] {
	d := &data[T]{rows: x.Rows, cols: x.Cols}
	nnz := 0
	for _, v := range x.Data {
		if v != 0 {
			nnz++
		}
	}
	d.indptr = make([]int, x.Rows+1)
	d.indices = make([]int, 0, nnz)
	d.vals = make([]T, 0, nnz)
	for i := 0; i < x.Rows; i++ {
		for p := x.Indptr[i]; p < x.Indptr[i+1]; p++ {
			if x.Data[p] != 0 {
				d.indices = append(d.indices, x.Indices[p])
				d.vals = append(d.vals, x.Data[p])
			}
		}
		d.indptr[i+1] = len(d.indices)
	}
	// CSC by counting sort; rows within a column come out increasing.
	d.colptr = make([]int, x.Cols+1)
	for _, j := range d.indices {
		d.colptr[j+1]++
	}
	for j := 0; j < x.Cols; j++ {
		d.colptr[j+1] += d.colptr[j]
	}
	next := slices.Clone(d.colptr[:x.Cols])
	d.rowidx = make([]int, len(d.indices))
	d.cvals = make([]T, len(d.indices))
	for i := 0; i < x.Rows; i++ {
		for p := d.indptr[i]; p < d.indptr[i+1]; p++ {
			j := d.indices[p]
			d.rowidx[next[j]] = i
			d.cvals[next[j]] = d.vals[p]
			next[j]++
		}
	}
	return d
}

// ---- products ----

func (im *impl[T]) gram(out, a *matrix[T]) {
	if out.rows != a.cols || out.cols != a.cols {
		panic(fmt.Sprintf("backend: cpu: Gram: out %d×%d for a %d×%d", out.rows, out.cols, a.rows, a.cols))
	}
	im.g.gemm(true, false, a.cols, a.cols, a.rows, 1, a.data, max(a.cols, 1), a.data, max(a.cols, 1), 0, out.data, max(out.cols, 1))
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
	if im.useKernels() && float64(m)*float64(n)*float64(k) >= 1<<22 && im.pool.chunks(m, 16) > 1 {
		// OpenBLAS is single-threaded while the kernels are on: large
		// products share out's rows between the workers.
		t := &im.mulRows
		*t = mulTask[T]{im: im, a: a.data, lda: a.cols, ta: ta, b: b.data, ldb: b.cols, tb: tb, out: out.data, n: n, k: k}
		im.pool.parallel(m, 16, t)
		return
	}
	im.g.gemm(ta, tb, m, n, k, 1, a.data, max(a.cols, 1), b.data, max(b.cols, 1), 0, out.data, max(out.cols, 1))
}

// mulTask forms rows [lo, hi) of out = op(a)·op(b), one worker's share.
// It holds the slices, not the matrices, so that callers' matrix headers
// stay on their stacks.
type mulTask[T backend.Float] struct {
	im             *impl[T]
	a, b, out      []T
	lda, ldb, n, k int
	ta, tb         bool
}

func (t *mulTask[T]) run(c, lo, hi int) {
	// Rows lo.. of op(a) start at a[lo, 0], or at column lo of a when
	// transposed.
	off := lo * t.lda
	if t.ta {
		off = lo
	}
	t.im.slots[c].gemm(t.ta, t.tb, hi-lo, t.n, t.k, 1, t.a[off:], max(t.lda, 1), t.b, max(t.ldb, 1), 0, t.out[lo*t.n:], max(t.n, 1))
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

// ---- multiplicative update ----

// ratio is X ⊙ V^(β−2) for one entry, with V's zeros replaced by Epsilon
// when β < 2 (scikit-learn's WH_safe_X).
func ratio(x, v, beta float64) float64 {
	if beta < 2 && v == 0 {
		v = backend.Epsilon
	}
	switch beta {
	case 1:
		return x / v
	case 0:
		r := 1 / v
		return r * r * x
	}
	return pow(v, beta-2) * x
}

// denPow is U^(β−1) with U's zeros replaced by Epsilon when β < 1.
func denPow(u, beta float64) float64 {
	if beta < 1 && u == 0 {
		u = backend.Epsilon
	}
	return pow(u, beta-1)
}

func (im *impl[T]) muTerms(side backend.Side, x *data[T], w, h *matrix[T], beta float64, num, den *matrix[T]) {
	l, n := x.rows, x.cols
	k := w.cols
	if w.rows != l || h.rows != k || h.cols != n {
		panic(fmt.Sprintf("backend: cpu: MUTerms: X %d×%d, W %d×%d, H %d×%d", l, n, w.rows, w.cols, h.rows, h.cols))
	}
	or, oc := l, k
	if side == backend.SideH {
		or, oc = k, n
	}
	if num.rows != or || num.cols != oc || den.rows != or || den.cols != oc {
		panic(fmt.Sprintf("backend: cpu: MUTerms: num %d×%d, den %d×%d, want %d×%d", num.rows, num.cols, den.rows, den.cols, or, oc))
	}
	if beta == 2 {
		im.muTermsFrobenius(side, x, w, h, num, den)
		return
	}
	if x.Sparse() {
		im.muTermsSparse(side, x, w, h, beta, num, den)
	} else {
		im.muTermsDense(side, x, w, h, beta, num, den)
	}
	if beta == 1 {
		broadcastSums(side, w, h, den)
	}
}

func (im *impl[T]) muTermsFrobenius(side backend.Side, x *data[T], w, h *matrix[T], num, den *matrix[T]) {
	k := w.cols
	g := &matrix[T]{rows: k, cols: k, data: im.buf("gram", k*k)}
	// Dense X: num from the micro-kernels where they are on; otherwise,
	// in float64, the large products split between workers (measured
	// faster than OpenBLAS's own threads here; not so for float32).
	kern := !x.Sparse() && im.useKernels()
	var z T
	split := !kern && !x.Sparse() && sizeof(z) == 8 && im.pool.chunks(x.rows, 1) > 1 && im.pool.chunks(x.cols, 1) > 1
	if side == backend.SideW {
		// num = X·Hᵀ; den = W·(H·Hᵀ)
		switch {
		case kern:
			p, ld := im.prodXB(x, h.data, k, true)
			copyRows(num.data, k, p, ld, x.rows, k)
		case x.Sparse():
			ht := &matrix[T]{rows: h.cols, cols: k, data: im.buf("ht", h.cols*k)}
			transpose(ht, h)
			im.mulX(num, x, false, ht)
		case !split:
			im.g.gemm(false, true, x.rows, k, x.cols, 1, x.x, max(x.cols, 1), h.data, max(h.cols, 1), 0, num.data, max(k, 1))
		}
		im.g.gemm(false, true, k, k, h.cols, 1, h.data, max(h.cols, 1), h.data, max(h.cols, 1), 0, g.data, max(k, 1))
		if split {
			im.frobeniusSplit(side, x, w, h, g.data, num, den)
			return
		}
		im.mul(den, w, false, g, false)
		return
	}
	// num = Wᵀ·X; den = (Wᵀ·W)·H
	switch {
	case kern:
		p, ld := im.prodBtX(x, w.data, k)
		copyRows(num.data, x.cols, p, ld, k, x.cols)
	case x.Sparse():
		numT := &matrix[T]{rows: x.cols, cols: k, data: im.buf("numT", x.cols*k)}
		im.mulX(numT, x, true, w)
		transpose(num, numT)
	case !split:
		im.g.gemm(true, false, k, x.cols, x.rows, 1, w.data, max(k, 1), x.x, max(x.cols, 1), 0, num.data, max(x.cols, 1))
	}
	im.gram(g, w)
	if split {
		im.frobeniusSplit(side, x, w, h, g.data, num, den)
		return
	}
	im.mul(den, g, false, h, false)
}

// frobeniusSplit computes the β = 2 terms for dense X with the rows (side
// W) or columns (side H) shared between workers, each calling
// single-threaded OpenBLAS: num = X·Hᵀ and den = W·G by rows, num = Wᵀ·X
// and den = G·H by columns, G the k×k Gram matrix already formed.
func (im *impl[T]) frobeniusSplit(side backend.Side, x *data[T], w, h *matrix[T], g []T, num, den *matrix[T]) {
	total := x.rows
	if side == backend.SideH {
		total = x.cols
	}
	t := &im.frob
	*t = frobTask[T]{im: im, x: x.x, w: w, h: h, g: g, num: num, den: den, side: side}
	prev := im.threads.single()
	im.pool.parallel(total, 1, t)
	im.threads.restore(prev)
}

type frobTask[T backend.Float] struct {
	im       *impl[T]
	x        []T
	w, h     *matrix[T]
	g        []T // k×k
	num, den *matrix[T]
	side     backend.Side
}

func (t *frobTask[T]) run(c, lo, hi int) {
	gm := t.im.slots[c]
	l, k, n := t.w.rows, t.w.cols, t.h.cols
	m := hi - lo
	if t.side == backend.SideW {
		gm.gemm(false, true, m, k, n, 1, t.x[lo*n:], max(n, 1), t.h.data, max(n, 1), 0, t.num.data[lo*k:], max(k, 1))
		gm.gemm(false, false, m, k, k, 1, t.w.data[lo*k:], max(k, 1), t.g, max(k, 1), 0, t.den.data[lo*k:], max(k, 1))
		return
	}
	gm.gemm(true, false, k, m, l, 1, t.w.data, max(k, 1), t.x[lo:], max(n, 1), 0, t.num.data[lo:], max(n, 1))
	gm.gemm(false, false, k, m, k, 1, t.g, max(k, 1), t.h.data[lo:], max(n, 1), 0, t.den.data[lo:], max(n, 1))
}

// muTermsDense forms W·H once, turns it into the ratio and the power in one
// pass, and multiplies each by the fixed factor; with more than one worker,
// each worker does all of that for its own share (muTermsSplit).
func (im *impl[T]) muTermsDense(side backend.Side, x *data[T], w, h *matrix[T], beta float64, num, den *matrix[T]) {
	if im.useKernels() {
		im.muTermsKernels(side, x, w, h, beta, num, den)
		return
	}
	if im.pool.chunks(x.rows, 1) > 1 && im.pool.chunks(x.cols, 1) > 1 {
		im.muTermsSplit(side, x, w, h, beta, num, den)
		return
	}
	l, n, k := x.rows, x.cols, w.cols
	v := im.buf("wh", l*n)
	im.g.gemm(false, false, l, n, k, 1, w.data, max(k, 1), h.data, max(n, 1), 0, v, max(n, 1))
	var u []T
	if beta != 1 {
		u = im.buf("whpow", l*n)
	}
	t := &im.ratio
	*t = ratioTask[T]{x: x.x, v: v, u: u, beta: beta, n: n}
	im.pool.parallel(l, 16, t)
	if side == backend.SideW {
		im.g.gemm(false, true, l, k, n, 1, v, max(n, 1), h.data, max(n, 1), 0, num.data, max(k, 1))
		if beta != 1 {
			im.g.gemm(false, true, l, k, n, 1, u, max(n, 1), h.data, max(n, 1), 0, den.data, max(k, 1))
		}
		return
	}
	im.g.gemm(true, false, k, n, l, 1, w.data, max(k, 1), v, max(n, 1), 0, num.data, max(n, 1))
	if beta != 1 {
		im.g.gemm(true, false, k, n, l, 1, w.data, max(k, 1), u, max(n, 1), 0, den.data, max(n, 1))
	}
}

// ratioTask turns rows of V = W·H into X ⊙ V^(β−2) in place and, when u is
// set, writes U^(β−1) into u.
type ratioTask[T backend.Float] struct {
	x, v, u []T
	beta    float64
	n       int
}

func (t *ratioTask[T]) run(_, lo, hi int) {
	var u []T
	if t.u != nil {
		u = t.u[lo*t.n : hi*t.n]
	}
	applyRatio(t.x[lo*t.n:hi*t.n], t.v[lo*t.n:hi*t.n], u, t.beta)
}

// applyRatio turns v = W·H into X ⊙ V^(β−2) in place and, for β ≠ 1, writes
// U^(β−1) into u (same length as v).
func applyRatio[T backend.Float](x, v, u []T, beta float64) {
	x = x[:len(v)]
	if beta != 1 {
		u = u[:len(v)]
	}
	if hasAVX2 {
		done := ratioAVX(x, v, u, beta)
		x, v = x[done:], v[done:]
		if u != nil {
			u = u[done:]
		}
	}
	eps := T(backend.Epsilon)
	// One tight loop per β the solvers treat specially, in the precision of
	// the data as numpy computes them; other β go through pow.
	switch beta {
	case 1: // X / V
		for p, wh := range v {
			if wh == 0 {
				wh = eps
			}
			v[p] = x[p] / wh
		}
	case 0: // X · V^-2 and U^-1
		for p, wh := range v {
			if wh == 0 {
				wh = eps
			}
			r := 1 / wh
			u[p] = r
			v[p] = r * r * x[p]
		}
	case 1.5: // X · V^-0.5 and U^0.5
		for p, wh := range v {
			s := T(math.Sqrt(float64(wh)))
			u[p] = s
			if wh == 0 {
				s = T(math.Sqrt(float64(eps)))
			}
			v[p] = 1 / s * x[p]
		}
	case 3: // X · V and U²
		for p, wh := range v {
			u[p] = wh * wh
			v[p] = wh * x[p]
		}
	default:
		for p, wh := range v {
			u[p] = T(denPow(float64(wh), beta))
			v[p] = T(ratio(float64(x[p]), float64(wh), beta))
		}
	}
}

// fusedTask computes MUTerms for dense X a block of W·H at a time in
// per-worker scratch: side W walks blocks of rows (num and den rows are
// independent), side H blocks of columns. Every output entry is formed by
// one product over the whole inner dimension, so the result does not depend
// on how blocks are shared between workers.
type fusedTask[T backend.Float] struct {
	im       *impl[T]
	x        []T
	w, h     *matrix[T]
	num, den *matrix[T]
	beta     float64
	side     backend.Side
	bs       int // rows (side W) or columns (side H) per block
	scratch  []T
	size     int // elements of one of a worker's buffers (two, one for β = 1)
}

func (t *fusedTask[T]) run(c, lo, hi int) {
	w, h := t.w, t.h
	l, k, n := w.rows, w.cols, h.cols
	g := t.im.slots[c]
	nbuf := 2 // W·H and the power U^(β−1), none for β = 1
	if t.beta == 1 {
		nbuf = 1
	}
	s := t.scratch[nbuf*c*t.size : nbuf*(c+1)*t.size]
	v := s[:t.size]
	var u []T // nil for β = 1
	if nbuf == 2 {
		u = s[t.size:]
	}
	for b := lo; b < hi; b++ {
		if t.side == backend.SideW {
			r0, r1 := b*t.bs, min((b+1)*t.bs, l)
			m := r1 - r0
			blk, pw := v[:m*n], u[:min(len(u), m*n)]
			g.gemm(false, false, m, n, k, 1, w.data[r0*k:], max(k, 1), h.data, max(n, 1), 0, blk, max(n, 1))
			applyRatio(t.x[r0*n:r1*n], blk, pw, t.beta)
			g.gemm(false, true, m, k, n, 1, blk, max(n, 1), h.data, max(n, 1), 0, t.num.data[r0*k:], max(k, 1))
			if t.beta != 1 {
				g.gemm(false, true, m, k, n, 1, pw, max(n, 1), h.data, max(n, 1), 0, t.den.data[r0*k:], max(k, 1))
			}
			continue
		}
		c0, c1 := b*t.bs, min((b+1)*t.bs, n)
		m := c1 - c0
		blk, pw := v[:l*m], u[:min(len(u), l*m)]
		g.gemm(false, false, l, m, k, 1, w.data, max(k, 1), h.data[c0:], max(n, 1), 0, blk, max(m, 1))
		for i := 0; i < l; i++ {
			var ui []T
			if t.beta != 1 {
				ui = pw[i*m : i*m+m]
			}
			applyRatio(t.x[i*n+c0:i*n+c1], blk[i*m:i*m+m], ui, t.beta)
		}
		g.gemm(true, false, k, m, l, 1, w.data, max(k, 1), blk, max(m, 1), 0, t.num.data[c0:], max(n, 1))
		if t.beta != 1 {
			g.gemm(true, false, k, m, l, 1, w.data, max(k, 1), pw, max(m, 1), 0, t.den.data[c0:], max(n, 1))
		}
	}
}

// muTermsSplit runs fusedTask over X's rows (side W) or columns (side H),
// one contiguous share per worker, with OpenBLAS set to one thread while
// the workers call it: one synchronisation per call instead of one per
// product, and no OpenBLAS threads spinning beside the ratio pass. The
// scratch is the "wh" buffer the unsplit path and the divergence use.
func (im *impl[T]) muTermsSplit(side backend.Side, x *data[T], w, h *matrix[T], beta float64, num, den *matrix[T]) {
	l, n := x.rows, x.cols
	total := l
	if side == backend.SideH {
		total = n
	}
	workers := im.pool.chunks(total, 1)
	bs := (total + workers - 1) / workers
	size := bs * n
	if side == backend.SideH {
		size = l * bs
	}
	nbuf := 2
	if beta == 1 {
		nbuf = 1
	}
	t := &im.fused
	*t = fusedTask[T]{im: im, x: x.x, w: w, h: h, num: num, den: den, beta: beta, side: side, bs: bs, scratch: im.buf("wh", nbuf*size*workers), size: size}
	prev := im.threads.single()
	im.pool.parallel((total+bs-1)/bs, 1, t)
	im.threads.restore(prev)
}

// The constants of the AVX2 ratio kernels: Epsilon, 1, sqrt(Epsilon).
var (
	ratioConsts32 = [3]float32{backend.Epsilon, 1, float32(math.Sqrt(float64(float32(backend.Epsilon))))}
	ratioConsts64 = [3]float64{backend.Epsilon, 1, math.Sqrt(backend.Epsilon)}
)

// ratioAVX runs the AVX2 kernel for β, where there is one, over the longest
// prefix of whole vectors and returns its length (0 where there is none).
func ratioAVX[T backend.Float](x, v, u []T, beta float64) int {
	if beta != 1 && beta != 0 && beta != 1.5 {
		return 0
	}
	switch vv := any(v).(type) {
	case []float32:
		n := len(vv) &^ 7
		if n == 0 {
			return 0
		}
		xx := any(x).([]float32)
		var up *float32
		if beta != 1 {
			up = &any(u).([]float32)[0]
		}
		switch beta {
		case 1:
			ratioKL32(&xx[0], &vv[0], up, n, &ratioConsts32[0])
		case 0:
			ratioIS32(&xx[0], &vv[0], up, n, &ratioConsts32[0])
		case 1.5:
			ratio15F32(&xx[0], &vv[0], up, n, &ratioConsts32[0])
		}
		return n
	case []float64:
		n := len(vv) &^ 3
		if n == 0 {
			return 0
		}
		xx := any(x).([]float64)
		var up *float64
		if beta != 1 {
			up = &any(u).([]float64)[0]
		}
		switch beta {
		case 1:
			ratioKL64(&xx[0], &vv[0], up, n, &ratioConsts64[0])
		case 0:
			ratioIS64(&xx[0], &vv[0], up, n, &ratioConsts64[0])
		case 1.5:
			ratio15F64(&xx[0], &vv[0], up, n, &ratioConsts64[0])
		}
		return n
	}
	return 0
}

// muTermsSparse computes the numerator at X's nonzeros only (W·H formed
// entry by entry and multiplied straight into the output: SDDMM fused with
// SpMM) and the denominator, for β ≠ 1, from blocks of rows (side W) or
// columns (side H) of W·H, never the whole l×n matrix.
func (im *impl[T]) muTermsSparse(side backend.Side, x *data[T], w, h *matrix[T], beta float64, num, den *matrix[T]) {
	l, n, k := x.rows, x.cols, w.cols
	ht := &matrix[T]{rows: n, cols: k, data: im.buf("ht", n*k)}
	transpose(ht, h)
	t := &im.sddmm
	if side == backend.SideW {
		*t = sddmmTask[T]{ptr: x.indptr, idx: x.indices, vals: x.vals, a: w.data, b: ht.data, out: num.data, k: k, beta: beta}
		im.pool.parallel(l, 16, t)
	} else {
		numT := &matrix[T]{rows: n, cols: k, data: im.buf("numT", n*k)}
		*t = sddmmTask[T]{ptr: x.colptr, idx: x.rowidx, vals: x.cvals, a: ht.data, b: w.data, out: numT.data, k: k, beta: beta}
		im.pool.parallel(n, 16, t)
		transpose(num, numT)
	}
	if beta == 1 {
		return
	}
	pt := &im.blockW
	*pt = powBlockTask[T]{im: im, w: w, h: h, out: den, beta: beta, side: side, mode: modeDenominator}
	blocks := l
	if side == backend.SideH {
		blocks = n
	}
	im.prepareBlocks(side, l, n)
	im.pool.parallel((blocks+blockRows-1)/blockRows, 1, pt)
}

// prepareBlocks allocates the per-chunk scratch the block tasks use.
func (im *impl[T]) prepareBlocks(side backend.Side, l, n int) {
	size := blockRows * n
	if side == backend.SideH {
		size = l * blockRows
	}
	all := im.buf("blocks", size*im.pool.workers)
	im.blockW.scratch = all
	im.blockW.size = size
}

// sddmmTask: for each row i of the compressed matrix (X's rows in CSR, or
// its columns in CSC), out[i,:] = Σ_p R_p · b[idx[p],:] where R_p is the
// ratio at the nonzero p and V_p = a[i,:]·b[idx[p],:].
type sddmmTask[T backend.Float] struct {
	ptr, idx []int
	vals     []T
	a, b     []T // rows of length k
	out      []T
	k        int
	beta     float64
}

func (t *sddmmTask[T]) run(_, lo, hi int) {
	k := t.k
	for i := lo; i < hi; i++ {
		o := t.out[i*k : i*k+k]
		clear(o)
		ai := t.a[i*k : i*k+k]
		for p := t.ptr[i]; p < t.ptr[i+1]; p++ {
			bj := t.b[t.idx[p]*k : t.idx[p]*k+k]
			var v T
			for r, ar := range ai {
				v += ar * bj[r]
			}
			rv := T(ratio(float64(t.vals[p]), float64(v), t.beta))
			for r, br := range bj {
				o[r] += rv * br
			}
		}
	}
}

type blockMode int

const (
	modeDenominator blockMode = iota // out = U^(β−1)·Hᵀ or Wᵀ·U^(β−1)
	modeSumPow                       // partial sums of (W·H)^β
)

// powBlockTask forms W·H blockRows rows (side W) or columns (side H) at a
// time in per-chunk scratch.
type powBlockTask[T backend.Float] struct {
	im      *impl[T]
	w, h    *matrix[T]
	out     *matrix[T]
	beta    float64
	side    backend.Side
	mode    blockMode
	scratch []T
	size    int
	sums    []float64 // per-chunk Σ (W·H)^β in modeSumPow
}

func (t *powBlockTask[T]) run(c, lo, hi int) {
	w, h := t.w, t.h
	l, k, n := w.rows, w.cols, h.cols
	s := t.scratch[c*t.size : (c+1)*t.size]
	var sum float64
	for b := lo; b < hi; b++ {
		if t.side == backend.SideW {
			r0, r1 := b*blockRows, min((b+1)*blockRows, l)
			m := r1 - r0
			blk := s[:m*n]
			t.im.slots[c].gemm(false, false, m, n, k, 1, w.data[r0*k:], max(k, 1), h.data, max(n, 1), 0, blk, max(n, 1))
			if t.mode == modeSumPow {
				sum += sumPow(blk, t.beta)
				continue
			}
			for p, v := range blk {
				blk[p] = T(denPow(float64(v), t.beta))
			}
			t.im.slots[c].gemm(false, true, m, k, n, 1, blk, max(n, 1), h.data, max(n, 1), 0, t.out.data[r0*k:], max(k, 1))
		} else {
			c0, c1 := b*blockRows, min((b+1)*blockRows, n)
			m := c1 - c0
			blk := s[:l*m]
			t.im.slots[c].gemm(false, false, l, m, k, 1, w.data, max(k, 1), h.data[c0:], max(n, 1), 0, blk, max(m, 1))
			if t.mode == modeSumPow {
				sum += sumPow(blk, t.beta)
				continue
			}
			for p, v := range blk {
				blk[p] = T(denPow(float64(v), t.beta))
			}
			t.im.slots[c].gemm(true, false, k, m, l, 1, w.data, max(k, 1), blk, max(m, 1), 0, t.out.data[c0:], max(n, 1))
		}
	}
	if t.mode == modeSumPow {
		t.sums[c] = sum
	}
}

func sumPow[T backend.Float](blk []T, beta float64) float64 {
	var s float64
	for _, v := range blk {
		s += pow(float64(v), beta)
	}
	return s
}

// broadcastSums fills den for β = 1: side W, den[i][t] = Σ_j H[t][j];
// side H, den[t][j] = Σ_i W[i][t] with a zero sum replaced by 1.
func broadcastSums[T backend.Float](side backend.Side, w, h, den *matrix[T]) {
	k := w.cols
	if side == backend.SideW {
		n := h.cols
		for t := 0; t < k; t++ {
			var s T
			for _, v := range h.data[t*n : t*n+n] {
				s += v
			}
			for i := 0; i < den.rows; i++ {
				den.data[i*k+t] = s
			}
		}
		return
	}
	n := den.cols
	for t := 0; t < k; t++ {
		var s T
		for i := 0; i < w.rows; i++ {
			s += w.data[i*k+t]
		}
		if s == 0 {
			s = 1
		}
		row := den.data[t*n : t*n+n]
		for j := range row {
			row[j] = s
		}
	}
}

func (im *impl[T]) muStep(m, num, den *matrix[T], l1, l2, gamma, flush float64) {
	if len(num.data) != len(m.data) || len(den.data) != len(m.data) {
		panic("backend: cpu: MUStep: operands of different sizes")
	}
	t := &im.step
	*t = stepTask[T]{m: m.data, num: num.data, den: den.data, l1: T(l1), l2: T(l2), gamma: gamma, flush: flush}
	im.pool.parallel(len(m.data), 4096, t)
}

type stepTask[T backend.Float] struct {
	m, num, den []T
	l1, l2      T
	gamma       float64
	flush       float64
}

func (t *stepTask[T]) run(_, lo, hi int) {
	if hasAVX2 && t.l2 == 0 && t.gamma == 1 && t.flush == 0 {
		lo += stepAVX(t.m[lo:hi], t.num[lo:hi], t.den[lo:hi], t.l1)
	}
	for p := lo; p < hi; p++ {
		d := t.den[p]
		if t.l1 > 0 {
			d += t.l1
		}
		if t.l2 > 0 {
			d = d + t.l2*t.m[p]
		}
		if d == 0 {
			d = backend.Epsilon
		}
		delta := t.num[p] / d
		if t.gamma != 1 {
			delta = T(math.Pow(float64(delta), t.gamma))
		}
		v := t.m[p] * delta
		if t.flush > 0 && float64(v) < t.flush {
			v = 0
		}
		t.m[p] = v
	}
}

// ---- coordinate descent ----

func (im *impl[T]) cdSweep(w, hht, xht *matrix[T], l1, l2 float64, perm []int) float64 {
	k := w.cols
	if hht.rows != k || hht.cols != k || xht.rows != w.rows || xht.cols != k || len(perm) != k {
		panic(fmt.Sprintf("backend: cpu: CDSweep: W %d×%d, HHt %d×%d, XHt %d×%d, perm %d", w.rows, w.cols, hht.rows, hht.cols, xht.rows, xht.cols, len(perm)))
	}
	t := &im.cd
	*t = cdTask[T]{w: w.data, hht: hht.data, xht: xht.data, l1: T(l1), l2: T(l2), perm: perm, k: k, partial: im.partial, rows: im.buf("cdrows", k*im.pool.workers)}
	chunks := im.pool.chunks(w.rows, 64)
	im.pool.parallel(w.rows, 64, t)
	var v float64
	for c := 0; c < chunks; c++ {
		v += im.partial[4*c]
	}
	return v
}

// cdTask runs scikit-learn's _update_cdnmf_fast on a range of rows: rows are
// independent, so walking components outermost within the range gives the
// same numbers as the whole matrix at once.
type cdTask[T backend.Float] struct {
	w, hht, xht []T
	l1, l2      T
	perm        []int
	k           int
	partial     []float64
	rows        []T // per-chunk copies of a row of HHᵀ, k each
}

func (t *cdTask[T]) run(c, lo, hi int) {
	k := t.k
	// hr is row t of HHᵀ with l2 on the diagonal, as the sum adds it.
	hr := t.rows[c*k : c*k+k]
	var violation float64
	for _, tt := range t.perm {
		copy(hr, t.hht[tt*k:tt*k+k])
		hr[tt] += t.l2
		hess := t.hht[tt*k+tt] + t.l2
		i := lo
		// Four rows at a time: each row's sum runs in the same order as
		// scikit-learn's, the four chains interleaved to hide the latency
		// of the additions.
		for ; i+4 <= hi; i += 4 {
			w0 := t.w[i*k : i*k+k]
			w1 := t.w[(i+1)*k : (i+1)*k+k]
			w2 := t.w[(i+2)*k : (i+2)*k+k]
			w3 := t.w[(i+3)*k : (i+3)*k+k]
			w0, w1, w2, w3 = w0[:len(hr)], w1[:len(hr)], w2[:len(hr)], w3[:len(hr)]
			g0 := -(t.xht[i*k+tt] - t.l1)
			g1 := -(t.xht[(i+1)*k+tt] - t.l1)
			g2 := -(t.xht[(i+2)*k+tt] - t.l1)
			g3 := -(t.xht[(i+3)*k+tt] - t.l1)
			for r, hv := range hr {
				g0 += hv * w0[r]
				g1 += hv * w1[r]
				g2 += hv * w2[r]
				g3 += hv * w3[r]
			}
			violation += cdUpdate(w0, tt, g0, hess)
			violation += cdUpdate(w1, tt, g1, hess)
			violation += cdUpdate(w2, tt, g2, hess)
			violation += cdUpdate(w3, tt, g3, hess)
		}
		for ; i < hi; i++ {
			wi := t.w[i*k : i*k+k]
			wi = wi[:len(hr)]
			grad := -(t.xht[i*k+tt] - t.l1)
			for r, hv := range hr {
				grad += hv * wi[r]
			}
			violation += cdUpdate(wi, tt, grad, hess)
		}
	}
	t.partial[4*c] = violation
}

// cdUpdate projects the gradient of w[tt], steps, and returns |pg|.
func cdUpdate[T backend.Float](wi []T, tt int, grad, hess T) float64 {
	pg := grad
	if wi[tt] == 0 {
		pg = min(0, grad)
	}
	if hess != 0 {
		wi[tt] = max(wi[tt]-grad/hess, 0)
	}
	return math.Abs(float64(pg))
}

// ---- divergence ----

func (im *impl[T]) divergence(x *data[T], w, h *matrix[T], beta float64) float64 {
	l, n, k := x.rows, x.cols, w.cols
	if w.rows != l || h.rows != k || h.cols != n {
		panic(fmt.Sprintf("backend: cpu: Divergence: X %d×%d, W %d×%d, H %d×%d", l, n, w.rows, w.cols, h.rows, h.cols))
	}
	clear(im.partial)
	if !x.Sparse() {
		v := im.buf("wh", l*n)
		im.mul(&matrix[T]{rows: l, cols: n, data: v}, w, false, h, false)
		t := &im.divD
		*t = divDenseTask[T]{x: x.x, v: v, beta: beta, partial: im.partial}
		im.pool.parallel(l*n, 4096, t)
		return finishDivergence(im.partial, beta, float64(l)*float64(n), im.sumWH(w, h))
	}
	if beta == 2 {
		return im.frobeniusSparse(x, w, h)
	}
	ht := &matrix[T]{rows: n, cols: k, data: im.buf("ht", n*k)}
	transpose(ht, h)
	t := &im.divS
	*t = divSparseTask[T]{ptr: x.indptr, idx: x.indices, vals: x.vals, w: w.data, ht: ht.data, k: k, beta: beta, partial: im.partial}
	im.pool.parallel(l, 16, t)
	if beta != 1 && beta != 0 {
		// Σ (W·H)^β over every entry, formed a block of rows at a time.
		pt := &im.blockW
		*pt = powBlockTask[T]{im: im, w: w, h: h, beta: beta, side: backend.SideW, mode: modeSumPow, sums: im.blockSums}
		im.prepareBlocks(backend.SideW, l, n)
		blocks := (l + blockRows - 1) / blockRows
		chunks := im.pool.chunks(blocks, 1)
		im.pool.parallel(blocks, 1, pt)
		var s float64
		for c := 0; c < chunks; c++ {
			s += im.blockSums[c]
		}
		im.partial[3] = s
	}
	return finishDivergence(im.partial, beta, float64(l)*float64(n), im.sumWH(w, h))
}

// sumWH is Σ W·H = (column sums of W)·(row sums of H).
func (im *impl[T]) sumWH(w, h *matrix[T]) float64 {
	k := w.cols
	var s float64
	for t := 0; t < k; t++ {
		var cw, rh float64
		for i := 0; i < w.rows; i++ {
			cw += float64(w.data[i*k+t])
		}
		for _, v := range h.data[t*h.cols : (t+1)*h.cols] {
			rh += float64(v)
		}
		s += cw * rh
	}
	return s
}

// The partial sums of the divergence, per chunk, in slots 0..3:
//
//	β=2: Σ (x−v)²
//	β=1: Σ x·log(x/v), Σ x                  (over x > Epsilon)
//	β=0: Σ x/v, Σ log(x/v)                  (over x > Epsilon)
//	else: Σ x^β, Σ x·v^(β−1) (over x > Epsilon), -, Σ v^β (every entry)
func finishDivergence(p []float64, beta, size, sumWH float64) float64 {
	var s [4]float64
	for c := 0; c < len(p)/4; c++ {
		for i := range s {
			s[i] += p[4*c+i]
		}
	}
	switch beta {
	case 2:
		return s[0] / 2
	case 1:
		return s[0] + sumWH - s[1]
	case 0:
		return s[0] - size - s[1]
	}
	res := s[0] - beta*s[1]
	res += s[3] * (beta - 1)
	return res / (beta * (beta - 1))
}

type divDenseTask[T backend.Float] struct {
	x, v    []T
	beta    float64
	partial []float64
}

func (t *divDenseTask[T]) run(c, lo, hi int) {
	var s [4]float64
	beta := t.beta
	for p := lo; p < hi; p++ {
		x, v := float64(t.x[p]), float64(t.v[p])
		if beta == 2 {
			d := float64(t.x[p] - t.v[p])
			s[0] += d * d
			continue
		}
		if beta != 1 && beta != 0 {
			s[3] += pow(v, beta)
		}
		if x <= backend.Epsilon {
			continue
		}
		if v == 0 {
			v = backend.Epsilon
		}
		accumulate(&s, x, v, beta)
	}
	copy(t.partial[4*c:4*c+4], s[:])
}

func accumulate(s *[4]float64, x, v, beta float64) {
	switch beta {
	case 1:
		s[0] += x * math.Log(x/v)
		s[1] += x
	case 0:
		d := x / v
		s[0] += d
		s[1] += math.Log(d)
	default:
		s[0] += pow(x, beta)
		s[1] += x * pow(v, beta-1)
	}
}

type divSparseTask[T backend.Float] struct {
	ptr, idx []int
	vals     []T
	w, ht    []T
	k        int
	beta     float64
	partial  []float64
}

func (t *divSparseTask[T]) run(c, lo, hi int) {
	var s [4]float64
	k := t.k
	for i := lo; i < hi; i++ {
		wi := t.w[i*k : i*k+k]
		for p := t.ptr[i]; p < t.ptr[i+1]; p++ {
			x := float64(t.vals[p])
			if x <= backend.Epsilon {
				continue
			}
			hj := t.ht[t.idx[p]*k : t.idx[p]*k+k]
			var v T
			for r, a := range wi {
				v += a * hj[r]
			}
			vf := float64(v)
			if vf == 0 {
				vf = backend.Epsilon
			}
			accumulate(&s, x, vf, t.beta)
		}
	}
	copy(t.partial[4*c:4*c+3], s[:3])
}

// frobeniusSparse is ‖X − W·H‖²/2 as ‖X‖² + tr((WᵀW)H·Hᵀ) − 2·tr((X·Hᵀ)ᵀW),
// halved, without forming W·H.
func (im *impl[T]) frobeniusSparse(x *data[T], w, h *matrix[T]) float64 {
	l, n, k := x.rows, x.cols, w.cols
	var normX float64
	for _, v := range x.vals {
		normX += float64(v) * float64(v)
	}
	g := &matrix[T]{rows: k, cols: k, data: im.buf("gram", k*k)}
	im.gram(g, w)
	gh := &matrix[T]{rows: k, cols: n, data: im.buf("gh", k*n)}
	im.mul(gh, g, false, h, false)
	var normWH float64
	for p, v := range gh.data {
		normWH += float64(v) * float64(h.data[p])
	}
	ht := &matrix[T]{rows: n, cols: k, data: im.buf("ht", n*k)}
	transpose(ht, h)
	xht := &matrix[T]{rows: l, cols: k, data: im.buf("xht", l*k)}
	im.mulX(xht, x, false, ht)
	var cross float64
	for p, v := range xht.data {
		cross += float64(v) * float64(w.data[p])
	}
	return (normX + normWH - 2*cross) / 2
}
