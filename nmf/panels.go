package nmf

import (
	"fmt"
	"sync"
	"time"
	"unsafe"

	"github.com/clnmf/clnmf/nmf/backend"
)

// A fit over row panels of X (docs/large-data.md): X[lo:hi, :] and W's
// rows lo..hi live together on the device; H is shared. The W half of an
// iteration is local to each panel; the H half's terms are summed over the
// panels, and one pass over them does both halves. Column panels, along
// the longer side of a wide X, are the mirror image (colpanels.go). A fit
// with one panel takes the unpanelled path of solve.go, call for call.

// Plan says how the device of a fit holds X.
type Plan struct {
	// Panels is the number of panels X is held in; 1 when X is one
	// buffer.
	Panels int
	// Along is the side X is cut along: AlongRows or AlongColumns
	// (Options.PanelsAlong; the longer side when not set).
	Along Along
	// PanelRows is the number of rows of every panel but the last (row
	// panels), PanelCols the number of columns (column panels).
	PanelRows int
	PanelCols int
	// Streamed says the panels are loaded onto the device on every pass
	// over X (and released after it) instead of once.
	Streamed bool
	// BytesPerIteration is what one iteration loads onto the device: 0 when
	// X is resident; X's bytes when streamed (one pass per iteration, and
	// one more on the iterations that compute the error).
	BytesPerIteration int64
	// BytesLoaded and LoadSeconds are all the loading of X of the fit
	// (the one load of a resident X included) and the time it took: for
	// panels streamed through a backend.Stager the copies' own time on the
	// device (event profiling), else the wall time of the blocking loads.
	BytesLoaded int64
	LoadSeconds float64
	// WaitSeconds is how long the device's computation waited for the
	// copies of streamed panels (the part of LoadSeconds that the compute
	// on the previous panel did not hide); 0 unless streamed through a
	// backend.Stager.
	WaitSeconds float64
	// Untimed is true when some of the copies' times could not be read
	// (LoadSeconds and WaitSeconds then leave them out).
	Untimed bool
	// Members is each device's share of a fit on several (Options.Devices);
	// nil on one.
	Members []MemberPlan
}

// streamShare is the share of the device memory left by the factors that
// one streamed panel takes (see planPanels).
const streamShare = 10

// panelReserve is the device memory the planner leaves to the backend's own
// scratch (partial sums, packed operands) beside X and the factors.
const panelReserve = 16 << 20

