package picture

import (
	"bytes"
	"image"
	"image/color"
	"image/png"
	"math"
	"os"
	"path/filepath"
	"testing"
)

func decodePNG(t *testing.T, b []byte) image.Image {
	t.Helper()
	img, err := png.Decode(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	return img
}

func TestAudioPNG(t *testing.T) {
	for _, c := range []struct{ f, t, k, wantW, wantH int }{
		{65, 40, 3, 0, 0},
		{513, 5000, 4, 0, 0},
		{1, 1, 1, 0, 0},
		{129, 1024, 20, 0, 0},
	} {
		X := make([]float64, c.f*c.t)
		W := make([]float64, c.f*c.k)
		H := make([]float64, c.k*c.t)
		for i := range X {
			X[i] = float64(i % 17)
		}
		for i := range W {
			W[i] = float64(i % 5)
		}
		for i := range H {
			H[i] = float64(i % 7)
		}
		var buf bytes.Buffer
		if err := AudioPNG(&buf, X, W, H, c.f, c.t, c.k); err != nil {
			t.Fatal(err)
		}
		b := decodePNG(t, buf.Bytes()).Bounds()
		fa, ta := newAxis(c.f, minRows, maxRows), newAxis(c.t, minCols, maxCols)
		if b.Dx() > 1600 || b.Dy() > 1100 || ta.pixels > maxCols || fa.pixels > maxRows ||
			b.Dx() < ta.pixels || b.Dy() < fa.pixels {
			t.Errorf("%d×%d, k=%d: image %v", c.f, c.t, c.k, b)
		}
	}
	if err := AudioPNG(&bytes.Buffer{}, make([]float64, 6), make([]float64, 3), make([]float64, 2), 3, 2, 1); err != nil {
		t.Error(err)
	}
	if err := AudioPNG(&bytes.Buffer{}, make([]float64, 5), make([]float64, 3), make([]float64, 2), 3, 2, 1); err == nil {
		t.Error("short X accepted")
	}
	if err := AudioPNG(&bytes.Buffer{}, make([]float64, 6), make([]float64, 3), make([]float64, 3), 3, 2, 1); err == nil {
		t.Error("long H accepted")
	}
}

// TestAudioPNGOrientation checks that frequency 0 is at the bottom: a
// spectrogram with energy only in bin 0 is bright at the bottom edge.
func TestAudioPNGOrientation(t *testing.T) {
	const f, tt, k = 64, 64, 1
	X := make([]float64, f*tt)
	for j := 0; j < tt; j++ {
		X[j] = 1 // bin 0
	}
	W := make([]float64, f)
	W[0] = 1
	H := make([]float64, tt)
	for j := range H {
		H[j] = 1
	}
	var buf bytes.Buffer
	if err := AudioPNG(&buf, X, W, H, f, tt, k); err != nil {
		t.Fatal(err)
	}
	img := decodePNG(t, buf.Bytes())
	fa := newAxis(f, minRows, maxRows)
	sx := sep + k*(min(48, max(3, 480/k))-sep+sep)
	bottom := img.At(sx+10, sep+fa.pixels-1)
	topc := img.At(sx+10, sep)
	if bottom != (color.RGBA{253, 231, 37, 255}) || topc != (color.RGBA{68, 1, 84, 255}) {
		t.Errorf("bottom %v, top %v", bottom, topc)
	}
}

func TestWriteExamples(t *testing.T) {
	out := os.Getenv("PICTURE_EXAMPLES")
	if out == "" {
		t.Skip("set PICTURE_EXAMPLES to a folder to write example PNGs")
	}
	// A synthetic 3-component spectrogram: harmonic notes in turn.
	const f, tt, k = 257, 300, 3
	W := make([]float64, f*k)
	for c := 0; c < k; c++ {
		f0 := []int{12, 16, 19}[c]
		for hm := 1; hm*f0 < f; hm++ {
			for d := -2; d <= 2; d++ {
				if i := hm*f0 + d; i >= 0 && i < f {
					W[i*k+c] += math.Pow(0.6, float64(hm-1)) * math.Exp(-float64(d*d))
				}
			}
		}
		for i := 0; i < f; i++ {
			W[i*k+c] += 1e-3
		}
	}
	H := make([]float64, k*tt)
	for j := 0; j < tt; j++ {
		c := (j / 25) % k
		H[c*tt+j] = math.Exp(-float64(j%25) / 10)
	}
	X := make([]float64, f*tt)
	for i := 0; i < f; i++ {
		for j := 0; j < tt; j++ {
			for c := 0; c < k; c++ {
				X[i*tt+j] += W[i*k+c] * H[c*tt+j]
			}
		}
	}
	var buf bytes.Buffer
	if err := AudioPNG(&buf, X, W, H, f, tt, k); err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(out, "audio.png"), buf.Bytes(), 0o644)
}
