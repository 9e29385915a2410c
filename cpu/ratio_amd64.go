package cpu

//go:generate go run ./internal/ratiogen

// Kernels for the ratio pass of the multiplicative update (see
// applyRatio). Each handles the first n elements; c points at
// ratioConsts32 or ratioConsts64. The AVX2 ones take n a multiple of 8
// (float32) or 4 (float64), and every lane performs the same IEEE
// operations, in the same order, as the scalar loop it replaces, so results
// are bitwise identical (ratio_amd64.s). The AVX-512 ones ("x", n a
// multiple of 16 or 8; ratio512_amd64.s, written by cpu/internal/ratiogen)
// replace divisions and square roots by refined VRCP14/VRSQRT14
// approximations, within the bounds TestRatioKernelsAVX512 checks.

//go:noescape
func ratioKL32(x, v, u *float32, n int, c *float32)

//go:noescape
func ratioIS32(x, v, u *float32, n int, c *float32)

//go:noescape
func ratio15F32(x, v, u *float32, n int, c *float32)

//go:noescape
func ratioKL64(x, v, u *float64, n int, c *float64)

//go:noescape
func ratioIS64(x, v, u *float64, n int, c *float64)

//go:noescape
func ratio15F64(x, v, u *float64, n int, c *float64)

func cpuidex(op, op2 uint32) (eax, ebx, ecx, edx uint32)

func xgetbv() (eax, edx uint32)

// hasAVX2 reports whether the CPU and the OS support AVX2.
var hasAVX2 = detectAVX2()

func setAVX2(on bool) { hasAVX2 = on }

func detectAVX2() bool {
	maxID, _, _, _ := cpuidex(0, 0)
	if maxID < 7 {
		return false
	}
	_, _, ecx1, _ := cpuidex(1, 0)
	const osxsave, avx = 1 << 27, 1 << 28
	if ecx1&osxsave == 0 || ecx1&avx == 0 {
		return false
	}
	// The OS must save the XMM and YMM state.
	if xcr0, _ := xgetbv(); xcr0&6 != 6 {
		return false
	}
	_, ebx7, _, _ := cpuidex(7, 0)
	return ebx7&(1<<5) != 0
}

//go:noescape
func ratioKL32x(x, v, u *float32, n int, c *float32)

//go:noescape
func ratioIS32x(x, v, u *float32, n int, c *float32)

//go:noescape
func ratio15F32x(x, v, u *float32, n int, c *float32)

//go:noescape
func ratioKL64x(x, v, u *float64, n int, c *float64)

//go:noescape
func ratioIS64x(x, v, u *float64, n int, c *float64)

//go:noescape
func ratio15F64x(x, v, u *float64, n int, c *float64)
