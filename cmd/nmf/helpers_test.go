package main

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"flag"
	"fmt"
	"image"
	"image/png"
	"io"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/clnmf/clnmf/cmd/nmf/internal/audio"
	"github.com/clnmf/clnmf/nmf/nmfio"
)

// result is what one in-process run of the command gave.
type result struct {
	code           int
	err            error
	stdout, stderr string
}

// nmfRun runs the command line args in-process with ctx.
func nmfRun(ctx context.Context, args ...string) result {
	var out, errb bytes.Buffer
	err := run(ctx, args, &out, &errb)
	return result{code: exitCode(err), err: err, stdout: out.String(), stderr: errb.String()}
}

// mustRun runs args and fails the test unless the exit status is 0.
func mustRun(t *testing.T, args ...string) result {
	t.Helper()
	r := nmfRun(context.Background(), args...)
	if r.code != 0 {
		t.Fatalf("nmf %s: exit %d\nstdout: %s\nstderr: %s", strings.Join(args, " "), r.code, r.stdout, r.stderr)
	}
	return r
}

// readReport reads dir/report.json as a generic map and as the typed report.
func loadReport(t *testing.T, dir string) (*runReport, map[string]any) {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dir, "report.json"))
	if err != nil {
		t.Fatal(err)
	}
	var r runReport
	if err := json.Unmarshal(b, &r); err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	return &r, m
}

// matrix is a matrix file read back as float64, with its file precision.
type matrix struct {
	rows, cols int
	data       []float64
	prec       string
}

func (m *matrix) at(i, j int) float64 { return m.data[i*m.cols+j] }

func readMatrix(t *testing.T, path string) *matrix {
	t.Helper()
	in, err := nmfio.Read(path)
	if err != nil {
		t.Fatal(err)
	}
	switch {
	case in.Dense32 != nil:
		return &matrix{in.Dense32.Rows, in.Dense32.Cols, convert[float64](in.Dense32.Data), "float32"}
	case in.Dense64 != nil:
		return &matrix{in.Dense64.Rows, in.Dense64.Cols, in.Dense64.Data, "float64"}
	}
	t.Fatalf("%s: sparse", path)
	return nil
}

// maxDiff is the largest absolute difference of two matrices of one shape.
func maxDiff(t *testing.T, a, b *matrix) float64 {
	t.Helper()
	if a.rows != b.rows || a.cols != b.cols {
		t.Fatalf("shapes %d×%d and %d×%d differ", a.rows, a.cols, b.rows, b.cols)
	}
	d := 0.0
	for i := range a.data {
		d = math.Max(d, math.Abs(a.data[i]-b.data[i]))
	}
	return d
}

// maxAbs is the largest absolute entry of m (0 for an empty or zero m).
func (m *matrix) maxAbs() float64 {
	s := 0.0
	for _, v := range m.data {
		s = math.Max(s, math.Abs(v))
	}
	return s
}

// snapshot lists every file under dir with its contents, to check that a
// failed run changed nothing.
func snapshot(t *testing.T, dir string) map[string]string {
	t.Helper()
	m := map[string]string{}
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		if d.IsDir() {
			m[rel+"/"] = ""
			return nil
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		m[rel] = string(b)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func sameSnapshot(t *testing.T, what string, before, after map[string]string) {
	t.Helper()
	var diffs []string
	for k, v := range after {
		if w, ok := before[k]; !ok {
			diffs = append(diffs, "new "+k)
		} else if v != w {
			diffs = append(diffs, "changed "+k)
		}
	}
	for k := range before {
		if _, ok := after[k]; !ok {
			diffs = append(diffs, "removed "+k)
		}
	}
	sort.Strings(diffs)
	if len(diffs) > 0 {
		t.Errorf("%s: files changed: %s", what, strings.Join(diffs, ", "))
	}
}

// writeNPYRaw writes an .npy file of the given dtype descriptor, order and
// shape with raw little-endian data.
func writeNPYRaw(t *testing.T, path, descr string, fortran bool, rows, cols int, data []byte) {
	t.Helper()
	header := fmt.Sprintf("{'descr': '%s', 'fortran_order': %s, 'shape': (%d, %d), }", descr, map[bool]string{true: "True", false: "False"}[fortran], rows, cols)
	pad := 64 - (10+len(header)+1)%64
	header += strings.Repeat(" ", pad%64) + "\n"
	var b bytes.Buffer
	b.WriteString("\x93NUMPY\x01\x00")
	binary.Write(&b, binary.LittleEndian, uint16(len(header)))
	b.WriteString(header)
	b.Write(data)
	if err := os.WriteFile(path, b.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
}

// leBytes encodes values little-endian.
func leBytes(t *testing.T, v any) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := binary.Write(&b, binary.LittleEndian, v); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// testMatrix is a small nonnegative 6×5 matrix of rank about 3, row-major.
func testMatrix() (rows, cols int, data []float64) {
	rows, cols = 6, 5
	data = make([]float64, rows*cols)
	for i := range rows {
		for j := range cols {
			data[i*cols+j] = float64((i*7+j*3)%5) + 0.5*float64((i+2*j)%3) + 0.25
		}
	}
	return rows, cols, data
}

// testNPY writes testMatrix to path as a float64 .npy and returns it.
func testNPY(t *testing.T, path string) (rows, cols int, data []float64) {
	t.Helper()
	rows, cols, data = testMatrix()
	if err := nmfio.WriteNPY(path, rows, cols, data); err != nil {
		t.Fatal(err)
	}
	return rows, cols, data
}

func writeFile(t *testing.T, path, s string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(s), 0o644); err != nil {
		t.Fatal(err)
	}
}

func csvOf(rows, cols int, data []float64, sep string) string {
	var b strings.Builder
	for i := range rows {
		for j := range cols {
			if j > 0 {
				b.WriteString(sep)
			}
			fmt.Fprint(&b, data[i*cols+j])
		}
		b.WriteString("\n")
	}
	return b.String()
}

func exists(path string) bool {
	_, err := os.Lstat(path)
	return err == nil
}

// flagNames lists the flags of fs.
func flagNames(fs *flag.FlagSet) map[string]bool {
	m := map[string]bool{}
	fs.VisitAll(func(f *flag.Flag) { m[f.Name] = true })
	return m
}

func decodePNG(r io.Reader) (image.Image, error) { return png.Decode(r) }

func defaultSTFT() audio.STFT { return audio.STFT{FFTSize: 2048, Hop: 512} }
