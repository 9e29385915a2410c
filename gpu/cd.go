package gpu

import (
	"fmt"

	"github.com/clnmf/clnmf/gpu/cl"
	"github.com/clnmf/clnmf/nmf/backend"
)

// Coordinate descent: one sweep over the rows of a factor per launch.

// CDSweep runs one pass of coordinate descent over the rows of w and
// returns the summed violation (see backend.Backend).
func (b *Backend) CDSweep(w, hht, xht backend.Matrix, l1, l2 float64, perm []int) (float64, error) {
	const op = "CDSweep"
	wm, hm, xm := b.mat(op, w), b.mat(op, hht), b.mat(op, xht)
	p := wm.prec
	precCheck(op, p, hm, xm)
	r, k := wm.rows, wm.cols
	shapeCheck(op, "hht", hm, k, k)
	shapeCheck(op, "xht", xm, r, k)
	if len(perm) != k {
		panic(fmt.Sprintf("backend: gpu: CDSweep: permutation of length %d for %d components", len(perm), k))
	}
	perm32 := make([]int32, k)
	for i, t := range perm {
		if t < 0 || t >= k {
			panic(fmt.Sprintf("backend: gpu: CDSweep: permutation entry %d out of range", t))
		}
		perm32[i] = int32(t)
	}
	if b.closed {
		return 0, b.wrap(op, errClosed)
	}
	wm.written()
	if r == 0 || k == 0 {
		return 0, nil
	}
	v, err := b.cdSweep(p, wm, hm, xm, l1, l2, perm32)
	if err != nil {
		return 0, b.wrap(op, err)
	}
	return v, nil
}

// cdSweep launches cd_block (rows staged in local memory, coalesced) where
// k allows and the profile uses it, else cd_sweep (a work-item per row,
// reading W and XHᵀ with stride k).
func (b *Backend) cdSweep(p backend.Precision, w, hht, xht *matrix, l1, l2 float64, perm []int32) (float64, error) {
	r, k := w.rows, w.cols
	pb, err := b.scratchBuf("perm", int64(4*k))
	if err != nil {
		return 0, err
	}
	if err := cl.Write(b.q, pb, 0, perm); err != nil {
		return 0, err
	}
	viol, err := b.scratchBuf("viol", int64(r)*int64(p.Size()))
	if err != nil {
		return 0, err
	}
	name, wg := "cd_sweep", b.kp.cd.wg
	if b.kp.cd.block && k <= b.kp.cd.kmax(p.Size()) {
		name, wg = "cd_block", b.kp.cd.rows
	}
	if err := b.launch(p, name, []int{r}, []int{wg},
		int32(r), int32(k), w.buf, hht.buf, xht.buf, scalar(p, l1), scalar(p, l2), pb, viol); err != nil {
		return 0, err
	}
	return b.dot(p, int64(r), viol, nil)
}
