package nmf

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"sync"
	"time"

	"github.com/clnmf/clnmf/nmf/backend"
)

// How a fit on several devices sizes the members' shares of X
// (docs/distributed.md): each member's speed is measured by a probe — the
// fit's own iteration (solver, loss, side, precision, the factors updated)
// on a panel set of its own over X's first rows (columns) with all of X's
// other side, one untimed iteration then timed ones, the members at once as
// in the fit's passes — and the rows go to the members in proportion to
// their speeds, none beyond what its memory holds resident beside the
// factors while another has room (when X does not fit the members
// together, by speed alone: those whose share exceeds their memory stream
// it). Options.MemberWeights replaces the probe and fixes the split
// exactly.

// MemberSpeed is how a member's share of a fit on several devices was
// weighed.
type MemberSpeed struct {
	// Method is "probe" (measured) or "weights" (Options.MemberWeights).
	Method string
	// Weight is what the share is proportional to: the measured speed, rows
	// (columns, with column panels) of X per second of iteration, or the
	// weight given.
	Weight float64
	// ProbeRows is the rows (columns) of X the probe ran on, ProbeIterations
	// the iterations it timed (the speed is from their median time),
	// ProbeSeconds their time; WallSeconds adds loading its slice, placing
	// the start and the untimed iteration.
	ProbeRows, ProbeIterations int
	ProbeSeconds, WallSeconds  float64
	// Capped says the share was cut to the rows the member's memory holds
	// resident, the rest going to the others.
	Capped bool
}

const (
	// probeShare: the probe runs on an eighth of an equal share of X...
	probeShare = 8
	// ... and on at most probeMaxBytes of it (and a streamed panel's part of
	// a device's memory).
	probeMaxBytes = 64 << 20
	// Each member times iterations until probeSeconds have passed after
	// probeMinRounds of them, at most probeRounds: the probe costs about
	// max(probeSeconds, (1 + probeMinRounds)/probeShare of an iteration
	// on the slowest member's share).
	probeSeconds   = 0.05
	probeMinRounds = 3
	probeRounds    = 64
)

// memberSpeeds weighs the members bs for sharing size rows (columns, with
// cols) of X: opt.MemberWeights when set, else their probes on the same
// slice of X. The probes run at once, each member iterating on its own
// goroutine as in the fit's passes, so that what the members share (host
// cores, the bus) and the machine's changing load weigh on them as in the
// fit; each one's speed is from the median of its iterations' times, so
// that a stalled iteration is left out.
func memberSpeeds(pr *problem, bs []backend.Backend, size, other int, rows func(lo, hi int) backend.HostData, rowBytes func(lo, hi int) int64, cols bool, opt Options) ([]MemberSpeed, error) {
	sp := make([]MemberSpeed, len(bs))
	if opt.MemberWeights != nil {
		for i := range bs {
			sp[i] = MemberSpeed{Method: "weights", Weight: opt.MemberWeights[i]}
		}
		return sp, nil
	}
	r := probeRows(bs, size, rowBytes)
	probes := make([]*probe, len(bs))
	defer func() {
		for _, p := range probes {
			if p != nil {
				p.q.ps.release(p.held)
			}
		}
	}()
	wrap := func(i int, err error) error {
		return fmt.Errorf("nmf: %s: measuring its speed on %d %ss of X: %w", bs[i].Name(), r, sideName(opt), err)
	}
	for i, b := range bs {
		var err error
		if probes[i], err = newProbe(pr, b, r, other, rows, rowBytes, cols); err != nil {
			return nil, wrap(i, err)
		}
	}
	t0 := time.Now()
	errs := make([]error, len(probes))
	var wg sync.WaitGroup
	for i, p := range probes {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for it := 0; it < probeRounds && (it < probeMinRounds || time.Since(t0).Seconds() < probeSeconds); it++ {
				if errs[i] = p.time(2 + it); errs[i] != nil {
					return
				}
			}
		}()
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			return nil, wrap(i, err)
		}
	}
	for i, p := range probes {
		t := slices.Clone(p.times)
		slices.Sort(t)
		median := max((t[(len(t)-1)/2]+t[len(t)/2])/2, 1e-9)
		var total float64
		for _, v := range t {
			total += v
		}
		sp[i] = MemberSpeed{Method: "probe", Weight: float64(r) / median, ProbeRows: r, ProbeIterations: len(t), ProbeSeconds: total,
			WallSeconds: p.setup + total}
	}
	return sp, nil
}

