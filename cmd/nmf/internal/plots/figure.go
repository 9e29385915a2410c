package plots

import (
	"fmt"
	"io"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"
)

// Figure is plots on a grid, drawn on one canvas with their data areas
// aligned: in a column every plot's data area has the same left and right
// edges, in a row the same top and bottom (as plot.Align, with columns and
// rows of unequal sizes).
type Figure struct {
	// Cells are the rows of plots, from the top; nil leaves a cell empty.
	Cells [][]*plot.Plot
	// Widths and Heights are the relative sizes of the columns' and the
	// rows' data areas (one per column, one per row).
	Widths, Heights []float64
}

// pad is the space between two cells of a Figure.
const pad = vg.Length(6)

// margins are the lengths around a plot's data area on a canvas: its axes,
// labels and title.
type margins struct{ left, right, bottom, top vg.Length }

func marginsOf(p *plot.Plot, dc draw.Canvas) margins {
	d := p.DataCanvas(dc)
	return margins{d.Min.X - dc.Min.X, dc.Max.X - d.Max.X, d.Min.Y - dc.Min.Y, dc.Max.Y - d.Max.Y}
}

// spans lays out n columns (or rows) over length: each gets the largest
// margins (lo before, hi after) of its plots and a share of the rest by
// weight; it returns where each one's data area starts and its size.
func spans(length vg.Length, lo, hi []vg.Length, weights []float64) (start, size []vg.Length) {
	free, total := length-pad*vg.Length(len(weights)-1), 0.0
	for i, w := range weights {
		free -= lo[i] + hi[i]
		total += w
	}
	free = max(free, 0)
	start, size = make([]vg.Length, len(weights)), make([]vg.Length, len(weights))
	at := vg.Length(0)
	for i, w := range weights {
		start[i] = at + lo[i]
		size[i] = free * vg.Length(w/total)
		at = start[i] + size[i] + hi[i] + pad
	}
	return start, size
}

// Draw draws the figure on dc.
func (f *Figure) Draw(dc draw.Canvas) error {
	rows, cols := len(f.Cells), len(f.Widths)
	if rows == 0 || rows != len(f.Heights) {
		return fmt.Errorf("plots: a figure of %d rows with %d heights", rows, len(f.Heights))
	}
	m := make([][]margins, rows)
	left, right := make([]vg.Length, cols), make([]vg.Length, cols)
	top, bottom := make([]vg.Length, rows), make([]vg.Length, rows)
	for j, row := range f.Cells {
		if len(row) != cols {
			return fmt.Errorf("plots: row %d of a figure has %d cells, want %d", j, len(row), cols)
		}
		m[j] = make([]margins, cols)
		for i, p := range row {
			if p == nil {
				continue
			}
			m[j][i] = marginsOf(p, dc)
			left[i], right[i] = max(left[i], m[j][i].left), max(right[i], m[j][i].right)
			top[j], bottom[j] = max(top[j], m[j][i].top), max(bottom[j], m[j][i].bottom)
		}
	}
	x0, w := spans(dc.Max.X-dc.Min.X, left, right, f.Widths)
	y0, h := spans(dc.Max.Y-dc.Min.Y, top, bottom, f.Heights) // from the top
	for j, row := range f.Cells {
		for i, p := range row {
			if p == nil {
				continue
			}
			minX, maxY := dc.Min.X+x0[i], dc.Max.Y-y0[j]
			c := dc
			c.Rectangle = vg.Rectangle{
				Min: vg.Point{X: minX - m[j][i].left, Y: maxY - h[j] - m[j][i].bottom},
				Max: vg.Point{X: minX + w[i] + m[j][i].right, Y: maxY + m[j][i].top},
			}
			p.Draw(c)
		}
	}
	return nil
}

// WritePNG writes the figure as a w×h point PNG.
func (f *Figure) WritePNG(out io.Writer, w, h vg.Length) error {
	c := vgimg.New(w, h)
	if err := f.Draw(draw.New(c)); err != nil {
		return err
	}
	_, err := vgimg.PngCanvas{Canvas: c}.WriteTo(out)
	return err
}
