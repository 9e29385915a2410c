// Package mpi joins the processes of a distributed fit over MPI
// (nmf.Options.Comm; docs/distributed.md). The MPI library is loaded at run
// time with purego, as the OpenCL library is: the binary needs no cgo and
// starts where MPI is not installed. Open MPI's ABI (handles are the
// addresses of exported objects such as ompi_mpi_comm_world) and MPICH's
// (handles are integer constants from its mpi.h) are both handled, chosen by
// which library loads.
package mpi

import (
	"errors"
	"fmt"
	"os"
	"slices"
	"strconv"
	"sync"
	"unsafe"

	"github.com/ebitengine/purego"
)

// ErrNoMPI is wrapped by Open's error when no MPI library can be loaded.
var ErrNoMPI = errors.New("no MPI library (install Open MPI: apt-get install openmpi-bin libopenmpi3, or MPICH's libmpich12; or set CLNMF_MPI_LIB to libmpi.so's path)")

// Comm is MPI_COMM_WORLD of an initialised MPI: it implements nmf.Comm.
// Its methods may be called from any goroutine (they are serialised: MPI is
// initialised with MPI_THREAD_SERIALIZED).
type Comm struct {
	mu         sync.Mutex
	abi        string // "Open MPI" or "MPICH"
	lib        string
	rank, size int
	world      uintptr
	double     uintptr
	float      uintptr
	sum        uintptr
	recv       []byte // MPI_Reduce's receive buffer, kept between calls (under mu)

	initThread func(argc, argv unsafe.Pointer, required int32, provided *int32) int32
	commRank   func(comm uintptr, r *int32) int32
	commSize   func(comm uintptr, r *int32) int32
	reduce     func(send, recv unsafe.Pointer, count int32, dt, op uintptr, root int32, comm uintptr) int32
	bcast      func(buf unsafe.Pointer, count int32, dt uintptr, root int32, comm uintptr) int32
	barrier    func(comm uintptr) int32
	abort      func(comm uintptr, code int32) int32
	finalize   func() int32
}

// MPICH's handles (mpi.h of MPICH 3 and 4).
const (
	mpichCommWorld = 0x44000000
	mpichDouble    = 0x4c00080b
	mpichFloat     = 0x4c00040a
	mpichSum       = 0x58000003
)

const threadSerialized = 2 // MPI_THREAD_SERIALIZED in both

// libraries are tried in order when CLNMF_MPI_LIB is not set: Open MPI's
// first, or MPICH's under a PMI launcher that is not Open MPI's (MPICH's
// Hydra, srun --mpi=pmi2), where both are installed.
var (
	openMPILibs = []string{"libmpi.so.40"}
	mpichLibs   = []string{"libmpich.so.12", "libmpi.so.12"}
	otherLibs   = []string{"libmpi.so", "libmpich.so"}
)

func libraries() []string {
	first, second := openMPILibs, mpichLibs
	if os.Getenv("OMPI_COMM_WORLD_SIZE") == "" && os.Getenv("PMI_SIZE") != "" {
		first, second = mpichLibs, openMPILibs
	}
	return slices.Concat(first, second, otherLibs)
}

// launcherSize is the job's size as the launcher says (0 when none does).
func launcherSize() int {
	for _, v := range []string{"OMPI_COMM_WORLD_SIZE", "PMI_SIZE"} {
		if n, err := strconv.Atoi(os.Getenv(v)); err == nil && n > 0 {
			return n
		}
	}
	return 0
}

// InMPIRun says whether this process was started by mpirun/mpiexec (Open
// MPI's, MPICH's Hydra or a PMI launcher such as srun).
func InMPIRun() bool {
	for _, v := range []string{"OMPI_COMM_WORLD_SIZE", "PMI_SIZE", "PMIX_RANK", "PMI_RANK"} {
		if os.Getenv(v) != "" {
			return true
		}
	}
	return false
}

