package cpu

import (
	"fmt"
	"math"

	"github.com/clnmf/clnmf/nmf/backend"
)

// Coordinate descent: scikit-learn's _update_cdnmf_fast over rows of W.
//
// Rows are independent, so the sweep runs over fixed blocks of cdLanes(T)
// rows (the last one partial), each block walking the components in perm
// order; with AVX-512 a block is held transposed and each component is one
// call of cdStep32x/cdStep64x, every lane doing one row's scalar step.
// Every row sees scikit-learn's arithmetic in its order (a multiply then
// an add per term, no FMA). The violation is summed per row (lane) over
// the components, then over the block's rows in order, then over the
// blocks in order: the same with or without the vector steps, and
// whatever the number of workers.

// cdLanes is the rows of a block: four AVX-512 registers.
func cdLanes[T backend.Float]() int {
	var z T
	return 256 / sizeof(z)
}

func (im *impl[T]) cdSweep(w, hht, xht *matrix[T], l1, l2 float64, perm []int) float64 {
	k := w.cols
	if hht.rows != k || hht.cols != k || xht.rows != w.rows || xht.cols != k || len(perm) != k {
		panic(fmt.Sprintf("backend: cpu: CDSweep: W %d×%d, HHt %d×%d, XHt %d×%d, perm %d", w.rows, w.cols, hht.rows, hht.cols, xht.rows, xht.cols, len(perm)))
	}
	lanes := cdLanes[T]()
	blocks := (w.rows + lanes - 1) / lanes
	t := &im.cd
	viol, lv := t.blockViol, t.lv
	if cap(viol) < blocks {
		viol = make([]float64, blocks)
	}
	if n := lanes * im.pool.workers; cap(lv) < n {
		lv = make([]float64, n)
	}
	// h is HHᵀ with l2 on its diagonal, as _update_coordinate_descent
	// adds it.
	h := im.buf("cdh", k*k)
	copy(h, hht.data)
	for i := 0; i < k; i++ {
		h[i*k+i] += T(l2)
	}
	vec := im.useKernels() && hasAVX512 && k > 0 && k < 1<<24 // lane offsets i·k in int32
	var scratch []T
	idx := t.idx[:0]
	if vec {
		scratch = im.buf("cdblock", 2*k*lanes*im.pool.workers)
		for i := 0; i < lanes; i++ {
			idx = append(idx, int32(i*k))
		}
	}
	*t = cdTask[T]{w: w.data, h: h, xht: xht.data, l1: T(l1), perm: perm, k: k, rows: w.rows, lanes: lanes,
		vec: vec, scratch: scratch, idx: idx, lv: lv, blockViol: viol[:blocks]}
	im.pool.dynamic(blocks, t)
	var v float64
	for _, s := range t.blockViol {
		v += s
	}
	return v
}

// cdTask runs scikit-learn's _update_cdnmf_fast on blocks of rows.
type cdTask[T backend.Float] struct {
	w, h, xht []T // h: HHᵀ + l2·I
	l1        T
	perm      []int
	k, rows   int
	lanes     int
	vec       bool      // AVX-512 steps
	scratch   []T       // per worker: the block's W and starting gradients, transposed (k×lanes each)
	idx       []int32   // lane i's offset in the block, i·k
	lv        []float64 // per worker: the block's violations by row
	blockViol []float64 // by block
}

func (t *cdTask[T]) run(c, b0, b1 int) {
	lv := t.lv[c*t.lanes : (c+1)*t.lanes]
	for b := b0; b < b1; b++ {
		lo := b * t.lanes
		hi := min(lo+t.lanes, t.rows)
		clear(lv)
		if t.vec {
			t.vecBlock(c, lo, hi, lv)
		} else {
			t.block(lo, hi, lv)
		}
		var s float64
		for _, v := range lv[:hi-lo] {
			s += v
		}
		t.blockViol[b] = s
	}
}

// block is the sweep of rows [lo, hi) in Go; lv[i-lo] gathers row i's
// violation.
func (t *cdTask[T]) block(lo, hi int, lv []float64) {
	k := t.k
	for _, tt := range t.perm {
		hr := t.h[tt*k : tt*k+k]
		hess := hr[tt]
		i := lo
		// Four rows at a time: each row's sum runs in the same order as
		// scikit-learn's, the four chains interleaved to hide the latency
		// of the additions. T(a*b) keeps the compiler from fusing the
		// multiply and the add.
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
				g0 += T(hv * w0[r])
				g1 += T(hv * w1[r])
				g2 += T(hv * w2[r])
				g3 += T(hv * w3[r])
			}
			lv[i-lo] += cdUpdate(w0, tt, g0, hess)
			lv[i+1-lo] += cdUpdate(w1, tt, g1, hess)
			lv[i+2-lo] += cdUpdate(w2, tt, g2, hess)
			lv[i+3-lo] += cdUpdate(w3, tt, g3, hess)
		}
		for ; i < hi; i++ {
			wi := t.w[i*k : i*k+k]
			wi = wi[:len(hr)]
			grad := -(t.xht[i*k+tt] - t.l1)
			for r, hv := range hr {
				grad += T(hv * wi[r])
			}
			lv[i-lo] += cdUpdate(wi, tt, grad, hess)
		}
	}
}

// vecBlock is block with the AVX-512 steps: the rows' W and starting
// gradients −(XHᵀ − l1) are gathered in transposed, one step per component
// runs all lanes (the lanes past hi hold zeros, never stored or summed),
// and W is scattered back.
func (t *cdTask[T]) vecBlock(c, lo, hi int, lv []float64) {
	k, lanes, n := t.k, t.lanes, hi-lo
	buf := t.scratch[c*2*k*lanes : (c+1)*2*k*lanes]
	wt, gt, h := buf[:k*lanes], buf[k*lanes:], t.h
	m := ^uint64(0)
	if n < 64 {
		m = 1<<n - 1
	}
	f := cdVec[T]()
	f.load(&t.w[lo*k], &t.xht[lo*k], k, &t.idx[0], m, t.l1, &wt[0], &gt[0])
	for _, tt := range t.perm {
		f.step(&wt[0], &gt[tt*lanes], &h[tt*k], k, tt, h[tt*k+tt], &lv[0])
	}
	f.store(&t.w[lo*k], k, &t.idx[0], m, &wt[0])
}

// cdKernels are the AVX-512 routines of one precision (cd_amd64.s).
type cdKernels[T backend.Float] struct {
	load  func(w, x *T, k int, idx *int32, m uint64, l1 T, wt, gt *T)
	step  func(w, grad, h *T, k, t int, hess T, viol *float64)
	store func(w *T, k int, idx *int32, m uint64, wt *T)
}

var (
	cdVec32 = cdKernels[float32]{cdLoad32x, cdStep32x, cdStore32x}
	cdVec64 = cdKernels[float64]{cdLoad64x, cdStep64x, cdStore64x}
)

func cdVec[T backend.Float]() cdKernels[T] {
	if f, ok := any(cdVec32).(cdKernels[T]); ok {
		return f
	}
	return any(cdVec64).(cdKernels[T])
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
