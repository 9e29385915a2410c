package cpu

import (
	"fmt"
	"math"

	"github.com/clnmf/clnmf/nmf/backend"
)

// The β-divergence: the backend forms the sums, backend.DivSums combines
// them.

func (im *impl[T]) divergence(x *data[T], w, h *matrix[T], beta float64) float64 {
	l, n, k := x.rows, x.cols, w.cols
	if w.rows != l || h.rows != k || h.cols != n {
		panic(fmt.Sprintf("backend: cpu: Divergence: X %d×%d, W %d×%d, H %d×%d", l, n, w.rows, w.cols, h.rows, h.cols))
	}
	clear(im.partial)
	if !x.Sparse() {
		// W·H a block of rows at a time, each worker over its own rows.
		bs := max(1, min(l, fusedBlockElems/n))
		t := &im.divD
		*t = divDenseTask[T]{im: im, x: x.x, w: w, h: h, beta: beta, partial: im.partial, bs: bs, scratch: im.buf("wh", bs*n*im.pool.workers)}
		prev := im.threads.single()
		im.pool.parallel(l, max(1, 4096/n), t)
		im.threads.restore(prev)
		return im.sums(beta, w, h).Finish(beta)
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
	return im.sums(beta, w, h).Finish(beta)
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

// sums adds up the per-chunk partial sums of the divergence, in slots 0..3
// of each chunk's four:
//
//	β=2: Σ (x−v)²
//	β=1: Σ x·log(x/v), Σ x                  (over x > Epsilon)
//	β=0: Σ x/v, Σ log(x/v)                  (over x > Epsilon)
//	else: Σ x^β, Σ x·v^(β−1) (over x > Epsilon), -, Σ v^β (every entry)
//
// into backend.DivSums (Σ W·H, for β = 1, from w and h).
func (im *impl[T]) sums(beta float64, w, h *matrix[T]) backend.DivSums {
	p := im.partial
	var s [4]float64
	for c := 0; c < len(p)/4; c++ {
		for i := range s {
			s[i] += p[4*c+i]
		}
	}
	d := backend.DivSums{A: s[0], B: s[1], WH: s[3], Size: float64(w.rows) * float64(h.cols)}
	if backend.DivModeOf(beta) == backend.DivKL {
		d.WH = im.sumWH(w, h)
	}
	return d
}

// divDenseTask sums the divergence terms of dense X over the rows [lo, hi)
// of a chunk, forming W·H bs rows at a time in the chunk's scratch.
type divDenseTask[T backend.Float] struct {
	im      *impl[T]
	x       []T
	w, h    *matrix[T]
	beta    float64
	partial []float64
	bs      int
	scratch []T
}

func (t *divDenseTask[T]) run(c, lo, hi int) {
	var s [4]float64
	k, n := t.w.cols, t.h.cols
	blk := t.scratch[c*t.bs*n : (c+1)*t.bs*n]
	for r0 := lo; r0 < hi; r0 += t.bs {
		r1 := min(r0+t.bs, hi)
		v := blk[:(r1-r0)*n]
		t.im.slots[c].gemm(false, false, r1-r0, n, k, 1, t.w.data[r0*k:], max(k, 1), t.h.data, max(n, 1), 0, v, max(n, 1))
		divTerms(&s, t.x[r0*n:r1*n], v, t.beta)
	}
	copy(t.partial[4*c:4*c+4], s[:])
}

// divTerms adds the divergence terms of the entries of xs against vs = W·H
// to s (the slots of sums).
func divTerms[T backend.Float](s *[4]float64, xs, vs []T, beta float64) {
	for p := range xs {
		x, v := float64(xs[p]), float64(vs[p])
		if beta == 2 {
			d := float64(xs[p] - vs[p])
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
		accumulate(s, x, v, beta)
	}
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
	im.mulK(gh, g, false, h, false)
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
	return backend.FrobeniusFromGram(normX, normWH, cross)
}
