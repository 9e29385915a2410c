package tune

import "github.com/clnmf/clnmf/gpu/internal/tuning"

// xgemm's search space, pruned as CLBlast's tuner prunes its own (its
// xgemm tuner samples a fixed set of values per parameter and drops the
// invalid combinations): three coordinate passes instead of the full
// product (about 70 candidates instead of tens of thousands).

// xstage1 varies the tile and work-group shapes: MWG, NWG ∈ {32, 64, 128}
// and MDIMC, NDIMC ∈ {8, 16, 32} with register tiles of 2, 4 or 8 on each
// side and 64 to 256 work-items, the loads shaped as the work-group
// (MDIMA = MDIMC, NDIMB = NDIMC), the vector widths of base where they
// still fit the register tile (and 8×8 tiles also with vectors of 8).
func xstage1(base GemmParams) []GemmParams {
	var out []GemmParams
	for _, mwg := range []int{32, 64, 128} {
		for _, nwg := range []int{32, 64, 128} {
			for _, mdimc := range []int{8, 16, 32} {
				for _, ndimc := range []int{8, 16, 32} {
					mwi, nwi, wgs := mwg/mdimc, nwg/ndimc, mdimc*ndimc
					if mwi < 2 || mwi > 8 || nwi < 2 || nwi > 8 || wgs < 64 || wgs > 256 {
						continue
					}
					x := base.X
					x.MWG, x.NWG, x.MDIMC, x.NDIMC, x.MDIMA, x.NDIMB = mwg, nwg, mdimc, ndimc, mdimc, ndimc
					x.VWM, x.VWN = min(x.VWM, mwi), min(x.VWN, nwi)
					out = append(out, GemmParams{X: x})
					if mwi == 8 && nwi == 8 {
						x.VWM, x.VWN = 8, 8
						out = append(out, GemmParams{X: x})
					}
				}
			}
		}
	}
	return out
}

// xstage2 varies the vector widths VWM, VWN ∈ {1, 2, 4, 8}.
func xstage2(base GemmParams) []GemmParams {
	var out []GemmParams
	for _, vwm := range []int{1, 2, 4, 8} {
		for _, vwn := range []int{1, 2, 4, 8} {
			x := base.X
			x.VWM, x.VWN = vwm, vwn
			out = append(out, GemmParams{X: x})
		}
	}
	return out
}

// xstage3 varies, one group at a time from base, the K tile and its
// unrolling (KWG ∈ {16, 32}, KWI ∈ {1, 2, 4, 8}), the local caching of
// each operand (SA, SB), the strides (STRM, STRN) and the shapes of the
// tile loads (MDIMA, NDIMB ∈ {8, 16, 32}).
func xstage3(base GemmParams) []GemmParams {
	var out []GemmParams
	add := func(f func(x *tuning.XGemm)) {
		x := base.X
		f(&x)
		out = append(out, GemmParams{X: x})
	}
	for _, kwg := range []int{16, 32} {
		for _, kwi := range []int{1, 2, 4, 8} {
			add(func(x *tuning.XGemm) { x.KWG, x.KWI = kwg, kwi })
		}
	}
	for _, ab := range [][2]int{{0, 0}, {0, 1}, {1, 0}, {1, 1}} {
		add(func(x *tuning.XGemm) { x.SA, x.SB = ab[0], ab[1] })
		add(func(x *tuning.XGemm) { x.STRM, x.STRN = ab[0], ab[1] })
	}
	for _, a := range []int{8, 16, 32} {
		for _, b := range []int{8, 16, 32} {
			add(func(x *tuning.XGemm) { x.MDIMA, x.NDIMB = a, b })
		}
	}
	return out
}

// fits says whether gp's work-group and local memory are within the
// device's (for xgemm; the other kernels' sizes are checked when built).
func (s *search) fits(gp GemmParams) bool {
	if !gp.IsX() || s.dev == nil {
		return true
	}
	size := 4
	for _, p := range s.c.Precisions {
		size = max(size, p.Size())
	}
	if s.dev.MaxWorkGroupSize > 0 && gp.X.WGS() > s.dev.MaxWorkGroupSize {
		return false
	}
	return s.dev.LocalMem <= 0 || gp.X.LocalBytes(size) <= s.dev.LocalMem
}
