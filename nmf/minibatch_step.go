package nmf

import (
	"context"
	"fmt"
	"math"

	"github.com/clnmf/clnmf/nmf/backend"
)

// mbRun is one minibatch session on one backend: scikit-learn 1.2's
// MiniBatchNMF._minibatch_step and _solve_W over the backend's MUTerms,
// MUStep and Divergence. X arrives in row ranges (parts); H and its running
// numerator and denominator (A, B) are kept on the host in X's precision,
// where the online update of H — an element-wise O(k·n) step per batch,
// beside the O(batch·k·n) products done on the device — is computed with
// numpy's operations in numpy's order.
type mbRun[T Float] struct {
	b     backend.Backend
	prec  backend.Precision
	n, k  int
	p     Params
	mb    MiniBatchParams
	gamma float64

	h, num, den      []T // k×n: components_, _components_numerator, _components_denominator
	hDev, numH, denH backend.Matrix
	wm               map[int]*wMats // per batch height

	src    batchSource[T]
	cache  bool
	cached map[int]cachedData
	// hNum, hDen receive the numerator and denominator of H's update.
	hNum, hDen []T
}

// wMats are the device matrices of one batch height: W's rows and the
// numerator and denominator of their update.
type wMats struct{ w, num, den backend.Matrix }

type cachedData struct {
	x   backend.Data
	sum float64
}

// part is a row range [lo, hi) of X; key names it in the cache of device
// data (the batch index), or is −1.
type part struct{ lo, hi, key int }

// newMBRun starts a session from H (k×n) with A = H and B = 1 (numerator
// and denominator nil) or with the given running sums.
func newMBRun[T Float](b backend.Backend, n int, p Params, mb MiniBatchParams, h, num, den []T) (*mbRun[T], error) {
	k := p.Components
	r := &mbRun[T]{b: b, prec: precisionOf[T](), n: n, k: k, p: p, mb: mb, gamma: backend.Gamma(p.Beta),
		h: h, num: num, den: den, wm: map[int]*wMats{}, cached: map[int]cachedData{}}
	if r.num == nil {
		r.num = append([]T(nil), h...)
		r.den = make([]T, len(h))
		for i := range r.den {
			r.den[i] = 1
		}
	}
	var err error
	for _, m := range []*backend.Matrix{&r.hDev, &r.numH, &r.denH} {
		if *m, err = r.matrix(k, n); err != nil {
			return nil, err
		}
	}
	return r, r.write(r.hDev, r.h)
}

func (r *mbRun[T]) wrap(step string, err error) error {
	return fmt.Errorf("nmf: %s: %s: %w", r.b.Name(), step, err)
}

func (r *mbRun[T]) matrix(rows, cols int) (backend.Matrix, error) {
	m, err := r.b.NewMatrix(r.prec, rows, cols)
	if err != nil {
		return nil, r.wrap(fmt.Sprintf("allocating a %d×%d matrix", rows, cols), err)
	}
	return m, nil
}

// write copies v into m, of the same shape.
func (r *mbRun[T]) write(m backend.Matrix, v []T) error {
	rows, cols := m.Dims()
	if err := r.b.Write(m, &Dense[T]{Rows: rows, Cols: cols, Data: v}); err != nil {
		return r.wrap("writing a matrix", err)
	}
	return nil
}

// read copies m into v, of the same shape.
func (r *mbRun[T]) read(m backend.Matrix, v []T) error {
	rows, cols := m.Dims()
	if err := r.b.Read(m, &Dense[T]{Rows: rows, Cols: cols, Data: v}); err != nil {
		return r.wrap("reading a matrix", err)
	}
	return nil
}

func (r *mbRun[T]) wmats(rows int) (*wMats, error) {
	if m, ok := r.wm[rows]; ok {
		return m, nil
	}
	m := &wMats{}
	var err error
	for _, p := range []*backend.Matrix{&m.w, &m.num, &m.den} {
		if *p, err = r.matrix(rows, r.k); err != nil {
			return nil, err
		}
	}
	r.wm[rows] = m
	return m, nil
}

// batches returns X's rows as the parts of the fit's batches.
func (r *mbRun[T]) batches(l int) []part {
	bs := r.mb.BatchSize
	var ps []part
	for j, lo := 0, 0; lo < l; j, lo = j+1, lo+bs {
		ps = append(ps, part{lo, min(lo+bs, l), j})
	}
	return ps
}

