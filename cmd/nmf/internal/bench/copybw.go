package bench

import (
	"fmt"
	"time"

	"github.com/clnmf/clnmf/gpu"
	"github.com/clnmf/clnmf/gpu/cl"
	"github.com/clnmf/clnmf/nmf"
	"github.com/clnmf/clnmf/nmf/backend"
)

// clDevice returns the OpenCL device that spec opens in nmf bench, with
// its "opencl:P:D" spec; ok is false for a device that is not OpenCL's.
func clDevice(spec string) (*cl.Device, string, bool, error) {
	be, _, err := nmf.OpenDevice(spec, backend.Float32)
	if err != nil {
		return nil, "", false, err
	}
	gb, ok := be.(*gpu.Backend)
	if !ok {
		be.Close()
		return nil, "", false, nil
	}
	full := gb.Device().Spec
	be.Close()
	var pi, di int
	if _, err := fmt.Sscanf(full, "opencl:%d:%d", &pi, &di); err != nil {
		return nil, "", false, fmt.Errorf("device %s: spec %q: %v", spec, full, err)
	}
	plats, err := cl.Platforms()
	if err != nil {
		return nil, "", false, err
	}
	if pi >= len(plats) {
		return nil, "", false, fmt.Errorf("device %s: no platform %d", full, pi)
	}
	devs, err := plats[pi].Devices()
	if err != nil {
		return nil, "", false, err
	}
	if di >= len(devs) {
		return nil, "", false, fmt.Errorf("device %s: no device %d on platform %d", full, di, pi)
	}
	return devs[di], full, true, nil
}

// copyBatch is the least time one timed batch of copies takes.
const copyBatch = 20 * time.Millisecond

// copyBandwidth measures d's device-to-device copy rate: clEnqueueCopyBuffer
// between two buffers of up to 1 GiB (32 MiB with quick; at most a quarter
// of global memory and the largest allocation), timed on the host over
// batches that end in clFinish and last at least copyBatch, the best of
// three after a calibrating batch. It returns bytes read plus written per
// second (GB/s) and the buffer size.
func copyBandwidth(d *cl.Device, quick bool) (float64, int64, error) {
	size := int64(1 << 30)
	if quick {
		size = 32 << 20
	}
	size = min(size, d.MaxAlloc, d.GlobalMem/4) &^ 4095
	if size <= 0 {
		return 0, 0, fmt.Errorf("copy bandwidth: no room on %s (global %d B, max alloc %d B)", d.Name, d.GlobalMem, d.MaxAlloc)
	}
	ctx, err := cl.NewContext(d)
	if err != nil {
		return 0, 0, err
	}
	defer ctx.Close()
	src, err := ctx.NewBuffer(size)
	if err != nil {
		return 0, 0, err
	}
	dst, err := ctx.NewBuffer(size)
	if err != nil {
		return 0, 0, err
	}
	q := ctx.Queue()
	batch := func(n int) (time.Duration, error) {
		t := time.Now()
		for i := 0; i < n; i++ {
			if err := q.Copy(src, dst, 0, 0, size); err != nil {
				return 0, err
			}
		}
		err := q.Finish()
		return time.Since(t), err
	}
	// The first batch (one copy) warms up and calibrates.
	el, err := batch(1)
	if err != nil {
		return 0, 0, fmt.Errorf("copy bandwidth on %s: %w", d.Name, err)
	}
	n := min(1000, max(1, int(copyBatch/max(el, time.Microsecond))+1))
	best := 0.0
	for r := 0; r < 3; r++ {
		el, err := batch(n)
		if err != nil {
			return 0, 0, fmt.Errorf("copy bandwidth on %s: %w", d.Name, err)
		}
		best = max(best, 2*float64(size)*float64(n)/el.Seconds()/1e9)
	}
	return best, size, nil
}
