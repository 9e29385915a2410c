package nmfio

import (
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// TestReadCSVIndexColumn checks Options.IndexColumn: the first field of
// every row, the header's included, is skipped, and positions in errors
// stay those of the file.
func TestReadCSVIndexColumn(t *testing.T) {
	o := &Options{IndexColumn: true}
	for _, c := range []struct {
		name, text string
		comma      rune
		header     []string
		rows, cols int
		data       []float64
	}{
		{"pandas", ",a,b\nrow0,1,2\nrow1,3,4\n", ',', []string{"a", "b"}, 2, 2, []float64{1, 2, 3, 4}},
		{"numeric index, no header", "0,1.5\n1,2.5\n", ',', nil, 2, 1, []float64{1.5, 2.5}},
		{"tsv", "\tx\ny\t7\n", '\t', []string{"x"}, 1, 1, []float64{7}},
	} {
		in, err := o.ReadCSV(strings.NewReader(c.text), c.comma)
		if err != nil {
			t.Errorf("%s: %v", c.name, err)
			continue
		}
		d := in.Dense64
		if d.Rows != c.rows || d.Cols != c.cols || !slices.Equal(d.Data, c.data) || !slices.Equal(in.Header, c.header) {
			t.Errorf("%s: %d×%d %v header %q, want %d×%d %v %q", c.name, d.Rows, d.Cols, d.Data, in.Header, c.rows, c.cols, c.data, c.header)
		}
	}
	for _, c := range []struct{ text, want string }{
		{"r0,1,2\nr1,3,x\n", "line 2, column 3: \"x\" is not a number"},
		{",a\nr0\n", "line 2: only the index column"},
		{"r0,1,2\nr1,3\n", "line 2: 1 fields, expected 2"},
	} {
		_, err := o.ReadCSV(strings.NewReader(c.text), ',')
		var fe *FormatError
		if !errors.As(err, &fe) || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%q: %v, want %q", c.text, err, c.want)
		}
	}
	// Read (by path) takes the option too; without it the index is an error.
	p := filepath.Join(t.TempDir(), "d.csv")
	if err := os.WriteFile(p, []byte(",a\nrow0,1\n"), 0o666); err != nil {
		t.Fatal(err)
	}
	if in, err := o.Read(p); err != nil || in.Dense64.Cols != 1 {
		t.Errorf("Read with IndexColumn: %v", err)
	}
	if _, err := Read(p); err == nil || !strings.Contains(err.Error(), "line 2, column 1: \"row0\" is not a number") {
		t.Errorf("Read without IndexColumn: %v", err)
	}
}
