#include "textflag.h"

// func cpuidex(op, op2 uint32) (eax, ebx, ecx, edx uint32)
TEXT ·cpuidex(SB), NOSPLIT, $0-24
	MOVL op+0(FP), AX
	MOVL op2+4(FP), CX
	CPUID
	MOVL AX, eax+8(FP)
	MOVL BX, ebx+12(FP)
	MOVL CX, ecx+16(FP)
	MOVL DX, edx+20(FP)
	RET

// func xgetbv() (eax, edx uint32)
TEXT ·xgetbv(SB), NOSPLIT, $0-8
	MOVL $0, CX
	XGETBV
	MOVL AX, eax+0(FP)
	MOVL DX, edx+4(FP)
	RET

// func ratioKL32(x, v, u *T, n int, c *T)
TEXT ·ratioKL32(SB), NOSPLIT, $0-40
	MOVQ x+0(FP), SI
	MOVQ v+8(FP), DI
	MOVQ u+16(FP), DX
	MOVQ n+24(FP), CX
	MOVQ c+32(FP), AX
	VBROADCASTSS 0(AX), Y1
	VBROADCASTSS 4(AX), Y2
	VBROADCASTSS 8(AX), Y3
	VXORPS Y0, Y0, Y0
	XORQ BX, BX
loopratioKL32:
	CMPQ BX, CX
	JGE doneratioKL32
	VMOVUPS (DI)(BX*4), Y4
	VCMPPS $0, Y0, Y4, Y5
	VANDPS Y1, Y5, Y6
	VADDPS Y6, Y4, Y7
	VMOVUPS (SI)(BX*4), Y8
	VDIVPS Y7, Y8, Y8
	VMOVUPS Y8, (DI)(BX*4)
	ADDQ $8, BX
	JMP loopratioKL32
doneratioKL32:
	VZEROUPPER
	RET

// func ratioIS32(x, v, u *T, n int, c *T)
TEXT ·ratioIS32(SB), NOSPLIT, $0-40
	MOVQ x+0(FP), SI
	MOVQ v+8(FP), DI
	MOVQ u+16(FP), DX
	MOVQ n+24(FP), CX
	MOVQ c+32(FP), AX
	VBROADCASTSS 0(AX), Y1
	VBROADCASTSS 4(AX), Y2
	VBROADCASTSS 8(AX), Y3
	VXORPS Y0, Y0, Y0
	XORQ BX, BX
loopratioIS32:
	CMPQ BX, CX
	JGE doneratioIS32
	VMOVUPS (DI)(BX*4), Y4
	VCMPPS $0, Y0, Y4, Y5
	VANDPS Y1, Y5, Y6
	VADDPS Y6, Y4, Y7
	VDIVPS Y7, Y2, Y8
	VMOVUPS Y8, (DX)(BX*4)
	VMULPS Y8, Y8, Y9
	VMOVUPS (SI)(BX*4), Y10
	VMULPS Y10, Y9, Y9
	VMOVUPS Y9, (DI)(BX*4)
	ADDQ $8, BX
	JMP loopratioIS32
doneratioIS32:
	VZEROUPPER
	RET

// func ratio15F32(x, v, u *T, n int, c *T)
TEXT ·ratio15F32(SB), NOSPLIT, $0-40
	MOVQ x+0(FP), SI
	MOVQ v+8(FP), DI
	MOVQ u+16(FP), DX
	MOVQ n+24(FP), CX
	MOVQ c+32(FP), AX
	VBROADCASTSS 0(AX), Y1
	VBROADCASTSS 4(AX), Y2
	VBROADCASTSS 8(AX), Y3
	VXORPS Y0, Y0, Y0
	XORQ BX, BX
loopratio15F32:
	CMPQ BX, CX
	JGE doneratio15F32
	VMOVUPS (DI)(BX*4), Y4
	VCMPPS $0, Y0, Y4, Y5
	VANDPS Y1, Y5, Y6
	VADDPS Y6, Y4, Y7
	VSQRTPS Y7, Y8
	VANDPS Y3, Y5, Y9
	VSUBPS Y9, Y8, Y9
	VMOVUPS Y9, (DX)(BX*4)
	VDIVPS Y8, Y2, Y10
	VMOVUPS (SI)(BX*4), Y11
	VMULPS Y11, Y10, Y10
	VMOVUPS Y10, (DI)(BX*4)
	ADDQ $8, BX
	JMP loopratio15F32
