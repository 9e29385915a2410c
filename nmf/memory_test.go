package nmf_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/clnmf/clnmf/nmf"
)

// TestFitMemoryBomb: a k far beyond the data is refused before anything is
// allocated, with what it needs and what to change, whatever the budget.
func TestFitMemoryBomb(t *testing.T) {
	x := positive(1, 50, 20)
	for _, limit := range []int64{0, 64 << 20} {
		opt := nmf.DefaultOptions()
		opt.Components, opt.MemoryLimit = 1000000, limit
		_, err := nmf.Fit(context.Background(), x, opt)
		var me *nmf.MemoryError
		if !errors.As(err, &me) || !errors.Is(err, nmf.ErrMemory) {
			t.Fatalf("limit %d: %v, want a *MemoryError", limit, err)
		}
		if me.Need < 1e12 || !strings.Contains(err.Error(), "k = 1000000") || !strings.Contains(err.Error(), "Components ≤") {
			t.Errorf("limit %d: %v", limit, err)
		}
		if limit > 0 && (me.Avail != limit || !me.Limit) {
			t.Errorf("limit %d: avail %d", limit, me.Avail)
		}
	}
}

// TestFitMemoryLimit: a small limit refuses an ordinary fit, names the
// largest k that fits, and that k is then accepted.
func TestFitMemoryLimit(t *testing.T) {
	const l, n = 300, 200
	x := positive(2, l, n)
	opt := nmf.DefaultOptions()
	opt.MaxIter, opt.Init = 2, nmf.InitNNDSVDA
	m, err := nmf.FitMemory[float64](l, n, 0, false, opt)
	if err != nil {
		t.Fatal(err)
	}
	if m.Components != n || m.Init != nmf.InitNNDSVDA || m.Total() < int64(l*n*8) {
		t.Fatalf("estimate %+v", m)
	}
	opt.MemoryLimit = m.Total() - 1
	_, err = nmf.Fit(context.Background(), x, opt)
	if !errors.Is(err, nmf.ErrMemory) {
		t.Fatalf("limit one byte short: %v", err)
	}
	k := nmf.LargestComponents[float64](l, n, 0, false, opt, opt.MemoryLimit)
	if k < 1 || k >= n {
		t.Fatalf("largest k %d", k)
	}
	opt.Components = k
	if _, err := nmf.Fit(context.Background(), x, opt); err != nil {
		t.Errorf("k = %d under the limit: %v", k, err)
	}
	opt.Components = k + 1
	if _, err := nmf.Fit(context.Background(), x, opt); !errors.Is(err, nmf.ErrMemory) {
		t.Errorf("k = %d over the limit: %v", k+1, err)
	}
	opt.MemoryLimit = -1 // no check
	opt.Components = n
	if _, err := nmf.Fit(context.Background(), x, opt); err != nil {
		t.Errorf("no check: %v", err)
	}
}

func TestBytes(t *testing.T) {
	for s, want := range map[string]int64{"0": 0, "512": 512, "1KiB": 1024, "2 GB": 2e9, "64mib": 64 << 20, "3TiB": 3 << 40} {
		if got, err := nmf.ParseBytes(s); err != nil || got != want {
			t.Errorf("ParseBytes(%q) = %d, %v; want %d", s, got, err, want)
		}
	}
	for _, s := range []string{"", "-1", "1.5GB", "1 XB", "99999999999999999999", "9999999999TiB", "0x10"} {
		if _, err := nmf.ParseBytes(s); err == nil {
			t.Errorf("ParseBytes(%q) accepted", s)
		}
	}
	for n, want := range map[int64]string{0: "0 B", 1023: "1023 B", 1024: "1 KiB", 3 << 29: "1.5 GiB", 8e12: "7.28 TiB"} {
		if got := nmf.FormatBytes(n); got != want {
			t.Errorf("FormatBytes(%d) = %q, want %q", n, got, want)
		}
	}
	if n, ok := nmf.AvailableMemory(); ok && n <= 0 {
		t.Errorf("AvailableMemory %d", n)
	}
}

// TestMiniBatchMemoryBomb: the minibatch fits refuse a k far beyond the
// data as Fit does, before allocating, from memory or from a row source.
func TestMiniBatchMemoryBomb(t *testing.T) {
	x := positive(3, 50, 20)
	opt := nmf.DefaultOptions()
	opt.Components, opt.Init, opt.Device = 1000000, nmf.InitRandom, "cpu"
	_, err := nmf.FitMiniBatch(context.Background(), x, opt, nmf.DefaultMiniBatchOptions())
	if !errors.Is(err, nmf.ErrMemory) || !strings.Contains(err.Error(), "a minibatch fit with k = 1000000 of a 50×20 X (batches of 50 rows)") {
		t.Errorf("FitMiniBatch: %v", err)
	}
	_, err = nmf.FitMiniBatchSource[float64](context.Background(), denseRows{x}, opt, nmf.DefaultMiniBatchOptions())
	if !errors.Is(err, nmf.ErrMemory) {
		t.Errorf("FitMiniBatchSource: %v", err)
	}
	opt.Components = 3
	opt.MaxIter = 2
	if _, err := nmf.FitMiniBatch(context.Background(), x, opt, nmf.DefaultMiniBatchOptions()); err != nil {
		t.Errorf("k = 3: %v", err)
	}
}

// denseRows is a RowSource over a dense matrix in memory.
type denseRows struct{ x *nmf.Dense[float64] }

func (d denseRows) Dims() (int, int) { return d.x.Dims() }
func (d denseRows) Rows(lo, hi int) (nmf.Matrix[float64], error) {
	return nmf.Rows[float64](d.x, lo, hi), nil
}