// planPanels chooses the plan for X (l×n, k components) on b: one buffer
// when X fits one allocation and, with the factors, the device; several
// resident panels of at most one allocation when X fits the device; else
// panels streamed, each at most a tenth of what the factors leave. A backend
// without MemoryLimits (the CPU) computes on X where it is: one panel, or
// opt.PanelRows rows each when set. rowBytes(lo, hi) is the device bytes of
// rows [lo, hi).
func planPanels(b backend.Backend, l, n, k int, prec backend.Precision, rowBytes func(lo, hi int) int64, opt Options) (Plan, []int, error) {
	xBytes := rowBytes(0, l)
	ml, limited := b.(backend.MemoryLimits)
	if !limited {
		if opt.PanelRows > 0 && opt.PanelRows < l {
			return fixedPanels(l, opt.PanelRows, false)
		}
		return Plan{Panels: 1, PanelRows: l}, []int{0, l}, nil
	}
	if opt.DeviceMemory > 0 {
		ml.SetMemoryCap(opt.DeviceMemory)
	}
	if opt.PanelRows > 0 {
		// The caller's panels: streamed when X exceeds the cap.
		streamed := opt.DeviceMemory > 0 && xBytes > opt.DeviceMemory
		if opt.PanelRows >= l && !streamed {
			return Plan{Panels: 1, PanelRows: l}, []int{0, l}, nil
		}
		p, cuts, err := fixedPanels(l, opt.PanelRows, streamed)
		p.BytesPerIteration = bytesPerIteration(p, xBytes)
		return p, cuts, err
	}
	maxAlloc, memory := ml.MemoryLimits()
	factors := factorBytes(l, n, k, prec)
	avail := memory - factors - panelReserve
	if avail <= 0 {
		return Plan{}, nil, fmt.Errorf("nmf: %s: %d bytes of device memory cannot hold the factors (W, H and their terms need %d, and %d are left to the device's scratch)", b.Name(), memory, factors, panelReserve)
	}
	streamed := xBytes > avail
	if !streamed && xBytes <= maxAlloc {
		return Plan{Panels: 1, PanelRows: l}, []int{0, l}, nil
	}
	limit := maxAlloc
	if streamed {
		// A tenth of what the factors leave: two panels on the device at a
		// time (the next one loads during the compute on this one), room for
		// the backend's W·H blocks of it (the OpenCL backend materialises
		// them, faster than its fused kernels, only within a quarter of
		// what is free; with panels of half, a fit on PoCL ran fused and
		// took 4× the resident time).
		limit = min(limit, max(avail/streamShare, 1))
	}
	cuts := []int{0}
	for lo := 0; lo < l; {
		hi := lo + 1
		if rowBytes(lo, hi) > limit {
			return Plan{}, nil, fmt.Errorf("nmf: %s: one %s of X takes %d bytes, more than a panel may (%d: device memory %d, largest allocation %d)", b.Name(), sideName(opt), rowBytes(lo, hi), limit, memory, maxAlloc)
		}
		// The longest run of rows that fits, by doubling then bisection.
		step := 1
		for hi+step <= l && rowBytes(lo, hi+step) <= limit {
			hi += step
			step *= 2
		}
		for step > 0 {
			if hi+step <= l && rowBytes(lo, hi+step) <= limit {
				hi += step
			}
			step /= 2
		}
		cuts = append(cuts, hi)
		lo = hi
	}
	p := Plan{Panels: len(cuts) - 1, PanelRows: cuts[1], Streamed: streamed}
	p.BytesPerIteration = bytesPerIteration(p, xBytes)
	return p, cuts, nil
}

// factorBytes is the device memory the planner counts for the factors of
// a fit over l rows of X (n columns, k components) and their terms: W and
// its two terms per row, H, its terms and scratch, the k×k Grams.
func factorBytes(l, n, k int, prec backend.Precision) int64 {
	e := int64(prec.Size())
	return e * (4*int64(l)*int64(k) + 6*int64(k)*int64(n) + 2*int64(k)*int64(k))
}

func bytesPerIteration(p Plan, xBytes int64) int64 {
	if p.Streamed {
		return xBytes
	}
	return 0
}

// fixedPanels cuts l rows into panels of rows rows (the last shorter).
func fixedPanels(l, rows int, streamed bool) (Plan, []int, error) {
	cuts := []int{0}
	for lo := 0; lo < l; lo += rows {
		cuts = append(cuts, min(lo+rows, l))
	}
	return Plan{Panels: len(cuts) - 1, PanelRows: min(rows, l), Streamed: streamed}, cuts, nil
}

// panel is rows [lo, hi) of X and of W on the device.
type panel struct {
	lo, hi   int
	m        *member        // the backend holding the panel (members.go)
	x        backend.Data   // nil while a streamed panel is not loaded
	w        backend.Matrix // W's rows, (hi−lo)×k
	num, den backend.Matrix // the W half's terms (CD: X_p·Hᵀ in num)
	val      float64        // a pass's scalar for this panel (divergence, violation)
	// hp and htp are a column panel's columns of H (k×(hi−lo)) and, for
	// coordinate descent, their transpose (colpanels.go); w is nil there.
	hp, htp backend.Matrix
}

