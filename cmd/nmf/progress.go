package main

import (
	"fmt"
	"io"
	"os"
	"strings"
	"time"
	"unicode/utf8"
)

// Decision (issue 16): our own bar, not schollz/progressbar. It is ~100
// lines with the --verbose lines and the init phase; the library would add
// a dependency (and its own terminal detection) for the one line it draws,
// and still need our code for the error, the rate from the init's end and
// the --resume offset.
//
// progress shows the iterations of a fit on stderr: a bar redrawn in place
// on a terminal, a line every 10 iterations with --verbose, nothing with
// --quiet or when stderr is not a terminal.
type progress struct {
	w      io.Writer
	bar    bool // draw a bar
	lines  bool // a line every 10 iterations
	offset int  // iterations done before this run (--resume)
	total  int  // the iterations asked for, offset included
	start  time.Time
	drawn  time.Time
	width  int // of the last bar drawn, to clear it
	init   time.Duration
	inited bool   // the start is ready: the iterations are timed from then
	phase  string // the init's name, shown as its own phase; "" for none
}

func newProgress(w io.Writer, o *options, offset, total int) *progress {
	p := &progress{w: w, offset: offset, total: total, start: time.Now()}
	switch {
	case o.quiet:
	case o.verbose:
		p.lines = true
	default:
		p.bar = isTerminal(w)
	}
	return p
}

// isTerminal reports whether w is a character device such as a terminal
// (and not the null device).
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	fi, err := f.Stat()
	if err != nil || fi.Mode()&os.ModeCharDevice == 0 {
		return false
	}
	if null, err := os.Stat(os.DevNull); err == nil && os.SameFile(fi, null) {
		return false
	}
	return true
}

// initing says the fit is computing its start, init (nndsvda, random, …):
// a phase of its own, not counted in the iteration rate or the time left.
func (p *progress) initing(init string) {
	p.phase = init
	if p.bar {
		fmt.Fprintf(p.w, "init %s …", init)
	}
}

// started is the fit's Started callback: the start took d. The iteration
// rate is measured from here on.
func (p *progress) started(d time.Duration) {
	p.init, p.inited, p.start = d, true, time.Now()
	name := "start"
	if p.phase != "" {
		name = "init " + p.phase
	}
	switch {
	case p.lines:
		fmt.Fprintf(p.w, "nmf: %s %s\n", name, seconds(d))
	case p.bar && p.phase != "":
		fmt.Fprintf(p.w, "\r%s %s\n", name, seconds(d))
	}
}

// seconds formats d as seconds with three significant digits.
func seconds(d time.Duration) string {
	return fmt.Sprintf("%.3g s", d.Seconds())
}

// update is the fit's Progress callback: iter iterations done, those before
// a --resume included, err the latest reconstruction error.
func (p *progress) update(iter int, err float64) {
	if !p.bar && !p.lines {
		return
	}
	now := time.Now()
	elapsed := now.Sub(p.start).Seconds()
	rate := 0.0
	if elapsed > 0 {
		rate = float64(iter-p.offset) / elapsed
	}
	done := iter
	if p.lines {
		if done%10 == 0 || p.offset > 0 && done == p.offset+1 {
			fmt.Fprintf(p.w, "nmf: iteration %d/%d  error %.6g  %.1f it/s\n", done, p.total, err, rate)
		}
		return
	}
	if now.Sub(p.drawn) < 100*time.Millisecond && done < p.total {
		return
	}
	p.drawn = now
	const cells = 24
	frac := 1.0
	if p.total > 0 {
		frac = min(1, float64(done)/float64(p.total))
	}
	full := int(frac * cells)
	left := "?"
	if rate > 0 {
		left = (time.Duration(float64(p.total-done) / rate * float64(time.Second))).Round(time.Second).String()
	}
	line := fmt.Sprintf("\r%d/%d [%s%s] error %.5g  %.1f it/s  left %s", done, p.total,
		strings.Repeat("█", full), strings.Repeat("░", cells-full), err, rate, left)
	if p.inited && p.phase == "" {
		line += "  start " + seconds(p.init)
	}
	n := utf8.RuneCountInString(line) - 1
	pad := max(0, p.width-n)
	p.width = n
	fmt.Fprint(p.w, line+strings.Repeat(" ", pad))
}

// finish clears the bar.
func (p *progress) finish() {
	if p.bar && p.width > 0 {
		fmt.Fprint(p.w, "\r"+strings.Repeat(" ", p.width)+"\r")
		p.width = 0
	}
}
