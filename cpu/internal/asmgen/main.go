// Command asmgen writes cpu/gemm_amd64.s, the GEMM micro-kernels of the
// CPU backend's fused passes, the AVX2 multiplicative steps (step32/64,
// stepSqrt32/64 for γ = 1/2), spmm32/64 and prefetchRows. Run by go
// generate in cpu/:
//
//	go generate ./cpu
//
// Every kernel is the same loop: C[6×w] (+)= Σ_p a[r·sar + p·sap] ·
// b[p·ldb + 0:w], with w = 16 (float32) or 8 (float64) columns held in two
// YMM registers per row, or half that ("n" variants, one register). Twelve
// (six) accumulators Y0–Y11, b's row in Y12–Y13, a's broadcasts in
// Y14–Y15. Four steps run per loop trip, after asking for a's six rows 16
// steps ahead.
package main

import (
	"bytes"
	"fmt"
	"log"
	"os"
)

type prec struct {
	bits                     int
	bcast, fma, mov, add, xz string
	shift                    int
}

var (
	f32 = prec{32, "VBROADCASTSS", "VFMADD231PS", "VMOVUPS", "VADDPS", "VXORPS", 2}
	f64 = prec{64, "VBROADCASTSD", "VFMADD231PD", "VMOVUPD", "VADDPD", "VXORPD", 3}
)

// kernel writes one micro-kernel (see the package comment). It is one
// straight-line listing of the kernel's instructions in the order they are
// emitted — loads, the unrolled steps, the tail, the stores — longer than
// most functions so that it reads as the assembly it writes.
func kernel(b *bytes.Buffer, name string, p prec, wide, zmm bool) {
	a := func(f string, args ...any) { fmt.Fprintf(b, f+"\n", args...) }
	// Y registers (AVX2) or Z registers (AVX-512, twice the lanes); vb is
	// the bytes of one register.
	r, vb, xz := "Y", 32, p.xz
	if zmm {
		r, vb, xz = "Z", 64, "VPXORD"
	}
	a("// func %s(k int, a *float%d, sar, sap int, b *float%d, ldb int, c *float%d, ldc int, acc int)", name, p.bits, p.bits, p.bits)
	a("TEXT ·%s(SB), NOSPLIT, $0-72", name)
	a("\tMOVQ k+0(FP), CX")
	a("\tMOVQ a+8(FP), SI")
	a("\tMOVQ sar+16(FP), R8")
	a("\tMOVQ sap+24(FP), R9")
	a("\tMOVQ b+32(FP), DI")
	a("\tMOVQ ldb+40(FP), R10")
	a("\tMOVQ c+48(FP), DX")
	a("\tMOVQ ldc+56(FP), R11")
	for _, r := range []string{"R8", "R9", "R10", "R11"} {
		a("\tSHLQ $%d, %s", p.shift, r) // strides: elements to bytes
	}
	for i := 0; i < 12; i++ {
		if wide || i%2 == 0 {
			a("\t%s %s%d, %s%d, %s%d", xz, r, i, r, i, r, i)
		}
	}
	a("\tLEAQ (SI)(R8*2), R12")
	a("\tADDQ R8, R12 // row 3")
	step := func() {
		a("\t%s (DI), %s12", p.mov, r)
		if wide {
			a("\t%s %d(DI), %s13", p.mov, vb, r)
		}
		for row, ad := range []string{"(SI)", "(SI)(R8*1)", "(SI)(R8*2)", "(R12)", "(R12)(R8*1)", "(R12)(R8*2)"} {
			t := 14 + row%2
			a("\t%s %s, %s%d", p.bcast, ad, r, t)
			a("\t%s %s12, %s%d, %s%d", p.fma, r, r, t, r, 2*row)
			if wide {
				a("\t%s %s13, %s%d, %s%d", p.fma, r, r, t, r, 2*row+1)
			}
		}
		a("\tADDQ R9, SI")
		a("\tADDQ R9, R12")
		a("\tADDQ R10, DI")
	}
	a("\tMOVQ R9, R13")
	a("\tSHLQ $4, R13")
	a("\tMOVQ CX, BX")
	a("\tSHRQ $2, BX")
	a("\tANDQ $3, CX")
	a("\tTESTQ BX, BX")
	a("\tJZ tail%s", name)
	a("loop4%s:", name)
	a("\tLEAQ (SI)(R13*1), AX")
	a("\tLEAQ (R12)(R13*1), R15")
	for _, ad := range []string{"(AX)", "(AX)(R8*1)", "(AX)(R8*2)", "(R15)", "(R15)(R8*1)", "(R15)(R8*2)"} {
		a("\tPREFETCHT0 %s", ad)
	}
	for i := 0; i < 4; i++ {
		step()
	}
	a("\tDECQ BX")
	a("\tJNZ loop4%s", name)
	a("tail%s:", name)
	a("\tTESTQ CX, CX")
	a("\tJZ store%s", name)
	a("loop%s:", name)
	step()
	a("\tDECQ CX")
	a("\tJNZ loop%s", name)
	a("store%s:", name)
	a("\tMOVQ acc+64(FP), AX")
	a("\tTESTQ AX, AX")
	a("\tJZ put%s", name)
	a("\tMOVQ DX, BX")
	for row := 0; row < 6; row++ {
		a("\t%s (BX), %s%d, %s%d", p.add, r, 2*row, r, 2*row)
		if wide {
			a("\t%s %d(BX), %s%d, %s%d", p.add, vb, r, 2*row+1, r, 2*row+1)
		}
		a("\tADDQ R11, BX")
	}
	a("put%s:", name)
	for row := 0; row < 6; row++ {
		a("\t%s %s%d, (DX)", p.mov, r, 2*row)
		if wide {
			a("\t%s %s%d, %d(DX)", p.mov, r, 2*row+1, vb)
		}
		a("\tADDQ R11, DX")
	}
	a("\tVZEROUPPER")
	a("\tRET")
}

