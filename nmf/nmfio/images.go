package nmfio

import (
	"bytes"
	"fmt"
	"image"
	_ "image/gif"  // register the GIF decoder
	_ "image/jpeg" // register the JPEG decoder
	_ "image/png"  // register the PNG decoder
	"os"
	"path/filepath"
	"strings"

	"github.com/clnmf/clnmf/nmf"
)

// maxPixels bounds the size of one image, against decompression bombs.
const maxPixels = 1 << 26

// IsImageName reports whether a file name has one of the extensions
// ReadImageFolder reads: .png, .jpg, .jpeg or .gif, in any case.
func IsImageName(name string) bool {
	switch strings.ToLower(filepath.Ext(name)) {
	case ".png", ".jpg", ".jpeg", ".gif":
		return true
	}
	return false
}

// ReadImageFolder reads every .png, .jpg, .jpeg and .gif file in dir (not
// its subfolders), in order of name, as a gray image with values in [0, 1]
// (luma 0.299R + 0.587G + 0.114B of the 16-bit color values; transparent
// pixels are black). Image j, flattened row by row, is column j of X, so X is
// (width·height)×(number of images), in [Input.Dense32]; [Input.Images] holds
// the file names in column order. All images must have the same size, of at
// most 2²⁶ pixels.
func ReadImageFolder(dir string) (*Input, error) {
	X, names, width, height, err := readImageFolder(dir)
	if err != nil {
		return nil, err
	}
	return &Input{Path: dir, Kind: "images", Dense32: X, Images: names, Width: width, Height: height}, nil
}

func readImageFolder(dir string) (X *nmf.Dense[float32], names []string, width, height int, err error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, nil, 0, 0, fmt.Errorf("nmfio: %w", err)
	}
	for _, e := range entries {
		if !e.IsDir() && IsImageName(e.Name()) {
			names = append(names, e.Name())
		}
	}
	if len(names) == 0 {
		return nil, nil, 0, 0, fmt.Errorf("nmfio: no .png, .jpg, .jpeg or .gif images in %s", dir)
	}
	// Read all headers first, so a mismatched size is reported before any
	// large decoding or allocation.
	files := make([][]byte, len(names))
	for j, name := range names {
		data, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			return nil, nil, 0, 0, fmt.Errorf("nmfio: %w", err)
		}
		cfg, _, err := image.DecodeConfig(bytes.NewReader(data))
		if err != nil {
			return nil, nil, 0, 0, fmt.Errorf("nmfio: %s: cannot decode: %w", filepath.Join(dir, name), err)
		}
		if j == 0 {
			width, height = cfg.Width, cfg.Height
			if width < 1 || height < 1 {
				return nil, nil, 0, 0, fmt.Errorf("nmfio: %s is empty (%d×%d)", filepath.Join(dir, name), width, height)
			}
			if int64(width)*int64(height) > maxPixels {
				return nil, nil, 0, 0, fmt.Errorf("nmfio: %s is %d×%d, more than %d pixels", filepath.Join(dir, name), width, height, maxPixels)
			}
		} else if cfg.Width != width || cfg.Height != height {
			return nil, nil, 0, 0, fmt.Errorf("nmfio: %s is %d×%d, %s is %d×%d; all images must have the same size",
				name, cfg.Width, cfg.Height, names[0], width, height)
		}
		files[j] = data
	}
	n := len(names)
	X = &nmf.Dense[float32]{Rows: width * height, Cols: n, Data: make([]float32, width*height*n)}
	for j, data := range files {
		img, _, err := image.Decode(bytes.NewReader(data))
		if err != nil {
			return nil, nil, 0, 0, fmt.Errorf("nmfio: %s: cannot decode: %w", filepath.Join(dir, names[j]), err)
		}
		b := img.Bounds()
		if b.Dx() != width || b.Dy() != height {
			return nil, nil, 0, 0, fmt.Errorf("nmfio: %s decodes to %d×%d, its header says %d×%d",
				names[j], b.Dx(), b.Dy(), width, height)
		}
		files[j] = nil
		gray(img, func(p int, v float32) { X.Data[p*n+j] = v })
	}
	return X, names, width, height, nil
}

// gray calls set(p, v) with the gray value v in [0, 1] of every pixel p of
// img, numbered row by row from the top left.
func gray(img image.Image, set func(p int, v float32)) {
	b := img.Bounds()
	w := b.Dx()
	switch m := img.(type) {
	case *image.Gray:
		for y := 0; y < b.Dy(); y++ {
			row := m.Pix[y*m.Stride : y*m.Stride+w]
			for x, v := range row {
				set(y*w+x, float32(v)/255)
			}
		}
		return
	case *image.Gray16:
		for y := 0; y < b.Dy(); y++ {
			row := m.Pix[y*m.Stride : y*m.Stride+2*w]
			for x := 0; x < w; x++ {
				set(y*w+x, float32(uint16(row[2*x])<<8|uint16(row[2*x+1]))/65535)
			}
		}
		return
	}
	for y := 0; y < b.Dy(); y++ {
		for x := 0; x < w; x++ {
			r, g, bl, _ := img.At(b.Min.X+x, b.Min.Y+y).RGBA()
			v := (0.299*float64(r) + 0.587*float64(g) + 0.114*float64(bl)) / 65535
			set(y*w+x, float32(min(max(v, 0), 1)))
		}
	}
}