// probeRows is the rows (columns) of X the probe runs on: an eighth of an
// equal share, within probeMaxBytes and a streamed panel's part of every
// member's memory, one at least.
func probeRows(bs []backend.Backend, size int, rowBytes func(lo, hi int) int64) int {
	limit := int64(probeMaxBytes)
	for _, b := range bs {
		if ml, ok := b.(backend.MemoryLimits); ok {
			maxAlloc, memory := ml.MemoryLimits()
			limit = min(limit, maxAlloc, memory/(2*streamShare))
		}
	}
	r := max((size/len(bs)+probeShare-1)/probeShare, 1)
	for r > 1 && rowBytes(0, r) > limit {
		r /= 2
	}
	return r
}

// probe is one member's: the fit's iteration on that member alone over X's
// rows (columns) [0, r), from a fixed positive start.
type probe struct {
	q       *problem
	iterate func(it int) error
	held    []backend.Matrix // beside q.ps's, to release
	times   []float64        // the timed iterations' seconds
	setup   float64          // loading, placing and the untimed iteration
}

// newProbe loads the probe's slice onto b, places the start and runs one
// untimed iteration (kernel builds, first allocations).
func newProbe(pr *problem, b backend.Backend, r, other int, rows func(lo, hi int) backend.HostData, rowBytes func(lo, hi int) int64, cols bool) (*probe, error) {
	began := time.Now()
	q := &problem{b: b, prec: pr.prec, l: r, n: other, k: pr.k, p: pr.p, updateW: pr.updateW, updateH: pr.updateH}
	plan := Plan{Panels: 1, Along: AlongRows}
	if cols {
		q.l, q.n, plan.Along = other, r, AlongColumns
	}
	// As in the middle of a fit: column panels form the next W half's
	// terms in the H half's pass.
	q.p.MaxIter = math.MaxInt
	m := newMember(b, 0, false)
	var err error
	if q.ps, err = newMemberSet(plan, []panel{{lo: 0, hi: r, m: m}}, []*member{m}, rows, rowBytes); err != nil {
		return nil, err
	}
	p := &probe{q: q}
	if p.iterate, p.held, err = q.probeIteration(); err == nil {
		err = p.iterate(1)
	}
	if err != nil {
		q.ps.release(p.held)
		return nil, err
	}
	p.setup = time.Since(began).Seconds()
	return p, nil
}

// time runs and times iteration it.
func (p *probe) time(it int) error {
	t0 := time.Now()
	if err := p.iterate(it); err != nil {
		return err
	}
	p.times = append(p.times, time.Since(t0).Seconds())
	return nil
}

// probeIteration places a fixed positive start on q's one panel and
// returns one iteration of q's solver over it, ending when the device is
// done (a read of the panel's term), and the matrices it holds besides the
// panel set's.
func (q *problem) probeIteration() (func(it int) error, []backend.Matrix, error) {
	rng := rand.New(rand.NewPCG(1, 2))
	start := func(rows, cols int) backend.HostMatrix {
		v := make([]float64, rows*cols)
		for i := range v {
			v[i] = (0.5 + rng.Float64()) / math.Sqrt(float64(q.k))
		}
		return backend.NewHost(q.prec, rows, cols, v)
	}
	w, h, err := q.place(start(q.l, q.k), start(q.k, q.n))
	if err != nil {
		return nil, nil, err
	}
	held := []backend.Matrix{w, h}
	pn := &q.ps.panels[0]
	nr, nc := pn.num.Dims()
	done := backend.NewHost(q.prec, nr, nc, nil)
	sync := func() error { return q.b.Read(pn.num, done) }
	if q.p.Solver == MU {
		mu := backend.MUFor(q.p.Beta)
		flushH := mu.FlushH
		if !q.updateW {
			flushH = mu.FlushW
		}
		return func(it int) error {
			var err error
			if q.cols() {
				err = q.ps.colMU(q, it, 1, mu.Gamma, mu.FlushW, flushH)
			} else {
				err = q.ps.muIteration(q, it, h, 1, mu.Gamma, mu.FlushW, flushH)
			}
			if err != nil {
				return err
			}
			return sync()
		}, held, nil
	}
	ht, hht, _, _, err := q.cdMatrices(h)
	if err != nil {
		return nil, held, err
	}
	held = append(held, ht, hht)
	perm := make([]int, q.k)
	for t := range perm {
		perm[t] = t
	}
	return func(it int) error {
		if q.updateW {
			if _, err := q.cdUpdate(it, "W", w, ht, false, hht, nil, q.p.L1RegW, q.p.L2RegW, perm); err != nil {
				return err
			}
		}
		if q.updateH {
			if _, err := q.cdUpdate(it, "H", ht, w, true, hht, nil, q.p.L1RegH, q.p.L2RegH, perm); err != nil {
				return err
			}
		}
		return sync()
	}, held, nil
}

