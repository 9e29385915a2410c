package main

import (
	"context"
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
	"strconv"
	"strings"

	"github.com/clnmf/clnmf/cmd/nmf/internal/audio"
	"github.com/clnmf/clnmf/cmd/nmf/internal/picture"
	"github.com/clnmf/clnmf/nmf"
	"github.com/clnmf/clnmf/nmf/nmfio"
)

// resultName matches the files fit and transform write into --out.
var resultName = regexp.MustCompile(`^(([WH]\.(npy|csv))|report\.json|components\.png|spectrogram\.png|component_[0-9]+\.wav)$`)

// defaultOut is the --out of an input: its name without extension, plus
// ".nmf" (".transform.nmf" for transform), in the current folder.
func defaultOut(input, cmd string) string {
	base := filepath.Base(filepath.Clean(input))
	if ext := filepath.Ext(base); ext != "" && ext != base {
		base = strings.TrimSuffix(base, ext)
	}
	if base == "" || base == "." || base == ".." || base == string(filepath.Separator) {
		base = "out"
	}
	if cmd == "transform" {
		return base + ".transform.nmf"
	}
	return base + ".nmf"
}

// resultsIn lists the result files in dir.
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

// checkOut refuses an --out that is not a folder, or that holds results,
// unless force is set or it is the checkpoint being resumed (resumeDir).
func checkOut(out string, force bool, resumeDir string) error {
	fi, err := os.Stat(out)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fileErr(out, err)
	}
	if !fi.IsDir() {
		return &cliError{file: out, msg: "exists and is not a folder; choose another --out"}
	}
	if force {
		return nil
	}
	if resumeDir != "" {
		if rf, err := os.Stat(resumeDir); err == nil && os.SameFile(fi, rf) {
			return nil
		}
	}
	if names := resultsIn(out); len(names) > 0 {
		return &cliError{file: out, msg: fmt.Sprintf("already holds results (%s); use --force to replace them, or another --out", strings.Join(names, ", "))}
	}
	return nil
}

// staging is a temporary folder next to --out that receives every output
// file; commit moves them into place, so that a failed run leaves --out as
// it was.
type staging struct {
	out, dir  string
	names     []string // files written, in order
	created   []string // folders made for --out, innermost first
	committed bool
}

// newStaging creates the temporary folder "<out>.tmp-XXXXXXXX", and the
// folder --out goes into if needed.
func newStaging(out string) (*staging, error) {
	parent := filepath.Dir(out)
	var created []string
	for d := parent; ; d = filepath.Dir(d) {
		if _, err := os.Lstat(d); err == nil || d == filepath.Dir(d) {
			break
		}
		created = append(created, d)
	}
	if err := os.MkdirAll(parent, 0o777); err != nil {
		return nil, fileErr(parent, err)
	}
	for range 100 {
		var b [4]byte
		if _, err := rand.Read(b[:]); err != nil {
			return nil, err
		}
		dir := out + ".tmp-" + hex.EncodeToString(b[:])
		err := os.Mkdir(dir, 0o777) // permissions as a plain mkdir, less the umask
		if err == nil {
			return &staging{out: out, dir: dir, created: created}, nil
		}
		if !errors.Is(err, fs.ErrExist) {
			return nil, fileErr(dir, err)
		}
	}
	return nil, &cliError{file: out, msg: "cannot create a temporary folder next to it"}
}

// path returns the staging path of an output file and records its name.
func (s *staging) path(name string) string {
	s.names = append(s.names, name)
	return filepath.Join(s.dir, name)
}

// file writes one output file through write.
func (s *staging) file(name string, write func(w io.Writer) error) error {
	if err := nmfio.WriteFileAtomic(s.path(name), write); err != nil {
		return fileErr(filepath.Join(s.out, name), err)
	}
	return nil
}

// discard removes the staging folder and, unless the commit happened, the
// folders made for --out; harmless after commit.
func (s *staging) discard() {
	os.RemoveAll(s.dir)
	if !s.committed {
		for _, d := range s.created {
			os.Remove(d) // only if still empty
		}
	}
}

