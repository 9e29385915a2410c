package main

import (
	"errors"
	"fmt"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/clnmf/clnmf/cmd/nmf/internal/audio"
	"github.com/clnmf/clnmf/nmf"
	"github.com/clnmf/clnmf/nmf/nmfio"
)

// The kinds of input.
const (
	kindNPY    = "npy"
	kindCSV    = "csv"
	kindTSV    = "tsv"
	kindMTX    = "mtx"
	kindImages = "images"
	kindWAV    = "wav"
)

func kindName(kind string) string {
	switch kind {
	case kindImages:
		return "a folder of images"
	case kindWAV:
		return "a WAV file"
	}
	return "a ." + kind + " file"
}

// columnsAreSamples reports whether the kind's samples are the columns of X
// (images, frames), so that transform holds W fixed instead of H.
func columnsAreSamples(kind string) bool { return kind == kindImages || kind == kindWAV }

// classify says what kind of input path is, from its type and extension,
// without reading it.
func classify(path string) (string, error) {
	fi, err := os.Stat(path)
	if err != nil {
		return "", fileErr(path, err)
	}
	if fi.IsDir() {
		return kindImages, nil
	}
	switch ext := strings.ToLower(filepath.Ext(path)); ext {
	case ".npy":
		return kindNPY, nil
	case ".csv":
		return kindCSV, nil
	case ".tsv":
		return kindTSV, nil
	case ".mtx":
		return kindMTX, nil
	case ".wav":
		return kindWAV, nil
	default:
		what := "no extension"
		if ext != "" {
			what = "unknown extension " + ext
		}
		return "", &cliError{file: path, msg: what + "; want .npy, .csv, .tsv, .mtx, .wav or a folder of images"}
	}
}

// dataset is the input matrix X as nmfio reads it, with the analysis of a
// WAV file, whose X is its magnitude spectrogram.
type dataset struct {
	*nmfio.Input
	nnz  int           // X's nonzero (dense) or stored (sparse) entries
	read time.Duration // the time taken to read it (loadInput)

	sound *nmfio.Sound // WAV
	stft  audio.STFT
	phase *audio.Phase
}

// load reads the input of the given kind with the readers' options rd
// (the memory limit, CSV's index column); stft is the analysis of a WAV.
func load(path, kind string, stft audio.STFT, rd *nmfio.Options) (*dataset, error) {
	ds := &dataset{}
	var err error
	switch kind {
	case kindImages:
		ds.Input, err = rd.ReadImageFolder(path)
	case kindWAV:
		ds.Input, err = loadWAV(ds, rd, path, stft)
	default:
		ds.Input, err = rd.Read(path)
	}
	if err != nil {
		return nil, indexHint(fileErr(path, err), rd.IndexColumn)
	}
	ds.nnz = ds.NNZ()
	return ds, nil
}

// Dims is the whole X's shape: under --distributed mpi an image folder
// holds this rank's images alone (nmfio.Options.KeepColumns) but names
// them all.
func (ds *dataset) Dims() (rows, cols int) {
	rows, cols = ds.Input.Dims()
	if ds.Kind == kindImages && len(ds.Images) > cols {
		cols = len(ds.Images)
	}
	return rows, cols
}

// close releases the input's memory mapping (a mapped .npy), once the fit
// and everything written from X are done.
func (ds *dataset) close() {
	if ds.Input != nil {
		ds.Input.Close()
	}
}

// loadWAV reads a WAV file into ds and returns its spectrogram.
func loadWAV(ds *dataset, rd *nmfio.Options, path string, stft audio.STFT) (*nmfio.Input, error) {
	s, err := rd.ReadWAV(path)
	if err != nil {
		return nil, err
	}
	frames := stft.Frames(len(s.Samples))
	if frames == 0 {
		return nil, &cliError{file: path, msg: fmt.Sprintf("%d samples (%.3g s) are shorter than one frame of %d (--fft-size)", len(s.Samples), float64(len(s.Samples))/float64(s.Rate), stft.FFTSize)}
	}
	// The magnitude (float32) and the phase (float64) of every bin, beside
	// the samples.
	bins := int64(frames) * int64(stft.FFTSize/2+1)
	need := int64(len(s.Samples))*8 + bins*12
	what := fmt.Sprintf("the spectrogram of %d frames (--hop %d, --fft-size %d)", frames, stft.Hop, stft.FFTSize)
	if err := (nmf.Budget{Limit: rd.MemoryLimit}).Check(what, need, "use a larger --hop"); err != nil {
		return nil, err
	}
	mag, ph, err := stft.Forward(s.Samples)
	if err != nil {
		return nil, err
	}
	ds.sound, ds.stft, ds.phase = s, stft, ph
	return &nmfio.Input{Path: path, Kind: kindWAV, Dense32: mag}, nil
}

