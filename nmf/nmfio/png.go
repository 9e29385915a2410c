package nmfio

import (
	"fmt"
	"image"
	"image/color"
	"image/png"
	"io"
	"math"
)

// Layout of ComponentsPNG's grid.
const (
	sep     = 2  // separator between tiles, in pixels
	minTile = 64 // tiles are upscaled to at least this size
)

var sepGray = color.Gray{Y: 128}

// ComponentsPNG draws the k columns of W (rows×k, row-major, rows =
// width·height) as images of width×height on a near-square grid with 2-pixel
// gray separators, and writes it as a gray PNG. Each column is scaled to its
// own maximum, so its brightest pixel is white; a column without a positive
// entry stays black. Tiles smaller than 64 pixels are upscaled by an integer
// factor to at least 64 pixels on their longer side.
func ComponentsPNG(w io.Writer, W []float64, rows, k, width, height int) error {
	switch {
	case width < 1 || height < 1:
		return fmt.Errorf("nmfio: components of %d×%d", width, height)
	case k < 1:
		return fmt.Errorf("nmfio: %d components", k)
	case rows != width*height:
		return fmt.Errorf("nmfio: W has %d rows, images of %d×%d have %d pixels", rows, width, height, width*height)
	case len(W) != rows*k:
		return fmt.Errorf("nmfio: W has %d entries, want %d×%d", len(W), rows, k)
	}
	scale := max(1, (minTile+max(width, height)-1)/max(width, height))
	gridCols := int(math.Ceil(math.Sqrt(float64(k))))
	gridRows := (k + gridCols - 1) / gridCols
	tw, th := width*scale, height*scale
	img := image.NewGray(image.Rect(0, 0, sep+gridCols*(tw+sep), sep+gridRows*(th+sep)))
	for i := range img.Pix {
		img.Pix[i] = sepGray.Y
	}
	for c := 0; c < k; c++ {
		top := 0.0
		for p := 0; p < rows; p++ {
			if v := W[p*k+c]; v > top && !math.IsInf(v, 1) {
				top = v
			}
		}
		x0 := sep + (c%gridCols)*(tw+sep)
		y0 := sep + (c/gridCols)*(th+sep)
		for y := 0; y < th; y++ {
			for x := 0; x < tw; x++ {
				v := 0.0
				if top > 0 {
					v = W[((y/scale)*width+x/scale)*k+c] / top
				}
				img.Pix[(y0+y)*img.Stride+x0+x] = unit8(v)
			}
		}
	}
	if err := png.Encode(w, img); err != nil {
		return fmt.Errorf("nmfio: writing PNG: %w", err)
	}
	return nil
}

// unit8 maps [0, 1] to 0..255, clamping and mapping NaN to 0.
func unit8(v float64) uint8 {
	if !(v > 0) {
		return 0
	}
	if v >= 1 {
		return 255
	}
	return uint8(math.Round(v * 255))
}
