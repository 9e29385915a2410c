package gpu

import (
	"github.com/clnmf/clnmf/gpu/cl"
	"github.com/clnmf/clnmf/gpu/internal/tuning"
	"github.com/clnmf/clnmf/kernels"
	"github.com/clnmf/clnmf/nmf/backend"
)

// The kernels' parameters, one struct per kernel family; each becomes the
// -D defines of its .cl file (whose #ifndef defaults hold where a define is
// absent). Only the GEMM's are tuned (tuning.Gemm, cached per device).

// tiledParams are those of the tiled GEMM kernels gemm and gemm_rb and of
// transpose (gemm.cl).
type tiledParams struct {
	ts int // TS: the side of the square tiles and work-groups
	rb int // RB_T: the side of gemm_rb's output tile, a multiple of ts
	// contract allows fma contraction in gemm.cl (GEMM_CONTRACT): all
	// the GEMM kernels, the CPU variants too.
	contract bool
}

// fusedParams are those of the fused kernels mu_fused_* and div_dense
// (fused.cl).
type fusedParams struct {
	tf       int  // TF: the side of the W·H tiles and work-groups
	fk       int  // FK: the most components of the _r kernels, a multiple of tf
	held     bool // use the _r kernels (W's or H's lines held in local memory) where k <= fk
	contract bool // FUSED_CONTRACT: allow fma contraction
}

// fusedVariants are the suffixes of the fused MU kernels by the sums they
// form: both, the numerator, the denominator.
var fusedVariants = []string{"_nd", "_n", "_d"}

// kernel names the fused MU kernel of side for k components that forms
// the wanted sums (at least one).
func (fp fusedParams) kernel(side backend.Side, k int, wantNum, wantDen bool) string {
	name := "mu_fused_w"
	if side == backend.SideH {
		name = "mu_fused_h"
	}
	if fp.held && k <= fp.fk {
		name += "r"
	}
	switch {
	case wantNum && wantDen:
		return name + fusedVariants[0]
	case wantNum:
		return name + fusedVariants[1]
	}
	return name + fusedVariants[2]
}

// sparseParams are those of the sparse kernels (sparse.cl).
type sparseParams struct {
	tr, tt int  // SP_TR, SP_TT: rows and columns of a spmm work-group
	wg     int  // SP_WG: work-group size of the per-entry kernels
	k      int  // SP_K: the most lanes per entry of the kernels that read Hᵀ
	ht     bool // gather from Hᵀ (the _t kernels; spmm with Hᵀ) instead of H
}

// elemParams are those of the element-wise kernels (mu.cl) and the
// reductions (reduce.cl).
type elemParams struct {
	wg   int // MU_WG and RWG: work-group size, a power of two
	side int // the work-group side of the 2-D ones (bcast_w, bcast_h)
}

// cdParams are those of cd_sweep and cd_block (cd.cl).
type cdParams struct {
	wg    int  // CD_WG: work-group size of cd_sweep
	rows  int  // CDB_ROWS: rows (and work-items) of a cd_block group
	block bool // use cd_block where k <= kmax
}

// kmax is CDB_K, the most components cd_block takes in elements of size
// bytes: its two rows × CDB_K × (rows+1) tiles fit in 32 KB, the least
// local memory an OpenCL device has (so that cd_block never makes a
// device fall back to the small sizes), a multiple of 8, at most 64.
func (c cdParams) kmax(size int) int {
	return min(64, 32<<10/(2*(c.rows+1)*size)/8*8)
}

// kernelParams are the parameters of every family for one device.
type kernelParams struct {
	gemm   tuning.Gemm
	tiled  tiledParams
	fused  fusedParams
	sparse sparseParams
	elem   elemParams
	cd     cdParams
	small  bool // the small sizes (8×8 tiles, 64-item groups)
}

// rbPerTS is gemm_rb's output tile side in tiles: RB_T = rbPerTS·TS (64 at
// the profile sizes, 32 at the small ones).
const rbPerTS = 4

// defaultParams are the parameters for d under profile prof: 16×16 tiles
// and 256-item groups, 8×8 and 64 where the device allows fewer than 256
// work-items, the profile's GEMM defaults.
func defaultParams(d *cl.Device, prof Profile) kernelParams {
	kp := sized(d.MaxWorkGroupSize < 256)
	kp.gemm = tuning.DefaultGemm(d, prof == ProfileCPU)
	if prof == ProfileGPU {
		kp.tiled.contract, kp.fused.contract = true, true
	}
	// The kernels that coalesce for a GPU (the fused _r kernels, the
	// gathers from Hᵀ, cd_block) cost a CPU device their barriers and
	// lanes: measured on PoCL (docs/gpu.md), the cpu profile keeps the
	// others.
	gpu := prof == ProfileGPU
	kp.fused.held, kp.sparse.ht, kp.cd.block = gpu, gpu, gpu
	return kp
}

