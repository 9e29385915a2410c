//go:build linux

package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/clnmf/clnmf/nmf/nmfio"
)

// TestDistributedKilledRank kills one rank of a running mpirun -np 3 fit
// (SIGKILL, as the OOM killer or a lost node would): the whole job ends —
// no hang, mpirun fails naming the killed rank, no rank process is left
// and nothing is written to --out. The ranks are found under /proc as
// mpirun's children by their OMPI_COMM_WORLD_RANK.
func TestDistributedKilledRank(t *testing.T) {
	run := mpirunFor(t)
	dir := t.TempDir()
	const l, n = 600, 300
	x := make([]float64, l*n)
	for i := range x {
		x[i] = float64(1 + (i*7)%13)
	}
	if err := nmfio.WriteNPY(filepath.Join(dir, "x.npy"), l, n, x); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	// Iterations enough to outlast the test: only the kill ends the job.
	cmd := run(ctx, 3, dir, "fit", "x.npy", "-k", "10", "--max-iter", "100000000", "--tol", "0", "--device", "cpu", "-q", "--distributed", "mpi", "--out", "out.nmf")
	var buf bytes.Buffer
	cmd.Stdout, cmd.Stderr = &buf, &buf
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	var ranks map[int]int
	for deadline := time.Now().Add(time.Minute); len(ranks) < 3; time.Sleep(100 * time.Millisecond) {
		if time.Now().After(deadline) {
			cmd.Process.Kill()
			t.Fatalf("the 3 ranks did not start (found %v):\n%s", ranks, buf.String())
		}
		ranks = ranksOf(cmd.Process.Pid)
	}
	time.Sleep(time.Second) // into the fit
	if err := syscall.Kill(ranks[1], syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	err := cmd.Wait()
	if ctx.Err() != nil {
		t.Fatalf("the job hung after rank 1 was killed:\n%s", buf.String())
	}
	if s := buf.String(); err == nil || !strings.Contains(s, "rank 1") || !strings.Contains(s, "signal 9") {
		t.Errorf("mpirun: %v, output lacks rank 1's end:\n%s", err, s)
	}
	for r, pid := range ranks {
		for deadline := time.Now().Add(10 * time.Second); alive(pid); time.Sleep(100 * time.Millisecond) {
			if time.Now().After(deadline) {
				syscall.Kill(pid, syscall.SIGKILL)
				t.Errorf("rank %d (pid %d) outlived the job", r, pid)
				break
			}
		}
	}
	if _, err := os.Stat(filepath.Join(dir, "out.nmf", "report.json")); err == nil {
		t.Error("the job wrote --out after losing a rank")
	}
}

// ranksOf maps the MPI ranks among the children of process ppid to their
// pids.
func ranksOf(ppid int) map[int]int {
	out := map[int]int{}
	procs, _ := filepath.Glob("/proc/[0-9]*")
	for _, p := range procs {
		stat, err := os.ReadFile(filepath.Join(p, "stat"))
		if err != nil {
			continue
		}
		// pid (comm) state ppid ...: comm may hold spaces, so after the last ')'.
		f := strings.Fields(string(stat[bytes.LastIndexByte(stat, ')')+1:]))
		if len(f) < 2 || f[1] != strconv.Itoa(ppid) {
			continue
		}
		env, err := os.ReadFile(filepath.Join(p, "environ"))
		if err != nil {
			continue
		}
		for _, kv := range strings.Split(string(env), "\x00") {
			if v, ok := strings.CutPrefix(kv, "OMPI_COMM_WORLD_RANK="); ok {
				r, err1 := strconv.Atoi(v)
				pid, err2 := strconv.Atoi(filepath.Base(p))
				if err1 == nil && err2 == nil {
					out[r] = pid
				}
			}
		}
	}
	return out
}

// alive says whether process pid exists and is not a zombie.
func alive(pid int) bool {
	stat, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return false
	}
	f := strings.Fields(string(stat[bytes.LastIndexByte(stat, ')')+1:]))
	return len(f) > 0 && f[0] != "Z"
}
