// Command ratiogen writes cpu/ratio512_amd64.s: the AVX-512 kernels of the
// β ≠ 2 ratio pass (ratioKL32x … ratio15F64x). Run by go generate in cpu/:
//
//	go generate ./cpu
//
// Each ratio kernel is one loop over 16 (float32) or 8 (float64) lanes:
// load V and X, replace V's zeros by Epsilon, compute the approximation
// (fast), and store it where every lane passed the range checks; a vector
// where some lane did not is redone with IEEE divisions and square roots
// (slow), as the AVX2 kernels of ratio_amd64.s compute them.
package main

import (
	"bytes"
	"fmt"
	"log"
	"os"
	"strings"
)

type prec struct {
	bits  int
	sfx   string // PS or PD
	bcast string
	size  int
	lanes int
	full  string // the opmask of all lanes
	ints  string // D or Q: the integer lanes of the same width
}

var (
	f32 = prec{32, "PS", "VBROADCASTSS", 4, 16, "$0xffff", "D"}
	f64 = prec{64, "PD", "VBROADCASTSD", 8, 8, "$0xff", "Q"}
)

// A kernel's body: the instructions after the common checks that compute
// its results (fast), the registers whose sum must be finite (check), the
// stores of the fast results, and the IEEE instructions of the slow path.
// "P" stands for the precision's suffix, "S" for its size in bytes.
type body struct {
	name, fast, check, store, slow string
	klGuard                        bool // X = 0 or |X| ≥ lo (KL's FMA residual must be exact)
}

// newton is one Newton step of the reciprocal y (Z9) of V (Z4).
const newton = `	VMOVAP Z2, Z10
	VFNMADD231P Z9, Z4, Z10 // e = 1 − V·y
	VFMADD231P Z10, Z9, Z9 // y += y·e
`

// newtonSqrt is one Newton step of s ≈ √V (Z10) and h ≈ 1/(2√V) (Z11).
const newtonSqrt = `	VMOVAP Z7, Z12
	VFNMADD231P Z11, Z10, Z12 // e = 1/2 − s·h
	VFMADD231P Z12, Z10, Z10 // s += s·e
	VFMADD231P Z12, Z11, Z11 // h += h·e
`

func bodies(p prec) []body {
	// float32 needs no Newton step before KL's corrected quotient (the
	// correction squares VRCP14's 2^-14), one for the reciprocal of IS and
	// for the square root; float64 one more each.
	extra := ""
	if p.bits == 64 {
		extra = newton
	}
	extraSqrt := ""
	if p.bits == 64 {
		extraSqrt = newtonSqrt
	}
	return []body{{
		name: "ratioKL",
		fast: "\tVRCP14P Z4, Z9\n" + extra + `	VMULP Z9, Z8, Z11 // q = X·y
	VMOVAP Z8, Z12
	VFNMADD231P Z11, Z4, Z12 // r = X − V·q, exact
	VFMADD231P Z12, Z9, Z11 // q + r·y
`,
		check: "Z11",
		store: "\tVMOVUP Z11, (DI)(BX*S)\n",
		slow: `	VDIVP Z4, Z8, Z11
	VMOVUP Z11, (DI)(BX*S)
`,
		klGuard: true,
	}, {
		name: "ratioIS",
		fast: "\tVRCP14P Z4, Z9\n" + newton + extra + `	VMULP Z9, Z9, Z11
	VMULP Z8, Z11, Z11
`,
		check: "Z11",
		store: `	VMOVUP Z9, (DX)(BX*S)
	VMOVUP Z11, (DI)(BX*S)
`,
		slow: `	VDIVP Z4, Z2, Z9
	VMOVUP Z9, (DX)(BX*S)
	VMULP Z9, Z9, Z11
	VMULP Z8, Z11, Z11
	VMOVUP Z11, (DI)(BX*S)
`,
	}, {
		name: "ratio15F",
		fast: `	VRSQRT14P Z4, Z9
	VMULP Z9, Z4, Z10 // s ≈ √V
	VMULP Z9, Z7, Z11 // h ≈ 1/(2√V)
` + newtonSqrt + extraSqrt + `	VMOVAP Z4, Z13
	VFNMADD231P Z10, Z10, Z13 // d = V − s², exact
	VFMADD231P Z13, Z11, Z10 // √V ≈ s + d·h
	VMOVAP Z0, K1, Z10 // U^½ = 0 where V = 0
	VADDP Z11, Z11, Z11 // 1/√V
	VMULP Z8, Z11, Z11
	VADDP Z10, Z11, Z13 // NaN or Inf if either is
`,
		check: "Z13",
		store: `	VMOVUP Z10, (DX)(BX*S)
	VMOVUP Z11, (DI)(BX*S)
`,
		slow: `	VSQRTP Z4, Z10
	VMOVAP Z10, Z9
	VMOVAP Z0, K1, Z9
	VMOVUP Z9, (DX)(BX*S)
	VDIVP Z10, Z2, Z11
	VMULP Z8, Z11, Z11
	VMOVUP Z11, (DI)(BX*S)
`,
	}}
}

