package bench

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestMembersRow times the two-member fit on the CPU against one: both
// measured, the speedup their ratio, and the table written.
func TestMembersRow(t *testing.T) {
	l, n, k := scalingShape(true)
	row := membersRow(context.Background(), "cpu", l, n, k)
	if row.Note != "" || row.BaseMs <= 0 || row.MsPerIter <= 0 || row.Speedup != row.BaseMs/row.MsPerIter {
		t.Fatalf("row %+v", row)
	}
	var b strings.Builder
	(&Report{Rows: []*Row{row}}).writeScaling(func(f string, a ...any) { fmt.Fprintf(&b, f, a...) })
	if !strings.Contains(b.String(), "## Scaling") || !strings.Contains(b.String(), "cpu,cpu") {
		t.Errorf("table:\n%s", b.String())
	}
}

// TestCommandMs reads ms per iteration from a fit's report.json, and
// reports a failing command with its last line.
func TestCommandMs(t *testing.T) {
	out := t.TempDir()
	if err := os.WriteFile(filepath.Join(out, "report.json"), []byte(`{"n_iter": 20, "elapsed_seconds": 0.5}`), 0o644); err != nil {
		t.Fatal(err)
	}
	ms, err := commandMs(exec.Command("true"), out)
	if err != nil || ms != 25 {
		t.Errorf("ms %v, %v; want 25", ms, err)
	}
	if _, err := commandMs(exec.Command("sh", "-c", "echo first; echo the reason; exit 3"), out); err == nil || !strings.Contains(err.Error(), "the reason") {
		t.Errorf("a failing command: %v", err)
	}
	if _, err := commandMs(exec.Command("true"), t.TempDir()); err == nil {
		t.Error("no report.json: no error")
	}
}
