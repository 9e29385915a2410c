package cpu

import (
	"fmt"

	"github.com/clnmf/clnmf/nmf/backend"
)

// The β = 2 iteration's W half and the H half's terms in one pass over dense
// X (backend.FrobeniusPass), on the micro-kernels: a block of X's rows gives
// X·Hᵀ for those rows, W's new rows (H·Hᵀ is known before the pass), and,
// while the block is still in cache, its share of Wᵀ·X for the new W. The
// two-half path reads X twice per iteration, and its Wᵀ·X walks X down
// columns; at small k that memory traffic is most of the time.
//
// The blocks' shares of Wᵀ·X are summed in passGroups groups of consecutive
// blocks, each group into its own k×n partial, and the partials are then
// added in group order: the groups depend on the shape alone, so results do
// not depend on the number of workers.

const (
	passGroups = 8      // the most groups of row blocks (partials of Wᵀ·X)
	passRows   = 4 * mr // rows of X per block, so that a block stays in L2
	// passMaxK is the most components the pass is used for. Per block it
	// streams Hᵀ (X·Hᵀ) and the group's partial of Wᵀ·X (read and
	// written), about 3k/passRows times the block of X it saves reading
	// again. Measured with one worker, alternating with the two halves:
	// 1.04–1.34× at k = 20, 32 and 64, about even at 2000² k = 50,
	// 0.81–0.86× at 1000² k = 200.
	passMaxK = 64
	// passFloor is the partials' size (elements) allowed whatever X's.
	passFloor = 1 << 16
	// passWidth is the widest tile (nr, AVX-512 float32) that passPlan
	// rounds n up to, whatever the tiles in use: the groups, and so the
	// order of Wᵀ·X's sums, do not depend on AVX2 or AVX-512.
	passWidth = 32
)

// passPlan returns the number of groups for the pass on an l×n X with k
// components: at most passGroups, at most one per block, and partials
// together at most half of X's size (or passFloor); 0 where the pass does
// not apply (an empty X or W, k > passMaxK; a single group would leave the
// workers idle, unless the blocks are one).
func passPlan(l, n, k int) (groups int) {
	if l == 0 || n == 0 || k == 0 || k > passMaxK {
		return 0
	}
	blocks := (roundUp(l, mr) + passRows - 1) / passRows
	part := float64(roundUp(k, mr)) * float64(roundUp(n, passWidth))
	fit := int(max(float64(l)*float64(n)/2, passFloor) / part)
	groups = min(passGroups, blocks, fit)
	if groups < 2 && blocks > 1 {
		return 0
	}
	return groups
}

// frobeniusPass runs the pass (backend.FrobeniusPass) and reports whether
// it applied: dense X, the micro-kernels on, and passPlan's groups.
func (im *impl[T]) frobeniusPass(x *data[T], w, h *matrix[T], l1, l2, gamma, flush float64, numH, denH *matrix[T]) bool {
	l, n, k := x.rows, x.cols, w.cols
	if w.rows != l || h.rows != k || h.cols != n || numH.rows != k || numH.cols != n || denH.rows != k || denH.cols != n {
		panic(fmt.Sprintf("backend: cpu: MUFrobeniusPass: X %d×%d, W %d×%d, H %d×%d, num %d×%d, den %d×%d", l, n, w.rows, w.cols, h.rows, h.cols, numH.rows, numH.cols, denH.rows, denH.cols))
	}
	nr := nrOf[T]()
	groups := passPlan(l, n, k)
	if x.Sparse() || !im.useKernels() || groups == 0 {
		return false
	}
	kp, kr, np := roundUp(k, nr/2), roundUp(k, mr), roundUp(n, nr)
	workers := im.pool.workers
	g := &matrix[T]{rows: k, cols: k, data: im.buf("gram", k*k)}
	im.mulK(g, h, false, h, true)
	t := &im.pass
	*t = passTask[T]{x: x.x, w: w, l: l, n: n, k: k, kr: kr, np: np, groups: groups,
		step: stepTask[T]{l1: T(l1), l2: T(l2), gamma: gamma, flush: flush}}
	// X·Hᵀ by frobRows, in blocks of passRows rows
	im.setRows(&t.rows, x.x, n, 1, l, n, h.data, 1, n, k, passRows)
	// H·Hᵀ packed as the b of W·(H·Hᵀ)
	t.gp = im.buf("p.gp", k*kp)
	im.pack(t.gp, g.data, k, k, k, k, 1, kp, nr)
	t.den = im.buf("p.den", workers*passRows*kp)
	t.wb = im.buf("p.wb", workers*passRows*kr)
	t.xt = im.buf("p.xt", workers*passRows*nr)
	t.parts = im.buf("p.parts", groups*kr*np)
	im.pool.dynamic(groups, t)
	// num = Σ of the partials in group order
	s := &im.passSum
	*s = passSumTask[T]{parts: t.parts, out: numH.data, n: n, stride: kr * np, np: np, groups: groups}
	im.pool.parallel(k, 1, s)
	im.gram(g, w)
	im.mulK(denH, g, false, h, false)
	return true
}

