package bench

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/clnmf/clnmf/gpu"
	"github.com/clnmf/clnmf/gpu/tune"
	"github.com/clnmf/clnmf/nmf"
	"github.com/clnmf/clnmf/nmf/backend"
)

// nmf bench --tune runs gpu/tune's search (see its package doc) on each
// OpenCL device of --device, in every precision of --precision, and caches
// the best parameters per device (name + driver) in
// os.UserCacheDir()/clnmf/tune.json, which gpu.Open reads.

// Tune runs nmf bench --tune: it searches, prints one line per candidate
// and the choice, and caches the best per device.
func Tune(ctx context.Context, c *Config, stdout, logw io.Writer) error {
	tuned := 0
	for _, d := range c.Devices {
		if d == "cpu" {
			continue
		}
		bb, _, err := nmf.OpenDevice(d, backend.Float32)
		if err != nil {
			fmt.Fprintf(logw, "bench: --tune: device %s skipped: %v\n", d, err)
			continue
		}
		be, ok := bb.(*gpu.Backend)
		if !ok {
			bb.Close()
			continue
		}
		err = tuneDevice(ctx, d, be, c, stdout)
		be.Close()
		if err != nil {
			return err
		}
		tuned++
	}
	if tuned == 0 {
		return &UsageError{Msg: "--tune: no OpenCL device among --device " + strings.Join(c.Devices, ",")}
	}
	return nil
}

// tuneDevice searches on one device and caches the best.
func tuneDevice(ctx context.Context, d string, be *gpu.Backend, c *Config, stdout io.Writer) error {
	var precs []backend.Precision
	for _, p := range c.Precisions {
		if p == "float64" && !be.Device().FP64 {
			continue
		}
		precs = append(precs, precOf(p))
	}
	key, err := tune.Key(be)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "tuning GEMM on %s (%s), %d precisions\n", d, key, len(precs))
	res, err := tune.Search(ctx, be, tune.Config{Precisions: precs, Quick: c.Quick, Warmup: c.Warmup, Repeats: c.Repeats}, stdout)
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return errCancelled
	}
	if err != nil {
		return fmt.Errorf("bench: --tune: %s: %w", d, err)
	}
	fmt.Fprintf(stdout, "best: %v (%.2f ms; start %v %.2f ms, defaults %v %.2f ms)\n",
		res.Best, res.Ms[res.Best], res.Start, res.Ms[res.Start], res.Default, res.Ms[res.Default])
	path, err := tune.Save(be, res.Best)
	if errors.Is(err, tune.ErrOtherProfile) {
		fmt.Fprintln(stdout, err)
		return nil
	}
	if err != nil {
		return fmt.Errorf("bench: --tune: %w", err)
	}
	fmt.Fprintf(stdout, "cached in %s\n", path)
	return nil
}