doneratio15F32:
	VZEROUPPER
	RET

// func ratioKL64(x, v, u *T, n int, c *T)
TEXT ·ratioKL64(SB), NOSPLIT, $0-40
	MOVQ x+0(FP), SI
	MOVQ v+8(FP), DI
	MOVQ u+16(FP), DX
	MOVQ n+24(FP), CX
	MOVQ c+32(FP), AX
	VBROADCASTSD 0(AX), Y1
	VBROADCASTSD 8(AX), Y2
	VBROADCASTSD 16(AX), Y3
	VXORPD Y0, Y0, Y0
	XORQ BX, BX
loopratioKL64:
	CMPQ BX, CX
	JGE doneratioKL64
	VMOVUPD (DI)(BX*8), Y4
	VCMPPD $0, Y0, Y4, Y5
	VANDPD Y1, Y5, Y6
	VADDPD Y6, Y4, Y7
	VMOVUPD (SI)(BX*8), Y8
	VDIVPD Y7, Y8, Y8
	VMOVUPD Y8, (DI)(BX*8)
	ADDQ $4, BX
	JMP loopratioKL64
doneratioKL64:
	VZEROUPPER
	RET

// func ratioIS64(x, v, u *T, n int, c *T)
TEXT ·ratioIS64(SB), NOSPLIT, $0-40
	MOVQ x+0(FP), SI
	MOVQ v+8(FP), DI
	MOVQ u+16(FP), DX
	MOVQ n+24(FP), CX
	MOVQ c+32(FP), AX
	VBROADCASTSD 0(AX), Y1
	VBROADCASTSD 8(AX), Y2
	VBROADCASTSD 16(AX), Y3
	VXORPD Y0, Y0, Y0
	XORQ BX, BX
loopratioIS64:
	CMPQ BX, CX
	JGE doneratioIS64
	VMOVUPD (DI)(BX*8), Y4
	VCMPPD $0, Y0, Y4, Y5
	VANDPD Y1, Y5, Y6
	VADDPD Y6, Y4, Y7
	VDIVPD Y7, Y2, Y8
	VMOVUPD Y8, (DX)(BX*8)
	VMULPD Y8, Y8, Y9
	VMOVUPD (SI)(BX*8), Y10
	VMULPD Y10, Y9, Y9
	VMOVUPD Y9, (DI)(BX*8)
	ADDQ $4, BX
	JMP loopratioIS64
doneratioIS64:
	VZEROUPPER
	RET

// func ratio15F64(x, v, u *T, n int, c *T)
TEXT ·ratio15F64(SB), NOSPLIT, $0-40
	MOVQ x+0(FP), SI
	MOVQ v+8(FP), DI
	MOVQ u+16(FP), DX
	MOVQ n+24(FP), CX
	MOVQ c+32(FP), AX
	VBROADCASTSD 0(AX), Y1
	VBROADCASTSD 8(AX), Y2
	VBROADCASTSD 16(AX), Y3
	VXORPD Y0, Y0, Y0
	XORQ BX, BX
loopratio15F64:
	CMPQ BX, CX
	JGE doneratio15F64
	VMOVUPD (DI)(BX*8), Y4
	VCMPPD $0, Y0, Y4, Y5
	VANDPD Y1, Y5, Y6
	VADDPD Y6, Y4, Y7
	VSQRTPD Y7, Y8
	VANDPD Y3, Y5, Y9
	VSUBPD Y9, Y8, Y9
	VMOVUPD Y9, (DX)(BX*8)
	VDIVPD Y8, Y2, Y10
	VMOVUPD (SI)(BX*8), Y11
	VMULPD Y11, Y10, Y10
	VMOVUPD Y10, (DI)(BX*8)
	ADDQ $4, BX
	JMP loopratio15F64
doneratio15F64:
	VZEROUPPER
	RET

