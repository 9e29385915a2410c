package nmf_test

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/clnmf/clnmf/cpu"
	"github.com/clnmf/clnmf/nmf"
	"github.com/clnmf/clnmf/nmf/backend"
)

// delayed is a CPU backend made slower by a fixed delay on each of the
// calls that carry an iteration's work on X (MUTerms, MulX), so that its
// speed in a probe is set by the test rather than by the machine. memory,
// when positive, makes it report that much device memory (MemoryLimits).
type delayed struct {
	backend.Backend
	delay  time.Duration
	memory int64
}

func (d *delayed) MUTerms(side backend.Side, x backend.Data, w, h backend.Matrix, beta float64, num, den backend.Matrix) error {
	time.Sleep(d.delay)
	return d.Backend.MUTerms(side, x, w, h, beta, num, den)
}

func (d *delayed) MulX(out backend.Matrix, x backend.Data, trans bool, b backend.Matrix) error {
	time.Sleep(d.delay)
	return d.Backend.MulX(out, x, trans, b)
}

// limited is delayed with MemoryLimits.
type limited struct{ *delayed }

func (l limited) MemoryLimits() (int64, int64) { return l.memory, l.memory }
func (l limited) SetMemoryCap(int64)           {}

// members opens a CPU backend per delay, each wrapped as delayed (and
// limited where memory[i] > 0).
func members(delays []time.Duration, memory []int64) func() ([]backend.Backend, error) {
	return func() ([]backend.Backend, error) {
		var bs []backend.Backend
		for i, d := range delays {
			b, err := cpu.New()
			if err != nil {
				return bs, err
			}
			var m int64
			if i < len(memory) {
				m = memory[i]
			}
			var wrapped backend.Backend = &delayed{b, d, m}
			if m > 0 {
				wrapped = limited{&delayed{b, d, m}}
			}
			bs = append(bs, wrapped)
		}
		return bs, nil
	}
}

func memberX(l, n int) *nmf.Dense[float64] {
	rng := rand.New(rand.NewPCG(3, 4))
	x := &nmf.Dense[float64]{Rows: l, Cols: n, Data: make([]float64, l*n)}
	for i := range x.Data {
		x.Data[i] = rng.Float64() * float64(1+i%5)
	}
	return x
}

// sameFit fails t unless two has one's n_iter and W, H to 1e-9 relative:
// only the order of the sums over rows differs.
func sameFit(t *testing.T, one, two *nmf.Result[float64]) {
	t.Helper()
	if two.NIter != one.NIter {
		t.Fatalf("n_iter %d on several devices, %d on one", two.NIter, one.NIter)
	}
	for _, p := range [][2][]float64{{one.W.Data, two.W.Data}, {one.H.Data, two.H.Data}} {
		for i := range p[0] {
			if d := math.Abs(p[0][i] - p[1][i]); d > 1e-9*(1+math.Abs(p[0][i])) {
				t.Fatalf("entry %d: %g on several devices, %g on one", i, p[1][i], p[0][i])
			}
		}
	}
}

// spans is the members' [Lo, Hi) of a plan.
func spans(p nmf.Plan) [][2]int {
	var s [][2]int
	for _, m := range p.Members {
		s = append(s, [2]int{m.Lo, m.Hi})
	}
	return s
}

// TestMembersEqualOne checks a fit on two CPU backends (the split
// measured) against the fit on one: the plan names both shares, n_iter is
// the same and W, H agree to 1e-9 relative, for MU (Frobenius and KL) and
// CD, randomized-SVD init included.
func TestMembersEqualOne(t *testing.T) {
	const l = 203
	x := memberX(l, 61)
	for _, c := range []struct {
		solver nmf.Solver
		loss   nmf.Loss
	}{{nmf.MU, nmf.Frobenius}, {nmf.MU, nmf.KullbackLeibler}, {nmf.CD, nmf.Frobenius}} {
		t.Run(fmt.Sprintf("%s/%v", c.solver, c.loss), func(t *testing.T) {
			opt := nmf.DefaultOptions()
			opt.Components, opt.Solver, opt.Loss, opt.MaxIter = 5, c.solver, c.loss, 60
			opt.Init = nmf.InitNNDSVDA
			opt, one := cpuFit(t, x, opt)
			opt.Backends = members(make([]time.Duration, 2), nil)
			two, err := nmf.Fit(context.Background(), x, opt)
			if err != nil {
				t.Fatal(err)
			}
			if m := two.Plan.Members; len(m) != 2 || m[0].Lo != 0 || m[0].Hi != m[1].Lo || m[1].Hi != l {
				t.Fatalf("plan members %+v, want two shares of %d rows", m, l)
			}
			sameFit(t, one, two)
		})
	}
}

