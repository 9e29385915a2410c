package nmfio

import (
	"bufio"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"slices"
	"strconv"
	"strings"

	"github.com/clnmf/clnmf/nmf"
)

// parseNumber parses a CSV field or Matrix Market value; the message is
// empty on success.
func parseNumber(field string) (float64, string) {
	v, err := strconv.ParseFloat(field, 64)
	switch {
	case field == "":
		return 0, "empty field is not a number"
	case errors.Is(err, strconv.ErrRange) && math.IsInf(v, 0):
		return 0, fmt.Sprintf("%q is out of range for float64", field)
	case err != nil:
		return 0, fmt.Sprintf("%q is not a number", field)
	case math.IsNaN(v) || math.IsInf(v, 0):
		return 0, fmt.Sprintf("%q is not a finite number", field)
	}
	return v, ""
}

// isNumber reports whether a field parses as a number, finite or not: a
// row of numbers with a NaN in it is a data row, not a header.
func isNumber(field string) bool {
	_, err := strconv.ParseFloat(strings.TrimSpace(field), 64)
	return err == nil || errors.Is(err, strconv.ErrRange)
}

// readDelimited reads a CSV (comma) or TSV (tab) file of numbers.
func readDelimited(path string, f *os.File, comma rune, kind string) (*Input, error) {
	br := bufio.NewReaderSize(f, 1<<16)
	// Skip a UTF-8 byte-order mark (spreadsheets write one), which would
	// otherwise make the first row's first field a non-number.
	if b, _ := br.Peek(3); string(b) == "\ufeff" {
		br.Discard(3)
	}
	r := csv.NewReader(br)
	r.Comma = comma
	r.FieldsPerRecord = -1 // checked here, with a better message
	r.TrimLeadingSpace = true
	r.ReuseRecord = true

	fail := func(line, col int, format string, args ...any) error {
		return &FormatError{Path: path, Line: line, Col: col, Msg: fmt.Sprintf(format, args...)}
	}
	read := func() ([]string, error) {
		rec, err := r.Read()
		var pe *csv.ParseError
		if errors.As(err, &pe) {
			return nil, fail(pe.Line, 0, "%v (at character %d)", pe.Err, pe.Column)
		}
		return rec, err
	}

	in := &Input{Path: path, Kind: kind}
	var data []float64
	cols, rows := 0, 0
	for first := true; ; first = false {
		rec, err := read()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, err
		}
		line, _ := r.FieldPos(0)
		if first {
			cols = len(rec)
			if slices.ContainsFunc(rec, func(s string) bool { return !isNumber(s) }) {
				in.Header = make([]string, len(rec))
				for i, s := range rec {
					in.Header[i] = strings.TrimSpace(s)
				}
				continue
			}
		}
		if len(rec) != cols {
			return nil, fail(line, 0, "%d fields, expected %d", len(rec), cols)
		}
		for j, s := range rec {
			v, msg := parseNumber(strings.TrimSpace(s))
			if msg != "" {
				l, _ := r.FieldPos(j)
				return nil, fail(l, j+1, "%s", msg)
			}
			data = append(data, v)
		}
		rows++
	}
	switch {
	case cols == 0:
		return nil, fail(0, 0, "empty file")
	case rows == 0:
		return nil, fail(0, 0, "a header row but no data rows")
	}
	if m := checkDims(int64(rows), int64(cols)); m != "" {
		return nil, fail(0, 0, "%s", m)
	}
	in.Dense64 = &nmf.Dense[float64]{Rows: rows, Cols: cols, Data: data[:len(data):len(data)]}
	return in, nil
}

// WriteCSV writes the row-major rows×cols matrix data to path as
// comma-separated text, one row a line, with no header. Each value is
// written in the shortest form that parses back to the same T
// (strconv's 'g' format with precision -1). The file is replaced
// atomically (see [WriteFileAtomic]). It returns an error if len(data) is
// not rows·cols.
func WriteCSV[T nmf.Float](path string, rows, cols int, data []T) error {
	if err := checkWriteDims(rows, cols, len(data)); err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	bits := 64
	if _, ok := any(data).([]float32); ok {
		bits = 32
	}
	return WriteFileAtomic(path, func(w io.Writer) error {
		buf := make([]byte, 0, 1<<12)
		for i := range rows {
			buf = buf[:0]
			for j, v := range data[i*cols : (i+1)*cols] {
				if j > 0 {
					buf = append(buf, ',')
				}
				buf = strconv.AppendFloat(buf, float64(v), 'g', -1, bits)
			}
			buf = append(buf, '\n')
			if _, err := w.Write(buf); err != nil {
				return err
			}
		}
		return nil
	})
}