// AVX-512 kernels (16 float32 or 8 float64 lanes). The reciprocal (KL, IS)
// or reciprocal square root (β = 1.5) of V comes from VRCP14 or VRSQRT14
// (relative error below 2^-14) refined by Newton steps, and the quotient or
// square root is corrected once with its exact FMA residual: a few FMAs in
// place of a division or square root, whose unit is no wider for Z than for
// Y registers. Results are within the error bounds TestRatioKernelsAVX512
// checks against exact arithmetic, not bitwise those of the AVX2 kernels.
// A vector where some V exceeds hi (c[3]; then 1/V nears the subnormals) or
// some result is not below hi in magnitude (NaN, Inf, overflow) is redone
// with the AVX2 kernels' IEEE operations.

// func ratioKL32x(x, v, u *T, n int, c *T)
TEXT ·ratioKL32x(SB), NOSPLIT, $0-40
	MOVQ x+0(FP), SI
	MOVQ v+8(FP), DI
	MOVQ u+16(FP), DX
	MOVQ n+24(FP), CX
	MOVQ c+32(FP), AX
	VBROADCASTSS 0(AX), Z1 // Epsilon
	VBROADCASTSS 4(AX), Z2 // 1
	VBROADCASTSS 12(AX), Z5 // hi
	VBROADCASTSS 16(AX), Z7 // 1/2
	VBROADCASTSS 20(AX), Z6 // the mask of all bits but the sign
	VBROADCASTSS 24(AX), Z15 // the bits of the smallest subnormal: integer 1
	VBROADCASTSS 28(AX), Z3 // the bits of lo, less 1
	VPXORD Z0, Z0, Z0
	XORQ BX, BX
loopratioKL32x:
	CMPQ BX, CX
	JGE doneratioKL32x
	VMOVUPS (DI)(BX*4), Z4
	VMOVUPS (SI)(BX*4), Z8
	VCMPPS $0, Z0, Z4, K1 // V = 0
	VMOVAPS Z1, K1, Z4 // V = Epsilon there
	VCMPPS $18, Z5, Z4, K2 // V ≤ hi (false for NaN)
	VPANDD Z6, Z8, Z13
	VPSUBD Z15, Z13, Z13
	VPCMPUD $5, Z3, Z13, K2, K2 // and X = 0 or |X| ≥ lo (the residual is exact)
	VRCP14PS Z4, Z9
	VMULPS Z9, Z8, Z11 // q = X·y
	VMOVAPS Z8, Z12
	VFNMADD231PS Z11, Z4, Z12 // r = X − V·q, exact
	VFMADD231PS Z12, Z9, Z11 // q + r·y
	VANDPS Z6, Z11, Z14
	VCMPPS $17, Z5, Z14, K2, K2 // and |result| < hi (false for Inf and NaN)
	KMOVW K2, R8
	CMPW R8, $0xffff
	JNE slowratioKL32x
	VMOVUPS Z11, (DI)(BX*4)
	ADDQ $16, BX
	JMP loopratioKL32x
slowratioKL32x:
	VDIVPS Z4, Z8, Z11
	VMOVUPS Z11, (DI)(BX*4)
	ADDQ $16, BX
	JMP loopratioKL32x
doneratioKL32x:
	VZEROUPPER
	RET

// func ratioIS32x(x, v, u *T, n int, c *T)
TEXT ·ratioIS32x(SB), NOSPLIT, $0-40
	MOVQ x+0(FP), SI
	MOVQ v+8(FP), DI
	MOVQ u+16(FP), DX
	MOVQ n+24(FP), CX
	MOVQ c+32(FP), AX
	VBROADCASTSS 0(AX), Z1 // Epsilon
	VBROADCASTSS 4(AX), Z2 // 1
	VBROADCASTSS 12(AX), Z5 // hi
	VBROADCASTSS 16(AX), Z7 // 1/2
	VBROADCASTSS 20(AX), Z6 // the mask of all bits but the sign
	VPXORD Z0, Z0, Z0
	XORQ BX, BX
