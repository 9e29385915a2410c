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
// NaN included, else none; Z30 is zero; ucomis is VUCOMISS or VUCOMISD.
#define updateMask(ucomis) \
	XORL R9, R9; \
	MOVL $0xFFFF, R11; \
	ucomis X30, X17; \
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
	updateMask(VUCOMISS)
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
	updateMask(VUCOMISD)
	step64(Z0, 0)
	step64(Z1, 64)
	step64(Z2, 128)
	step64(Z3, 192)
	VZEROUPPER
	RET

// The block's copies in and out (cdLoad*, cdStore*): lane i of the block is
// the row at w + idx[i] elements (idx[i] = i·k); bit i of m says the lane
// holds a row. laneMasks spreads m (in R10) over R10–R13, the masks of the
// four registers' lanes (16 bits each for float32, 8 for float64); gathers
// clear their mask register, so each reloads it from these.
#define laneMasks(bits) \
	MOVQ R10, R11; \
	SHRQ $bits, R11; \
	MOVQ R11, R12; \
	SHRQ $bits, R12; \
	MOVQ R12, R13; \
	SHRQ $bits, R13

// gather32 stores to off(dst) the 16 float32 lanes at base + 4·index
// where mask is set, 0 elsewhere; gatherg32 stores −(v − l1) instead (l1
// in Z7, the sign bit in Z6), as scikit-learn's gradient starts;
// scatter32 writes the lanes of off(src) where mask is set to base +
// 4·index. The 64 versions are the same for 8 float64 lanes.
#define gather32(base, index, mask, dst, off) \
	KMOVW mask, K1; \
	VPXORD Z2, Z2, Z2; \
	VGATHERDPS (base)(index*4), K1, Z2; \
	VMOVUPS Z2, off(dst)

#define gatherg32(base, index, mask, dst, off) \
	KMOVW mask, K1; \
	VPXORD Z2, Z2, Z2; \
	VGATHERDPS (base)(index*4), K1, Z2; \
	VSUBPS Z7, Z2, Z2; \
	VPXORD Z6, Z2, Z2; \
	VMOVUPS Z2, off(dst)

#define scatter32(base, index, mask, src, off) \
	KMOVW mask, K1; \
	VMOVUPS off(src), Z2; \
	VSCATTERDPS Z2, K1, (base)(index*4)

#define gather64(base, index, mask, dst, off) \
	KMOVW mask, K1; \
	VPXORD Z2, Z2, Z2; \
	VGATHERDPD (base)(index*8), K1, Z2; \
	VMOVUPD Z2, off(dst)

#define gatherg64(base, index, mask, dst, off) \
	KMOVW mask, K1; \
	VPXORD Z2, Z2, Z2; \
	VGATHERDPD (base)(index*8), K1, Z2; \
	VSUBPD Z7, Z2, Z2; \
	VPXORQ Z6, Z2, Z2; \
	VMOVUPD Z2, off(dst)

#define scatter64(base, index, mask, src, off) \
	KMOVW mask, K1; \
	VMOVUPD off(src), Z2; \
	VSCATTERDPD Z2, K1, (base)(index*8)

// loadIdx loads the four registers' lane offsets i0–i3 from AX: 16 int32
// in each of Z8–Z11 for float32 (stride 64 bytes), 8 in each of Y8–Y11 for
// float64 (stride 32).
#define loadIdx(i0, i1, i2, i3, stride) \
	VMOVDQU32 0(AX), i0; \
	VMOVDQU32 stride(AX), i1; \
	VMOVDQU32 2*stride(AX), i2; \
	VMOVDQU32 3*stride(AX), i3

// loadRows is one trip of cdLoad's loop, for the gather and gatherg of
// the precision (esz bytes an element): component r of the 64 (32) lanes
// of w into DI and of x into BX, then the next r.
#define loadRows(gather, gatherg, i0, i1, i2, i3, esz) \
	gather(SI, i0, R10, DI, 0); \
	gather(SI, i1, R11, DI, 64); \
	gather(SI, i2, R12, DI, 128); \
	gather(SI, i3, R13, DI, 192); \
	gatherg(DX, i0, R10, BX, 0); \
	gatherg(DX, i1, R11, BX, 64); \
	gatherg(DX, i2, R12, BX, 128); \
	gatherg(DX, i3, R13, BX, 192); \
	ADDQ $esz, SI; \
	ADDQ $esz, DX; \
	ADDQ $256, DI; \
	ADDQ $256, BX

