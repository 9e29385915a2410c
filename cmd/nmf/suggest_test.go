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
