package nmfio

import (
	"encoding/binary"
	"runtime"
	"testing"
)

// mapsFiles reports whether this platform memory-maps .npy files.
func mapsFiles() bool {
	switch runtime.GOOS {
	case "linux", "darwin", "freebsd", "netbsd", "openbsd", "dragonfly":
		return true
	}
	return false
}

// TestReadNPYMapped checks which .npy files are memory-mapped (native byte
// order, C order, float, aligned data) and that mapped and decoded reads
// give the same matrix.
func TestReadNPYMapped(t *testing.T) {
	vals := []float64{1, 2.5, 0, 7, 1e300, 1.0 / 3}
	vals32 := []float32{1, 2.5, 0, 7, 1e30, 1.0 / 3}
	ne := binary.NativeEndian
	var other binary.AppendByteOrder = binary.BigEndian
	otherMark, nativeMark := ">", "<"
	if nativeBigEndian() {
		other, otherMark, nativeMark = binary.LittleEndian, "<", ">"
	}
	// A header one byte longer than numpy's padding: the data starts at an
	// offset that is not a multiple of 4.
	unaligned := npyFile(dict(nativeMark+"f4", false, "(2, 3)"), nil)
	unaligned[8]++ // header length + 1
	unaligned = append(unaligned[:len(unaligned)-1], ' ', '\n')
	unaligned = append(unaligned, encF32(ne, vals32...)...)
	tests := []struct {
		name   string
		file   []byte
		mapped bool
	}{
		{"f8 native", npyFile(dict(nativeMark+"f8", false, "(2, 3)"), encF64(ne, vals...)), true},
		{"f8 '='", npyFile(dict("=f8", false, "(2, 3)"), encF64(ne, vals...)), true},
		{"f4 native", npyFile(dict(nativeMark+"f4", false, "(2, 3)"), encF32(ne, vals32...)), true},
		{"f4 version 2", npyFileVersion(2, dict(nativeMark+"f4", false, "(2, 3)"), encF32(ne, vals32...)), true},
		{"f8 other byte order", npyFile(dict(otherMark+"f8", false, "(2, 3)"), encF64(other, vals...)), false},
		{"f4 Fortran", npyFile(dict(nativeMark+"f4", true, "(2, 3)"), encF32(ne, vals32[0], vals32[3], vals32[1], vals32[4], vals32[2], vals32[5])), false},
		{"f4 unaligned", unaligned, false},
		{"i8", npyFile(dict(nativeMark+"i8", false, "(2, 3)"), encInts(ne, 8, 1, 2, 0, 7, 9, 3)), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in, err := Read(writeTemp(t, "x.npy", tt.file))
			if err != nil {
				t.Fatal(err)
			}
			defer in.Close()
			if want := tt.mapped && mapsFiles(); in.Mapped() != want {
				t.Errorf("Mapped() = %v, want %v", in.Mapped(), want)
			}
			switch {
			case in.Dense32 != nil:
				if !equalSlices(in.Dense32.Data, vals32) {
					t.Errorf("data = %v, want %v", in.Dense32.Data, vals32)
				}
			case tt.name == "i8":
				if want := []float64{1, 2, 0, 7, 9, 3}; !equalSlices(in.Dense64.Data, want) {
					t.Errorf("data = %v, want %v", in.Dense64.Data, want)
				}
			default:
				if !equalSlices(in.Dense64.Data, vals) {
					t.Errorf("data = %v, want %v", in.Dense64.Data, vals)
				}
			}
			if err := in.Close(); err != nil {
				t.Errorf("Close: %v", err)
			}
			if in.Mapped() {
				t.Error("still Mapped after Close")
			}
			if err := in.Close(); err != nil {
				t.Errorf("second Close: %v", err)
			}
		})
	}
}
