package nmfio

import (
	"encoding/binary"
	"math"
	"runtime"
	"strings"
	"testing"
	"time"
)

var (
	le = binary.LittleEndian
	be = binary.BigEndian
)

func TestReadNPYFloat(t *testing.T) {
	vals := []float64{1, -2.5, 0, math.SmallestNonzeroFloat64, math.MaxFloat64, 1.0 / 3}
	vals32 := []float32{1, -2.5, 0, math.SmallestNonzeroFloat32, math.MaxFloat32, 1.0 / 3}
	// The same 2×3 matrix in Fortran order: columns one after another.
	fvals := []float64{vals[0], vals[3], vals[1], vals[4], vals[2], vals[5]}
	fvals32 := []float32{vals32[0], vals32[3], vals32[1], vals32[4], vals32[2], vals32[5]}
	tests := []struct {
		name string
		file []byte
		f32  bool
	}{
		{"f8 C", npyFile(dict("<f8", false, "(2, 3)"), encF64(le, vals...)), false},
		{"f8 Fortran", npyFile(dict("<f8", true, "(2, 3)"), encF64(le, fvals...)), false},
		{"f8 big-endian", npyFile(dict(">f8", false, "(2, 3)"), encF64(be, vals...)), false},
		{"f8 big-endian Fortran", npyFile(dict(">f8", true, "(2, 3)"), encF64(be, fvals...)), false},
		{"f8 native", npyFile(dict("=f8", false, "(2, 3)"), encF64(binary.NativeEndian, vals...)), false},
		{"f4 C", npyFile(dict("<f4", false, "(2, 3)"), encF32(le, vals32...)), true},
		{"f4 Fortran", npyFile(dict("<f4", true, "(2, 3)"), encF32(le, fvals32...)), true},
		{"f4 big-endian", npyFile(dict(">f4", false, "(2, 3)"), encF32(be, vals32...)), true},
		{"version 2", npyFileVersion(2, dict("<f8", false, "(2, 3)"), encF64(le, vals...)), false},
		{"version 3", npyFileVersion(3, dict("<f8", false, "(2, 3)"), encF64(le, vals...)), false},
		{"other key order, double quotes, no trailing comma",
			npyFile(`{"shape":(2,3),"fortran_order":False,"descr":"<f8"}`, encF64(le, vals...)), false},
		{"python 2 longs", npyFile(dict("<f8", false, "(2L, 3L)"), encF64(le, vals...)), false},
		{"trailing bytes ignored", npyFile(dict("<f8", false, "(2, 3)"), append(encF64(le, vals...), 1, 2, 3)), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in, err := Read(writeTemp(t, "x.npy", tt.file))
			if err != nil {
				t.Fatal(err)
			}
			if in.Kind != "npy" {
				t.Errorf("Kind = %q", in.Kind)
			}
			if r, c := in.Dims(); r != 2 || c != 3 {
				t.Fatalf("Dims = %d, %d", r, c)
			}
			if tt.f32 {
				if in.Dense32 == nil || in.Dense64 != nil || in.Sparse != nil {
					t.Fatalf("want only Dense32 set: %+v", in)
				}
				if !equalSlices(in.Dense32.Data, vals32) {
					t.Errorf("data = %v, want %v", in.Dense32.Data, vals32)
				}
				return
			}
			if in.Dense64 == nil || in.Dense32 != nil || in.Sparse != nil {
				t.Fatalf("want only Dense64 set: %+v", in)
			}
			if !equalSlices(in.Dense64.Data, vals) {
				t.Errorf("data = %v, want %v", in.Dense64.Data, vals)
			}
		})
	}
}

