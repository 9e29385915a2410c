package nmfio_test

import (
	"bytes"
	"errors"
	"fmt"
	"log"
	"os"
	"path/filepath"
	"strings"

	"github.com/clnmf/clnmf/nmf"
	"github.com/clnmf/clnmf/nmf/nmfio"
)

// Read CSV text from any io.Reader: a first row that is not all numbers is
// the header.
func ExampleReadCSV() {
	text := "apples,pears\n3,0\n1,2.5\n"
	in, err := nmfio.ReadCSV(strings.NewReader(text), ',')
	if err != nil {
		log.Fatal(err)
	}
	rows, cols := in.Dims()
	fmt.Println(rows, cols, in.Header, in.Dense64.Data)
	// Output: 2 2 [apples pears] [3 0 1 2.5]
}

// A malformed file is an error with its position; fields are quoted short.
func ExampleReadCSV_error() {
	_, err := nmfio.ReadCSV(strings.NewReader("1,2\n3,0x1p3\n"), ',')
	fmt.Println(err)
	// Output: line 2, column 2: "0x1p3" is not a number
}

// A Matrix Market file is read as compressed sparse rows, never densified.
func ExampleReadMTX() {
	text := `%%MatrixMarket matrix coordinate real general
3 4 3
1 2 1.5
3 1 2
3 4 1
`
	in, err := nmfio.ReadMTX(strings.NewReader(text))
	if err != nil {
		log.Fatal(err)
	}
	s := in.Sparse
	fmt.Println(s.Rows, s.Cols, s.Indptr, s.Indices, s.Data)
	// Output: 3 4 [0 1 1 3] [1 0 3] [1.5 2 1]
}

// Options.MemoryLimit bounds what a reader may allocate: a header asking for
// more is refused before anything is allocated.
func ExampleOptions() {
	dir, err := os.MkdirTemp("", "nmfio")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "x.npy")
	x := &nmf.Dense[float64]{Rows: 100, Cols: 100, Data: make([]float64, 100*100)}
	if err := nmfio.WriteNPY(path, x.Rows, x.Cols, x.Data); err != nil {
		log.Fatal(err)
	}
	f, err := os.Open(path)
	if err != nil {
		log.Fatal(err)
	}
	defer f.Close()
	o := &nmfio.Options{MemoryLimit: 64 << 10}
	_, err = o.ReadNPY(f)
	fmt.Println(errors.Is(err, nmf.ErrMemory))
	fmt.Println(err)
	// Output:
	// true
	// a 100×100 array would need 78.1 KiB of memory, more than the 64 KiB allowed by the memory limit
}

// Write a matrix to any io.Writer as .npy or CSV, and read it back.
func ExampleEncodeCSV() {
	m := &nmf.Dense[float32]{Rows: 2, Cols: 2, Data: []float32{0.1, 2, 3, 4.5}}
	var b strings.Builder
	if err := nmfio.EncodeCSV(&b, m, []string{"a", "b, c"}); err != nil {
		log.Fatal(err)
	}
	fmt.Print(b.String())
	var npy bytes.Buffer
	if err := nmfio.EncodeNPY(&npy, m); err != nil {
		log.Fatal(err)
	}
	in, err := nmfio.ReadNPY(&npy)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(in.Dense32.Data)
	// Output:
	// a,"b, c"
	// 0.1,2
	// 3,4.5
	// [0.1 2 3 4.5]
}