// step writes the multiplicative step of the common case (no L2 term, no
// flush, exponent 1 or, with sqrt, 1/2): m = m · num / d, or m · √(num/d),
// d = den + l1 and Epsilon where that is 0, n elements (a multiple of the
// vector width), c = {l1, Epsilon}. Lane by lane the same IEEE operations,
// in the same order, as the scalar loop (stepTask.run); with sqrt that
// holds for nonnegative num and den, where the loop's math.Pow(q, 0.5) is
// math.Sqrt (at q = −0 or −Inf Pow gives +0 and +Inf, VSQRTP −0 and NaN).
func step(b *bytes.Buffer, name string, p prec, sqrt bool) {
	a := func(f string, args ...any) { fmt.Fprintf(b, f+"\n", args...) }
	cmp, and, div, sq, mul, bc := "VCMPPS", "VANDPS", "VDIVPS", "VSQRTPS", "VMULPS", "VBROADCASTSS"
	if p.bits == 64 {
		cmp, and, div, sq, mul, bc = "VCMPPD", "VANDPD", "VDIVPD", "VSQRTPD", "VMULPD", "VBROADCASTSD"
	}
	esz := p.bits / 8
	a("// func %s(m, num, den *float%d, n int, c *float%d)", name, p.bits, p.bits)
	a("TEXT ·%s(SB), NOSPLIT, $0-40", name)
	a("\tMOVQ m+0(FP), DI")
	a("\tMOVQ num+8(FP), SI")
	a("\tMOVQ den+16(FP), DX")
	a("\tMOVQ n+24(FP), CX")
	a("\tMOVQ c+32(FP), AX")
	a("\t%s 0(AX), Y1 // l1", bc)
	a("\t%s %d(AX), Y2 // Epsilon", bc, esz)
	a("\t%s Y0, Y0, Y0", p.xz)
	a("\tXORQ BX, BX")
	a("loop%s:", name)
	a("\tCMPQ BX, CX")
	a("\tJGE done%s", name)
	a("\t%s (DX)(BX*%d), Y3", p.mov, esz)
	a("\t%s Y1, Y3, Y3", p.add)
	a("\t%s $0, Y0, Y3, Y4 // d == 0", cmp)
	a("\t%s Y2, Y4, Y4", and)
	a("\t%s Y4, Y3, Y3 // Epsilon where d == 0", p.add)
	a("\t%s (SI)(BX*%d), Y5", p.mov, esz)
	a("\t%s Y3, Y5, Y5", div)
	if sqrt {
		a("\t%s Y5, Y5", sq)
	}
	a("\t%s (DI)(BX*%d), Y6", p.mov, esz)
	a("\t%s Y5, Y6, Y6", mul)
	a("\t%s Y6, (DI)(BX*%d)", p.mov, esz)
	a("\tADDQ $%d, BX", 32/esz)
	a("\tJMP loop%s", name)
	a("done%s:", name)
	a("\tVZEROUPPER")
	a("\tRET")
}