// sized are the parameters of every family but the GEMM's at the profile
// sizes (16×16 tiles, 256-item groups) or the small ones (8×8, 64; gemm_rb's
// output tiles 32×32, a quarter of the local memory).
func sized(small bool) kernelParams {
	tile, wg := 16, 256
	if small {
		tile, wg = 8, 64
	}
	return kernelParams{
		small:  small,
		tiled:  tiledParams{ts: tile, rb: rbPerTS * tile},
		fused:  fusedParams{tf: tile, fk: 4 * tile},
		sparse: sparseParams{tr: tile, tt: tile, wg: wg, k: tile},
		elem:   elemParams{wg: wg, side: tile},
		cd:     cdParams{wg: 64, rows: 2 * tile},
	}
}

// defines are the -D defines of every family for precision bits.
func (kp kernelParams) defines(bits int) map[string]int {
	defs := map[string]int{
		"TS": kp.tiled.ts, "RB_T": kp.tiled.rb,
		"TF": kp.fused.tf, "FK": kp.fused.fk,
		"SP_TR": kp.sparse.tr, "SP_TT": kp.sparse.tt, "SP_WG": kp.sparse.wg, "SP_K": kp.sparse.k,
		"RWG": kp.elem.wg, "MU_WG": kp.elem.wg,
		"CD_WG": kp.cd.wg, "CDB_ROWS": kp.cd.rows, "CDB_K": kp.cd.kmax(bits / 8),
		"GEMM_CONTRACT": int(flag(kp.tiled.contract)), "FUSED_CONTRACT": int(flag(kp.fused.contract)),
	}
	for k, v := range kp.gemm.Defines(bits) {
		defs[k] = v
	}
	return defs
}

// fitSmall is kp with the small sizes, the GEMM's parameters (but
// xgemm's, which become tuning.SmallXGemm) and the profile's choices kept.
func (kp kernelParams) fitSmall() kernelParams {
	s := sized(true)
	s.gemm = kp.gemm
	s.tiled.contract, s.fused.contract = kp.tiled.contract, kp.fused.contract
	s.fused.held, s.sparse.ht, s.cd.block = kp.fused.held, kp.sparse.ht, kp.cd.block
	if s.gemm.IsX() {
		s.gemm.X = tuning.SmallXGemm
	}
	return s
}

// lanes is the lanes per entry the kernels that read Hᵀ take for k
// components: the least power of two ≥ k, at most SP_K.
func (sp sparseParams) lanes(k int) int {
	n := 1
	for n < k && n < sp.k {
		n *= 2
	}
	return n
}

// kernelGroup is a kernel and the work-items of the groups it is launched
// with.
type kernelGroup struct {
	name  string
	items int
}

// groups lists every kernel with the work-group size the backend launches
// it with under kp (fits checks them against the device).
func (kp kernelParams) groups() []kernelGroup {
	ts, tf, wg := kp.tiled.ts, kp.fused.tf, kp.elem.wg
	g := []kernelGroup{
		{"gemm", ts * ts}, {"gemm_rb", ts * ts}, {"transpose", ts * ts}, {"gemm_slices", wg},
		{"div_dense", tf * tf},
		{"mu_elem", wg}, {"mu_step", wg}, {"zero_fill", wg}, {"bcast_w", kp.elem.side * kp.elem.side},
		{"bcast_h", kp.elem.side * kp.elem.side}, {"dot_partials", wg}, {"line_sums", wg},
		{"spmm", kp.sparse.tt * kp.sparse.tr}, {"sddmm_ratio", kp.sparse.wg}, {"div_sparse", kp.sparse.wg},
		{"sddmm_ratio_t", kp.sparse.wg}, {"div_sparse_t", kp.sparse.wg},
		{"cd_sweep", kp.cd.wg}, {"cd_block", kp.cd.rows},
	}
	for _, base := range []string{"mu_fused_w", "mu_fused_h", "mu_fused_wr", "mu_fused_hr"} {
		for _, v := range fusedVariants {
			g = append(g, kernelGroup{base + v, tf * tf})
		}
	}
	if gp := kp.gemm; gp.Vec {
		g = append(g, kernelGroup{"gemm_vn", gp.LX * gp.LY}, kernelGroup{"gemm_vd", gp.LX * gp.LY},
			kernelGroup{"gemm_pack", gp.VW * gp.VN})
	}
	if gp := kp.gemm; gp.IsX() {
		for _, name := range xgemmNames {
			g = append(g, kernelGroup{name, gp.X.WGS()})
		}
	}
	return g
}

// sources are the kernel files of kp's program: xgemm.cl only where
// xgemm runs, so that the other settings build what they did before it.
func (kp kernelParams) sources() []string {
	if kp.gemm.IsX() {
		return kernels.Names
	}
	var names []string
	for _, n := range kernels.Names {
		if n != "xgemm" {
			names = append(names, n)
		}
	}
	return names
}
