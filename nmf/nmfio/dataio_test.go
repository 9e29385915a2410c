package nmfio

import (
	"errors"
	"io"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"testing"

	"github.com/clnmf/clnmf/nmf"
)

const golden = "../../../../testdata/golden"

func readAll(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestReadUnknownFormat(t *testing.T) {
	for _, name := range []string{"x.png", "x.txt", "x", "x.npy.gz", "dir/"} {
		_, err := Read(name)
		if !errors.Is(err, ErrUnknownFormat) {
			t.Errorf("%s: error %v does not wrap ErrUnknownFormat", name, err)
			continue
		}
		for _, ext := range []string{".npy", ".csv", ".tsv", ".mtx"} {
			if !strings.Contains(err.Error(), ext) {
				t.Errorf("%s: error %q does not list %s", name, err, ext)
			}
		}
	}
}

func TestReadMissing(t *testing.T) {
	for _, ext := range []string{".npy", ".csv", ".tsv", ".mtx"} {
		path := filepath.Join(t.TempDir(), "missing"+ext)
		_, err := Read(path)
		if !errors.Is(err, fs.ErrNotExist) || !strings.Contains(err.Error(), path) {
			t.Errorf("%s: error %v", ext, err)
		}
		var fe *FormatError
		if errors.As(err, &fe) {
			t.Errorf("%s: a missing file gave a FormatError", ext)
		}
	}
	// A folder named like a matrix file.
	dir := filepath.Join(t.TempDir(), "d.csv")
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if _, err := Read(dir); err == nil || !strings.Contains(err.Error(), dir) {
		t.Errorf("folder: error %v", err)
	}
}

func TestFormatErrorText(t *testing.T) {
	tests := []struct {
		e    FormatError
		want string
	}{
		{FormatError{Path: "a.csv", Line: 3, Col: 2, Msg: `"abc" is not a number`}, `a.csv: line 3, column 2: "abc" is not a number`},
		{FormatError{Path: "a.csv", Line: 7, Msg: "4 fields, expected 5"}, "a.csv: line 7: 4 fields, expected 5"},
		{FormatError{Path: "a.npy", Msg: "header: bad"}, "a.npy: header: bad"},
		{FormatError{Path: "a.csv", Col: 2, Msg: "m"}, "a.csv: column 2: m"},
	}
	for _, tt := range tests {
		if got := tt.e.Error(); got != tt.want {
			t.Errorf("got %q, want %q", got, tt.want)
		}
	}
}

func TestDimsNNZ(t *testing.T) {
	tests := []struct {
		in               Input
		rows, cols, nnzs int
	}{
		{Input{}, 0, 0, 0},
		{Input{Dense32: &nmf.Dense[float32]{Rows: 2, Cols: 2, Data: []float32{0, 1, float32(math.NaN()), 0}}}, 2, 2, 2},
		{Input{Dense64: &nmf.Dense[float64]{Rows: 1, Cols: 3, Data: []float64{0, -1, 2}}}, 1, 3, 2},
		{Input{Sparse: &nmf.CSR[float64]{Rows: 5, Cols: 4, Indptr: []int{0, 2, 2, 2, 2, 3}, Indices: []int{0, 1, 3}, Data: []float64{0, 1, 2}}}, 5, 4, 3},
	}
	for i, tt := range tests {
		r, c := tt.in.Dims()
		if r != tt.rows || c != tt.cols || tt.in.NNZ() != tt.nnzs {
			t.Errorf("%d: Dims %d×%d NNZ %d, want %d×%d NNZ %d", i, r, c, tt.in.NNZ(), tt.rows, tt.cols, tt.nnzs)
		}
	}
}

// TestGoldenSparse checks that the Matrix Market and .npy forms of the
// golden sparse inputs (written by scipy and numpy) hold the same matrix,
// exactly.
func TestGoldenSparse(t *testing.T) {
	mtxs, _ := filepath.Glob(filepath.Join(golden, "*", "X.mtx"))
	if len(mtxs) == 0 {
		t.Skip("no golden .mtx files")
	}
	for _, mtx := range mtxs {
		dir := filepath.Dir(mtx)
		t.Run(filepath.Base(dir), func(t *testing.T) {
			sp, err := Read(mtx)
			if err != nil {
				t.Fatal(err)
			}
			de, err := Read(filepath.Join(dir, "X.npy"))
			if err != nil {
				t.Fatal(err)
			}
			checkCSR(t, sp.Sparse)
			d := de.Dense64
			s := sp.Sparse
			if d == nil || s.Rows != d.Rows || s.Cols != d.Cols {
				t.Fatalf("shapes differ: %d×%d and %+v", s.Rows, s.Cols, de)
			}
			dense := make([]float64, s.Rows*s.Cols)
			for i := range s.Rows {
				for p := s.Indptr[i]; p < s.Indptr[i+1]; p++ {
					dense[i*s.Cols+s.Indices[p]] = s.Data[p]
				}
			}
			// scipy.io.mmwrite writes values with 16 significant digits
			// (%.16g), one short of what round-trips every float64, so
			// the .mtx holds each value as that rounding of the .npy's.
			for k := range dense {
				want, _ := strconv.ParseFloat(strconv.FormatFloat(d.Data[k], 'g', 16, 64), 64)
				if dense[k] != want || (dense[k] == 0) != (d.Data[k] == 0) {
					t.Fatalf("element (%d, %d): mtx %v, npy %v", k/s.Cols, k%s.Cols, dense[k], d.Data[k])
				}
			}
			if sp.NNZ() != de.NNZ() {
				t.Errorf("NNZ: mtx %d, npy %d", sp.NNZ(), de.NNZ())
			}
		})
	}
}

// TestGoldenNPY reads every golden .npy file.
func TestGoldenNPY(t *testing.T) {
	files, _ := filepath.Glob(filepath.Join(golden, "*", "*.npy"))
	if len(files) == 0 {
		t.Skip("no golden .npy files")
	}
	f32 := 0
	for _, f := range files {
		in, err := Read(f)
		if err != nil {
			t.Errorf("%v", err)
			continue
		}
		if r, c := in.Dims(); r < 1 || c < 1 {
			t.Errorf("%s: %d×%d", f, r, c)
		}
		if in.Dense32 != nil {
			f32++
		}
	}
	if f32 == 0 {
		t.Error("no float32 golden file was read as float32")
	}
}

func TestWriteFileAtomic(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "out.json")
	if err := os.WriteFile(path, []byte("old"), 0o640); err != nil {
		t.Fatal(err)
	}
	listing := func() []string {
		entries, err := os.ReadDir(dir)
		if err != nil {
			t.Fatal(err)
		}
		var names []string
		for _, e := range entries {
			names = append(names, e.Name())
		}
		return names
	}
	onlyOut := func(when string) {
		t.Helper()
		if names := listing(); len(names) != 1 || names[0] != "out.json" {
			t.Errorf("%s: folder holds %q", when, names)
		}
	}

	// A failing write leaves the old file and no temporary file.
	boom := errors.New("boom")
	err := WriteFileAtomic(path, func(w io.Writer) error {
		io.WriteString(w, strings.Repeat("partial", 100000))
		return boom
	})
	if !errors.Is(err, boom) || !strings.Contains(err.Error(), path) {
		t.Errorf("error %v", err)
	}
	if got := string(readAll(t, path)); got != "old" {
		t.Errorf("old file now holds %.20q", got)
	}
	onlyOut("after a failed write")

	// So does a panicking one, and the panic goes on.
	func() {
		defer func() {
			if recover() == nil {
				t.Error("panic swallowed")
			}
		}()
		WriteFileAtomic(path, func(w io.Writer) error {
			io.WriteString(w, "partial")
			panic("write func panicked")
		})
	}()
	if got := string(readAll(t, path)); got != "old" {
		t.Errorf("old file now holds %q", got)
	}
	onlyOut("after a panicking write")

	// A good write replaces the file, keeping its permissions.
	if err := WriteFileAtomic(path, func(w io.Writer) error {
		_, err := io.WriteString(w, "new")
		return err
	}); err != nil {
		t.Fatal(err)
	}
	if got := string(readAll(t, path)); got != "new" {
		t.Errorf("file holds %q", got)
	}
	onlyOut("after a good write")
	if runtime.GOOS != "windows" {
		st, err := os.Stat(path)
		if err != nil {
			t.Fatal(err)
		}
		if st.Mode().Perm() != 0o640 {
			t.Errorf("mode %v, want 0640 kept", st.Mode().Perm())
		}
	}

	// A new file in the current folder (a path without a folder).
	t.Chdir(dir)
	if err := WriteNPY("rel.npy", 1, 1, []float64{2}); err != nil {
		t.Fatal(err)
	}
	if in, err := Read("rel.npy"); err != nil || in.Dense64.Data[0] != 2 {
		t.Errorf("read back %v, %v", in, err)
	}

	// A missing folder is an error, not a panic.
	if err := WriteCSV(filepath.Join(dir, "no", "such", "x.csv"), 1, 1, []float64{1}); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("missing folder: %v", err)
	}
}

func TestSyncDir(t *testing.T) {
	if err := SyncDir(t.TempDir()); err != nil {
		t.Error(err)
	}
	if runtime.GOOS != "windows" {
		if err := SyncDir(filepath.Join(t.TempDir(), "missing")); !errors.Is(err, fs.ErrNotExist) {
			t.Errorf("missing folder: %v", err)
		}
	}
}