// LocalRank is this process's rank among those of the job on its node, as
// the launcher says (Open MPI, MPICH's Hydra, Slurm); rank when none does.
func LocalRank(rank int) int {
	for _, v := range []string{"OMPI_COMM_WORLD_LOCAL_RANK", "MPI_LOCALRANKID", "PMI_LOCAL_RANK", "SLURM_LOCALID"} {
		if n, err := strconv.Atoi(os.Getenv(v)); err == nil && n >= 0 {
			return n
		}
	}
	return rank
}

// world is this process's MPI: MPI can be initialised once per process,
// so Open hands out the one Comm, counting, and Finalize ends MPI when
// every Open has had its Finalize (a program that runs several
// distributed fits one after the other, each opening and finalising).
var world struct {
	sync.Mutex
	comm   *Comm
	opens  int
	inited bool // MPI_Init ran: it cannot run again in this process
}

// Open loads the MPI library and initialises MPI, or returns the Comm an
// earlier Open of this process initialised. Call Finalize (or Abort) once
// per Open before exiting.
func Open() (*Comm, error) {
	world.Lock()
	defer world.Unlock()
	switch {
	case world.comm != nil:
		world.opens++
		return world.comm, nil
	case world.inited:
		return nil, errors.New("mpi: MPI was finalised in this process and cannot start again")
	}
	c, err := open()
	if c != nil {
		world.comm, world.opens = c, 1
	}
	return c, err
}

// open loads the library and initialises MPI (world.inited from then on,
// whether or not the rest succeeds).
func open() (*Comm, error) {
	names := libraries()
	if p := os.Getenv("CLNMF_MPI_LIB"); p != "" {
		names = []string{p}
	}
	var h uintptr
	var lib string
	var errs []error
	for _, name := range names {
		var err error
		if h, err = dlopen(name); err == nil {
			lib = name
			break
		}
		errs = append(errs, err)
	}
	if lib == "" {
		return nil, fmt.Errorf("mpi: %w: %w", ErrNoMPI, errors.Join(errs...))
	}
	c := &Comm{lib: lib}
	if err := c.bind(h); err != nil {
		return nil, fmt.Errorf("mpi: %s: %w", lib, err)
	}
	var provided int32
	if rc := c.initThread(nil, nil, threadSerialized, &provided); rc != 0 {
		return nil, fmt.Errorf("mpi: %s: MPI_Init_thread failed (error %d)", lib, rc)
	}
	world.inited = true
	// From here on a failure finalizes MPI before it returns, so that the
	// error reaches the caller (MPI_Abort would end the job without it)
	// and MPI is not left initialised.
	if provided < threadSerialized {
		c.finalize()
		return nil, fmt.Errorf("mpi: %s: MPI_THREAD_SERIALIZED not provided (%d)", lib, provided)
	}
	var r, s int32
	if rc := c.commRank(c.world, &r); rc != 0 {
		c.finalize()
		return nil, fmt.Errorf("mpi: %s: MPI_Comm_rank failed (error %d)", lib, rc)
	}
	if rc := c.commSize(c.world, &s); rc != 0 {
		c.finalize()
		return nil, fmt.Errorf("mpi: %s: MPI_Comm_size failed (error %d)", lib, rc)
	}
	c.rank, c.size = int(r), int(s)
	if n := launcherSize(); n > 0 && n != c.size {
		// Another MPI's library started this process as a singleton.
		c.finalize()
		return nil, fmt.Errorf("mpi: %s (%s) sees %d processes, the launcher started %d: set CLNMF_MPI_LIB to the library of the mpirun used", lib, c.abi, c.size, n)
	}
	return c, nil
}

