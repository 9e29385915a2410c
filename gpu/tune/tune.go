// Package tune searches the GEMM kernels' parameters of an OpenCL device,
// as CLBlast's tuner does, and caches the best per device (name + driver)
// in os.UserCacheDir()/clnmf/tune.json, which gpu.Open reads. It is the
// library behind `nmf bench --tune`, apart from package gpu as CLBlast's
// src/tuning is apart from its routines: gpu only reads the cache.
//
// It also gives a benchmark what it needs of a gpu.Backend beyond
// backend.Backend: waiting for the queue (Finish) and the raw queue and
// buffers (Queue, Buffer), to time another OpenCL library on the same
// operands.
//
// The search is coordinate passes. Under the cpu profile: first the
// vector width, gemm_vn's register block and the work-group shape, with
// gemm_vd's block at the starting point; then gemm_vd's block, with the
// best of the first pass; a third pass varies PK (when B is packed). Under
// the gpu profile the passes search xgemm's space (xspace.go): tile and
// work-group shapes, then vector widths, then K tile, unrolling, local
// memory, strides and load shapes; candidates beyond the device's
// work-group size or local memory are skipped, and one whose built kernels
// exceed the per-kernel limits is rejected. The tiled kernels are one more
// candidate. Every candidate is built with its -D defines, checked against a
// float64 host product on shapes off every block grid in all four transposes
// (a candidate that fails is dropped), and timed on the iteration shapes
// (W·H, Wᵀ·X, X·Hᵀ) in every precision asked for; the least total time wins.
package tune

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"sort"
	"time"

	"github.com/clnmf/clnmf/gpu"
	"github.com/clnmf/clnmf/gpu/cl"
	"github.com/clnmf/clnmf/gpu/internal/tuning"
	"github.com/clnmf/clnmf/nmf/backend"
)

// GemmParams are the GEMM kernels' tuning parameters (see the fields).
type GemmParams = tuning.Gemm

// ErrNotOpenCL is returned for a backend that is not an open gpu.Backend.
var ErrNotOpenCL = errors.New("tune: not an open OpenCL backend")

// Key is the device's key in the cache (name and driver).
func Key(be *gpu.Backend) (string, error) {
	d, ok := tuning.Hooks.Device(be)
	if !ok {
		return "", ErrNotOpenCL
	}
	return tuning.Key(d), nil
}

// Current returns the GEMM parameters be uses.
func Current(be *gpu.Backend) (GemmParams, error) {
	p, ok := tuning.Hooks.Gemm(be)
	if !ok {
		return GemmParams{}, ErrNotOpenCL
	}
	return p, nil
}

// Default returns the untuned parameters of be's profile on its device.
func Default(be *gpu.Backend) (GemmParams, error) {
	d, ok := tuning.Hooks.Device(be)
	if !ok {
		return GemmParams{}, ErrNotOpenCL
	}
	return tuning.DefaultGemm(d, be.Profile() == "cpu"), nil
}

// Use switches be to p (its programs are rebuilt on the next launch).
func Use(be *gpu.Backend, p GemmParams) error { return tuning.Hooks.SetGemm(be, p) }

// ErrOtherProfile is Save's error for a backend that does not run its
// device type's profile (CLNMF_OPENCL_PROFILE=gpu on a CPU device): the
// cache applies only under the type's own profile, so such a search is
// not cached.
var ErrOtherProfile = errors.New("tune: not cached: the backend runs the other profile than its device type's, under which alone the cache applies")

// Save records p as the tuned parameters of be's device in the cache and
// returns the cache's path.
func Save(be *gpu.Backend, p GemmParams) (string, error) {
	d, ok := tuning.Hooks.Device(be)
	if !ok {
		return "", ErrNotOpenCL
	}
	if cpu := d.Type&cl.DeviceCPU != 0; cpu != (be.Profile() == "cpu") {
		return "", ErrOtherProfile
	}
	return tuning.Save(d, p)
}