loopratioIS32x:
	CMPQ BX, CX
	JGE doneratioIS32x
	VMOVUPS (DI)(BX*4), Z4
	VMOVUPS (SI)(BX*4), Z8
	VCMPPS $0, Z0, Z4, K1 // V = 0
	VMOVAPS Z1, K1, Z4 // V = Epsilon there
	VCMPPS $18, Z5, Z4, K2 // V ≤ hi (false for NaN)
	VRCP14PS Z4, Z9
	VMOVAPS Z2, Z10
	VFNMADD231PS Z9, Z4, Z10 // e = 1 − V·y
	VFMADD231PS Z10, Z9, Z9 // y += y·e
	VMULPS Z9, Z9, Z11
	VMULPS Z8, Z11, Z11
	VANDPS Z6, Z11, Z14
	VCMPPS $17, Z5, Z14, K2, K2 // and |result| < hi (false for Inf and NaN)
	KMOVW K2, R8
	CMPW R8, $0xffff
	JNE slowratioIS32x
	VMOVUPS Z9, (DX)(BX*4)
	VMOVUPS Z11, (DI)(BX*4)
	ADDQ $16, BX
	JMP loopratioIS32x
slowratioIS32x:
	VDIVPS Z4, Z2, Z9
	VMOVUPS Z9, (DX)(BX*4)
	VMULPS Z9, Z9, Z11
	VMULPS Z8, Z11, Z11
	VMOVUPS Z11, (DI)(BX*4)
	ADDQ $16, BX
	JMP loopratioIS32x
doneratioIS32x:
	VZEROUPPER
	RET

// func ratio15F32x(x, v, u *T, n int, c *T)
TEXT ·ratio15F32x(SB), NOSPLIT, $0-40
	MOVQ x+0(FP), SI
	MOVQ v+8(FP), DI
	MOVQ u+16(FP), DX
	MOVQ n+24(FP), CX
	MOVQ c+32(FP), AX
	VBROADCASTSS 0(AX), Z1 // Epsilon
	VBROADCASTSS 4(AX), Z2 // 1
	VBROADCASTSS 12(AX), Z5 // hi
	VBROADCASTSS 16(AX), Z7 // 1/2
	VBROADCASTSS 20(AX), Z6 // the mask of all bits but the sign
	VPXORD Z0, Z0, Z0
	XORQ BX, BX
loopratio15F32x:
	CMPQ BX, CX
	JGE doneratio15F32x
	VMOVUPS (DI)(BX*4), Z4
	VMOVUPS (SI)(BX*4), Z8
	VCMPPS $0, Z0, Z4, K1 // V = 0
	VMOVAPS Z1, K1, Z4 // V = Epsilon there
	VCMPPS $18, Z5, Z4, K2 // V ≤ hi (false for NaN)
	VRSQRT14PS Z4, Z9
	VMULPS Z9, Z4, Z10 // s ≈ √V
	VMULPS Z9, Z7, Z11 // h ≈ 1/(2√V)
	VMOVAPS Z7, Z12
	VFNMADD231PS Z11, Z10, Z12 // e = 1/2 − s·h
	VFMADD231PS Z12, Z10, Z10 // s += s·e
	VFMADD231PS Z12, Z11, Z11 // h += h·e
	VMOVAPS Z4, Z13
	VFNMADD231PS Z10, Z10, Z13 // d = V − s², exact
	VFMADD231PS Z13, Z11, Z10 // √V ≈ s + d·h
	VMOVAPS Z0, K1, Z10 // U^½ = 0 where V = 0
	VADDPS Z11, Z11, Z11 // 1/√V
	VMULPS Z8, Z11, Z11
	VADDPS Z10, Z11, Z13 // NaN or Inf if either is
	VANDPS Z6, Z13, Z14
	VCMPPS $17, Z5, Z14, K2, K2 // and |result| < hi (false for Inf and NaN)
	KMOVW K2, R8
	CMPW R8, $0xffff
	JNE slowratio15F32x
	VMOVUPS Z10, (DX)(BX*4)
	VMOVUPS Z11, (DI)(BX*4)
	ADDQ $16, BX
	JMP loopratio15F32x
