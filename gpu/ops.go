package gpu

import (
	"fmt"

	"github.com/clnmf/clnmf/gpu/cl"
	"github.com/clnmf/clnmf/nmf/backend"
)

// operand is a row-major matrix buffer read through strides: element
// (r, c) of op(M) is at r*sr + c*sc.
type operand struct {
	buf    *cl.Buffer
	sr, sc int
}

// plain is a rows×cols row-major matrix as it is; trans its transpose.
func plain(buf *cl.Buffer, cols int) operand { return operand{buf, cols, 1} }
func trans(buf *cl.Buffer, cols int) operand { return operand{buf, 1, cols} }

// rbTile is the output tile side of gemm_rb (RB_T = 4·TS).
const rbTile = 64

// gemm sets C (M×N) = A·B with A M×K and B K×N given as strided operands.
// A long inner dimension with few output tiles is split over several
// work-groups whose partial products are added afterwards.
func (b *Backend) gemm(p backend.Precision, M, N, K int, A, B operand, C *cl.Buffer) error {
	if M == 0 || N == 0 {
		return nil
	}
	if gp := b.gp; gp.Vec {
		vw := gp.VW
		if p == backend.Float64 && vw > 2 {
			vw /= 2
		}
		// Walk m first when A is the smaller operand: B's columns stay in
		// cache while A is read again for every panel.
		mfast := M <= N
		grid := func(nb, mb int) ([]int, []int) {
			if mfast {
				return []int{mb, nb}, []int{gp.LY, gp.LX}
			}
			return []int{nb, mb}, []int{gp.LX, gp.LY}
		}
		nw := vw * gp.VN
		pack := gp.PK > 0 && M >= gp.PK && int64(K)*int64(N) >= b.packMin
		switch {
		case B.sc == 1 && !pack:
			g, l := grid((N+nw-1)/nw, (M+gp.RM-1)/gp.RM)
			return b.launch(p, "gemm_vn", g, l,
				int32(M), int32(N), int32(K),
				A.buf, int32(A.sr), int32(A.sc), B.buf, int32(nw), int32(B.sr),
				int32(0), flag(mfast), int32(0), int32(0), C)
		case A.sc == 1 && B.sr == 1 && !pack:
			g, l := grid((N+gp.DN-1)/gp.DN, (M+gp.DM-1)/gp.DM)
			return b.launch(p, "gemm_vd", g, l,
				int32(M), int32(N), int32(K),
				A.buf, int32(A.sr), B.buf, int32(B.sc), flag(mfast), C)
		case pack:
			// B in contiguous panels of nw columns, then gemm_vn, a chunk
			// of at most packCap/N rows of B at a time (the scratch stays
			// O(1), not K×N), each continuing the sums of the last.
			panels := (N + nw - 1) / nw
			kc := int(b.packCap / int64(panels*nw))
			if kc < 1 {
				kc = 1
			}
			if kc > K {
				kc = K
			}
			pb, err := b.scratchBuf("gemm-pack", int64(panels)*int64(nw)*int64(kc)*int64(p.Size()))
			if err != nil {
				return err
			}
			g, l := grid(panels, (M+gp.RM-1)/gp.RM)
			for k0 := 0; k0 < K; k0 += kc {
				n := min(kc, K-k0)
				if err := b.launch(p, "gemm_pack", []int{nw, n, panels}, []int{nw, 1, 1},
					int32(N), int32(n), B.buf, int32(B.sr), int32(B.sc), int32(k0), pb); err != nil {
					return err
				}
				if err := b.launch(p, "gemm_vn", g, l,
					int32(M), int32(N), int32(n),
					A.buf, int32(A.sr), int32(A.sc), pb, int32(n*nw), int32(nw),
					int32(1), flag(mfast), int32(k0), flag(k0 > 0), C); err != nil {
					return err
				}
			}
			return nil
		}
	}
	ts := b.tile
	tiles := ((M + ts - 1) / ts) * ((N + ts - 1) / ts)
	slices, kchunk := 1, K
	if tiles < b.splitTarget && K >= 8*ts {
		slices = (b.splitTarget + tiles - 1) / tiles
		if most := K / (4 * ts); slices > most {
			slices = most
		}
		if slices > 1 {
			kchunk = (K + slices - 1) / slices
			kchunk = (kchunk + ts - 1) / ts * ts
			slices = (K + kchunk - 1) / kchunk
		}
	}
	if kchunk < 1 {
		kchunk = 1
	}
	if slices == 1 && M >= rbTile && N >= rbTile {
		// Large outputs: register-blocked tiles.
		return b.launch(p, "gemm_rb", []int{(N + rbTile - 1) / rbTile * ts, (M + rbTile - 1) / rbTile * ts}, []int{ts, ts},
			int32(M), int32(N), int32(K),
			A.buf, int32(A.sr), int32(A.sc), B.buf, int32(B.sr), int32(B.sc), C)
	}
	out := C
	if slices > 1 {
		var err error
		out, err = b.scratchBuf("gemm-split", int64(slices)*int64(M)*int64(N)*int64(p.Size()))
		if err != nil {
			return err
		}
	}
	err := b.launch(p, "gemm", []int{N, M, slices}, []int{ts, ts, 1},
		int32(M), int32(N), int32(K), int32(kchunk),
		A.buf, int32(A.sr), int32(A.sc), B.buf, int32(B.sr), int32(B.sc), out)
	if err != nil || slices == 1 {
		return err
	}
	return b.launch(p, "gemm_slices", []int{M * N}, []int{b.wg},
		int32(M*N), int32(slices), out, C)
}