// panelSet is X held in panels, with the sums of the H half.
type panelSet struct {
	b      backend.Backend // the first member's: H's updates run there
	plan   Plan
	panels []panel
	// members are the backends holding panels, the first b (members.go).
	members []*member
	// rows returns X's panel [lo, hi) on the host: rows without copying,
	// or columns (a copy: Columns).
	rows     func(lo, hi int) backend.HostData
	rowBytes func(lo, hi int) int64
	kn1      backend.Matrix // β = 1: a row of n ones
	mu       sync.Mutex     // guards plan's loading figures during a pass
	// cols says the panels are column ranges of X (colpanels.go): then wm
	// is the shared W on the first member, and primed says the members'
	// sums hold the next W half's terms, formed by the last pass.
	cols   bool
	wm     backend.Matrix
	primed bool
}

// newPanelSet makes the panels of cuts on b, loading them when resident.
func newPanelSet(b backend.Backend, plan Plan, cuts []int, rows func(lo, hi int) backend.HostData, rowBytes func(lo, hi int) int64) (*panelSet, error) {
	m := newMember(b, 0, plan.Streamed)
	var panels []panel
	for i := 0; i+1 < len(cuts); i++ {
		panels = append(panels, panel{lo: cuts[i], hi: cuts[i+1], m: m})
	}
	return newMemberSet(plan, panels, []*member{m}, rows, rowBytes)
}

// newMemberSet makes the panels on their members, loading the resident ones.
func newMemberSet(plan Plan, panels []panel, members []*member, rows func(lo, hi int) backend.HostData, rowBytes func(lo, hi int) int64) (*panelSet, error) {
	ps := &panelSet{b: members[0].b, plan: plan, panels: panels, members: members, rows: rows, rowBytes: rowBytes, cols: plan.Along == AlongColumns}
	for _, m := range members {
		if _, ok := m.b.(backend.DataReleaser); m.streamed && !ok {
			return nil, fmt.Errorf("nmf: %s cannot release data, so X cannot be streamed through it", m.b.Name())
		}
	}
	for i := range ps.panels {
		if ps.panels[i].m.streamed {
			continue
		}
		if err := ps.load(i); err != nil {
			return nil, err
		}
	}
	return ps, nil
}

// load makes panel i's rows of X available on the device: a streamed
// panel through the backend's Stager when it has one (the copy overlaps
// the work queued before; its time is read by finishPlan).
func (ps *panelSet) load(i int) error {
	pn := &ps.panels[i]
	if pn.x != nil {
		return nil
	}
	t0 := time.Now()
	var d backend.Data
	var err error
	stager, staged := pn.m.b.(backend.Stager)
	if staged = staged && pn.m.streamed; staged {
		d, err = stager.StageData(ps.rows(pn.lo, pn.hi))
	} else {
		d, err = pn.m.b.NewData(ps.rows(pn.lo, pn.hi))
	}
	if err != nil {
		return fmt.Errorf("nmf: %s: loading %s %d to %d of X: %w", pn.m.b.Name(), ps.plan.Along, pn.lo, pn.hi, err)
	}
	ps.mu.Lock()
	if !staged {
		ps.plan.LoadSeconds += time.Since(t0).Seconds()
	}
	ps.plan.BytesLoaded += ps.rowBytes(pn.lo, pn.hi)
	ps.mu.Unlock()
	pn.x = d
	return nil
}

// unload releases a streamed panel's rows once a pass is done with them.
func (ps *panelSet) unload(i int) error {
	pn := &ps.panels[i]
	if !pn.m.streamed || pn.x == nil {
		return nil
	}
	err := pn.m.b.(backend.DataReleaser).ReleaseData(pn.x)
	pn.x = nil
	return err
}

// pass runs f on every panel, loaded; first is set for the first panel of
// each member. The members run concurrently, each over its own panels in
// order (members.go).
func (ps *panelSet) pass(f func(pn *panel, first bool) error) error {
	if len(ps.members) > 1 {
		return ps.memberPass(f)
	}
	idx := make([]int, len(ps.panels))
	for i := range idx {
		idx[i] = i
	}
	return ps.runPanels(idx, f)
}

