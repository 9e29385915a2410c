package bench

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/clnmf/clnmf/nmf"
)

// The test binary stands in for `nmf fit` when BENCH_FAKE_FIT is set: it
// holds 64 MiB of anonymous memory for a moment and writes a report.json
// into the folder after --out.
func TestMain(m *testing.M) {
	if os.Getenv("BENCH_FAKE_FIT") == "1" {
		fakeFit()
		return
	}
	os.Exit(m.Run())
}

func fakeFit() {
	b := make([]byte, 64<<20)
	for i := range b {
		b[i] = byte(i)
	}
	args := os.Args
	for i, a := range args {
		if a == "--out" && i+1 < len(args) {
			os.MkdirAll(args[i+1], 0o755)
			os.WriteFile(filepath.Join(args[i+1], "report.json"), []byte(`{"device": {"name": "fake", "panels": 3, "streamed": true}}`), 0o644)
		}
	}
	// Sampled every 10 ms: stay long enough to be seen.
	for range 30 {
		b[len(b)-1]++
		exec.Command("true").Run()
	}
	os.Stdout.Write(b[:1])
}

// TestMemoryRow runs a memory row against the stand-in: the peak RssAnon
// covers its 64 MiB, report.json's plan is in the note, and the verdict is
// the bound.
func TestMemoryRow(t *testing.T) {
	if _, ok := rssAnon(os.Getpid()); !ok {
		t.Skip("no /proc RssAnon here")
	}
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	t.Setenv("BENCH_FAKE_FIT", "1")
	dir := t.TempDir()
	row := memoryRow(context.Background(), exe, "opencl", filepath.Join(dir, "x.npy"), dir, 100, 200, procPeak{peak: 1 << 30, seconds: 2})
	if row.PeakAnon < 60<<20 {
		t.Errorf("peak RssAnon %d bytes, want at least the stand-in's 64 MiB", row.PeakAnon)
	}
	for _, want := range []string{"3 panel(s), streamed true", "≤ 1.3·X + 512 MiB = 512 MiB: met"} {
		if !strings.Contains(row.Note, want) {
			t.Errorf("note %q lacks %q", row.Note, want)
		}
	}
	if row.XBytes != 100*200*4 || row.SklearnPeakAnon != 1<<30 || row.DeviceName != "fake" {
		t.Errorf("row %+v", row)
	}
	var md strings.Builder
	(&Report{Rows: []*Row{row}}).writeLargeData(func(f string, a ...any) { fmt.Fprintf(&md, f, a...) })
	if !strings.Contains(md.String(), "| 0 MB | 100×200 | opencl |") || !strings.Contains(md.String(), "1024.0") {
		t.Errorf("markdown:\n%s", md.String())
	}
	t.Setenv("BENCH_FAKE_FIT", "")
	if r := memoryRow(context.Background(), "/nonexistent/nmf", "cpu", "x.npy", dir, 1, 1, procPeak{}); !strings.Contains(r.Note, "ours failed") {
		t.Errorf("a missing command's row: %q", r.Note)
	}
}

// TestLowRankRows checks that rows come out the same whatever the blocks.
func TestLowRankRows(t *testing.T) {
	const l, n = 9, 7
	whole := make([]float32, l*n)
	fill := lowRankRows(n, 3)
	fill(0, l, whole)
	part := make([]float32, 4*n)
	lowRankRows(n, 3)(5, 9, part)
	for i, v := range part {
		if v != whole[5*n+i] || v <= 0 {
			t.Fatalf("rows 5..9 filled alone differ at %d: %v vs %v", i, v, whole[5*n+i])
		}
	}
}

// TestStreamRow runs the streamed-vs-resident row on a small X on the
// OpenCL device: the streamed fit agrees with the resident one.
func TestStreamRow(t *testing.T) {
	if _, err := nmf.Devices(); err != nil {
		t.Skip(err)
	}
	b, _, err := nmf.OpenDevice("opencl", precOf("float32"))
	if err != nil {
		t.Skipf("no OpenCL device: %v", err)
	}
	b.Close()
	row := streamRow(context.Background(), "opencl", 400, 300, 4, 50)
	if !strings.Contains(row.Note, "8 panels streamed true") {
		t.Fatalf("note %q, want 8 streamed panels", row.Note)
	}
	if row.MaxRelDiff > 1e-5 || row.RatioResident <= 0 || row.MsPerIter <= 0 {
		t.Errorf("row %+v: want the fits within 1e-5 and both timed", row)
	}
}