// nativePrecision is the default --precision: float32 for float32 .npy
// files, images and WAV; float64 otherwise.
func (ds *dataset) nativePrecision() string {
	if ds.Dense32 != nil {
		return "float32"
	}
	return "float64"
}

// matrixAs returns X in precision T, converting explicitly when the file's
// precision differs. Data already of type T is shared, not copied: the
// library never modifies X.
func matrixAs[T nmf.Float](ds *dataset) nmf.Matrix[T] {
	switch {
	case ds.Dense32 != nil:
		return &nmf.Dense[T]{Rows: ds.Dense32.Rows, Cols: ds.Dense32.Cols, Data: convert[T](ds.Dense32.Data)}
	case ds.Dense64 != nil:
		return &nmf.Dense[T]{Rows: ds.Dense64.Rows, Cols: ds.Dense64.Cols, Data: convert[T](ds.Dense64.Data)}
	}
	s := ds.Sparse
	return &nmf.CSR[T]{Rows: s.Rows, Cols: s.Cols, Indptr: s.Indptr, Indices: s.Indices, Data: convert[T](s.Data)}
}

// float64Data returns dense X as float64, for pictures and sounds.
func (ds *dataset) float64Data() []float64 {
	switch {
	case ds.Dense32 != nil:
		return convert[float64](ds.Dense32.Data)
	case ds.Dense64 != nil:
		return ds.Dense64.Data
	}
	return nil
}

// convert returns s as a []T: s itself when it already is one, otherwise a
// converted copy (float64 to float32 rounds to nearest).
func convert[T, S nmf.Float](s []S) []T {
	if v, ok := any(s).([]T); ok {
		return v
	}
	out := make([]T, len(s))
	for i, x := range s {
		out[i] = T(x)
	}
	return out
}

// readFactor reads a factor matrix (W0, H0, H, a model's W) in precision T.
// A sparse file is densified: factors are small.
func readFactor[T nmf.Float](path string) (*nmf.Dense[T], error) {
	if fi, err := os.Stat(path); err != nil {
		return nil, fileErr(path, err)
	} else if fi.IsDir() {
		return nil, &cliError{file: path, msg: "is a folder; want a matrix file (.npy, .csv, .tsv or .mtx)"}
	}
	in, err := nmfio.Read(path)
	if err != nil {
		return nil, fileErr(path, err)
	}
	switch {
	case in.Dense32 != nil:
		return &nmf.Dense[T]{Rows: in.Dense32.Rows, Cols: in.Dense32.Cols, Data: convert[T](in.Dense32.Data)}, nil
	case in.Dense64 != nil:
		return &nmf.Dense[T]{Rows: in.Dense64.Rows, Cols: in.Dense64.Cols, Data: convert[T](in.Dense64.Data)}, nil
	}
	s := in.Sparse
	need := int64(math.MaxInt64)
	if cells := int64(s.Rows) * int64(s.Cols); cells <= math.MaxInt64/8 { // each ≤ 2³¹
		need = cells * 8 // at most: float64
	}
	what := fmt.Sprintf("densifying this %d×%d factor", s.Rows, s.Cols)
	if err := (nmf.Budget{}).Check(what, need, ""); err != nil {
		return nil, &cliError{file: path, msg: err.Error(), err: err}
	}
	d := &nmf.Dense[T]{Rows: s.Rows, Cols: s.Cols, Data: make([]T, s.Rows*s.Cols)}
	for i := 0; i < s.Rows; i++ {
		for p := s.Indptr[i]; p < s.Indptr[i+1]; p++ {
			d.Data[i*s.Cols+s.Indices[p]] = T(s.Data[p])
		}
	}
	return d, nil
}

