package cpu_test

import (
	"fmt"
	"testing"

	"github.com/clnmf/clnmf/cpu"
	"github.com/clnmf/clnmf/nmf"
	"github.com/clnmf/clnmf/nmf/backend"
	"github.com/clnmf/clnmf/nmf/nmftest"
)

// TestGoldenPanels runs the golden fits, transforms and inits with X and W
// in row panels of 1, 7 and 4 rows (the golden matrices' row counts are not
// multiples of 7 or 4: uneven last panels), dense and sparse.
func TestGoldenPanels(t *testing.T) {
	newB := func() (backend.Backend, error) { return cpu.New() }
	for _, rows := range []int{1, 7, 4} {
		t.Run(fmt.Sprintf("rows=%d", rows), func(t *testing.T) {
			nmftest.GoldenWith(t, "../testdata/golden", newB, func(o *nmf.Options) { o.PanelRows = rows })
		})
	}
}
