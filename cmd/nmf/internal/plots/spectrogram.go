package plots

import (
	"fmt"
	"image"
	"math"
	"strconv"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/palette"
	"gonum.org/v1/plot/palette/moreland"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/plotutil"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
)

// Sound is an NMF of the magnitude spectrogram of a sound: X (Freqs×Frames)
// ≈ W (Freqs×K) · H (K×Frames), all row-major, from an STFT of FFTSize
// samples per frame stepping by Hop (frame t covers samples [t·Hop,
// t·Hop+FFTSize)) of a sound of Samples samples at Rate per second.
type Sound struct {
	X, W, H            []float64
	Freqs, Frames, K   int
	Rate, Hop, FFTSize int
	Samples            int
}

// Drawing constants of Spectrogram.
const (
	dBRange        = 80   // dynamic range of the spectrogram, in dB
	spectrumRange  = 60   // dynamic range of each spectrum, in dB
	maxImageCols   = 1024 // the spectrogram's frames are grouped to at most this many columns
	maxLinePoints  = 2000 // an activation is drawn through at most this many points
	stackedFilling = 0.9  // a component's share of its strip in the stacked panels
)

// check checks the sizes of s and that its values are finite.
func (s *Sound) check() error {
	switch {
	case s.Rate < 1 || s.Hop < 1 || s.FFTSize < 2 || s.Freqs != s.FFTSize/2+1:
		return fmt.Errorf("plots: a spectrogram of %d bins from an FFT of %d samples (hop %d, rate %d)", s.Freqs, s.FFTSize, s.Hop, s.Rate)
	case s.Frames < 1 || s.K < 1 || s.Samples < s.FFTSize+(s.Frames-1)*s.Hop:
		return fmt.Errorf("plots: %d frames of %d components from %d samples", s.Frames, s.K, s.Samples)
	}
	for _, m := range []struct {
		name       string
		v          []float64
		rows, cols int
	}{{"X", s.X, s.Freqs, s.Frames}, {"W", s.W, s.Freqs, s.K}, {"H", s.H, s.K, s.Frames}} {
		if len(m.v) != m.rows*m.cols {
			return fmt.Errorf("plots: %s has %d values, want %d×%d", m.name, len(m.v), m.rows, m.cols)
		}
		for _, v := range m.v {
			if math.IsNaN(v) || math.IsInf(v, 0) || v < 0 {
				return fmt.Errorf("plots: a value %v of %s", v, m.name)
			}
		}
	}
	return nil
}

// duration is the sound's length in seconds, binHz the STFT's bin spacing.
func (s *Sound) duration() float64 { return float64(s.Samples) / float64(s.Rate) }
func (s *Sound) binHz() float64    { return float64(s.Rate) / float64(s.FFTSize) }

// frameTime is the time of the centre of frame t.
func (s *Sound) frameTime(t int) float64 {
	return (float64(t*s.Hop) + float64(s.FFTSize)/2) / float64(s.Rate)
}

// freqRange is the frequency axis: from half a bin below bin 1 to half a
// bin above the last (the Nyquist frequency). Bin 0 (0 Hz) has no place on
// a log scale and is not drawn.
func (s *Sound) freqRange() (lo, hi float64) {
	return 0.5 * s.binHz(), (float64(s.Freqs) - 0.5) * s.binHz()
}

// Spectrogram is the classic picture of an NMF of a sound: the
// spectrogram of X in dB (time in seconds, frequency in Hz on a log scale)
// with its colour scale; to its left the spectrum of each of W's columns,
// in dB over 60 dB, each in its own strip labelled by its component; below
// it the activation of each of H's rows against time, each scaled to its
// own maximum in a labelled strip. Cells of the figure: [0][0] spectra,
// [0][1] spectrogram, [0][2] colour scale, [1][1] activations.
func Spectrogram(s Sound) (*Figure, error) {
	if err := s.check(); err != nil {
		return nil, err
	}
	lo, hi := s.freqRange()
	spec, bar := spectrogramPlot(&s)
	spectra, err := spectraPlot(&s)
	if err != nil {
		return nil, err
	}
	acts, err := activationsPlot(&s)
	if err != nil {
		return nil, err
	}
	for _, p := range []*plot.Plot{spec, spectra} {
		p.Y.Scale = plot.LogScale{}
		p.Y.Tick.Marker = hzTicks{}
		p.Y.Min, p.Y.Max = lo, hi
		p.Add(plotter.NewGrid())
	}
	spectra.Y.Label.Text = "frequency (Hz)"
	for _, p := range []*plot.Plot{spec, acts} {
		p.X.Min, p.X.Max = 0, s.duration()
	}
	acts.X.Label.Text = "time (s)"
	return &Figure{
		Cells:   [][]*plot.Plot{{spectra, spec, bar}, {nil, acts, nil}},
		Widths:  []float64{1.2, 5, 0.15},
		Heights: []float64{2.2, 1},
	}, nil
}

