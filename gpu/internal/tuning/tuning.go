// Package tuning holds the tuned parameters of the GEMM kernels and their
// per-device cache, which package gpu reads when it opens a device and
// package gpu/tune writes after a search, and the access to a backend that
// gpu hands gpu/tune without exporting it (Hooks).
//
// It is internal to gpu: library users see neither the parameters nor the
// hooks; `nmf bench --tune` reaches them through gpu/tune.
package tuning

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/clnmf/clnmf/gpu/cl"
)

// Gemm are the tuning parameters of the GEMM kernels (the -D defines of
// kernels/gemm.cl and the work-group shape of the CPU variants).
//
// Vec selects the CPU variants gemm_vn / gemm_vd (no local memory, no
// barriers, vector registers): they are the default on CPU devices. X (MWG
// > 0) selects kernels/xgemm.cl with its parameters, the default of the gpu
// profile. With neither, the tiled kernels gemm / gemm_rb run, with TS×TS
// work-groups (the gpu profile's kernels before xgemm; a tuner candidate).
type Gemm struct {
	Vec bool  `json:"vec"`
	VW  int   `json:"vw"` // CG_VW: vector width, 2, 4, 8 or 16
	RM  int   `json:"rm"` // CG_RM: rows per work-item of gemm_vn
	VN  int   `json:"vn"` // CG_VN: vectors per row of gemm_vn
	DM  int   `json:"dm"` // CG_DM: rows per work-item of gemm_vd
	DN  int   `json:"dn"` // CG_DN: columns per work-item of gemm_vd
	PK  int   `json:"pk"` // pack B into column panels when M ≥ PK (0: never)
	LX  int   `json:"lx"` // work-group shape of the CPU variants
	LY  int   `json:"ly"`
	X   XGemm `json:"x,omitzero"`
}

// IsX says whether p selects xgemm.
func (p Gemm) IsX() bool { return p.X.MWG > 0 }

// Valid reports whether p can be built and run.
func (p Gemm) Valid() bool {
	if p.IsX() {
		return !p.Vec && p.X.Valid()
	}
	if p.X != (XGemm{}) {
		return false
	}
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
func (p Gemm) String() string {
	if p.IsX() {
		return p.X.String()
	}
	if !p.Vec {
		return "tiled"
	}
	return fmt.Sprintf("vec vw=%d rm=%d vn=%d dm=%d dn=%d pk=%d wg=%d×%d", p.VW, p.RM, p.VN, p.DM, p.DN, p.PK, p.LX, p.LY)
}

// VecWidth is the vector width in elements of precision bits: the same
// register width in doubles as VW in floats.
func (p Gemm) VecWidth(bits int) int {
	if bits == 64 && p.VW > 2 {
		return p.VW / 2
	}
	return p.VW
}

// Defines are p's -D defines for precision bits.
func (p Gemm) Defines(bits int) map[string]int {
	if p.IsX() {
		return p.X.Defines()
	}
	if !p.Vec {
		return nil
	}
	return map[string]int{"CG_VW": p.VecWidth(bits), "CG_RM": p.RM, "CG_VN": p.VN, "CG_DM": p.DM, "CG_DN": p.DN}
}

// DefaultGemm returns the defaults of a profile: the vector variants for
// the cpu profile, xgemm with d's vendor defaults (DefaultXGemm) for the
// gpu profile.
func DefaultGemm(d *cl.Device, cpu bool) Gemm {
	if cpu {
		return Gemm{Vec: true, VW: 8, RM: 4, VN: 2, DM: 4, DN: 2, PK: 1, LX: 4, LY: 4}
	}
	return Gemm{X: DefaultXGemm(d)}
}

// Key identifies a device in the cache: its name and driver.
func Key(d *cl.Device) string {
	return strings.TrimSpace(d.Name) + " | " + strings.TrimSpace(d.DriverVersion)
}

// CachePath is the cache, os.UserCacheDir()/clnmf/tune.json.
func CachePath() (string, error) {
	dir, err := os.UserCacheDir()
	if err != nil {
		return "", err
	}
	return filepath.Join(dir, "clnmf", "tune.json"), nil
}

// cache maps Key → parameters.
type cache map[string]Gemm

func load() cache {
	path, err := CachePath()
	if err != nil {
		return nil
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return nil
	}
	var c cache
	if json.Unmarshal(data, &c) != nil {
		return nil
	}
	return c
}

// Cached returns the cached parameters for d, if any are valid.
func Cached(d *cl.Device) (Gemm, bool) {
	p, ok := load()[Key(d)]
	if !ok || !p.Valid() {
		return Gemm{}, false
	}
	return p, true
}

// Save records p as the tuned parameters of d in the cache and returns the
// cache's path. The file is replaced atomically.
func Save(d *cl.Device, p Gemm) (string, error) {
	path, err := CachePath()
	if err != nil {
		return "", err
	}
	c := load()
	if c == nil {
		c = cache{}
	}
	c[Key(d)] = p
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

// Hooks are what gpu/tune needs of a *gpu.Backend (passed as any, since
// this package cannot name the type): package gpu sets them in its init.
// Each returns ok false for a value that is not an open *gpu.Backend (or,
// for Buffer, a matrix of one).
var Hooks struct {
	// Device returns the backend's device.
	Device func(be any) (*cl.Device, bool)
	// Gemm returns the GEMM parameters in use.
	Gemm func(be any) (Gemm, bool)
	// SetGemm switches the GEMM parameters (the programs are rebuilt on
	// the next launch); it fails for invalid parameters.
	SetGemm func(be any, p Gemm) error
	// Queue returns the backend's command queue.
	Queue func(be any) (*cl.Queue, bool)
	// Buffer returns the device buffer of a matrix.
	Buffer func(m any) (*cl.Buffer, bool)
}