func noAlias(op string, out *matrix, in ...*matrix) {
	for _, m := range in {
		if m == out {
			panic(fmt.Sprintf("backend: gpu: %s: the output is also an operand", op))
		}
	}
}

// Gram sets out = aᵀ·a.
func (b *Backend) Gram(out, a backend.Matrix) error {
	o, am := b.mat("Gram", out), b.mat("Gram", a)
	precCheck("Gram", o.prec, am)
	shapeCheck("Gram", "out", o, am.cols, am.cols)
	noAlias("Gram", o, am)
	if b.closed {
		return b.wrap("Gram", errClosed)
	}
	if err := b.gemm(o.prec, am.cols, am.cols, am.rows, trans(am.buf, am.cols), plain(am.buf, am.cols), o.buf); err != nil {
		return b.wrap("Gram", err)
	}
	return nil
}

// Mul sets out = op(a)·op(c), op transposing where ta, tc are true.
func (b *Backend) Mul(out, a backend.Matrix, ta bool, c backend.Matrix, tc bool) error {
	o, am, cm := b.mat("Mul", out), b.mat("Mul", a), b.mat("Mul", c)
	precCheck("Mul", o.prec, am, cm)
	noAlias("Mul", o, am, cm)
	M, K, A := am.rows, am.cols, plain(am.buf, am.cols)
	if ta {
		M, K, A = am.cols, am.rows, trans(am.buf, am.cols)
	}
	K2, N, B := cm.rows, cm.cols, plain(cm.buf, cm.cols)
	if tc {
		K2, N, B = cm.cols, cm.rows, trans(cm.buf, cm.cols)
	}
	if K != K2 {
		panic(fmt.Sprintf("backend: gpu: Mul: inner dimensions %d and %d differ", K, K2))
	}
	shapeCheck("Mul", "out", o, M, N)
	if b.closed {
		return b.wrap("Mul", errClosed)
	}
	if err := b.gemm(o.prec, M, N, K, A, B, o.buf); err != nil {
		return b.wrap("Mul", err)
	}
	return nil
}

// Transpose sets out = aᵀ.
func (b *Backend) Transpose(out, a backend.Matrix) error {
	o, am := b.mat("Transpose", out), b.mat("Transpose", a)
	precCheck("Transpose", o.prec, am)
	shapeCheck("Transpose", "out", o, am.cols, am.rows)
	noAlias("Transpose", o, am)
	if b.closed {
		return b.wrap("Transpose", errClosed)
	}
	ts := b.tile
	if err := b.launch(o.prec, "transpose", []int{am.cols, am.rows}, []int{ts, ts},
		int32(am.rows), int32(am.cols), am.buf, o.buf); err != nil {
		return b.wrap("Transpose", err)
	}
	return nil
}

