package main

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"

	"github.com/clnmf/clnmf/nmf/nmfio"
)

// The output of a run is a transaction on --out. checkOut records, at the
// start, which result files --out holds (none, for a new folder). Every
// output is written into a staging folder "OUT.tmp-XXXXXXXX" beside it;
// the commit then moves them into place, under a lock on the folder that
// holds --out, and only if --out still holds what the run found at the
// start: of two runs on one --out the first to commit wins and the other
// fails ("already holds results"), --force included, which replaces only
// what was there when its run started.
//
// Each run holds a lock on its staging folder for as long as it lives (the
// system drops it when the process dies, kill -9 included); at its start,
// when it makes its staging folder and when it commits, a run removes,
// under the folder lock, the staging folders of the same --out whose lock
// nobody holds: those of dead runs, and only theirs. Moving files into an
// existing --out takes one rename each; the list is written first (a
// journal in the staging folder), so that if the run dies half-way the
// next one finishes the move before anything else.
//
// A symbolic link as --out is followed when it points to a folder: the
// results go into that folder and the staging folder beside it. One that
// points nowhere, or to something else than a folder, is refused.

// outDir is --out as the run found it at the start.
type outDir struct {
	path   string                 // as given, for messages
	dir    string                 // where the files go: path, or the folder a symbolic link at path points to
	before map[string]fs.FileInfo // the result files in dir at the start
}

// checkOut refuses an --out that is not a folder, or that holds results,
// unless force is set or it is the checkpoint being resumed (resumeDir),
// and records what it holds.
func checkOut(out string, force bool, resumeDir string) (*outDir, error) {
	od := &outDir{path: out, dir: filepath.Clean(out)}
	li, err := os.Lstat(out)
	if errors.Is(err, fs.ErrNotExist) {
		cleanStale(od.dir)
		return od, nil
	}
	if err != nil {
		return nil, fileErr(out, err)
	}
	if li.Mode()&fs.ModeSymlink != 0 {
		target, err := filepath.EvalSymlinks(out)
		if err != nil {
			dest, _ := os.Readlink(out)
			return nil, &cliError{file: out, msg: fmt.Sprintf("is a symbolic link to %s, which does not exist; make that folder, remove the link or choose another --out", dest), err: err}
		}
		od.dir = target
	}
	cleanStale(od.dir)
	fi, err := os.Stat(od.dir)
	if err != nil {
		return nil, fileErr(out, err)
	}
	if !fi.IsDir() {
		return nil, &cliError{file: out, msg: "exists and is not a folder; choose another --out"}
	}
	od.before = resultFiles(od.dir)
	if force || len(od.before) == 0 {
		return od, nil
	}
	if resumeDir != "" {
		if rf, err := os.Stat(resumeDir); err == nil && os.SameFile(fi, rf) {
			return od, nil
		}
	}
	return nil, &cliError{file: out, msg: fmt.Sprintf("already holds results (%s); use --force to replace them, or another --out", strings.Join(resultsIn(od.dir), ", "))}
}

// cleanStale removes, under the lock of the folder holding --out (dir),
// the staging folders of dead runs on it, finishing the commit of one that
// died committing (see removeStale), so that what the run records next is
// whole.
func cleanStale(dir string) {
	parent := filepath.Dir(dir)
	if _, err := os.Stat(parent); err != nil {
		return
	}
	lk, err := lockDir(parent)
	if err != nil {
		return
	}
	defer lk.unlock()
	removeStale(parent, stagingName(filepath.Base(dir)))
}

// resultFiles maps the result files in dir to what they are.
func resultFiles(dir string) map[string]fs.FileInfo {
	m := map[string]fs.FileInfo{}
	for _, n := range resultsIn(dir) {
		if fi, err := os.Lstat(filepath.Join(dir, n)); err == nil {
			m[n] = fi
		}
	}
	return m
}

// resultsIn lists the result files in dir, sorted.
func resultsIn(dir string) []string {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil
	}
	var names []string
	for _, e := range entries {
		if resultName.MatchString(e.Name()) {
			names = append(names, e.Name())
		}
	}
	return names
}

// changed lists the result files of --out if they are no longer those the
// run found at the start (another run committed meanwhile), or nil.
func (od *outDir) changed() []string {
	now := resultFiles(od.dir)
	same := len(now) == len(od.before)
	for n, fi := range now {
		b, ok := od.before[n]
		same = same && ok && os.SameFile(b, fi) && b.ModTime().Equal(fi.ModTime()) && b.Size() == fi.Size()
	}
	if same {
		return nil
	}
	return slices.Sorted(func(yield func(string) bool) {
		for n := range now {
			if !yield(n) {
				return
			}
		}
	})
}

