//go:build !amd64

package cpu

const hasAVX2 = false

func ratioKL32(x, v, u *float32, n int, c *float32)   { panic("unreachable") }
func ratioIS32(x, v, u *float32, n int, c *float32)   { panic("unreachable") }
func ratio15F32(x, v, u *float32, n int, c *float32)  { panic("unreachable") }
func ratioKL64(x, v, u *float64, n int, c *float64)   { panic("unreachable") }
func ratioIS64(x, v, u *float64, n int, c *float64)   { panic("unreachable") }
func ratio15F64(x, v, u *float64, n int, c *float64)  { panic("unreachable") }
func ratioKL32x(x, v, u *float32, n int, c *float32)  { panic("unreachable") }
func ratioIS32x(x, v, u *float32, n int, c *float32)  { panic("unreachable") }
func ratio15F32x(x, v, u *float32, n int, c *float32) { panic("unreachable") }
func ratioKL64x(x, v, u *float64, n int, c *float64)  { panic("unreachable") }
func ratioIS64x(x, v, u *float64, n int, c *float64)  { panic("unreachable") }
func ratio15F64x(x, v, u *float64, n int, c *float64) { panic("unreachable") }
func setAVX2(bool)                                    {}
