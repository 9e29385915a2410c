package nmfio

import (
	"errors"
	"math"
	"strings"
	"testing"

	"github.com/clnmf/clnmf/nmf"
)

func TestReadCSV(t *testing.T) {
	tests := []struct {
		name, ext, text string
		header          []string
		rows, cols      int
		data            []float64
	}{
		{"plain", ".csv", "1,2,3\n4,5,6\n", nil, 2, 3, []float64{1, 2, 3, 4, 5, 6}},
		{"no trailing newline", ".csv", "1,2,3\n4,5,6", nil, 2, 3, []float64{1, 2, 3, 4, 5, 6}},
		{"CRLF", ".csv", "1,2,3\r\n4,5,6\r\n", nil, 2, 3, []float64{1, 2, 3, 4, 5, 6}},
		{"spaces", ".csv", " 1 , 2,3  \n4,  5 ,6\n", nil, 2, 3, []float64{1, 2, 3, 4, 5, 6}},
		{"quoted", ".csv", "\"1\",\" 2 \",3\n4,5,\"6e0\"\n", nil, 2, 3, []float64{1, 2, 3, 4, 5, 6}},
		{"blank lines", ".csv", "\n1,2,3\n\n4,5,6\n\n", nil, 2, 3, []float64{1, 2, 3, 4, 5, 6}},
		{"number forms", ".csv", "1e3,-0.5,+.25,5.,1E+2,-0\n", nil, 1, 6, []float64{1000, -0.5, 0.25, 5, 100, 0}},
		{"quoted header with comma and newline", ".csv", "\"a,\nb\",\"c\"\"d\"\n1,2\n", []string{"a,\nb", "c\"d"}, 1, 2, []float64{1, 2}},
		{"spaces-only line skipped", ".csv", "1,2\n   \n3,4\n", nil, 2, 2, []float64{1, 2, 3, 4}},
		{"quoted then spaces", ".csv", "\"1\"  ,2\n", nil, 1, 2, []float64{1, 2}},
		{"header", ".csv", "a, b ,\"c d\"\n1,2,3\n4,5,6\n", []string{"a", "b", "c d"}, 2, 3, []float64{1, 2, 3, 4, 5, 6}},
		{"pandas index header", ".csv", ",x\n0,1.5\n", []string{"", "x"}, 1, 2, []float64{0, 1.5}},
		{"numeric-looking header", ".csv", "2019,2020,total\n1,2,3\n", []string{"2019", "2020", "total"}, 1, 3, []float64{1, 2, 3}},
		{"tsv", ".tsv", "x\ty\n1\t2\n3\t4\n", []string{"x", "y"}, 2, 2, []float64{1, 2, 3, 4}},
		{"tsv with commas in header", ".tsv", "a,b\tc\n1\t2\n", []string{"a,b", "c"}, 1, 2, []float64{1, 2}},
		{"byte-order mark", ".csv", "\ufeff1,2\n3,4\n", nil, 2, 2, []float64{1, 2, 3, 4}},
		{"byte-order mark and header", ".csv", "\ufeffa,b\n3,4\n", []string{"a", "b"}, 1, 2, []float64{3, 4}},
		{"upper-case extension", ".CSV", "1\n2\n", nil, 2, 1, []float64{1, 2}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := writeTemp(t, "x"+tt.ext, []byte(tt.text))
			in, err := Read(path)
			if err != nil {
				t.Fatal(err)
			}
			if want := strings.ToLower(tt.ext[1:]); in.Kind != want {
				t.Errorf("Kind = %q, want %q", in.Kind, want)
			}
			if in.Dense64 == nil || in.Dense32 != nil || in.Sparse != nil {
				t.Fatalf("want Dense64 only: %+v", in)
			}
			if r, c := in.Dims(); r != tt.rows || c != tt.cols {
				t.Errorf("Dims = %d×%d, want %d×%d", r, c, tt.rows, tt.cols)
			}
			if !equalSlices(in.Dense64.Data, tt.data) {
				t.Errorf("data = %v, want %v", in.Dense64.Data, tt.data)
			}
			if !equalSlices(in.Header, tt.header) || (in.Header == nil) != (tt.header == nil) {
				t.Errorf("header = %q, want %q", in.Header, tt.header)
			}
		})
	}
}

