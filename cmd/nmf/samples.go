package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/clnmf/clnmf/cmd/nmf/internal/samples"
)

const samplesUsage = `usage: nmf samples DIR

Writes the sample data sets, generated in code, into DIR (created if
needed): DIR/swimmer/, 256 PNG images of 32×32 pixels of a stick figure
whose four limbs take four positions each (NMF finds the limbs as parts),
and DIR/melody.wav, 3.6 seconds of a tune of eight notes on four pitches
(NMF with k = 4 finds one spectrum per pitch and when it sounds). The same
files ship in testdata/samples of the repository. Existing sample files are
overwritten; nothing else in DIR is touched.
`

func runSamples(_ context.Context, args []string, e *env) error {
	fs := flag.NewFlagSet("nmf samples", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	pos, err := parseInterspersed(fs, args)
	if err != nil {
		return flagError(fs, "samples", samplesUsage, err)
	}
	if len(pos) != 1 || pos[0] == "" {
		return &usageError{usage: samplesUsage, msg: "samples: want one folder DIR"}
	}
	dir := pos[0]
	if err := os.MkdirAll(dir, 0o777); err != nil {
		return fileErr(dir, err)
	}
	swimmer := filepath.Join(dir, "swimmer")
	if err := samples.WriteSwimmer(swimmer); err != nil {
		return fileErr(swimmer, err)
	}
	melody := filepath.Join(dir, "melody.wav")
	if err := samples.WriteMelodyWAV(melody); err != nil {
		return fileErr(melody, err)
	}
	fmt.Fprintf(e.stdout, "%s: 256 swimmer images\n%s: melody of 3.6 s at %d Hz\n", swimmer, melody, samples.MelodyRate)
	return nil
}