// outErr is an error about the output file path (under --out as given),
// without the temporary path the system call saw.
func outErr(path string, err error) error {
	var le *os.LinkError
	var pe *fs.PathError
	switch {
	case errors.As(err, &le):
		err = le.Err
	case errors.As(err, &pe):
		err = pe.Err
	default:
		return fileErr(path, err)
	}
	return &cliError{file: path, msg: err.Error(), err: err}
}

// staging is the temporary folder beside --out that receives every output
// file until the commit.
type staging struct {
	od        *outDir
	dir       string
	hold      *dirLock // held while the run lives: the folder is not stale
	names     []string // files written, in order
	created   []string // folders made for --out, innermost first
	committed bool
}

// stagingName matches the staging folders of --out base.
func stagingName(base string) *regexp.Regexp {
	return regexp.MustCompile(`^` + regexp.QuoteMeta(base) + `\.tmp-[0-9a-f]{8}$`)
}

// newStaging makes the folder --out goes into if needed and, under its
// lock, removes stale staging folders of --out and creates
// "<out>.tmp-XXXXXXXX", locked.
func newStaging(od *outDir) (*staging, error) {
	parent := filepath.Dir(od.dir)
	var created []string
	for d := parent; ; d = filepath.Dir(d) {
		if _, err := os.Lstat(d); err == nil || d == filepath.Dir(d) {
			break
		}
		created = append(created, d)
	}
	if err := os.MkdirAll(parent, 0o777); err != nil {
		return nil, outErr(parent, err)
	}
	lk, err := lockDir(parent)
	if err != nil {
		return nil, outErr(parent, err)
	}
	defer lk.unlock()
	removeStale(parent, stagingName(filepath.Base(od.dir)))
	for range 100 {
		var b [4]byte
		if _, err := rand.Read(b[:]); err != nil {
			return nil, err
		}
		dir := od.dir + ".tmp-" + hex.EncodeToString(b[:])
		err := os.Mkdir(dir, 0o777) // permissions as a plain mkdir, less the umask
		if errors.Is(err, fs.ErrExist) {
			continue
		}
		if err != nil {
			return nil, &cliError{file: od.path, msg: "cannot create a temporary folder beside it: " + errText(err), err: err}
		}
		hold, ok, err := tryLockDir(dir)
		if err != nil || !ok {
			os.Remove(dir)
			return nil, &cliError{file: od.path, msg: "cannot lock a temporary folder beside it: " + errText(err), err: err}
		}
		return &staging{od: od, dir: dir, hold: hold, created: created}, nil
	}
	return nil, &cliError{file: od.path, msg: "cannot create a temporary folder beside it"}
}

// errText is the message of err without the paths of the system call.
func errText(err error) string {
	if err == nil {
		return "locked by another run"
	}
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err.Error()
	}
	return err.Error()
}

// removeStale removes the folders in parent named like staging folders
// (name) that no living run holds. The caller holds parent's lock, under
// which every staging folder is created and locked, so a folder not locked
// is one whose run is gone. A run that died committing into an existing
// --out left a journal: its move is finished first (rollForward).
func removeStale(parent string, name *regexp.Regexp) {
	entries, err := os.ReadDir(parent)
	if err != nil || !staleKnown {
		return
	}
	for _, e := range entries {
		if !e.IsDir() || !name.MatchString(e.Name()) { // IsDir: not a link
			continue
		}
		dir := filepath.Join(parent, e.Name())
		lk, ok, err := tryLockDir(dir)
		if err != nil || !ok {
			continue // alive, or not ours to judge
		}
		rollForward(dir, dir[:strings.LastIndex(dir, ".tmp-")])
		os.RemoveAll(dir)
		lk.unlock()
	}
}

// journalName is the file in a staging folder that lists, one a line, the
// files its run is moving into an existing --out, written before the
// first move.
const journalName = ".commit"

// commitStep, when set (by tests), is called after each file moved into an
// existing --out.
var commitStep func(name string)

// rollForward finishes the move of a dead run that died committing into
// out: the files its journal lists that are still staged go into out, and
// the old results it did not write are removed, so that out holds that
// run's results whole and not a mix. Without a journal the run died before
// committing and nothing is moved.
func rollForward(dir, out string) {
	b, err := os.ReadFile(filepath.Join(dir, journalName))
	if err != nil {
		return
	}
	var names []string
	for _, n := range strings.Split(string(b), "\n") {
		if resultName.MatchString(n) {
			names = append(names, n)
		}
	}
	if len(names) > 0 {
		moveResults(dir, out, names, true)
	}
}