// bind finds the functions and the handles of the library's ABI.
func (c *Comm) bind(h uintptr) (err error) {
	defer func() {
		// RegisterLibFunc panics on a missing symbol.
		if r := recover(); r != nil {
			err = fmt.Errorf("not an MPI library: %v", r)
		}
	}()
	purego.RegisterLibFunc(&c.initThread, h, "MPI_Init_thread")
	purego.RegisterLibFunc(&c.commRank, h, "MPI_Comm_rank")
	purego.RegisterLibFunc(&c.commSize, h, "MPI_Comm_size")
	purego.RegisterLibFunc(&c.reduce, h, "MPI_Reduce")
	purego.RegisterLibFunc(&c.bcast, h, "MPI_Bcast")
	purego.RegisterLibFunc(&c.barrier, h, "MPI_Barrier")
	purego.RegisterLibFunc(&c.abort, h, "MPI_Abort")
	purego.RegisterLibFunc(&c.finalize, h, "MPI_Finalize")
	if world, err := dlsym(h, "ompi_mpi_comm_world"); err == nil {
		c.abi, c.world = "Open MPI", world
		for _, s := range []struct {
			p    *uintptr
			name string
		}{{&c.double, "ompi_mpi_double"}, {&c.float, "ompi_mpi_float"}, {&c.sum, "ompi_mpi_op_sum"}} {
			if *s.p, err = dlsym(h, s.name); err != nil {
				return fmt.Errorf("Open MPI without %s: %w", s.name, err)
			}
		}
		return nil
	}
	c.abi, c.world, c.double, c.float, c.sum = "MPICH", mpichCommWorld, mpichDouble, mpichFloat, mpichSum
	return nil
}

func (c *Comm) Rank() int { return c.rank }
func (c *Comm) Size() int { return c.size }

// ABI is "Open MPI" or "MPICH"; Library the file loaded.
func (c *Comm) ABI() string     { return c.abi }
func (c *Comm) Library() string { return c.lib }

// SumFloat64 replaces v on every process by the sum of the processes' v:
// an MPI_Reduce to rank 0 and an MPI_Bcast from it, so that every process
// holds the very same values (MPI_Allreduce does not promise that).
func (c *Comm) SumFloat64(v []float64) error {
	if len(v) == 0 {
		return nil
	}
	return c.sumBytes(unsafe.Pointer(&v[0]), len(v), 8, c.double)
}

// SumFloat32 is SumFloat64 for float32 values.
func (c *Comm) SumFloat32(v []float32) error {
	if len(v) == 0 {
		return nil
	}
	return c.sumBytes(unsafe.Pointer(&v[0]), len(v), 4, c.float)
}

// maxCount keeps every call's count within MPI's int.
const maxCount = 1 << 28

func (c *Comm) sumBytes(p unsafe.Pointer, n, size int, dt uintptr) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if need := min(n, maxCount) * size; len(c.recv) < need {
		c.recv = make([]byte, need)
	}
	buf := c.recv
	for lo := 0; lo < n; lo += maxCount {
		cnt := min(n-lo, maxCount)
		src := unsafe.Add(p, lo*size)
		if rc := c.reduce(src, unsafe.Pointer(&buf[0]), int32(cnt), dt, c.sum, 0, c.world); rc != 0 {
			return fmt.Errorf("MPI_Reduce failed (error %d)", rc)
		}
		if c.rank == 0 {
			copy(unsafe.Slice((*byte)(src), cnt*size), buf[:cnt*size])
		}
		if rc := c.bcast(src, int32(cnt), dt, 0, c.world); rc != 0 {
			return fmt.Errorf("MPI_Bcast failed (error %d)", rc)
		}
	}
	return nil
}

// Barrier waits for every process.
func (c *Comm) Barrier() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if rc := c.barrier(c.world); rc != 0 {
		return fmt.Errorf("MPI_Barrier failed (error %d)", rc)
	}
	return nil
}

// Abort ends every process of the job with code (MPI_Abort); it does not
// return when MPI honours it.
func (c *Comm) Abort(code int) {
	c.abort(c.world, int32(code))
}

// Finalize ends MPI for this process once every Open has had its
// Finalize (before that it returns nil and MPI stays up).
func (c *Comm) Finalize() error {
	world.Lock()
	defer world.Unlock()
	if world.comm == c && world.opens > 1 {
		world.opens--
		return nil
	}
	world.comm, world.opens = nil, 0
	c.mu.Lock()
	defer c.mu.Unlock()
	if rc := c.finalize(); rc != 0 {
		return fmt.Errorf("MPI_Finalize failed (error %d)", rc)
	}
	return nil
}
