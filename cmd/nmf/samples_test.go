package main

import (
	"math"
	"os"
	"path/filepath"
	"testing"

	"github.com/clnmf/clnmf/cmd/nmf/internal/samples"
	"github.com/clnmf/clnmf/nmf/nmfio"
)

var samplesDir = filepath.Join("..", "..", "testdata", "samples")

// TestShippedSamples checks that nmf samples writes exactly the files that
// ship in testdata/samples.
func TestShippedSamples(t *testing.T) {
	dir := t.TempDir()
	r := mustRun(t, "samples", dir)
	if r.stdout == "" {
		t.Error("no summary")
	}
	want := snapshot(t, samplesDir)
	got := snapshot(t, dir)
	if len(want) != len(got) || len(got) != 256+3 {
		t.Errorf("nmf samples wrote %d entries, testdata/samples has %d (run go generate ./cmd/nmf)", len(got), len(want))
	}
	for name, data := range want {
		if got[name] != data {
			t.Errorf("%s differs from what nmf samples writes (run go generate ./cmd/nmf)", name)
		}
	}
}

// TestSwimmerParts decomposes the shipped swimmer images with k = 17 and
// checks that every ground-truth part (16 limb positions and the torso) is
// one of W's columns: cosine similarity above 0.9, no column matched twice.
// Coordinate descent from NNDSVDA with the exact SVD recovers them exactly;
// the multiplicative updates of the Kullback-Leibler loss stall in a local
// minimum with some limbs merged. The swimmer X has rank 13 with 12 equal
// singular values, so which singular vectors span that space is up to
// rounding: scikit-learn's randomized SVD (the default) gives starts from
// which coordinate descent stalls too (NMF(17, random_state=0 or 1): error
// 15.4 and 15.2), and so does ours for some seeds.
func TestSwimmerParts(t *testing.T) {
	out := filepath.Join(t.TempDir(), "swimmer.nmf")
	mustRun(t, "fit", "-k", "17", "--svd", "exact", "--device", "cpu", "--out", out, filepath.Join(samplesDir, "swimmer"))
	w := readMatrix(t, filepath.Join(out, "W.npy"))
	checkPNG(t, filepath.Join(out, "components.png"))
	parts := samples.SwimmerParts()
	used := map[int]int{}
	worst := 1.0
	defer func() { t.Logf("lowest best cosine %.4f", worst) }()
	for p, part := range parts {
		best, col := 0.0, -1
		for c := range w.cols {
			var dot, nw, np float64
			for i, v := range part {
				x := w.at(i, c)
				dot += x * v
				nw += x * x
				np += v * v
			}
			if nw > 0 {
				if cos := dot / math.Sqrt(nw*np); cos > best {
					best, col = cos, c
				}
			}
		}
		worst = math.Min(worst, best)
		if best <= 0.9 {
			t.Errorf("part %d: best cosine %.3f (column %d)", p, best, col)
		}
		if q, ok := used[col]; ok {
			t.Errorf("parts %d and %d both match column %d", q, p, col)
		}
		used[col] = p
	}
}

// TestMelodyNotes decomposes the shipped melody with k = 4 and checks that
// each component is one note: its spectrum peaks within one bin of a
// distinct fundamental, its activation is high throughout that note's
// frames and low in the frames of the other notes, and its sound is loud
// while the note plays and quiet elsewhere.
func TestMelodyNotes(t *testing.T) {
	for _, loss := range []string{"kl", "frobenius"} {
		t.Run(loss, func(t *testing.T) {
			out := filepath.Join(t.TempDir(), "melody.nmf")
			mustRun(t, "fit", "-k", "4", "--loss", loss, "--device", "cpu", "--out", out, filepath.Join(samplesDir, "melody.wav"))
			w, h := readMatrix(t, filepath.Join(out, "W.npy")), readMatrix(t, filepath.Join(out, "H.npy"))
			checkMelody(t, out, w, h)
		})
	}
}