// spmm sets out(q, t) = Σ_p val[p]·B(idx[p], t) over the rows q of s, where
// B(c, t) = B[c*sbc + t*sbt] and out(q, t) = out[q*soq + t*sot].
func (b *Backend) spmm(p backend.Precision, s *csr, val *cl.Buffer, k int, B *cl.Buffer, sbc, sbt int, out *cl.Buffer, soq, sot int) error {
	return b.launch(p, "spmm", []int{k, s.rows}, []int{b.tile, b.tile},
		int32(s.rows), int32(k), s.ptr, s.idx, val, B, int32(sbc), int32(sbt), out, int32(soq), int32(sot))
}

// MulX sets out = X·c (trans false) or Xᵀ·c (trans true).
func (b *Backend) MulX(out backend.Matrix, x backend.Data, tr bool, c backend.Matrix) error {
	o, d, cm := b.mat("MulX", out), b.dat("MulX", x), b.mat("MulX", c)
	precCheck("MulX", d.prec, o, cm)
	l, n := d.rows, d.cols
	k := cm.cols
	if tr {
		shapeCheck("MulX", "b", cm, l, k)
		shapeCheck("MulX", "out", o, n, k)
	} else {
		shapeCheck("MulX", "b", cm, n, k)
		shapeCheck("MulX", "out", o, l, k)
	}
	if b.closed {
		return b.wrap("MulX", errClosed)
	}
	var err error
	switch {
	case d.sp == nil && !tr:
		err = b.gemm(d.prec, l, k, n, plain(d.x, n), plain(cm.buf, k), o.buf)
	case d.sp == nil && tr:
		err = b.gemm(d.prec, n, k, l, trans(d.x, n), plain(cm.buf, k), o.buf)
	case !tr:
		err = b.spmm(d.prec, d.sp, d.sp.val, k, cm.buf, k, 1, o.buf, k, 1)
	default:
		err = b.spmm(d.prec, d.spT, d.spT.val, k, cm.buf, k, 1, o.buf, k, 1)
	}
	if err != nil {
		return b.wrap("MulX", err)
	}
	return nil
}

// MU modes and divergence modes, as in common.cl.
const (
	muGeneral = 0
	muKL      = 1
	muIS      = 2

	divGeneral = 0
	divKL      = 1
	divIS      = 2
	divFro     = 3
)

// muParams are the kernel arguments that say how the ratio and the power
// are formed for β.
type muParams struct {
	mode           int32
	e2, e1         float64
	clampv, clampu int32
}

func muFor(beta float64) muParams {
	m := muParams{mode: muGeneral, e2: beta - 2, e1: beta - 1, clampv: flag(beta < 2), clampu: flag(beta < 1)}
	switch beta {
	case 1:
		m.mode = muKL
	case 0:
		m.mode = muIS
	}
	return m
}

// useFused decides the dense β ≠ 2 path for an l×n X.
func (b *Backend) useFused(p backend.Precision, l, n int) bool {
	switch b.Path {
	case PathFused:
		return true
	case PathMaterialised:
		return false
	}
	one := int64(l) * int64(n) * int64(p.Size())
	if one > b.dev.MaxAlloc {
		return true
	}
	free := b.dev.GlobalMem - b.ctx.Allocated()
	for _, key := range []string{"wh", "ratio"} { // already held: reused
		if buf, ok := b.scratch[key]; ok {
			free += buf.Size()
		}
	}
	return float64(2*one) > MaterialiseFraction*float64(free)
}

// MUTerms computes the numerator and denominator of the multiplicative
// update of one factor (see backend.Backend).
func (b *Backend) MUTerms(side backend.Side, x backend.Data, w, h backend.Matrix, beta float64, num, den backend.Matrix) error {
	const op = "MUTerms"
	d, wm, hm, nm, dm := b.dat(op, x), b.mat(op, w), b.mat(op, h), b.mat(op, num), b.mat(op, den)
	p := d.prec
	precCheck(op, p, wm, hm, nm, dm)
	l, n, k := d.rows, d.cols, wm.cols
	shapeCheck(op, "w", wm, l, k)
	shapeCheck(op, "h", hm, k, n)
	if side == backend.SideW {
		shapeCheck(op, "num", nm, l, k)
		shapeCheck(op, "den", dm, l, k)
	} else {
		shapeCheck(op, "num", nm, k, n)
		shapeCheck(op, "den", dm, k, n)
	}
	if nm == dm {
		panic("backend: gpu: MUTerms: num and den are the same matrix")
	}
	noAlias(op, nm, wm, hm)
	noAlias(op, dm, wm, hm)
	if b.closed {
		return b.wrap(op, errClosed)
	}
	var err error
	if beta == 2 {
		err = b.muTermsFro(side, d, wm, hm, nm, dm)
	} else {
		err = b.muTermsBeta(side, d, wm, hm, beta, nm, dm)
	}
	if err != nil {
		return b.wrap(op, err)
	}
	return nil
}