// commit moves the staged files into --out. A missing --out is the staging
// folder renamed, in one step. Into an existing --out the files are renamed
// one by one, report.json last, and the result files of an earlier run that
// this one did not write are removed.
func (s *staging) commit() error {
	if _, err := os.Lstat(s.out); errors.Is(err, fs.ErrNotExist) {
		if err := os.Rename(s.dir, s.out); err != nil {
			return fileErr(s.out, err)
		}
		s.committed = true
		if err := nmfio.SyncDir(filepath.Dir(s.out)); err != nil {
			return fileErr(filepath.Dir(s.out), err)
		}
		return nil
	}
	names := slices.Clone(s.names)
	slices.SortStableFunc(names, func(a, b string) int {
		ra, rb := a == "report.json", b == "report.json"
		switch {
		case ra == rb:
			return 0
		case ra:
			return 1
		}
		return -1
	})
	s.committed = true
	for _, n := range names {
		if err := os.Rename(filepath.Join(s.dir, n), filepath.Join(s.out, n)); err != nil {
			return fileErr(filepath.Join(s.out, n), err)
		}
	}
	for _, old := range resultsIn(s.out) {
		if !slices.Contains(s.names, old) {
			os.Remove(filepath.Join(s.out, old))
		}
	}
	os.Remove(s.dir)
	if err := nmfio.SyncDir(s.out); err != nil {
		return fileErr(s.out, err)
	}
	return nil
}

// outputs are what a run writes: the factors in precision T, and for images
// and WAV the pictures and sounds.
type outputs[T nmf.Float] struct {
	W, H       *nmf.Dense[T]
	ds         *dataset
	format     string
	checkpoint bool // W, H and report.json only
}

// commitHookKey is a context key for tests: a func() error called after
// every output is staged and before the commit, whose error fails the run.
type commitHookKey struct{}

// write stages every output and the report, then commits them to out.
func (o *outputs[T]) write(ctx context.Context, out string, rep *runReport) error {
	st, err := newStaging(out)
	if err != nil {
		return err
	}
	defer st.discard()
	rep.Files = filesReport{W: "W." + o.format, H: "H." + o.format}
	for _, f := range []struct {
		name string
		m    *nmf.Dense[T]
	}{{rep.Files.W, o.W}, {rep.Files.H, o.H}} {
		var err error
		if o.format == "csv" {
			err = nmfio.WriteCSV(st.path(f.name), f.m.Rows, f.m.Cols, f.m.Data)
		} else {
			err = nmfio.WriteNPY(st.path(f.name), f.m.Rows, f.m.Cols, f.m.Data)
		}
		if err != nil {
			return fileErr(filepath.Join(out, f.name), err)
		}
	}
	if !o.checkpoint {
		if err := o.pictures(st, rep); err != nil {
			return err
		}
	}
	if err := st.file("report.json", rep.write); err != nil {
		return err
	}
	if hook, ok := ctx.Value(commitHookKey{}).(func() error); ok {
		if err := hook(); err != nil {
			return &cliError{file: out, msg: err.Error(), err: err}
		}
	}
	return st.commit()
}

// pictures stages components.png for images; spectrogram.png and one WAV
// per component for a WAV.
func (o *outputs[T]) pictures(st *staging, rep *runReport) error {
	ds := o.ds
	k := o.W.Cols
	w64, h64 := convert[float64](o.W.Data), convert[float64](o.H.Data)
	switch ds.kind {
	case kindImages:
		rep.Files.Pictures = append(rep.Files.Pictures, "components.png")
		return st.file("components.png", func(w io.Writer) error {
			return nmfio.ComponentsPNG(w, w64, o.W.Rows, k, ds.width, ds.height)
		})
	case kindWAV:
		x64 := ds.float64Data()
		f, t := ds.dims()
		rep.Files.Pictures = append(rep.Files.Pictures, "spectrogram.png")
		if err := st.file("spectrogram.png", func(w io.Writer) error {
			return picture.AudioPNG(w, x64, w64, h64, f, t, k)
		}); err != nil {
			return err
		}
		parts, err := audio.Separate(x64, ds.phase, w64, h64, k)
		if err != nil {
			return fileErr(ds.path, err)
		}
		digits := max(2, len(strconv.Itoa(k-1)))
		for c, p := range parts {
			name := fmt.Sprintf("component_%0*d.wav", digits, c)
			rep.Files.Sounds = append(rep.Files.Sounds, name)
			if err := st.file(name, func(w io.Writer) error { return nmfio.WriteWAV(w, ds.sound.Rate, p) }); err != nil {
				return err
			}
		}
	}
	return nil
}
