package nmfio

import (
	"fmt"
	"strings"
	"testing"

	"github.com/clnmf/clnmf/nmf"
)

func TestReadMTX(t *testing.T) {
	tests := []struct {
		name, text string
		want       nmf.CSR[float64]
	}{
		{"general real",
			"%%MatrixMarket matrix coordinate real general\n% a comment\n%\n3 4 4\n1 1 1.5\n2 3 -2\n3 4 1e-3\n3 1 7\n",
			nmf.CSR[float64]{Rows: 3, Cols: 4, Indptr: []int{0, 1, 2, 4}, Indices: []int{0, 2, 0, 3}, Data: []float64{1.5, -2, 7, 1e-3}}},
		{"empty rows and an all-zero matrix row",
			"%%MatrixMarket matrix coordinate real general\n4 2 1\n3 2 5\n",
			nmf.CSR[float64]{Rows: 4, Cols: 2, Indptr: []int{0, 0, 0, 1, 1}, Indices: []int{1}, Data: []float64{5}}},
		{"no entries",
			"%%MatrixMarket matrix coordinate real general\n2 2 0\n",
			nmf.CSR[float64]{Rows: 2, Cols: 2, Indptr: []int{0, 0, 0}, Indices: []int{}, Data: []float64{}}},
		{"unsorted, duplicates summed in file order",
			"%%MatrixMarket matrix coordinate real general\n2 3 6\n2 3 1\n1 2 0.5\n2 1 4\n1 2 0.25\n2 3 2\n1 2 0.125\n",
			nmf.CSR[float64]{Rows: 2, Cols: 3, Indptr: []int{0, 1, 3}, Indices: []int{1, 0, 2}, Data: []float64{0.875, 4, 3}}},
		{"explicit zero kept",
			"%%MatrixMarket matrix coordinate real general\n1 2 1\n1 2 0\n",
			nmf.CSR[float64]{Rows: 1, Cols: 2, Indptr: []int{0, 1}, Indices: []int{1}, Data: []float64{0}}},
		{"integer",
			"%%MatrixMarket matrix coordinate integer general\n2 2 2\n1 1 3\n2 2 -4\n",
			nmf.CSR[float64]{Rows: 2, Cols: 2, Indptr: []int{0, 1, 2}, Indices: []int{0, 1}, Data: []float64{3, -4}}},
		{"pattern",
			"%%MatrixMarket matrix coordinate pattern general\n2 3 3\n1 3\n2 1\n2 2\n",
			nmf.CSR[float64]{Rows: 2, Cols: 3, Indptr: []int{0, 1, 3}, Indices: []int{2, 0, 1}, Data: []float64{1, 1, 1}}},
		{"symmetric mirrors off-diagonal entries",
			"%%MatrixMarket matrix coordinate real symmetric\n3 3 4\n1 1 1\n2 1 2\n3 2 3\n3 3 4\n",
			// Rows {0:1, 1:2}, {0:2, 2:3}, {1:3, 2:4}.
			nmf.CSR[float64]{Rows: 3, Cols: 3, Indptr: []int{0, 2, 4, 6}, Indices: []int{0, 1, 0, 2, 1, 2}, Data: []float64{1, 2, 2, 3, 3, 4}}},
		{"symmetric pattern",
			"%%MatrixMarket matrix coordinate pattern symmetric\n2 2 2\n2 1\n2 2\n",
			nmf.CSR[float64]{Rows: 2, Cols: 2, Indptr: []int{0, 1, 3}, Indices: []int{1, 0, 1}, Data: []float64{1, 1, 1}}},
		{"case, CRLF, tabs, blank lines, comments among entries, no final newline",
			"%%matrixmarket MATRIX Coordinate Real General\r\n\r\n2 2 2\r\n% c\r\n 1\t2   3 \r\n\r\n2 1 4",
			nmf.CSR[float64]{Rows: 2, Cols: 2, Indptr: []int{0, 1, 2}, Indices: []int{1, 0}, Data: []float64{3, 4}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in, err := Read(writeTemp(t, "x.mtx", []byte(tt.text)))
			if err != nil {
				t.Fatal(err)
			}
			if in.Kind != "mtx" || in.Sparse == nil || in.Dense32 != nil || in.Dense64 != nil {
				t.Fatalf("want Sparse only, kind mtx: %+v", in)
			}
			got := in.Sparse
			if got.Rows != tt.want.Rows || got.Cols != tt.want.Cols ||
				!equalSlices(got.Indptr, tt.want.Indptr) || !equalSlices(got.Indices, tt.want.Indices) ||
				!equalSlices(got.Data, tt.want.Data) {
				t.Errorf("got  %+v\nwant %+v", *got, tt.want)
			}
			if in.NNZ() != len(tt.want.Data) {
				t.Errorf("NNZ = %d", in.NNZ())
			}
			checkCSR(t, got)
		})
	}
}

