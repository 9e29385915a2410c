package gpu

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/clnmf/clnmf/nmf/backend"
)

// TestOclgrindKernels reaches every kernel of the backend's profile on
// shapes small enough for oclgrind (make oclgrind-ci runs it under both
// profiles): each GEMM launch path the profile plans (checked through the
// plans, so a change of the planner that stops reaching one fails here:
// the four xgemm kernels and split K under the gpu profile, the vector and
// packed variants under the cpu profile, gemm and gemm_rb for the tiled
// parameters),
// then the fused, materialised and sparse MU terms and the divergence.
func TestOclgrindKernels(t *testing.T) {
	b := dev(t)
	rng := rand.New(rand.NewPCG(51, 52))
	type gcase struct {
		M, N, K int
		split   bool // raise splitTarget: split every long K
		pack    bool // lower packMin: pack B whenever PK allows
	}
	cases := []gcase{{7, 9, 8, false, false}, {65, 66, 3, false, false}, {5, 6, 260, true, false}, {9, 7, 5, false, true}}
	want := []string{"gemm", "gemm_rb"}
	switch gp := b.kp.gemm; {
	case gp.Vec:
		want = []string{"gemm_vn", "gemm_vd", "gemm_pack+gemm_vn"}
	case gp.IsX():
		want = xgemmNames[:]
	}
	seen := map[string]bool{}
	splitSeen := false
	packMin, split := b.packMin, b.splitTarget
	defer func() { b.packMin, b.splitTarget = packMin, split }()
	for _, c := range cases {
		b.splitTarget, b.packMin = split, packMin
		if c.split {
			b.splitTarget = 1 << 20
		}
		if c.pack {
			b.packMin = 0
		}
		for tr := 0; tr < 4; tr++ {
			ta, tb := tr&1 != 0, tr&2 != 0
			pl, err := b.planGemm(backend.Float32, c.M, c.N, c.K, planOperand(ta, c.M, c.K), planOperand(tb, c.K, c.N))
			if err != nil {
				t.Fatal(err)
			}
			seen[pl.kernel.String()] = true
			if pl.kernel == gemmX {
				seen[pl.x.name] = true
			}
			splitSeen = splitSeen || pl.slices > 1
			for _, p := range precisions {
				t.Run(fmt.Sprintf("%v/%v/%d×%d×%d/ta=%v/tb=%v", b.profile, p, c.M, c.N, c.K, ta, tb), func(t *testing.T) {
					mulCase(t, b, rng, p, c.M, c.N, c.K, ta, tb)
				})
			}
		}
	}
	for _, k := range want {
		if !seen[k] {
			t.Errorf("profile %v: no shape reached %v (reached %v)", b.profile, k, seen)
		}
	}
	if !b.kp.gemm.Vec && !splitSeen { // gemm or xgemm
		t.Errorf("profile %v: no shape reached split-K", b.profile)
	}
	b.splitTarget, b.packMin = split, packMin
	// X crossing a TF = 16 tile in each direction; k small (oclgrind
	// simulates every work-item). The fused kernels split the 17 into two
	// blocks (summed by gemm_slices) on one side and not on the other; the CD rows
	// cross a cd_block group.
	b.launched = map[string]int{}
	defer func() { b.launched = nil }()
	shapes := [][3]int{{5, 17, 2}, {17, 5, 2}}
	muTermsCases(t, b, shapes)
	divergenceCases(t, b, shapes)
	cdCases(t, b, [][3]int{{b.kp.cd.rows + 3, 4, 3}})
	for _, name := range reachedKernels() {
		if b.launched[name] == 0 {
			t.Errorf("profile %v: no shape reached kernel %s", b.profile, name)
		}
	}
}

// reachedKernels are the kernels besides the GEMM's that
// TestOclgrindKernels must reach.
func reachedKernels() []string {
	names := []string{"gemm_slices", "mu_elem", "sddmm_ratio", "sddmm_ratio_t", "spmm", "div_dense", "div_sparse", "div_sparse_t", "cd_sweep", "cd_block"}
	for _, base := range []string{"mu_fused_w", "mu_fused_h", "mu_fused_wr", "mu_fused_hr"} {
		for _, v := range fusedVariants {
			names = append(names, base+v)
		}
	}
	return names
}

// planOperand is the layout Mul gives op(M) for an r×c product operand:
// plain, or the transpose of a c×r matrix.
func planOperand(tr bool, r, c int) operand {
	if tr {
		return trans(nil, r)
	}
	return plain(nil, c)
}
