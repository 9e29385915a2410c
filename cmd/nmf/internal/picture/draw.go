// Package picture draws audio factorisations as PNG files: the spectrogram,
// spectra and activations (the image grid of basis images is
// nmfio.ComponentsPNG).
package picture

import (
	"fmt"
	"image"
	"image/color"
	"image/png"
	"io"
	"math"
)

// Drawing constants.
const (
	sep      = 2    // separator between tiles and panels, in pixels
	dBRange  = 80   // dynamic range of the spectrogram, in dB
	wdBRange = 60   // dynamic range of each spectrum in AudioPNG, in dB
	maxCols  = 1024 // AudioPNG's spectrogram is at most this many pixels wide
	minCols  = 512  // and upscaled to about this width when shorter
	maxRows  = 512  // at most this many pixels high
	minRows  = 256  // and upscaled to about this height when lower
)

var (
	white = color.RGBA{R: 255, G: 255, B: 255, A: 255}
)

// axis maps n data points to pixels: upscaled by an integer factor to about
// lo pixels when n < lo, grouped by an integer factor to at most hi pixels
// when n > hi.
type axis struct {
	n, scale, group, pixels int
}

func newAxis(n, lo, hi int) axis {
	a := axis{n: n, scale: 1, group: 1}
	if n > hi {
		a.group = (n + hi - 1) / hi
		a.pixels = (n + a.group - 1) / a.group
	} else {
		a.scale = max(1, lo/n)
		a.pixels = n * a.scale
	}
	return a
}

// span returns the data points [lo, hi) drawn at pixel p.
func (a axis) span(p int) (lo, hi int) {
	if a.group > 1 {
		return p * a.group, min(a.n, (p+1)*a.group)
	}
	return p / a.scale, p/a.scale + 1
}

// AudioPNG draws the classic picture of an NMF of a magnitude spectrogram X
// (f×t) ≈ W (f×k) · H (k×t), all row-major: the spectrogram of X in dB
// (80 dB range, a viridis-like colormap) at the top right with frequency 0
// at the bottom, the spectrum of each of W's columns to its left (one narrow
// panel per component, bar length in dB over a 60 dB range), and the
// activation of each of H's rows below it (one strip per component, linear
// scale), each component in its own color. Each spectrum and activation is
// scaled to its own maximum. The spectrogram is upscaled to about 512×256
// pixels when small and reduced (by maxima over groups of frames and bins)
// to at most 1024×512 when large.
func AudioPNG(w io.Writer, X, W, H []float64, f, t, k int) error {
	switch {
	case f < 1 || t < 1 || k < 1:
		return fmt.Errorf("picture: spectrogram of %d×%d with %d components", f, t, k)
	case len(X) != f*t:
		return fmt.Errorf("picture: X has %d entries, want %d×%d", len(X), f, t)
	case len(W) != f*k:
		return fmt.Errorf("picture: W has %d entries, want %d×%d", len(W), f, k)
	case len(H) != k*t:
		return fmt.Errorf("picture: H has %d entries, want %d×%d", len(H), k, t)
	}
	fa := newAxis(f, minRows, maxRows)
	ta := newAxis(t, minCols, maxCols)
	pw := min(48, max(3, 480/k)) - sep // W panel width
	pw = max(pw, 2)
	rh := min(40, max(3, 240/k)) - sep // H strip height
	rh = max(rh, 2)
	sx := sep + k*(pw+sep) // spectrogram left
	sy := sep              // spectrogram top
	hy := sy + fa.pixels + sep
	img := image.NewRGBA(image.Rect(0, 0, sx+ta.pixels+sep, hy+k*(rh+sep)))
	fill(img, img.Bounds(), white)

	drawSpectrogram(img, X, t, fa, ta, sx, sy)

	for c := 0; c < k; c++ {
		col := palette[c%len(palette)]
		// Spectrum of component c, frequency 0 at the bottom.
		x0 := sep + c*(pw+sep)
		wmax := 0.0
		for i := 0; i < f; i++ {
			wmax = pos(wmax, W[i*k+c])
		}
		fill(img, image.Rect(x0, sy, x0+pw, sy+fa.pixels), color.RGBA{R: 245, G: 245, B: 245, A: 255})
		for py := 0; py < fa.pixels; py++ {
			f0, f1 := fa.span(fa.pixels - 1 - py)
			m := 0.0
			for i := f0; i < f1; i++ {
				m = pos(m, W[i*k+c])
			}
			frac := 0.0
			if wmax > 0 {
				frac = (dB(m) - dB(wmax) + wdBRange) / wdBRange
			}
			n := int(math.Round(clamp01(frac) * float64(pw)))
			fill(img, image.Rect(x0, sy+py, x0+n, sy+py+1), col)
		}
		// Activation of component c.
		y0 := hy + c*(rh+sep)
		hmax := 0.0
		for j := 0; j < t; j++ {
			hmax = pos(hmax, H[c*t+j])
		}
		fill(img, image.Rect(sx, y0, sx+ta.pixels, y0+rh), color.RGBA{R: 245, G: 245, B: 245, A: 255})
		for px := 0; px < ta.pixels; px++ {
			t0, t1 := ta.span(px)
			m := 0.0
			for j := t0; j < t1; j++ {
				m = pos(m, H[c*t+j])
			}
			frac := 0.0
			if hmax > 0 {
				frac = m / hmax
			}
			n := int(math.Round(clamp01(frac) * float64(rh)))
			fill(img, image.Rect(sx+px, y0+rh-n, sx+px+1, y0+rh), col)
		}
		// A swatch left of the strip ties it to its spectrum panel.
		fill(img, image.Rect(x0, y0, x0+pw, y0+rh), col)
	}
	if err := png.Encode(w, img); err != nil {
		return fmt.Errorf("picture: writing PNG: %w", err)
	}
	return nil
}

