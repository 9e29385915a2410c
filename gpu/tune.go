package gpu

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/clnmf/clnmf/gpu/cl"
)

// GemmParams are the tuning parameters of the GEMM kernels (the -D defines
// of kernels/gemm.cl and the work-group shape of the CPU variants).
//
// Vec selects the CPU variants gemm_vn / gemm_vd (no local memory, no
// barriers, vector registers): they are the default on CPU devices. Without
// it the tiled kernels gemm / gemm_rb run, with TS×TS work-groups.
type GemmParams struct {
	Vec bool `json:"vec"`
	VW  int  `json:"vw"` // CG_VW: vector width, 2, 4, 8 or 16
	RM  int  `json:"rm"` // CG_RM: rows per work-item of gemm_vn
	VN  int  `json:"vn"` // CG_VN: vectors per row of gemm_vn
	DM  int  `json:"dm"` // CG_DM: rows per work-item of gemm_vd
	DN  int  `json:"dn"` // CG_DN: columns per work-item of gemm_vd
	PK  int  `json:"pk"` // pack B into column panels when M ≥ PK (0: never)
	LX  int  `json:"lx"` // work-group shape of the CPU variants
	LY  int  `json:"ly"`
}

// valid reports whether p can be built and run.
func (p GemmParams) valid() bool {
	if !p.Vec {
		return true
	}
	switch p.VW {
	case 2, 4, 8, 16:
	default:
		return false
	}
	for _, v := range []int{p.RM, p.VN, p.DM, p.DN, p.LX, p.LY} {
		if v < 1 || v > 64 {
			return false
		}
	}
	return p.PK >= 0 && p.LX*p.LY <= 4096 && p.VW*p.VN <= 256
}

// String is a short description, e.g. "vec vw=8 rm=4 vn=2 dm=4 dn=2 wg=8×8".
func (p GemmParams) String() string {
	if !p.Vec {
		return "tiled"
	}
	return fmt.Sprintf("vec vw=%d rm=%d vn=%d dm=%d dn=%d pk=%d wg=%d×%d", p.VW, p.RM, p.VN, p.DM, p.DN, p.PK, p.LX, p.LY)
}

// defines are p's -D defines for precision bits.
func (p GemmParams) defines(bits int) map[string]int {
	if !p.Vec {
		return nil
	}
	vw := p.VW
	if bits == 64 && vw > 2 {
		vw /= 2 // the same register width in doubles
	}
	return map[string]int{"CG_VW": vw, "CG_RM": p.RM, "CG_VN": p.VN, "CG_DM": p.DM, "CG_DN": p.DN}
}

// DefaultGemmParams returns the defaults for a device type: the vector
// variants on CPUs, the tiled kernels elsewhere.
func DefaultGemmParams(cpu bool) GemmParams {
	if cpu {
		return GemmParams{Vec: true, VW: 8, RM: 4, VN: 2, DM: 4, DN: 2, PK: 1, LX: 4, LY: 4}
	}
	return GemmParams{}
}

// deviceKey identifies a device in the tuning cache: its name and driver.
func deviceKey(d *cl.Device) string {
	return strings.TrimSpace(d.Name) + " | " + strings.TrimSpace(d.DriverVersion)
}

// TuneCachePath is the tuning cache, os.UserCacheDir()/clnmf/tune.json.
func TuneCachePath() (string, error) {
	dir, err := os.UserCacheDir()
	if err != nil {
		return "", err
	}
	return filepath.Join(dir, "clnmf", "tune.json"), nil
}

// tuneCache maps deviceKey → parameters.
type tuneCache map[string]GemmParams

func loadTuneCache() tuneCache {
	path, err := TuneCachePath()
	if err != nil {
		return nil
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return nil
	}
	var c tuneCache
	if json.Unmarshal(data, &c) != nil {
		return nil
	}
	return c
}

// cachedParams returns the cached parameters for d, if any are valid.
func cachedParams(d *cl.Device) (GemmParams, bool) {
	p, ok := loadTuneCache()[deviceKey(d)]
	if !ok || !p.valid() {
		return GemmParams{}, false
	}
	return p, true
}

// SaveGemmParams records p as the tuned parameters of b's device in the
// cache and returns the cache's path.
func (b *Backend) SaveGemmParams(p GemmParams) (string, error) {
	path, err := TuneCachePath()
	if err != nil {
		return "", err
	}
	c := loadTuneCache()
	if c == nil {
		c = tuneCache{}
	}
	c[deviceKey(b.dev)] = p
	data, err := json.MarshalIndent(c, "", "  ")
	if err != nil {
		return "", err
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return "", err
	}
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, append(data, '\n'), 0o644); err != nil {
		return "", err
	}
	return path, os.Rename(tmp, path)
}

// GemmParams returns the GEMM parameters in use.
func (b *Backend) GemmParams() GemmParams { return b.gp }

// SetGemmParams switches the GEMM parameters, dropping the built programs
// so that the next launch builds with the new defines.
func (b *Backend) SetGemmParams(p GemmParams) error {
	if !p.valid() {
		return fmt.Errorf("gpu: invalid GEMM parameters %v", p)
	}
	b.gp = p
	b.progs = [2]*cl.Program{}
	return nil
}

// IsCPU reports whether b's device is a CPU (PoCL's, for one).
func (b *Backend) IsCPU() bool { return b.dev.Type&cl.DeviceCPU != 0 }

// TuneKey is the key of b's device in the tuning cache (name and driver).
func (b *Backend) TuneKey() string { return deviceKey(b.dev) }

// Valid reports whether p can be built and run.
func (p GemmParams) Valid() bool { return p.valid() }
