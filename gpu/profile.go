package gpu

import (
	"fmt"
	"os"
	"strings"

	"github.com/clnmf/clnmf/gpu/cl"
)

// Profile is the set of kernels, parameters and plans a backend uses: a
// GPU's (the tiled GEMM kernels, local-memory tiles) or a CPU device's (the
// vector GEMM variants without local memory). By default each device gets
// its type's; forcing ProfileGPU on a CPU device (PoCL, oclgrind) runs
// exactly what a GPU runs, which is how the GPU path is tested without one.
type Profile int

const (
	// ProfileAuto takes CLNMF_OPENCL_PROFILE when set, else the device
	// type's profile.
	ProfileAuto Profile = iota
	// ProfileGPU is what GPUs (and accelerators) run.
	ProfileGPU
	// ProfileCPU is what CPU devices run.
	ProfileCPU
)

// EnvProfile names the environment variable that sets the profile of
// backends opened with ProfileAuto: "gpu" or "cpu" (empty: by device type).
const EnvProfile = "CLNMF_OPENCL_PROFILE"

// String returns "auto", "gpu" or "cpu".
func (p Profile) String() string {
	switch p {
	case ProfileAuto:
		return "auto"
	case ProfileGPU:
		return "gpu"
	case ProfileCPU:
		return "cpu"
	}
	return fmt.Sprintf("Profile(%d)", int(p))
}

// ParseProfile parses "auto" (or ""), "gpu" or "cpu".
func ParseProfile(s string) (Profile, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "", "auto":
		return ProfileAuto, nil
	case "gpu":
		return ProfileGPU, nil
	case "cpu":
		return ProfileCPU, nil
	}
	return 0, fmt.Errorf("gpu: profile %q: want gpu, cpu or auto", s)
}

// Options are the settings of OpenWith; the zero value is Open's.
type Options struct {
	// Profile selects the kernels, parameters and plans (see Profile).
	Profile Profile
	// NoTuneCache ignores the tuning cache that nmf bench --tune writes,
	// so that the GEMM parameters are the profile's defaults (tests use
	// it: a stale cache never changes what they run).
	NoTuneCache bool
}

// typeProfile is the profile of d's type.
func typeProfile(d *cl.Device) Profile {
	if d.Type&cl.DeviceCPU != 0 {
		return ProfileCPU
	}
	return ProfileGPU
}

// resolveProfile turns ProfileAuto into the environment's or d's type's.
func resolveProfile(p Profile, d *cl.Device) (Profile, error) {
	if p != ProfileAuto {
		if p != ProfileGPU && p != ProfileCPU {
			return 0, fmt.Errorf("gpu: invalid profile %v", p)
		}
		return p, nil
	}
	v := os.Getenv(EnvProfile)
	env, err := ParseProfile(v)
	if err != nil {
		return 0, fmt.Errorf("gpu: %s=%q: want gpu, cpu or auto (or unset)", EnvProfile, v)
	}
	if env != ProfileAuto {
		return env, nil
	}
	return typeProfile(d), nil
}