// drawSpectrogram draws X (f×t, row-major) in dB at (sx, sy) of img, over
// fa.pixels rows (frequency 0 at the bottom) and ta.pixels columns, each
// pixel the maximum of the bins and frames it covers.
func drawSpectrogram(img *image.RGBA, X []float64, t int, fa, ta axis, sx, sy int) {
	top := math.Inf(-1)
	for _, v := range X {
		top = math.Max(top, dB(v))
	}
	if math.IsInf(top, -1) {
		top = 0
	}
	for py := 0; py < fa.pixels; py++ {
		f0, f1 := fa.span(fa.pixels - 1 - py)
		for px := 0; px < ta.pixels; px++ {
			t0, t1 := ta.span(px)
			m := 0.0
			for i := f0; i < f1; i++ {
				for j := t0; j < t1; j++ {
					m = pos(m, X[i*t+j])
				}
			}
			img.SetRGBA(sx+px, sy+py, viridis((dB(m)-top+dBRange)/dBRange))
		}
	}
}

// palette holds the component colors (Tableau 10).
var palette = []color.RGBA{
	{31, 119, 180, 255}, {255, 127, 14, 255}, {44, 160, 44, 255}, {214, 39, 40, 255},
	{148, 103, 189, 255}, {140, 86, 75, 255}, {227, 119, 194, 255}, {127, 127, 127, 255},
	{188, 189, 34, 255}, {23, 190, 207, 255},
}

// pos returns the larger of m and v, ignoring v unless it is positive and
// finite.
func pos(m, v float64) float64 {
	if v > m && !math.IsInf(v, 1) {
		return v
	}
	return m
}

// dB returns 20·log10(v), with a floor far below any range drawn.
func dB(v float64) float64 {
	if !(v > 1e-30) || math.IsInf(v, 1) {
		return -600
	}
	return 20 * math.Log10(v)
}

func clamp01(v float64) float64 {
	if !(v > 0) {
		return 0
	}
	return math.Min(v, 1)
}

func fill(img *image.RGBA, r image.Rectangle, c color.RGBA) {
	r = r.Intersect(img.Bounds())
	for y := r.Min.Y; y < r.Max.Y; y++ {
		for x := r.Min.X; x < r.Max.X; x++ {
			img.SetRGBA(x, y, c)
		}
	}
}

// viridisStops samples matplotlib's viridis colormap at 0, 1/8, …, 1.
var viridisStops = [][3]float64{
	{68, 1, 84}, {71, 44, 122}, {59, 81, 139}, {44, 113, 142}, {33, 144, 141},
	{39, 173, 129}, {92, 200, 99}, {170, 220, 50}, {253, 231, 37},
}

// viridis maps v in [0, 1] (clamped) to a color.
func viridis(v float64) color.RGBA {
	v = clamp01(v) * float64(len(viridisStops)-1)
	i := min(int(v), len(viridisStops)-2)
	u := v - float64(i)
	a, b := viridisStops[i], viridisStops[i+1]
	mix := func(j int) uint8 { return uint8(math.Round(a[j] + u*(b[j]-a[j]))) }
	return color.RGBA{R: mix(0), G: mix(1), B: mix(2), A: 255}
}
