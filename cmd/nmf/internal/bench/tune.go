package bench

import (
	"context"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"strings"
	"time"

	"github.com/clnmf/clnmf/gpu"
	"github.com/clnmf/clnmf/nmf"
	"github.com/clnmf/clnmf/nmf/backend"
)

// nmf bench --tune searches a small space of GEMM parameters (gpu.GemmParams:
// kernel variant, vector width, register block, work-group shape) on each
// OpenCL device of --device, as CLBlast's tuner does. Every candidate is
// built with its -D defines, checked against a float64 host product on
// shapes off every block grid in all four transposes (a candidate that
// fails is dropped), and timed on the iteration shapes (W·H, Wᵀ·X, X·Hᵀ)
// in every precision of --precision; the candidate with the least total
// time is cached for the device (name + driver) in
// os.UserCacheDir()/clnmf/tune.json, which gpu.Open reads.
//
// The search is coordinate passes: first the vector width, gemm_vn's
// register block and the work-group shape, with gemm_vd's block at the
// starting point; then gemm_vd's block, with the best of the first pass.
// A third pass varies PK (when B is packed). The tiled kernels are one more
// candidate.

// tuneShape is one timed product: out m×n, inner k, the bench's shape kinds.
type tuneShape struct {
	m, n, k int
	kind    string
}

func tuneShapes(quick bool) []tuneShape {
	L, ks := 2000, []int{32, 128}
	if quick {
		L, ks = 150, []int{16}
	}
	var out []tuneShape
	for _, k := range ks {
		out = append(out, tuneShape{L, L, k, "WH"}, tuneShape{k, L, L, "WtX"}, tuneShape{L, k, L, "XHt"})
	}
	return out
}

// stage1 and stage2 are the coordinate passes of the search from base.
func tuneStage1(base gpu.GemmParams) []gpu.GemmParams {
	var out []gpu.GemmParams
	for _, vw := range []int{4, 8, 16} {
		for _, rm := range []int{2, 4, 6} {
			for _, vn := range []int{1, 2} {
				for _, wg := range [][2]int{{4, 4}, {8, 8}, {16, 1}} {
					p := base
					p.Vec, p.VW, p.RM, p.VN, p.LX, p.LY = true, vw, rm, vn, wg[0], wg[1]
					out = append(out, p)
				}
			}
		}
	}
	return out
}

func tuneStage2(base gpu.GemmParams) []gpu.GemmParams {
	var out []gpu.GemmParams
	for _, d := range [][2]int{{1, 1}, {2, 2}, {4, 2}, {2, 4}, {3, 3}, {4, 4}, {6, 2}, {8, 1}} {
		p := base
		p.DM, p.DN = d[0], d[1]
		out = append(out, p)
	}
	return out
}

// tuneStage3 varies when B is packed into panels.
func tuneStage3(base gpu.GemmParams) []gpu.GemmParams {
	var out []gpu.GemmParams
	for _, pk := range []int{0, 1, 64, 256, 1024} {
		p := base
		p.PK = pk
		out = append(out, p)
	}
	return out
}

type tuneOperands struct {
	a, b, out backend.Matrix
	ta, tb    bool
	av, bv    []float64
}

// tuneOps holds the operands of every shape, allocated once: the backend
// frees device memory only when it is closed.
type tuneOps map[string]*tuneOperands

func (ops tuneOps) get(be backend.Backend, p backend.Precision, s tuneShape, r *rand.Rand) (*tuneOperands, error) {
	key := fmt.Sprint(p, s)
	if o, ok := ops[key]; ok {
		return o, nil
	}
	o, av, bv, err := tuneAlloc(be, p, s, r)
	if err != nil {
		return nil, err
	}
	o.av, o.bv = av, bv
	ops[key] = o
	return o, nil
}

// operands allocates and fills the operands of one shape.
func tuneAlloc(be backend.Backend, p backend.Precision, s tuneShape, r *rand.Rand) (*tuneOperands, []float64, []float64, error) {
	var ar, ac, br, bc int
	o := &tuneOperands{}
	switch s.kind {
	case "WtX":
		ar, ac, o.ta = s.k, s.m, true
		br, bc = s.k, s.n
	case "XHt":
		ar, ac = s.m, s.k
		br, bc, o.tb = s.n, s.k, true
	case "AtBt":
		ar, ac, o.ta = s.k, s.m, true
		br, bc, o.tb = s.n, s.k, true
	default:
		ar, ac = s.m, s.k
		br, bc = s.k, s.n
	}
	var err error
	if o.a, err = be.NewMatrix(p, ar, ac); err != nil {
		return nil, nil, nil, err
	}
	if o.b, err = be.NewMatrix(p, br, bc); err != nil {
		return nil, nil, nil, err
	}
	if o.out, err = be.NewMatrix(p, s.m, s.n); err != nil {
		return nil, nil, nil, err
	}
	av, bv := make([]float64, ar*ac), make([]float64, br*bc)
	for i := range av {
		av[i] = r.Float64()
	}
	for i := range bv {
		bv[i] = r.Float64()
	}
	if p == backend.Float32 {
		for i := range av {
			av[i] = float64(float32(av[i]))
		}
		for i := range bv {
			bv[i] = float64(float32(bv[i]))
		}
	}
	if err := be.Write(o.a, backend.NewHost(p, ar, ac, av)); err != nil {
		return nil, nil, nil, err
	}
	if err := be.Write(o.b, backend.NewHost(p, br, bc, bv)); err != nil {
		return nil, nil, nil, err
	}
	return o, av, bv, nil
}