// muTermsFro is β = 2: side W num = X·Hᵀ, den = W·(H·Hᵀ); side H
// num = Wᵀ·X, den = (Wᵀ·W)·H.
func (b *Backend) muTermsFro(side backend.Side, d *data, w, h, num, den *matrix) error {
	p, l, n, k := d.prec, d.rows, d.cols, w.cols
	gram, err := b.scratchBuf("kk", int64(k)*int64(k)*int64(p.Size()))
	if err != nil {
		return err
	}
	if side == backend.SideW {
		switch {
		case d.sp == nil:
			err = b.gemm(p, l, k, n, plain(d.x, n), trans(h.buf, n), num.buf)
		default:
			err = b.spmm(p, d.sp, d.sp.val, k, h.buf, 1, n, num.buf, k, 1)
		}
		if err != nil {
			return err
		}
		if err := b.gemm(p, k, k, n, plain(h.buf, n), trans(h.buf, n), gram); err != nil {
			return err
		}
		return b.gemm(p, l, k, k, plain(w.buf, k), plain(gram, k), den.buf)
	}
	switch {
	case d.sp == nil:
		err = b.gemm(p, k, n, l, trans(w.buf, k), plain(d.x, n), num.buf)
	default:
		err = b.spmm(p, d.spT, d.spT.val, k, w.buf, k, 1, num.buf, 1, n)
	}
	if err != nil {
		return err
	}
	if err := b.gemm(p, k, k, l, trans(w.buf, k), plain(w.buf, k), gram); err != nil {
		return err
	}
	return b.gemm(p, k, n, k, plain(gram, k), plain(h.buf, n), den.buf)
}

// muTermsBeta is β ≠ 2.
func (b *Backend) muTermsBeta(side backend.Side, d *data, w, h *matrix, beta float64, num, den *matrix) error {
	p, l, n, k := d.prec, d.rows, d.cols, w.cols
	mp := muFor(beta)
	wantDen := beta != 1
	sideW := side == backend.SideW

	// The numerator (and the dense denominator).
	switch {
	case d.sp != nil:
		if err := b.sparseNum(side, d, w, h, mp, num); err != nil {
			return err
		}
		if wantDen {
			if err := b.fused(side, d, w, h, mp, num, den, false, true); err != nil {
				return err
			}
		}
	case b.useFused(p, l, n):
		if err := b.fused(side, d, w, h, mp, num, den, true, wantDen); err != nil {
			return err
		}
	default:
		if err := b.materialised(side, d, w, h, mp, num, den, wantDen); err != nil {
			return err
		}
	}
	if wantDen {
		return nil
	}

	// β = 1: the denominator is a broadcast sum.
	sums, err := b.scratchBuf("vec", int64(k)*int64(p.Size()))
	if err != nil {
		return err
	}
	if sideW {
		// row sums of H
		if err := b.launch(p, "line_sums", []int{k * b.wg}, []int{b.wg},
			int32(k), int32(n), h.buf, int32(n), int32(1), sums); err != nil {
			return err
		}
		return b.launch(p, "bcast_w", []int{k, l}, []int{b.tile, b.tile},
			int32(l), int32(k), sums, den.buf)
	}
	// column sums of W, zeros replaced by 1
	if err := b.launch(p, "line_sums", []int{k * b.wg}, []int{b.wg},
		int32(k), int32(l), w.buf, int32(1), int32(k), sums); err != nil {
		return err
	}
	return b.launch(p, "bcast_h", []int{n, k}, []int{b.tile, b.tile},
		int32(k), int32(n), sums, den.buf)
}

