//go:build !amd64

package cpu

import "unsafe"

const (
	hasFMA    = false
	hasAVX512 = false
)

func kern32(k int, a *float32, sar, sap int, b *float32, ldb int, c *float32, ldc int, acc int) {
	panic("unreachable")
}

func kern64(k int, a *float64, sar, sap int, b *float64, ldb int, c *float64, ldc int, acc int) {
	panic("unreachable")
}

func setFMA(bool) {}

func setAVX512(bool) {}

func prefetchRows(p unsafe.Pointer, rows, bytes, stride int) {}

func kern32n(k int, a *float32, sar, sap int, b *float32, ldb int, c *float32, ldc int, acc int) {
	panic("unreachable")
}

func kern64n(k int, a *float64, sar, sap int, b *float64, ldb int, c *float64, ldc int, acc int) {
	panic("unreachable")
}

func step32(m, num, den *float32, n int, c *float32) { panic("unreachable") }

func step64(m, num, den *float64, n int, c *float64) { panic("unreachable") }

func stepSqrt32(m, num, den *float32, n int, c *float32) { panic("unreachable") }

func stepSqrt64(m, num, den *float64, n int, c *float64) { panic("unreachable") }

func spmm32(out *float32, cols int, b *float32, ldb int, idx *int, vals *float32, nnz int) {
	panic("unreachable")
}

func spmm64(out *float64, cols int, b *float64, ldb int, idx *int, vals *float64, nnz int) {
	panic("unreachable")
}

func kern32x(k int, a *float32, sar, sap int, b *float32, ldb int, c *float32, ldc int, acc int) {
	panic("unreachable")
}

func kern64x(k int, a *float64, sar, sap int, b *float64, ldb int, c *float64, ldc int, acc int) {
	panic("unreachable")
}

func kern32xn(k int, a *float32, sar, sap int, b *float32, ldb int, c *float32, ldc int, acc int) {
	panic("unreachable")
}

func kern64xn(k int, a *float64, sar, sap int, b *float64, ldb int, c *float64, ldc int, acc int) {
	panic("unreachable")
}