// checkCSR checks the invariants nmf.CSR documents.
func checkCSR(t *testing.T, m *nmf.CSR[float64]) {
	t.Helper()
	if len(m.Indptr) != m.Rows+1 || m.Indptr[0] != 0 || m.Indptr[m.Rows] != len(m.Data) || len(m.Indices) != len(m.Data) {
		t.Fatalf("bad CSR shape: %+v", m)
	}
	for i := range m.Rows {
		if m.Indptr[i] > m.Indptr[i+1] {
			t.Fatalf("Indptr decreases at row %d", i)
		}
		for p := m.Indptr[i]; p < m.Indptr[i+1]; p++ {
			if m.Indices[p] < 0 || m.Indices[p] >= m.Cols || p > m.Indptr[i] && m.Indices[p] <= m.Indices[p-1] {
				t.Fatalf("row %d: bad column indices %v", i, m.Indices[m.Indptr[i]:m.Indptr[i+1]])
			}
		}
	}
}

func TestReadMTXErrors(t *testing.T) {
	const banner = "%%MatrixMarket matrix coordinate real general\n"
	// entries returns n entry lines of a 40×30 matrix.
	entries := func(n int) string {
		var b strings.Builder
		for k := range n {
			fmt.Fprintf(&b, "%d %d 1\n", k%40+1, k%30+1)
		}
		return b.String()
	}
	tests := []struct {
		name, text string
		want       string // the whole error after "<path>: "
	}{
		{"empty", "", "empty file"},
		{"no banner", "3 3 1\n1 1 1\n", "line 1: not a Matrix Market file"},
		{"short banner", "%%MatrixMarket matrix coordinate real\n", "line 1: banner has 4 words, expected 5"},
		{"vector", "%%MatrixMarket vector coordinate real general\n", `line 1: banner: object "vector" is not supported`},
		{"array", "%%MatrixMarket matrix array real general\n2 2\n1\n2\n3\n4\n", "line 1: banner: array (dense) format is not supported; only coordinate"},
		{"unknown format", "%%MatrixMarket matrix sparse real general\n", `line 1: banner: unknown format "sparse"`},
		{"complex", "%%MatrixMarket matrix coordinate complex general\n", "line 1: banner: complex matrices are not supported"},
		{"unknown field", "%%MatrixMarket matrix coordinate quaternion general\n", `line 1: banner: unknown field "quaternion"`},
		{"hermitian", "%%MatrixMarket matrix coordinate real hermitian\n", "line 1: banner: hermitian matrices are not supported"},
		{"skew", "%%MatrixMarket matrix coordinate real skew-symmetric\n", "line 1: banner: skew-symmetric matrices are not supported"},
		{"unknown symmetry", "%%MatrixMarket matrix coordinate real diagonal\n", `line 1: banner: unknown symmetry "diagonal"`},
		{"no size line", banner + "% only comments\n", "line 2: file ends before the size line"},
		{"size line fields", banner + "% c\n3 3\n", "line 3: size line has 2 fields, expected 3"},
		{"size line text", banner + "3 x 1\n", `line 2: size line: columns "x" is not a nonnegative integer`},
		{"size line negative", banner + "3 3 -1\n", `line 2: size line: entries "-1" is not a nonnegative integer`},
		{"zero rows", banner + "0 3 0\n", "line 2: matrix is 0×3"},
		{"huge dims", banner + "3 3000000000 0\n", "line 2: matrix is 3×3000000000; at most 2147483647"},
		{"too many rows for file", banner + "2000000000 3 0\n", "line 2: 2000000000 rows is too many for a 61-byte file"},
		{"nnz too large", banner + "3 3 100\n1 1 1\n", "line 2: declares 100 entries, but the 6 bytes left in the file hold at most 1"},
		{"symmetric not square", "%%MatrixMarket matrix coordinate real symmetric\n3 4 0\n", "line 2: symmetric matrix must be square, not 3×4"},
		{"row out of range", banner + "% comment\n%\n40 30 20\n" + entries(7) + "41 1 1\n" + entries(12), "line 12: row index 41 out of range 1..40"},
		{"column out of range", banner + "2 2 1\n1 3 1\n", "line 3: column index 3 out of range 1..2"},
		{"huge index", banner + "2 2 1\n99999999999999999999999 1 1\n", "line 3: row index 99999999999999999999999 out of range 1..2"},
		{"zero index", banner + "2 2 1\n0 1 1\n", `line 3: row index "0" is not a positive integer`},
		{"negative index", banner + "2 2 1\n1 -1 1\n", `line 3: column index "-1" is not a positive integer`},
		{"fewer entries", banner + "40 30 7\n" + entries(5), "line 7: file ends after 5 entries; the size line declares 7"},
		{"more entries", banner + "40 30 3\n" + entries(5), "line 6: more entries than the 3 the size line declares"},
		{"missing value", banner + "2 2 1\n1 1\n", "line 3: 2 fields, expected 3 (row column value)"},
		{"extra value in pattern", "%%MatrixMarket matrix coordinate pattern general\n2 2 1\n1 1 1\n", "line 3: 3 fields, expected 2 (row column) in a pattern matrix"},
		{"not a number", banner + "2 2 2\n1 1 1\n2 2 abc\n", `line 4: "abc" is not a number`},
		{"NaN", banner + "2 2 1\n1 1 nan\n", `line 3: "nan" is not a finite number`},
		{"integer with fraction", "%%MatrixMarket matrix coordinate integer general\n2 2 1\n1 1 1.5\n", `line 3: "1.5" is not an integer`},
		{"long line", banner + "2 2 1\n1 1 " + strings.Repeat("1", 1<<17) + "\n", "line 3: line too long"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := writeTemp(t, "x.mtx", []byte(tt.text))
			_, err := Read(path)
			wantFormatError(t, err, path+": "+tt.want)
		})
	}
}

