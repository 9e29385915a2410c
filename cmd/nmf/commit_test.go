package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// testCSV writes testMatrix as d.csv in a new temporary folder.
func testCSV(t *testing.T) (dir, csv string) {
	dir = t.TempDir()
	rows, cols, data := testMatrix()
	csv = filepath.Join(dir, "d.csv")
	writeFile(t, csv, csvOf(rows, cols, data, ","))
	return dir, csv
}

// barrierHook returns a context whose commit hook waits until n runs have
// staged everything, so that they all commit at the same moment.
func barrierHook(wg *sync.WaitGroup, release chan struct{}) context.Context {
	return context.WithValue(context.Background(), commitHookKey{}, func() error {
		wg.Done()
		select {
		case <-release:
		case <-time.After(60 * time.Second):
			return errors.New("barrier: the other runs never staged")
		}
		return nil
	})
}

// raceFits runs one fit per argument list at once on the same --out, all
// committing together, and returns their results.
func raceFits(t *testing.T, argss [][]string) []result {
	var staged sync.WaitGroup
	staged.Add(len(argss))
	release := make(chan struct{})
	go func() { staged.Wait(); close(release) }()
	res := make([]result, len(argss))
	var done sync.WaitGroup
	for i, args := range argss {
		done.Add(1)
		go func() {
			defer done.Done()
			res[i] = nmfRun(barrierHook(&staged, release), args...)
		}()
	}
	done.Wait()
	return res
}

// TestConcurrentCommits starts fits on one new --out together: exactly one
// wins, the others fail with "already holds results" and nothing of theirs
// is left; then with --force on the existing results the same holds, each
// replacing only what was there when it started.
func TestConcurrentCommits(t *testing.T) {
	dir, in := testCSV(t)
	out := filepath.Join(dir, "out.nmf")
	for _, force := range []bool{false, true} {
		var argss [][]string
		for k := 1; k <= 4; k++ {
			args := []string{"fit", in, "-k", fmt.Sprint(k), "--device", "cpu", "-q", "--out", out, "--max-iter", "5", "--tol", "0"}
			if force {
				args = append(args, "--force")
			}
			argss = append(argss, args)
		}
		res := raceFits(t, argss)
		winner := -1
		for i, r := range res {
			switch {
			case r.code == 0 && winner < 0:
				winner = i
			case r.code == 1 && strings.HasPrefix(r.stderr, "nmf: "+out+": already holds results (H.npy, H.png, W.npy, W.png, convergence.png, report.json), written by another run"):
			default:
				t.Errorf("force %v, run %d: exit %d, stderr %q", force, i, r.code, r.stderr)
			}
		}
		if winner < 0 {
			t.Fatalf("force %v: no run succeeded", force)
		}
		if w := readMatrix(t, filepath.Join(out, "W.npy")); w.cols != winner+1 {
			t.Errorf("force %v: W has %d columns, the winner's k is %d", force, w.cols, winner+1)
		}
		if rep, _ := loadReport(t, out); rep.Params.Rank != winner+1 {
			t.Errorf("force %v: report of k %d, the winner's is %d", force, rep.Params.Rank, winner+1)
		}
		leftovers(t, dir)
	}
}

// TestHelperProcess is nmf run in a child process by TestKilledRun: it
// stages its outputs, says so by creating $NMF_TEST_STAGED and waits there
// to be killed.
func TestHelperProcess(t *testing.T) {
	if os.Getenv("NMF_TEST_HELPER") != "1" {
		t.Skip("run by TestKilledRun")
	}
	args := os.Args[slices.Index(os.Args, "--")+1:]
	ctx := context.WithValue(context.Background(), commitHookKey{}, func() error {
		os.WriteFile(os.Getenv("NMF_TEST_STAGED"), nil, 0o644)
		select {}
	})
	if after := os.Getenv("NMF_TEST_DIE_AFTER"); after != "" {
		// Stop half-way through the commit instead, once after is moved.
		ctx = context.Background()
		commitStep = func(name string) {
			if name == after {
				os.WriteFile(os.Getenv("NMF_TEST_STAGED"), nil, 0o644)
				select {}
			}
		}
	}
	err := run(ctx, args, os.Stdout, os.Stderr)
	os.Exit(exitCode(err))
}

// startStaged starts nmf args in a child process and returns it once its
// outputs are staged.
func startStaged(t *testing.T, dir string, env []string, args ...string) *exec.Cmd {
	t.Helper()
	staged := filepath.Join(dir, fmt.Sprintf("staged-%d", time.Now().UnixNano()))
	cmd := exec.Command(os.Args[0], append([]string{"-test.run=^TestHelperProcess$", "--"}, args...)...)
	cmd.Env = append(append(os.Environ(), "NMF_TEST_HELPER=1", "NMF_TEST_STAGED="+staged), env...)
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	for deadline := time.Now().Add(2 * time.Minute); !exists(staged); time.Sleep(20 * time.Millisecond) {
		if time.Now().After(deadline) {
			cmd.Process.Kill()
			t.Fatal("the child never staged its outputs")
		}
	}
	os.Remove(staged)
	return cmd
}