func TestReadCSVErrors(t *testing.T) {
	tests := []struct {
		name, ext, text string
		want            string // the whole error after "<path>: "
	}{
		{"empty", ".csv", "", "empty file"},
		{"blank lines only", ".csv", "\n\n\r\n", "empty file"},
		{"header only", ".csv", "a,b,c\n", "a header row but no data rows"},
		{"ragged", ".csv", "1,2,3,4,5\n1,2,3,4,5\n1,2,3,4,5\n1,2,3,4,5\n1,2,3,4,5\n1,2,3,4,5\n1,2,3,4\n", "line 7: 4 fields, expected 5"},
		{"ragged long", ".csv", "1,2\n3,4,5\n", "line 2: 3 fields, expected 2"},
		{"ragged after header", ".csv", "a,b\n1,2\n\n3\n", "line 4: 1 fields, expected 2"},
		{"ragged header", ".tsv", "a\tb\tc\n1\t2\n", "line 2: 2 fields, expected 3"},
		{"not a number", ".csv", "1,2\n3,4\n5,abc\n", `line 3, column 2: "abc" is not a number`},
		{"not a number after header", ".csv", "x,y\n1,2\n3,4x\n", `line 3, column 2: "4x" is not a number`},
		{"header and second row text", ".csv", "x,y\nfoo,2\n", `line 2, column 1: "foo" is not a number`},
		{"empty field", ".csv", "1,2,3\n4,,6\n", "line 2, column 2: empty field is not a number"},
		{"NaN", ".csv", "1,2\n3,NaN\n", `line 2, column 2: "NaN" is not a finite number`},
		{"NaN first row", ".csv", "nan,2\n3,4\n", `line 1, column 1: "nan" is not a finite number`},
		{"Inf", ".tsv", "1\t-Inf\n", `line 1, column 2: "-Inf" is not a finite number`},
		{"out of range", ".csv", "1,2\n3,1e400\n", `line 2, column 2: "1e400" is out of range for float64`},
		{"bare quote", ".csv", "1,2\n3,4\"\"\n", `line 2, column 2: bare " in non-quoted-field`},
		{"unterminated quote", ".csv", "1,2\n\"3,4\n", `line 2, column 1: extraneous or missing " in quoted-field`},
		{"quoted multi-line field", ".csv", "1,2\n3,\"x\ny\"\n", `line 2, column 2: "x\ny" is not a number`},
		{"comma in tsv", ".tsv", "1\t2\n3,4\t5\n", `line 2, column 1: "3,4" is not a number`},
		{"one mixed row is taken as a header", ".csv", "1,abc\n", "a header row but no data rows"},
		// Plain decimals only, as numpy.loadtxt: no hexadecimal floats, no
		// digit separators, in the first row (where a non-number means a
		// header) as in the others.
		{"hex float", ".csv", "1,2\n0x1p3,4\n", `line 2, column 1: "0x1p3" is not a number`},
		{"hex integer", ".csv", "1,2\n3,0x10\n", `line 2, column 2: "0x10" is not a number`},
		{"digit separator", ".csv", "1,2\n1_0,4\n", `line 2, column 1: "1_0" is not a number`},
		{"hex float first row is a header", ".csv", "0x1p3,2\n", "a header row but no data rows"},
		{"bare exponent", ".csv", "1,2\n1e,4\n", `line 2, column 1: "1e" is not a number`},
		{"lone point", ".csv", "1,2\n.,4\n", `line 2, column 1: "." is not a number`},
		{"Fortran exponent", ".csv", "1,2\n1d5,4\n", `line 2, column 1: "1d5" is not a number`},
		{"Infinity", ".csv", "1,2\n3,+infinity\n", `line 2, column 2: "+infinity" is not a finite number`},
		{"quote after quoted field", ".csv", "1,2\n\"3\"x,4\n", `line 2, column 1: extraneous or missing " in quoted-field`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := writeTemp(t, "x"+tt.ext, []byte(tt.text))
			_, err := Read(path)
			wantFormatError(t, err, path+": "+tt.want)
		})
	}
}