// get puts part pt of X on the device and returns it with the sum of its
// entries and a function releasing it after use (a no-op where it is
// cached for the whole session).
func (r *mbRun[T]) get(pt part) (backend.Data, float64, func(), error) {
	if c, ok := r.cached[pt.key]; ok && pt.key >= 0 {
		return c.x, c.sum, func() {}, nil
	}
	m, err := r.src.batch(pt.lo, pt.hi)
	if err != nil {
		return nil, 0, nil, err
	}
	var sum float64
	for _, v := range m.Values() {
		sum += float64(v)
	}
	xd, err := r.b.NewData(m)
	if err != nil {
		return nil, 0, nil, r.wrap(fmt.Sprintf("loading rows %d to %d of X", pt.lo, pt.hi), err)
	}
	if r.cache && pt.key >= 0 {
		r.cached[pt.key] = cachedData{xd, sum}
		return xd, sum, func() {}, nil
	}
	return xd, sum, func() {
		if rel, ok := r.b.(backend.DataReleaser); ok {
			rel.ReleaseData(xd)
		}
	}, nil
}

// regs is _compute_regularization for a batch of rows rows.
func (r *mbRun[T]) regs(rows int) (l1W, l1H, l2W, l2H float64) {
	n, p := float64(r.n), r.p
	l1W = n * p.AlphaW * p.L1Ratio
	l1H = float64(rows) * p.AlphaH * p.L1Ratio
	l2W = n * p.AlphaW * (1 - p.L1Ratio)
	l2H = float64(rows) * p.AlphaH * (1 - p.L1Ratio)
	return
}

// updateW is _multiplicative_update_w of the rows in wm.w.
func (r *mbRun[T]) updateW(x backend.Data, wm *wMats, l1, l2, flush float64) error {
	if err := r.b.MUTerms(backend.SideW, x, wm.w, r.hDev, r.p.Beta, wm.num, wm.den); err != nil {
		return r.wrap("update of W", err)
	}
	if err := r.b.MUStep(wm.w, wm.num, wm.den, l1, l2, r.gamma, flush); err != nil {
		return r.wrap("update of W", err)
	}
	return nil
}

// solveW is _solve_W over the parts of X (held: the one part, already on
// the device, with the sum of its entries): W from sqrt(mean(X)/k), at most
// maxIter updates with H fixed, stopping when ‖W − W_prev‖/‖W‖ ≤ Tol. It
// returns W, rows of the parts in order; for one part, wmats holds it on
// the device as well.
func (r *mbRun[T]) solveW(ctx context.Context, parts []part, held backend.Data, heldSum float64, maxIter int) ([]T, error) {
	k := r.k
	rows := parts[len(parts)-1].hi - parts[0].lo
	sum := heldSum
	if held == nil {
		sum = 0
		for _, pt := range parts {
			_, s, release, err := r.get(pt)
			if err != nil {
				return nil, err
			}
			release()
			sum += s
		}
	}
	avg := T(math.Sqrt(sum / (float64(rows) * float64(r.n)) / float64(k)))
	w := make([]T, rows*k)
	for i := range w {
		w[i] = avg
	}
	prev := append([]T(nil), w...)
	l1W, _, l2W, _ := r.regs(rows)
	for it := 0; it < maxIter; it++ {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		var d2, w2 float64
		for _, pt := range parts {
			x, release := held, func() {}
			if x == nil {
				var err error
				if x, _, release, err = r.get(pt); err != nil {
					return nil, err
				}
			}
			seg := w[(pt.lo-parts[0].lo)*k : (pt.hi-parts[0].lo)*k]
			wm, err := r.wmats(pt.hi - pt.lo)
			if err == nil && (held == nil || it == 0) {
				err = r.write(wm.w, seg)
			}
			if err == nil {
				err = r.updateW(x, wm, l1W, l2W, 0)
			}
			if err == nil {
				err = r.read(wm.w, seg)
			}
			release()
			if err != nil {
				return nil, err
			}
		}
		for i, v := range w {
			d := float64(v - prev[i])
			d2 += d * d
			w2 += float64(v) * float64(v)
		}
		if r.p.Tol > 0 && math.Sqrt(d2)/math.Sqrt(w2) <= r.p.Tol {
			break
		}
		copy(prev, w)
	}
	return w, nil
}

