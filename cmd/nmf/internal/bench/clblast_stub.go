package bench

import (
	"fmt"
	"math"
	"sync"
	"time"

	"github.com/clnmf/clnmf/gpu"
	"github.com/clnmf/clnmf/nmf/backend"
)

// clblastTimer times CLBlast's GEMM on the operands of our GEMM.
type clblastTimer struct {
	be  *gpu.Backend
	lib *gpu.CLBlast
}

var (
	clblastMu   sync.Mutex
	clblastLoad error
)

// clblastFor returns CLBlast for an OpenCL backend, when libclblast loads.
func clblastFor(be backend.Backend) (*clblastTimer, bool) {
	g, ok := be.(*gpu.Backend)
	if !ok {
		return nil, false
	}
	lib, err := gpu.LoadCLBlast()
	if err != nil {
		clblastMu.Lock()
		clblastLoad = err
		clblastMu.Unlock()
		return nil, false
	}
	return &clblastTimer{be: g, lib: lib}, true
}

// time runs CLBlast's GEMM warm-up + repeats times and returns the median
// ms; it first checks CLBlast's product against ours (already in out).
func (t *clblastTimer) time(out, a backend.Matrix, ta bool, b backend.Matrix, tb bool, c *Config) (float64, error) {
	r, cl := out.Dims()
	oursH := backend.NewHost(out.Precision(), r, cl, nil)
	if err := t.be.Read(out, oursH); err != nil {
		return 0, err
	}
	ours := backend.Float64s(oursH)
	var ts []float64
	for i := 0; i < c.Warmup+c.Repeats; i++ {
		s := time.Now()
		if err := t.be.CLBlastGemm(t.lib, out, a, ta, b, tb); err != nil {
			return 0, err
		}
		if i >= c.Warmup {
			ts = append(ts, float64(time.Since(s).Nanoseconds())/1e6)
		}
	}
	theirsH := backend.NewHost(out.Precision(), r, cl, nil)
	if err := t.be.Read(out, theirsH); err != nil {
		return 0, err
	}
	theirs := backend.Float64s(theirsH)
	var maxd, maxv float64
	for i := range ours {
		maxd = math.Max(maxd, math.Abs(ours[i]-theirs[i]))
		maxv = math.Max(maxv, math.Abs(ours[i]))
	}
	if maxd > 1e-3*maxv {
		return median(ts), fmt.Errorf("CLBlast and our GEMM differ by %.3g (max |value| %.3g)", maxd, maxv)
	}
	return median(ts), nil
}

func clblastNote() string {
	clblastMu.Lock()
	defer clblastMu.Unlock()
	if clblastLoad != nil {
		return "CLBlast comparison skipped: " + clblastLoad.Error()
	}
	return "CLBlast comparison not run (no OpenCL device)"
}