// TestMemberWeightsUneven shares X 1:3 (rows) and 3:1 (columns) by
// Options.MemberWeights: the split is exactly those proportions, the plan
// says so, and the fit is the one-device fit's (MU Frobenius, MU KL, CD).
func TestMemberWeightsUneven(t *testing.T) {
	x := memberX(203, 61)
	for _, c := range []struct {
		solver  nmf.Solver
		loss    nmf.Loss
		along   nmf.Along
		weights []float64
		want    [][2]int
	}{
		{nmf.MU, nmf.Frobenius, nmf.AlongRows, []float64{1, 3}, [][2]int{{0, 51}, {51, 203}}},
		{nmf.MU, nmf.KullbackLeibler, nmf.AlongRows, []float64{1, 3}, [][2]int{{0, 51}, {51, 203}}},
		{nmf.CD, nmf.Frobenius, nmf.AlongRows, []float64{1, 3}, [][2]int{{0, 51}, {51, 203}}},
		{nmf.MU, nmf.Frobenius, nmf.AlongColumns, []float64{3, 1}, [][2]int{{0, 46}, {46, 61}}},
		{nmf.CD, nmf.Frobenius, nmf.AlongColumns, []float64{1, 2, 1}, [][2]int{{0, 15}, {15, 46}, {46, 61}}},
	} {
		t.Run(fmt.Sprintf("%s/%v/%s/%v", c.solver, c.loss, c.along, c.weights), func(t *testing.T) {
			opt := nmf.DefaultOptions()
			opt.Components, opt.Solver, opt.Loss, opt.MaxIter = 5, c.solver, c.loss, 60
			opt.Init, opt.PanelsAlong = nmf.InitNNDSVDA, c.along
			opt, one := cpuFit(t, x, opt)
			opt.Backends = members(make([]time.Duration, len(c.weights)), nil)
			opt.MemberWeights = c.weights
			two, err := nmf.Fit(context.Background(), x, opt)
			if err != nil {
				t.Fatal(err)
			}
			if got := spans(two.Plan); fmt.Sprint(got) != fmt.Sprint(c.want) {
				t.Fatalf("members' spans %v, want %v", got, c.want)
			}
			for i, m := range two.Plan.Members {
				if m.Speed.Method != "weights" || m.Speed.Weight != c.weights[i] || m.Speed.ProbeIterations != 0 {
					t.Errorf("member %d: speed %+v, want the weight %g given", i, m.Speed, c.weights[i])
				}
			}
			sameFit(t, one, two)
		})
	}
}

