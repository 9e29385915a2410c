package nmfio

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"syscall"
)

// WriteFileAtomic replaces the file at path with what write writes, so that
// path holds either its old contents or the complete new ones, never a mix
// or a truncated file.
//
// It creates a temporary file in path's folder (named ".<base>.tmp-<random>"),
// calls write with a buffered writer on it, flushes, fsyncs and closes it,
// renames it over path and fsyncs the folder (see [SyncDir]). If write
// returns an error or panics, or any step before the rename fails, the
// temporary file is removed, path is left untouched and the error is
// returned (a panic continues after the clean-up). An error from syncing
// the folder is returned too, but the new file is then already in place.
//
// A new file gets the permissions os.Create would give it (0666 less the
// umask); a replaced regular file keeps its permission bits. A symbolic
// link at path is replaced by the new file, not followed.
func WriteFileAtomic(path string, write func(w io.Writer) error) error {
	dir, base := filepath.Split(path)
	if dir == "" {
		dir = "."
	}
	f, tmp, err := createTemp(dir, base)
	if err != nil {
		return err
	}
	done := false
	defer func() {
		if !done {
			f.Close()
			os.Remove(tmp)
		}
	}()
	if st, err := os.Lstat(path); err == nil && st.Mode().IsRegular() {
		if err := f.Chmod(st.Mode().Perm()); err != nil && !errors.Is(err, errors.ErrUnsupported) {
			return err
		}
	}
	bw := bufio.NewWriterSize(f, 1<<16)
	if err := write(bw); err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	if err := bw.Flush(); err != nil {
		return err
	}
	if err := f.Sync(); err != nil {
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	if err := os.Rename(tmp, path); err != nil {
		return err
	}
	done = true
	return SyncDir(dir)
}

// createTemp creates a new file in dir with mode 0666 (less the umask),
// unlike os.CreateTemp's 0600, since it becomes the user's output file.
func createTemp(dir, base string) (*os.File, string, error) {
	for try := 0; ; try++ {
		name := filepath.Join(dir, "."+base+".tmp-"+strconv.FormatUint(rand.Uint64(), 36))
		f, err := os.OpenFile(name, os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o666)
		if errors.Is(err, fs.ErrExist) && try < 100 {
			continue
		}
		return f, name, err
	}
}

// SyncDir fsyncs the folder dir, so that renames and new files in it
// survive a crash. Where folders cannot be synced (Windows, and file
// systems that answer EINVAL or "not supported") it does nothing and
// returns nil.
func SyncDir(dir string) error {
	if runtime.GOOS == "windows" || runtime.GOOS == "plan9" {
		return nil
	}
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	err = d.Sync()
	if cerr := d.Close(); err == nil {
		err = cerr
	}
	if errors.Is(err, syscall.EINVAL) || errors.Is(err, errors.ErrUnsupported) {
		return nil
	}
	return err
}