func TestReadNPYIntegers(t *testing.T) {
	type tc struct {
		descr string
		data  []byte
		want  []float64
	}
	var tests []tc
	for _, order := range []struct {
		c  string
		bo binary.AppendByteOrder
	}{{"<", le}, {">", be}} {
		tests = append(tests,
			tc{order.c + "i2", encInts(order.bo, 2, -32768, -1, 0, 1, 2, 32767), []float64{-32768, -1, 0, 1, 2, 32767}},
			tc{order.c + "i4", encInts(order.bo, 4, math.MinInt32, -1, 0, 1, 2, math.MaxInt32), []float64{math.MinInt32, -1, 0, 1, 2, math.MaxInt32}},
			tc{order.c + "i8", encInts(order.bo, 8, -1<<53, -1, 0, 1, 2, 1<<53), []float64{-1 << 53, -1, 0, 1, 2, 1 << 53}},
			tc{order.c + "u2", encUints(order.bo, 2, 0, 1, 2, 3, 4, 65535), []float64{0, 1, 2, 3, 4, 65535}},
			tc{order.c + "u4", encUints(order.bo, 4, 0, 1, 2, 3, 4, math.MaxUint32), []float64{0, 1, 2, 3, 4, math.MaxUint32}},
			tc{order.c + "u8", encUints(order.bo, 8, 0, 1, 2, 3, 4, math.MaxUint64), []float64{0, 1, 2, 3, 4, math.MaxUint64}},
		)
	}
	tests = append(tests,
		tc{"|i1", encInts(le, 1, -128, -1, 0, 1, 2, 127), []float64{-128, -1, 0, 1, 2, 127}},
		tc{"|u1", encUints(le, 1, 0, 1, 2, 3, 128, 255), []float64{0, 1, 2, 3, 128, 255}},
		tc{"|b1", []byte{0, 1, 1, 0, 2, 255}, []float64{0, 1, 1, 0, 1, 1}},
	)
	for _, tt := range tests {
		t.Run(tt.descr, func(t *testing.T) {
			for _, fortran := range []bool{false, true} {
				data := tt.data
				want := tt.want
				if fortran {
					// Read the same bytes as a column-major 2×3 matrix.
					want = []float64{tt.want[0], tt.want[2], tt.want[4], tt.want[1], tt.want[3], tt.want[5]}
				}
				in, err := Read(writeTemp(t, "x.npy", npyFile(dict(tt.descr, fortran, "(2, 3)"), data)))
				if err != nil {
					t.Fatal(err)
				}
				if in.Dense64 == nil {
					t.Fatalf("integer dtype %s not read as float64", tt.descr)
				}
				if !equalSlices(in.Dense64.Data, want) {
					t.Errorf("fortran=%v: data = %v, want %v", fortran, in.Dense64.Data, want)
				}
			}
		})
	}
}

// TestReadNPYFortranLarge checks the transpose of a Fortran-order array
// larger than one decoding chunk, with a shape that is not a multiple of it.
func TestReadNPYFortranLarge(t *testing.T) {
	rows, cols := 301, 517
	col := make([]float64, 0, rows*cols) // column-major
	for j := range cols {
		for i := range rows {
			col = append(col, float64(i*1000+j))
		}
	}
	in, err := Read(writeTemp(t, "x.npy", npyFile(dict("<f8", true, "(301, 517)"), encF64(le, col...))))
	if err != nil {
		t.Fatal(err)
	}
	for i := range rows {
		for j := range cols {
			if got := in.Dense64.Data[i*cols+j]; got != float64(i*1000+j) {
				t.Fatalf("(%d, %d) = %v", i, j, got)
			}
		}
	}
}

