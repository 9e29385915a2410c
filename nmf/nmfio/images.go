package nmfio

import (
	"bufio"
	"fmt"
	"image"
	_ "image/gif"  // register the GIF decoder
	_ "image/jpeg" // register the JPEG decoder
	_ "image/png"  // register the PNG decoder
	"math"
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
// most 2²⁶ pixels. Every header is read, and the whole folder's size checked
// against the memory budget (see [Options]), before any image is decoded.
// With [Options.KeepColumns] only the images of its range are decoded (and
// counted against the budget): X holds their columns alone.
func ReadImageFolder(dir string) (*Input, error) { return (*Options)(nil).ReadImageFolder(dir) }

// ReadImageFolder is [ReadImageFolder] with the options' memory limit.
func (o *Options) ReadImageFolder(dir string) (*Input, error) {
	names, width, height, err := imageHeaders(dir)
	if err != nil {
		return nil, err
	}
	lo, hi, err := o.keepColumns(dir, width*height, len(names))
	if err != nil {
		return nil, err
	}
	n := hi - lo
	px := int64(width) * int64(height)
	// X in float32, and one decoded image (at most 8 bytes a pixel, RGBA64).
	need := mulSat(mulSat(px, int64(n)), 4) + mulSat(px, 8)
	what := fmt.Sprintf("%d images of %d×%d", n, width, height)
	if err := o.budget().Check(what, need, ""); err != nil {
		return nil, fmt.Errorf("nmfio: %s: %w", dir, err)
	}
	if px*int64(n) > MaxDim*int64(MaxDim) || px*int64(n) > math.MaxInt/2 {
		return nil, fmt.Errorf("nmfio: %s: %s are too many pixels", dir, what)
	}
	X := &nmf.Dense[float32]{Rows: width * height, Cols: n, Data: make([]float32, width*height*n)}
	for j, name := range names[lo:hi] {
		file := filepath.Join(dir, name)
		img, err := decodeImage(file)
		if err != nil {
			return nil, err
		}
		if b := img.Bounds(); b.Dx() != width || b.Dy() != height {
			return nil, fmt.Errorf("nmfio: %s: decodes to %d×%d, its header says %d×%d", file, b.Dx(), b.Dy(), width, height)
		}
		gray(img, func(p int, v float32) { X.Data[p*n+j] = v })
	}
	return &Input{Path: dir, Kind: "images", Dense32: X, Images: names, Width: width, Height: height, FirstColumn: lo}, nil
}

// keepColumns is Options.KeepColumns' range of the n columns of a folder
// of images of px pixels: all of them without it. An empty range is one
// (as KeepRows' may be): a caller sharing fewer images than processes
// says so itself.
func (o *Options) keepColumns(dir string, px, n int) (lo, hi int, err error) {
	if o == nil || o.KeepColumns == nil {
		return 0, n, nil
	}
	lo, hi = o.KeepColumns(px, n)
	if lo < 0 || hi > n || lo > hi {
		return 0, 0, fmt.Errorf("nmfio: %s: the images [%d, %d) kept are not a range of the folder's %d", dir, lo, hi, n)
	}
	return lo, hi, nil
}

// imageHeaders lists dir's images and checks that their headers agree on a
// size within maxPixels, reading only the headers.
func imageHeaders(dir string) (names []string, width, height int, err error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, 0, 0, fmt.Errorf("nmfio: %w", err)
	}
	for _, e := range entries {
		if !e.IsDir() && IsImageName(e.Name()) {
			names = append(names, e.Name())
		}
	}
	if len(names) == 0 {
		return nil, 0, 0, fmt.Errorf("nmfio: %s: no .png, .jpg, .jpeg or .gif images", dir)
	}
	for j, name := range names {
		file := filepath.Join(dir, name)
		cfg, err := imageConfig(file)
		if err != nil {
			return nil, 0, 0, err
		}
		if j > 0 {
			if cfg.Width != width || cfg.Height != height {
				return nil, 0, 0, fmt.Errorf("nmfio: %s: is %d×%d, but %s is %d×%d; all images must have the same size",
					file, cfg.Width, cfg.Height, names[0], width, height)
			}
			continue
		}
		width, height = cfg.Width, cfg.Height
		if width < 1 || height < 1 {
			return nil, 0, 0, fmt.Errorf("nmfio: %s: is empty (%d×%d)", file, width, height)
		}
		if int64(width)*int64(height) > maxPixels {
			return nil, 0, 0, fmt.Errorf("nmfio: %s: is %d×%d, more than %d pixels", file, width, height, maxPixels)
		}
	}
	return names, width, height, nil
}

func imageConfig(file string) (image.Config, error) {
	f, err := os.Open(file)
	if err != nil {
		return image.Config{}, fmt.Errorf("nmfio: %w", err)
	}
	defer f.Close()
	cfg, _, err := image.DecodeConfig(bufio.NewReader(f))
	if err != nil {
		return cfg, fmt.Errorf("nmfio: %s: cannot decode: %w", file, err)
	}
	return cfg, nil
}

func decodeImage(file string) (image.Image, error) {
	f, err := os.Open(file)
	if err != nil {
		return nil, fmt.Errorf("nmfio: %w", err)
	}
	defer f.Close()
	img, _, err := image.Decode(bufio.NewReader(f))
	if err != nil {
		return nil, fmt.Errorf("nmfio: %s: cannot decode: %w", file, err)
	}
	return img, nil
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