// stagingIn lists the staging folders in dir.
func stagingIn(dir string) []string {
	var names []string
	entries, _ := os.ReadDir(dir)
	for _, e := range entries {
		if strings.Contains(e.Name(), ".tmp-") {
			names = append(names, e.Name())
		}
	}
	return names
}

// TestKilledRun kills (SIGKILL) a run whose outputs are staged, and checks
// that the next run on the same --out succeeds and removes that run's
// staging folder, and only that: the staging folder of a run still alive,
// those of other --out folders and look-alikes stay.
func TestKilledRun(t *testing.T) {
	if runtime.GOOS == "windows" || !staleKnown {
		t.Skip("no flock here: stale staging folders are left")
	}
	dir, in := testCSV(t)
	out := filepath.Join(dir, "out.nmf")
	args := []string{"fit", in, "-k", "2", "--device", "cpu", "-q", "--out", out, "--max-iter", "5"}

	dead := startStaged(t, dir, nil, args...)
	deadStaging := stagingIn(dir)
	if len(deadStaging) != 1 {
		t.Fatalf("staging folders %v, want one", deadStaging)
	}
	dead.Process.Signal(syscall.SIGKILL)
	dead.Wait()
	alive := startStaged(t, dir, nil, args...)
	defer func() { alive.Process.Kill(); alive.Wait() }()
	aliveStaging := slices.DeleteFunc(stagingIn(dir), func(n string) bool { return n == deadStaging[0] })
	if len(aliveStaging) != 1 {
		t.Fatalf("staging folders %v, want the dead one and one more", stagingIn(dir))
	}
	// Look-alikes that are not the staging folders of out.nmf.
	for _, n := range []string{"other.nmf.tmp-0123abcd", "out.nmf.tmp-xyz", "out.nmf.tmp-0123abcd5"} {
		os.Mkdir(filepath.Join(dir, n), 0o777)
	}
	os.Mkdir(filepath.Join(dir, "target"), 0o777)
	os.Symlink("target", filepath.Join(dir, "out.nmf.tmp-feedf00d"))

	mustRun(t, args...)
	got := stagingIn(dir)
	want := []string{"other.nmf.tmp-0123abcd", "out.nmf.tmp-0123abcd5", "out.nmf.tmp-feedf00d", "out.nmf.tmp-xyz", aliveStaging[0]}
	slices.Sort(want)
	if !slices.Equal(got, want) {
		t.Errorf("after the rerun: %v, want %v (the dead run's %s removed)", got, want, deadStaging[0])
	}
	if !exists(filepath.Join(dir, aliveStaging[0], "report.json")) {
		t.Error("the living run's staged files were touched")
	}
	// Once that run is killed too, the next run removes its folder.
	alive.Process.Signal(syscall.SIGKILL)
	alive.Wait()
	mustRun(t, append(args, "--force")...)
	if slices.Contains(stagingIn(dir), aliveStaging[0]) {
		t.Errorf("the killed run's %s stayed", aliveStaging[0])
	}

	// A run killed half-way through replacing the results (W.npy moved,
	// H.npy and report.json not yet): the next run finishes that move
	// before anything else, so --out holds the killed run's results whole,
	// never a mix.
	half := startStaged(t, dir, []string{"NMF_TEST_DIE_AFTER=W.npy"}, append(args, "--force", "-k", "3")...)
	half.Process.Signal(syscall.SIGKILL)
	half.Wait()
	if h, w := readMatrix(t, filepath.Join(out, "H.npy")), readMatrix(t, filepath.Join(out, "W.npy")); h.rows != 2 || w.cols != 3 {
		t.Fatalf("the killed commit did not stop half-way: H %d rows, W %d columns", h.rows, w.cols)
	}
	r := nmfRun(context.Background(), append(args, "-k", "4")...)
	if r.code != 1 || !strings.Contains(r.stderr, "already holds results") {
		t.Errorf("run after a half commit: exit %d, %q", r.code, r.stderr)
	}
	rep, _ := loadReport(t, out)
	if h, w := readMatrix(t, filepath.Join(out, "H.npy")), readMatrix(t, filepath.Join(out, "W.npy")); h.rows != 3 || w.cols != 3 || rep.Params.Rank != 3 {
		t.Errorf("after the roll-forward: H %d rows, W %d columns, report k %d; want the killed run's 3", h.rows, w.cols, rep.Params.Rank)
	}
	want = slices.DeleteFunc(want, func(n string) bool { return n == aliveStaging[0] })
	if got := stagingIn(dir); !slices.Equal(got, want) {
		t.Errorf("staging folders %v, want %v", got, want)
	}
}

