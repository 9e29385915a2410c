package picture

import (
	"bytes"
	"image"
	"image/color"
	"image/gif"
	"image/jpeg"
	"image/png"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func save(t *testing.T, dir, name string, img image.Image) {
	t.Helper()
	var buf bytes.Buffer
	var err error
	switch strings.ToLower(filepath.Ext(name)) {
	case ".png":
		err = png.Encode(&buf, img)
	case ".jpg", ".jpeg":
		err = jpeg.Encode(&buf, img, &jpeg.Options{Quality: 100})
	case ".gif":
		err = gif.Encode(&buf, img, nil)
	}
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, name), buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
}

func grayImage(w, h int, f func(x, y int) uint8) *image.Gray {
	img := image.NewGray(image.Rect(0, 0, w, h))
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			img.SetGray(x, y, color.Gray{Y: f(x, y)})
		}
	}
	return img
}

func TestReadImageFolder(t *testing.T) {
	dir := t.TempDir()
	const w, h = 5, 3
	// Written out of order; read back sorted by name.
	save(t, dir, "c.png", grayImage(w, h, func(x, y int) uint8 { return uint8(10*x + 50*y) }))
	save(t, dir, "a.png", grayImage(w, h, func(x, y int) uint8 { return 255 }))
	rgb := image.NewRGBA(image.Rect(0, 0, w, h))
	for i := 0; i < w*h; i++ {
		rgb.Set(i%w, i/w, color.RGBA{R: 255, A: 255}) // pure red
	}
	save(t, dir, "b.PNG", rgb)
	save(t, dir, "d.gif", grayImage(w, h, func(x, y int) uint8 { return 0 }))
	save(t, dir, "e.jpg", grayImage(w, h, func(x, y int) uint8 { return 128 }))
	os.WriteFile(filepath.Join(dir, "notes.txt"), []byte("ignored"), 0o644)
	os.Mkdir(filepath.Join(dir, "sub.png"), 0o755) // a folder: ignored

	X, names, gw, gh, err := ReadImageFolder(dir)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"a.png", "b.PNG", "c.png", "d.gif", "e.jpg"}
	if strings.Join(names, ",") != strings.Join(want, ",") {
		t.Fatalf("names %v, want %v", names, want)
	}
	if gw != w || gh != h || X.Rows != w*h || X.Cols != 5 || len(X.Data) != w*h*5 {
		t.Fatalf("got %d×%d, X %d×%d", gw, gh, X.Rows, X.Cols)
	}
	at := func(p, j int) float64 { return float64(X.Data[p*X.Cols+j]) }
	for p := 0; p < w*h; p++ {
		x, y := p%w, p/w
		checks := []struct {
			j    int
			want float64
			tol  float64
		}{
			{0, 1, 0},
			{1, 0.299, 1e-6},
			{2, float64(10*x+50*y) / 255, 1e-6},
			{3, 0, 0},
			{4, 128.0 / 255, 2.0 / 255},
		}
		for _, c := range checks {
			if got := at(p, c.j); math.Abs(got-c.want) > c.tol {
				t.Errorf("%s pixel (%d,%d) = %v, want %v", names[c.j], x, y, got, c.want)
			}
		}
	}
}

