package samples

import (
	"bytes"
	"fmt"
	"math"
	"os"

	"github.com/clnmf/clnmf/nmf/nmfio"
)

// MelodyRate is the sample rate of the file WriteMelodyWAV writes, in Hz.
const MelodyRate = 16000

// Note is one note of the melody.
type Note struct {
	// Freq is the fundamental frequency in Hz.
	Freq float64
	// Start and End delimit the note, in seconds from the start.
	Start, End float64
}

// MelodyFreqs are the four distinct fundamentals of the melody, roughly C4,
// E4, G4 and C5, in Hz.
var MelodyFreqs = [4]float64{262, 330, 392, 523}

// melody lists the tune as indexes into MelodyFreqs.
var melody = []int{0, 1, 2, 1, 0, 2, 3, 2}

const (
	noteLen = 0.45  // seconds per note
	attack  = 0.015 // seconds of linear attack
	release = 0.03  // seconds of linear fade at the end of each note
	decay   = 0.35  // time constant of the exponential decay, seconds
)

// harmonics are the amplitudes of the partials 1, 2, 3, 4 of every note.
var harmonics = []float64{1, 0.5, 0.3, 0.15}

// Melody synthesises a 3.6-second tune of eight notes, one after another
// without overlap, on the four fundamentals of MelodyFreqs (C E G E C G C'
// G), each note with four decaying harmonics and an attack/decay envelope,
// sampled at rate Hz with a peak below 0.8. Partials at or above rate/2 are
// left out, so rate should be at least 8000. It panics if rate < 1.
func Melody(rate int) (samples []float64, notes []Note) {
	if rate < 1 {
		panic(fmt.Sprintf("samples: melody at rate %d", rate))
	}
	total := int(math.Round(noteLen * float64(len(melody)) * float64(rate)))
	samples = make([]float64, total)
	for i, m := range melody {
		f := MelodyFreqs[m]
		n := Note{Freq: f, Start: noteLen * float64(i), End: noteLen * float64(i+1)}
		notes = append(notes, n)
		first := int(math.Round(n.Start * float64(rate)))
		last := min(total, int(math.Round(n.End*float64(rate))))
		for s := first; s < last; s++ {
			t := float64(s-first) / float64(rate)
			env := math.Exp(-t / decay)
			if t < attack {
				env *= t / attack
			}
			if left := n.End - n.Start - t; left < release {
				env *= left / release
			}
			v := 0.0
			for h, a := range harmonics {
				fh := f * float64(h+1)
				if 2*fh >= float64(rate) {
					break
				}
				v += a * math.Sin(2*math.Pi*fh*t)
			}
			samples[s] = 0.4 * env * v
		}
	}
	return samples, notes
}

// WriteMelodyWAV writes Melody(MelodyRate) as a mono 16-bit WAV file of about
// 115 KB.
func WriteMelodyWAV(path string) error {
	x, _ := Melody(MelodyRate)
	var buf bytes.Buffer
	if err := nmfio.WriteWAV(&buf, MelodyRate, x); err != nil {
		return fmt.Errorf("samples: %w", err)
	}
	if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
		return fmt.Errorf("samples: %w", err)
	}
	return nil
}
