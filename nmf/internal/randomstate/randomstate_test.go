package randomstate

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/sbinet/npyio/npy"
)

const golden = "../../../testdata/golden/seeded/rng"

type stream struct {
	Seed         uint64           `json:"seed"`
	RandomSample string           `json:"random_sample_1000"`
	Normal       string           `json:"standard_normal_1001"`
	Normal7x3    string           `json:"normal_size_7x3"`
	Permutation  map[string][]int `json:"permutation"`
	PermSixFive  [][]int          `json:"permutation_6_five_times"`
	Mixed        struct {
		First3 string `json:"standard_normal_3"`
		Perm9  []int  `json:"then_permutation_9"`
		After2 string `json:"then_standard_normal_2"`
	} `json:"mixed"`
}

func load(t *testing.T, name string) []float64 {
	t.Helper()
	f, err := os.Open(filepath.Join(golden, name))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var v []float64
	if err := npy.Read(f, &v); err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	return v
}

func streams(t *testing.T) []stream {
	raw, err := os.ReadFile(filepath.Join(golden, "rng.json"))
	if err != nil {
		t.Fatal(err)
	}
	var d struct{ Streams []stream }
	if err := json.Unmarshal(raw, &d); err != nil {
		t.Fatal(err)
	}
	if len(d.Streams) == 0 {
		t.Fatal("rng.json lists no streams")
	}
	return d.Streams
}

func fresh(t *testing.T, seed uint64) *State {
	t.Helper()
	s, err := New(seed)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// same requires bitwise equal doubles: the draws are exact in IEEE
// arithmetic except log in the polar method, where a last-bit difference
// between libm and Go is allowed.
func same(t *testing.T, what string, got, want []float64, ulps bool) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%s: %d values, want %d", what, len(got), len(want))
	}
	for i := range want {
		if got[i] == want[i] {
			continue
		}
		if ulps && abs(got[i]-want[i]) <= 4e-16*abs(want[i]) {
			continue
		}
		t.Fatalf("%s[%d] = %v, want %v", what, i, got[i], want[i])
	}
}

func abs(v float64) float64 {
	if v < 0 {
		return -v
	}
	return v
}

func normals(s *State, k int) []float64 {
	v := make([]float64, k)
	s.FillNormal(v)
	return v
}

func TestGoldenStreams(t *testing.T) {
	for _, st := range streams(t) {
		t.Run(strconv.FormatUint(st.Seed, 10), func(t *testing.T) {
			want := load(t, st.RandomSample)
			s := fresh(t, st.Seed)
			got := make([]float64, len(want))
			for i := range got {
				got[i] = s.Float64()
			}
			same(t, "random_sample", got, want, false)

			want = load(t, st.Normal)
			same(t, "standard_normal", normals(fresh(t, st.Seed), len(want)), want, true)

			want = load(t, st.Normal7x3)
			s = fresh(t, st.Seed)
			got = make([]float64, len(want))
			for i := range got {
				got[i] = s.Normal(0, 1)
			}
			same(t, "normal(size=(7, 3))", got, want, true)

			if len(st.Permutation) == 0 || len(st.PermSixFive) == 0 {
				t.Fatal("no permutations in rng.json")
			}
			for k, want := range st.Permutation {
				got := make([]int, len(want))
				fresh(t, st.Seed).Permutation(got)
				samePerm(t, "permutation("+k+")", got, want)
			}
			s = fresh(t, st.Seed)
			for i, want := range st.PermSixFive {
				got := make([]int, 6)
				s.Permutation(got)
				samePerm(t, "permutation(6) #"+strconv.Itoa(i), got, want)
			}

			s = fresh(t, st.Seed)
			same(t, "mixed standard_normal(3)", normals(s, 3), load(t, st.Mixed.First3), true)
			got9 := make([]int, len(st.Mixed.Perm9))
			s.Permutation(got9)
			samePerm(t, "mixed permutation(9)", got9, st.Mixed.Perm9)
			same(t, "mixed standard_normal(2)", normals(s, 2), load(t, st.Mixed.After2), true)
		})
	}
}

func samePerm(t *testing.T, what string, got, want []int) {
	t.Helper()
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("%s = %v, want %v", what, got, want)
		}
	}
}

func TestSeedRange(t *testing.T) {
	if _, err := New(MaxSeed); err != nil {
		t.Errorf("New(2³² − 1): %v", err)
	}
	if _, err := New(MaxSeed + 1); err == nil {
		t.Error("New(2³²) accepted")
	}
}

// TestReference checks the generator against the reference mt19937ar.c
// output for init_genrand(5489), the first words of its published test.
func TestReference(t *testing.T) {
	s := fresh(t, 5489)
	for i, want := range []uint32{3499211612, 581869302, 3890346734, 3586334585, 545404204} {
		if got := s.Uint32(); got != want {
			t.Fatalf("word %d = %d, want %d", i, got, want)
		}
	}
}

func TestInterval(t *testing.T) {
	s := fresh(t, 7)
	seen := make([]bool, 6)
	for i := 0; i < 200; i++ {
		v := s.Interval(5)
		if v > 5 {
			t.Fatalf("Interval(5) = %d", v)
		}
		seen[v] = true
	}
	for v, ok := range seen {
		if !ok {
			t.Errorf("Interval(5) never gave %d in 200 draws", v)
		}
	}
	for i := 0; i < 100; i++ {
		if v := s.Interval(1<<40 + 3); v > 1<<40+3 {
			t.Fatalf("Interval(2⁴⁰+3) = %d", v)
		}
	}
	if s.Interval(0) != 0 {
		t.Error("Interval(0) ≠ 0")
	}
}