// runPanels runs f on the panels idx, in order, first set for the first.
// The next panel is loaded before f runs on the current one, so that a
// streamed panel's copy overlaps the compute on the one before (two
// streamed panels are on the device at a time); a panel is released once
// f is done with it, and both are when f fails.
func (ps *panelSet) runPanels(idx []int, f func(pn *panel, first bool) error) error {
	if len(idx) == 0 {
		return nil
	}
	if err := ps.load(idx[0]); err != nil {
		return err
	}
	for j, i := range idx {
		var err error
		if j+1 < len(idx) {
			err = ps.load(idx[j+1])
		}
		if err == nil {
			err = f(&ps.panels[i], j == 0)
		}
		if err != nil {
			ps.unload(i)
			if j+1 < len(idx) {
				ps.unload(idx[j+1])
			}
			return err
		}
		if err := ps.unload(i); err != nil {
			return err
		}
	}
	return nil
}

// finishPlan is the plan with the copy and waiting times of the panels
// streamed through Stagers, waiting for the copies.
func (ps *panelSet) finishPlan() Plan {
	p := ps.plan
	for _, m := range ps.members {
		if s, ok := m.b.(backend.Stager); ok && m.streamed {
			c, w, timed := s.StageTimes()
			p.LoadSeconds += c
			p.WaitSeconds += w
			p.Untimed = p.Untimed || !timed
		}
	}
	return p
}

// start allocates the panels' W rows from w0 and the scratch of the solver.
func (ps *panelSet) start(pr *problem, w0 backend.HostMatrix) error {
	k := pr.k
	for i := range ps.panels {
		pn := &ps.panels[i]
		r := pn.hi - pn.lo
		var err error
		if pn.w, err = pn.m.matrix(pr, r, k, hostRows(w0, pn.lo, pn.hi)); err != nil {
			return err
		}
		if pn.num, err = pn.m.matrix(pr, r, k, nil); err != nil {
			return err
		}
		if pr.p.Solver == MU {
			if pn.den, err = pn.m.matrix(pr, r, k, nil); err != nil {
				return err
			}
		}
	}
	if !pr.updateH {
		return nil
	}
	shape := [2][2]int{{k, pr.n}, {k, pr.n}}
	if pr.p.Solver == CD {
		shape = [2][2]int{{k, k}, {pr.n, k}}
	}
	return ps.allocSums(pr, shape)
}

// hostRows is rows [lo, hi) of a host matrix, sharing its values.
func hostRows(m backend.HostMatrix, lo, hi int) backend.HostMatrix {
	switch d := m.(type) {
	case *Dense[float32]:
		return &Dense[float32]{Rows: hi - lo, Cols: d.Cols, Data: d.Data[lo*d.Cols : hi*d.Cols]}
	case *Dense[float64]:
		return &Dense[float64]{Rows: hi - lo, Cols: d.Cols, Data: d.Data[lo*d.Cols : hi*d.Cols]}
	}
	panic(fmt.Sprintf("nmf: hostRows: %T", m))
}

// readW reads the panels' W into rows of w (l×k on the host).
func (ps *panelSet) readW(w backend.HostMatrix) error {
	for _, pn := range ps.panels {
		if err := pn.m.b.Read(pn.w, hostRows(w, pn.lo, pn.hi)); err != nil {
			return err
		}
	}
	return nil
}

// add sets dst += src on b, on the device where the backend can.
func add(pr *problem, b backend.Backend, dst, src backend.Matrix) error {
	if a, ok := b.(backend.Adder); ok {
		return a.Add(dst, src)
	}
	r, c := dst.Dims()
	d, s := backend.NewHost(pr.prec, r, c, nil), backend.NewHost(pr.prec, r, c, nil)
	if err := b.Read(dst, d); err != nil {
		return err
	}
	if err := b.Read(src, s); err != nil {
		return err
	}
	addHost(d, s)
	return b.Write(dst, d)
}