// TestMemberSpeedFollowsProbe makes one of two members twenty times slower
// (a delay on each call of the iteration's work on X, in either position)
// and checks that the measured split gives it the smaller share, that the
// plan reports the probe, and that the fit is the one-device fit; then it
// caps a member's memory so that it holds 20 rows resident: it gets those
// 20, marked capped, the other the rest.
func TestMemberSpeedFollowsProbe(t *testing.T) {
	const l = 203
	x := memberX(l, 61)
	// Twenty times slower by the delays alone: the split is about 1:20, so
	// the check below (under 1:2) holds with a tenfold margin for a loaded
	// machine's noise, and fails if the probe ignored speed (about 1:1).
	fast, slow := time.Millisecond, 20*time.Millisecond
	for _, solver := range []nmf.Solver{nmf.MU, nmf.CD} {
		opt := nmf.DefaultOptions()
		opt.Components, opt.Solver, opt.MaxIter = 5, solver, 20
		opt, one := cpuFit(t, x, opt)
		for _, slowFirst := range []bool{false, true} {
			t.Run(fmt.Sprintf("%s/slowFirst=%v", solver, slowFirst), func(t *testing.T) {
				delays, s := []time.Duration{fast, slow}, 1
				if slowFirst {
					delays, s = []time.Duration{slow, fast}, 0
				}
				opt.Backends = members(delays, nil)
				two, err := nmf.Fit(context.Background(), x, opt)
				if err != nil {
					t.Fatal(err)
				}
				m := two.Plan.Members
				rows := func(i int) int { return m[i].Hi - m[i].Lo }
				for i := range m {
					if sp := m[i].Speed; sp.Method != "probe" || !(sp.Weight > 0) || sp.ProbeRows < 1 || sp.ProbeIterations < 1 || !(sp.ProbeSeconds > 0) || sp.WallSeconds < sp.ProbeSeconds {
						t.Errorf("member %d: speed %+v, want a probe's figures", i, sp)
					}
				}
				// Only the ordering, with the wide margin above: the slow member's
				// share is under half the other's and its weight the smaller.
				if len(m) != 2 || m[0].Lo != 0 || m[0].Hi != m[1].Lo || m[1].Hi != l || 2*rows(s) >= rows(1-s) || m[s].Speed.Weight >= m[1-s].Speed.Weight {
					t.Fatalf("members %+v: want the slow member %d to have the smaller share", m, s)
				}
				sameFit(t, one, two)
			})
		}
	}
	t.Run("capped", func(t *testing.T) {
		opt := nmf.DefaultOptions()
		opt.Components, opt.MaxIter = 5, 20
		opt, one := cpuFit(t, x, opt)
		// 20 rows of X (61 float64) and their W and terms (4 per component)
		// beside H's terms (6 per component and column), the Gram and the
		// planner's reserve for the backend's scratch.
		memory := int64(16<<20 + 8*(6*5*61+2*5*5) + 20*8*(61+4*5) + 8)
		opt.Backends = members([]time.Duration{fast, fast}, []int64{0, memory})
		two, err := nmf.Fit(context.Background(), x, opt)
		if err != nil {
			t.Fatal(err)
		}
		m := two.Plan.Members
		if got := spans(two.Plan); fmt.Sprint(got) != fmt.Sprint([][2]int{{0, l - 20}, {l - 20, l}}) || !m[1].Speed.Capped || m[0].Speed.Capped || m[1].Streamed {
			t.Fatalf("members %+v: want the second capped to 20 resident rows", m)
		}
		sameFit(t, one, two)
	})
}

// TestMemberWeightsBad: a wrong count of weights, or a weight that is not a
// finite number > 0, is one line naming MemberWeights.
func TestMemberWeightsBad(t *testing.T) {
	x := memberX(20, 8)
	for _, c := range []struct {
		weights []float64
		devices int
		want    string
	}{
		{[]float64{1}, 2, "1 weights for 2 devices"},
		{[]float64{1, 2, 3}, 2, "3 weights for 2 devices"},
		{[]float64{1, 2}, 0, "2 weights for 1 device;"},
		{[]float64{1, -1}, 2, "weight 2 is -1"},
		{[]float64{0, 1}, 2, "weight 1 is 0"},
		{[]float64{1, math.NaN()}, 2, "weight 2 is NaN"},
		{[]float64{math.Inf(1), 1}, 2, "weight 1 is +Inf"},
	} {
		opt := nmf.DefaultOptions()
		opt.Components, opt.MemberWeights = 2, c.weights
		opt.Backend = func() (backend.Backend, error) { return cpu.New() }
		if c.devices > 0 {
			opt.Backends = members(make([]time.Duration, c.devices), nil)
		}
		_, err := nmf.Fit(context.Background(), x, opt)
		if err == nil || !strings.Contains(err.Error(), "MemberWeights") || !strings.Contains(err.Error(), c.want) || strings.Contains(err.Error(), "\n") {
			t.Errorf("weights %v on %d devices: error %v, want one line with %q", c.weights, c.devices, err, c.want)
		}
	}
}