func checkMelody(t *testing.T, out string, w, h *matrix) {
	const rate, fft, hop = samples.MelodyRate, 2048, 512
	_, notes := samples.Melody(rate)
	binHz := float64(rate) / fft
	taken := map[int]bool{}
	for c := range w.cols {
		peak := 0
		for f := range w.rows {
			if w.at(f, c) > w.at(peak, c) {
				peak = f
			}
		}
		note := -1
		for j, fr := range samples.MelodyFreqs {
			if math.Abs(float64(peak)-fr/binHz) <= 1 {
				note = j
			}
		}
		if note < 0 || taken[note] {
			t.Errorf("component %d peaks at bin %d (%.0f Hz): no note, or a note already found", c, peak, float64(peak)*binHz)
			continue
		}
		taken[note] = true
		freq := samples.MelodyFreqs[note]
		hmax := 0.0
		for j := range h.cols {
			hmax = math.Max(hmax, h.at(c, j))
		}
		in, outside := 0, 0
		for j := range h.cols {
			start, end := float64(j*hop)/rate, float64(j*hop+fft)/rate
			for _, n := range notes {
				if start < n.Start || end > n.End {
					continue // the frame is not within one note
				}
				v := h.at(c, j) / hmax
				if n.Freq == freq {
					in++
					if v < 0.2 {
						t.Errorf("component %d (%v Hz): activation %.3f of its maximum at frame %d, within its note", c, freq, v, j)
					}
				} else {
					outside++
					if v > 0.05 {
						t.Errorf("component %d (%v Hz): activation %.3f of its maximum at frame %d, within a %v Hz note", c, freq, v, j, n.Freq)
					}
				}
			}
		}
		if in < 10 || outside < 30 {
			t.Errorf("component %d: %d frames in its note, %d in others", c, in, outside)
		}
		// The separated sound: energy while the note plays, little outside.
		s, err := nmfio.ReadWAV(filepath.Join(out, componentName(c)))
		if err != nil {
			t.Fatal(err)
		}
		var ein, eout float64
		for i, v := range s.Samples {
			tm := float64(i) / rate
			for _, n := range notes {
				if tm >= n.Start && tm < n.End {
					if n.Freq == freq {
						ein += v * v
					} else {
						eout += v * v
					}
				}
			}
		}
		if !(ein > 20*eout) {
			t.Errorf("component %d (%v Hz): energy %.3g in its notes, %.3g in the others", c, freq, ein, eout)
		}
	}
}

func componentName(c int) string {
	return "component_0" + string(rune('0'+c)) + ".wav"
}

// TestMelodyTransform holds the melody model's spectra fixed on the melody
// itself: the activations found are those of the fit.
func TestMelodyTransform(t *testing.T) {
	dir := t.TempDir()
	model, out := filepath.Join(dir, "m.nmf"), filepath.Join(dir, "t.nmf")
	in := filepath.Join(samplesDir, "melody.wav")
	mustRun(t, "fit", "-k", "4", "--loss", "kl", "--device", "cpu", "--out", model, in)
	mustRun(t, "transform", "--model", model, "--device", "cpu", "--out", out, in)
	w, h := readMatrix(t, filepath.Join(out, "W.npy")), readMatrix(t, filepath.Join(out, "H.npy"))
	checkMelody(t, out, w, h)
	rep, _ := loadReport(t, out)
	if rep.Model.Fixed != "W" || rep.Input.WAV == nil || rep.Params.Loss != "kullback-leibler" || len(rep.Files.Sounds) != 4 {
		t.Errorf("report %+v", rep)
	}
}

func TestMain(m *testing.M) {
	// The test binary doubles as the nmf command for TestMainProcess, and
	// as every rank of an mpirun job running a list of fits (TestDistributedGolden).
	if list := os.Getenv("NMF_TEST_MPI_FITS"); list != "" {
		os.Exit(runFitList(list))
	}
	if os.Getenv("NMF_TEST_MAIN") == "1" {
		os.Args = append([]string{"nmf"}, os.Args[1:]...)
		main()
		return
	}
	os.Exit(m.Run())
}
