// Package kernels holds clnmf's OpenCL C sources.
//
// Each concern lives in its own file (gemm.cl, mu.cl, fused.cl, reduce.cl,
// cd.cl, sparse.cl, xgemm.cl); common.cl defines what they share and is put in front
// of every program by Source. The element type `real` is float or double
// after -DPRECISION=32|64 (see Options); every tuning parameter has a
// default, so each file compiles alone after common.cl.
package kernels

import (
	"embed"
	"fmt"
	"sort"
	"strings"
)

//go:embed *.cl
var files embed.FS

// Names lists the kernel files other than common.cl, without the ".cl"
// suffix, in a fixed order.
var Names = []string{"gemm", "mu", "fused", "reduce", "cd", "sparse", "xgemm"}

// File returns the text of one file, e.g. File("gemm") or File("gemm.cl").
// It panics for an unknown name.
func File(name string) string {
	if !strings.HasSuffix(name, ".cl") {
		name += ".cl"
	}
	b, err := files.ReadFile(name)
	if err != nil {
		panic(fmt.Sprintf("kernels: no file %q", name))
	}
	return string(b)
}

// Source returns common.cl followed by the named files (all of Names when
// none are given), ready for clBuildProgram. It panics for an unknown name.
func Source(names ...string) string {
	if len(names) == 0 {
		names = Names
	}
	var b strings.Builder
	b.WriteString(File("common"))
	for _, n := range names {
		b.WriteString("\n// ---- ")
		b.WriteString(strings.TrimSuffix(n, ".cl"))
		b.WriteString(".cl ----\n")
		b.WriteString(File(n))
	}
	return b.String()
}

// Options returns the build options for a precision of 32 or 64 bits.
// acc64 asks for double accumulators in reductions (it needs cl_khr_fp64;
// it is implied by 64). defines adds -DNAME=VALUE for tuning parameters,
// in sorted order so that equal settings give equal strings.
func Options(bits int, acc64 bool, defines map[string]int) string {
	if bits != 32 && bits != 64 {
		panic(fmt.Sprintf("kernels: precision %d bits", bits))
	}
	opts := []string{fmt.Sprintf("-DPRECISION=%d", bits)}
	if acc64 || bits == 64 {
		opts = append(opts, "-DACC64=1")
	} else {
		opts = append(opts, "-DACC64=0")
	}
	keys := make([]string, 0, len(defines))
	for k := range defines {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		opts = append(opts, fmt.Sprintf("-D%s=%d", k, defines[k]))
	}
	return strings.Join(opts, " ")
}