slowratio15F32x:
	VSQRTPS Z4, Z10
	VMOVAPS Z10, Z9
	VMOVAPS Z0, K1, Z9
	VMOVUPS Z9, (DX)(BX*4)
	VDIVPS Z10, Z2, Z11
	VMULPS Z8, Z11, Z11
	VMOVUPS Z11, (DI)(BX*4)
	ADDQ $16, BX
	JMP loopratio15F32x
doneratio15F32x:
	VZEROUPPER
	RET

// func ratioKL64x(x, v, u *T, n int, c *T)
TEXT ·ratioKL64x(SB), NOSPLIT, $0-40
	MOVQ x+0(FP), SI
	MOVQ v+8(FP), DI
	MOVQ u+16(FP), DX
	MOVQ n+24(FP), CX
	MOVQ c+32(FP), AX
	VBROADCASTSD 0(AX), Z1 // Epsilon
	VBROADCASTSD 8(AX), Z2 // 1
	VBROADCASTSD 24(AX), Z5 // hi
	VBROADCASTSD 32(AX), Z7 // 1/2
	VBROADCASTSD 40(AX), Z6 // the mask of all bits but the sign
	VBROADCASTSD 48(AX), Z15 // the bits of the smallest subnormal: integer 1
	VBROADCASTSD 56(AX), Z3 // the bits of lo, less 1
	VPXORD Z0, Z0, Z0
	XORQ BX, BX
loopratioKL64x:
	CMPQ BX, CX
	JGE doneratioKL64x
	VMOVUPD (DI)(BX*8), Z4
	VMOVUPD (SI)(BX*8), Z8
	VCMPPD $0, Z0, Z4, K1 // V = 0
	VMOVAPD Z1, K1, Z4 // V = Epsilon there
	VCMPPD $18, Z5, Z4, K2 // V ≤ hi (false for NaN)
	VPANDQ Z6, Z8, Z13
	VPSUBQ Z15, Z13, Z13
	VPCMPUQ $5, Z3, Z13, K2, K2 // and X = 0 or |X| ≥ lo (the residual is exact)
	VRCP14PD Z4, Z9
	VMOVAPD Z2, Z10
	VFNMADD231PD Z9, Z4, Z10 // e = 1 − V·y
	VFMADD231PD Z10, Z9, Z9 // y += y·e
	VMULPD Z9, Z8, Z11 // q = X·y
	VMOVAPD Z8, Z12
	VFNMADD231PD Z11, Z4, Z12 // r = X − V·q, exact
	VFMADD231PD Z12, Z9, Z11 // q + r·y
	VANDPD Z6, Z11, Z14
	VCMPPD $17, Z5, Z14, K2, K2 // and |result| < hi (false for Inf and NaN)
	KMOVW K2, R8
	CMPW R8, $0xff
	JNE slowratioKL64x
	VMOVUPD Z11, (DI)(BX*8)
	ADDQ $8, BX
	JMP loopratioKL64x
slowratioKL64x:
	VDIVPD Z4, Z8, Z11
	VMOVUPD Z11, (DI)(BX*8)
	ADDQ $8, BX
	JMP loopratioKL64x
doneratioKL64x:
	VZEROUPPER
	RET

// func ratioIS64x(x, v, u *T, n int, c *T)
TEXT ·ratioIS64x(SB), NOSPLIT, $0-40
	MOVQ x+0(FP), SI
	MOVQ v+8(FP), DI
	MOVQ u+16(FP), DX
	MOVQ n+24(FP), CX
	MOVQ c+32(FP), AX
	VBROADCASTSD 0(AX), Z1 // Epsilon
	VBROADCASTSD 8(AX), Z2 // 1
	VBROADCASTSD 24(AX), Z5 // hi
	VBROADCASTSD 32(AX), Z7 // 1/2
	VBROADCASTSD 40(AX), Z6 // the mask of all bits but the sign
	VPXORD Z0, Z0, Z0
	XORQ BX, BX
