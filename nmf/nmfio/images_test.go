package nmfio

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
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

	"github.com/clnmf/clnmf/nmf"
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

	in, err := ReadImageFolder(dir)
	if err != nil {
		t.Fatal(err)
	}
	X, names, gw, gh := in.Dense32, in.Images, in.Width, in.Height
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
	_, err := ReadImageFolder(dir)
	if err == nil || !strings.Contains(err.Error(), "no .png") {
		t.Errorf("empty folder: %v", err)
	}
	os.WriteFile(filepath.Join(dir, "readme.md"), []byte("x"), 0o644)
	if _, err := ReadImageFolder(dir); err == nil || !strings.Contains(err.Error(), "no .png") {
		t.Errorf("folder without images: %v", err)
	}
	save(t, dir, "a.png", grayImage(32, 32, func(x, y int) uint8 { return 1 }))
	save(t, dir, "b.png", grayImage(20, 30, func(x, y int) uint8 { return 1 }))
	_, err = ReadImageFolder(dir)
	if err == nil || !strings.Contains(err.Error(), "b.png: is 20×30, but a.png is 32×32") {
		t.Errorf("mixed sizes: %v", err)
	}
	os.Remove(filepath.Join(dir, "b.png"))
	os.WriteFile(filepath.Join(dir, "broken.jpg"), []byte("not a jpeg"), 0o644)
	_, err = ReadImageFolder(dir)
	if err == nil || !strings.Contains(err.Error(), "broken.jpg") {
		t.Errorf("undecodable file: %v", err)
	}
	// A PNG whose header is fine but whose data is cut off.
	os.Remove(filepath.Join(dir, "broken.jpg"))
	var buf bytes.Buffer
	png.Encode(&buf, grayImage(32, 32, func(x, y int) uint8 { return uint8(x * y) }))
	os.WriteFile(filepath.Join(dir, "cut.png"), buf.Bytes()[:buf.Len()/2], 0o644)
	_, err = ReadImageFolder(dir)
	if err == nil || !strings.Contains(err.Error(), "cut.png") {
		t.Errorf("truncated file: %v", err)
	}
	if _, err := ReadImageFolder(filepath.Join(dir, "nope")); err == nil {
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

// pngHeader returns the start of a PNG file of w×h 8-bit gray pixels: its
// signature and IHDR chunk, all that image.DecodeConfig reads.
func pngHeader(w, h int) []byte {
	var ihdr [13]byte
	binary.BigEndian.PutUint32(ihdr[0:], uint32(w))
	binary.BigEndian.PutUint32(ihdr[4:], uint32(h))
	ihdr[8] = 8 // bit depth; color type 0 (gray)
	b := []byte("\x89PNG\r\n\x1a\n")
	b = binary.BigEndian.AppendUint32(b, 13)
	chunk := append([]byte("IHDR"), ihdr[:]...)
	b = append(b, chunk...)
	return binary.BigEndian.AppendUint32(b, crc32.ChecksumIEEE(chunk))
}

// TestReadImageFolderBombs: a folder whose images are each allowed but
// together too large is refused from the headers alone, before anything is
// decoded or allocated; one image over the size limit names itself.
func TestReadImageFolderBombs(t *testing.T) {
	dir := t.TempDir()
	for i := range 20 {
		os.WriteFile(filepath.Join(dir, fmt.Sprintf("img%02d.png", i)), pngHeader(8192, 8192), 0o644)
	}
	o := &Options{MemoryLimit: 1 << 30}
	_, err := o.ReadImageFolder(dir)
	var me *nmf.MemoryError
	if !errors.As(err, &me) || me.Need < 20*8192*8192*4 || !strings.Contains(err.Error(), dir+": 20 images of 8192×8192 would need 5") {
		t.Fatalf("20 images of 8192²: %v", err)
	}
	bomb := filepath.Join(dir, "bomb.png")
	os.WriteFile(bomb, pngHeader(30000, 30000), 0o644)
	_, err = o.ReadImageFolder(dir)
	if err == nil || !strings.Contains(err.Error(), bomb+": is 30000×30000, more than 67108864 pixels") &&
		!strings.Contains(err.Error(), bomb+": is 30000×30000, but img00.png is 8192×8192") {
		t.Fatalf("bomb: %v", err)
	}
	dir2 := t.TempDir()
	os.WriteFile(filepath.Join(dir2, "bomb.png"), pngHeader(30000, 30000), 0o644)
	_, err = o.ReadImageFolder(dir2)
	if err == nil || !strings.Contains(err.Error(), filepath.Join(dir2, "bomb.png")+": is 30000×30000, more than 67108864 pixels") {
		t.Fatalf("bomb alone: %v", err)
	}
}

// FuzzReadImageFolder: whatever one image file holds, the folder reader
// returns a consistent matrix or an error, under a 64 MiB budget (a header
// may claim up to 2²⁶ pixels), and never panics.
func FuzzReadImageFolder(f *testing.F) {
	var buf bytes.Buffer
	png.Encode(&buf, grayImage(3, 2, func(x, y int) uint8 { return uint8(40 * (x + y)) }))
	f.Add(buf.Bytes(), ".png")
	buf.Reset()
	gif.Encode(&buf, grayImage(2, 2, func(x, y int) uint8 { return 200 }), nil)
	f.Add(buf.Bytes(), ".gif")
	buf.Reset()
	jpeg.Encode(&buf, grayImage(8, 8, func(x, y int) uint8 { return uint8(x * y) }), nil)
	f.Add(buf.Bytes(), ".jpg")
	f.Add(pngHeader(8192, 8192), ".png")
	f.Add(pngHeader(30000, 30000), ".png")
	f.Add([]byte("not an image"), ".jpeg")
	dir := f.TempDir()
	o := &Options{MemoryLimit: 64 << 20}
	f.Fuzz(func(t *testing.T, data []byte, ext string) {
		if !IsImageName("x" + ext) {
			return
		}
		sub, err := os.MkdirTemp(dir, "f")
		if err != nil {
			t.Fatal(err)
		}
		defer os.RemoveAll(sub)
		if err := os.WriteFile(filepath.Join(sub, "x"+ext), data, 0o644); err != nil {
			t.Fatal(err)
		}
		in, err := o.ReadImageFolder(sub)
		if err != nil {
			if in != nil {
				t.Fatal("a matrix and an error")
			}
			if len(err.Error()) > len(sub)+300 {
				t.Fatalf("error of %d bytes", len(err.Error()))
			}
			return
		}
		x := in.Dense32
		if x == nil || x.Rows != in.Width*in.Height || x.Cols != 1 || len(x.Data) != x.Rows {
			t.Fatalf("%+v", in)
		}
		for _, v := range x.Data {
			if !(v >= 0 && v <= 1) {
				t.Fatalf("gray value %v", v)
			}
		}
	})
}
