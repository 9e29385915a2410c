//go:build !amd64

package cpu

func cdStep32x(w, grad, h *float32, k, t int, hess float32, viol *float64) { panic("unreachable") }
func cdStep64x(w, grad, h *float64, k, t int, hess float64, viol *float64) { panic("unreachable") }