loopratioIS64x:
	CMPQ BX, CX
	JGE doneratioIS64x
	VMOVUPD (DI)(BX*8), Z4
	VMOVUPD (SI)(BX*8), Z8
	VCMPPD $0, Z0, Z4, K1 // V = 0
	VMOVAPD Z1, K1, Z4 // V = Epsilon there
	VCMPPD $18, Z5, Z4, K2 // V ≤ hi (false for NaN)
	VRCP14PD Z4, Z9
	VMOVAPD Z2, Z10
	VFNMADD231PD Z9, Z4, Z10 // e = 1 − V·y
	VFMADD231PD Z10, Z9, Z9 // y += y·e
	VMOVAPD Z2, Z10
	VFNMADD231PD Z9, Z4, Z10 // e = 1 − V·y
	VFMADD231PD Z10, Z9, Z9 // y += y·e
	VMULPD Z9, Z9, Z11
	VMULPD Z8, Z11, Z11
	VANDPD Z6, Z11, Z14
	VCMPPD $17, Z5, Z14, K2, K2 // and |result| < hi (false for Inf and NaN)
	KMOVW K2, R8
	CMPW R8, $0xff
	JNE slowratioIS64x
	VMOVUPD Z9, (DX)(BX*8)
	VMOVUPD Z11, (DI)(BX*8)
	ADDQ $8, BX
	JMP loopratioIS64x
slowratioIS64x:
	VDIVPD Z4, Z2, Z9
	VMOVUPD Z9, (DX)(BX*8)
	VMULPD Z9, Z9, Z11
	VMULPD Z8, Z11, Z11
	VMOVUPD Z11, (DI)(BX*8)
	ADDQ $8, BX
	JMP loopratioIS64x
doneratioIS64x:
	VZEROUPPER
	RET

// func ratio15F64x(x, v, u *T, n int, c *T)
TEXT ·ratio15F64x(SB), NOSPLIT, $0-40
	MOVQ x+0(FP), SI
	MOVQ v+8(FP), DI
	MOVQ u+16(FP), DX
	MOVQ n+24(FP), CX
	MOVQ c+32(FP), AX
	VBROADCASTSD 0(AX), Z1 // Epsilon
	VBROADCASTSD 8(AX), Z2 // 1
	VBROADCASTSD 24(AX), Z5 // hi
	VBROADCASTSD 32(AX), Z7 // 1/2
	VBROADCASTSD 40(AX), Z6 // the mask of all bits but the sign
	VPXORD Z0, Z0, Z0
	XORQ BX, BX
loopratio15F64x:
	CMPQ BX, CX
	JGE doneratio15F64x
	VMOVUPD (DI)(BX*8), Z4
	VMOVUPD (SI)(BX*8), Z8
	VCMPPD $0, Z0, Z4, K1 // V = 0
	VMOVAPD Z1, K1, Z4 // V = Epsilon there
	VCMPPD $18, Z5, Z4, K2 // V ≤ hi (false for NaN)
	VRSQRT14PD Z4, Z9
	VMULPD Z9, Z4, Z10 // s ≈ √V
	VMULPD Z9, Z7, Z11 // h ≈ 1/(2√V)
	VMOVAPD Z7, Z12
	VFNMADD231PD Z11, Z10, Z12 // e = 1/2 − s·h
	VFMADD231PD Z12, Z10, Z10 // s += s·e
	VFMADD231PD Z12, Z11, Z11 // h += h·e
	VMOVAPD Z7, Z12
	VFNMADD231PD Z11, Z10, Z12 // e = 1/2 − s·h
	VFMADD231PD Z12, Z10, Z10 // s += s·e
	VFMADD231PD Z12, Z11, Z11 // h += h·e
	VMOVAPD Z4, Z13
	VFNMADD231PD Z10, Z10, Z13 // d = V − s², exact
	VFMADD231PD Z13, Z11, Z10 // √V ≈ s + d·h
	VMOVAPD Z0, K1, Z10 // U^½ = 0 where V = 0
	VADDPD Z11, Z11, Z11 // 1/√V
	VMULPD Z8, Z11, Z11
	VADDPD Z10, Z11, Z13 // NaN or Inf if either is
	VANDPD Z6, Z13, Z14
	VCMPPD $17, Z5, Z14, K2, K2 // and |result| < hi (false for Inf and NaN)
	KMOVW K2, R8
	CMPW R8, $0xff
	JNE slowratio15F64x
	VMOVUPD Z10, (DX)(BX*8)
	VMOVUPD Z11, (DI)(BX*8)
	ADDQ $8, BX
	JMP loopratio15F64x
