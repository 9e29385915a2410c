package nmf

import (
	"fmt"
	"sort"
	"unsafe"

	"github.com/clnmf/clnmf/nmf/backend"
)

// Column panels (docs/large-data.md): X[:, lo:hi] and H's columns lo..hi
// (pn.hp, k×(hi−lo); coordinate descent sweeps their transpose pn.htp)
// live together on a member; W (l×k) is shared, held by the first member
// (ps.wm) and copied to the others. The H half of an iteration is local
// to each panel; the W half's terms (MU: numerator and denominator, l×k;
// CD: H·Hᵀ, k×k, and X·Hᵀ, l×k) are summed over the panels. The terms of
// the next W half are formed in the same pass as the H half, right after
// each panel's H columns are updated (ps.primed), so that an iteration is
// one pass over X, as with row panels.

// alongColumns says whether X is cut into column panels: PanelCols or
// PanelsAlong when set; otherwise a dense X with more columns than rows,
// outside a distributed fit.
func alongColumns[T Float](x Matrix[T], opt Options, comm Comm) bool {
	switch {
	case opt.PanelCols > 0 || opt.PanelsAlong == AlongColumns:
		return true
	case opt.PanelRows > 0 || opt.PanelsAlong == AlongRows || comm != nil:
		return false
	}
	if _, sparse := any(x).(*CSR[T]); sparse {
		return false
	}
	l, n := x.Dims()
	return n > l
}

// wholeShape is partOf along the side the processes of a distributed fit
// share (rows, or columns with AlongColumns): this process's part and the
// whole X's shape (this process's X's for one process), and whether any
// process's part holds a zero.
func wholeShape[T Float](x Matrix[T], opt Options, hasZero bool) (pt share, l, n int, zero bool, err error) {
	l, n = x.Dims()
	if opt.Comm != nil && alongColumns(x, opt, opt.Comm) {
		pt, zero, err = partOf(opt.Comm, n, hasZero)
		pt.cols = true
		return pt, l, pt.rows, zero, err
	}
	pt, zero, err = partOf(opt.Comm, l, hasZero)
	return pt, pt.rows, n, zero, err
}

// panelSides returns, for panels along rows (cols false) or columns, the
// length of the side cut, the other side's, the panel [lo, hi) of X on the
// host and its device bytes.
func panelSides[T Float](x Matrix[T], cols bool) (size, other int, block func(lo, hi int) backend.HostData, bytes func(lo, hi int) int64) {
	l, n := x.Dims()
	s, sparse := any(x).(*CSR[T])
	if !cols {
		bytes = denseRowBytes[T](n)
		if sparse {
			bytes = csrRowBytes(s)
		}
		return l, n, func(lo, hi int) backend.HostData { return Rows(x, lo, hi) }, bytes
	}
	bytes = denseRowBytes[T](l) // a column of X is l values
	if sparse {
		bytes = csrColBytes(s)
	}
	return n, l, func(lo, hi int) backend.HostData { return Columns(x, lo, hi) }, bytes
}

// panelOptions is opt for planPanels along the side chosen: PanelCols
// forces the columns of column panels as PanelRows does rows.
func panelOptions(opt Options, cols bool) Options {
	opt.PanelsAlong = AlongRows
	if cols {
		opt.PanelRows, opt.PanelsAlong = opt.PanelCols, AlongColumns
	}
	return opt
}

// sideName is "row" or "column": what planPanels cuts with opt
// (panelOptions).
func sideName(opt Options) string {
	if opt.PanelsAlong == AlongColumns {
		return "column"
	}
	return "row"
}

// Columns is columns [lo, hi) of X as a new matrix: X's rows are
// contiguous, its columns are not, so the values are copied (a CSR's
// entries in those columns only). The range must be within x, as for
// Rows.
func Columns[T Float](x Matrix[T], lo, hi int) Matrix[T] {
	switch m := any(x).(type) {
	case *Dense[T]:
		c := hi - lo
		out := &Dense[T]{Rows: m.Rows, Cols: c, Data: make([]T, m.Rows*c)}
		for i := range m.Rows {
			copy(out.Data[i*c:(i+1)*c], m.Data[i*m.Cols+lo:i*m.Cols+hi])
		}
		return out
	case *CSR[T]:
		ptr := make([]int, m.Rows+1)
		span := func(i int) (int, int) {
			idx := m.Indices[m.Indptr[i]:m.Indptr[i+1]]
			a := sort.SearchInts(idx, lo)
			return m.Indptr[i] + a, m.Indptr[i] + a + sort.SearchInts(idx[a:], hi)
		}
		for i := range m.Rows {
			a, b := span(i)
			ptr[i+1] = ptr[i] + b - a
		}
		out := &CSR[T]{Rows: m.Rows, Cols: hi - lo, Indptr: ptr, Indices: make([]int, ptr[m.Rows]), Data: make([]T, ptr[m.Rows])}
		for i := range m.Rows {
			a, b := span(i)
			copy(out.Data[ptr[i]:ptr[i+1]], m.Data[a:b])
			for p, j := range m.Indices[a:b] {
				out.Indices[ptr[i]+p] = j - lo
			}
		}
		return out
	}
	return nil
}

