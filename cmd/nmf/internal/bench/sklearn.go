package bench

import (
	"bufio"
	"bytes"
	"context"
	_ "embed"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"

	"github.com/clnmf/clnmf/nmf"
	"github.com/clnmf/clnmf/nmf/nmfio"
)

//go:embed sklearn_bench.py
var sklearnScript []byte

// sklearnJob is one workload for sklearn_bench.py: the same X, W0 and H0
// as ours, written as .npy files, and the same warm-up and repeats.
type sklearnJob struct {
	ID string `json:"id"`
	// Kind is "" (iterations), "init" (_initialize_nmf) or "fit" (a whole
	// default fit), the last two of K components.
	Kind    string  `json:"kind,omitempty"`
	K       int     `json:"k,omitempty"`
	Solver  string  `json:"solver,omitempty"` // "mu", "cd" or "minibatch"
	Beta    float64 `json:"beta"`
	Sparse  bool    `json:"sparse,omitempty"`
	L       int     `json:"l"`
	N       int     `json:"n"`
	X       string  `json:"x,omitempty"`
	Data    string  `json:"data,omitempty"`
	Indices string  `json:"indices,omitempty"`
	Indptr  string  `json:"indptr,omitempty"`
	W       string  `json:"w,omitempty"`
	H       string  `json:"h,omitempty"`
	Warmup  int     `json:"warmup"`
	Repeats int     `json:"repeats"`
	// BatchSize is a minibatch job's batch_size.
	BatchSize int `json:"batch_size,omitempty"`
}

// sklearnRun is one scikit-learn server process (sklearn_bench.py) and the
// folder of its inputs.
type sklearnRun struct {
	python  string
	dir     string
	jobs    []*sklearnJob
	version string
	err     error // the first failure; later rounds are not sent

	cmd    *exec.Cmd
	in     io.WriteCloser
	out    *bufio.Scanner
	stderr bytes.Buffer
}

// newSklearnRun checks that python exists; whether scikit-learn is there is
// found out when the script runs.
func newSklearnRun(python string) (*sklearnRun, error) {
	if _, err := exec.LookPath(python); err != nil {
		return nil, fmt.Errorf("%s not found", python)
	}
	dir, err := os.MkdirTemp("", "nmf-bench-")
	if err != nil {
		return nil, err
	}
	return &sklearnRun{python: python, dir: dir}, nil
}

// close stops the server and removes the inputs.
func (s *sklearnRun) close() {
	if s == nil {
		return
	}
	if s.in != nil {
		s.in.Close()
		s.cmd.Wait()
	}
	os.RemoveAll(s.dir)
}

func writeNPY(path string, d *nmf.Dense[float64], prec string) error {
	if prec == "float32" {
		d32 := to32d(d)
		return nmfio.WriteNPY(path, d32.Rows, d32.Cols, d32.Data)
	}
	return nmfio.WriteNPY(path, d.Rows, d.Cols, d.Data)
}

func ints(v []int) []float64 {
	o := make([]float64, len(v))
	for i, x := range v {
		o[i] = float64(x)
	}
	return o
}

// add writes the inputs of w in precision prec and queues the job.
func (s *sklearnRun) add(w iterWork, h *host, prec string, c *Config) (*sklearnJob, error) {
	id := fmt.Sprintf("j%d", len(s.jobs))
	p := func(name string) string { return filepath.Join(s.dir, id+"_"+name+".npy") }
	j := &sklearnJob{ID: id, Solver: "mu", Beta: w.beta, L: w.l, N: w.n, W: p("w"), H: p("h"), Warmup: c.Warmup, Repeats: c.Repeats}
	switch {
	case w.kind == "minibatch":
		j.Solver, j.BatchSize = "minibatch", w.batch
	case w.solver == nmf.CD:
		j.Solver = "cd"
	}
	if err := writeNPY(j.W, h.w0, prec); err != nil {
		return nil, err
	}
	if err := writeNPY(j.H, h.h0, prec); err != nil {
		return nil, err
	}
	if h.csr != nil {
		j.Sparse, j.Data, j.Indices, j.Indptr = true, p("data"), p("indices"), p("indptr")
		nnz := len(h.csr.Data)
		if err := writeNPY(j.Data, &nmf.Dense[float64]{Rows: nnz, Cols: 1, Data: h.csr.Data}, prec); err != nil {
			return nil, err
		}
		if err := nmfio.WriteNPY(j.Indices, nnz, 1, ints(h.csr.Indices)); err != nil {
			return nil, err
		}
		if err := nmfio.WriteNPY(j.Indptr, len(h.csr.Indptr), 1, ints(h.csr.Indptr)); err != nil {
			return nil, err
		}
	} else {
		j.X = p("x")
		if err := writeNPY(j.X, h.dense, prec); err != nil {
			return nil, err
		}
	}
	s.jobs = append(s.jobs, j)
	return j, nil
}

