package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"text/tabwriter"

	"github.com/clnmf/clnmf/nmf"
)

const devicesUsage = `usage: nmf devices [--json]

Lists the devices --device takes: the host CPU ("cpu") and every OpenCL
device ("opencl:P:D", device D of platform P), with their memory, compute
units and float64 support, and marks the one --device auto chooses. Without
OpenCL only the CPU is listed, with the reason.

Flags:
  --json                print the list as JSON
`

// devicesList is nmf.Devices, replaceable in tests.
var devicesList = nmf.Devices

func runDevices(_ context.Context, args []string, e *env) error {
	fs := flag.NewFlagSet("nmf devices", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	asJSON := fs.Bool("json", false, "")
	if err := fs.Parse(args); err != nil {
		return flagError(fs, "devices", devicesUsage, err)
	}
	if fs.NArg() > 0 {
		return &usageError{usage: devicesUsage, msg: "devices: takes no arguments"}
	}
	list, derr := devicesList()
	auto64 := autoFloat64(list)
	if *asJSON {
		type entry struct {
			nmf.Device
			AutoFloat64 bool `json:"AutoFloat64"`
		}
		out := struct {
			Devices []entry `json:"devices"`
			Note    string  `json:"note,omitempty"`
		}{Devices: []entry{}}
		for i, d := range list {
			out.Devices = append(out.Devices, entry{d, i == auto64})
		}
		if derr != nil {
			out.Note = derr.Error()
		}
		b, err := json.MarshalIndent(out, "", "  ")
		if err != nil {
			return err
		}
		fmt.Fprintf(e.stdout, "%s\n", b)
		return nil
	}
	tw := tabwriter.NewWriter(e.stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "SPEC\tTYPE\tNAME\tPLATFORM\tMEMORY\tMAX ALLOC\tUNITS\tFP64\tAUTO")
	for i, d := range list {
		auto := ""
		switch {
		case d.Auto && i == auto64:
			auto = "float32, float64"
		case d.Auto:
			auto = "float32"
		case i == auto64:
			auto = "float64"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", d.Spec, d.Type, d.Name, dash(d.Platform),
			bytesText(d.GlobalMem), bytesText(d.MaxAlloc), countText(d.ComputeUnits), yesNo(d.FP64), dash(auto))
	}
	tw.Flush()
	if derr != nil {
		fmt.Fprintf(e.stdout, "\nOnly the CPU: %s\n", oneLine(derr.Error()))
	}
	return nil
}

// autoFloat64 is the index of what auto chooses for float64: the float32
// choice when it has float64, else the CPU (entry 0).
func autoFloat64(list []nmf.Device) int {
	for i, d := range list {
		if d.Auto && d.FP64 {
			return i
		}
	}
	return 0
}

func dash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

func yesNo(b bool) string {
	if b {
		return "yes"
	}
	return "no"
}

func countText(n int) string {
	if n <= 0 {
		return "-"
	}
	return fmt.Sprint(n)
}

// bytesText writes a size in binary units.
func bytesText(n int64) string {
	if n <= 0 {
		return "-"
	}
	const unit = 1024
	if n < unit {
		return fmt.Sprintf("%d B", n)
	}
	v, i := float64(n), 0
	for v >= unit && i < 4 {
		v /= unit
		i++
	}
	return fmt.Sprintf("%.1f %ciB", v, "KMGT"[i-1])
}
