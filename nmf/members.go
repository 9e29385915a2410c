package nmf

import (
	"errors"
	"fmt"
	"strings"
	"sync"

	"github.com/clnmf/clnmf/gpu"

	"github.com/clnmf/clnmf/nmf/backend"
)

// A fit on several devices (docs/distributed.md): X's rows are shared among
// the members, each a backend holding its panels (and their rows of W) and
// its own copy of H. A pass runs the members concurrently; the H half's sums
// (MU: k×n numerator and denominator; CD: k×k Wᵀ·W and n×k Xᵀ·W) are read
// from every member, added on the host and written to the first member,
// which updates H; H (and CD's Hᵀ·H) are copied to the others before the
// next pass that reads them. With one member none of this runs.

// member is one backend of a fit and the matrices it holds for its panels.
type member struct {
	b        backend.Backend
	idx      int  // position in panelSet.members; 0 updates H
	streamed bool // its panels are loaded on every pass
	// copies maps a matrix of the first member (H, Hᵀ, H·Hᵀ) to this
	// member's copy of it.
	copies    map[backend.Matrix]backend.Matrix
	sum, term [2]backend.Matrix // this member's part of the H half's sums
	ones      map[int]backend.Matrix
	colSums   backend.Matrix // β = 1: column sums of a panel's W (1×k)
}

func newMember(b backend.Backend, idx int, streamed bool) *member {
	return &member{b: b, idx: idx, streamed: streamed, copies: map[backend.Matrix]backend.Matrix{},
		ones: map[int]backend.Matrix{}}
}

func (m *member) primary() bool { return m.idx == 0 }

// matrix allocates a rows×cols matrix on m, written from v when v is set.
func (m *member) matrix(pr *problem, rows, cols int, v backend.HostMatrix) (backend.Matrix, error) {
	if m.primary() {
		return pr.matrix(rows, cols, v)
	}
	mat, err := m.b.NewMatrix(pr.prec, rows, cols)
	if err != nil {
		return nil, fmt.Errorf("nmf: %s: allocating a %d×%d matrix: %w", m.b.Name(), rows, cols, err)
	}
	if v != nil {
		if err := m.b.Write(mat, v); err != nil {
			return nil, fmt.Errorf("nmf: %s: writing a matrix: %w", m.b.Name(), err)
		}
	}
	return mat, nil
}

// of is m's copy of the first member's matrix pm (pm itself on the first).
func (m *member) of(pm backend.Matrix) backend.Matrix {
	if m.primary() {
		return pm
	}
	return m.copies[pm]
}

// broadcast copies the first member's matrices to every other member.
func (ps *panelSet) broadcast(pr *problem, ms ...backend.Matrix) error {
	if len(ps.members) == 1 {
		return nil
	}
	for _, pm := range ms {
		r, c := pm.Dims()
		host := backend.NewHost(pr.prec, r, c, nil)
		if err := ps.b.Read(pm, host); err != nil {
			return fmt.Errorf("nmf: %s: reading a %d×%d matrix: %w", ps.b.Name(), r, c, err)
		}
		for _, m := range ps.members[1:] {
			cp, ok := m.copies[pm]
			if !ok {
				var err error
				if cp, err = m.matrix(pr, r, c, nil); err != nil {
					return err
				}
				m.copies[pm] = cp
			}
			if err := m.b.Write(cp, host); err != nil {
				return fmt.Errorf("nmf: %s: writing a %d×%d matrix: %w", m.b.Name(), r, c, err)
			}
		}
	}
	return nil
}

// combine adds every member's sum[j] into the first member's.
func (ps *panelSet) combine(pr *problem, j int) error {
	ms := make([]backend.Matrix, len(ps.members))
	for i, m := range ps.members {
		ms[i] = m.sum[j]
	}
	return ps.combineMatrices(pr, ms)
}

