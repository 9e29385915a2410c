package nmfio

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// writeTemp writes content to a new file called name in a temporary folder
// and returns its path.
func writeTemp(t testing.TB, name string, content []byte) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(path, content, 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// npyFile builds an .npy file by hand from a header dict literal and raw
// data, version 1.0, padded as numpy pads it.
func npyFile(dict string, data []byte) []byte {
	return npyFileVersion(1, dict, data)
}

func npyFileVersion(major byte, dict string, data []byte) []byte {
	pre := 10
	if major >= 2 {
		pre = 12
	}
	total := (pre + len(dict) + 1 + 63) / 64 * 64
	hlen := total - pre
	b := []byte("\x93NUMPY")
	b = append(b, major, 0)
	if major >= 2 {
		b = binary.LittleEndian.AppendUint32(b, uint32(hlen))
	} else {
		b = binary.LittleEndian.AppendUint16(b, uint16(hlen))
	}
	b = append(b, dict...)
	b = append(b, strings.Repeat(" ", hlen-len(dict)-1)...)
	b = append(b, '\n')
	return append(b, data...)
}

func dict(descr string, fortran bool, shape string) string {
	fo := "False"
	if fortran {
		fo = "True"
	}
	return fmt.Sprintf("{'descr': '%s', 'fortran_order': %s, 'shape': %s, }", descr, fo, shape)
}

// encInts encodes integers as size-byte two's-complement values.
func encInts(order binary.AppendByteOrder, size int, vals ...int64) []byte {
	var b []byte
	for _, v := range vals {
		switch size {
		case 1:
			b = append(b, byte(v))
		case 2:
			b = order.AppendUint16(b, uint16(v))
		case 4:
			b = order.AppendUint32(b, uint32(v))
		case 8:
			b = order.AppendUint64(b, uint64(v))
		}
	}
	return b
}

// encUints encodes unsigned integers as size-byte values.
func encUints(order binary.AppendByteOrder, size int, vals ...uint64) []byte {
	var b []byte
	for _, v := range vals {
		switch size {
		case 1:
			b = append(b, byte(v))
		case 2:
			b = order.AppendUint16(b, uint16(v))
		case 4:
			b = order.AppendUint32(b, uint32(v))
		case 8:
			b = order.AppendUint64(b, v)
		}
	}
	return b
}

// encF64 and encF32 encode floats.
func encF64(order binary.AppendByteOrder, vals ...float64) []byte {
	var b []byte
	for _, v := range vals {
		b = order.AppendUint64(b, math.Float64bits(v))
	}
	return b
}

func encF32(order binary.AppendByteOrder, vals ...float32) []byte {
	var b []byte
	for _, v := range vals {
		b = order.AppendUint32(b, math.Float32bits(v))
	}
	return b
}

// wantFormatError checks that err is a *FormatError whose text contains
// every one of wants.
func wantFormatError(t *testing.T, err error, wants ...string) {
	t.Helper()
	if err == nil {
		t.Fatalf("no error; want one containing %q", wants)
	}
	var fe *FormatError
	if !errors.As(err, &fe) {
		t.Fatalf("error %q (%T) is not a *FormatError", err, err)
	}
	for _, w := range wants {
		if !strings.Contains(err.Error(), w) {
			t.Errorf("error %q does not contain %q", err, w)
		}
	}
}

func equalSlices[T comparable](a, b []T) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}
