package gpu_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/clnmf/clnmf/gpu"
	"github.com/clnmf/clnmf/gpu/cl"
	"github.com/clnmf/clnmf/nmf/backend"
)

// TestTooLargeIsAClearError asks the device for more than its maximum
// allocation: the error says what was needed and what the device has,
// names the step, and wraps cl.ErrTooLarge. (A fit that large would need
// gigabytes of host memory in the test; the fit wraps this same error with
// the device's name.)
func TestTooLargeIsAClearError(t *testing.T) {
	open := openerFor(t)
	b, err := open()
	if err != nil {
		t.Fatal(err)
	}
	info := b.(*gpu.Backend).Device()
	b.Close()
	// A float32 matrix one row larger than the maximum allocation.
	cols := 1 << 16
	rows := int(info.MaxAlloc/int64(4*cols)) + 1

	be, err := open()
	if err != nil {
		t.Fatal(err)
	}
	defer be.Close()
	_, err = be.NewMatrix(backend.Float32, rows, cols)
	if err == nil {
		t.Fatalf("a %d×%d float32 matrix (over the %d-byte maximum allocation) was allocated", rows, cols, info.MaxAlloc)
	}
	if !errors.Is(err, cl.ErrTooLarge) || !strings.Contains(err.Error(), "NewMatrix") || !strings.Contains(err.Error(), "maximum allocation") {
		t.Errorf("error %q: want cl.ErrTooLarge naming the step and the device's maximum allocation", err)
	}
}