// A comment line longer than the read buffer is skipped, not refused.
func TestReadMTXLongComment(t *testing.T) {
	text := "%%MatrixMarket matrix coordinate real general\n%" + strings.Repeat("x", 200000) + "\n1 1 1\n1 1 2\n"
	in, err := Read(writeTemp(t, "x.mtx", []byte(text)))
	if err != nil {
		t.Fatal(err)
	}
	if in.Sparse.Data[0] != 2 {
		t.Errorf("data %v", in.Sparse.Data)
	}
}

// TestReadMTXKeepRows reads files (sorted by row, unsorted, symmetric)
// keeping each of three row ranges: the kept rows equal the whole read's,
// the others are empty; a range outside the file is an error.
func TestReadMTXKeepRows(t *testing.T) {
	for _, text := range []string{
		"%%MatrixMarket matrix coordinate real general\n5 3 6\n1 1 1\n2 3 2\n3 2 3\n4 1 4\n5 3 5\n5 1 6\n",
		"%%MatrixMarket matrix coordinate real general\n5 3 6\n5 3 5\n1 1 1\n4 1 4\n2 3 2\n3 2 3\n5 1 6\n",
		"%%MatrixMarket matrix coordinate real symmetric\n5 5 5\n1 1 1\n4 2 2\n5 1 3\n3 3 4\n5 4 5\n",
	} {
		all, err := ReadMTX(strings.NewReader(text))
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range [][2]int{{0, 2}, {2, 3}, {3, 5}} {
			o := &Options{KeepRows: func(rows, cols int) (int, int) { return r[0], r[1] }}
			got, err := o.ReadMTX(strings.NewReader(text))
			if err != nil {
				t.Fatal(err)
			}
			g, a := got.Sparse, all.Sparse
			for i := range a.Rows {
				gi, ai := g.Indptr[i+1]-g.Indptr[i], a.Indptr[i+1]-a.Indptr[i]
				if i < r[0] || i >= r[1] {
					ai = 0
				}
				if gi != ai {
					t.Fatalf("rows %v: row %d has %d entries, want %d", r, i, gi, ai)
				}
				for p := range gi {
					if g.Indices[g.Indptr[i]+p] != a.Indices[a.Indptr[i]+p] || g.Data[g.Indptr[i]+p] != a.Data[a.Indptr[i]+p] {
						t.Fatalf("rows %v: row %d differs", r, i)
					}
				}
			}
		}
		o := &Options{KeepRows: func(rows, cols int) (int, int) { return 2, rows + 1 }}
		if _, err := o.ReadMTX(strings.NewReader(text)); err == nil || !strings.Contains(err.Error(), "rows 2..6") {
			t.Errorf("a range past the rows: %v", err)
		}
	}
}