func TestReadNPYErrors(t *testing.T) {
	f8 := encF64(le, 1, 2, 3, 4, 5, 6)
	tests := []struct {
		name string
		file []byte
		want []string
	}{
		{"empty", nil, []string{"header: file is 0 bytes"}},
		{"not npy", []byte("this is not a numpy file at all"), []string{"header: not an .npy file"}},
		{"bad version", append([]byte("\x93NUMPY\x09\x00"), make([]byte, 100)...), []string{"header: unsupported .npy format version 9.0"}},
		{"header past end", []byte("\x93NUMPY\x01\x00\xff\x00{'descr'"), []string{"header: header length 255 runs past the end of the file"}},
		{"v2 header past end", []byte("\x93NUMPY\x02\x00\xff\xff\xff\xff{'descr'"), []string{"header length 4294967295 runs past"}},
		{"garbage dict", npyFile("{'descr': '<f8', 'shape': (2, 3) 'x'}", f8), []string{"header: expected ',' or '}'"}},
		{"not a dict", npyFile("[1, 2]", f8), []string{"header: not a Python dict"}},
		{"unterminated string", npyFile("{'descr: 1}", f8), []string{"header: unterminated string"}},
		{"deep nesting", npyFile("{'shape': "+strings.Repeat("(", 100)+"}", f8), []string{"header: literal nested too deeply"}},
		{"no descr", npyFile("{'fortran_order': False, 'shape': (2, 3)}", f8), []string{"header: no 'descr' key"}},
		{"no shape", npyFile("{'descr': '<f8', 'fortran_order': False}", f8), []string{"header: no 'shape' key"}},
		{"no order", npyFile("{'descr': '<f8', 'shape': (2, 3)}", f8), []string{"header: no 'fortran_order' key"}},
		{"order not bool", npyFile("{'descr': '<f8', 'fortran_order': 0, 'shape': (2, 3)}", f8), []string{"'fortran_order' is not True or False"}},
		{"shape not tuple", npyFile("{'descr': '<f8', 'fortran_order': False, 'shape': 6}", f8), []string{"'shape' is not a tuple"}},
		{"negative shape", npyFile(dict("<f8", false, "(-2, 3)"), f8), []string{"nonnegative integers"}},
		{"shape overflow", npyFile(dict("<f8", false, "(99999999999999999999, 3)"), f8), []string{"bad integer"}},
		{"1-D", npyFile(dict("<f8", false, "(6,)"), f8), []string{"header: shape (6,) is 1-dimensional; a 2-D array is needed", "reshape"}},
		{"0-D", npyFile(dict("<f8", false, "()"), f8), []string{"header: shape () is 0-dimensional"}},
		{"3-D", npyFile(dict("<f8", false, "(1, 2, 3)"), f8), []string{"header: shape (1, 2, 3) is 3-dimensional"}},
		{"zero rows", npyFile(dict("<f8", false, "(0, 3)"), nil), []string{"header: shape (0, 3): matrix is 0×3"}},
		{"too many columns", npyFile(dict("|u1", false, "(1, 4294967296)"), nil), []string{"at most 2147483647"}},
		{"float16", npyFile(dict("<f2", false, "(2, 3)"), f8), []string{`dtype "<f2" (float16) is not supported`}},
		{"complex", npyFile(dict("<c16", false, "(2, 3)"), f8), []string{`dtype "<c16" is complex`}},
		{"string", npyFile(dict("<U3", false, "(2, 3)"), f8), []string{`dtype "<U3" is not supported`}},
		{"object", npyFile(dict("|O", false, "(2, 3)"), f8), []string{`unsupported dtype "|O"`}},
		{"structured", npyFile("{'descr': [('a', '<f8'), ('b', '<i4')], 'fortran_order': False, 'shape': (2, 3)}", f8), []string{"structured dtype"}},
		{"data short", npyFile(dict("<f8", false, "(2, 3)"), f8[:40]), []string{`header: shape (2, 3) of dtype "<f8" needs 48 bytes of data, but the file holds only 40 bytes after the header`}},
		{"data short f4", npyFile(dict("<f4", true, "(3, 3)"), f8[:35]), []string{`shape (3, 3) of dtype "<f4" needs 36 bytes`, "holds only 35 bytes"}},
		{"overflowing shape", npyFile(dict("<f8", false, "(9223372036854775807, 9223372036854775807)"), f8), []string{"at most 2147483647"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := writeTemp(t, "x.npy", tt.file)
			_, err := Read(path)
			wantFormatError(t, err, append(tt.want, path+": ")...)
		})
	}
}