// passTask runs the pass's groups of row blocks: group c's blocks in order,
// its share of Wᵀ·X into parts[c].
type passTask[T backend.Float] struct {
	x               []T
	w               *matrix[T]
	l, n, k, kr, np int
	groups          int
	rows            kernTask[T] // X·Hᵀ (frobRows) into rows.nump
	gp              []T         // H·Hᵀ, k×kp in column panels (packB)
	den, wb, xt     []T         // per worker: W·(HHᵀ) rows, W's rows (padded to kr columns), X's last columns
	parts           []T         // per group: kr×np, Wᵀ·X's partial sums
	step            stepTask[T] // l1, l2, gamma, flush of W's update
}

func (t *passTask[T]) run(c, lo, hi int) {
	blocks := (t.rows.lp + passRows - 1) / passRows
	for g := lo; g < hi; g++ {
		b0, b1 := bounds(blocks, t.groups, g)
		part := t.parts[g*t.kr*t.np : (g+1)*t.kr*t.np]
		for b := b0; b < b1; b++ {
			t.block(b, c, b == b0, part)
		}
	}
}

// block updates W's rows of row block b (worker c's scratch) and adds their
// share of Wᵀ·X to part (set it when first).
func (t *passTask[T]) block(b, c int, first bool, part []T) {
	nr := nrOf[T]()
	k, kr, kp, n := t.k, t.kr, t.rows.kp, t.n
	r0 := b * passRows
	rw := min(passRows, t.rows.lp-r0) // rows, padded to mr
	rv := min(passRows, t.l-r0)       // rows of X
	t.rows.frobRows(b)
	num := t.rows.nump[r0*kp:]
	// den = W·(H·Hᵀ), as mulK would form it: the same micro-kernel calls.
	wb := t.wb[c*passRows*kr : c*passRows*kr+rw*kr]
	padCopy(wb, kr, t.w.data[r0*k:], rv, k, k)
	den := t.den[c*passRows*kp : (c+1)*passRows*kp]
	for p0 := 0; p0 < k; p0 += t.rows.kc {
		pw := min(t.rows.kc, k-p0)
		for ct := 0; ct < kp; ct += nr {
			w := min(nr, kp-ct)
			bp := t.gp[ct*k+p0*w:]
			for rt := 0; rt < rw; rt += mr {
				microW(pw, wb[rt*kr+p0:], kr, 1, bp, w, den[rt*kp+ct:], kp, p0 > 0, w < nr)
			}
		}
	}
	// W's new rows, as MUStep would: the same elementwise step
	st := t.step
	for i := 0; i < rv; i++ {
		st.m, st.num, st.den = t.w.data[(r0+i)*k:(r0+i+1)*k], num[i*kp:i*kp+k], den[i*kp:i*kp+k]
		st.run(0, 0, k)
	}
	// part += W_bᵀ·X_b with the new rows: W read as the a operand down
	// its columns, X's rows in place (its last n mod nr columns from a
	// padded copy).
	padCopy(wb, kr, t.w.data[r0*k:], rv, k, k)
	xb := t.x[r0*n:]
	full := n / nr * nr
	for ct := 0; ct < t.np; ct += nr {
		bsrc, ldb := xb[ct:], n
		if ct >= full {
			xt := t.xt[c*passRows*nr : (c+1)*passRows*nr]
			padCopy(xt, nr, xb[ct:], rv, n-ct, n)
			bsrc, ldb = xt, nr
		}
		for kt := 0; kt < kr; kt += mr {
			micro(rv, wb[kt:], 1, kr, bsrc, ldb, part[kt*t.np+ct:], t.np, !first)
		}
	}
}

// passSumTask adds the groups' partials of Wᵀ·X for rows [lo, hi) of num,
// in group order.
type passSumTask[T backend.Float] struct {
	parts, out            []T
	n, stride, np, groups int
}

func (t *passSumTask[T]) run(_, lo, hi int) {
	for r := lo; r < hi; r++ {
		o := t.out[r*t.n : (r+1)*t.n]
		copy(o, t.parts[r*t.np:r*t.np+t.n])
		for g := 1; g < t.groups; g++ {
			p := t.parts[g*t.stride+r*t.np : g*t.stride+r*t.np+t.n]
			for j, v := range p {
				o[j] += v
			}
		}
	}
}
