package samples

import (
	"math"
	"os"
	"path/filepath"
	"testing"

	"github.com/clnmf/clnmf/cmd/nmf/internal/audio"
	"github.com/clnmf/clnmf/nmf/nmfio"
)

func TestSwimmer(t *testing.T) {
	X, w, h, parts := Swimmer()
	if w != 32 || h != 32 || X.Rows != 1024 || X.Cols != 256 || len(X.Data) != 1024*256 {
		t.Fatalf("%d×%d images, X %d×%d", w, h, X.Rows, X.Cols)
	}
	if len(parts) != 17 {
		t.Fatalf("%d parts", len(parts))
	}
	// Parts are nonempty, binary and pairwise disjoint.
	cover := make([]float64, 1024)
	for i, p := range parts {
		if len(p) != 1024 {
			t.Fatalf("part %d has %d pixels", i, len(p))
		}
		on := 0
		for q, v := range p {
			if v != 0 && v != 1 {
				t.Fatalf("part %d pixel %d = %v", i, q, v)
			}
			on += int(v)
			cover[q] += v
		}
		if want := map[bool]int{true: 18 + 4, false: limbLen}[i == 16]; on != want {
			t.Errorf("part %d has %d pixels on, want %d", i, on, want)
		}
	}
	for q, v := range cover {
		if v > 1 {
			t.Fatalf("parts overlap at pixel %d", q)
		}
	}
	// Each image is the torso plus its four limbs, and all are distinct.
	seen := map[string]int{}
	col := make([]byte, 1024)
	for j := 0; j < 256; j++ {
		for q := 0; q < 1024; q++ {
			want := parts[16][q]
			for l := 0; l < 4; l++ {
				want += parts[4*l+(j>>(2*l))%4][q]
			}
			got := X.Data[q*256+j]
			if float64(got) != want {
				t.Fatalf("image %d pixel %d = %v, want %v", j, q, got, want)
			}
			col[q] = byte(got)
		}
		if k, dup := seen[string(col)]; dup {
			t.Fatalf("images %d and %d are equal", k, j)
		}
		seen[string(col)] = j
	}
	// Every image has exactly torso + 4 limbs pixels on.
	for j := 0; j < 256; j++ {
		sum := 0.0
		for q := 0; q < 1024; q++ {
			sum += float64(X.Data[q*256+j])
		}
		if sum != 22+4*limbLen {
			t.Fatalf("image %d has %v pixels on", j, sum)
		}
	}
}

func TestWriteSwimmer(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "swimmer")
	if err := WriteSwimmer(dir); err != nil {
		t.Fatal(err)
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	total := int64(0)
	for _, e := range entries {
		info, _ := e.Info()
		total += info.Size()
	}
	if len(entries) != 256 || entries[0].Name() != "swimmer_000.png" || entries[255].Name() != "swimmer_255.png" {
		t.Fatalf("%d files, first %s", len(entries), entries[0].Name())
	}
	t.Logf("256 PNG files, %d bytes", total)
	if total > 64<<10 {
		t.Errorf("swimmer PNGs take %d bytes", total)
	}
	// Read back through the command's image-folder input: exactly X.
	in, err := nmfio.ReadImageFolder(dir)
	if err != nil {
		t.Fatal(err)
	}
	got, names, w, h := in.Dense32, in.Images, in.Width, in.Height
	X, _, _, _ := Swimmer()
	if w != 32 || h != 32 || len(names) != 256 || got.Rows != X.Rows || got.Cols != X.Cols {
		t.Fatalf("read back %d×%d, X %d×%d", w, h, got.Rows, got.Cols)
	}
	for i := range X.Data {
		if got.Data[i] != X.Data[i] {
			t.Fatalf("entry %d read back as %v, want %v", i, got.Data[i], X.Data[i])
		}
	}
}

func TestMelody(t *testing.T) {
	const rate = MelodyRate
	x, notes := Melody(rate)
	y, _ := Melody(rate)
	for i := range x {
		if x[i] != y[i] {
			t.Fatal("melody is not deterministic")
		}
	}
	dur := float64(len(x)) / rate
	if dur < 3 || dur > 4 {
		t.Errorf("melody lasts %v s", dur)
	}
	distinct := map[float64]int{}
	for i, n := range notes {
		distinct[n.Freq]++
		if n.End <= n.Start || (i > 0 && n.Start < notes[i-1].End) {
			t.Errorf("note %d: %+v", i, n)
		}
	}
	if len(distinct) != 4 || len(notes) <= 4 {
		t.Errorf("%d notes on %d distinct frequencies", len(notes), len(distinct))
	}
	peak := 0.0
	for _, v := range x {
		peak = math.Max(peak, math.Abs(v))
	}
	if peak > 0.8 || peak < 0.3 {
		t.Errorf("peak %v", peak)
	}

	// During each note, the spectrogram peaks at the note's bin.
	s := audio.STFT{FFTSize: 2048, Hop: 512}
	mag, _, err := s.Forward(x)
	if err != nil {
		t.Fatal(err)
	}
	binHz := float64(rate) / float64(s.FFTSize)
	for i, n := range notes {
		want := n.Freq / binHz
		checked := 0
		for tt := 0; tt < mag.Cols; tt++ {
			t0 := float64(tt*s.Hop) / rate
			t1 := t0 + float64(s.FFTSize)/rate
			if t0 < n.Start || t1 > n.End {
				continue // the frame is not inside the note
			}
			best := 0
			for f := 0; f < mag.Rows; f++ {
				if mag.Data[f*mag.Cols+tt] > mag.Data[best*mag.Cols+tt] {
					best = f
				}
			}
			if math.Abs(float64(best)-want) > 1 {
				t.Errorf("note %d (%v Hz): frame %d peaks at bin %d (%.0f Hz), want %.1f", i, n.Freq, tt, best, float64(best)*binHz, want)
			}
			checked++
		}
		if checked == 0 {
			t.Errorf("note %d: no frame inside it", i)
		}
	}
}

func TestWriteMelodyWAV(t *testing.T) {
	p := filepath.Join(t.TempDir(), "melody.wav")
	if err := WriteMelodyWAV(p); err != nil {
		t.Fatal(err)
	}
	info, err := os.Stat(p)
	if err != nil {
		t.Fatal(err)
	}
	if info.Size() > 200<<10 {
		t.Errorf("melody.wav is %d bytes", info.Size())
	}
	s, err := nmfio.ReadWAV(p)
	if err != nil {
		t.Fatal(err)
	}
	x, _ := Melody(MelodyRate)
	if s.Rate != MelodyRate || s.Channels != 1 || s.BitDepth != 16 || len(s.Samples) != len(x) {
		t.Fatalf("read back %d Hz, %d channels, %d bits, %d samples", s.Rate, s.Channels, s.BitDepth, len(s.Samples))
	}
	for i := range x {
		if math.Abs(s.Samples[i]-x[i]) > 1.0/65536 {
			t.Fatalf("sample %d = %v, want %v", i, s.Samples[i], x[i])
		}
	}
}
