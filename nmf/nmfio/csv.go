package nmfio

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/clnmf/clnmf/nmf"
)

// Numbers in text files (CSV, TSV and Matrix Market values) are plain
// decimals, as numpy.loadtxt and scipy.io.mmread read them: an optional
// sign, digits with an optional decimal point (at least one digit), and an
// optional exponent (e or E, an optional sign, digits); or inf, infinity
// or nan in any case, with an optional sign, which are recognised as
// numbers but refused as not finite. Hexadecimal floats (0x1p3) and digit
// separators (1_0), which Go's strconv accepts, are not numbers here.
//
// Decision (issue 16): no parsing library. The grammar is checked here
// (isDecimal, a dozen lines) and the conversion is strconv.ParseFloat's,
// which rounds correctly; the CSV lexer is our own too, since encoding/csv
// holds a whole record (a 200 MB line would be held whole) and allows no
// limit on a field.

// isDecimal reports whether s is a plain decimal number (not inf or nan).
func isDecimal(s string) bool {
	i := 0
	if i < len(s) && (s[i] == '+' || s[i] == '-') {
		i++
	}
	digits := 0
	for i < len(s) && s[i] >= '0' && s[i] <= '9' {
		i, digits = i+1, digits+1
	}
	if i < len(s) && s[i] == '.' {
		i++
		for i < len(s) && s[i] >= '0' && s[i] <= '9' {
			i, digits = i+1, digits+1
		}
	}
	if digits == 0 {
		return false
	}
	if i < len(s) && (s[i] == 'e' || s[i] == 'E') {
		i++
		if i < len(s) && (s[i] == '+' || s[i] == '-') {
			i++
		}
		e := i
		for i < len(s) && s[i] >= '0' && s[i] <= '9' {
			i++
		}
		if i == e {
			return false
		}
	}
	return i == len(s)
}

// isNonFinite reports whether s is inf, infinity or nan (any case, signed).
func isNonFinite(s string) bool {
	if s != "" && (s[0] == '+' || s[0] == '-') {
		s = s[1:]
	}
	return strings.EqualFold(s, "inf") || strings.EqualFold(s, "infinity") || strings.EqualFold(s, "nan")
}

// parseNumber parses a CSV field or Matrix Market value; the message is
// empty on success.
func parseNumber(field string) (float64, string) {
	if !isDecimal(field) {
		switch {
		case field == "":
			return 0, "empty field is not a number"
		case isNonFinite(field):
			return 0, fmt.Sprintf("%s is not a finite number", excerpt(field))
		}
		return 0, fmt.Sprintf("%s is not a number", excerpt(field))
	}
	v, err := strconv.ParseFloat(field, 64)
	if err != nil { // out of range: isDecimal admits nothing else
		return 0, fmt.Sprintf("%s is out of range for float64", excerpt(field))
	}
	return v, ""
}

// isNumber reports whether a field is a number, finite or not: a row of
// numbers with a NaN in it is a data row, not a header.
func isNumber(field string) bool {
	return isDecimal(field) || isNonFinite(field)
}

// excerpt quotes s for a message, cut to its first 32 bytes (at a
// character boundary) with its length when it is longer than 40: an error
// never echoes a whole field of the input.
func excerpt[S string | []byte](s S) string {
	const keep, most = 32, 40
	if len(s) <= most {
		return strconv.Quote(string(s))
	}
	cut := keep
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return fmt.Sprintf("%s… (%d bytes)", strconv.Quote(string(s[:cut])), len(s))
}

// CSV limits: a field longer than maxField bytes is refused (no number
// needs that many digits, and no column name), and the first row's texts
// are kept, in case it is a header, up to maxHeader bytes.
const (
	maxField  = 1 << 16
	maxHeader = 1 << 20
)

// csvLexer splits delimited text into fields as they come, so that a line
// is never held whole: quoted fields ("" for a quote inside, newlines
// allowed), leading spaces skipped, CRLF or LF line ends.
type csvLexer struct {
	br    *bufio.Reader
	comma byte
	line  int    // the current line, 1-based
	buf   []byte // the field being read
	err   error  // the first read error other than io.EOF
}

// errField is a malformed field; the caller adds the position.
type errField string

func (e errField) Error() string { return string(e) }

func (lx *csvLexer) readByte() (byte, bool) {
	c, err := lx.br.ReadByte()
	if err != nil {
		if err != io.EOF && lx.err == nil {
			lx.err = err
		}
		return 0, false
	}
	return c, true
}

