package gpu

import (
	"github.com/clnmf/clnmf/gpu/cl"
	"github.com/clnmf/clnmf/gpu/internal/tuning"
)

// The kernels' parameters, one struct per kernel family; each becomes the
// -D defines of its .cl file (whose #ifndef defaults hold where a define is
// absent). Only the GEMM's are tuned (tuning.Gemm, cached per device).

// tiledParams are those of the tiled GEMM kernels gemm and gemm_rb and of
// transpose (gemm.cl).
type tiledParams struct {
	ts int // TS: the side of the square tiles and work-groups
	rb int // RB_T: the side of gemm_rb's output tile, a multiple of ts
}

// fusedParams are those of the fused kernels mu_fused_w, mu_fused_h and
// div_dense (fused.cl).
type fusedParams struct {
	tf int // TF: the side of the W·H tiles and work-groups
}

// sparseParams are those of spmm (sparse.cl).
type sparseParams struct {
	tr, tt int // SP_TR, SP_TT: rows and columns of a work-group
	wg     int // SP_WG: work-group size of the per-entry kernels
}

// elemParams are those of the element-wise kernels (mu.cl) and the
// reductions (reduce.cl).
type elemParams struct {
	wg   int // MU_WG and RWG: work-group size, a power of two
	side int // the work-group side of the 2-D ones (bcast_w, bcast_h)
}

// cdParams are those of cd_sweep (cd.cl).
type cdParams struct {
	wg int // CD_WG: work-group size
}

// kernelParams are the parameters of every family for one device.
type kernelParams struct {
	gemm   tuning.Gemm
	tiled  tiledParams
	fused  fusedParams
	sparse sparseParams
	elem   elemParams
	cd     cdParams
}

// rbTile is the output tile side of gemm_rb (RB_T = 4·TS at TS = 16).
const rbTile = 64

// defaultParams are the parameters for d under profile prof: 16×16 tiles
// and 256-item groups, 8×8 and 64 where the device allows fewer than 256
// work-items, the profile's GEMM defaults.
func defaultParams(d *cl.Device, prof Profile) kernelParams {
	tile, wg := 16, 256
	if d.MaxWorkGroupSize < 256 {
		tile, wg = 8, 64
	}
	return kernelParams{
		gemm:   tuning.DefaultGemm(prof == ProfileCPU),
		tiled:  tiledParams{ts: tile, rb: rbTile},
		fused:  fusedParams{tf: tile},
		sparse: sparseParams{tr: tile, tt: tile, wg: wg},
		elem:   elemParams{wg: wg, side: tile},
		cd:     cdParams{wg: 64},
	}
}

// defines are the -D defines of every family for precision bits.
func (kp kernelParams) defines(bits int) map[string]int {
	defs := map[string]int{
		"TS": kp.tiled.ts, "RB_T": kp.tiled.rb,
		"TF":    kp.fused.tf,
		"SP_TR": kp.sparse.tr, "SP_TT": kp.sparse.tt, "SP_WG": kp.sparse.wg,
		"RWG": kp.elem.wg, "MU_WG": kp.elem.wg,
		"CD_WG": kp.cd.wg,
	}
	for k, v := range kp.gemm.Defines(bits) {
		defs[k] = v
	}
	return defs
}
