package cpu

// AVX-512 steps of the coordinate-descent sweep (cd_amd64.s; see cdBlock).

//go:noescape
func cdStep32x(w, grad, h *float32, k, t int, hess float32, viol *float64)

//go:noescape
func cdStep64x(w, grad, h *float64, k, t int, hess float64, viol *float64)
