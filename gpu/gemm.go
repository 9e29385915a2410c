package gpu

import (
	"fmt"

	"github.com/clnmf/clnmf/gpu/cl"
	"github.com/clnmf/clnmf/nmf/backend"
)

// The dense products: Gram, Mul and Transpose, and the GEMM under every
// product of the backend. As CLBlast's xgemm routine, choosing is apart
// from doing: planGemm decides the kernel and its launch shape from the
// sizes, the operands' layout and the parameters, and checks the plan's
// constraints on the host; runGemm only launches what the plan says.

// operand is a row-major matrix buffer read through strides: element
// (r, c) of op(M) is at r*sr + c*sc.
type operand struct {
	buf    *cl.Buffer
	sr, sc int
}

// plain is a rows×cols row-major matrix as it is; trans its transpose.
func plain(buf *cl.Buffer, cols int) operand { return operand{buf, cols, 1} }
func trans(buf *cl.Buffer, cols int) operand { return operand{buf, 1, cols} }

// gemmKernel is the launch path of a product.
type gemmKernel int

const (
	gemmVN     gemmKernel = iota // gemm_vn: B's rows contiguous (CPU variants)
	gemmVD                       // gemm_vd: A's rows and B's columns contiguous (CPU variants)
	gemmPacked                   // gemm_pack, then gemm_vn, a chunk of K at a time (CPU variants)
	gemmRB                       // gemm_rb: register-blocked tiles (large outputs)
	gemmTiled                    // gemm: TS×TS tiles, split along K when slices > 1
	gemmX                        // xgemm_{n,t}{n,t} (xgemm.cl), split along K when slices > 1
)

var gemmKernelNames = [...]string{"gemm_vn", "gemm_vd", "gemm_pack+gemm_vn", "gemm_rb", "gemm", "xgemm"}

// xgemmNames are xgemm.cl's kernels, by layout: xgemmNames[2*bt + at]
// with at (bt) set when xgemm's A (B) is contiguous along k.
var xgemmNames = [...]string{"xgemm_nn", "xgemm_tn", "xgemm_nt", "xgemm_tt"}

func (k gemmKernel) String() string { return gemmKernelNames[k] }

// gemmPlan is how one M×N×K product runs.
type gemmPlan struct {
	kernel      gemmKernel
	M, N, K     int
	grid, local []int // of the main kernel
	mfast       bool  // CPU variants: walk m first (A is the smaller operand)
	nw          int   // gemm_vn: columns per work-item (vector width × CG_VN)
	panels, kc  int   // gemmPacked: B's panels of nw columns, rows per chunk
	slices      int   // gemmTiled, gemmX: slices of K summed by gemm_slices (1: none)
	kchunk      int   // gemmTiled, gemmX: the length of K one slice covers
	x           xgemmArgs
}

// xgemmArgs are the operands of a gemmX plan in xgemm's orientation (see
// planX).
type xgemmArgs struct {
	name     string // the kernel, by the operands' layouts
	a, b     operand
	lda, ldb int
}

// planGemm chooses the kernel for C (M×N) = A·B, A M×K and B K×N, with
// M, N, K > 0 (gemm handles the empty cases). A long inner dimension with few output tiles is split over
// several work-groups whose partial products are added afterwards.
func (b *Backend) planGemm(p backend.Precision, M, N, K int, A, B operand) (gemmPlan, error) {
	pl := gemmPlan{M: M, N: N, K: K, slices: 1, kchunk: K}
	switch gp := b.kp.gemm; {
	case gp.Vec:
		b.planVec(&pl, p, A, B)
	case gp.IsX():
		b.planX(&pl, A, B)
	default:
		b.planTiled(&pl)
	}
	return pl, b.checkPlan(pl)
}

// planX plans xgemm (tuning.Gemm.X). xgemm's C is column-major (CLBlast's
// orientation), so it computes the row-major C = A·B (M×N) with the
// dimensions swapped and nothing copied: xgemm's m is C's column j, its n
// C's row i, its A(m, k) our B(k, j) and its B(n, k) our A(i, k). Each
// operand's layout (contiguous along k or not) picks one of four kernels.
func (b *Backend) planX(pl *gemmPlan, A, B operand) {
	x := b.kp.gemm.X
	xa, at, lda := B, 0, B.sr // xgemm's A(m=j, k) = B(k, j)
	if B.sc != 1 {
		at, lda = 1, B.sc
	}
	xb, bt, ldb := A, 1, A.sr // xgemm's B(n=i, k) = A(i, k)
	if A.sc != 1 {
		bt, ldb = 0, A.sc
	}
	pl.kernel = gemmX
	pl.x = xgemmArgs{name: xgemmNames[2*bt+at], a: xa, b: xb, lda: lda, ldb: ldb}
	xm, xn := pl.N, pl.M
	mt, nt := (xm+x.MWG-1)/x.MWG, (xn+x.NWG-1)/x.NWG
	b.splitK(pl, mt*nt, x.KWG)
	pl.grid = []int{mt * x.MDIMC, nt * x.NDIMC, pl.slices}
	pl.local = []int{x.MDIMC, x.NDIMC, 1}
}

