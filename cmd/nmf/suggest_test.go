package main

import (
	"context"
	"strings"
	"testing"
)

// TestUnknownFlag checks that an unknown flag is named with the nearest one,
// in the tool's own words, and followed by the usage lines only.
func TestUnknownFlag(t *testing.T) {
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"fit", "--n_components", "3", "x.csv"}, "unknown flag --n_components; did you mean --rank?"},
		{[]string{"fit", "--components", "3", "x.csv"}, "did you mean --rank?"},
		{[]string{"fit", "--max-iters", "3", "x.csv"}, "did you mean --max-iter?"},
		{[]string{"fit", "--random_state", "3", "x.csv"}, "did you mean --seed?"},
		{[]string{"fit", "--alpha_W", "3", "x.csv"}, "did you mean --alpha-w?"},
		{[]string{"fit", "--tolerance", "3", "x.csv"}, "did you mean --tol?"},
		{[]string{"transform", "--modle", "m", "x.csv"}, "did you mean --model?"},
		{[]string{"devices", "--jsn"}, "did you mean --json?"},
		{[]string{"bench", "--quik"}, "did you mean --quick?"},
		{[]string{"fit", "--zzzzzzzzzz", "x.csv"}, "unknown flag --zzzzzzzzzz"},
	} {
		r := nmfRun(context.Background(), c.args...)
		if r.code != 2 {
			t.Errorf("%q: exit %d, want 2", c.args, r.code)
		}
		first, rest, _ := strings.Cut(r.stderr, "\n")
		if !strings.HasPrefix(first, "nmf "+c.args[0]+": ") || !strings.Contains(first, c.want) {
			t.Errorf("%q: %q, want %q", c.args, first, c.want)
		}
		if strings.Contains(first, "zzz") && strings.Contains(first, "did you mean") {
			t.Errorf("%q: suggested a flag for nonsense: %q", c.args, first)
		}
		if n := strings.Count(rest, "\n"); n > 4 || !strings.Contains(rest, `nmf help `+c.args[0]) {
			t.Errorf("%q: %d lines after the error, want the short usage: %q", c.args, n, rest)
		}
	}
}

// TestSklearnAliases checks that scikit-learn's names set the same options
// as ours.
func TestSklearnAliases(t *testing.T) {
	ours, err := parseOptions("fit", fitUsage, []string{"--rank", "3", "--seed", "7", "--loss", "kl", "--alpha-w", "0.5", "--alpha-h", "0.25", "x.csv"})
	if err != nil {
		t.Fatal(err)
	}
	theirs, err := parseOptions("fit", fitUsage, []string{"--n-components", "3", "--random-state", "7", "--beta-loss", "kl", "--alpha-W", "0.5", "--alpha-H", "0.25", "x.csv"})
	if err != nil {
		t.Fatal(err)
	}
	a, b := ours.nmfOptions(), theirs.nmfOptions()
	if a.Components != b.Components || a.Seed != b.Seed || a.Loss != b.Loss || a.AlphaW != b.AlphaW || *a.AlphaH != *b.AlphaH {
		t.Errorf("aliases differ: %+v vs %+v", a, b)
	}
	for _, f := range []string{"rank", "seed", "loss", "alpha-w", "alpha-h"} {
		if !theirs.set[f] {
			t.Errorf("alias of --%s not recorded as set", f)
		}
	}
}

func TestEditDistance(t *testing.T) {
	for _, c := range []struct {
		a, b string
		d    int
	}{{"", "", 0}, {"abc", "", 3}, {"kitten", "sitting", 3}, {"tol", "tol", 0}, {"max-iters", "max-iter", 1}} {
		if d := editDistance(c.a, c.b); d != c.d {
			t.Errorf("editDistance(%q, %q) = %d, want %d", c.a, c.b, d, c.d)
		}
	}
}

// TestIndexColumn checks the hint at a pandas index, --index-column, and
// the note that a header row was found.
func TestIndexColumn(t *testing.T) {
	dir := t.TempDir()
	t.Chdir(dir)
	writeFile(t, "pd.csv", ",a,b\nrow0,1,2\nrow1,3,4\nrow2,5,1\n")
	r := nmfRun(context.Background(), "fit", "-k", "1", "pd.csv")
	if r.code != 1 || !strings.Contains(r.stderr, `line 2, column 1: "row0" is not a number`) || !strings.Contains(r.stderr, "--index-column") {
		t.Errorf("pandas index: exit %d, stderr %q", r.code, r.stderr)
	}
	r = mustRun(t, "fit", "-k", "1", "--index-column", "pd.csv")
	if !strings.Contains(r.stderr, `nmf: pd.csv: line 1 is a header, not data: 2 column names ("a", "b")`) {
		t.Errorf("header note: stderr %q", r.stderr)
	}
	if rep, _ := loadReport(t, "pd.nmf"); rep.Input.Shape != [2]int{3, 2} {
		t.Errorf("shape %v, want [3 2]", rep.Input.Shape)
	}
	// A numeric index reads as data: the empty first name hints at it.
	writeFile(t, "num.csv", ",a\n0,1\n1,2\n")
	r = mustRun(t, "fit", "-k", "1", "num.csv")
	if !strings.Contains(r.stderr, "the first has no name, as pandas' index") {
		t.Errorf("numeric index: stderr %q", r.stderr)
	}
	if r = mustRun(t, "fit", "-q", "-k", "1", "--force", "num.csv"); r.stderr != "" {
		t.Errorf("--quiet: stderr %q", r.stderr)
	}
}