func (lx *csvLexer) space(c byte) bool { return c == ' ' || c == '\t' && lx.comma != '\t' }

// startRecord skips blank lines (empty or all spaces) and reports whether
// a record follows.
func (lx *csvLexer) startRecord() bool {
	for {
		c, ok := lx.readByte()
		for ok && (lx.space(c) || c == '\r') {
			c, ok = lx.readByte()
		}
		if !ok {
			return false
		}
		if c != '\n' {
			lx.br.UnreadByte()
			return true
		}
		lx.line++
	}
}

// field reads the next field of the current record and reports whether it
// was the record's last; the bytes are valid until the next call.
func (lx *csvLexer) field() (f []byte, last bool, err error) {
	lx.buf = lx.buf[:0]
	c, ok := lx.readByte()
	for ok && lx.space(c) {
		c, ok = lx.readByte()
	}
	if ok && c == '"' {
		return lx.quoted()
	}
	for ; ok; c, ok = lx.readByte() {
		switch c {
		case lx.comma:
			return lx.buf, false, nil
		case '\n':
			lx.line++
			return bytes.TrimSuffix(lx.buf, []byte("\r")), true, nil
		case '"':
			return nil, false, errField(`bare " in non-quoted-field`)
		}
		if len(lx.buf) == maxField {
			return nil, false, errField(fmt.Sprintf("field longer than %d bytes", maxField))
		}
		lx.buf = append(lx.buf, c)
	}
	return lx.buf, true, nil
}

// quoted reads a quoted field after its opening quote.
func (lx *csvLexer) quoted() ([]byte, bool, error) {
	bad := errField(`extraneous or missing " in quoted-field`)
	var c byte
	var ok bool
	for {
		if c, ok = lx.readByte(); !ok {
			return nil, false, bad
		}
		if c == '"' {
			if c, ok = lx.readByte(); !ok || c != '"' {
				break // the closing quote; c is what follows it
			}
		}
		if c == '\n' {
			lx.line++
		}
		if len(lx.buf) == maxField {
			return nil, false, errField(fmt.Sprintf("field longer than %d bytes", maxField))
		}
		lx.buf = append(lx.buf, c)
	}
	// After the closing quote: spaces, then the end of the field.
	for ok && (lx.space(c) || c == '\r') {
		c, ok = lx.readByte()
	}
	switch {
	case !ok:
		return lx.buf, true, nil
	case c == lx.comma:
		return lx.buf, false, nil
	case c == '\n':
		lx.line++
		return lx.buf, true, nil
	}
	return nil, false, bad
}

// csvFirstRow holds the first record's texts while it may be a header.
type csvFirstRow struct {
	texts    []string
	bytes    int
	overflow bool
	hasText  bool   // a field is not a number: the row is a header
	errLine  int    // the first field that is a number but not a usable
	errCol   int    // one (NaN, out of range), reported if the row
	errMsg   string // turns out to be data
}

// readDelimited reads a CSV (comma) or TSV (tab) file of numbers, field by
// field: memory is the values read (checked against the budget as they
// grow) and one field, never a whole line.
func readDelimited(src *source, comma byte, kind string) (*Input, error) {
	br := bufio.NewReaderSize(src.r, 1<<16)
	// Skip a UTF-8 byte-order mark (spreadsheets write one), which would
	// otherwise make the first row's first field a non-number.
	if b, _ := br.Peek(3); string(b) == "\ufeff" {
		br.Discard(3)
	}
	lx := &csvLexer{br: br, comma: comma, line: 1}
	fail := func(line, col int, format string, args ...any) error {
		return &FormatError{Path: src.path, Line: line, Col: col, Msg: fmt.Sprintf(format, args...)}
	}
	in := &Input{Path: src.path, Kind: kind}
	var data []float64
	var first csvFirstRow
	cols, rows := -1, 0
	// With src.index the first field of every row (the header's included)
	// is a row name, skipped: n counts the fields after it, col is the
	// field's column in the file.
	skip := 0
	if src.index {
		skip = 1
	}
	for lx.startRecord() {
		recLine := lx.line
		n, err := readDelimitedRecord(lx, src, skip, cols, recLine, &first, &data, fail)
		if err != nil {
			return nil, err
		}
		if lx.err != nil {
			return nil, src.wrap(lx.err)
		}
		switch {
		case cols < 0 && first.hasText:
			if first.overflow {
				return nil, fail(recLine, 0, "header row longer than %d bytes", maxHeader)
			}
			cols, in.Header, data = n, first.texts, data[:0]
			continue
		case cols < 0:
			if first.errMsg != "" {
				return nil, fail(first.errLine, first.errCol, "%s", first.errMsg)
			}
			cols = n
		case n != cols:
			return nil, fail(recLine, 0, "%d fields, expected %d", n, cols)
		}
		rows++
	}
	if lx.err != nil {
		return nil, src.wrap(lx.err)
	}
	switch {
	case cols < 0:
		return nil, fail(0, 0, "empty file")
	case rows == 0:
		return nil, fail(0, 0, "a header row but no data rows")
	}
	if m := checkDims(int64(rows), int64(cols)); m != "" {
		return nil, fail(0, 0, "%s", m)
	}
	in.Dense64 = &nmf.Dense[float64]{Rows: rows, Cols: cols, Data: data[: rows*cols : rows*cols]}
	return in, nil
}

