package cpu

//go:generate go run ./internal/asmgen

import (
	"os"
	"unsafe"
)

// The GEMM micro-kernels of the fused passes (kernel.go), in gemm_amd64.s:
// C[r, j] = Σ_{p<k} a[r·sar + p·sap] · b[p·ldb + j] for the 6×16 (float32)
// or 6×8 (float64) block at c, added to C when acc ≠ 0. Strides are in
// elements. The a operand is read one element at a time (broadcast), so it
// may be any strided view: rows of W, columns of W, rows of X; b is read in
// rows of 16 or 8 contiguous elements (8 or 4 for kern32n and kern64n).

//go:noescape
func kern32(k int, a *float32, sar, sap int, b *float32, ldb int, c *float32, ldc int, acc int)

//go:noescape
func kern64(k int, a *float64, sar, sap int, b *float64, ldb int, c *float64, ldc int, acc int)

// kern32n and kern64n are the same on 6×8 and 6×4 blocks.
//
//go:noescape
func kern32n(k int, a *float32, sar, sap int, b *float32, ldb int, c *float32, ldc int, acc int)

//go:noescape
func kern64n(k int, a *float64, sar, sap int, b *float64, ldb int, c *float64, ldc int, acc int)

// kern32x, kern64x, kern32xn and kern64xn are the same with AVX-512 Z
// registers: 6×32, 6×16, 6×16 and 6×8 blocks.
//
//go:noescape
func kern32x(k int, a *float32, sar, sap int, b *float32, ldb int, c *float32, ldc int, acc int)

//go:noescape
func kern64x(k int, a *float64, sar, sap int, b *float64, ldb int, c *float64, ldc int, acc int)

//go:noescape
func kern32xn(k int, a *float32, sar, sap int, b *float32, ldb int, c *float32, ldc int, acc int)

//go:noescape
func kern64xn(k int, a *float64, sar, sap int, b *float64, ldb int, c *float64, ldc int, acc int)

// step32 and step64 are the multiplicative step without L2 term, exponent
// or flush (see stepAVX), over n elements, n a multiple of 8 or 4; c points
// at {l1, Epsilon}.
//
//go:noescape
func step32(m, num, den *float32, n int, c *float32)

//go:noescape
func step64(m, num, den *float64, n int, c *float64)

// stepSqrt32 and stepSqrt64 are the same step with γ = 1/2 (m·√(num/d)),
// bitwise the scalar loop for nonnegative num and den (stepAVX says where
// it differs otherwise).
//
//go:noescape
func stepSqrt32(m, num, den *float32, n int, c *float32)

//go:noescape
func stepSqrt64(m, num, den *float64, n int, c *float64)

// spmm32 and spmm64 form the first cols columns of one row of a sparse
// (CSR) matrix times dense b (row stride ldb): out[c] = Σ_p vals[p]·
// b[idx[p]·ldb + c], cols a multiple of 8 or 4 (see spmmRow).
//
//go:noescape
func spmm32(out *float32, cols int, b *float32, ldb int, idx *int, vals *float32, nnz int)

//go:noescape
func spmm64(out *float64, cols int, b *float64, ldb int, idx *int, vals *float64, nnz int)

// prefetchRows asks for rows×bytes at p (rows stride bytes apart) to be
// brought into L2. It reads nothing itself, so addresses need not be valid.
//
//go:noescape
func prefetchRows(p unsafe.Pointer, rows, bytes, stride int)

// hasFMA reports whether the CPU has AVX2 and FMA3 (and the OS saves YMM).
var hasFMA = hasAVX2 && detectFMA()

func detectFMA() bool {
	_, _, ecx1, _ := cpuidex(1, 0)
	return ecx1&(1<<12) != 0
}

func setFMA(on bool) { hasFMA = on && hasAVX2 && detectFMA() }

// hasAVX512 reports whether the micro-kernels use AVX-512: the CPU has
// AVX-512F (with AVX2 and FMA) and the OS saves the opmask and ZMM state.
// Tiles are then twice as wide; each output entry is still the same
// sequence of FMAs in the same order, so products do not change. The β ≠ 2
// ratio pass then uses its AVX-512 kernels (ratio_amd64.go), which round
// differently from the AVX2 ones.
var hasAVX512 = hasFMA && detectAVX512() && os.Getenv(EnvKernels) != "avx2"

func detectAVX512() bool {
	if xcr0, _ := xgetbv(); xcr0&0xe6 != 0xe6 {
		return false
	}
	_, ebx7, _, _ := cpuidex(7, 0)
	return ebx7&(1<<16) != 0
}

func setAVX512(on bool) { hasAVX512 = on && hasFMA && detectAVX512() }
