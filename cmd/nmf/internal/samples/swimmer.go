// Package samples generates the example data sets of the nmf command in
// code, without downloads: the "swimmer" images of Donoho and Stodden, whose
// parts NMF should recover exactly, and a short melody of a few harmonic
// notes, whose note spectra NMF should find in its spectrogram. Both are
// fully deterministic.
package samples

import (
	"bytes"
	"fmt"
	"image"
	"image/png"
	"os"
	"path/filepath"

	"github.com/clnmf/clnmf/nmf/backend"
)

// SwimmerSize is the width and height of a swimmer image.
const SwimmerSize = 32

// Swimmer limbs, in the order of the parts Swimmer returns.
const (
	LeftArm = iota
	RightArm
	LeftLeg
	RightLeg
)

// swimmer geometry: the torso is the column x = 16 for y in [7, 24] plus the
// four pivots (15,8), (17,8), (15,23), (17,23); each limb is a 6-pixel
// segment from its pivot in one of four directions 45° apart. The 16 limb
// positions are pairwise disjoint and disjoint from the torso.
const limbLen = 6

var limbs = [4]struct {
	px, py int
	dirs   [4][2]int
}{
	LeftArm:  {15, 8, [4][2]int{{0, -1}, {-1, -1}, {-1, 0}, {-1, 1}}}, // up, up-left, left, down-left
	RightArm: {17, 8, [4][2]int{{0, -1}, {1, -1}, {1, 0}, {1, 1}}},    // up, up-right, right, down-right
	LeftLeg:  {15, 23, [4][2]int{{0, 1}, {-1, 1}, {-1, 0}, {-1, -1}}}, // down, down-left, left, up-left
	RightLeg: {17, 23, [4][2]int{{0, 1}, {1, 1}, {1, 0}, {1, -1}}},    // down, down-right, right, up-right
}

// SwimmerParts returns the 17 ground-truth parts of the swimmer images as
// 32×32 images flattened row by row, with values 0 and 1: parts[4·l+p] is
// limb l (LeftArm, RightArm, LeftLeg, RightLeg) in position p (0 to 3), and
// parts[16] is the torso.
func SwimmerParts() [][]float64 {
	const n = SwimmerSize * SwimmerSize
	parts := make([][]float64, 17)
	for l, limb := range limbs {
		for p, d := range limb.dirs {
			img := make([]float64, n)
			for s := 1; s <= limbLen; s++ {
				img[(limb.py+s*d[1])*SwimmerSize+limb.px+s*d[0]] = 1
			}
			parts[4*l+p] = img
		}
	}
	torso := make([]float64, n)
	for y := 7; y <= 24; y++ {
		torso[y*SwimmerSize+16] = 1
	}
	for _, limb := range limbs {
		torso[limb.py*SwimmerSize+limb.px] = 1
	}
	parts[16] = torso
	return parts
}

// Swimmer returns the swimmer data set: 256 gray images of 32×32 pixels
// (values 0 and 1) of a stick figure with a fixed torso and four limbs, each
// limb in one of four positions, in all combinations. X is 1024×256, image j
// in column j, flattened row by row; image j = p0 + 4·p1 + 16·p2 + 64·p3 is
// the torso plus limb l in position p_l, that is the sum of parts[16] and
// parts[4·l+p_l] for l = 0…3, the parts being those of SwimmerParts.
func Swimmer() (X *backend.Dense[float32], width, height int, parts [][]float64) {
	const n, count = SwimmerSize * SwimmerSize, 256
	parts = SwimmerParts()
	X = &backend.Dense[float32]{Rows: n, Cols: count, Data: make([]float32, n*count)}
	for j := 0; j < count; j++ {
		for p := 0; p < n; p++ {
			v := parts[16][p]
			for l := 0; l < 4; l++ {
				v += parts[4*l+((j>>(2*l))&3)][p]
			}
			X.Data[p*count+j] = float32(v)
		}
	}
	return X, SwimmerSize, SwimmerSize, parts
}

// WriteSwimmer writes the 256 swimmer images as 8-bit gray PNG files
// swimmer_000.png … swimmer_255.png (image j of Swimmer in file j) into dir,
// creating it if needed. Together they take about 40 KB.
func WriteSwimmer(dir string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("samples: %w", err)
	}
	X, w, h, _ := Swimmer()
	enc := png.Encoder{CompressionLevel: png.BestCompression}
	img := image.NewGray(image.Rect(0, 0, w, h))
	var buf bytes.Buffer
	for j := 0; j < X.Cols; j++ {
		for p := range img.Pix {
			img.Pix[p] = uint8(255 * X.Data[p*X.Cols+j])
		}
		buf.Reset()
		if err := enc.Encode(&buf, img); err != nil {
			return fmt.Errorf("samples: encoding swimmer image %d: %w", j, err)
		}
		name := filepath.Join(dir, fmt.Sprintf("swimmer_%03d.png", j))
		if err := os.WriteFile(name, buf.Bytes(), 0o644); err != nil {
			return fmt.Errorf("samples: %w", err)
		}
	}
	return nil
}
