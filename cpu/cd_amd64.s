#include "textflag.h"

// AVX-512 coordinate-descent steps (see cd.go, cdBlock): component t of a
// block of cdLanes rows held transposed, w[r·cdLanes + lane]. Each lane
// runs scikit-learn's scalar step for its row, in its order: grad starts
// at grad[lane] and adds h[r]·w[r] (a multiply, then an add: no FMA) for
// r = 0..k-1; pg is min(0, grad) where w[t] is 0, else grad; |pg| is
// added to viol[lane] (float64); if hess ≠ 0, w[t] = max(w[t] − grad/hess,
// 0), the max as Go's (NaN stays NaN, −0 becomes +0). Four accumulators
// Z0–Z3 (64 float32 or 32 float64 lanes) hide the latency of the adds.

// updateMask sets K2 to every lane where hess (Z17's low lane) ≠ 0,
// NaN included, else none; Z30 is zero.
#define updateMask \
	XORL R9, R9; \
	MOVL $0xFFFF, R11; \
	VUCOMISS X30, X17; \
	CMOVLNE R11, R9; \
	CMOVLPS R11, R9; \
	KMOVW R9, K2

// step32 finishes 16 lanes: acc holds grad, w[t] is at woff(R8), the
// lanes' violations at voff(DI).
#define step32(acc, woff, voff) \
	VMOVUPS woff(R8), Z24; \
	VCMPPS $0, Z30, Z24, K1; \
	VMOVAPS acc, Z26; \
	VMINPS acc, Z30, K1, Z26; \
	VPSLLD $1, Z26, Z26; \
	VPSRLD $1, Z26, Z26; \
	VCVTPS2PD Y26, Z27; \
	VEXTRACTF64X4 $1, Z26, Y28; \
	VCVTPS2PD Y28, Z28; \
	VADDPD voff(DI), Z27, Z27; \
	VADDPD voff+64(DI), Z28, Z28; \
	VMOVUPD Z27, voff(DI); \
	VMOVUPD Z28, voff+64(DI); \
	VDIVPS Z17, acc, Z25; \
	VSUBPS Z25, Z24, Z25; \
	VMAXPS Z25, Z30, Z25; \
	VADDPS Z30, Z25, Z25; \
	VMOVUPS Z25, K2, woff(R8)

// step64 is step32 for 8 float64 lanes.
#define step64(acc, woff) \
	VMOVUPD woff(R8), Z24; \
	VCMPPD $0, Z30, Z24, K1; \
	VMOVAPD acc, Z26; \
	VMINPD acc, Z30, K1, Z26; \
	VPSLLQ $1, Z26, Z26; \
	VPSRLQ $1, Z26, Z26; \
	VADDPD woff(DI), Z26, Z26; \
	VMOVUPD Z26, woff(DI); \
	VDIVPD Z17, acc, Z25; \
	VSUBPD Z25, Z24, Z25; \
	VMAXPD Z25, Z30, Z25; \
	VADDPD Z30, Z25, Z25; \
	VMOVUPD Z25, K2, woff(R8)

// func cdStep32x(w, grad, h *float32, k, t int, hess float32, viol *float64)
TEXT ·cdStep32x(SB), NOSPLIT, $0-56
	MOVQ w+0(FP), SI
	MOVQ grad+8(FP), DX
	MOVQ h+16(FP), BX
	MOVQ k+24(FP), CX
	MOVQ t+32(FP), R8
	MOVQ viol+48(FP), DI
	VMOVUPS 0(DX), Z0
	VMOVUPS 64(DX), Z1
	VMOVUPS 128(DX), Z2
	VMOVUPS 192(DX), Z3
	MOVQ SI, AX
	TESTQ CX, CX
	JEQ done32

loop32:
	VBROADCASTSS (BX), Z16
	VMULPS 0(AX), Z16, Z20
	VMULPS 64(AX), Z16, Z21
	VMULPS 128(AX), Z16, Z22
	VMULPS 192(AX), Z16, Z23
	VADDPS Z20, Z0, Z0
	VADDPS Z21, Z1, Z1
	VADDPS Z22, Z2, Z2
	VADDPS Z23, Z3, Z3
	ADDQ $256, AX
	ADDQ $4, BX
	DECQ CX
	JNZ loop32

done32:
	SHLQ $8, R8
	ADDQ SI, R8
	VPXORD Z30, Z30, Z30
	VBROADCASTSS hess+40(FP), Z17
	updateMask
	step32(Z0, 0, 0)
	step32(Z1, 64, 128)
	step32(Z2, 128, 256)
	step32(Z3, 192, 384)
	VZEROUPPER
	RET

// func cdStep64x(w, grad, h *float64, k, t int, hess float64, viol *float64)
TEXT ·cdStep64x(SB), NOSPLIT, $0-56
	MOVQ w+0(FP), SI
	MOVQ grad+8(FP), DX
	MOVQ h+16(FP), BX
	MOVQ k+24(FP), CX
	MOVQ t+32(FP), R8
	MOVQ viol+48(FP), DI
	VMOVUPD 0(DX), Z0
	VMOVUPD 64(DX), Z1
	VMOVUPD 128(DX), Z2
	VMOVUPD 192(DX), Z3
	MOVQ SI, AX
	TESTQ CX, CX
	JEQ done64

loop64:
	VBROADCASTSD (BX), Z16
	VMULPD 0(AX), Z16, Z20
	VMULPD 64(AX), Z16, Z21
	VMULPD 128(AX), Z16, Z22
	VMULPD 192(AX), Z16, Z23
	VADDPD Z20, Z0, Z0
	VADDPD Z21, Z1, Z1
	VADDPD Z22, Z2, Z2
	VADDPD Z23, Z3, Z3
	ADDQ $256, AX
	ADDQ $8, BX
	DECQ CX
	JNZ loop64

done64:
	SHLQ $8, R8
	ADDQ SI, R8
	VPXORD Z30, Z30, Z30
	VBROADCASTSD hess+40(FP), Z17
	XORL R9, R9
	MOVL $0xFFFF, R11
	VUCOMISD X30, X17
	CMOVLNE R11, R9
	CMOVLPS R11, R9
	KMOVW R9, K2
	step64(Z0, 0)
	step64(Z1, 64)
	step64(Z2, 128)
	step64(Z3, 192)
	VZEROUPPER
	RET
