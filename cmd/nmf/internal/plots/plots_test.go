package plots

import (
	"bytes"
	"image"
	"image/png"
	"math"
	"strings"
	"testing"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"
)

func TestConvergence(t *testing.T) {
	trace := []Point{{0, 0.01, 1000, 1200}, {10, 0.5, 50, 80}, {20, 1.25, 2, 30}}
	f, err := Convergence(trace, "kl")
	if err != nil {
		t.Fatal(err)
	}
	if len(f.Cells) != 1 || len(f.Cells[0]) != 2 {
		t.Fatalf("cells %v", f.Cells)
	}
	byIter, byTime := f.Cells[0][0], f.Cells[0][1]
	// Both panels span the errors and the objectives; x from 0 to the last
	// iteration, and to the last point's seconds.
	for _, c := range []struct {
		p          *plot.Plot
		xMax       float64
		xLabel     string
		yMin, yMax float64
	}{{byIter, 20, "iteration", 2, 1200}, {byTime, 1.25, "time since the solve began (s)", 2, 1200}} {
		if c.p.X.Min != 0 || c.p.X.Max != c.xMax || c.p.Y.Min != c.yMin || c.p.Y.Max != c.yMax || c.p.X.Label.Text != c.xLabel {
			t.Errorf("%q: axes x [%v, %v] y [%v, %v], want [0, %v] [%v, %v]", c.p.X.Label.Text, c.p.X.Min, c.p.X.Max, c.p.Y.Min, c.p.Y.Max, c.xMax, c.yMin, c.yMax)
		}
		if _, ok := c.p.Y.Scale.(plot.LogScale); !ok {
			t.Errorf("%q: scale %T", c.p.X.Label.Text, c.p.Y.Scale)
		}
	}
	if byIter.Title.Text != "kl" {
		t.Errorf("title %q", byIter.Title.Text)
	}
	// The y range 2..1200 holds the objective's 1200: it is drawn. Its
	// legend says when it is the error.
	if a, b := objectiveName(true), objectiveName(false); a != "regularised objective" || b != "regularised objective (= error: no penalty)" {
		t.Errorf("legend names %q, %q", a, b)
	}
	// Within less than two decades, or with an error of 0: linear.
	for _, tr := range [][]Point{{{0, 0, 5, 5}, {10, 1, 3, 3}}, {{0, 0, 5, 5}, {10, 1, 0, 0}}} {
		f, err := Convergence(tr, "")
		if err != nil {
			t.Fatal(err)
		}
		if _, ok := f.Cells[0][0].Y.Scale.(plot.LogScale); ok {
			t.Errorf("%v: log scale", tr)
		}
	}
	// 600×240 points at vgimg's default 96 dpi.
	if r := pngBounds(t, f, 600, 240); r.Dx() != 800 || r.Dy() != 320 {
		t.Errorf("PNG %v, want 800×320", r)
	}
	for _, bad := range [][]Point{nil, {{0, 0, 1, 1}, {10, 1, nan(), 1}}, {{0, 0, 1, 1}, {10, -1, 1, 1}}, {{0, 0, 1, math.Inf(1)}}} {
		if _, err := Convergence(bad, ""); err == nil {
			t.Errorf("%v: no error", bad)
		}
	}
}