// spectrogramPlot is X in dB as an image on the log frequency axis and its
// colour scale, 80 dB below X's maximum to it.
func spectrogramPlot(s *Sound) (*plot.Plot, *plot.Plot) {
	top := 0.0
	for _, v := range s.X {
		top = max(top, v)
	}
	cm := moreland.ExtendedBlackBody()
	cm.SetMax(max(dB(top), -500)) // silence: all at the bottom of the scale
	cm.SetMin(cm.Max() - dBRange)
	p := plot.New()
	p.Title.Text = "spectrogram |X|"
	p.Add(spectrogramImage(s, cm))
	sc := plot.New()
	sc.HideX()
	sc.Y.Label.Text = "|X| (dB)"
	sc.Add(&plotter.ColorBar{ColorMap: cm, Vertical: true})
	return p, sc
}

// raster is an image drawn over the data rectangle [x0, x1]×[y0, y1] as it
// is: its rows already spaced as the plot's y axis (plotter.Image warps a
// linearly spaced image for a log axis, pixel by pixel: seconds for a long
// sound).
type raster struct {
	img            image.Image
	x0, x1, y0, y1 float64
}

func (r *raster) Plot(c draw.Canvas, p *plot.Plot) {
	trX, trY := p.Transforms(&c)
	c.DrawImage(vg.Rectangle{Min: vg.Point{X: trX(r.x0), Y: trY(r.y0)}, Max: vg.Point{X: trX(r.x1), Y: trY(r.y1)}}, r.img)
}

func (r *raster) DataRange() (xmin, xmax, ymin, ymax float64) { return r.x0, r.x1, r.y0, r.y1 }

// imageRows is the spectrogram image's height: rows evenly spaced in log
// frequency over freqRange.
const imageRows = 512

// logRow is the row (from the bottom) of the frequency f on imageRows rows
// log-spaced from lo to hi, clamped to the rows.
func logRow(f, lo, hi float64) int {
	return min(max(int(imageRows*math.Log(f/lo)/math.Log(hi/lo)), 0), imageRows-1)
}

// spectrogramImage is bins 1… of X in dB coloured by cm: imageRows rows
// log-spaced over the frequency axis (each the maximum of the bins whose
// centre it holds, or where it holds none, the nearest bin), frames
// grouped by maxima to at most maxImageCols columns, spanning the frames'
// times.
func spectrogramImage(s *Sound, cm palette.ColorMap) *raster {
	lo, hi := s.freqRange()
	first := make([]int, imageRows+1) // bins [first[r], first[r+1]) have their centre in row r
	for i := s.Freqs - 1; i >= 1; i-- {
		first[logRow(float64(i)*s.binHz(), lo, hi)] = i
	}
	first[imageRows] = s.Freqs
	for r := imageRows - 1; r >= 0; r-- {
		if first[r] == 0 || first[r] > first[r+1] {
			first[r] = first[r+1]
		}
	}
	colors := cm.Palette(256).Colors()
	cg := (s.Frames + maxImageCols - 1) / maxImageCols
	cols := (s.Frames + cg - 1) / cg
	img := image.NewRGBA(image.Rect(0, 0, cols, imageRows))
	for r := 0; r < imageRows; r++ {
		b0, b1 := first[r], first[r+1]
		if b0 == b1 { // no bin's centre: the nearest bin
			fc := lo * math.Pow(hi/lo, (float64(r)+0.5)/imageRows)
			b0 = min(max(int(math.Round(fc/s.binHz())), 1), s.Freqs-1)
			b1 = b0 + 1
		}
		for c := 0; c < cols; c++ {
			m := 0.0
			for i := b0; i < b1; i++ {
				for _, v := range s.X[i*s.Frames+c*cg : i*s.Frames+min((c+1)*cg, s.Frames)] {
					m = max(m, v)
				}
			}
			u := (dB(m) - cm.Min()) / (cm.Max() - cm.Min())
			img.Set(c, imageRows-1-r, colors[min(max(int(u*float64(len(colors))), 0), len(colors)-1)])
		}
	}
	step := float64(s.Hop) / float64(s.Rate) // seconds per frame
	x0 := s.frameTime(0) - step/2
	return &raster{img: img, x0: x0, x1: x0 + float64(cols*cg)*step, y0: lo, y1: hi}
}

