//go:build linux && amd64

package cpu

import (
	"runtime"
	"testing"

	"github.com/clnmf/clnmf/internal/cputime"
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
	for i, name := range []string{"KL", "IS", "15F"} {
		b.Run(name+"32", func(b *testing.B) { benchRatio(b, ratioKernels32[i], ratioConsts32[:]) })
		b.Run(name+"32x", func(b *testing.B) { benchRatio(b, ratioKernels32x[i], ratioConsts32[:]) })
		b.Run(name+"64", func(b *testing.B) { benchRatio(b, ratioKernels64[i], ratioConsts64[:]) })
		b.Run(name+"64x", func(b *testing.B) { benchRatio(b, ratioKernels64x[i], ratioConsts64[:]) })
	}
}

func benchRatio[T float32 | float64](b *testing.B, kern func(x, v, u *T, n int, c *T), c []T) {
	runtime.LockOSThread() // getrusage(RUSAGE_THREAD) counts this thread only
	defer runtime.UnlockOSThread()
	const n = 2048
	x, v, u := make([]T, n), make([]T, n), make([]T, n)
	for i := range x {
		x[i] = 1.5
	}
	t0 := cputime.Thread()
	for i := 0; i < b.N; i++ {
		copy(v, x)
		kern(&x[0], &v[0], &u[0], n, &c[0])
	}
	b.ReportMetric(float64(cputime.Thread()-t0)/float64(b.N)/n, "cpu-ns/elem")
}