slowratio15F64x:
	VSQRTPD Z4, Z10
	VMOVAPD Z10, Z9
	VMOVAPD Z0, K1, Z9
	VMOVUPD Z9, (DX)(BX*8)
	VDIVPD Z10, Z2, Z11
	VMULPD Z8, Z11, Z11
	VMOVUPD Z11, (DI)(BX*8)
	ADDQ $8, BX
	JMP loopratio15F64x
doneratio15F64x:
	VZEROUPPER
	RET

// func stepSqrt32(m, num, den *T, n int, c *T): the multiplicative step
// with γ = 1/2 (β < 1 gives γ = 1/(2−β); scikit-learn's IS): m = m·√(num/d),
// d = den + l1 (c[0]), Epsilon (c[1]) where d = 0; n a multiple of 8. The
// scalar loop's operations lane by lane (its math.Pow(·, 0.5) is math.Sqrt),
// so results are bitwise the same.
TEXT ·stepSqrt32(SB), NOSPLIT, $0-40
	MOVQ m+0(FP), DI
	MOVQ num+8(FP), SI
	MOVQ den+16(FP), DX
	MOVQ n+24(FP), CX
	MOVQ c+32(FP), AX
	VBROADCASTSS 0(AX), Y1 // l1
	VBROADCASTSS 4(AX), Y2 // Epsilon
	VXORPS Y0, Y0, Y0
	XORQ BX, BX
loopstepSqrt32:
	CMPQ BX, CX
	JGE donestepSqrt32
	VMOVUPS (DX)(BX*4), Y3
	VADDPS Y1, Y3, Y3
	VCMPPS $0, Y0, Y3, Y4 // d == 0
	VANDPS Y2, Y4, Y4
	VADDPS Y4, Y3, Y3 // Epsilon where d == 0
	VMOVUPS (SI)(BX*4), Y5
	VDIVPS Y3, Y5, Y5
	VSQRTPS Y5, Y5
	VMOVUPS (DI)(BX*4), Y6
	VMULPS Y5, Y6, Y6
	VMOVUPS Y6, (DI)(BX*4)
	ADDQ $8, BX
	JMP loopstepSqrt32
donestepSqrt32:
	VZEROUPPER
	RET

// func stepSqrt64(m, num, den *T, n int, c *T): the multiplicative step
// with γ = 1/2 (β < 1 gives γ = 1/(2−β); scikit-learn's IS): m = m·√(num/d),
// d = den + l1 (c[0]), Epsilon (c[1]) where d = 0; n a multiple of 4. The
// scalar loop's operations lane by lane (its math.Pow(·, 0.5) is math.Sqrt),
// so results are bitwise the same.
TEXT ·stepSqrt64(SB), NOSPLIT, $0-40
	MOVQ m+0(FP), DI
	MOVQ num+8(FP), SI
	MOVQ den+16(FP), DX
	MOVQ n+24(FP), CX
	MOVQ c+32(FP), AX
	VBROADCASTSD 0(AX), Y1 // l1
	VBROADCASTSD 8(AX), Y2 // Epsilon
	VXORPD Y0, Y0, Y0
	XORQ BX, BX
loopstepSqrt64:
	CMPQ BX, CX
	JGE donestepSqrt64
	VMOVUPD (DX)(BX*8), Y3
	VADDPD Y1, Y3, Y3
	VCMPPD $0, Y0, Y3, Y4 // d == 0
	VANDPD Y2, Y4, Y4
	VADDPD Y4, Y3, Y3 // Epsilon where d == 0
	VMOVUPD (SI)(BX*8), Y5
	VDIVPD Y3, Y5, Y5
	VSQRTPD Y5, Y5
	VMOVUPD (DI)(BX*8), Y6
	VMULPD Y5, Y6, Y6
	VMOVUPD Y6, (DI)(BX*8)
	ADDQ $4, BX
	JMP loopstepSqrt64
donestepSqrt64:
	VZEROUPPER
	RET