// fused runs mu_fused_w / mu_fused_h, which form W·H tile by tile and
// never hold it: num when wantNum (X dense), den when wantDen.
func (b *Backend) fused(side backend.Side, d *data, w, h *matrix, mp muParams, num, den *matrix, wantNum, wantDen bool) error {
	p, l, n, k := d.prec, d.rows, d.cols, w.cols
	name, global, walk := "mu_fused_w", []int{b.tile, l}, n
	if side == backend.SideH {
		name, global, walk = "mu_fused_h", []int{n, b.tile}, l
	}
	if walk == 0 { // nothing to sum over: the terms are zero
		if wantNum {
			if err := b.zero(p, num.buf, int64(num.len())*int64(p.Size())); err != nil {
				return err
			}
		}
		if wantDen {
			return b.zero(p, den.buf, int64(den.len())*int64(p.Size()))
		}
		return nil
	}
	xbuf := w.buf // not read when !wantNum
	if wantNum {
		xbuf = d.x
	}
	return b.launch(p, name, global, []int{b.tile, b.tile},
		int32(l), int32(n), int32(k), xbuf, w.buf, h.buf, num.buf, den.buf,
		flag(wantNum), flag(wantDen),
		mp.mode, scalar(p, mp.e2), mp.clampv, scalar(p, mp.e1), mp.clampu)
}

// materialised forms V = W·H in an l×n scratch buffer, turns it into the
// ratio R and (in place) the power U, and multiplies them by Hᵀ (side W) or
// Wᵀ (side H) with GEMM.
func (b *Backend) materialised(side backend.Side, d *data, w, h *matrix, mp muParams, num, den *matrix, wantDen bool) error {
	p, l, n, k := d.prec, d.rows, d.cols, w.cols
	bytes := int64(l) * int64(n) * int64(p.Size())
	v, err := b.scratchBuf("wh", bytes)
	if err != nil {
		return err
	}
	r, err := b.scratchBuf("ratio", bytes)
	if err != nil {
		return err
	}
	if err := b.gemm(p, l, n, k, plain(w.buf, k), plain(h.buf, n), v); err != nil {
		return err
	}
	if err := b.launch(p, "mu_elem", []int{l * n}, []int{b.wg},
		int64(l)*int64(n), d.x, v, r,
		mp.mode, scalar(p, mp.e2), mp.clampv, scalar(p, mp.e1), mp.clampu,
		int32(1), flag(wantDen)); err != nil {
		return err
	}
	if side == backend.SideW {
		if err := b.gemm(p, l, k, n, plain(r, n), trans(h.buf, n), num.buf); err != nil {
			return err
		}
		if wantDen {
			return b.gemm(p, l, k, n, plain(v, n), trans(h.buf, n), den.buf)
		}
		return nil
	}
	if err := b.gemm(p, k, n, l, trans(w.buf, k), plain(r, n), num.buf); err != nil {
		return err
	}
	if wantDen {
		return b.gemm(p, k, n, l, trans(w.buf, k), plain(v, n), den.buf)
	}
	return nil
}

// sparseNum forms the numerator for sparse X: the ratio at X's entries
// (SDDMM), then its product with Hᵀ (side W, over X's rows) or Wᵀ (side H,
// over the rows of the transposed copy, whose entries the ratio is formed
// in the order of).
func (b *Backend) sparseNum(side backend.Side, d *data, w, h *matrix, mp muParams, num *matrix) error {
	p, n, k := d.prec, d.cols, w.cols
	s, tr := d.sp, int32(0)
	if side == backend.SideH {
		s, tr = d.spT, 1
	}
	r, err := b.scratchBuf("sp-ratio", int64(s.nnz)*int64(p.Size()))
	if err != nil {
		return err
	}
	if err := b.launch(p, "sddmm_ratio", []int{s.nnz}, []int{b.wg},
		int64(s.nnz), tr, int32(k), int32(n), s.rowidx, s.idx, s.val, w.buf, h.buf, r,
		mp.mode, scalar(p, mp.e2), mp.clampv); err != nil {
		return err
	}
	if side == backend.SideW {
		return b.spmm(p, s, r, k, h.buf, 1, n, num.buf, k, 1)
	}
	return b.spmm(p, s, r, k, w.buf, k, 1, num.buf, 1, n)
}