// splitK sets pl's slices and kchunk (a multiple of kt, K's tile) when
// the product has fewer than splitTarget output tiles and K is long.
func (b *Backend) splitK(pl *gemmPlan, tiles, kt int) {
	K := pl.K
	if tiles < b.splitTarget && K >= 8*kt {
		slices := (b.splitTarget + tiles - 1) / tiles
		if most := K / (4 * kt); slices > most {
			slices = most
		}
		if slices > 1 {
			kchunk := (K + slices - 1) / slices
			pl.kchunk = (kchunk + kt - 1) / kt * kt
			pl.slices = (K + pl.kchunk - 1) / pl.kchunk
		}
	}
	pl.kchunk = max(pl.kchunk, 1)
}

// planVec plans the CPU variants (tuning.Gemm.Vec).
func (b *Backend) planVec(pl *gemmPlan, p backend.Precision, A, B operand) {
	gp := b.kp.gemm
	M, N, K := pl.M, pl.N, pl.K
	// Walk m first when A is the smaller operand: B's columns stay in
	// cache while A is read again for every panel.
	pl.mfast = M <= N
	grid := func(nb, mb int) {
		if pl.mfast {
			pl.grid, pl.local = []int{mb, nb}, []int{gp.LY, gp.LX}
		} else {
			pl.grid, pl.local = []int{nb, mb}, []int{gp.LX, gp.LY}
		}
	}
	bits := 8 * p.Size()
	pl.nw = gp.VecWidth(bits) * gp.VN
	pack := gp.PK > 0 && M >= gp.PK && int64(K)*int64(N) >= b.packMin
	switch {
	case B.sc == 1 && !pack:
		pl.kernel = gemmVN
		grid((N+pl.nw-1)/pl.nw, (M+gp.RM-1)/gp.RM)
	case A.sc == 1 && B.sr == 1 && !pack:
		pl.kernel = gemmVD
		grid((N+gp.DN-1)/gp.DN, (M+gp.DM-1)/gp.DM)
	default:
		// B in contiguous panels of nw columns, then gemm_vn, a chunk of
		// at most packCap/N rows of B at a time (the scratch stays O(1),
		// not K×N), each continuing the sums of the last.
		pl.kernel = gemmPacked
		pl.panels = (N + pl.nw - 1) / pl.nw
		pl.kc = min(max(int(b.packCap/int64(pl.panels*pl.nw)), 1), K)
		grid(pl.panels, (M+gp.RM-1)/gp.RM)
	}
}

// planTiled plans the tiled kernels: split-K for few output tiles and a
// long K, register-blocked tiles for large outputs, gemm otherwise.
func (b *Backend) planTiled(pl *gemmPlan) {
	ts := b.kp.tiled.ts
	M, N := pl.M, pl.N
	b.splitK(pl, ((M+ts-1)/ts)*((N+ts-1)/ts), ts)
	rb := b.kp.tiled.rb
	if pl.slices == 1 && M >= rb && N >= rb {
		pl.kernel = gemmRB
		pl.grid, pl.local = []int{(N + rb - 1) / rb * ts, (M + rb - 1) / rb * ts}, []int{ts, ts}
		return
	}
	pl.kernel = gemmTiled
	pl.grid, pl.local = []int{N, M, pl.slices}, []int{ts, ts, 1}
}

// checkPlan checks a plan's constraints on the host, so that a device that
// cannot run it gives an error naming the kernel and the limit instead of
// the launch's CL_INVALID_WORK_GROUP_SIZE.
func (b *Backend) checkPlan(pl gemmPlan) error {
	items := 1
	for _, v := range pl.local {
		items *= v
	}
	if items > b.dev.MaxWorkGroupSize {
		return fmt.Errorf("%v: work-group of %d items, the device allows %d", pl.kernel, items, b.dev.MaxWorkGroupSize)
	}
	if pl.kernel == gemmRB && b.kp.tiled.rb%b.kp.tiled.ts != 0 {
		return fmt.Errorf("%v: RB_T %d not a multiple of TS %d", pl.kernel, b.kp.tiled.rb, b.kp.tiled.ts)
	}
	if x := b.kp.gemm.X; pl.kernel == gemmX && (!x.Valid() || pl.slices > 1 && pl.kchunk%x.KWG != 0) {
		return fmt.Errorf("%v: parameters %v (K chunk %d) not valid", pl.kernel, x, pl.kchunk)
	}
	return nil
}