// moveResults renames the files names from the staging folder dir into
// out, report.json last, removes the result files of out not among names,
// then dir, and syncs out. resuming skips files no longer staged (moved
// before a run died). It returns the name it failed on.
func moveResults(dir, out string, names []string, resuming bool) (string, error) {
	order := slices.Clone(names)
	slices.SortStableFunc(order, func(a, b string) int {
		ra, rb := a == "report.json", b == "report.json"
		switch {
		case ra == rb:
			return 0
		case ra:
			return 1
		}
		return -1
	})
	for _, n := range order {
		err := os.Rename(filepath.Join(dir, n), filepath.Join(out, n))
		if resuming && errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil {
			return n, err
		}
		if commitStep != nil {
			commitStep(n)
		}
	}
	for _, old := range resultsIn(out) {
		if !slices.Contains(names, old) {
			os.Remove(filepath.Join(out, old))
		}
	}
	os.RemoveAll(dir)
	return "", nmfio.SyncDir(out)
}

// path returns the staging path of an output file and records its name.
func (s *staging) path(name string) string {
	s.names = append(s.names, name)
	return filepath.Join(s.dir, name)
}

// file writes one output file through write.
func (s *staging) file(name string, write func(w io.Writer) error) error {
	if err := nmfio.WriteFileAtomic(s.path(name), write); err != nil {
		return s.fileErr(name, err)
	}
	return nil
}

// fileErr is an error writing the output file name, worded with the path
// under --out where a writer's message names the staging folder.
func (s *staging) fileErr(name string, err error) error {
	e := outErr(filepath.Join(s.od.path, name), err)
	if msg := e.Error(); strings.Contains(msg, s.dir) {
		return &cliError{msg: strings.ReplaceAll(msg, s.dir, s.od.path), err: err}
	}
	return e
}

// discard removes the staging folder and, unless the commit happened, the
// folders made for --out; harmless after commit.
func (s *staging) discard() {
	if !s.committed || s.dir != s.od.dir {
		os.RemoveAll(s.dir)
	}
	s.hold.unlock()
	if !s.committed {
		for _, d := range s.created {
			os.Remove(d) // only if still empty
		}
	}
}

// commit moves the staged files into --out, under the lock of the folder
// that holds it, if --out still holds what it held at the start. A missing
// --out is the staging folder renamed, in one step. Into an existing --out
// the files are renamed one by one, report.json last, and the result files
// of an earlier run that this one did not write are removed.
func (s *staging) commit() error {
	parent := filepath.Dir(s.od.dir)
	lk, err := lockDir(parent)
	if err != nil {
		return outErr(parent, err)
	}
	defer lk.unlock()
	removeStale(parent, stagingName(filepath.Base(s.od.dir)))
	if names := s.od.changed(); names != nil {
		return &cliError{file: s.od.path, msg: fmt.Sprintf("already holds results (%s), written by another run since this one started; nothing replaced: use another --out, or run again to replace them with --force", strings.Join(names, ", "))}
	}
	if _, err := os.Lstat(s.od.dir); errors.Is(err, fs.ErrNotExist) {
		if err := os.Rename(s.dir, s.od.dir); err != nil {
			return outErr(s.od.path, err)
		}
		s.committed, s.dir = true, s.od.dir
		if err := nmfio.SyncDir(parent); err != nil {
			return outErr(parent, err)
		}
		return nil
	}
	for _, n := range s.names {
		if fi, err := os.Lstat(filepath.Join(s.od.dir, n)); err == nil && fi.IsDir() {
			return &cliError{file: filepath.Join(s.od.path, n), msg: "is a folder; nmf writes a file of that name: remove it or choose another --out"}
		}
	}
	// The journal lets the next run finish the move if this one dies
	// half-way (rollForward).
	if err := nmfio.WriteFileAtomic(filepath.Join(s.dir, journalName), func(w io.Writer) error {
		_, err := io.WriteString(w, strings.Join(s.names, "\n")+"\n")
		return err
	}); err != nil {
		return s.fileErr(journalName, err)
	}
	s.committed = true
	if n, err := moveResults(s.dir, s.od.dir, s.names, false); err != nil {
		return outErr(filepath.Join(s.od.path, n), err)
	}
	return nil
}