// MUStep applies one multiplicative update to m (see backend.Backend).
func (b *Backend) MUStep(m, num, den backend.Matrix, l1, l2, gamma, flush float64) error {
	const op = "MUStep"
	mm, nm, dm := b.mat(op, m), b.mat(op, num), b.mat(op, den)
	precCheck(op, mm.prec, nm, dm)
	shapeCheck(op, "num", nm, mm.rows, mm.cols)
	shapeCheck(op, "den", dm, mm.rows, mm.cols)
	if b.closed {
		return b.wrap(op, errClosed)
	}
	p := mm.prec
	if err := b.launch(p, "mu_step", []int{mm.len()}, []int{b.wg},
		int64(mm.len()), mm.buf, nm.buf, dm.buf,
		scalar(p, l1), scalar(p, l2), scalar(p, gamma), scalar(p, flush)); err != nil {
		return b.wrap(op, err)
	}
	return nil
}

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
	if r == 0 || k == 0 {
		return 0, nil
	}
	v, err := b.cdSweep(p, wm, hm, xm, l1, l2, perm32)
	if err != nil {
		return 0, b.wrap(op, err)
	}
	return v, nil
}

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
	if err := b.launch(p, "cd_sweep", []int{r}, []int{64},
		int32(r), int32(k), w.buf, hht.buf, xht.buf, scalar(p, l1), scalar(p, l2), pb, viol); err != nil {
		return 0, err
	}
	return b.dot(p, int64(r), viol, nil)
}

// dot returns Σ a[e]·c[e] (Σ a[e] when c is nil) over e < n, summed per
// work-group on the device and over the groups here.
func (b *Backend) dot(p backend.Precision, n int64, a, c *cl.Buffer) (float64, error) {
	if n == 0 {
		return 0, nil
	}
	g := b.groups(n, b.wg)
	part, err := b.partialBuf(g)
	if err != nil {
		return 0, err
	}
	one := flag(c == nil)
	if c == nil {
		c = a
	}
	if err := b.launch(p, "dot_partials", []int{g * b.wg}, []int{b.wg}, n, a, c, one, part); err != nil {
		return 0, err
	}
	return b.sumPartials(part, g)
}

// Divergence returns scikit-learn's _beta_divergence(X, W, H, β) without
// the square root (see backend.Backend).
func (b *Backend) Divergence(x backend.Data, w, h backend.Matrix, beta float64) (float64, error) {
	const op = "Divergence"
	d, wm, hm := b.dat(op, x), b.mat(op, w), b.mat(op, h)
	precCheck(op, d.prec, wm, hm)
	l, n, k := d.rows, d.cols, wm.cols
	shapeCheck(op, "w", wm, l, k)
	shapeCheck(op, "h", hm, k, n)
	if b.closed {
		return 0, b.wrap(op, errClosed)
	}
	v, err := b.divergence(d, wm, hm, beta)
	if err != nil {
		return 0, b.wrap(op, err)
	}
	return v, nil
}

