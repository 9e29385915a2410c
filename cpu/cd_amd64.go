package cpu

// AVX-512 steps of the coordinate-descent sweep (cd_amd64.s; see cdBlock).

//go:noescape
func cdStep32x(w, grad, h *float32, k, t int, hess float32, viol *float64)

//go:noescape
func cdStep64x(w, grad, h *float64, k, t int, hess float64, viol *float64)

//go:noescape
func cdLoad32x(w, x *float32, k int, idx *int32, m uint64, l1 float32, wt, gt *float32)

//go:noescape
func cdStore32x(w *float32, k int, idx *int32, m uint64, wt *float32)

//go:noescape
func cdLoad64x(w, x *float64, k int, idx *int32, m uint64, l1 float64, wt, gt *float64)

//go:noescape
func cdStore64x(w *float64, k int, idx *int32, m uint64, wt *float64)
