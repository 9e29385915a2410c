package plots

import (
	"bytes"
	"image/png"
	"strings"
	"testing"

	"gonum.org/v1/plot"
)

func TestConvergence(t *testing.T) {
	p, err := Convergence([]Point{{0, 1000}, {10, 50}, {20, 2}}, "kl")
	if err != nil {
		t.Fatal(err)
	}
	if p.X.Min != 0 || p.X.Max != 20 || p.Y.Min != 2 || p.Y.Max != 1000 {
		t.Errorf("axes x [%v, %v] y [%v, %v], want [0, 20] [2, 1000]", p.X.Min, p.X.Max, p.Y.Min, p.Y.Max)
	}
	if _, ok := p.Y.Scale.(plot.LogScale); !ok || p.X.Label.Text != "iteration" || p.Title.Text != "kl" {
		t.Errorf("scale %T, x label %q, title %q", p.Y.Scale, p.X.Label.Text, p.Title.Text)
	}
	// Within less than two decades, or with an error of 0: linear.
	for _, tr := range [][]Point{{{0, 5}, {10, 3}}, {{0, 5}, {10, 0}}} {
		p, err := Convergence(tr, "")
		if err != nil {
			t.Fatal(err)
		}
		if _, ok := p.Y.Scale.(plot.LogScale); ok {
			t.Errorf("%v: log scale", tr)
		}
	}
	var b bytes.Buffer
	if err := WritePNG(&b, p, 300, 200); err != nil {
		t.Fatal(err)
	}
	img, err := png.Decode(&b)
	if err != nil {
		t.Fatal(err)
	}
	// 300×200 points at vgimg's default 96 dpi; the line is drawn (dark
	// pixels), not only the frame.
	if r := img.Bounds(); r.Dx() != 400 || r.Dy() != 267 {
		t.Errorf("PNG %v, want 400×267", r)
	}
	for _, bad := range [][]Point{nil, {{0, 1}, {10, nan()}}} {
		if _, err := Convergence(bad, ""); err == nil {
			t.Errorf("%v: no error", bad)
		}
	}
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