// storeRows is one trip of cdStore's loop: component r of the lanes from
// DI back to w, then the next r.
#define storeRows(scatter, i0, i1, i2, i3, esz) \
	scatter(SI, i0, R10, DI, 0); \
	scatter(SI, i1, R11, DI, 64); \
	scatter(SI, i2, R12, DI, 128); \
	scatter(SI, i3, R13, DI, 192); \
	ADDQ $esz, SI; \
	ADDQ $256, DI

// func cdLoad32x(w, x *float32, k int, idx *int32, m uint64, l1 float32, wt, gt *float32)
//
// For r = 0..k-1: wt[r·64 + i] = w[idx[i] + r], gt[r·64 + i] =
// −(x[idx[i] + r] − l1) on the lanes of m; 0 and l1 on the others.
TEXT ·cdLoad32x(SB), NOSPLIT, $0-64
	MOVQ w+0(FP), SI
	MOVQ x+8(FP), DX
	MOVQ k+16(FP), CX
	MOVQ idx+24(FP), AX
	MOVQ m+32(FP), R10
	laneMasks(16)
	VBROADCASTSS l1+40(FP), Z7
	MOVQ wt+48(FP), DI
	MOVQ gt+56(FP), BX
	loadIdx(Z8, Z9, Z10, Z11, 64)
	MOVL $0x80000000, R8
	VPBROADCASTD R8, Z6
	TESTQ CX, CX
	JEQ load32done

load32:
	loadRows(gather32, gatherg32, Z8, Z9, Z10, Z11, 4)
	DECQ CX
	JNZ load32

load32done:
	VZEROUPPER
	RET

// func cdStore32x(w *float32, k int, idx *int32, m uint64, wt *float32)
//
// For r = 0..k-1: w[idx[i] + r] = wt[r·64 + i] on the lanes of m.
TEXT ·cdStore32x(SB), NOSPLIT, $0-40
	MOVQ w+0(FP), SI
	MOVQ k+8(FP), CX
	MOVQ idx+16(FP), AX
	MOVQ m+24(FP), R10
	laneMasks(16)
	MOVQ wt+32(FP), DI
	loadIdx(Z8, Z9, Z10, Z11, 64)
	TESTQ CX, CX
	JEQ store32done

store32:
	storeRows(scatter32, Z8, Z9, Z10, Z11, 4)
	DECQ CX
	JNZ store32

store32done:
	VZEROUPPER
	RET

// func cdLoad64x(w, x *float64, k int, idx *int32, m uint64, l1 float64, wt, gt *float64)
//
// cdLoad32x for 32 float64 lanes (the indices are 8 per Y register).
TEXT ·cdLoad64x(SB), NOSPLIT, $0-64
	MOVQ w+0(FP), SI
	MOVQ x+8(FP), DX
	MOVQ k+16(FP), CX
	MOVQ idx+24(FP), AX
	MOVQ m+32(FP), R10
	laneMasks(8)
	VBROADCASTSD l1+40(FP), Z7
	MOVQ wt+48(FP), DI
	MOVQ gt+56(FP), BX
	loadIdx(Y8, Y9, Y10, Y11, 32)
	MOVQ $0x8000000000000000, R8
	VPBROADCASTQ R8, Z6
	TESTQ CX, CX
	JEQ load64done

load64:
	loadRows(gather64, gatherg64, Y8, Y9, Y10, Y11, 8)
	DECQ CX
	JNZ load64

load64done:
	VZEROUPPER
	RET

// func cdStore64x(w *float64, k int, idx *int32, m uint64, wt *float64)
TEXT ·cdStore64x(SB), NOSPLIT, $0-40
	MOVQ w+0(FP), SI
	MOVQ k+8(FP), CX
	MOVQ idx+16(FP), AX
	MOVQ m+24(FP), R10
	laneMasks(8)
	MOVQ wt+32(FP), DI
	loadIdx(Y8, Y9, Y10, Y11, 32)
	TESTQ CX, CX
	JEQ store64done

store64:
	storeRows(scatter64, Y8, Y9, Y10, Y11, 8)
	DECQ CX
	JNZ store64

store64done:
	VZEROUPPER
	RET