// gemm sets C (M×N) = A·B with A M×K and B K×N given as strided operands.
func (b *Backend) gemm(p backend.Precision, M, N, K int, A, B operand, C *cl.Buffer) error {
	if M == 0 || N == 0 {
		return nil
	}
	if K == 0 { // an empty sum, which gemmPacked would not launch at all
		return b.zero(p, C, int64(M)*int64(N)*int64(p.Size()))
	}
	pl, err := b.planGemm(p, M, N, K, A, B)
	if err != nil {
		return err
	}
	return b.runGemm(p, pl, A, B, C)
}

// runGemm launches a plan.
func (b *Backend) runGemm(p backend.Precision, pl gemmPlan, A, B operand, C *cl.Buffer) error {
	M, N, K := int32(pl.M), int32(pl.N), int32(pl.K)
	switch pl.kernel {
	case gemmVN:
		return b.launch(p, "gemm_vn", pl.grid, pl.local, M, N, K,
			A.buf, int32(A.sr), int32(A.sc), B.buf, int32(pl.nw), int32(B.sr),
			int32(0), flag(pl.mfast), int32(0), int32(0), C)
	case gemmVD:
		return b.launch(p, "gemm_vd", pl.grid, pl.local, M, N, K,
			A.buf, int32(A.sr), B.buf, int32(B.sc), flag(pl.mfast), C)
	case gemmPacked:
		return b.runPacked(p, pl, A, B, C)
	case gemmRB:
		return b.launch(p, "gemm_rb", pl.grid, pl.local, M, N, K,
			A.buf, int32(A.sr), int32(A.sc), B.buf, int32(B.sr), int32(B.sc), C)
	}
	return b.runSliced(p, pl, C, func(out *cl.Buffer) error {
		if pl.kernel == gemmX {
			x := pl.x
			return b.launch(p, x.name, pl.grid, pl.local, N, M, K, int32(pl.kchunk),
				x.a.buf, int32(x.lda), x.b.buf, int32(x.ldb), out)
		}
		return b.launch(p, "gemm", pl.grid, pl.local, M, N, K, int32(pl.kchunk),
			A.buf, int32(A.sr), int32(A.sc), B.buf, int32(B.sr), int32(B.sc), out)
	})
}

// runSliced runs launch into C, or with split K into scratch slices that
// gemm_slices then adds into C.
func (b *Backend) runSliced(p backend.Precision, pl gemmPlan, C *cl.Buffer, launch func(out *cl.Buffer) error) error {
	out := C
	if pl.slices > 1 {
		var err error
		out, err = b.scratchBuf("gemm-split", int64(pl.slices)*int64(pl.M)*int64(pl.N)*int64(p.Size()))
		if err != nil {
			return err
		}
	}
	err := launch(out)
	if err != nil || pl.slices == 1 {
		return err
	}
	return b.launch(p, "gemm_slices", []int{pl.M * pl.N}, []int{b.kp.elem.wg},
		int32(pl.M*pl.N), int32(pl.slices), out, C)
}

// runPacked launches gemmPacked: B packed into panels a chunk of kc rows
// at a time, each chunk's gemm_vn continuing the sums of the last.
func (b *Backend) runPacked(p backend.Precision, pl gemmPlan, A, B operand, C *cl.Buffer) error {
	nw := pl.nw
	pb, err := b.scratchBuf("gemm-pack", int64(pl.panels)*int64(nw)*int64(pl.kc)*int64(p.Size()))
	if err != nil {
		return err
	}
	for k0 := 0; k0 < pl.K; k0 += pl.kc {
		n := min(pl.kc, pl.K-k0)
		if err := b.launch(p, "gemm_pack", []int{nw, n, pl.panels}, []int{nw, 1, 1},
			int32(pl.N), int32(n), B.buf, int32(B.sr), int32(B.sc), int32(k0), pb); err != nil {
			return err
		}
		if err := b.launch(p, "gemm_vn", pl.grid, pl.local,
			int32(pl.M), int32(pl.N), int32(n),
			A.buf, int32(A.sr), int32(A.sc), pb, int32(n*nw), int32(nw),
			int32(1), flag(pl.mfast), int32(k0), flag(k0 > 0), C); err != nil {
			return err
		}
	}
	return nil
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
	o.written()
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
	o.written()
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
	o.written()
	ts := b.kp.tiled.ts
	if err := b.launch(o.prec, "transpose", []int{am.cols, am.rows}, []int{ts, ts},
		int32(am.rows), int32(am.cols), am.buf, o.buf); err != nil {
		return b.wrap("Transpose", err)
	}
	return nil
}
