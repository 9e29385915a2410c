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

	"github.com/clnmf/clnmf/cmd/nmf/internal/dataio"
	"github.com/clnmf/clnmf/nmf"
)

//go:embed sklearn_bench.py
var sklearnScript []byte

// sklearnJob is one workload for sklearn_bench.py: the same X, W0 and H0
// as ours, written as .npy files, and the same warm-up and repeats.
type sklearnJob struct {
	ID      string  `json:"id"`
	Solver  string  `json:"solver"` // "mu" or "cd"
	Beta    float64 `json:"beta"`
	Sparse  bool    `json:"sparse,omitempty"`
	L       int     `json:"l"`
	N       int     `json:"n"`
	X       string  `json:"x,omitempty"`
	Data    string  `json:"data,omitempty"`
	Indices string  `json:"indices,omitempty"`
	Indptr  string  `json:"indptr,omitempty"`
	W       string  `json:"w"`
	H       string  `json:"h"`
	Warmup  int     `json:"warmup"`
	Repeats int     `json:"repeats"`
}

type sklearnRun struct {
	python string
	dir    string
	jobs   []*sklearnJob
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

func (s *sklearnRun) close() {
	if s != nil {
		os.RemoveAll(s.dir)
	}
}

func writeNPY(path string, d *nmf.Dense[float64], prec string) error {
	if prec == "float32" {
		d32 := to32d(d)
		return dataio.WriteNPY(path, d32.Rows, d32.Cols, d32.Data)
	}
	return dataio.WriteNPY(path, d.Rows, d.Cols, d.Data)
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
	if w.solver == nmf.CD {
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
		if err := dataio.WriteNPY(j.Indices, nnz, 1, ints(h.csr.Indices)); err != nil {
			return nil, err
		}
		if err := dataio.WriteNPY(j.Indptr, len(h.csr.Indptr), 1, ints(h.csr.Indptr)); err != nil {
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

// run runs every job in one python process and returns ms per iteration by
// job id, and scikit-learn's version.
func (s *sklearnRun) run(ctx context.Context, logw io.Writer) (map[string]float64, string, error) {
	out := map[string]float64{}
	if len(s.jobs) == 0 {
		return out, "", nil
	}
	script := filepath.Join(s.dir, "sklearn_bench.py")
	if err := os.WriteFile(script, sklearnScript, 0o644); err != nil {
		return out, "", err
	}
	jobs := filepath.Join(s.dir, "jobs.json")
	b, _ := json.Marshal(s.jobs)
	if err := os.WriteFile(jobs, b, 0o644); err != nil {
		return out, "", err
	}
	cmd := exec.CommandContext(ctx, s.python, script, jobs)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	cmd.Env = append(os.Environ(), "PYTHONDONTWRITEBYTECODE=1")
	pipe, err := cmd.StdoutPipe()
	if err != nil {
		return out, "", err
	}
	if err := cmd.Start(); err != nil {
		return out, "", err
	}
	var version, failure string
	sc := bufio.NewScanner(pipe)
	for sc.Scan() {
		var m struct {
			ID      string  `json:"id"`
			MS      float64 `json:"ms"`
			Version string  `json:"version"`
			Error   string  `json:"error"`
		}
		if json.Unmarshal(sc.Bytes(), &m) != nil {
			continue
		}
		switch {
		case m.Error != "":
			failure = m.Error
		case m.Version != "":
			version = "scikit-learn " + m.Version
		default:
			out[m.ID] = m.MS
			fmt.Fprintf(logw, "bench: scikit-learn %s done (%d/%d)\n", m.ID, len(out), len(s.jobs))
		}
	}
	werr := cmd.Wait()
	if failure != "" {
		return out, version, fmt.Errorf("%s", failure)
	}
	if werr != nil {
		return out, version, fmt.Errorf("%s: %v: %s", s.python, werr, strings.TrimSpace(lastLines(stderr.String(), 5)))
	}
	return out, version, nil
}

func lastLines(s string, n int) string {
	ls := strings.Split(strings.TrimSpace(s), "\n")
	if len(ls) > n {
		ls = ls[len(ls)-n:]
	}
	return strings.Join(ls, "\n")
}
