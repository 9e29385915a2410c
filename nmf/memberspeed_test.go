package nmf

import (
	"fmt"
	"testing"
)

// TestMemberShares checks the split by weights: proportional with one row
// at least each; a measured share beyond a member's cap cut to it, the
// excess going to the others by their weights; no cap when the caps
// together fall short of X (then every member over its cap streams); given
// weights followed whatever the caps.
func TestMemberShares(t *testing.T) {
	probe := func(w ...float64) []MemberSpeed {
		sp := make([]MemberSpeed, len(w))
		for i := range w {
			sp[i] = MemberSpeed{Method: "probe", Weight: w[i]}
		}
		return sp
	}
	given := probe(3, 1)
	for i := range given {
		given[i].Method = "weights"
	}
	for _, c := range []struct {
		sp         []MemberSpeed
		caps       []int
		size       int
		want       []int
		wantCapped []bool
	}{
		{probe(1, 1), []int{0, 0}, 50, []int{0, 25, 50}, []bool{false, false}},
		{probe(1, 3), []int{0, 0}, 203, []int{0, 51, 203}, []bool{false, false}},
		{probe(1000, 1), []int{0, 0}, 10, []int{0, 9, 10}, []bool{false, false}},
		{probe(1e308, 1e308), []int{0, 0}, 1024, []int{0, 512, 1024}, []bool{false, false}}, // no overflow of the sum
		{probe(1e308, 1e308, 1e308), []int{0, 0, 0}, 300, []int{0, 100, 200, 300}, []bool{false, false, false}},
		{probe(1, 1), []int{0, 20}, 203, []int{0, 183, 203}, []bool{false, true}},
		{probe(3, 1, 1), []int{50, 0, 0}, 203, []int{0, 50, 127, 203}, []bool{true, false, false}},
		{probe(1, 1, 2), []int{100, 100, 60}, 203, []int{0, 72, 143, 203}, []bool{false, false, true}},
		{probe(1, 1), []int{20, 30}, 203, []int{0, 102, 203}, []bool{false, false}}, // short: by speed
		{given, []int{20, 20}, 200, []int{0, 150, 200}, []bool{false, false}},
	} {
		got := memberShares(c.sp, c.caps, c.size)
		var capped []bool
		for _, s := range c.sp {
			capped = append(capped, s.Capped)
		}
		if fmt.Sprint(got, capped) != fmt.Sprint(c.want, c.wantCapped) {
			t.Errorf("weights %+v caps %v size %d: bounds %v capped %v, want %v %v", c.sp, c.caps, c.size, got, capped, c.want, c.wantCapped)
		}
	}
}
