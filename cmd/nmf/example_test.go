package main

import (
	"bufio"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// docExamples returns the command lines of the Examples section of doc.go:
// the lines "//	$ nmf ...".
func docExamples(t *testing.T) [][]string {
	f, err := os.Open("doc.go")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out [][]string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if line, ok := strings.CutPrefix(sc.Text(), "//\t$ "); ok {
			words := strings.Fields(line)
			if words[0] != "nmf" {
				t.Fatalf("example %q does not run nmf", line)
			}
			out = append(out, words[1:])
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// TestDocExamples runs the examples of the manual (doc.go) in order, in a
// folder holding a copy of testdata/samples, so that the manual stays true.
func TestDocExamples(t *testing.T) {
	examples := docExamples(t)
	doc := docText(t)
	if len(examples) < 5 {
		t.Fatalf("only %d examples in doc.go", len(examples))
	}
	dir := t.TempDir()
	copyTree(t, samplesDir, filepath.Join(dir, "testdata", "samples"))
	t.Chdir(dir)
	for _, args := range examples {
		r := mustRun(t, args...)
		if r.stdout == "" && !contains(args, "-q") {
			t.Errorf("nmf %s: no output", strings.Join(args, " "))
		}
	}
	// The manual names every key of report.json.
	_, raw := loadReport(t, "melody.nmf")
	_, again := loadReport(t, "again.nmf")
	var walk func(prefix string, v any)
	walk = func(prefix string, v any) {
		switch v := v.(type) {
		case map[string]any:
			for k, x := range v {
				if !strings.Contains(doc, `"`+k+`"`) {
					t.Errorf("doc.go does not name report.json's %s%s", prefix, k)
				}
				walk(prefix+k+".", x)
			}
		case []any:
			for _, x := range v {
				walk(prefix, x)
			}
		}
	}
	walk("", raw)
	walk("", again)
	// What the manual says the examples leave behind.
	for _, f := range []string{"swimmer.nmf/components.png", "melody.nmf/spectrogram.png", "melody.nmf/component_00.wav",
		"melody.nmf/component_03.wav", "again.nmf/H.npy", "swimmer-mu.nmf/W.csv", "fresh-samples/melody.wav"} {
		if !exists(f) {
			t.Errorf("%s missing after the examples", f)
		}
	}
}

func contains(s []string, v string) bool {
	for _, x := range s {
		if x == v {
			return true
		}
	}
	return false
}

func copyTree(t *testing.T, from, to string) {
	t.Helper()
	err := filepath.WalkDir(from, func(p string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(from, p)
		dst := filepath.Join(to, rel)
		if d.IsDir() {
			return os.MkdirAll(dst, 0o777)
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		return os.WriteFile(dst, b, 0o666)
	})
	if err != nil {
		t.Fatal(err)
	}
}