func TestReadImageFolderErrors(t *testing.T) {
	dir := t.TempDir()
	_, _, _, _, err := ReadImageFolder(dir)
	if err == nil || !strings.Contains(err.Error(), "no .png") {
		t.Errorf("empty folder: %v", err)
	}
	os.WriteFile(filepath.Join(dir, "readme.md"), []byte("x"), 0o644)
	if _, _, _, _, err := ReadImageFolder(dir); err == nil || !strings.Contains(err.Error(), "no .png") {
		t.Errorf("folder without images: %v", err)
	}
	save(t, dir, "a.png", grayImage(32, 32, func(x, y int) uint8 { return 1 }))
	save(t, dir, "b.png", grayImage(20, 30, func(x, y int) uint8 { return 1 }))
	_, _, _, _, err = ReadImageFolder(dir)
	if err == nil || !strings.Contains(err.Error(), "b.png is 20×30, a.png is 32×32") {
		t.Errorf("mixed sizes: %v", err)
	}
	os.Remove(filepath.Join(dir, "b.png"))
	os.WriteFile(filepath.Join(dir, "broken.jpg"), []byte("not a jpeg"), 0o644)
	_, _, _, _, err = ReadImageFolder(dir)
	if err == nil || !strings.Contains(err.Error(), "broken.jpg") {
		t.Errorf("undecodable file: %v", err)
	}
	// A PNG whose header is fine but whose data is cut off.
	os.Remove(filepath.Join(dir, "broken.jpg"))
	var buf bytes.Buffer
	png.Encode(&buf, grayImage(32, 32, func(x, y int) uint8 { return uint8(x * y) }))
	os.WriteFile(filepath.Join(dir, "cut.png"), buf.Bytes()[:buf.Len()/2], 0o644)
	_, _, _, _, err = ReadImageFolder(dir)
	if err == nil || !strings.Contains(err.Error(), "cut.png") {
		t.Errorf("truncated file: %v", err)
	}
	if _, _, _, _, err := ReadImageFolder(filepath.Join(dir, "nope")); err == nil {
		t.Error("missing folder accepted")
	}
}

func decodePNG(t *testing.T, b []byte) image.Image {
	t.Helper()
	img, err := png.Decode(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	return img
}

func TestComponentsPNG(t *testing.T) {
	const w, h, k = 8, 4, 5
	W := make([]float64, w*h*k)
	for p := 0; p < w*h; p++ {
		W[p*k+0] = float64(p)        // gradient, max 31
		W[p*k+1] = 0.001             // constant: all white after scaling
		W[p*k+3] = float64(p % 2)    // stripes
		W[p*k+4] = -1 + float64(p%3) // negatives clamp to black
	}
	var buf bytes.Buffer
	if err := ComponentsPNG(&buf, W, w*h, k, w, h); err != nil {
		t.Fatal(err)
	}
	img := decodePNG(t, buf.Bytes())
	// k = 5: 3×2 grid; scale 8 (64/8) → tiles of 64×32.
	const scale, tw, th = 8, 64, 32
	if b := img.Bounds(); b.Dx() != sep+3*(tw+sep) || b.Dy() != sep+2*(th+sep) {
		t.Fatalf("image %v", b)
	}
	grayAt := func(x, y int) uint8 { return color.GrayModel.Convert(img.At(x, y)).(color.Gray).Y }
	tile := func(c, px, py int) uint8 {
		return grayAt(sep+(c%3)*(tw+sep)+px*scale+scale/2, sep+(c/3)*(th+sep)+py*scale+scale/2)
	}
	for p := 0; p < w*h; p++ {
		px, py := p%w, p/w
		if got, want := tile(0, px, py), uint8(math.Round(float64(p)/31*255)); got != want {
			t.Errorf("gradient pixel %d = %d, want %d", p, got, want)
		}
		if got := tile(1, px, py); got != 255 {
			t.Errorf("constant pixel %d = %d, want 255", p, got)
		}
		if got := tile(2, px, py); got != 0 {
			t.Errorf("zero pixel %d = %d, want 0", p, got)
		}
		if got, want := tile(3, px, py), uint8(255*(p%2)); got != want {
			t.Errorf("stripe pixel %d = %d, want %d", p, got, want)
		}
	}
	if got := grayAt(0, 0); got != sepGray.Y {
		t.Errorf("separator %d", got)
	}
	if err := ComponentsPNG(&buf, W, w*h+1, k, w, h); err == nil {
		t.Error("wrong rows accepted")
	}
	if err := ComponentsPNG(&buf, W[:10], w*h, k, w, h); err == nil {
		t.Error("short W accepted")
	}
	// Large images are not upscaled.
	buf.Reset()
	if err := ComponentsPNG(&buf, make([]float64, 100*70), 100*70, 1, 100, 70); err != nil {
		t.Fatal(err)
	}
	if b := decodePNG(t, buf.Bytes()).Bounds(); b.Dx() != 104 || b.Dy() != 74 {
		t.Errorf("large image %v", b)
	}
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