// accumulate makes m.sum[j] the member's first panel's term or adds a later
// one's: compute writes the term into the matrix it is given.
func accumulate(pr *problem, m *member, j int, first bool, compute func(out backend.Matrix) error) error {
	if first {
		return compute(m.sum[j])
	}
	if err := compute(m.term[j]); err != nil {
		return err
	}
	return add(pr, m.b, m.sum[j], m.term[j])
}

// accumulateTerms makes m.sum[0] and m.sum[1] the numerator and
// denominator of m's first panel or adds a later one's (only the numerator
// when skipDen): compute writes both into the matrices it is given.
func accumulateTerms(pr *problem, m *member, first, skipDen bool, compute func(num, den backend.Matrix) error) error {
	if first {
		return compute(m.sum[0], m.sum[1])
	}
	if err := compute(m.term[0], m.term[1]); err != nil {
		return err
	}
	if err := add(pr, m.b, m.sum[0], m.term[0]); err != nil || skipDen {
		return err
	}
	return add(pr, m.b, m.sum[1], m.term[1])
}

// divergence is Σ over the panels of D_β(X_p, W_p·H), added in the
// panels' order.
func (ps *panelSet) divergence(pr *problem, h backend.Matrix) (float64, error) {
	if err := ps.broadcast(pr, h); err != nil {
		return 0, err
	}
	err := ps.pass(func(pn *panel, _ bool) error {
		var err error
		pn.val, err = pn.m.b.Divergence(pn.x, pn.w, pn.m.of(h), pr.p.Beta)
		return err
	})
	if err != nil {
		return 0, err
	}
	return commScalar(pr.comm, ps.sumVals())
}

// muIteration is one multiplicative-update iteration over the panels: W_p
// updated from panel p, then panel p's terms of H's update summed; H
// updated once after the pass.
// quirk multiplies the L1 terms (solve.go's multiplicative).
func (ps *panelSet) muIteration(pr *problem, it int, h backend.Matrix, quirk, gamma, flushW, flushH float64) error {
	beta := pr.p.Beta
	if err := ps.broadcast(pr, h); err != nil {
		return pr.wrap(fmt.Sprintf("iteration %d: copying H to the devices", it), err)
	}
	err := ps.pass(func(pn *panel, first bool) error {
		b, m, h := pn.m.b, pn.m, pn.m.of(h)
		if pr.updateW {
			if err := b.MUTerms(backend.SideW, pn.x, pn.w, h, beta, pn.num, pn.den); err != nil {
				return pr.wrap(fmt.Sprintf("iteration %d: update of W", it), err)
			}
			if err := b.MUStep(pn.w, pn.num, pn.den, quirk*pr.p.L1RegW, pr.p.L2RegW, gamma, flushW); err != nil {
				return pr.wrap(fmt.Sprintf("iteration %d: update of W", it), err)
			}
		}
		if !pr.updateH {
			return nil
		}
		// With β = 1 den is formed from all of W below.
		err := accumulateTerms(pr, m, first, beta == 1, func(num, den backend.Matrix) error {
			return b.MUTerms(backend.SideH, pn.x, pn.w, h, beta, num, den)
		})
		if err != nil {
			return pr.wrap(fmt.Sprintf("iteration %d: update of H", it), err)
		}
		return nil
	})
	if err != nil || !pr.updateH {
		return err
	}
	if err := ps.combine(pr, 0); err != nil {
		return pr.wrap(fmt.Sprintf("iteration %d: update of H", it), err)
	}
	if beta != 1 {
		if err := ps.combine(pr, 1); err != nil {
			return pr.wrap(fmt.Sprintf("iteration %d: update of H", it), err)
		}
	}
	sum := ps.members[0].sum
	if beta == 1 && (len(ps.panels) > 1 || pr.comm != nil) {
		if err := ps.klDenominator(pr); err != nil {
			return pr.wrap(fmt.Sprintf("iteration %d: update of H", it), err)
		}
	}
	if err := ps.b.MUStep(h, sum[0], sum[1], quirk*pr.p.L1RegH, pr.p.L2RegH, gamma, flushH); err != nil {
		return pr.wrap(fmt.Sprintf("iteration %d: update of H", it), err)
	}
	return nil
}