// csrColBytes is the device size of columns of a CSR X, as csrRowBytes
// counts rows: the stored entries of the columns (counted once, O(n)),
// both forms' row pointers.
func csrColBytes[T Float](s *CSR[T]) func(lo, hi int) int64 {
	var z T
	per := 2 * (int64(unsafe.Sizeof(z)) + 8)
	upto := make([]int64, s.Cols+1) // upto[j]: entries in columns < j
	for _, j := range s.Indices {
		upto[j+1]++
	}
	for j := range s.Cols {
		upto[j+1] += upto[j]
	}
	return func(lo, hi int) int64 {
		return (upto[hi]-upto[lo])*per + int64(s.Rows+1)*8 + int64(hi-lo+1)*8
	}
}

// hostCols is columns [lo, hi) of a host matrix, copied.
func hostCols(m backend.HostMatrix, lo, hi int) backend.HostMatrix {
	switch d := m.(type) {
	case *Dense[float32]:
		return Columns[float32](d, lo, hi).(*Dense[float32])
	case *Dense[float64]:
		return Columns[float64](d, lo, hi).(*Dense[float64])
	}
	panic(fmt.Sprintf("nmf: hostCols: %T", m))
}

// setCols copies src (r×(hi−lo)) into columns [lo, hi) of dst.
func setCols[T Float](dst, src *Dense[T], lo, hi int) {
	c := hi - lo
	for i := range dst.Rows {
		copy(dst.Data[i*dst.Cols+lo:i*dst.Cols+hi], src.Data[i*c:(i+1)*c])
	}
}

// startCols allocates the panels' H columns from h0, their terms, and the
// members' sums of the W half; w is the shared W (on the first member).
func (ps *panelSet) startCols(pr *problem, w backend.Matrix, h0 backend.HostMatrix) error {
	k := pr.k
	ps.wm = w
	for i := range ps.panels {
		pn := &ps.panels[i]
		r, m := pn.hi-pn.lo, pn.m
		var err error
		if pn.hp, err = m.matrix(pr, k, r, hostCols(h0, pn.lo, pn.hi)); err != nil {
			return err
		}
		if pr.p.Solver == CD {
			if pn.htp, err = m.matrix(pr, r, k, nil); err != nil {
				return err
			}
			if err := m.b.Transpose(pn.htp, pn.hp); err != nil {
				return fmt.Errorf("nmf: %s: transposing H: %w", m.b.Name(), err)
			}
			pn.num, err = m.matrix(pr, r, k, nil) // X_pᵀ·W
		} else if pn.num, err = m.matrix(pr, k, r, nil); err == nil {
			pn.den, err = m.matrix(pr, k, r, nil)
		}
		if err != nil {
			return err
		}
	}
	if !pr.updateW {
		return nil
	}
	shape := [2][2]int{{pr.l, k}, {pr.l, k}}
	if pr.p.Solver == CD {
		shape[0] = [2]int{k, k}
	}
	return ps.allocSums(pr, shape)
}

// allocSums allocates every member's sums and terms of the given shapes.
func (ps *panelSet) allocSums(pr *problem, shape [2][2]int) error {
	for _, m := range ps.members {
		for j := range shape {
			var err error
			if m.sum[j], err = m.matrix(pr, shape[j][0], shape[j][1], nil); err != nil {
				return err
			}
			if m.term[j], err = m.matrix(pr, shape[j][0], shape[j][1], nil); err != nil {
				return err
			}
		}
	}
	return nil
}

// colMU is muIteration over column panels: W stepped from the summed
// terms (formed by the previous iteration's pass, or by a pass of their
// own on the first), then one pass updating every panel's H columns and
// forming the next W half's terms.
func (ps *panelSet) colMU(pr *problem, it int, quirk, gamma, flushW, flushH float64) error {
	beta, w := pr.p.Beta, ps.wm
	wrap := func(name string, err error) error {
		return pr.wrap(fmt.Sprintf("iteration %d: update of %s", it, name), err)
	}
	if pr.updateW {
		if err := ps.primeW(pr, func(pn *panel, first bool) error { return ps.muWTerms(pr, pn, first) }); err != nil {
			return wrap("W", err)
		}
		sum := ps.members[0].sum
		if err := ps.b.MUStep(w, sum[0], sum[1], quirk*pr.p.L1RegW, pr.p.L2RegW, gamma, flushW); err != nil {
			return wrap("W", err)
		}
	}
	if err := ps.broadcast(pr, w); err != nil {
		return wrap("H", err)
	}
	next := pr.updateW && it < pr.p.MaxIter
	err := ps.pass(func(pn *panel, first bool) error {
		b := pn.m.b
		if pr.updateH {
			if err := b.MUTerms(backend.SideH, pn.x, pn.m.of(w), pn.hp, beta, pn.num, pn.den); err != nil {
				return wrap("H", err)
			}
			if err := b.MUStep(pn.hp, pn.num, pn.den, quirk*pr.p.L1RegH, pr.p.L2RegH, gamma, flushH); err != nil {
				return wrap("H", err)
			}
		}
		if !next {
			return nil
		}
		return ps.muWTerms(pr, pn, first)
	})
	ps.primed = next && err == nil
	return err
}