// spectraPlot draws each component's spectrum (W's column c) in strip c:
// at x = c + 0.9·(its dB over a 60 dB range below its maximum), against
// the bins' frequencies.
func spectraPlot(s *Sound) (*plot.Plot, error) {
	p := plot.New()
	p.Title.Text = "spectra (W)"
	p.X.Label.Text = fmt.Sprintf("component (%d dB each)", spectrumRange)
	for c := 0; c < s.K; c++ {
		top := math.Inf(-1)
		for i := 1; i < s.Freqs; i++ {
			top = max(top, dB(s.W[i*s.K+c]))
		}
		xy := make(plotter.XYs, s.Freqs-1)
		for i := 1; i < s.Freqs; i++ {
			frac := (dB(s.W[i*s.K+c]) - top + spectrumRange) / spectrumRange
			xy[i-1] = plotter.XY{X: float64(c) + stackedFilling*min(max(frac, 0), 1), Y: float64(i) * s.binHz()}
		}
		if err := addLine(p, xy, c); err != nil {
			return nil, err
		}
	}
	p.X.Min, p.X.Max = 0, float64(s.K)
	p.X.Tick.Marker = stripTicks(s.K, false, "")
	return p, nil
}

// activationsPlot draws each component's activation (H's row c, scaled to
// its maximum) in strip c from the top, against the frames' times; a long
// activation is drawn through the maxima of groups of frames.
func activationsPlot(s *Sound) (*plot.Plot, error) {
	p := plot.New()
	p.Title.Text = "activations (H), each scaled to its maximum"
	g := (s.Frames + maxLinePoints - 1) / maxLinePoints
	for c := 0; c < s.K; c++ {
		row := s.H[c*s.Frames : (c+1)*s.Frames]
		top := 0.0
		for _, v := range row {
			top = max(top, v)
		}
		base := float64(s.K - 1 - c)
		var xy plotter.XYs
		for t := 0; t < s.Frames; t += g {
			m, at := 0.0, t
			for j := t; j < min(t+g, s.Frames); j++ {
				if row[j] > m {
					m, at = row[j], j
				}
			}
			v := 0.0
			if top > 0 {
				v = m / top
			}
			xy = append(xy, plotter.XY{X: s.frameTime(at), Y: base + stackedFilling*v})
		}
		if err := addLine(p, xy, c); err != nil {
			return nil, err
		}
	}
	p.Y.Min, p.Y.Max = 0, float64(s.K)
	p.Y.Tick.Marker = stripTicks(s.K, true, "component ")
	return p, nil
}

// addLine adds xy to p as a line in component c's colour.
func addLine(p *plot.Plot, xy plotter.XYs, c int) error {
	l, err := plotter.NewLine(xy)
	if err != nil {
		return err
	}
	l.Color = plotutil.Color(c)
	l.Width = vg.Points(1.2)
	p.Add(l)
	return nil
}

// stripTicks labels the k strips of a stacked panel, strip c (component
// c+1) at c+0.45, or from the top when flip; about 20 labels at most.
func stripTicks(k int, flip bool, prefix string) plot.ConstantTicks {
	var ticks plot.ConstantTicks
	step := max(1, (k+19)/20)
	for c := 0; c < k; c += step {
		at := float64(c)
		if flip {
			at = float64(k - 1 - c)
		}
		ticks = append(ticks, plot.Tick{Value: at + stackedFilling/2, Label: prefix + strconv.Itoa(c+1)})
	}
	return ticks
}

// hzTicks labels a log frequency axis at 1, 2 and 5 times the powers of
// ten (20, 50, 100, …, 1k, 2k, 5k, 10k) with unlabelled ticks between.
type hzTicks struct{}

func (hzTicks) Ticks(lo, hi float64) []plot.Tick {
	var ticks []plot.Tick
	for e := math.Floor(math.Log10(lo)); e <= math.Ceil(math.Log10(hi)); e++ {
		p := math.Pow(10, e)
		for m := 1; m < 10; m++ {
			v := float64(m) * p
			if v < lo || v > hi {
				continue
			}
			t := plot.Tick{Value: v}
			if m == 1 || m == 2 || m == 5 {
				t.Label = hzLabel(v)
			}
			ticks = append(ticks, t)
		}
	}
	return ticks
}

// hzLabel is v Hz as 50, 500, 5k, 50k.
func hzLabel(v float64) string {
	if v >= 1000 {
		return strconv.FormatFloat(v/1000, 'g', -1, 64) + "k"
	}
	return strconv.FormatFloat(v, 'g', -1, 64)
}

// dB is 20·log10(v), with a floor far below any range drawn.
func dB(v float64) float64 {
	if !(v > 1e-30) {
		return -600
	}
	return 20 * math.Log10(v)
}