// sub fills in a body's precision: the suffix after each P-ending
// mnemonic and the element size S.
func sub(s string, p prec) string {
	var out []string
	for _, line := range strings.Split(s, "\n") {
		f := strings.Fields(line)
		if len(f) > 0 && strings.HasPrefix(f[0], "V") && strings.HasSuffix(f[0], "P") {
			line = strings.Replace(line, f[0], f[0]+p.sfx[1:], 1)
		}
		out = append(out, strings.ReplaceAll(line, "*S)", fmt.Sprintf("*%d)", p.size)))
	}
	return strings.Join(out, "\n")
}

// kernel writes one ratio kernel; the constants c are ratioConsts32/64
// (cpu/mu_ratio.go).
func kernel(b *bytes.Buffer, bd body, p prec) {
	name := fmt.Sprintf("%s%dx", bd.name, p.bits)
	a := func(f string, args ...any) { fmt.Fprintf(b, f+"\n", args...) }
	a("\n// func %s(x, v, u *float%d, n int, c *float%d)", name, p.bits, p.bits)
	a("TEXT ·%s(SB), NOSPLIT, $0-40", name)
	for _, r := range []string{"x+0(FP), SI", "v+8(FP), DI", "u+16(FP), DX", "n+24(FP), CX", "c+32(FP), AX"} {
		a("\tMOVQ %s", r)
	}
	for _, c := range []struct {
		i   int
		reg string
		doc string
	}{{0, "Z1", "Epsilon"}, {1, "Z2", "1"}, {3, "Z5", "hi"}, {4, "Z7", "1/2"}, {5, "Z6", "the mask of all bits but the sign"}} {
		a("\t%s %d(AX), %s // %s", p.bcast, c.i*p.size, c.reg, c.doc)
	}
	if bd.klGuard {
		a("\t%s %d(AX), Z15 // the bits of the smallest subnormal: integer 1", p.bcast, 6*p.size)
		a("\t%s %d(AX), Z3 // the bits of lo, less 1", p.bcast, 7*p.size)
	}
	a("\tVPXORD Z0, Z0, Z0")
	a("\tXORQ BX, BX")
	a("loop%s:", name)
	a("\tCMPQ BX, CX")
	a("\tJGE done%s", name)
	b.WriteString(sub(`	VMOVUP (DI)(BX*S), Z4
	VMOVUP (SI)(BX*S), Z8
	VCMPP $0, Z0, Z4, K1 // V = 0
	VMOVAP Z1, K1, Z4 // V = Epsilon there
	VCMPP $18, Z5, Z4, K2 // V ≤ hi (false for NaN)
`, p))
	if bd.klGuard {
		a("\tVPAND%s Z6, Z8, Z13", p.ints)
		a("\tVPSUB%s Z15, Z13, Z13", p.ints)
		a("\tVPCMPU%s $5, Z3, Z13, K2, K2 // and X = 0 or |X| ≥ lo (the residual is exact)", p.ints)
	}
	b.WriteString(sub(bd.fast, p))
	// VPAND (AVX-512F), not VANDP (AVX-512DQ on ZMM): the same bits
	a("\tVPAND%s Z6, %s, Z14", p.ints, bd.check)
	b.WriteString(sub(`	VCMPP $17, Z5, Z14, K2, K2 // and |result| < hi (false for Inf and NaN)
`, p))
	a("\tKMOVW K2, R8")
	a("\tCMPW R8, %s", p.full)
	a("\tJNE slow%s", name)
	b.WriteString(sub(bd.store, p))
	a("\tADDQ $%d, BX", p.lanes)
	a("\tJMP loop%s", name)
	a("slow%s:", name)
	b.WriteString(sub(bd.slow, p))
	a("\tADDQ $%d, BX", p.lanes)
	a("\tJMP loop%s", name)
	a("done%s:", name)
	a("\tVZEROUPPER")
	a("\tRET")
}

func main() {
	var b bytes.Buffer
	b.WriteString("// Code generated by cpu/internal/ratiogen; DO NOT EDIT.\n\n#include \"textflag.h\"\n")
	for _, p := range []prec{f32, f64} {
		for _, bd := range bodies(p) {
			kernel(&b, bd, p)
		}
	}
	if err := os.WriteFile("ratio512_amd64.s", b.Bytes(), 0o644); err != nil {
		log.Fatal(err)
	}
}