// Finish waits until every command enqueued on be's queue is done, so that
// a timing includes the device's work and not only its enqueueing. It does
// nothing for another backend (the CPU's calls return when done).
func Finish(be backend.Backend) error {
	q, ok := tuning.Hooks.Queue(be)
	if !ok {
		if _, isGPU := be.(*gpu.Backend); isGPU {
			return ErrNotOpenCL // closed
		}
		return nil
	}
	return q.Finish()
}

// Queue returns be's command queue, to enqueue another OpenCL library's
// work on it. The queue stays be's: callers must not release it.
func Queue(be backend.Backend) (*cl.Queue, bool) { return tuning.Hooks.Queue(be) }

// Buffer returns the device buffer of a matrix of a gpu.Backend, row-major
// as the backend stores it. It stays the backend's: callers must not
// release it.
func Buffer(m backend.Matrix) (*cl.Buffer, bool) { return tuning.Hooks.Buffer(m) }

// Config says what a search measures.
type Config struct {
	Precisions []backend.Precision // timed and checked in each
	Quick      bool                // small shapes (seconds, for tests)
	Warmup     int                 // untimed runs per shape
	Repeats    int                 // timed runs per shape (the median counts)
	Limit      int                 // at most this many candidates scored (0: all)
}

// Result is a search's outcome.
type Result struct {
	Best, Start, Default GemmParams
	// Ms is the total of the median times per candidate tried (+Inf for
	// one that failed the check).
	Ms map[GemmParams]float64
}

// Search tries the candidates on be, printing one line per candidate to
// out, and leaves be on the best; it does not save it (see Save). The
// error is ctx.Err() when ctx ends, and says so when no candidate passed.
func Search(ctx context.Context, be *gpu.Backend, c Config, out io.Writer) (Result, error) {
	start, err := Current(be)
	if err != nil {
		return Result{}, err
	}
	def, _ := Default(be)
	d, _ := tuning.Hooks.Device(be)
	s := &search{ctx: ctx, be: be, c: c, out: out, shapes: shapes(c.Quick), dev: d,
		r: rand.New(rand.NewPCG(7, 0x5eed)), ops: operandSet{}, seen: map[GemmParams]float64{}, bestT: math.Inf(1)}
	stages := []func(GemmParams) []GemmParams{stage1, stage2, stage3}
	if def.IsX() {
		stages = []func(GemmParams) []GemmParams{xstage1, xstage2, xstage3}
	}
	for _, gp := range []GemmParams{start, def, {}} {
		if err := s.try(gp); err != nil {
			return Result{}, err
		}
	}
	// The first pass starts from the defaults, the others from the best
	// so far, while it is of the defaults' kind.
	for i, stage := range stages {
		base := s.best
		if i == 0 {
			base = def
		} else if base.Vec != def.Vec || base.IsX() != def.IsX() {
			break
		}
		for _, gp := range stage(base) {
			if err := s.try(gp); err != nil {
				return Result{}, err
			}
		}
	}
	if math.IsInf(s.bestT, 1) {
		return Result{}, errors.New("tune: no candidate passed")
	}
	if err := Use(be, s.best); err != nil {
		return Result{}, err
	}
	return Result{Best: s.best, Start: start, Default: def, Ms: s.seen}, nil
}

// search is one Search's state.
type search struct {
	ctx    context.Context
	be     *gpu.Backend
	c      Config
	out    io.Writer
	shapes []shape
	dev    *cl.Device
	tried  int // candidates scored
	r      *rand.Rand
	ops    operandSet
	seen   map[GemmParams]float64
	best   GemmParams
	bestT  float64
}

