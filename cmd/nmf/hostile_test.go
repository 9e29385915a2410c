package main

import (
	"context"
	"encoding/binary"
	"fmt"
	"hash/crc32"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/clnmf/clnmf/nmf/nmfio"
)

// pngHeader is the start of a PNG of w×h gray pixels: all that the
// folder reader looks at before deciding whether the folder fits.
func pngHeader(w, h int) []byte {
	var ihdr [13]byte
	binary.BigEndian.PutUint32(ihdr[0:], uint32(w))
	binary.BigEndian.PutUint32(ihdr[4:], uint32(h))
	ihdr[8] = 8
	chunk := append([]byte("IHDR"), ihdr[:]...)
	b := binary.BigEndian.AppendUint32([]byte("\x89PNG\r\n\x1a\n"), 13)
	b = append(b, chunk...)
	return binary.BigEndian.AppendUint32(b, crc32.ChecksumIEEE(chunk))
}

// TestResourceBombs (issue 10, class 2, and the number and message rules of
// classes 3 and 5): inputs whose sizes would exhaust memory, numbers Go
// would read but numpy would not, malformed device specs. Each is one line
// "nmf: FILE: what" (exit 1) or a usage error (exit 2), never a runtime
// crash, and nothing is written. Inputs are generated here; where a real
// bomb would need gigabytes, a small --memory-limit stands in for them.
func TestResourceBombs(t *testing.T) {
	dir := t.TempDir()
	t.Chdir(dir)
	rng := rand.New(rand.NewPCG(1, 2))
	var b strings.Builder
	for range 50 {
		for j := range 20 {
			if j > 0 {
				b.WriteByte(',')
			}
			fmt.Fprintf(&b, "%.4f", rng.Float64())
		}
		b.WriteByte('\n')
	}
	writeFile(t, "small.csv", b.String())
	wide := strings.Repeat("1,", 999999) + "1\n"
	writeFile(t, "wide.csv", wide+wide)                                                                // 4 MB, 2×1e6
	writeFile(t, "line.csv", strings.Repeat("2.5,", 1<<20-1)+"2.5\n")                                  // one 4 MB line
	writeFile(t, "field.csv", "1,2\n3,"+strings.Repeat("4", 60000)+"x\n")                              // a 60 KB field
	writeFile(t, "huge.mtx", "%%MatrixMarket matrix coordinate real general\n3 2000000000 1\n1 1 1\n") // 67 bytes
	writeFile(t, "dup.mtx", "%%MatrixMarket matrix coordinate real general\n2 2 3\n1 1 1\n2 2 1\n1 1 -1\n")
	writeFile(t, "hex.csv", "1,2\n0x1p3,4\n")
	writeFile(t, "bigw.mtx", "%%MatrixMarket matrix coordinate real general\n1048576 1048576 1\n1 1 1\n")
	writeFile(t, "h0.mtx", "%%MatrixMarket matrix coordinate real general\n2 20 1\n1 1 1\n")
	writeFile(t, "sep.csv", "1,2\n1_0,4\n")
	writeFile(t, "hex.mtx", "%%MatrixMarket matrix coordinate real general\n2 2 1\n1 1 0x1p3\n")
	os.Mkdir("imgs", 0o755)
	for i := range 20 {
		os.WriteFile(filepath.Join("imgs", fmt.Sprintf("i%02d.png", i)), pngHeader(8192, 8192), 0o644)
	}
	os.Mkdir("bomb", 0o755)
	os.WriteFile(filepath.Join("bomb", "bomb.png"), pngHeader(30000, 30000), 0o644)
	samples := make([]float64, 60*8000) // 60 s at 8 kHz
	for i := range samples {
		samples[i] = 0.5 * math.Sin(float64(i)*0.07)
	}
	f, err := os.Create("song.wav")
	if err != nil {
		t.Fatal(err)
	}
	if err := nmfio.WriteWAV(f, 8000, samples); err != nil {
		t.Fatal(err)
	}
	f.Close()

	for _, c := range []struct {
		args []string
		code int
		want []string
	}{
		{[]string{"small.csv", "-k", "1000000"}, 1, []string{"nmf: small.csv: a fit with k = 1000000", "TiB of memory, more than the", "use -k "}},
		{[]string{"small.csv", "-k", "1000000", "--memory-limit", "64MiB"}, 1, []string{"more than the 64 MiB allowed by --memory-limit; use -k "}},
		{[]string{"wide.csv"}, 1, []string{"nmf: wide.csv: a fit with k = 1000000 (init random, float64)", "use -k "}},
		{[]string{"small.csv", "--minibatch", "-k", "1000000"}, 1, []string{"nmf: small.csv: a minibatch fit with k = 1000000 of a 50×20 X", "would need"}},
		{[]string{"small.csv", "--w0", "bigw.mtx", "--h0", "h0.mtx"}, 1, []string{"nmf: bigw.mtx: densifying this 1048576×1048576 factor would need 8 TiB"}},
		{[]string{"huge.mtx"}, 1, []string{"nmf: huge.mtx: line 2: 2000000000 columns is too many for a 67-byte file"}},
		{[]string{"imgs", "--memory-limit", "4GiB"}, 1, []string{"nmf: imgs: 20 images of 8192×8192 would need 5.5 GiB"}},
		{[]string{"bomb"}, 1, []string{"nmf: " + filepath.Join("bomb", "bomb.png") + ": is 30000×30000, more than 67108864 pixels"}},
		{[]string{"song.wav", "--memory-limit", "1GiB"}, 1, []string{"nmf: song.wav: a fit with k = 934 (init nndsvda, float32)", "use -k ", "or a larger --hop than 512"}},
		{[]string{"song.wav", "--hop", "1", "--memory-limit", "1GiB"}, 1, []string{"nmf: song.wav: the spectrogram of 477953 frames (--hop 1, --fft-size 2048) would need", "use a larger --hop"}},
		{[]string{"line.csv", "-k", "1", "--memory-limit", "1MiB"}, 1, []string{"nmf: line.csv: the ", "values read by line 1 would need"}},
		{[]string{"field.csv", "-k", "1"}, 1, []string{`nmf: field.csv: line 2, column 2: "44444444444444444444444444444444"… (60001 bytes) is not a number`}},
		{[]string{"dup.mtx", "-k", "1"}, 1, []string{"nmf: dup.mtx: entry (1, 1) is given more than once, once as a negative value"}},
		{[]string{"hex.csv", "-k", "1"}, 1, []string{`nmf: hex.csv: line 2, column 1: "0x1p3" is not a number`}},
		{[]string{"sep.csv", "-k", "1"}, 1, []string{`nmf: sep.csv: line 2, column 1: "1_0" is not a number`}},
		{[]string{"hex.mtx", "-k", "1"}, 1, []string{`nmf: hex.mtx: line 3: "0x1p3" is not a number`}},
		{[]string{"small.csv", "-k", "2", "--device", "opencl:99999999999999999999:0"}, 2, []string{"--device", "below 2³¹"}},
		{[]string{"small.csv", "-k", "2", "--device", "opencl:-1:0"}, 2, []string{"--device"}},
		{[]string{"small.csv", "-k", "2", "--device", "opencl:2147483648:0"}, 2, []string{"--device"}},
		{[]string{"small.csv", "-k", "2", "--memory-limit", "0"}, 2, []string{"--memory-limit"}},
		{[]string{"small.csv", "-k", "2", "--memory-limit", "lots"}, 2, []string{"--memory-limit"}},
		{[]string{"small.csv", "-k", "2", "--memory-limit", "-5"}, 2, []string{"--memory-limit"}},
	} {
		args := append([]string{"fit"}, c.args...)
		args = append(args, "--out", "out.nmf", "-q")
		r := nmfRun(context.Background(), args...)
		name := strings.Join(c.args, " ")
		if r.code != c.code {
			t.Errorf("%s: exit %d, want %d; stderr %q", name, r.code, c.code, r.stderr)
			continue
		}
		first, _, _ := strings.Cut(r.stderr, "\n")
		if c.code == 1 && strings.Count(r.stderr, "\n") != 1 {
			t.Errorf("%s: stderr is not one line: %q", name, r.stderr)
		}
		if len(first) > 400 || strings.Contains(r.stderr, "fatal error") || strings.Contains(r.stderr, "goroutine") {
			t.Errorf("%s: stderr %q", name, r.stderr)
		}
		for _, w := range c.want {
			if !strings.Contains(first, w) {
				t.Errorf("%s: stderr %q lacks %q", name, first, w)
			}
		}
		if exists("out.nmf") {
			t.Errorf("%s: out.nmf written", name)
			os.RemoveAll("out.nmf")
		}
	}
	// partial-fit's first batch sizes the online model: checked the same way.
	r0 := nmfRun(context.Background(), "partial-fit", "small.csv", "-k", "1000000", "--out", "p.nmf", "-q")
	if r0.code != 1 || !strings.HasPrefix(r0.stderr, "nmf: small.csv: a minibatch fit with k = 1000000") || exists("p.nmf") {
		t.Errorf("partial-fit -k 1000000: exit %d, %q", r0.code, r0.stderr)
	}
	// transform checks its fit the same way, with the model's k.
	if err := nmfio.WriteNPY("h.npy", 2, 20, make([]float64, 40)); err != nil {
		t.Fatal(err)
	}
	r := nmfRun(context.Background(), "transform", "small.csv", "--h", "h.npy", "--memory-limit", "10KB", "--out", "t.nmf", "-q")
	if r.code != 1 || !strings.HasPrefix(r.stderr, "nmf: small.csv: a transform with k = 2 (init custom, float64) would need") || exists("t.nmf") {
		t.Errorf("transform over the limit: exit %d, %q", r.code, r.stderr)
	}
	// Inside the limit, the same input fits.
	mustRun(t, "fit", "small.csv", "-k", "3", "--max-iter", "5", "--memory-limit", "64MiB", "--out", "ok.nmf", "-q")
}

// TestLongHeaderNameExcerpt: a bad value's position names its column by a
// short excerpt of the header, however long the name.
func TestLongHeaderNameExcerpt(t *testing.T) {
	t.Chdir(t.TempDir())
	writeFile(t, "h.csv", "a,"+strings.Repeat("n", 50000)+"\n1,2\n3,-4\n")
	r := nmfRun(context.Background(), "fit", "h.csv", "-k", "1", "--out", "o.nmf", "-q")
	if r.code != 1 || len(r.stderr) > 300 || !strings.Contains(r.stderr, "data row 2, column 2 (nnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnn…)") {
		t.Errorf("exit %d, stderr %.400q", r.code, r.stderr)
	}
}