// klDenominator sets H's KL denominator, den[t][j] = Σ_i W[i][t] with a zero
// sum replaced by 1, from the column sums of all the panels' W (a panel's
// own den replaces its own zero sums, which the sum over panels must not).
func (ps *panelSet) klDenominator(pr *problem) error {
	k, n := pr.k, pr.n
	var err error
	if ps.kn1 == nil {
		for _, m := range ps.members {
			if m.colSums, err = m.matrix(pr, 1, k, nil); err != nil {
				return err
			}
		}
		ones := make([]float64, n)
		for i := range ones {
			ones[i] = 1
		}
		if ps.kn1, err = pr.matrix(1, n, backend.NewHost(pr.prec, 1, n, ones)); err != nil {
			return err
		}
	}
	s := backend.NewHost(pr.prec, 1, k, nil)
	part := backend.NewHost(pr.prec, 1, k, nil)
	for _, pn := range ps.panels {
		m := pn.m
		ones, err := m.onesRow(pr, pn.hi-pn.lo)
		if err != nil {
			return err
		}
		if err := m.b.Mul(m.colSums, ones, false, pn.w, false); err != nil {
			return err
		}
		if err := m.b.Read(m.colSums, part); err != nil {
			return err
		}
		addHost(s, part)
	}
	if err := commSum(pr.comm, s); err != nil {
		return err
	}
	fixZeros(s)
	p := ps.members[0]
	if err := ps.b.Write(p.colSums, s); err != nil {
		return err
	}
	return ps.b.Mul(p.sum[1], p.colSums, true, ps.kn1, false)
}

// onesRow is a 1×r matrix of ones on m, made once per r.
func (m *member) onesRow(pr *problem, r int) (backend.Matrix, error) {
	if o, ok := m.ones[r]; ok {
		return o, nil
	}
	v := make([]float64, r)
	for i := range v {
		v[i] = 1
	}
	o, err := m.matrix(pr, 1, r, backend.NewHost(pr.prec, 1, r, v))
	if err == nil {
		m.ones[r] = o
	}
	return o, err
}

func addHost(dst, src backend.HostMatrix) {
	switch d := dst.(type) {
	case *Dense[float32]:
		for i, v := range src.(*Dense[float32]).Data {
			d.Data[i] += v
		}
	case *Dense[float64]:
		for i, v := range src.(*Dense[float64]).Data {
			d.Data[i] += v
		}
	}
}

func fixZeros(m backend.HostMatrix) {
	switch d := m.(type) {
	case *Dense[float32]:
		for i, v := range d.Data {
			if v == 0 {
				d.Data[i] = 1
			}
		}
	case *Dense[float64]:
		for i, v := range d.Data {
			if v == 0 {
				d.Data[i] = 1
			}
		}
	}
}