// try scores gp unless tried, invalid, beyond the device's limits or
// beyond Config.Limit, printing its line.
func (s *search) try(gp GemmParams) error {
	if _, done := s.seen[gp]; done || !gp.Valid() || !s.fits(gp) || s.c.Limit > 0 && s.tried >= s.c.Limit {
		return nil
	}
	s.tried++
	t, err := s.score(gp)
	if err != nil && s.ctx.Err() != nil {
		return s.ctx.Err()
	}
	if err != nil {
		s.seen[gp] = math.Inf(1)
		fmt.Fprintf(s.out, "  %-52s  rejected: %v\n", gp, err)
		return nil
	}
	s.seen[gp] = t
	mark := ""
	if t < s.bestT {
		s.best, s.bestT, mark = gp, t, "  *"
	}
	fmt.Fprintf(s.out, "  %-52s  %10.2f ms%s\n", gp, t, mark)
	return nil
}

// score checks gp in every precision and returns its total time.
func (s *search) score(gp GemmParams) (float64, error) {
	if err := Use(s.be, gp); err != nil {
		return 0, err
	}
	var total float64
	for _, p := range s.c.Precisions {
		if err := s.check(p); err != nil {
			return 0, fmt.Errorf("%v: wrong result: %w", p, err)
		}
		// A build whose kernels exceed the device's per-kernel limits
		// (CL_KERNEL_WORK_GROUP_SIZE, CL_KERNEL_LOCAL_MEM_SIZE) is rebuilt
		// at the small sizes: then gp is not what ran.
		if cur, err := Current(s.be); err != nil || cur != gp {
			return 0, fmt.Errorf("%v: does not fit the device's kernel limits (ran %v)", p, cur)
		}
		t, err := s.time(p)
		if err != nil {
			return 0, err
		}
		total += t
	}
	return total, nil
}

// shape is one timed product: out m×n, inner k, of a kind of the iteration.
type shape struct {
	m, n, k int
	kind    string // "WH", "WtX", "XHt", "AtBt"
}

func shapes(quick bool) []shape {
	L, ks := 2000, []int{32, 128}
	if quick {
		L, ks = 150, []int{16}
	}
	var out []shape
	for _, k := range ks {
		out = append(out, shape{L, L, k, "WH"}, shape{k, L, L, "WtX"}, shape{L, k, L, "XHt"})
	}
	return out
}

