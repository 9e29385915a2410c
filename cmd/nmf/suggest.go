package main

import (
	"errors"
	"flag"
	"strings"
)

// sklearnAliases are scikit-learn's parameter names, accepted as flags where
// they mean exactly what one of ours does, mapped to our long name.
var sklearnAliases = map[string]string{
	"n-components": "rank",
	"random-state": "seed",
	"beta-loss":    "loss",
	"alpha-W":      "alpha-w",
	"alpha-H":      "alpha-h",
}

// longName is the long flag a name (short or alias) stands for.
func longName(name string) string {
	if long, ok := aliases[name]; ok {
		return long
	}
	if long, ok := sklearnAliases[name]; ok {
		return long
	}
	return name
}

// flagError turns an error of fs.Parse into the command's own: a
// *helpError for -h/--help, else a *usageError whose message names the
// flag and, for an unknown one, the nearest flag fs knows.
func flagError(fs *flag.FlagSet, cmd, usage string, err error) error {
	if errors.Is(err, flag.ErrHelp) {
		return &helpError{usage: usage}
	}
	msg := err.Error()
	if name, ok := strings.CutPrefix(msg, "flag provided but not defined: -"); ok {
		name = strings.TrimPrefix(name, "-")
		msg = "unknown flag --" + name
		if s := suggestFlag(fs, name); s != "" {
			msg += "; did you mean --" + s + "?"
		}
	}
	return &usageError{usage: usage, msg: cmd + ": " + msg}
}

// suggestFlag is the flag of fs nearest to the unknown name, by its long
// name, or "" when none is near. scikit-learn's spellings (n_components,
// alpha_W) and other cases are matched after folding '_' to '-' and case.
func suggestFlag(fs *flag.FlagSet, name string) string {
	fold := func(s string) string { return strings.ToLower(strings.ReplaceAll(s, "_", "-")) }
	want := fold(name)
	best, bestD := "", -1
	fs.VisitAll(func(f *flag.Flag) {
		if len(f.Name) == 1 {
			return // -k, -q, -v, -h: too short to be anyone's typo
		}
		have := fold(f.Name)
		d := editDistance(want, have)
		switch {
		case strings.HasPrefix(have, want) && len(want) >= 3:
			d = 0 // --max for --max-iter
		case strings.HasPrefix(want, have) && len(have) >= 3:
			d = min(d, 1) // --tolerance for --tol
		}
		if bestD < 0 || d < bestD || d == bestD && longName(f.Name) == f.Name {
			best, bestD = f.Name, d
		}
	})
	if bestD < 0 || bestD > max(2, len(want)/3) {
		return ""
	}
	return longName(best)
}

// editDistance is the Levenshtein distance between a and b, in bytes.
func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			c := prev[j-1]
			if a[i-1] != b[j-1] {
				c++
			}
			cur[j] = min(c, prev[j]+1, cur[j-1]+1)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}

// shortUsage is the usage lines of a subcommand's usage text (up to its
// first blank line) and where to find the rest: what a misuse prints,
// instead of every flag.
func shortUsage(usage string) string {
	head, _, found := strings.Cut(usage, "\n\n")
	if !found {
		return usage
	}
	name := ""
	if f := strings.Fields(head); len(f) >= 3 && f[0] == "usage:" && f[1] == "nmf" {
		name = f[2]
	}
	if c := lookup(name); c == nil || c.name == "help" {
		return usage
	}
	return head + "\nRun \"nmf help " + name + "\" for all its flags.\n"
}