// cdUpdate is the panels' cdUpdate: for W, every panel's rows swept against
// hht = H·Hᵀ (formed once) and X_p·Hᵀ, with Wᵀ·W and Xᵀ·W summed for the
// H half on the way; for H, Hᵀ swept against those sums (formed by a pass
// of their own when W is held).
func (ps *panelSet) cdUpdate(pr *problem, it int, name string, a, b backend.Matrix, g backend.Matrix, l1, l2 float64, perm []int) (float64, error) {
	wrap := func(err error) error {
		return pr.wrap(fmt.Sprintf("iteration %d: update of %s", it, name), err)
	}
	if name == "H" {
		if !pr.updateW {
			if err := ps.pass(func(pn *panel, first bool) error { return ps.cdSums(pr, pn, first, pn.w, true) }); err != nil {
				return 0, wrap(err)
			}
			if err := ps.combineAll(pr); err != nil {
				return 0, wrap(err)
			}
		}
		v, err := ps.sweepShared(a, l1, l2, perm)
		if err != nil {
			return 0, wrap(err)
		}
		return v, nil
	}
	ht := b
	if err := ps.b.Gram(g, ht); err != nil {
		return 0, wrap(err)
	}
	if err := ps.broadcast(pr, ht, g); err != nil {
		return 0, wrap(err)
	}
	err := ps.pass(func(pn *panel, first bool) error {
		b := pn.m.b
		if err := b.MulX(pn.num, pn.x, false, pn.m.of(ht)); err != nil {
			return err
		}
		var err error
		if pn.val, err = b.CDSweep(pn.w, pn.m.of(g), pn.num, l1, l2, perm); err != nil {
			return err
		}
		if !pr.updateH {
			return nil
		}
		return ps.cdSums(pr, pn, first, pn.w, true)
	})
	if err != nil {
		return 0, wrap(err)
	}
	if pr.updateH {
		if err := ps.combineAll(pr); err != nil {
			return 0, wrap(err)
		}
	}
	v, err := commScalar(pr.comm, ps.sumVals())
	if err != nil {
		return 0, wrap(err)
	}
	return v, nil
}

// cdSums adds panel pn's fᵀ·f and X_pᵀ·f (trans; X_p·f otherwise) to its
// member's sums: f is W_p (row panels: the H half's sums) or H_pᵀ (column
// panels: the W half's).
func (ps *panelSet) cdSums(pr *problem, pn *panel, first bool, f backend.Matrix, trans bool) error {
	b := pn.m.b
	if err := accumulate(pr, pn.m, 0, first, func(out backend.Matrix) error { return b.Gram(out, f) }); err != nil {
		return err
	}
	return accumulate(pr, pn.m, 1, first, func(out backend.Matrix) error { return b.MulX(out, pn.x, trans, f) })
}

// panelMul is the randomized SVD's product over the panels: X·q (q n×c,
// the result l×c) or Xᵀ·q (q l×c, the result n×c), on the host in T. Row
// panels stack X·q from theirs and sum Xᵀ·q over theirs, each with its rows
// of q; column panels the other way round. s is the members' scratch.
func panelMul[T Float](pr *problem, q []T, c int, xt bool, s *svdScratch) ([]T, error) {
	in, out := pr.n, pr.l
	if xt {
		in, out = pr.l, pr.n
	}
	if xt == pr.ps.cols {
		return stackedMul(pr, q[:in*c], c, xt, out, s)
	}
	return summedMul(pr, q, c, xt, out, s)
}

// stackedMul is panelMul where every panel multiplies all of q (in×c) and
// gives its rows [lo, hi) of the out×c result.
func stackedMul[T Float](pr *problem, q []T, c int, xt bool, out int, s *svdScratch) ([]T, error) {
	ps := pr.ps
	y := make([]T, out*c)
	bms := make([]backend.Matrix, len(ps.members))
	for i, m := range ps.members {
		bm, err := s.get(pr, m, len(q)/c, c, svdOperand)
		if err != nil {
			return nil, err
		}
		if err := m.b.Write(bm, &Dense[T]{Rows: len(q) / c, Cols: c, Data: q}); err != nil {
			return nil, err
		}
		bms[i] = bm
	}
	err := ps.pass(func(pn *panel, _ bool) error {
		r := pn.hi - pn.lo
		om, err := s.get(pr, pn.m, r, c, svdResult)
		if err != nil {
			return err
		}
		if err := pn.m.b.MulX(om, pn.x, xt, bms[pn.m.idx]); err != nil {
			return err
		}
		return pn.m.b.Read(om, &Dense[T]{Rows: r, Cols: c, Data: y[pn.lo*c : pn.hi*c]})
	})
	return y, err
}