func TestWriteCSVRoundTrip(t *testing.T) {
	rows, cols := 6, 4
	d64 := make([]float64, rows*cols)
	d32 := make([]float32, rows*cols)
	for i := range d64 {
		d64[i] = math.Pow(-1.3, float64(i)) * math.Exp(float64(3*i-40)) / 7
		d32[i] = float32(d64[i])
	}
	d64[0], d32[0] = math.SmallestNonzeroFloat64, math.SmallestNonzeroFloat32
	d64[1], d32[1] = math.MaxFloat64, math.MaxFloat32
	dir := t.TempDir()

	if err := WriteCSV(dir+"/a.csv", rows, cols, d64); err != nil {
		t.Fatal(err)
	}
	in, err := Read(dir + "/a.csv")
	if err != nil {
		t.Fatal(err)
	}
	if r, c := in.Dims(); r != rows || c != cols || in.Header != nil {
		t.Fatalf("read back %d×%d, header %q", r, c, in.Header)
	}
	if !equalSlices(in.Dense64.Data, d64) {
		t.Errorf("float64 round trip: %v, want %v", in.Dense64.Data, d64)
	}

	if err := WriteCSV(dir+"/b.csv", rows, cols, d32); err != nil {
		t.Fatal(err)
	}
	in, err = Read(dir + "/b.csv")
	if err != nil {
		t.Fatal(err)
	}
	for i, v := range in.Dense64.Data {
		if float32(v) != d32[i] {
			t.Errorf("float32 round trip, element %d: %v, want %v", i, v, d32[i])
		}
	}
	// Shortest representation: 0.1 as float32 is written "0.1".
	if err := WriteCSV(dir+"/c.csv", 1, 2, []float32{0.1, 1}); err != nil {
		t.Fatal(err)
	}
	if got := string(readAll(t, dir+"/c.csv")); got != "0.1,1\n" {
		t.Errorf("wrote %q", got)
	}
}

// TestReadCSVExcerpt: an error quotes at most a short excerpt of a field,
// however long the field is.
func TestReadCSVExcerpt(t *testing.T) {
	long := strings.Repeat("x", 60000)
	path := writeTemp(t, "x.csv", []byte("1,2\n3,"+long+"\n"))
	_, err := Read(path)
	wantFormatError(t, err, path+`: line 2, column 2: "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"… (60000 bytes) is not a number`)
	if len(err.Error()) > len(path)+200 {
		t.Errorf("error of %d bytes", len(err.Error()))
	}
	path = writeTemp(t, "x.csv", []byte("1,2\n3,"+strings.Repeat("7", maxField+1)+"\n"))
	_, err = Read(path)
	wantFormatError(t, err, path+": line 2, column 2: field longer than 65536 bytes")
	path = writeTemp(t, "x.csv", []byte(strings.Repeat("name,", maxHeader/4)+"x\n1\n"))
	_, err = Read(path)
	wantFormatError(t, err, path+": line 1: header row longer than 1048576 bytes")
}

// TestReadCSVLongLine: a line of 200 MB is read field by field, so a
// memory limit stops it at the values (not the line) it holds: the reader
// never holds the line. The file is generated, not committed, and kept to
// a few MB here; the limit makes it as large as a 200 MB line would be.
func TestReadCSVLongLine(t *testing.T) {
	const fields = 1 << 20
	line := strings.Repeat("1.5,", fields-1) + "1.5\n"
	path := writeTemp(t, "x.csv", []byte(line+line))
	o := &Options{MemoryLimit: 1 << 20} // 1 MiB: 128 Ki values
	_, err := o.Read(path)
	var me *nmf.MemoryError
	if !errors.As(err, &me) || !strings.HasPrefix(err.Error(), path+": the ") || !strings.Contains(err.Error(), "values read by line 1 would need") {
		t.Fatalf("error %v, want a memory error at line 1", err)
	}
	o.MemoryLimit = 64 << 20
	in, err := o.Read(path)
	if err != nil {
		t.Fatal(err)
	}
	if r, c := in.Dims(); r != 2 || c != fields || in.Dense64.Data[fields+7] != 1.5 {
		t.Errorf("%d×%d", r, c)
	}
}

// TestReadCSVStream: the io.Reader variant reads what Read reads, with no
// file name in its errors.
func TestReadCSVStream(t *testing.T) {
	in, err := ReadCSV(strings.NewReader("a\tb\n1\t2\n"), '\t')
	if err != nil || in.Kind != "tsv" || in.Header[1] != "b" || in.Dense64.Data[1] != 2 {
		t.Fatalf("%+v, %v", in, err)
	}
	_, err = ReadCSV(strings.NewReader("1,2\n3\n"), ',')
	wantFormatError(t, err, "line 2: 1 fields, expected 2")
	if strings.HasPrefix(err.Error(), ":") {
		t.Errorf("error %q", err)
	}
	if _, err := ReadCSV(strings.NewReader("1;2\n"), ';'); err == nil {
		t.Error("separator ';' accepted")
	}
}