// TestOutSymlink: a symbolic link to a folder as --out is followed; one to
// nothing or to a file is refused in one line naming the link, with nothing
// written; a failing commit names --out, never the staging folder.
func TestOutSymlink(t *testing.T) {
	dir, _ := testCSV(t)
	t.Chdir(dir)
	writeFile(t, "file", "x")
	os.Symlink("file", "tofile.nmf")
	before := snapshot(t, dir) // without the dangling link, which it cannot read
	os.Symlink("nowhere", "dangling.nmf")
	for _, c := range []struct{ out, want string }{
		{"dangling.nmf", "nmf: dangling.nmf: is a symbolic link to nowhere, which does not exist; make that folder, remove the link or choose another --out\n"},
		{"tofile.nmf", "nmf: tofile.nmf: exists and is not a folder; choose another --out\n"},
	} {
		r := nmfRun(context.Background(), "fit", "d.csv", "--device", "cpu", "-q", "--out", c.out)
		if r.code != 1 || r.stderr != c.want {
			t.Errorf("--out %s: exit %d, stderr %q, want %q", c.out, r.code, r.stderr, c.want)
		}
		os.Rename("dangling.nmf", "../dangling.nmf")
		sameSnapshot(t, c.out, before, snapshot(t, dir))
		os.Rename("../dangling.nmf", "dangling.nmf")
	}
	os.MkdirAll("real/results", 0o777)
	os.Symlink("real/results", "link.nmf")
	mustRun(t, "fit", "d.csv", "--device", "cpu", "-q", "--out", "link.nmf")
	if fi, err := os.Lstat("link.nmf"); err != nil || fi.Mode()&os.ModeSymlink == 0 || !exists("real/results/W.npy") {
		t.Errorf("--out a link to a folder: the results are not in the folder, or the link was replaced")
	}
	mustRun(t, "fit", "d.csv", "--device", "cpu", "-q", "--out", "link.nmf", "--force", "-k", "2")
	if w := readMatrix(t, "real/results/W.npy"); w.cols != 2 {
		t.Errorf("--force through the link: W has %d columns", w.cols)
	}
	leftovers(t, "real")
	leftovers(t, dir)
	// The staging folder vanishing under the commit: the error names --out.
	ctx := context.WithValue(context.Background(), commitHookKey{}, func() error {
		m, _ := filepath.Glob("new.nmf.tmp-*")
		for _, d := range m {
			os.RemoveAll(d)
		}
		return nil
	})
	r := nmfRun(ctx, "fit", "d.csv", "--device", "cpu", "-q", "--out", "new.nmf")
	if r.code != 1 || !strings.HasPrefix(r.stderr, "nmf: new.nmf: ") || strings.Contains(r.stderr, ".tmp-") {
		t.Errorf("failed commit: exit %d, stderr %q", r.code, r.stderr)
	}
	// A folder where a result file goes is refused before anything moves.
	os.MkdirAll("f.nmf/W.npy", 0o777)
	r = nmfRun(context.Background(), "fit", "d.csv", "--device", "cpu", "-q", "--out", "f.nmf", "--force")
	if r.code != 1 || r.stderr != "nmf: f.nmf/W.npy: is a folder; nmf writes a file of that name: remove it or choose another --out\n" || exists("f.nmf/H.npy") {
		t.Errorf("folder W.npy: exit %d, stderr %q", r.code, r.stderr)
	}
	leftovers(t, dir)
}

// TestStagingErrors: errors of the writers name the file under --out, not
// the staging folder, whether the path is in a *PathError or in the text.
func TestStagingErrors(t *testing.T) {
	s := &staging{od: &outDir{path: "res.nmf", dir: "/abs/res.nmf"}, dir: "/abs/res.nmf.tmp-0123abcd"}
	for _, err := range []error{
		&os.PathError{Op: "write", Path: "/abs/res.nmf.tmp-0123abcd/.W.npy.tmp-x", Err: syscall.ENOSPC},
		&os.LinkError{Op: "rename", Old: "/abs/res.nmf.tmp-0123abcd/W.npy", New: "/abs/res.nmf/W.npy", Err: syscall.ENOENT},
		fmt.Errorf("writing /abs/res.nmf.tmp-0123abcd/W.npy: %w", errors.New("encoder broke")),
	} {
		msg := s.fileErr("W.npy", err).Error()
		if strings.Contains(msg, ".tmp-") || !strings.HasPrefix(msg, "res.nmf") {
			t.Errorf("%v: %q", err, msg)
		}
	}
}