// summedMul is panelMul where every panel multiplies its rows [lo, hi) of
// q and the out×c results are summed over the panels (and processes).
func summedMul[T Float](pr *problem, q []T, c int, xt bool, out int, s *svdScratch) ([]T, error) {
	ps := pr.ps
	sums := make([]backend.Matrix, len(ps.members))
	terms := make([]backend.Matrix, len(ps.members))
	for i, m := range ps.members {
		var err error
		if sums[i], err = s.get(pr, m, out, c, svdResult); err != nil {
			return nil, err
		}
		if terms[i], err = s.get(pr, m, out, c, svdTerm); err != nil {
			return nil, err
		}
	}
	err := ps.pass(func(pn *panel, first bool) error {
		r, b := pn.hi-pn.lo, pn.m.b
		bm, err := s.get(pr, pn.m, r, c, svdOperand)
		if err != nil {
			return err
		}
		if err := b.Write(bm, &Dense[T]{Rows: r, Cols: c, Data: q[pn.lo*c : pn.hi*c]}); err != nil {
			return err
		}
		dst := terms[pn.m.idx]
		if first {
			dst = sums[pn.m.idx]
		}
		if err := b.MulX(dst, pn.x, xt, bm); err != nil {
			return err
		}
		if first {
			return nil
		}
		return add(pr, b, sums[pn.m.idx], terms[pn.m.idx])
	})
	if err != nil {
		return nil, err
	}
	if err := ps.combineMatrices(pr, sums); err != nil {
		return nil, err
	}
	y := &Dense[T]{Rows: out, Cols: c, Data: make([]T, out*c)}
	return y.Data, ps.b.Read(sums[0], y)
}

// loadX plans how pr's backend holds X and loads it: into pr.x when it is
// one panel, into pr.ps when several, along rows or columns
// (alongColumns).
func loadX[T Float](pr *problem, x Matrix[T], opt Options) (Plan, error) {
	cols := alongColumns(x, opt, pr.comm)
	size, other, block, bytes := panelSides(x, cols)
	opt = panelOptions(opt, cols)
	if len(pr.more) > 0 {
		return loadMembers(pr, size, other, block, bytes, opt)
	}
	plan, cuts, err := planPanels(pr.b, size, other, pr.k, pr.prec, bytes, opt)
	if err != nil {
		return plan, err
	}
	plan.setAlong(opt)
	if plan.Panels == 1 && !plan.Streamed && pr.comm == nil {
		t0 := time.Now()
		if pr.x, err = pr.b.NewData(x); err != nil {
			return plan, fmt.Errorf("nmf: %s: loading X: %w", pr.b.Name(), err)
		}
		plan.LoadSeconds, plan.BytesLoaded = time.Since(t0).Seconds(), bytes(0, size)
		return plan, nil
	}
	pr.ps, err = newPanelSet(pr.b, plan, cuts, block, bytes)
	return plan, err
}

// setAlong records the side planPanels cut along (panelOptions): Along,
// and for column panels PanelCols in place of PanelRows.
func (p *Plan) setAlong(opt Options) {
	p.Along = opt.PanelsAlong
	if p.Along == AlongColumns {
		p.PanelCols, p.PanelRows = p.PanelRows, 0
	}
}

// denseRowBytes is the device size of rows of a dense X with n columns.
func denseRowBytes[T Float](n int) func(lo, hi int) int64 {
	var z T
	size := int64(unsafe.Sizeof(z))
	return func(lo, hi int) int64 { return int64(hi-lo) * int64(n) * size }
}

// csrRowBytes is the device size of rows of a CSR X, its transposed copy
// included: per stored entry a value and two indices in each form, and the
// row pointers.
func csrRowBytes[T Float](s *CSR[T]) func(lo, hi int) int64 {
	var z T
	per := 2 * (int64(unsafe.Sizeof(z)) + 8)
	return func(lo, hi int) int64 {
		return int64(s.Indptr[hi]-s.Indptr[lo])*per + int64(hi-lo+1)*8 + int64(s.Cols+1)*8
	}
}