// start launches the script as a server; a failure to start, or a python
// without scikit-learn, is an error that says so.
func (s *sklearnRun) start(ctx context.Context) error {
	script := filepath.Join(s.dir, "sklearn_bench.py")
	if err := os.WriteFile(script, sklearnScript, 0o644); err != nil {
		return err
	}
	s.cmd = exec.CommandContext(ctx, s.python, script)
	s.cmd.Stderr = &s.stderr
	s.cmd.Env = append(os.Environ(), "PYTHONDONTWRITEBYTECODE=1")
	in, err := s.cmd.StdinPipe()
	if err != nil {
		return err
	}
	out, err := s.cmd.StdoutPipe()
	if err != nil {
		return err
	}
	if err := s.cmd.Start(); err != nil {
		return err
	}
	s.in, s.out = in, bufio.NewScanner(out)
	s.out.Buffer(make([]byte, 64<<10), 16<<20)
	var m sklearnReply
	if err := s.read(&m); err != nil {
		return err
	}
	if m.Error != "" {
		return fmt.Errorf("%s", m.Error)
	}
	s.version = "scikit-learn " + m.Version
	if m.BLAS != "" {
		s.version += ", numpy on " + m.BLAS
	}
	return nil
}

type sklearnReply struct {
	ID      string    `json:"id"`
	Times   []float64 `json:"times"`
	Version string    `json:"version"`
	BLAS    string    `json:"blas"`
	Error   string    `json:"error"`
}

func (s *sklearnRun) read(m *sklearnReply) error {
	if !s.out.Scan() {
		err := s.out.Err()
		if err == nil {
			err = io.ErrUnexpectedEOF
		}
		return fmt.Errorf("%s: %v: %s", s.python, err, strings.TrimSpace(lastLines(s.stderr.String(), 5)))
	}
	if err := json.Unmarshal(s.out.Bytes(), m); err != nil {
		return fmt.Errorf("%s: bad reply %q: %v", s.python, s.out.Text(), err)
	}
	return nil
}

// time runs one round of job j and returns scikit-learn's per-iteration
// times in ms after the warm-up.
func (s *sklearnRun) time(j *sklearnJob) (ts []float64, err error) {
	if s.err != nil {
		return nil, s.err
	}
	defer func() {
		if err != nil {
			s.err = err
		}
	}()
	b, _ := json.Marshal(j)
	if _, err := s.in.Write(append(b, '\n')); err != nil {
		return nil, fmt.Errorf("%s: %v", s.python, err)
	}
	var m sklearnReply
	if err := s.read(&m); err != nil {
		return nil, err
	}
	if m.Error != "" {
		return nil, fmt.Errorf("scikit-learn on %s: %s", j.ID, m.Error)
	}
	if m.ID != j.ID || len(m.Times) == 0 {
		return nil, fmt.Errorf("%s: reply for %q with %d times, want %q", s.python, m.ID, len(m.Times), j.ID)
	}
	return m.Times, nil
}

func lastLines(s string, n int) string {
	ls := strings.Split(strings.TrimSpace(s), "\n")
	if len(ls) > n {
		ls = ls[len(ls)-n:]
	}
	return strings.Join(ls, "\n")
}