// stage1, stage2 and stage3 are the coordinate passes of the search from
// base: vector width, gemm_vn's block and the work-group; gemm_vd's block;
// when B is packed.
func stage1(base GemmParams) []GemmParams {
	var out []GemmParams
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

func stage2(base GemmParams) []GemmParams {
	var out []GemmParams
	for _, d := range [][2]int{{1, 1}, {2, 2}, {4, 2}, {2, 4}, {3, 3}, {4, 4}, {6, 2}, {8, 1}} {
		p := base
		p.DM, p.DN = d[0], d[1]
		out = append(out, p)
	}
	return out
}

func stage3(base GemmParams) []GemmParams {
	var out []GemmParams
	for _, pk := range []int{0, 1, 64, 256, 1024} {
		p := base
		p.PK = pk
		out = append(out, p)
	}
	return out
}

// operands are one shape's matrices and A's and B's host values.
type operands struct {
	a, b, out backend.Matrix
	ta, tb    bool
	av, bv    []float64
}

// operandSet holds the operands of every shape, allocated once: the
// backend frees device memory only when it is closed.
type operandSet map[string]*operands

func (s *search) operands(p backend.Precision, sh shape) (*operands, error) {
	key := fmt.Sprint(p, sh)
	if o, ok := s.ops[key]; ok {
		return o, nil
	}
	o, err := alloc(s.be, p, sh, s.r)
	if err != nil {
		return nil, err
	}
	s.ops[key] = o
	return o, nil
}

// alloc allocates and fills the operands of one shape with values exact in
// precision p.
func alloc(be backend.Backend, p backend.Precision, s shape, r *rand.Rand) (*operands, error) {
	o := &operands{}
	ar, ac, br, bc := s.m, s.k, s.k, s.n
	switch s.kind {
	case "WtX":
		ar, ac, o.ta = s.k, s.m, true
	case "XHt":
		br, bc, o.tb = s.n, s.k, true
	case "AtBt":
		ar, ac, o.ta = s.k, s.m, true
		br, bc, o.tb = s.n, s.k, true
	}
	var err error
	if o.a, err = be.NewMatrix(p, ar, ac); err != nil {
		return nil, err
	}
	if o.b, err = be.NewMatrix(p, br, bc); err != nil {
		return nil, err
	}
	if o.out, err = be.NewMatrix(p, s.m, s.n); err != nil {
		return nil, err
	}
	o.av, o.bv = make([]float64, ar*ac), make([]float64, br*bc)
	for _, v := range [][]float64{o.av, o.bv} {
		for i := range v {
			v[i] = r.Float64()
			if p == backend.Float32 {
				v[i] = float64(float32(v[i]))
			}
		}
	}
	if err := be.Write(o.a, backend.NewHost(p, ar, ac, o.av)); err != nil {
		return nil, err
	}
	return o, be.Write(o.b, backend.NewHost(p, br, bc, o.bv))
}

// check compares the candidate's products with float64 host products on
// shapes off every block grid, all four transposes.
func (s *search) check(p backend.Precision) error {
	tol := 1e-12
	if p == backend.Float32 {
		tol = 1e-5 // a few float32 roundings of sums of ≤ 131 positive terms
	}
	for _, sh := range [][3]int{{67, 45, 131}, {5, 101, 37}, {1, 1, 1}} {
		for _, kind := range []string{"WH", "WtX", "XHt", "AtBt"} {
			x := shape{sh[0], sh[1], sh[2], kind}
			o, err := s.operands(p, x)
			if err != nil {
				return err
			}
			if err := s.be.Mul(o.out, o.a, o.ta, o.b, o.tb); err != nil {
				return err
			}
			got := backend.NewHost(p, x.m, x.n, nil)
			if err := s.be.Read(o.out, got); err != nil {
				return err
			}
			if err := compare(x, o, backend.Float64s(got), tol); err != nil {
				return err
			}
		}
	}
	return nil
}

// compare checks got against op(A)·op(B) formed in float64.
func compare(s shape, o *operands, got []float64, tol float64) error {
	for i := 0; i < s.m; i++ {
		for j := 0; j < s.n; j++ {
			var want float64
			for kk := 0; kk < s.k; kk++ {
				a := o.av[i*s.k+kk]
				if o.ta {
					a = o.av[kk*s.m+i]
				}
				b := o.bv[kk*s.n+j]
				if o.tb {
					b = o.bv[j*s.k+kk]
				}
				want += a * b
			}
			if d := math.Abs(got[i*s.n+j] - want); d > tol*math.Abs(want) || math.IsNaN(got[i*s.n+j]) {
				return fmt.Errorf("%s %d×%d×%d: C(%d,%d) = %v, want %v", s.kind, s.m, s.n, s.k, i, j, got[i*s.n+j], want)
			}
		}
	}
	return nil
}

// time returns the total of the median times (ms) of the shapes.
func (s *search) time(p backend.Precision) (float64, error) {
	var total float64
	for _, sh := range s.shapes {
		o, err := s.operands(p, sh)
		if err != nil {
			return 0, err
		}
		var ts []float64
		for i := 0; i < s.c.Warmup+s.c.Repeats; i++ {
			if err := s.ctx.Err(); err != nil {
				return 0, err
			}
			t := time.Now()
			if err := s.be.Mul(o.out, o.a, o.ta, o.b, o.tb); err != nil {
				return 0, err
			}
			if err := Finish(s.be); err != nil {
				return 0, err
			}
			if i >= s.c.Warmup {
				ts = append(ts, float64(time.Since(t).Nanoseconds())/1e6)
			}
		}
		total += median(ts)
	}
	return total, nil
}

func median(ts []float64) float64 {
	if len(ts) == 0 {
		return 0
	}
	s := append([]float64(nil), ts...)
	sort.Float64s(s)
	m := len(s) / 2
	if len(s)%2 == 1 {
		return s[m]
	}
	return (s[m-1] + s[m]) / 2
}