// combineAll combines both sums (coordinate descent's Wᵀ·W and Xᵀ·W).
func (ps *panelSet) combineAll(pr *problem) error {
	if err := ps.combine(pr, 0); err != nil {
		return err
	}
	return ps.combine(pr, 1)
}

// combineMatrices adds ms[i], member i's matrix, into ms[0] on the host, in
// the members' order.
func (ps *panelSet) combineMatrices(pr *problem, ms []backend.Matrix) error {
	if len(ms) == 1 && pr.comm == nil {
		return nil
	}
	r, c := ms[0].Dims()
	total, part := backend.NewHost(pr.prec, r, c, nil), backend.NewHost(pr.prec, r, c, nil)
	if err := ps.b.Read(ms[0], total); err != nil {
		return fmt.Errorf("nmf: %s: reading a %d×%d sum: %w", ps.b.Name(), r, c, err)
	}
	for i, m := range ps.members[1:] {
		if err := m.b.Read(ms[i+1], part); err != nil {
			return fmt.Errorf("nmf: %s: reading a %d×%d sum: %w", m.b.Name(), r, c, err)
		}
		addHost(total, part)
	}
	if err := commSum(pr.comm, total); err != nil {
		return err
	}
	if err := ps.b.Write(ms[0], total); err != nil {
		return fmt.Errorf("nmf: %s: writing a %d×%d sum: %w", ps.b.Name(), r, c, err)
	}
	return nil
}

// sumVals is the sum of the panels' val, in the panels' order.
func (ps *panelSet) sumVals() float64 {
	var s float64
	for i := range ps.panels {
		s += ps.panels[i].val
	}
	return s
}

// memberPass is pass over several members: one goroutine per member, each
// running f over its panels in order. The first error in the members'
// order is returned.
func (ps *panelSet) memberPass(f func(pn *panel, first bool) error) error {
	errs := make([]error, len(ps.members))
	var wg sync.WaitGroup
	for _, m := range ps.members {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var idx []int
			for i := range ps.panels {
				if ps.panels[i].m == m {
					idx = append(idx, i)
				}
			}
			errs[m.idx] = ps.runPanels(idx, f)
		}()
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}

// MemberPlan is one member's share of a fit on several devices.
type MemberPlan struct {
	Device   string // the backend's name
	Lo, Hi   int    // X's rows [Lo, Hi), or columns (Plan.Along)
	Panels   int
	Streamed bool
	// Speed is how the share was sized: the member's measured speed or
	// the weight given (memberspeed.go).
	Speed MemberSpeed
}

// loadMembers shares X's rows (or columns: size is the length of the side
// cut, other the other's, along opt.PanelsAlong) among pr.b and pr.more
// (memberRows), plans each member's share as planPanels does for one
// device, and loads them.
func loadMembers(pr *problem, size, other int, rows func(lo, hi int) backend.HostData, rowBytes func(lo, hi int) int64, opt Options) (Plan, error) {
	bs := append([]backend.Backend{pr.b}, pr.more...)
	if len(bs) > size {
		bs = bs[:size] // one row at least each; the rest stay idle
	}
	bounds, speeds, err := memberRows(pr, bs, size, other, rows, rowBytes, opt)
	if err != nil {
		return Plan{}, err
	}
	var plan Plan // its Along set by setAlong below
	var panels []panel
	var members []*member
	for i, b := range bs {
		lo, hi := bounds[i], bounds[i+1]
		sub := func(a, c int) int64 { return rowBytes(lo+a, lo+c) }
		mp, cuts, err := planPanels(b, hi-lo, other, pr.k, pr.prec, sub, opt)
		if err != nil {
			return Plan{}, err
		}
		m := newMember(b, i, mp.Streamed)
		for j := 0; j+1 < len(cuts); j++ {
			panels = append(panels, panel{lo: lo + cuts[j], hi: lo + cuts[j+1], m: m})
		}
		members = append(members, m)
		plan.Panels += mp.Panels
		plan.Streamed = plan.Streamed || mp.Streamed
		plan.BytesPerIteration += mp.BytesPerIteration
		plan.Members = append(plan.Members, MemberPlan{Device: b.Name(), Lo: lo, Hi: hi, Panels: mp.Panels, Streamed: mp.Streamed, Speed: speeds[i]})
	}
	plan.PanelRows = panels[0].hi - panels[0].lo
	plan.setAlong(opt)
	pr.ps, err = newMemberSet(plan, panels, members, rows, rowBytes)
	if err != nil {
		return Plan{}, err
	}
	return pr.ps.plan, nil
}