// TestReadNPYTruncatedFast checks that a header claiming 10^12 elements in a
// 200-byte file is refused at once, without allocating for them.
func TestReadNPYTruncatedFast(t *testing.T) {
	file := npyFile(dict("<f8", false, "(1000000, 1000000)"), make([]byte, 72))
	if len(file) != 200 {
		t.Fatalf("file is %d bytes", len(file))
	}
	path := writeTemp(t, "x.npy", file)
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	start := time.Now()
	_, err := Read(path)
	elapsed := time.Since(start)
	runtime.ReadMemStats(&after)
	wantFormatError(t, err, "header: shape (1000000, 1000000)", "needs 8000000000000 bytes", "holds only 72 bytes")
	if alloc := after.TotalAlloc - before.TotalAlloc; alloc > 1<<20 {
		t.Errorf("allocated %d bytes before refusing", alloc)
	}
	if elapsed > time.Second {
		t.Errorf("took %v", elapsed)
	}
}

func TestWriteNPYRoundTrip(t *testing.T) {
	rows, cols := 7, 5
	d64 := make([]float64, rows*cols)
	d32 := make([]float32, rows*cols)
	for i := range d64 {
		d64[i] = math.Pow(-1.7, float64(i%13)) * math.Exp(float64(i-17))
		d32[i] = float32(d64[i])
	}
	d64[3], d32[3] = math.Copysign(0, -1), float32(math.Copysign(0, -1))
	dir := t.TempDir()

	p64 := dir + "/w64.npy"
	if err := WriteNPY(p64, rows, cols, d64); err != nil {
		t.Fatal(err)
	}
	in, err := Read(p64)
	if err != nil {
		t.Fatal(err)
	}
	if in.Dense64 == nil || in.Dense64.Rows != rows || in.Dense64.Cols != cols {
		t.Fatalf("read back %+v", in)
	}
	for i := range d64 {
		if math.Float64bits(in.Dense64.Data[i]) != math.Float64bits(d64[i]) {
			t.Fatalf("element %d: %v, want %v", i, in.Dense64.Data[i], d64[i])
		}
	}

	p32 := dir + "/w32.npy"
	if err := WriteNPY(p32, rows, cols, d32); err != nil {
		t.Fatal(err)
	}
	in, err = Read(p32)
	if err != nil {
		t.Fatal(err)
	}
	if in.Dense32 == nil || in.Dense32.Rows != rows || in.Dense32.Cols != cols {
		t.Fatalf("read back %+v", in)
	}
	for i := range d32 {
		if math.Float32bits(in.Dense32.Data[i]) != math.Float32bits(d32[i]) {
			t.Fatalf("element %d: %v, want %v", i, in.Dense32.Data[i], d32[i])
		}
	}
}

// TestWriteNPYHeader checks the header numpy would write: version 1.0,
// data aligned to 64 bytes, the keys in numpy's order.
func TestWriteNPYHeader(t *testing.T) {
	path := t.TempDir() + "/h.npy"
	if err := WriteNPY(path, 40, 30, make([]float64, 1200)); err != nil {
		t.Fatal(err)
	}
	b := readAll(t, path)
	want := "\x93NUMPY\x01\x00\x76\x00{'descr': '<f8', 'fortran_order': False, 'shape': (40, 30), }"
	if !strings.HasPrefix(string(b), want) {
		t.Errorf("header %q, want prefix %q", b[:len(want)], want)
	}
	if len(b) != 128+1200*8 || b[127] != '\n' {
		t.Errorf("file is %d bytes, byte 127 is %q", len(b), b[127])
	}
}

func TestWriteBadDims(t *testing.T) {
	path := t.TempDir() + "/bad.npy"
	if err := WriteNPY(path, 2, 3, make([]float64, 5)); err == nil || !strings.Contains(err.Error(), "2×3 matrix given 5 values") {
		t.Errorf("WriteNPY: %v", err)
	}
	if err := WriteCSV(path, -1, 3, []float32{}); err == nil || !strings.Contains(err.Error(), "negative") {
		t.Errorf("WriteCSV: %v", err)
	}
	if err := WriteNPY(path, math.MaxInt/2, 3, []float64{}); err == nil {
		t.Error("WriteNPY: overflowing dims accepted")
	}
	if _, err := Read(path); err == nil {
		t.Error("a file was written")
	}
}
