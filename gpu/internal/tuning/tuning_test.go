package tuning

import "testing"

// gemmSets are valid settings: the tiled kernels, the CPU defaults, and
// vector variants with sizes that divide nothing (as gpu's tests run).
var gemmSets = []Gemm{
	{},
	DefaultGemm(true),
	{Vec: true, VW: 4, RM: 3, VN: 1, DM: 3, DN: 3, LX: 2, LY: 3},
	{Vec: true, VW: 16, RM: 1, VN: 3, DM: 1, DN: 1, PK: 1, LX: 1, LY: 1},
}

func TestGemmParamsValid(t *testing.T) {
	for _, gp := range gemmSets {
		if !gp.Valid() {
			t.Errorf("%v not valid", gp)
		}
	}
	for _, gp := range []Gemm{{Vec: true, VW: 3, RM: 1, VN: 1, DM: 1, DN: 1, LX: 1, LY: 1}, {Vec: true, VW: 4}} {
		if gp.Valid() {
			t.Errorf("%v valid", gp)
		}
	}
}
