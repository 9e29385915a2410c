// Package plots draws the pictures of a fit people look at, with
// gonum.org/v1/plot: the convergence of the error and the objective,
// heatmaps of the factors of a matrix, and the spectrogram of a sound with
// its components. Each picture is built as plots (a Figure of aligned
// plots, or a Heatmap, a plot and its colour scale), which the tests
// inspect (axis ranges, labels), and written as PNG.
package plots

import (
	"fmt"
	"io"
	"math"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/palette/moreland"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
)

// Heatmap is a matrix drawn as coloured cells, row 0 at the top, and its
// colour scale.
type Heatmap struct {
	Plot  *plot.Plot
	Scale *plot.Plot // the colour bar
}

// matrix is a row-major rows×cols matrix as a plotter.GridXYZ: cell (c, r)
// is column c, row r counted from the top.
type matrix struct {
	rows, cols int
	data       []float64
}

func (m matrix) Dims() (c, r int)   { return m.cols, m.rows }
func (m matrix) Z(c, r int) float64 { return m.data[(m.rows-1-r)*m.cols+c] }
func (m matrix) X(c int) float64    { return float64(c) }
func (m matrix) Y(r int) float64    { return float64(r) }

// MaxSide is the largest number of rows or columns drawn as a heatmap: a
// larger one has cells too thin to read.
const MaxSide = 2000

// NewHeatmap draws the rows×cols matrix data (row-major). rowNames and
// colNames, when given (one per row or column, and at most 40), label the
// ticks; otherwise the ticks are indices.
func NewHeatmap(data []float64, rows, cols int, title, rowLabel, colLabel string, rowNames, colNames []string) (*Heatmap, error) {
	switch {
	case rows < 1 || cols < 1 || len(data) != rows*cols:
		return nil, fmt.Errorf("plots: %d values for a %d×%d heatmap", len(data), rows, cols)
	case rows > MaxSide || cols > MaxSide:
		return nil, fmt.Errorf("plots: %d×%d is larger than %d on a side", rows, cols, MaxSide)
	}
	lo, hi := math.Inf(1), math.Inf(-1)
	for _, v := range data {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return nil, fmt.Errorf("plots: a value of the heatmap is %v", v)
		}
		lo, hi = min(lo, v), max(hi, v)
	}
	if hi == lo {
		hi = lo + 1 // a constant matrix: one colour, a scale that is not empty
	}
	cm := moreland.ExtendedBlackBody()
	cm.SetMin(lo)
	cm.SetMax(hi)
	pal := cm.Palette(255)
	hm := plotter.NewHeatMap(matrix{rows, cols, data}, pal)
	hm.Min, hm.Max = lo, hi
	p := plot.New()
	p.Title.Text = title
	p.X.Label.Text = colLabel
	p.Y.Label.Text = rowLabel
	p.Add(hm)
	p.X.Min, p.X.Max = -0.5, float64(cols)-0.5
	p.Y.Min, p.Y.Max = -0.5, float64(rows)-0.5
	p.X.Tick.Marker = indexTicks(cols, colNames, false)
	p.Y.Tick.Marker = indexTicks(rows, rowNames, true)
	sc := plot.New()
	sc.HideX()
	sc.Y.Label.Text = "value"
	sc.Add(&plotter.ColorBar{ColorMap: cm, Vertical: true})
	return &Heatmap{Plot: p, Scale: sc}, nil
}

// indexTicks labels up to about 20 of n cells by index, or every cell by
// name when names has one per cell and n ≤ 40. For rows (flip) cell i sits
// at n-1-i, row 0 at the top.
func indexTicks(n int, names []string, flip bool) plot.Ticker {
	at := func(i int) float64 {
		if flip {
			return float64(n - 1 - i)
		}
		return float64(i)
	}
	var ticks plot.ConstantTicks
	if len(names) == n && n <= 40 {
		for i, s := range names {
			ticks = append(ticks, plot.Tick{Value: at(i), Label: s})
		}
		return ticks
	}
	step := max(1, (n+19)/20)
	for i := 0; i < n; i += step {
		ticks = append(ticks, plot.Tick{Value: at(i), Label: fmt.Sprint(i)})
	}
	return ticks
}

// WritePNG writes the heatmap and its colour scale, w×h points in all.
func (h *Heatmap) WritePNG(out io.Writer, w, ht vg.Length) error {
	f := &Figure{Cells: [][]*plot.Plot{{h.Plot, h.Scale}}, Widths: []float64{24, 1}, Heights: []float64{1}}
	return f.WritePNG(out, w, ht)
}
