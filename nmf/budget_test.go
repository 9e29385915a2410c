package nmf_test

import (
	"context"
	"runtime/metrics"
	"testing"

	"github.com/clnmf/clnmf/nmf"
)

// TestFitAllocationBudget measures what a fit allocates on the CPU (Go's
// runtime metrics: every heap allocation during Fit, garbage included) for a
// float32 X of 64 MB, KL and Frobenius, with the default start (the
// randomized SVD): it must stay within the host budget of
// docs/large-data.md — bounded scratch (64 MiB) plus O((l+n)·k) — and so
// under X's own size: no copy of X (a float64 one would be twice X) in the
// validation, the start, the solver or the divergence.
func TestFitAllocationBudget(t *testing.T) {
	if testing.Short() {
		t.Skip("allocates a 64 MB matrix")
	}
	const l, n, k = 4000, 4000, 3
	x := &nmf.Dense[float32]{Rows: l, Cols: n, Data: make([]float32, l*n)}
	for i := range x.Data {
		x.Data[i] = float32(1 + (i*7)%13 + (i/n)%5)
	}
	xBytes := uint64(len(x.Data) * 4)
	budget := uint64(64<<20) + 64*uint64(l+n)*k
	for _, loss := range []nmf.Loss{nmf.KullbackLeibler, nmf.Frobenius} {
		opt := nmf.DefaultOptions()
		opt.Components, opt.Loss, opt.MaxIter, opt.Device = k, loss, 1, "cpu"
		s := []metrics.Sample{{Name: "/gc/heap/allocs:bytes"}}
		metrics.Read(s)
		before := s[0].Value.Uint64()
		if _, err := nmf.Fit(context.Background(), x, opt); err != nil {
			t.Fatal(err)
		}
		metrics.Read(s)
		got := s[0].Value.Uint64() - before
		t.Logf("%s: %d MiB allocated for X of %d MiB (budget %d MiB)", loss, got>>20, xBytes>>20, budget>>20)
		if got > budget || got >= xBytes {
			t.Errorf("%s: the fit allocated %d bytes; the budget is %d, and X is %d", loss, got, budget, xBytes)
		}
	}
}
