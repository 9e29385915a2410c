package nmf_test

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestREADME runs the README's library program as written (go run, in this
// module) and compares what it prints with the README's "prints" block, so
// that the README and the library cannot drift apart.
func TestREADME(t *testing.T) {
	goTool, err := exec.LookPath("go")
	if err != nil {
		t.Skip("no go command to run the README's program with")
	}
	readme, err := os.ReadFile(filepath.Join("..", "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	section := string(readme)
	i := strings.Index(section, "## The library")
	if i < 0 {
		t.Fatal(`README.md has no "## The library" section`)
	}
	section = section[i:]
	program, rest, ok := fenced(section, "```go\n")
	if !ok || !strings.Contains(program, "package main") {
		t.Fatal("the library section has no ```go block holding a main package")
	}
	want, _, ok := fenced(rest, "```text\n")
	if !ok {
		t.Fatal("the library section's program has no ```text block of its output after it")
	}
	dir := t.TempDir()
	main := filepath.Join(dir, "main.go")
	if err := os.WriteFile(main, []byte(program), 0o666); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(goTool, "run", main)
	cmd.Dir = ".." // the module root: the program imports this module's nmf
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("go run README's program: %v\n%s", err, stderr.String())
	}
	if got := stdout.String(); got != want {
		t.Errorf("README's program prints\n%s\nthe README says\n%s", got, want)
	}
}

// fenced returns the body of the first fenced block opened by open in s and
// what follows it.
func fenced(s, open string) (body, rest string, ok bool) {
	i := strings.Index(s, open)
	if i < 0 {
		return "", "", false
	}
	s = s[i+len(open):]
	j := strings.Index(s, "```\n")
	if j < 0 {
		return "", "", false
	}
	return s[:j], s[j+4:], true
}