// fileErr turns an error about path into the one-line "<file>: <what>"
// form, whatever package it came from.
// indexHint adds to a CSV/TSV error about a first column that is not a
// number the likely cause: a row index, as pandas' to_csv writes one.
func indexHint(err error, index bool) error {
	var fe *nmfio.FormatError
	var ce *cliError
	if index || !errors.As(err, &fe) || fe.Col != 1 || !strings.HasSuffix(fe.Msg, "is not a number") || !errors.As(err, &ce) {
		return err
	}
	ce.msg += " (a row index, as pandas' to_csv writes? skip it with --index-column)"
	return err
}

// headerNote is the line on stderr that says a CSV/TSV file's first row
// was taken as a header, and hints at --index-column when its first name
// is empty, as pandas writes for its index.
func headerNote(ds *dataset, index bool) string {
	h := ds.Header
	if len(h) == 0 {
		return ""
	}
	names := h
	if len(names) > 4 {
		names = names[:4]
	}
	quoted := make([]string, len(names))
	for i, n := range names {
		quoted[i] = quoteArg(n)
	}
	list := strings.Join(quoted, ", ")
	if len(h) > len(names) {
		list += ", …"
	}
	note := fmt.Sprintf("%s: line 1 is a header, not data: %d column names (%s)", ds.Path, len(h), list)
	if !index && (h[0] == "" || h[0] == "Unnamed: 0") {
		note += "; the first has no name, as pandas' index: if that column is an index, skip it with --index-column"
	}
	return note
}

func fileErr(path string, err error) error {
	var ce *cliError
	if errors.As(err, &ce) {
		return err
	}
	var fe *nmfio.FormatError
	if errors.As(err, &fe) {
		return &cliError{msg: fe.Error(), err: err}
	}
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return &cliError{file: pe.Path, msg: pe.Err.Error(), err: err}
	}
	msg := err.Error()
	for _, p := range []string{"nmf: ", "picture: ", "audio: ", "nmfio: ", "samples: "} {
		msg = strings.TrimPrefix(msg, p)
	}
	if errors.Is(err, nmfio.ErrUnknownFormat) {
		return &cliError{file: path, msg: "unknown extension; want .npy, .csv, .tsv or .mtx", err: err}
	}
	if strings.HasPrefix(msg, path+": ") || strings.HasPrefix(msg, path+" ") ||
		strings.HasPrefix(msg, filepath.Clean(path)+string(filepath.Separator)) {
		return &cliError{msg: msg, err: err}
	}
	return &cliError{file: path, msg: msg, err: err}
}

// position names entry (row, col) of X in the terms of the input file.
func (ds *dataset) position(row, col int) string {
	if row < 0 || col < 0 {
		return ""
	}
	switch ds.Kind {
	case kindCSV, kindTSV:
		if col < len(ds.Header) {
			name := ds.Header[col]
			if len(name) > 40 { // a message quotes a short excerpt only
				name = strings.ToValidUTF8(name[:32], "") + "…"
			}
			return fmt.Sprintf("data row %d, column %d (%s)", row+1, col+1, name)
		}
		return fmt.Sprintf("data row %d, column %d", row+1, col+1)
	case kindMTX:
		return fmt.Sprintf("entry (%d, %d)", row+1, col+1)
	case kindImages:
		if col += ds.FirstColumn; col < len(ds.Images) && ds.Width > 0 {
			return fmt.Sprintf("image %s, pixel (%d, %d)", ds.Images[col], row%ds.Width, row/ds.Width)
		}
	case kindWAV:
		return fmt.Sprintf("frequency bin %d, frame %d", row, col)
	}
	return fmt.Sprintf("element [%d, %d]", row, col)
}

// withInput loads o's input of kind (loadInput) and runs run on it, closing
// it after.
func withInput(e *env, o *options, kind string, run func(ds *dataset) error) error {
	ds, err := loadInput(e, o, kind)
	if err != nil {
		return err
	}
	defer ds.close()
	return run(ds)
}
