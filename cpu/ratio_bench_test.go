//go:build linux && amd64

package cpu

import (
	"syscall"
	"testing"
)

// BenchmarkRatioKernels times the AVX2 and AVX-512 ("x") ratio kernels on
// operands in L1, in CPU nanoseconds per element of this thread (steadier
// than wall time on a shared machine):
//
//	go test -run '^$' -bench RatioKernels -cpu 1 ./cpu
func BenchmarkRatioKernels(b *testing.B) {
	if !hasAVX512 {
		b.Skip("no AVX-512 kernels here")
	}
	const n = 2048
	x, v, u := make([]float32, n), make([]float32, n), make([]float32, n)
	x64, v64, u64 := make([]float64, n), make([]float64, n), make([]float64, n)
	for i := range x {
		x[i], v[i] = 1.5, 2.5
		x64[i], v64[i] = 1.5, 2.5
	}
	type k32 func(x, v, u *float32, n int, c *float32)
	type k64 func(x, v, u *float64, n int, c *float64)
	for _, c := range []struct {
		name string
		f    k32
	}{{"KL32", ratioKL32}, {"KL32x", ratioKL32x}, {"IS32", ratioIS32}, {"IS32x", ratioIS32x}, {"15F32", ratio15F32}, {"15F32x", ratio15F32x}} {
		b.Run(c.name, func(b *testing.B) {
			t0 := cpuNow()
			for i := 0; i < b.N; i++ {
				copy(v, x)
				c.f(&x[0], &v[0], &u[0], n, &ratioConsts32[0])
			}
			b.ReportMetric(float64(cpuNow()-t0)/float64(b.N)/n, "cpu-ns/elem")
		})
	}
	for _, c := range []struct {
		name string
		f    k64
	}{{"KL64", ratioKL64}, {"KL64x", ratioKL64x}, {"IS64", ratioIS64}, {"IS64x", ratioIS64x}, {"15F64", ratio15F64}, {"15F64x", ratio15F64x}} {
		b.Run(c.name, func(b *testing.B) {
			t0 := cpuNow()
			for i := 0; i < b.N; i++ {
				copy(v64, x64)
				c.f(&x64[0], &v64[0], &u64[0], n, &ratioConsts64[0])
			}
			b.ReportMetric(float64(cpuNow()-t0)/float64(b.N)/n, "cpu-ns/elem")
		})
	}
}

func cpuNow() int64 {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_THREAD, &ru)
	return ru.Utime.Nano() + ru.Stime.Nano()
}
