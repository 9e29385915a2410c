package plots

import (
	"fmt"
	"math"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/plotutil"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
)

// Point is one point of the trace of a fit: the iteration, the seconds
// since the solve began, the reconstruction error and the regularised
// objective (in the error's units).
type Point struct {
	Iter                    int
	Seconds, Err, Objective float64
}

// Convergence is the figure of the error and the regularised objective
// against the iterations (left) and against the time (right), on a log
// scale when the values are positive and span two decades or more (within
// less, the log ticks would label nothing). title names the run (loss,
// solver).
func Convergence(trace []Point, title string) (*Figure, error) {
	if len(trace) == 0 {
		return nil, fmt.Errorf("plots: no trace to plot")
	}
	lo, hi := math.Inf(1), 0.0
	penalised := false
	for _, t := range trace {
		for _, v := range []float64{t.Err, t.Objective, t.Seconds} {
			if math.IsNaN(v) || math.IsInf(v, 0) || v < 0 {
				return nil, fmt.Errorf("plots: a value %v in the trace at iteration %d", v, t.Iter)
			}
		}
		lo, hi = min(lo, t.Err, t.Objective), max(hi, t.Err, t.Objective)
		penalised = penalised || t.Objective != t.Err
	}
	byIter, err := tracePlot(trace, penalised, func(t Point) float64 { return float64(t.Iter) })
	if err != nil {
		return nil, err
	}
	byTime, err := tracePlot(trace, penalised, func(t Point) float64 { return t.Seconds })
	if err != nil {
		return nil, err
	}
	byIter.Title.Text = title
	byIter.X.Label.Text = "iteration"
	byTime.Title.Text = "against time"
	byTime.X.Label.Text = "time since the solve began (s)"
	for _, p := range []*plot.Plot{byIter, byTime} {
		p.Y.Label.Text = "error, objective"
		if lo > 0 && hi >= 100*lo {
			p.Y.Scale = plot.LogScale{}
			p.Y.Tick.Marker = plot.LogTicks{Prec: -1}
		}
		p.X.Min = 0
	}
	return &Figure{Cells: [][]*plot.Plot{{byIter, byTime}}, Widths: []float64{1, 1}, Heights: []float64{1}}, nil
}

// tracePlot is the error (solid, with points) and the objective (dashed)
// of trace against x(point), with a legend.
func tracePlot(trace []Point, penalised bool, x func(Point) float64) (*plot.Plot, error) {
	errs, objs := make(plotter.XYs, len(trace)), make(plotter.XYs, len(trace))
	for i, t := range trace {
		errs[i] = plotter.XY{X: x(t), Y: t.Err}
		objs[i] = plotter.XY{X: x(t), Y: t.Objective}
	}
	line, points, err := plotter.NewLinePoints(errs)
	if err != nil {
		return nil, err
	}
	points.Shape = draw.CircleGlyph{}
	obj, err := plotter.NewLine(objs)
	if err != nil {
		return nil, err
	}
	obj.Color = plotutil.Color(2)
	obj.Dashes = []vg.Length{vg.Points(4), vg.Points(3)}
	p := plot.New()
	p.Add(plotter.NewGrid(), line, points, obj)
	p.Legend.Add("reconstruction error", line, points)
	p.Legend.Add(objectiveName(penalised), obj)
	p.Legend.Top = true
	return p, nil
}

// objectiveName is the objective's name in the legend: it says when the
// objective is the error, its line then hidden under the error's.
func objectiveName(penalised bool) string {
	if penalised {
		return "regularised objective"
	}
	return "regularised objective (= error: no penalty)"
}