// step is _minibatch_step on part pt of X. w is the batch's rows of W,
// updated in place; nil (partial_fit) or FreshRestarts solves them afresh
// and leaves w alone. It returns the batch cost, penalties included, per
// row, and the batch's W it used.
func (r *mbRun[T]) step(ctx context.Context, pt part, w []T, updateH bool) (float64, []T, error) {
	x, sum, release, err := r.get(pt)
	if err != nil {
		return 0, nil, err
	}
	defer release()
	rows := pt.hi - pt.lo
	l1W, l1H, l2W, l2H := r.regs(rows)
	wm, err := r.wmats(rows)
	if err != nil {
		return 0, nil, err
	}
	if r.mb.FreshRestarts || w == nil {
		if w, err = r.solveW(ctx, []part{pt}, x, sum, r.mb.FreshRestartsMaxIter); err != nil {
			return 0, nil, err
		}
		if r.p.Beta < 1 {
			flushBelow(w)
			if err := r.write(wm.w, w); err != nil {
				return 0, nil, err
			}
		}
	} else {
		var flush float64
		if r.p.Beta < 1 {
			flush = backend.FlushBelow
		}
		if err := r.write(wm.w, w); err != nil {
			return 0, nil, err
		}
		if err := r.updateW(x, wm, l1W, l2W, flush); err != nil {
			return 0, nil, err
		}
		if err := r.read(wm.w, w); err != nil {
			return 0, nil, err
		}
	}
	div, err := r.b.Divergence(x, wm.w, r.hDev, r.p.Beta)
	if err != nil {
		return 0, nil, r.wrap("divergence", err)
	}
	sw, sw2 := sums(w)
	sh, sh2 := sums(r.h)
	cost := (div + l1W*sw + l1H*sh + l2W*sw2 + l2H*sh2) / float64(rows)
	if math.IsNaN(cost) || math.IsInf(cost, 0) {
		return 0, nil, &IterationError{Iter: 0, Step: fmt.Sprintf("the cost of the batch of rows %d to %d", pt.lo, pt.hi), Err: ErrDiverged, Val: cost}
	}
	if !updateH {
		return cost, w, nil
	}
	if err := r.b.MUTerms(backend.SideH, x, wm.w, r.hDev, r.p.Beta, r.numH, r.denH); err != nil {
		return 0, nil, r.wrap("update of H", err)
	}
	if r.hNum == nil {
		r.hNum, r.hDen = make([]T, len(r.h)), make([]T, len(r.h))
	}
	if err := r.read(r.numH, r.hNum); err != nil {
		return 0, nil, err
	}
	if err := r.read(r.denH, r.hDen); err != nil {
		return 0, nil, err
	}
	r.onlineH(r.hNum, r.hDen, l1H, l2H)
	return cost, w, r.write(r.hDev, r.h)
}

// onlineH is the online branch of _multiplicative_update_h (A, B given)
// and the flush that follows, element by element in X's precision: den +=
// l1; den = den + l2·H; den[den == 0] = ε; H **= 1/γ; num *= H; A *= ρ;
// B *= ρ; A += num; B += den; H = A/B; H **= γ; H[H < eps64] = 0 (β ≤ 1).
func (r *mbRun[T]) onlineH(num, den []T, l1, l2 float64) {
	rho, g := T(r.mb.Rho), r.gamma
	invG := float64(T(1 / g))
	gg := float64(T(g))
	for i, hv := range r.h {
		d := den[i]
		if l1 > 0 {
			d += T(l1)
		}
		if l2 > 0 {
			d = d + T(T(l2)*hv)
		}
		if d == 0 {
			d = T(backend.Epsilon)
		}
		if g != 1 {
			hv = T(math.Pow(float64(hv), invG))
		}
		nv := T(num[i] * hv)
		a := T(r.num[i]*rho) + nv
		b := T(r.den[i]*rho) + d
		r.num[i], r.den[i] = a, b
		h := a / b
		if g != 1 {
			h = T(math.Pow(float64(h), gg))
		}
		if r.p.Beta <= 1 && float64(h) < backend.FlushBelow {
			h = 0
		}
		r.h[i] = h
	}
}

// reconstructionErr is sqrt(2·D_β(X, W·H)) summed over the parts.
func (r *mbRun[T]) reconstructionErr(w []T, parts []part) (float64, error) {
	var d float64
	for _, pt := range parts {
		x, _, release, err := r.get(pt)
		if err != nil {
			return 0, err
		}
		wm, err := r.wmats(pt.hi - pt.lo)
		if err == nil {
			err = r.write(wm.w, w[pt.lo*r.k:pt.hi*r.k])
		}
		var dp float64
		if err == nil {
			if dp, err = r.b.Divergence(x, wm.w, r.hDev, r.p.Beta); err != nil {
				err = r.wrap("divergence", err)
			}
		}
		release()
		if err != nil {
			return 0, err
		}
		d += dp
	}
	if math.IsNaN(d) || math.IsInf(d, 0) {
		return 0, &IterationError{Iter: 0, Step: "the reconstruction error", Err: ErrDiverged, Val: d}
	}
	return math.Sqrt(2 * math.Max(d, 0)), nil
}

func flushBelow[T Float](v []T) {
	for i, x := range v {
		if float64(x) < backend.FlushBelow {
			v[i] = 0
		}
	}
}

func sums[T Float](v []T) (s, s2 float64) {
	for _, x := range v {
		s += float64(x)
		s2 += float64(x) * float64(x)
	}
	return s, s2
}