// spmm writes the sparse-times-dense row kernel: for the columns [0, 4·w·m)
// of one output row (w = 8 or 4 lanes, m = cols/(4w) passes of four
// registers, then single registers), out[c] = Σ_p vals[p]·b[idx[p]·ldb + c]
// over the row's nonzeros in order, each term multiplied then added (no
// FMA) as the scalar loop does, so results are bitwise the same.
func spmm(b *bytes.Buffer, name string, p prec) {
	a := func(f string, args ...any) { fmt.Fprintf(b, f+"\n", args...) }
	mul, bc := "VMULPS", "VBROADCASTSS"
	if p.bits == 64 {
		mul, bc = "VMULPD", "VBROADCASTSD"
	}
	esz := p.bits / 8
	lanes := 32 / esz
	a("// func %s(out *float%d, cols int, b *float%d, ldb int, idx *int, vals *float%d, nnz int)", name, p.bits, p.bits, p.bits)
	a("TEXT ·%s(SB), NOSPLIT, $0-56", name)
	a("\tMOVQ out+0(FP), DI")
	a("\tMOVQ cols+8(FP), CX")
	a("\tMOVQ b+16(FP), SI")
	a("\tMOVQ ldb+24(FP), R8")
	a("\tSHLQ $%d, R8 // row stride in bytes", p.shift)
	a("\tMOVQ idx+32(FP), R9")
	a("\tMOVQ vals+40(FP), R10")
	a("\tMOVQ nnz+48(FP), R11")
	a("\tXORQ DX, DX // column offset in bytes")
	// Passes of four registers.
	a("pass4%s:", name)
	a("\tCMPQ CX, $%d", 4*lanes)
	a("\tJLT pass1%s", name)
	for i := 0; i < 4; i++ {
		a("\t%s Y%d, Y%d, Y%d", p.xz, i, i, i)
	}
	a("\tXORQ BX, BX")
	a("nz4%s:", name)
	a("\tCMPQ BX, R11")
	a("\tJGE st4%s", name)
	a("\tMOVQ (R9)(BX*8), AX")
	a("\tIMULQ R8, AX")
	a("\tADDQ SI, AX")
	a("\tADDQ DX, AX")
	a("\t%s (R10)(BX*%d), Y8", bc, esz)
	for i := 0; i < 4; i++ {
		a("\t%s %d(AX), Y8, Y%d", mul, 32*i, 4+i)
		a("\t%s Y%d, Y%d, Y%d", p.add, 4+i, i, i)
	}
	a("\tINCQ BX")
	a("\tJMP nz4%s", name)
	a("st4%s:", name)
	for i := 0; i < 4; i++ {
		a("\t%s Y%d, %d(DI)(DX*1)", p.mov, i, 32*i)
	}
	a("\tADDQ $128, DX")
	a("\tSUBQ $%d, CX", 4*lanes)
	a("\tJMP pass4%s", name)
	// Passes of one register.
	a("pass1%s:", name)
	a("\tCMPQ CX, $%d", lanes)
	a("\tJLT done%s", name)
	a("\t%s Y0, Y0, Y0", p.xz)
	a("\tXORQ BX, BX")
	a("nz1%s:", name)
	a("\tCMPQ BX, R11")
	a("\tJGE st1%s", name)
	a("\tMOVQ (R9)(BX*8), AX")
	a("\tIMULQ R8, AX")
	a("\tADDQ SI, AX")
	a("\tADDQ DX, AX")
	a("\t%s (R10)(BX*%d), Y8", bc, esz)
	a("\t%s (AX), Y8, Y4", mul)
	a("\t%s Y4, Y0, Y0", p.add)
	a("\tINCQ BX")
	a("\tJMP nz1%s", name)
	a("st1%s:", name)
	a("\t%s Y0, (DI)(DX*1)", p.mov)
	a("\tADDQ $32, DX")
	a("\tSUBQ $%d, CX", lanes)
	a("\tJMP pass1%s", name)
	a("done%s:", name)
	a("\tVZEROUPPER")
	a("\tRET")
}

const prefetch = `// func prefetchRows(p unsafe.Pointer, rows, bytes, stride int)
// Asks for every 64-byte line of rows × bytes starting at p (rows stride
// bytes apart) to be brought into L2.
TEXT ·prefetchRows(SB), NOSPLIT, $0-32
	MOVQ p+0(FP), SI
	MOVQ rows+8(FP), CX
	MOVQ bytes+16(FP), DX
	MOVQ stride+24(FP), R8
	TESTQ CX, CX
	JZ donepf
rowpf:
	XORQ AX, AX
linepf:
	CMPQ AX, DX
	JGE nextpf
	PREFETCHT1 (SI)(AX*1)
	ADDQ $64, AX
	JMP linepf
nextpf:
	ADDQ R8, SI
	DECQ CX
	JNZ rowpf
donepf:
	RET
`

func main() {
	var b bytes.Buffer
	b.WriteString("// Code generated by cpu/internal/asmgen; DO NOT EDIT.\n\n#include \"textflag.h\"\n\n// Register-blocked GEMM micro-kernels (AVX2 + FMA, and AVX-512), see gemm_amd64.go.\n\n")
	for _, zmm := range []bool{false, true} {
		x := ""
		if zmm {
			x = "x" // the AVX-512 variants
		}
		kernel(&b, "kern32"+x, f32, true, zmm)
		b.WriteString("\n")
		kernel(&b, "kern64"+x, f64, true, zmm)
		b.WriteString("\n")
		kernel(&b, "kern32"+x+"n", f32, false, zmm)
		b.WriteString("\n")
		kernel(&b, "kern64"+x+"n", f64, false, zmm)
		b.WriteString("\n")
	}
	step(&b, "step32", f32, false)
	b.WriteString("\n")
	step(&b, "step64", f64, false)
	b.WriteString("\n")
	step(&b, "stepSqrt32", f32, true)
	b.WriteString("\n")
	step(&b, "stepSqrt64", f64, true)
	b.WriteString("\n")
	spmm(&b, "spmm32", f32)
	b.WriteString("\n")
	spmm(&b, "spmm64", f64)
	b.WriteString("\n")
	b.WriteString(prefetch)
	out := "gemm_amd64.s"
	if len(os.Args) > 1 {
		out = os.Args[1]
	}
	if err := os.WriteFile(out, b.Bytes(), 0o644); err != nil {
		log.Fatal(err)
	}
}