// primeW makes the first member's sums the W half's terms summed over the
// panels and processes: formed by terms in a pass of their own unless the
// last pass formed them (ps.primed).
func (ps *panelSet) primeW(pr *problem, terms func(pn *panel, first bool) error) error {
	if !ps.primed {
		if err := ps.broadcast(pr, ps.wm); err != nil {
			return err
		}
		if err := ps.pass(terms); err != nil {
			return err
		}
	}
	ps.primed = false
	return ps.combineAll(pr)
}

// muWTerms adds panel pn's terms of W's multiplicative update (l×k) to its
// member's sums. With β = 1 the denominator's row sums of H add up over the
// panels as they are (scikit-learn replaces no zero on W's side).
func (ps *panelSet) muWTerms(pr *problem, pn *panel, first bool) error {
	return accumulateTerms(pr, pn.m, first, false, func(num, den backend.Matrix) error {
		return pn.m.b.MUTerms(backend.SideW, pn.x, pn.m.of(ps.wm), pn.hp, pr.p.Beta, num, den)
	})
}

// colCD is cdUpdate over column panels. W: swept once against the summed
// H·Hᵀ and X·Hᵀ; its violation is the same on every process, so it is not
// summed. H: every panel's Hᵀ rows swept against Wᵀ·W (g, formed once)
// and X_pᵀ·W, forming the next W half's sums on the way; the panels'
// violations summed.
func (ps *panelSet) colCD(pr *problem, it int, name string, g backend.Matrix, l1, l2 float64, perm []int) (float64, error) {
	wrap := func(err error) error {
		return pr.wrap(fmt.Sprintf("iteration %d: update of %s", it, name), err)
	}
	w := ps.wm
	if name == "W" {
		if err := ps.primeW(pr, func(pn *panel, first bool) error { return ps.cdSums(pr, pn, first, pn.htp, false) }); err != nil {
			return 0, wrap(err)
		}
		v, err := ps.sweepShared(w, l1, l2, perm)
		if err != nil {
			return 0, wrap(err)
		}
		return v, nil
	}
	if err := ps.b.Gram(g, w); err != nil {
		return 0, wrap(err)
	}
	if err := ps.broadcast(pr, w, g); err != nil {
		return 0, wrap(err)
	}
	next := pr.updateW && it < pr.p.MaxIter
	err := ps.pass(func(pn *panel, first bool) error {
		b := pn.m.b
		if err := b.MulX(pn.num, pn.x, true, pn.m.of(w)); err != nil {
			return err
		}
		var err error
		if pn.val, err = b.CDSweep(pn.htp, pn.m.of(g), pn.num, l1, l2, perm); err != nil || !next {
			return err
		}
		return ps.cdSums(pr, pn, first, pn.htp, false)
	})
	ps.primed = next && err == nil
	var v float64
	if err == nil {
		v, err = commScalar(pr.comm, ps.sumVals())
	}
	if err != nil {
		return 0, wrap(err)
	}
	return v, nil
}

// sweepShared sweeps the shared factor a (row panels: Hᵀ; column panels:
// W) against the first member's combined sums.
func (ps *panelSet) sweepShared(a backend.Matrix, l1, l2 float64, perm []int) (float64, error) {
	sum := ps.members[0].sum
	return ps.b.CDSweep(a, sum[0], sum[1], l1, l2, perm)
}

// colDivergence is Σ over the panels of D_β(X_p, W·H_p).
func (ps *panelSet) colDivergence(pr *problem) (float64, error) {
	if err := ps.broadcast(pr, ps.wm); err != nil {
		return 0, err
	}
	err := ps.pass(func(pn *panel, _ bool) error {
		var err error
		pn.val, err = pn.m.b.Divergence(pn.x, pn.m.of(ps.wm), pn.hp, pr.p.Beta)
		return err
	})
	if err != nil {
		return 0, err
	}
	return commScalar(pr.comm, ps.sumVals())
}

// transposeH sets every panel's H columns from the Hᵀ rows coordinate
// descent sweeps.
func (ps *panelSet) transposeH() error {
	for i := range ps.panels {
		pn := &ps.panels[i]
		if err := pn.m.b.Transpose(pn.hp, pn.htp); err != nil {
			return err
		}
	}
	return nil
}

// readH reads the panels' H columns into h (k×n on the host).
func readH[T Float](ps *panelSet, h *Dense[T]) error {
	for _, pn := range ps.panels {
		part := &Dense[T]{Rows: h.Rows, Cols: pn.hi - pn.lo, Data: make([]T, h.Rows*(pn.hi-pn.lo))}
		if err := pn.m.b.Read(pn.hp, part); err != nil {
			return err
		}
		setCols(h, part, pn.lo, pn.hi)
	}
	return nil
}
