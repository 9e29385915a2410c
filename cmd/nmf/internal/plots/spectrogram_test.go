package plots

import (
	"image/color"
	"math"
	"reflect"
	"testing"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/palette/moreland"
)

// testSound is an STFT of 256 samples stepping by 64 at 8000 Hz over
// frames frames, k components, with one loud bin (20 at frame 5, 100).
func testSound(frames, k int) Sound {
	s := Sound{Freqs: 129, Frames: frames, K: k, Rate: 8000, Hop: 64, FFTSize: 256, Samples: 256 + (frames-1)*64 + 10}
	s.X = make([]float64, s.Freqs*frames)
	for i := range s.X {
		s.X[i] = 0.01 * float64(1+i%13)
	}
	s.X[20*frames+5] = 100
	s.W = make([]float64, s.Freqs*k)
	for i := range s.W {
		s.W[i] = float64(1 + i%5)
	}
	s.H = make([]float64, k*frames)
	for i := range s.H {
		s.H[i] = float64(i % 7)
	}
	return s
}

// TestSpectrogram checks the axes of each panel: time from 0 to the
// sound's duration, frequency on a log scale over the STFT's bins 1 to
// Nyquist (half a bin beyond each), the components' strips and labels, the
// colour scale's 80 dB below X's maximum, and the PNG's size.
func TestSpectrogram(t *testing.T) {
	s := testSound(40, 3)
	f, err := Spectrogram(s)
	if err != nil {
		t.Fatal(err)
	}
	spectra, spec, bar, acts := f.Cells[0][0], f.Cells[0][1], f.Cells[0][2], f.Cells[1][1]
	if f.Cells[1][0] != nil || f.Cells[1][2] != nil {
		t.Errorf("cells %v", f.Cells)
	}
	duration := float64(s.Samples) / 8000
	binHz := 8000.0 / 256
	for _, p := range []*plot.Plot{spec, spectra} {
		if _, ok := p.Y.Scale.(plot.LogScale); !ok || p.Y.Min != binHz/2 || p.Y.Max != 128.5*binHz {
			t.Errorf("%q: y [%v, %v] (%T), want [%v, %v] log", p.Title.Text, p.Y.Min, p.Y.Max, p.Y.Scale, binHz/2, 128.5*binHz)
		}
	}
	for _, p := range []*plot.Plot{spec, acts} {
		if p.X.Min != 0 || p.X.Max != duration {
			t.Errorf("%q: x [%v, %v], want [0, %v]", p.Title.Text, p.X.Min, p.X.Max, duration)
		}
	}
	if spectra.X.Min != 0 || spectra.X.Max != 3 || acts.Y.Min != 0 || acts.Y.Max != 3 || acts.X.Label.Text != "time (s)" || spectra.Y.Label.Text != "frequency (Hz)" {
		t.Errorf("strips: spectra x [%v, %v], activations y [%v, %v], labels %q, %q", spectra.X.Min, spectra.X.Max, acts.Y.Min, acts.Y.Max, acts.X.Label.Text, spectra.Y.Label.Text)
	}
	// Component 1 is the top strip of the activations, the left one of
	// the spectra.
	want := []plot.Tick{{Value: 2.45, Label: "component 1"}, {Value: 1.45, Label: "component 2"}, {Value: 0.45, Label: "component 3"}}
	if got := acts.Y.Tick.Marker.Ticks(0, 3); !reflect.DeepEqual(got, want) {
		t.Errorf("activation ticks %v, want %v", got, want)
	}
	if got := spectra.X.Tick.Marker.Ticks(0, 3); len(got) != 3 || got[0] != (plot.Tick{Value: 0.45, Label: "1"}) {
		t.Errorf("spectrum ticks %v", got)
	}
	if top := 40.0; bar.Y.Min != top-80 || bar.Y.Max != top || bar.Y.Label.Text != "|X| (dB)" {
		t.Errorf("colour scale [%v, %v] %q, want [%v, %v]", bar.Y.Min, bar.Y.Max, bar.Y.Label.Text, top-80, top)
	}
	if r := pngBounds(t, f, 600, 375); r.Dx() != 800 || r.Dy() != 500 {
		t.Errorf("PNG %v, want 800×500", r)
	}
}

// TestSpectrogramImage checks the spectrogram's pixels: 512 rows
// log-spaced from half a bin above 0 Hz to half a bin above Nyquist (the
// loud bin in the top colour in the row of its frequency, its neighbours
// darker; the lowest rows, narrower than a bin, all bin 1), a column per
// frame spanning the frames' times; a long sound's frames grouped to at
// most 1024 columns, each the maximum of its group.
func TestSpectrogramImage(t *testing.T) {
	cm := moreland.ExtendedBlackBody()
	cm.SetMin(-40)
	cm.SetMax(40)
	step := 64.0 / 8000
	top := color.RGBAModel.Convert(cm.Palette(256).Colors()[255])
	lo, hi := 15.625, 128.5*31.25
	for _, c := range []struct{ frames, cols, group int }{{40, 40, 1}, {3000, 1000, 3}} {
		s := testSound(c.frames, 2)
		r := spectrogramImage(&s, cm)
		img := r.img
		if b := img.Bounds(); b.Dx() != c.cols || b.Dy() != 512 {
			t.Errorf("%d frames: image %v, want %d×512", c.frames, b, c.cols)
		}
		if first := 128.0 / 8000; math.Abs(r.x0-(first-step/2)) > 1e-15 || math.Abs(r.x1-r.x0-float64(c.cols*c.group)*step) > 1e-12 || r.y0 != lo || r.y1 != hi {
			t.Errorf("%d frames: spans x [%v, %v] y [%v, %v]", c.frames, r.x0, r.x1, r.y0, r.y1)
		}
		row := func(bin int) int { return 511 - logRow(float64(bin)*31.25, lo, hi) }
		col := 5 / c.group
		if loud := img.At(col, row(20)); loud != top || img.At(col, row(21)) == top || img.At(col, row(19)) == top || img.At(c.cols-1, row(20)) == top {
			t.Errorf("%d frames: loud pixel %v, want %v", c.frames, loud, top)
		}
		if row(20) == row(21) || img.At(col, 511) != img.At(col, 511-40) || img.At(col, 511) == top {
			t.Errorf("%d frames: bin 20 in row %d, 21 in %d; bottom rows %v, %v", c.frames, row(20), row(21), img.At(col, 511), img.At(col, 511-40))
		}
	}
}

func TestHzTicks(t *testing.T) {
	var labels []string
	var values []float64
	for _, tk := range (hzTicks{}).Ticks(15, 4000) {
		if tk.Label != "" {
			labels, values = append(labels, tk.Label), append(values, tk.Value)
		}
	}
	if want := []string{"20", "50", "100", "200", "500", "1k", "2k"}; !reflect.DeepEqual(labels, want) || values[5] != 1000 {
		t.Errorf("labels %q at %v, want %q", labels, values, want)
	}
}

func TestSpectrogramRefuses(t *testing.T) {
	for name, change := range map[string]func(s *Sound){
		"bins":      func(s *Sound) { s.Freqs = 128 },
		"W length":  func(s *Sound) { s.W = s.W[1:] },
		"NaN in H":  func(s *Sound) { s.H[3] = nan() },
		"negative":  func(s *Sound) { s.X[0] = -1 },
		"too short": func(s *Sound) { s.Samples = 300 },
		"no rate":   func(s *Sound) { s.Rate = 0 },
	} {
		s := testSound(10, 2)
		change(&s)
		if _, err := Spectrogram(s); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
}
