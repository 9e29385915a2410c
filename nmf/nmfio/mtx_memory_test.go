package nmfio

import (
	"fmt"
	"math"
	"runtime/metrics"
	"slices"
	"strings"
	"testing"
)

// TestReadMTXSortedInPlace checks that a .mtx sorted by row is read straight
// into CSR form (no coordinate copy: about 16 bytes an entry allocated),
// one that is not with at most one copy (about 36 bytes an entry), and that
// both give the same matrix.
func TestReadMTXSortedInPlace(t *testing.T) {
	const rows, cols, perRow = 2000, 500, 50
	var sorted, shuffled strings.Builder
	head := fmt.Sprintf("%%%%MatrixMarket matrix coordinate real general\n%d %d %d\n", rows, cols, rows*perRow)
	sorted.WriteString(head)
	shuffled.WriteString(head)
	var lines []string
	for i := 1; i <= rows; i++ {
		for c := 0; c < perRow; c++ {
			j := 1 + (c*7+i)%cols
			lines = append(lines, fmt.Sprintf("%d %d %d\n", i, j, 1+(i+j)%9))
		}
	}
	for _, l := range lines {
		sorted.WriteString(l)
	}
	for k := range lines { // rows interleaved: out of row order from the second line
		shuffled.WriteString(lines[(k*perRow+k/rows)%len(lines)])
	}
	nnz := float64(rows * perRow)
	// The counter is the process's: what other goroutines allocate meanwhile
	// (tests of the package run in parallel) only adds to it, so the least
	// of three reads is this reader's own.
	read := func(name, text string) (*Input, float64) {
		path := writeTemp(t, name, []byte(text))
		var in *Input
		least := math.Inf(1)
		for range 3 {
			s := []metrics.Sample{{Name: "/gc/heap/allocs:bytes"}}
			metrics.Read(s)
			before := s[0].Value.Uint64()
			got, err := Read(path)
			if err != nil {
				t.Fatal(err)
			}
			metrics.Read(s)
			in, least = got, min(least, float64(s[0].Value.Uint64()-before)/nnz)
		}
		return in, least
	}
	a, perSorted := read("sorted.mtx", sorted.String())
	b, perShuffled := read("shuffled.mtx", shuffled.String())
	t.Logf("bytes allocated per entry: sorted %.1f, not sorted %.1f", perSorted, perShuffled)
	if perSorted > 20 {
		t.Errorf("sorted by row: %.1f bytes per entry, want about 16 (no coordinate copy)", perSorted)
	}
	if perShuffled > mtxEntryBytes+4 {
		t.Errorf("not sorted: %.1f bytes per entry, want at most %d", perShuffled, mtxEntryBytes)
	}
	if !slices.Equal(a.Sparse.Indptr, b.Sparse.Indptr) || !slices.Equal(a.Sparse.Indices, b.Sparse.Indices) || !slices.Equal(a.Sparse.Data, b.Sparse.Data) {
		t.Error("the sorted and shuffled files give different matrices")
	}
}