func (b *Backend) divergence(d *data, w, h *matrix, beta float64) (float64, error) {
	p, l, n, k := d.prec, d.rows, d.cols, w.cols
	mode := int32(divGeneral)
	switch beta {
	case 2:
		mode = divFro
	case 1:
		mode = divKL
	case 0:
		mode = divIS
	}
	ln := float64(l) * float64(n)

	if d.sp == nil {
		s, err := b.divDense(p, d.x, true, w, h, l, n, k, mode, beta)
		if err != nil {
			return 0, err
		}
		switch mode {
		case divFro:
			return s / 2, nil
		case divKL:
			return s, nil
		case divIS:
			return s - ln, nil
		}
		return s / (beta * (beta - 1)), nil
	}

	if mode == divFro {
		// (‖X‖² + Σ (WᵀW·H) ⊙ H − 2 Σ (X·Hᵀ) ⊙ W) / 2, never forming W·H.
		size := int64(p.Size())
		gram, err := b.scratchBuf("kk", int64(k)*int64(k)*size)
		if err != nil {
			return 0, err
		}
		kn, err := b.scratchBuf("kn", int64(k)*int64(n)*size)
		if err != nil {
			return 0, err
		}
		lk, err := b.scratchBuf("lk", int64(l)*int64(k)*size)
		if err != nil {
			return 0, err
		}
		if err := b.gemm(p, k, k, l, trans(w.buf, k), plain(w.buf, k), gram); err != nil {
			return 0, err
		}
		if err := b.gemm(p, k, n, k, plain(gram, k), plain(h.buf, n), kn); err != nil {
			return 0, err
		}
		normWH, err := b.dot(p, int64(k)*int64(n), kn, h.buf)
		if err != nil {
			return 0, err
		}
		if err := b.spmm(p, d.sp, d.sp.val, k, h.buf, 1, n, lk, k, 1); err != nil {
			return 0, err
		}
		cross, err := b.dot(p, int64(l)*int64(k), lk, w.buf)
		if err != nil {
			return 0, err
		}
		return (d.normX2 + normWH - 2*cross) / 2, nil
	}

	// The terms in X, at its entries.
	s, err := b.divSparse(p, d, w, h, mode, beta)
	if err != nil {
		return 0, err
	}
	switch mode {
	case divKL:
		// + Σ W·H = (column sums of W)·(row sums of H)
		size := int64(p.Size())
		cs, err := b.scratchBuf("vec", int64(k)*size)
		if err != nil {
			return 0, err
		}
		rs, err := b.scratchBuf("vec2", int64(k)*size)
		if err != nil {
			return 0, err
		}
		if err := b.launch(p, "line_sums", []int{k * b.wg}, []int{b.wg},
			int32(k), int32(l), w.buf, int32(1), int32(k), cs); err != nil {
			return 0, err
		}
		if err := b.launch(p, "line_sums", []int{k * b.wg}, []int{b.wg},
			int32(k), int32(n), h.buf, int32(n), int32(1), rs); err != nil {
			return 0, err
		}
		sum, err := b.dot(p, int64(k), cs, rs)
		if err != nil {
			return 0, err
		}
		return s + sum, nil
	case divIS:
		return s - ln, nil
	}
	// + (β−1) Σ (W·H)^β over every element, formed tile by tile.
	all, err := b.divDense(p, nil, false, w, h, l, n, k, mode, beta)
	if err != nil {
		return 0, err
	}
	return (s + all) / (beta * (beta - 1)), nil
}

// divDense sums the divergence terms over the l×n elements of W·H, tile by
// tile (with the terms in X when hasX).
func (b *Backend) divDense(p backend.Precision, x *cl.Buffer, hasX bool, w, h *matrix, l, n, k int, mode int32, beta float64) (float64, error) {
	if l == 0 || n == 0 {
		return 0, nil
	}
	tr, tc := (l+b.tile-1)/b.tile, (n+b.tile-1)/b.tile
	g := b.groups(int64(tr)*int64(tc), 1)
	gx := min(tc, g)
	gy := max(1, min(tr, g/gx))
	g = gx * gy
	part, err := b.partialBuf(g)
	if err != nil {
		return 0, err
	}
	if x == nil {
		x = w.buf
	}
	if err := b.launch(p, "div_dense", []int{gx * b.tile, gy * b.tile}, []int{b.tile, b.tile},
		int32(l), int32(n), int32(k), x, flag(hasX), w.buf, h.buf,
		mode, scalar(p, beta), scalar(p, beta-1), part); err != nil {
		return 0, err
	}
	return b.sumPartials(part, g)
}

// divSparse sums the divergence terms in X over its entries.
func (b *Backend) divSparse(p backend.Precision, d *data, w, h *matrix, mode int32, beta float64) (float64, error) {
	s := d.sp
	if s.nnz == 0 {
		return 0, nil
	}
	g := b.groups(int64(s.nnz), b.wg)
	part, err := b.partialBuf(g)
	if err != nil {
		return 0, err
	}
	if err := b.launch(p, "div_sparse", []int{g * b.wg}, []int{b.wg},
		int64(s.nnz), int32(w.cols), int32(d.cols), s.rowidx, s.idx, s.val, w.buf, h.buf,
		mode, scalar(p, beta), scalar(p, beta-1), part); err != nil {
		return 0, err
	}
	return b.sumPartials(part, g)
}