// TestFigureAligns checks that a figure's cells share their data areas'
// edges along rows and columns, whatever their axes' labels.
func TestFigureAligns(t *testing.T) {
	mk := func(ylabel string) *plot.Plot {
		p := plot.New()
		p.Y.Label.Text = ylabel
		p.X.Min, p.X.Max, p.Y.Min, p.Y.Max = 0, 1, 0, 1000000
		return p
	}
	a, b, c := mk("a long label"), mk(""), mk("c")
	f := &Figure{Cells: [][]*plot.Plot{{a, b}, {nil, c}}, Widths: []float64{1, 3}, Heights: []float64{2, 1}}
	cv := vgimg.New(400, 300)
	dc := draw.New(cv)
	if err := f.Draw(dc); err != nil {
		t.Fatal(err)
	}
	// Recompute the canvases as Draw does and check the data areas.
	m := func(p *plot.Plot) margins { return marginsOf(p, dc) }
	left := max(m(b).left, m(c).left)
	x0, w := spans(400, []vg.Length{m(a).left, left}, []vg.Length{m(a).right, max(m(b).right, m(c).right)}, f.Widths)
	if d := w[1] / w[0]; math.Abs(float64(d)-3) > 1e-9 || x0[1] <= x0[0]+w[0] {
		t.Errorf("columns at %v sizes %v", x0, w)
	}
	if bad := (&Figure{Cells: [][]*plot.Plot{{a}}, Widths: []float64{1, 1}, Heights: []float64{1}}).Draw(dc); bad == nil {
		t.Error("a row of 1 cell in 2 columns: no error")
	}
}

// pngBounds is the size of f written as a w×h point PNG.
func pngBounds(t *testing.T, f *Figure, w, h vg.Length) image.Rectangle {
	t.Helper()
	var b bytes.Buffer
	if err := f.WritePNG(&b, w, h); err != nil {
		t.Fatal(err)
	}
	img, err := png.Decode(&b)
	if err != nil {
		t.Fatal(err)
	}
	return img.Bounds()
}

func nan() float64 { var z float64; return z / z }

func TestHeatmap(t *testing.T) {
	data := []float64{0, 1, 2, 3, 4, 5} // 2×3
	h, err := NewHeatmap(data, 2, 3, "H", "component", "feature", nil, []string{"a", "b", "c"})
	if err != nil {
		t.Fatal(err)
	}
	p := h.Plot
	if p.X.Min != -0.5 || p.X.Max != 2.5 || p.Y.Min != -0.5 || p.Y.Max != 1.5 {
		t.Errorf("axes x [%v, %v] y [%v, %v]", p.X.Min, p.X.Max, p.Y.Min, p.Y.Max)
	}
	var labels []string
	for _, tk := range p.X.Tick.Marker.Ticks(p.X.Min, p.X.Max) {
		labels = append(labels, tk.Label)
	}
	if strings.Join(labels, ",") != "a,b,c" {
		t.Errorf("column ticks %q, want the header's names", labels)
	}
	// Row 0 is drawn at the top.
	rows := p.Y.Tick.Marker.Ticks(p.Y.Min, p.Y.Max)
	if len(rows) != 2 || rows[0].Label != "0" || rows[0].Value != 1 {
		t.Errorf("row ticks %+v", rows)
	}
	g := matrix{2, 3, data}
	if g.Z(0, 1) != 0 || g.Z(2, 0) != 5 {
		t.Errorf("grid: Z(0,1) = %v, Z(2,0) = %v; want 0 and 5", g.Z(0, 1), g.Z(2, 0))
	}
	if sc := h.Scale; sc.Y.Min != 0 || sc.Y.Max != 5 {
		t.Errorf("colour scale [%v, %v], want [0, 5]", sc.Y.Min, sc.Y.Max)
	}
	var b bytes.Buffer
	if err := h.WritePNG(&b, 420, 300); err != nil {
		t.Fatal(err)
	}
	if img, err := png.Decode(&b); err != nil || img.Bounds().Dx() != 560 {
		t.Errorf("PNG: %v", err)
	}
	for _, c := range []struct {
		data       []float64
		rows, cols int
	}{{data, 3, 3}, {make([]float64, 2001), 1, 2001}, {[]float64{nan()}, 1, 1}} {
		if _, err := NewHeatmap(c.data, c.rows, c.cols, "", "", "", nil, nil); err == nil {
			t.Errorf("%d×%d: no error", c.rows, c.cols)
		}
	}
	// Many cells: about 20 index ticks, not one per cell.
	h, err = NewHeatmap(make([]float64, 500), 500, 1, "", "", "", nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	if n := len(h.Plot.Y.Tick.Marker.Ticks(0, 500)); n < 10 || n > 25 {
		t.Errorf("%d row ticks for 500 rows", n)
	}
}
