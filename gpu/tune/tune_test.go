package tune

import (
	"testing"

	"github.com/clnmf/clnmf/gpu/internal/tuning"
)

// TestCandidatesValid checks that every candidate of the search from the
// CPU defaults is valid.
func TestCandidatesValid(t *testing.T) {
	def := tuning.DefaultGemm(true)
	for _, gp := range append(append(stage1(def), stage2(def)...), stage3(def)...) {
		if !gp.Valid() {
			t.Errorf("candidate %v is not valid", gp)
		}
	}
}

// TestNotOpenCL checks the answers for a backend that is not OpenCL's.
func TestNotOpenCL(t *testing.T) {
	if _, err := Key(nil); err != ErrNotOpenCL {
		t.Errorf("Key(nil): %v", err)
	}
	if err := Finish(nil); err != nil {
		t.Errorf("Finish(nil): %v", err)
	}
	if _, ok := Queue(nil); ok {
		t.Error("Queue(nil) ok")
	}
	if _, ok := Buffer(nil); ok {
		t.Error("Buffer(nil) ok")
	}
}