// release frees, where the backends can, every matrix and loaded panel of
// ps and the matrices more (on the first member); for a panel set that is
// done with (the probe's). Its errors are left out: the memory is the
// backend's again at Close, and a device in trouble fails the fit's next
// call.
func (ps *panelSet) release(more []backend.Matrix) {
	ms := append([]backend.Matrix{ps.kn1, ps.wm}, more...)
	for i := range ps.panels {
		pn := &ps.panels[i]
		ms = append(ms, pn.w, pn.num, pn.den, pn.hp, pn.htp)
		if dr, ok := pn.m.b.(backend.DataReleaser); ok && pn.x != nil {
			dr.ReleaseData(pn.x)
			pn.x = nil
		}
	}
	seen := map[backend.Matrix]bool{}
	for _, m := range ps.members {
		mr, ok := m.b.(backend.MatrixReleaser)
		if !ok {
			continue
		}
		own := append([]backend.Matrix{m.colSums}, m.sum[0], m.sum[1], m.term[0], m.term[1])
		for _, c := range m.copies {
			own = append(own, c)
		}
		for _, o := range m.ones {
			own = append(own, o)
		}
		if m.primary() {
			own = append(own, ms...)
		}
		for _, o := range own {
			if o != nil && !seen[o] {
				seen[o] = true
				mr.ReleaseMatrix(o)
			}
		}
	}
}

// memberShares cuts size rows into len(sp) ranges (bounds[i]..bounds[i+1])
// in proportion to the members' weights, one row at least each. Measured
// shares are capped by caps (the rows each member holds resident; 0: no
// cap), a capped member's excess going to the others in proportion to
// theirs, unless the caps together are short of size. Given weights
// (Options.MemberWeights) are followed as they are. The weights are taken
// relative to the largest, so that huge finite ones (1e308) cannot overflow
// their sum.
func memberShares(sp []MemberSpeed, caps []int, size int) []int {
	n := len(sp)
	share := make([]float64, n)
	var maxW float64
	for i := range sp {
		maxW = max(maxW, sp[i].Weight)
	}
	rel := make([]float64, n)
	for i := range sp {
		if maxW > 0 {
			rel[i] = sp[i].Weight / maxW
		}
	}
	room := 0
	for _, c := range caps {
		if c <= 0 {
			room = size // a member without a cap takes any excess
			break
		}
		room += c
	}
	left := float64(size)
	for {
		var wsum float64
		for i := range sp {
			if !sp[i].Capped {
				wsum += rel[i]
			}
		}
		if wsum == 0 {
			break
		}
		again := false
		for i := range sp {
			if sp[i].Capped {
				continue
			}
			share[i] = left * rel[i] / wsum
			if sp[i].Method == "probe" && room >= size && caps[i] > 0 && share[i] > float64(caps[i]) {
				sp[i].Capped, again = true, true
			}
		}
		if !again {
			break
		}
		left = float64(size)
		for i := range sp {
			if sp[i].Capped {
				share[i] = float64(caps[i])
				left -= share[i]
			}
		}
	}
	bounds := make([]int, n+1)
	var acc float64
	for i := range n {
		acc += share[i]
		bounds[i+1] = int(acc + 0.5)
		// one row at least for this member and each after it
		bounds[i+1] = max(bounds[i+1], bounds[i]+1)
		bounds[i+1] = min(bounds[i+1], size-(n-1-i))
	}
	bounds[n] = size
	return bounds
}

// residentRows is how many of size rows (other columns, k components) b
// holds resident beside the factors, by X's mean row size (planPanels
// decides the plan itself); 0 for a backend without MemoryLimits, which
// computes on X where it is.
func residentRows(b backend.Backend, size, other, k int, prec backend.Precision, rowBytes func(lo, hi int) int64) int {
	ml, ok := b.(backend.MemoryLimits)
	if !ok {
		return 0
	}
	_, memory := ml.MemoryLimits()
	perRow := float64(rowBytes(0, size))/float64(size) + float64(factorBytes(1, 0, k, prec)-factorBytes(0, 0, k, prec))
	avail := memory - factorBytes(0, other, k, prec) - panelReserve
	return max(int(float64(avail)/perRow), 1)
}