// readDelimitedRecord reads the fields of the record that starts on
// recLine, appending its values to data (fields past cols are only
// counted; while cols < 0, the first row's are also recorded in first),
// and returns how many fields follow the skipped index column.
func readDelimitedRecord(lx *csvLexer, src *source, skip, cols, recLine int, first *csvFirstRow, data *[]float64, fail func(line, col int, format string, args ...any) error) (int, error) {
	n := -skip
	for last := false; !last; n++ {
		fieldLine, col := lx.line, n+1+skip
		f, l, err := lx.field()
		if err != nil {
			return 0, fail(fieldLine, col, "%v", err)
		}
		last = l
		if n < 0 {
			if last {
				return 0, fail(recLine, 0, "only the index column, no values")
			}
			continue // the row's name
		}
		if cols >= 0 && n >= cols {
			continue // counted, reported by the caller
		}
		text := strings.TrimSpace(string(f))
		if cols < 0 {
			first.add(text, fieldLine, col)
		}
		v, msg := parseNumber(text)
		if msg != "" && cols >= 0 {
			return 0, fail(fieldLine, col, "%s", msg)
		}
		if len(*data) == cap(*data) {
			grow := max(2*cap(*data), 1024)
			if err := src.check(fmt.Sprintf("the %d values read by line %d", grow, fieldLine), int64(grow)*8, ""); err != nil {
				return 0, err
			}
			*data = slices.Grow(*data, grow-len(*data))
		}
		*data = append(*data, v)
	}
	return n, nil
}

// add records a field of the first row.
func (r *csvFirstRow) add(text string, line, col int) {
	if r.bytes += len(text); r.bytes > maxHeader {
		r.overflow, r.texts = true, nil
	} else if !r.overflow {
		r.texts = append(r.texts, text)
	}
	if !isNumber(text) {
		r.hasText = true
		return
	}
	if _, msg := parseNumber(text); msg != "" && r.errMsg == "" {
		r.errLine, r.errCol, r.errMsg = line, col, msg
	}
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
	return WriteFileAtomic(path, func(w io.Writer) error { return encodeCSV(w, rows, cols, data, nil) })
}

// EncodeCSV writes m to w as WriteCSV writes a file, after a header row of
// the names in header when header is not nil (one per column, quoted where
// they hold a comma, a quote or a line break). Read back, surrounding
// spaces of the names are dropped, and a header whose names are all numbers
// reads as a data row.
func EncodeCSV[T nmf.Float](w io.Writer, m *nmf.Dense[T], header []string) error {
	if m == nil {
		return fmt.Errorf("nmfio: EncodeCSV: nil matrix")
	}
	if err := checkWriteDims(m.Rows, m.Cols, len(m.Data)); err != nil {
		return fmt.Errorf("nmfio: EncodeCSV: %w", err)
	}
	if header != nil && len(header) != m.Cols {
		return fmt.Errorf("nmfio: EncodeCSV: %d header names for %d columns", len(header), m.Cols)
	}
	return encodeCSV(w, m.Rows, m.Cols, m.Data, header)
}

func encodeCSV[T nmf.Float](w io.Writer, rows, cols int, data []T, header []string) error {
	bits := 64
	if _, ok := any(data).([]float32); ok {
		bits = 32
	}
	buf := make([]byte, 0, 1<<12)
	if header != nil {
		for j, name := range header {
			if j > 0 {
				buf = append(buf, ',')
			}
			if strings.ContainsAny(name, ",\"\r\n") {
				name = `"` + strings.ReplaceAll(name, `"`, `""`) + `"`
			}
			buf = append(buf, name...)
		}
		buf = append(buf, '\n')
	}
	for i := range rows {
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
		buf = buf[:0]
	}
	return nil
}