// memberRows cuts X's size rows (columns, along opt.PanelsAlong) into
// len(bs) ranges, bounds[i]..bounds[i+1], by the members' weights
// (memberSpeeds, memberShares; memberspeed.go), and returns the weights.
func memberRows(pr *problem, bs []backend.Backend, size, other int, rows func(lo, hi int) backend.HostData, rowBytes func(lo, hi int) int64, opt Options) ([]int, []MemberSpeed, error) {
	caps := make([]int, len(bs))
	for i, b := range bs {
		if ml, ok := b.(backend.MemoryLimits); ok && opt.DeviceMemory > 0 {
			ml.SetMemoryCap(opt.DeviceMemory) // before the probe: the backend's choices follow it
		}
		caps[i] = residentRows(b, size, other, pr.k, pr.prec, rowBytes)
	}
	sp, err := memberSpeeds(pr, bs, size, other, rows, rowBytes, opt.PanelsAlong == AlongColumns, opt)
	if err != nil {
		return nil, nil, err
	}
	return memberShares(sp, caps, size), sp, nil
}

// openMembers opens the devices of a fit on several: opt.Backends when set,
// else opt.Devices ("all-gpus" for every OpenCL GPU). The first is the
// fit's main backend. Nil when the fit is on one device.
func openMembers(opt Options, p backend.Precision) ([]backend.Backend, error) {
	if opt.Backends != nil {
		bs, err := opt.Backends()
		if err != nil {
			return nil, fmt.Errorf("nmf: opening the backends: %w", err)
		}
		if len(bs) == 0 {
			return nil, invalid("Backends", "returned no backend")
		}
		return bs, nil
	}
	specs, err := expandDevices(opt.Devices)
	if err != nil || len(specs) == 0 {
		return nil, err
	}
	var bs []backend.Backend
	for _, s := range specs {
		b, _, err := OpenDevice(s, p)
		if err != nil {
			closeAll(bs)
			return nil, err
		}
		bs = append(bs, b)
	}
	return bs, nil
}

func closeAll(bs []backend.Backend) {
	for _, b := range bs {
		b.Close()
	}
}

var errNoGPUs = errors.New("no OpenCL GPU found")

// expandDevices returns the specs of Options.Devices with "all-gpus"
// replaced by every OpenCL GPU's.
func expandDevices(devices []string) ([]string, error) {
	var specs []string
	for _, d := range devices {
		if strings.ToLower(strings.TrimSpace(d)) != "all-gpus" {
			specs = append(specs, d)
			continue
		}
		infos, err := gpu.Devices()
		if err != nil {
			return nil, fmt.Errorf("nmf: device all-gpus: %w: %w", ErrDevice, err)
		}
		n := 0
		for _, in := range infos {
			if in.Type == "GPU" {
				specs = append(specs, in.Spec)
				n++
			}
		}
		if n == 0 {
			return nil, fmt.Errorf("nmf: device all-gpus: %w: %w", ErrDevice, errNoGPUs)
		}
	}
	return specs, nil
}

// deviceNames is the fit's device name: b's, or the members' joined by " + ".
func deviceNames(members []backend.Backend, b backend.Backend) string {
	if len(members) < 2 {
		return b.Name()
	}
	names := make([]string, len(members))
	for i, m := range members {
		names[i] = m.Name()
	}
	return strings.Join(names, " + ")
}
