// Command nmf factorises nonnegative data X ≈ W·H with scikit-learn 1.2's
// NMF, exactly, on an OpenCL device or the CPU: matrices from .npy, .csv,
// .tsv and .mtx files, folders of images, and the spectrograms of WAV files,
// whose components it also turns back into pictures and sounds.
//
// Install it and try it on the sample data it generates itself:
//
//	go install github.com/clnmf/clnmf/cmd/nmf@latest   # or, in a clone: make install
//	nmf samples nmf-samples
//	nmf fit -k 17 --svd exact nmf-samples/swimmer
//
// The 17 parts of the swimmer (four limbs in four positions each, and the
// torso) are then the images in swimmer.nmf/components.png. (The swimmer
// has 12 equal singular values: from the default randomized SVD's start, as
// from scikit-learn's, coordinate descent may stall with limbs merged.)
//
// # Usage
//
//	nmf fit [flags] INPUT
//	nmf fit --resume DIR [flags] [INPUT]
//	nmf transform (--model DIR | --h FILE) [flags] INPUT
//	nmf fit --minibatch [flags] INPUT
//	nmf partial-fit [flags] [--out DIR] INPUT
//	nmf partial-fit --model DIR [--device D] INPUT
//	nmf devices [--json]
//	nmf samples DIR
//	nmf bench [--compare] [--quick] [--json | --markdown] [flags]
//	nmf help [SUBCOMMAND]
//	nmf --version
//
// Flags may come before or after INPUT; "-k 5", "--rank 5", "--rank=5" and
// "-rank 5" are the same. Every --help (and nmf help SUBCOMMAND) prints to
// stdout with exit status 0.
//
// # Orientation
//
// X is l×n, W l×k and H k×n; which side holds the samples depends on the
// input, the same in fit, transform and the library:
//
//	input                 samples    W (l×k)               H (k×n)            transform holds
//	.npy .csv .tsv .mtx   rows       activations           components         H (solves W)
//	folder of images      columns    parts (images)        image weights      W (solves H)
//	.wav (spectrogram)    columns    spectra (notes)       activations/time   W (solves H)
//
// A matrix file is read as scikit-learn reads it: W is NMF.fit_transform(X)
// and H is components_. Images and sound are X with samples as columns,
// scikit-learn on Xᵀ with W and H swapped.
//
// # Equal to scikit-learn
//
// Within the golden tolerances (relative 1e-6 in float64, 1e-3 in float32,
// the same n_iter): always from the same start (--w0/--h0 against
// init="custom", transform against NMF.transform with the same
// components); from the same seed (--seed S is random_state=S for the
// random init, the nndsvd inits' randomized SVD and --shuffle; minibatch
// too); --svd exact equals scikit-learn only where scikit-learn is given
// an exact SVD as well, not stock NMF. n_iter may differ when an error
// check lands within rounding of the --tol test.
//
// # nmf fit
//
// Fit factorises X (rows × columns) into W (rows × k) and H (k × columns)
// by minimising the β-divergence between X and W·H, as
// sklearn.decomposition.NMF(...).fit_transform does, and writes the result
// into the folder --out. Its flags, with their defaults:
//
//	-k, --rank K          number of components (default: the columns of X)
//	--loss L              frobenius, kullback-leibler (kl), itakura-saito (is),
//	                      or any number β (default frobenius)
//	--solver S            auto, mu (multiplicative update) or cd (coordinate
//	                      descent, Frobenius only); auto is cd for frobenius
//	                      and mu otherwise (default auto)
//	--init I              auto, random, nndsvd, nndsvda, nndsvdar or custom;
//	                      auto is nndsvda when k ≤ min(rows, columns) and
//	                      random otherwise (default auto)
//	--w0 FILE --h0 FILE   a custom start: W0 (rows × k) and H0 (k × columns)
//	                      in any matrix format; giving both means --init custom
//	--max-iter N          at most N iterations; 0 writes the start (default 200)
//	--tol T               stopping tolerance; 0 runs all --max-iter (default 1e-4)
//	--alpha-w A           regularisation of W (default 0)
//	--alpha-h A|same      regularisation of H; same takes --alpha-w's (default same)
//	--l1-ratio R          the L1 share of the regularisation, 0 to 1 (default 0)
//	--seed S              scikit-learn's random_state: numpy's legacy
//	                      RandomState(S) draws the random starts, the
//	                      randomized SVD of nndsvd*, nndsvdar's fill and
//	                      --shuffle's orders, so the same seed gives the same
//	                      numbers as scikit-learn; 0 ≤ S < 2³² (default 0)
//	--svd M               randomized (scikit-learn's randomized_svd) or exact
//	                      (a dense SVD of a float64 copy of X): the SVD of the
//	                      nndsvd starts (default randomized)
//	--shuffle             coordinate descent visits the components in the
//	                      order of RandomState(S).permutation(k), drawn anew
//	                      for each update (scikit-learn's shuffle=True)
//	--device D            auto, cpu, opencl (the first OpenCL device) or
//	                      opencl:P:D (device D of platform P, see nmf devices);
//	                      auto takes the first OpenCL GPU, else the CPU
//	                      (default auto); a list (opencl:0:0,opencl:0:1 or
//	                      opencl,cpu) or all-gpus runs one fit on all of
//	                      them, X's rows (or columns) shared by their
//	                      speeds, measured by a short probe of the fit's
//	                      iteration on each, within what each one's memory
//	                      holds resident
//	--device-weights W    (fit) with a --device list: share X in these
//	                      proportions (1,3: a quarter and three quarters),
//	                      one weight > 0 per device (all-gpus: per GPU,
//	                      in the order of nmf devices), instead of by the
//	                      measured speeds: the same split on every run
//	--distributed mpi     (fit) one rank of a fit under mpirun -np N: each
//	                      rank maps the .npy (or reads its rows of a .mtx,
//	                      or decodes its images of a folder: columns),
//	                      fits its rows (from any init or its rows of --w0)
//	                      or, for a .npy with more columns than rows or
//	                      --panels columns, its columns (from any init or
//	                      its columns of --h0) on its --device, the sums go
//	                      through MPI (Open MPI's or MPICH's libmpi loaded
//	                      at run time; CLNMF_MPI_LIB names another), rank 0
//	                      writes; report.json gains "distributed"; Ctrl-C
//	                      checkpoints, --resume needs the same N
//	--device-memory B     plan as if the OpenCL device had B bytes (a number,
//	                      or with KiB, MiB, GiB, KB, MB, GB): X that does not
//	                      fit beside the factors is streamed onto it in
//	                      panels on every pass (default: the device's memory)
//	--panels SIDE         rows or columns: the side X is cut along when it is
//	                      held in panels (default: the longer side of a dense
//	                      X, so that the factor summed over the panels is the
//	                      smaller; rows for sparse X)
//	--precision P         float32 or float64 (default: float32 for images, WAV
//	                      and float32 .npy files; float64 for the rest)
//	--fft-size N          WAV: samples per STFT frame, a power of two (default 2048)
//	--hop N               WAV: samples from one frame to the next (default 512)
//	--index-column        CSV/TSV: the first column holds row names (pandas'
//	                      index), skipped in every row; a header row is
//	                      reported on stderr
//	--memory-limit B      the memory the run may use, e.g. 4GiB or 500MB
//	                      (default: the memory available, MemAvailable and the
//	                      cgroup's limit); see Memory
//	--out DIR             the output folder (default: INPUT's name without its
//	                      extension, plus .nmf, in the current folder)
//	--format F            npy or csv, for W and H (default npy)
//	--force               replace the results already in --out
//	--resume DIR          go on from the checkpoint in DIR (see Interrupting)
//	-q, --quiet           no progress and no summary (warnings still)
//	-v, --verbose         a line on stderr every 10 iterations
//
//	scikit-learn's names work too, as aliases: --n-components (--rank),
//	--random-state (--seed), --beta-loss (--loss), --alpha-W (--alpha-w) and
//	--alpha-H (--alpha-h); an unknown flag is answered with the nearest one.
//
// The stopping rules are scikit-learn's: the multiplicative update stops when
// the error, computed every 10 iterations, has fallen by less than --tol
// times the initial error since the last computation; coordinate descent
// when the projected gradient of an iteration is at most --tol times that
// of the first.
//
// # nmf fit --minibatch and nmf partial-fit
//
// With --minibatch, fit is sklearn's MiniBatchNMF(...).fit_transform: the
// samples are walked in batches, in order and cyclically, for at most
// --max-iter passes; each step updates the batch's activations and then the
// components through running sums weighted by rho = forget-factor^(batch
// size / samples). It stops early when the relative change of the components
// in a step is at most --tol, or after --max-no-improvement steps without a
// better exponentially weighted batch cost. The samples are the rows of a
// matrix file; for a folder of images or a WAV file, whose samples are the
// columns, the batches are columns (images, STFT frames). Its flags, beside
// fit's (except --solver cd and --resume: a minibatch fit writes no
// checkpoint):
//
//	--minibatch           fit in batches of samples
//	--batch-size N        samples per batch (default 1024)
//	--forget-factor F     weight of past batches, in (0, 1] (default 0.7)
//	--fresh-restarts      solve each batch's activations afresh (and all of
//	                      them again at the end)
//	--fresh-restarts-max-iter N  iterations of those solves (default 30)
//	--transform-max-iter N       iterations of the final solve and of
//	                      nmf transform --model (default --max-iter)
//	--max-no-improvement N|none  the no-improvement stop (default 10)
//
// A .npy that is memory-mapped (C order, float32 or float64 in the
// machine's byte order) is streamed when the start needs X only in passes
// (--init random, or --w0/--h0): each step hands one batch of the mapped
// file to the device and releases it, so that neither the process nor the
// device holds X whole, and a --precision other than the file's converts
// one batch at a time; report.json's minibatch.streamed says so. Other
// inputs are read whole and kept on the device for the fit, unless X is
// larger than --device-memory: then they too go to an OpenCL device one
// batch at a time.
//
// report.json adds n_steps (batches processed) and minibatch: the
// parameters as used (batch_size at most the samples, rho), batches ("rows"
// or "columns") and state, the name of the online model's files
// model.<state>.H.npy, .numerator.npy and .denominator.npy (k × features:
// the components and the running numerator and denominator of their
// update).
//
// partial-fit is MiniBatchNMF.partial_fit: one step with INPUT as the batch.
// "nmf partial-fit [flags] --out DIR INPUT" starts a model (--init, or --w0
// W0 --h0 H0 with W0 for INPUT's samples, checked but unused as in
// scikit-learn; rho is fixed by this first batch); "nmf partial-fit --model
// DIR INPUT" updates the model of DIR (of partial-fit or fit --minibatch) in
// place: the new state's files are written beside the old ones under a new
// name, report.json, replaced last, names them, and the old ones are then
// removed, so that an interrupted update leaves a whole model. It writes W
// (the batch's activations; for images and WAV the components), H and the
// model. nmf transform --model on a minibatch or online model is
// MiniBatchNMF.transform: activations from sqrt(mean(X)/k), at most
// transform_max_iter updates, stopping when their relative change is at most
// the model's tol; the model's parameters cannot be overridden there.
//
// # nmf transform
//
// Transform solves for the factor of new data with the other one held fixed,
// as sklearn's NMF.transform. For a matrix file, whose rows are the samples,
// H (k × columns) stays fixed and W is solved for the rows of INPUT. For a
// folder of images or a WAV file, whose samples are the columns, the model's
// W stays fixed and H is solved: how much of each part is in each new image,
// or when each of the model's spectra sounds in the new recording.
//
// --model DIR takes an output folder of nmf fit: its factor and its
// parameters (loss, solver, --max-iter, --tol, regularisation, seed,
// precision and, for WAV, --fft-size and --hop); a flag given on the command
// line overrides the model's value. --h FILE takes H from a matrix file and
// the parameters from the flags, which are fit's except --init, --w0, --h0
// and --resume. The output is that of fit, in --out (default: INPUT's name
// without extension, plus .transform.nmf).
//
// # nmf devices
//
// Devices lists the host CPU ("cpu") and every OpenCL device by the spec
// --device takes ("opencl:P:D"), with its type, platform, global memory,
// largest allocation, compute units and float64 support, and marks what
// --device auto chooses for float32 and for float64. Without an OpenCL
// library or driver it lists the CPU alone and says why. --json prints the
// same as JSON.
//
// # nmf bench
//
// Bench times fixed workloads (GEMMs, whole iterations of each solver and
// loss, minibatch passes) on each device and precision: --compare runs
// scikit-learn on the same data beside it (with /usr/bin/python3 or
// --python), --quick small shapes, --json or --markdown the report
// (BENCHMARKS.md is make bench's), --tune searches GEMM tiles for an
// OpenCL device. nmf help bench lists every flag.
//
// # nmf samples
//
// Samples writes the two sample data sets, generated in code, into a folder:
// swimmer/, 256 PNG images of 32×32 pixels of a stick figure with four limbs
// in four positions each, and melody.wav, 3.6 seconds of a tune of eight
// notes on four pitches (262, 330, 392 and 523 Hz) at 16 kHz. The
// repository ships them in testdata/samples (go generate re-creates them).
//
// # Inputs
//
// The kind of INPUT is told by its extension (in any case):
//
//   - .npy: a 2-D NumPy array of float32, float64, any integer type or bool,
//     in C or Fortran order, either byte order. Integers and bools become
//     float64. A header that claims more data than the file holds is refused
//     before anything is allocated.
//   - .csv, .tsv: comma- or tab-separated numbers, computed in float64. A
//     first row holding a field that is not a number is a header; its names
//     go into the report. Numbers are plain decimals, as numpy.loadtxt reads
//     them (1, -0.5, .25, 1e-3; not 0x1p3 or 1_0); inf and nan are refused.
//     The file is read field by field: a line is never held whole.
//   - .mtx: a Matrix Market coordinate file (real, integer or pattern; general
//     or symmetric), read as a sparse matrix and never densified; float64.
//     Values are plain decimals as in CSV; an entry given twice is summed,
//     unless one part is negative (refused: the sum could hide it).
//   - a folder: every .png, .jpg, .jpeg and .gif image in it (not in its
//     subfolders), all of one size, converted to gray values in [0, 1]; image
//     j, in name order, is column j of X, its pixels row by row the rows.
//     float32.
//   - .wav: PCM of 8, 16, 24 or 32 bits or IEEE float, channels mixed to mono.
//     X is the magnitude of its short-time Fourier transform with a periodic
//     Hann window of --fft-size samples every --hop samples, without padding:
//     row f is the frequency f·rate/fft-size, column t the frame starting at
//     sample t·hop. float32.
//
// W0, H0 and H files may be in any of the matrix formats (a sparse one is
// made dense); they are converted to the precision of the computation.
//
// # Outputs
//
// Into --out, which is created if needed, nmf writes:
//
//   - W.npy and H.npy, in the precision of the computation (W.csv and H.csv
//     with --format csv);
//   - report.json, described below;
//   - convergence.png, when the error was traced at two iterations or more:
//     the reconstruction error and the regularised objective against the
//     iterations (left) and against the seconds of the solve (right), on a
//     log scale when they span two decades;
//   - for a matrix file, W.png and H.png: heatmaps with a colour scale, each
//     drawn when it is at most 2000 on a side, H's columns named by a CSV
//     header;
//   - for a folder of images, components.png: W's columns as images on a grid,
//     each scaled to its own maximum;
//   - for a WAV file, spectrogram.png (the spectrogram in dB, time in
//     seconds, frequency in Hz on a log scale, with its colour scale; each
//     component's spectrum, W's column, in a labelled strip to its left and
//     its activation, H's row, in a labelled strip below) and
//     component_00.wav, component_01.wav, …: each component's share
//     X·(W_k·H_k)/(W·H) of the spectrogram with the input's phase, back
//     through the inverse STFT. They add up to the input (away from its
//     first and last frame).
//
// report.json holds everything about the run. For nmf fit -k 4 --loss kl
// melody.wav (lists shortened):
//
//	{
//	  "version": "v0.1.0", "command": "fit",
//	  "partial": false,                 // true in a checkpoint
//	  "n_iter": 30,                     // iterations done
//	  "reconstruction_err": 96.26,      // sqrt(2·divergence(X, W·H))
//	  "trace": [{"iter": 0, "err": 342.6, "objective": 342.6, "seconds": 0.001},
//	            {"iter": 10, "err": 96.64, …}, …], // every 10 iterations:
//	                                    // the error, scikit-learn's regularised
//	                                    // objective D + penalties as
//	                                    // sqrt(2·objective) (= err without
//	                                    // --alpha-W/--alpha-H), seconds since
//	                                    // the solve began
//	  "final": {"iter": 30, "err": 96.26, …}, // the same at the end (in
//	                                    // convergence.png after the trace)
//	  "elapsed_seconds": 0.155,         // the solve alone, without reading,
//	                                    // writing or opening the device
//	  "init_seconds": 0.004,            // the start's part of it
//	  "timings": {"read": 0.02, "init": 0.004, "solve": 0.151,
//	              "write": 0.09},       // seconds of each phase of this run
//	  "device": {"requested": "auto", "name": "cpu (OpenBLAS)",
//	             "reason": "auto: the only OpenCL device is a CPU (…); …",
//	             "bytes": 501332, "open_seconds": 0.14,
//	             "panels": 1, "panels_along": "rows",
//	             "streamed": false,               // how X was held:
//	             "bytes_per_iteration": 0,        // docs/large-data.md
//	             "bytes_loaded": 445900, "transfer_seconds": 0.001,
//	             "transfer_wait_seconds": 0},  // streamed: the compute's wait
//	                                    // + "profile": "gpu" or "cpu" on an
//	                                    // OpenCL device (CLNMF_OPENCL_PROFILE)
//	                                    // + on a --device list "members":
//	                                    // [{"name", "rows": [lo, hi] (or
//	                                    // "columns"), "panels", "streamed",
//	                                    // "sized_by": "speed" or "weights",
//	                                    // "weight", "memory_capped", "speed":
//	                                    // {"method": "probe", "per_second":
//	                                    // rows (columns) of X per second of
//	                                    // iteration, "probe_size",
//	                                    // "probe_iterations", "probe_seconds",
//	                                    // "probe_wall_seconds"}}, …]
//	  "warnings": [],                   // {"code": "max_iter", "message": …}
//	  "params": {"rank": 4, "loss": "kullback-leibler", "beta": 1,
//	             "solver": "mu", "init": "nndsvda", "max_iter": 200,
//	             "tol": 0.0001, "alpha_w": 0, "alpha_h": 0,
//	             "alpha_h_same": true, "l1_ratio": 0, "l1_reg_w": 0,
//	             "l2_reg_w": 0, "l1_reg_h": 0, "l2_reg_h": 0, "seed": 0,
//	             "shuffle": false, "svd": "randomized",
//	             "precision": "float32", "format": "npy"},
//	  "input": {"path": "melody.wav", "abs_path": "/…/melody.wav",
//	            "kind": "wav", "shape": [1025, 109], "nnz": 111725,
//	            "sparse": false, "precision": "float32",
//	            "wav": {"rate": 16000, "channels": 1, "bit_depth": 16,
//	                    "samples": 57600, "seconds": 3.6, "fft_size": 2048,
//	                    "hop": 512, "window": "hann"}},
//	  "files": {"W": "W.npy", "H": "H.npy", "pictures": ["convergence.png", "spectrogram.png"],
//	            "sounds": ["component_00.wav", …, "component_03.wav"]},
//	  "solver_state": {"err_init": 342.6,  // what the stopping rule of a fit
//	                   "err_last": 96.64,  // compares with: the error at the
//	                   "violation_init": 0} // start, the last one computed,
//	}                                       // cd's violation of iteration 1
//
// The params are the values used, every default resolved; l1_reg_w and the
// like are scikit-learn's penalties scaled by the size of X. The input
// holds "header" (CSV/TSV column names) and "images", "image_width",
// "image_height" for an image folder. A fit from --w0/--h0 has "start":
// {"w0", "h0"}, their files; a resumed fit "resumed": [{"dir", "n_iter"},
// …], the checkpoints it went on from; a transform "model": {"dir", "file",
// "fixed"}, the --model folder, the file of the fixed factor and which
// factor that is, "H" or "W".
//
// Everything is first written into a temporary folder beside --out
// (OUT.tmp-XXXXXXXX) and moved into place only once complete, each file
// synced: a run that fails leaves no W or H behind. A folder that already
// holds results is refused unless --force, and a run with --force that fails
// leaves the old results as they were; one that succeeds also removes the
// old result files it did not rewrite. The move is exclusive: of runs on the
// same --out at the same time the first to finish wins and the others fail
// with "already holds results … written by another run", --force included
// (--force replaces only the results that were there when its run started).
// A temporary folder left by a run that died (a crash, kill -9) is removed
// by the next run on the same --out; those of runs still going are kept.
// A run that died while moving its files into an existing --out leaves a
// journal there, and the next run finishes that move first, so --out
// holds one run's results whole, never a mix.
// (Where flock(2) is missing, as on Windows, runs are not told apart and
// such folders stay.) An --out that is a symbolic link to a folder means
// that folder: the results go into it and the link stays; a link to
// nothing, or to anything but a folder, is refused. Without --quiet, fit prints one line naming what it wrote. The
// progress goes to stderr: a bar with the iteration, error, iterations per
// second, time left and the time the start took when stderr is a terminal;
// with --verbose a line when the start is ready (its time) and one every 10
// iterations; nothing with --quiet. Warnings (such as
// --max-iter reached before --tol) always go to stderr.
//
// # Interrupting
//
// On Ctrl-C (SIGINT), SIGTERM or (Unix) SIGUSR1, fit stops at the end of the current
// iteration, writes a checkpoint into --out (W, H and report.json with
// "partial": true and the iterations done, n_iter) and exits with status
// 130; a second Ctrl-C kills it at once. Then
//
//	nmf fit --resume DIR
//
// goes on from the checkpoint with the same parameters and input (the
// report's, unless INPUT or flags are given) up to --max-iter iterations in
// all, and writes into DIR. The checkpoint holds the state of the stopping
// rule ("solver_state"), so the result is the one an uninterrupted run
// gives, bit for bit, whatever --tol: the same W, H, iterations, trace and
// warnings. A checkpoint may be interrupted and resumed again.
//
// A checkpoint (--resume) or a model (transform --model) is input like any
// other and is checked before anything is done: every field of report.json
// that nmf uses must keep the rules of the flag or of the run that wrote it
// (params.format npy or csv, params.precision float32 or float64, counts
// such as n_iter within 0 to params.max_iter, a known loss, solver and
// init, input.shape matching W and H), the factors read are only the
// folder's W.<format> and H.<format> and must have the report's shapes (and
// precision, for .npy). Anything else is refused with "nmf:
// DIR/report.json: <field>: <what is wrong>" (or the factor file's name),
// exit status 1, and nothing written.
//
// # Memory
//
// Every size the input sets is checked before it is allocated against a
// budget: --memory-limit, or else the memory available when the command
// starts (MemAvailable in /proc/meminfo, lowered to the cgroup's limit). The
// readers check X (a .npy header's shape, a .mtx header's entries, a folder's
// images together, the values of a CSV as they arrive, a WAV's samples and
// its spectrogram); then the fit as a whole is checked: X, its copy when
// --precision differs from the file's, the library's estimate of the fit
// (nmf.FitMemory: W and H, the initialisation's SVD, the solver's buffers)
// and the outputs (the pictures, one sound per component). A minibatch fit,
// partial-fit or transform counts X, X with the samples as rows (the
// transpose of images and WAV, or X in another precision), the outputs and
// the model's state, and gives what is left to the library's estimate of
// the minibatch fit. Too much is one line saying what would need how much
// and what to change, e.g.
//
//	nmf: x.csv: a fit with k = 1000000 (init random, float64) would need 14.6 TiB of memory, more than the 22.1 GiB available; use -k 38387 or less
//
// # Errors and exit status
//
// Every error is one line on stderr, "nmf: FILE: what is wrong", with the
// position where there is one: CSV line and field, .mtx line, .npy header,
// or the row and column of a bad value (negative, NaN or infinite). Nothing
// is written then. The exit status is
//
//	0    done
//	1    an error: a missing, unreadable, empty, truncated or malformed file,
//	     bad values, images of different sizes, a WAV shorter than one frame,
//	     an unknown extension, parameters the data does not allow (such as
//	     --init nndsvd with k > min(rows, columns)), --out holding results,
//	     a device that cannot be opened, more memory than the budget
//	2    misuse of the command line: an unknown flag, a bad flag value, a
//	     missing INPUT; the usage is printed
//	130  interrupted (after writing the checkpoint)
//
// # Examples
//
// These command lines are run by the tests (example_test.go), from a folder
// holding a copy of testdata:
//
//	$ nmf fit -k 17 --svd exact testdata/samples/swimmer
//	$ nmf fit -k 4 --loss kl testdata/samples/melody.wav
//	$ nmf transform --model melody.nmf --out again.nmf testdata/samples/melody.wav
//	$ nmf fit testdata/samples/melody.wav -k 4 --loss kl --init random --seed 3 --max-iter 50 --tol 0 --out melody-random.nmf
//	$ nmf fit -k 8 --solver mu --loss 1.5 --alpha-w 0.01 --l1-ratio 0.5 --max-iter 40 --precision float64 --format csv -q --out swimmer-mu.nmf testdata/samples/swimmer
//	$ nmf fit -k 17 --svd exact --force testdata/samples/swimmer
//	$ nmf devices
//	$ nmf samples fresh-samples
//	$ nmf help fit
//
// The swimmer's parts appear in swimmer.nmf/components.png; the notes of the
// melody in melody.nmf/spectrogram.png, and each note alone in
// melody.nmf/component_00.wav to component_03.wav.
package main
