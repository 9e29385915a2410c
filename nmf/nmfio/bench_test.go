package nmfio

import (
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"strings"
	"testing"
)

// Readers' throughput on a 1000×1000 matrix (8 MB as float64).

func benchMatrix() []float64 {
	r := rand.New(rand.NewPCG(1, 2))
	d := make([]float64, 1000*1000)
	for i := range d {
		d[i] = r.Float64()
	}
	return d
}

func benchRead(b *testing.B, path string, elems int) {
	b.SetBytes(int64(8 * elems))
	b.ResetTimer()
	for range b.N {
		if _, err := Read(path); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkReadNPY(b *testing.B) {
	path := filepath.Join(b.TempDir(), "x.npy")
	if err := WriteNPY(path, 1000, 1000, benchMatrix()); err != nil {
		b.Fatal(err)
	}
	benchRead(b, path, 1000*1000)
}

func BenchmarkReadNPYFortranInt16(b *testing.B) {
	d := benchMatrix()
	vals := make([]int64, len(d))
	for i, v := range d {
		vals[i] = int64(v * 1000)
	}
	path := writeTemp(b, "x.npy", npyFile(dict("<i2", true, "(1000, 1000)"), encInts(le, 2, vals...)))
	benchRead(b, path, 1000*1000)
}

func BenchmarkReadCSV(b *testing.B) {
	path := filepath.Join(b.TempDir(), "x.csv")
	if err := WriteCSV(path, 1000, 1000, benchMatrix()); err != nil {
		b.Fatal(err)
	}
	benchRead(b, path, 1000*1000)
}

func BenchmarkReadMTX(b *testing.B) {
	d := benchMatrix()
	var sb strings.Builder
	sb.WriteString("%%MatrixMarket matrix coordinate real general\n1000 1000 1000000\n")
	// Column-major, as many writers produce, so that rows need sorting.
	for j := range 1000 {
		for i := range 1000 {
			fmt.Fprintf(&sb, "%d %d %.16g\n", i+1, j+1, d[i*1000+j])
		}
	}
	path := writeTemp(b, "x.mtx", []byte(sb.String()))
	benchRead(b, path, 1000*1000)
}

func BenchmarkWriteNPY(b *testing.B) {
	d := benchMatrix()
	path := filepath.Join(b.TempDir(), "x.npy")
	b.SetBytes(int64(8 * len(d)))
	b.ResetTimer()
	for range b.N {
		if err := WriteNPY(path, 1000, 1000, d); err != nil {
			b.Fatal(err)
		}
	}
}
