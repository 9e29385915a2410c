package cl

import (
	"debug/elf"
	"errors"
	"os"
	"os/exec"
	"runtime"
	"strings"
	"testing"
)

// helperEnv selects a scenario of TestHelperProcess in a subprocess.
const helperEnv = "CLNMF_CL_TEST_HELPER"

// TestHelperProcess runs, in a subprocess started by runHelper, what needs a
// fresh process: Load happens once per process.
func TestHelperProcess(t *testing.T) {
	switch os.Getenv(helperEnv) {
	case "":
		return // not a subprocess
	case "nolib":
		libNames = []string{"libclnmf-no-such-library.so.1", "libclnmf-no-such-library.so"}
		err := Load()
		if !errors.Is(err, ErrNoOpenCL) {
			t.Fatalf("Load() = %v, want ErrNoOpenCL", err)
		}
		for _, name := range libNames {
			if !strings.Contains(err.Error(), name) {
				t.Errorf("error %q does not name %s", err, name)
			}
		}
		if err2 := Load(); err2 != err {
			t.Errorf("second Load() = %v, want the first error", err2)
		}
		if _, err := Platforms(); !errors.Is(err, ErrNoOpenCL) {
			t.Errorf("Platforms() = %v, want ErrNoOpenCL", err)
		}
		if _, err := DefaultDevice(); !errors.Is(err, ErrNoOpenCL) {
			t.Errorf("DefaultDevice() = %v, want ErrNoOpenCL", err)
		}
		if _, err := NewContext(&Device{id: 1, Platform: &Platform{id: 1}}); !errors.Is(err, ErrNoOpenCL) {
			t.Errorf("NewContext() = %v, want ErrNoOpenCL", err)
		}
		t.Log(err)
	case "noplatform":
		_, err := Platforms()
		if !errors.Is(err, ErrNoPlatform) {
			t.Fatalf("Platforms() = %v, want ErrNoPlatform", err)
		}
		if _, err := DefaultDevice(); !errors.Is(err, ErrNoPlatform) {
			t.Errorf("DefaultDevice() = %v, want ErrNoPlatform", err)
		}
		t.Log(err)
	default:
		t.Fatalf("unknown %s=%q", helperEnv, os.Getenv(helperEnv))
	}
}

// runHelper runs TestHelperProcess in a subprocess with the scenario and
// extra environment, without LD_PRELOAD (oclgrind's would bring a platform).
func runHelper(t *testing.T, scenario string, env ...string) {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^TestHelperProcess$", "-test.v", "-test.count=1")
	for _, e := range os.Environ() {
		if !strings.HasPrefix(e, "LD_PRELOAD=") && !strings.HasPrefix(e, helperEnv+"=") {
			cmd.Env = append(cmd.Env, e)
		}
	}
	cmd.Env = append(cmd.Env, helperEnv+"="+scenario)
	cmd.Env = append(cmd.Env, env...)
	out, err := cmd.CombinedOutput()
	t.Logf("subprocess output:\n%s", out)
	if err != nil || !strings.Contains(string(out), "--- PASS: TestHelperProcess") {
		t.Fatalf("subprocess %s: %v", scenario, err)
	}
}

func TestNoLibrary(t *testing.T) {
	runHelper(t, "nolib")
}

func TestNoPlatform(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("OCL_ICD_VENDORS is the Linux ICD loader's")
	}
	h, err := openLibrary("libOpenCL.so.1")
	if err == nil {
		closeLibrary(h)
	} else {
		// The scenario needs the ICD loader itself.
		if os.Getenv("CI") == "true" {
			t.Fatalf("no OpenCL ICD loader (CI=true): %v", err)
		}
		t.Skipf("no OpenCL ICD loader: %v", err)
	}
	runHelper(t, "noplatform", "OCL_ICD_VENDORS="+t.TempDir(), "OCL_ICD_FILENAMES=")
}

func TestLoadMissingNames(t *testing.T) {
	_, _, err := load([]string{"libclnmf-missing-a.so", "libclnmf-missing-b.so"})
	if !errors.Is(err, ErrNoOpenCL) || !strings.Contains(err.Error(), "libclnmf-missing-a.so") || !strings.Contains(err.Error(), "libclnmf-missing-b.so") {
		t.Errorf("load = %v", err)
	}
	if _, _, err := load(nil); !errors.Is(err, ErrNoOpenCL) {
		t.Errorf("load(nil) = %v", err)
	}
}

func TestLoadLibraryWithoutOpenCL(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("linux library names")
	}
	// libc opens fine but has no clGetPlatformIDs: a missing-symbol error,
	// not a panic.
	_, _, err := load([]string{"libc.so.6"})
	if !errors.Is(err, ErrNoOpenCL) || !strings.Contains(err.Error(), "missing clGetPlatformIDs") {
		t.Errorf("load(libc) = %v", err)
	}
}

// TestNotLinked checks that the test binary does not link OpenCL: it is
// opened at run time only.
func TestNotLinked(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("ELF only")
	}
	f, err := elf.Open(os.Args[0])
	if err != nil {
		t.Skip(err)
	}
	defer f.Close()
	libs, err := f.ImportedLibraries()
	if err != nil {
		t.Skip(err)
	}
	for _, l := range libs {
		if strings.Contains(strings.ToLower(l), "opencl") {
			t.Errorf("binary links %s", l)
		}
	}
}