// tuneCheck compares the candidate's products with float64 host products
// on shapes off every block grid, all four transposes.
func tuneCheck(be *gpu.Backend, ops tuneOps, p backend.Precision, r *rand.Rand) error {
	tol := 1e-12
	if p == backend.Float32 {
		tol = 1e-5
	}
	for _, sh := range [][3]int{{67, 45, 131}, {5, 101, 37}, {1, 1, 1}} {
		for _, kind := range []string{"WH", "WtX", "XHt", "AtBt"} {
			s := tuneShape{sh[0], sh[1], sh[2], kind}
			o, err := ops.get(be, p, s, r)
			if err != nil {
				return err
			}
			av, bv := o.av, o.bv
			if err := be.Mul(o.out, o.a, o.ta, o.b, o.tb); err != nil {
				return err
			}
			gotH := backend.NewHost(p, s.m, s.n, nil)
			if err := be.Read(o.out, gotH); err != nil {
				return err
			}
			got := backend.Float64s(gotH)
			for i := 0; i < s.m; i++ {
				for j := 0; j < s.n; j++ {
					var want float64
					for kk := 0; kk < s.k; kk++ {
						a := av[i*s.k+kk]
						if o.ta {
							a = av[kk*s.m+i]
						}
						b := bv[kk*s.n+j]
						if o.tb {
							b = bv[j*s.k+kk]
						}
						want += a * b
					}
					if d := math.Abs(got[i*s.n+j] - want); d > tol*math.Abs(want) || math.IsNaN(got[i*s.n+j]) {
						return fmt.Errorf("%s %d×%d×%d: C(%d,%d) = %v, want %v", kind, s.m, s.n, s.k, i, j, got[i*s.n+j], want)
					}
				}
			}
		}
	}
	return nil
}

// tuneTime returns the total of the median times (ms) of the shapes.
func tuneTime(ctx context.Context, be *gpu.Backend, ops tuneOps, p backend.Precision, shapes []tuneShape, c *Config, r *rand.Rand) (float64, error) {
	var total float64
	for _, s := range shapes {
		o, err := ops.get(be, p, s, r)
		if err != nil {
			return 0, err
		}
		var ts []float64
		for i := 0; i < c.Warmup+c.Repeats; i++ {
			if ctx.Err() != nil {
				return 0, errCancelled
			}
			t := time.Now()
			if err := be.Mul(o.out, o.a, o.ta, o.b, o.tb); err != nil {
				return 0, err
			}
			if err := be.Finish(); err != nil {
				return 0, err
			}
			if i >= c.Warmup {
				ts = append(ts, float64(time.Since(t).Nanoseconds())/1e6)
			}
		}
		total += median(ts)
	}
	return total, nil
}

// Tune runs nmf bench --tune: it searches, prints one line per candidate
// and the choice, and caches the best per device.
func Tune(ctx context.Context, c *Config, stdout, logw io.Writer) error {
	shapes := tuneShapes(c.Quick)
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
		var precs []backend.Precision
		for _, p := range c.Precisions {
			if p == "float64" && !be.Device().FP64 {
				continue
			}
			precs = append(precs, precOf(p))
		}
		fmt.Fprintf(stdout, "tuning GEMM on %s (%s), %d shapes × %d precisions\n", d, be.TuneKey(), len(shapes), len(precs))
		r := newRand(7)
		ops := tuneOps{}
		score := func(gp gpu.GemmParams) (float64, error) {
			if err := be.SetGemmParams(gp); err != nil {
				return 0, err
			}
			var total float64
			for _, p := range precs {
				if err := tuneCheck(be, ops, p, r); err != nil {
					return 0, fmt.Errorf("%v: wrong result: %w", p, err)
				}
				t, err := tuneTime(ctx, be, ops, p, shapes, c, r)
				if err != nil {
					return 0, err
				}
				total += t
			}
			return total, nil
		}
		seen := map[gpu.GemmParams]float64{}
		best, bestT := gpu.GemmParams{}, math.Inf(1)
		try := func(gp gpu.GemmParams) error {
			if _, done := seen[gp]; done || !gp.Valid() {
				return nil
			}
			t, err := score(gp)
			if err == errCancelled {
				return err
			}
			if err != nil {
				seen[gp] = math.Inf(1)
				fmt.Fprintf(stdout, "  %-52s  rejected: %v\n", gp, err)
				return nil
			}
			seen[gp] = t
			mark := ""
			if t < bestT {
				best, bestT, mark = gp, t, "  *"
			}
			fmt.Fprintf(stdout, "  %-52s  %10.2f ms%s\n", gp, t, mark)
			return nil
		}
		start := be.GemmParams()
		def := gpu.DefaultGemmParams(be.IsCPU())
		cands := append([]gpu.GemmParams{start, def, {}}, tuneStage1(def)...)
		for _, gp := range cands {
			if err := try(gp); err != nil {
				be.Close()
				return err
			}
		}
		for _, stage := range []func(gpu.GemmParams) []gpu.GemmParams{tuneStage2, tuneStage3} {
			if !best.Vec {
				break
			}
			for _, gp := range stage(best) {
				if err := try(gp); err != nil {
					be.Close()
					return err
				}
			}
		}
		if math.IsInf(bestT, 1) {
			be.Close()
			return fmt.Errorf("bench: --tune: no candidate passed on %s", d)
		}
		path, err := be.SaveGemmParams(best)
		be.Close()
		if err != nil {
			return fmt.Errorf("bench: --tune: %w", err)
		}
		fmt.Fprintf(stdout, "best: %v (%.2f ms; start %v %.2f ms, defaults %v %.2f ms)\ncached in %s\n",
			best, bestT, start, seen[start], def, seen[def], path)
		tuned++
	}
	if tuned == 0 {
		return &UsageError{Msg: "--tune: no OpenCL device among --device " + strings.Join(c.Devices, ",")}
	}
	return nil
}
