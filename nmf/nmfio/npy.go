package nmfio

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"fmt"
	"io"
	"math"
	"math/big"
	"os"
	"strconv"
	"strings"

	"github.com/clnmf/clnmf/nmf"
	"github.com/sbinet/npyio"
)

// The .npy format (https://numpy.org/devdocs/reference/generated/numpy.lib.format.html):
// the magic "\x93NUMPY", a major and a minor version byte, the header's
// length (uint16 little-endian in version 1, uint32 in versions 2 and 3),
// then the header: a Python dict literal such as
//
//	{'descr': '<f8', 'fortran_order': False, 'shape': (40, 30), }
//
// padded with spaces and ended by '\n', then the array's raw data.
//
// The header is parsed here rather than by npyio: npyio's parser assumes
// numpy's key order and spacing (and can panic on anything else), and it
// allocates whatever the header's shape asks for. Once the header has been
// checked against the file's size, npyio decodes the data, fed a canonical
// header of its own.

const (
	npyMagic     = "\x93NUMPY"
	npyMaxHeader = 1 << 20 // numpy itself refuses headers over 10000 bytes by default
	npyChunk     = 1 << 16 // elements decoded per npyio call
)

// npyDtype is a parsed 'descr' of a plain numeric dtype.
type npyDtype struct {
	descr string // as in the file, for messages
	kind  byte   // 'f', 'i', 'u' or 'b'
	size  int    // bytes per element
	big   bool   // big-endian
}

// npyioDescr is the descr handed to npyio. A bool is decoded as uint8 so
// that every nonzero byte can be made 1 (npyio leaves bytes other than 0
// and 1 undecoded).
func (d npyDtype) npyioDescr() string {
	kind := d.kind
	if kind == 'b' {
		kind = 'u'
	}
	order := "<"
	switch {
	case d.size == 1:
		order = "|"
	case d.big:
		order = ">"
	}
	return fmt.Sprintf("%s%c%d", order, kind, d.size)
}

func nativeBigEndian() bool {
	var b [2]byte
	binary.NativeEndian.PutUint16(b[:], 1)
	return b[0] == 0
}

// parseDtype parses a descr such as '<f8', '|u1' or '>i4'.
func parseDtype(s string) (npyDtype, string) {
	d := npyDtype{descr: s}
	rest := s
	if rest != "" {
		switch rest[0] {
		case '<', '|':
			rest = rest[1:]
		case '>':
			d.big = true
			rest = rest[1:]
		case '=':
			d.big = nativeBigEndian()
			rest = rest[1:]
		}
	}
	if len(rest) < 2 {
		return d, fmt.Sprintf("header: unsupported dtype %s", excerpt(s))
	}
	size, err := strconv.Atoi(rest[1:])
	if err != nil {
		return d, fmt.Sprintf("header: unsupported dtype %s", excerpt(s))
	}
	d.kind, d.size = rest[0], size
	ok := false
	switch d.kind {
	case 'f':
		ok = size == 4 || size == 8
		if !ok {
			return d, fmt.Sprintf("header: dtype %s (float%d) is not supported; convert the array to float32 or float64", excerpt(s), 8*size)
		}
	case 'i', 'u':
		ok = size == 1 || size == 2 || size == 4 || size == 8
	case 'b':
		ok = size == 1
	case 'c':
		return d, fmt.Sprintf("header: dtype %s is complex; only real matrices can be factorised", excerpt(s))
	}
	if !ok {
		return d, fmt.Sprintf("header: dtype %s is not supported (need float32, float64, an integer type or bool)", excerpt(s))
	}
	return d, ""
}

// npyHeader is what readNPYHeader learns from a file's header.
type npyHeader struct {
	dtype   npyDtype
	fortran bool
	shape   []int64
	dataOff int64 // offset of the data from the start of the file
}

func shapeString[I int | int64](shape []I) string {
	var b strings.Builder
	b.WriteByte('(')
	for i, n := range shape {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(strconv.FormatInt(int64(n), 10))
	}
	if len(shape) == 1 {
		b.WriteByte(',')
	}
	b.WriteByte(')')
	return b.String()
}

// readNPYHeader reads and checks the header of an .npy file of the given
// size, leaving r at the start of the data. The message is empty when the
// header is good; err is an I/O error.
//
// A size of -1 means unknown (a stream): the checks against the size are
// skipped and a stream ending inside the header is reported as such.
func readNPYHeader(r io.Reader, size int64) (h npyHeader, msg string, err error) {
	if size < 0 {
		h, msg, err = readNPYHeader(r, math.MaxInt64)
		if err == io.EOF || err == io.ErrUnexpectedEOF {
			return h, "header: the stream ends inside the header", nil
		}
		return h, msg, err
	}
	var pre [12]byte
	if size < 10 {
		return h, fmt.Sprintf("header: file is %d bytes, too short for an .npy file", size), nil
	}
	if _, err := io.ReadFull(r, pre[:8]); err != nil {
		return h, "", err
	}
	if string(pre[:6]) != npyMagic {
		return h, `header: not an .npy file (it does not start with "\x93NUMPY")`, nil
	}
	major, minor := pre[6], pre[7]
	var hlen int64
	switch major {
	case 1:
		if _, err := io.ReadFull(r, pre[8:10]); err != nil {
			return h, "", err
		}
		hlen = int64(binary.LittleEndian.Uint16(pre[8:10]))
		h.dataOff = 10
	case 2, 3:
		if size < 12 {
			return h, fmt.Sprintf("header: file is %d bytes, too short for an .npy file", size), nil
		}
		if _, err := io.ReadFull(r, pre[8:12]); err != nil {
			return h, "", err
		}
		hlen = int64(binary.LittleEndian.Uint32(pre[8:12]))
		h.dataOff = 12
	default:
		return h, fmt.Sprintf("header: unsupported .npy format version %d.%d", major, minor), nil
	}
	if hlen > size-h.dataOff {
		return h, fmt.Sprintf("header: header length %d runs past the end of the file (%d bytes)", hlen, size), nil
	}
	if hlen > npyMaxHeader {
		return h, fmt.Sprintf("header: header length %d is implausibly large", hlen), nil
	}
	buf := make([]byte, hlen)
	if _, err := io.ReadFull(r, buf); err != nil {
		return h, "", err
	}
	h.dataOff += hlen
	if msg := h.parseDict(string(buf)); msg != "" {
		return h, msg, nil
	}
	return h, h.checkShape(size), nil
}

// parseDict fills in the dtype, order and shape from the header's dict;
// the message is empty when they are good.
func (h *npyHeader) parseDict(text string) string {
	dict, perr := parsePyDict(text)
	if perr != "" {
		return "header: " + perr
	}
	descr, ok := dict["descr"]
	if !ok {
		return "header: no 'descr' key"
	}
	switch descr.kind {
	case pyStr:
	case pyList:
		return "header: 'descr' is a structured dtype; only plain numeric arrays are supported"
	default:
		return "header: 'descr' is not a string"
	}
	var dmsg string
	if h.dtype, dmsg = parseDtype(descr.s); dmsg != "" {
		return dmsg
	}
	fo, ok := dict["fortran_order"]
	if !ok {
		return "header: no 'fortran_order' key"
	}
	if fo.kind != pyBool {
		return "header: 'fortran_order' is not True or False"
	}
	h.fortran = fo.b
	sh, ok := dict["shape"]
	if !ok {
		return "header: no 'shape' key"
	}
	if sh.kind != pyTuple {
		return "header: 'shape' is not a tuple"
	}
	for _, v := range sh.items {
		if v.kind != pyInt || v.n < 0 {
			return "header: 'shape' is not a tuple of nonnegative integers"
		}
		h.shape = append(h.shape, v.n)
	}
	if len(h.shape) != 2 {
		hint := ""
		if len(h.shape) == 1 {
			hint = " (reshape it, e.g. x.reshape(-1, 1) for a column)"
		}
		return fmt.Sprintf("header: shape %s is %d-dimensional; a 2-D array is needed%s",
			shapeString(h.shape), len(h.shape), hint)
	}
	if m := checkDims(h.shape[0], h.shape[1]); m != "" {
		return fmt.Sprintf("header: shape %s: %s", shapeString(h.shape), m)
	}
	return ""
}

// checkShape checks the data the shape needs against the file's size
// (math.MaxInt64: unknown); the message is empty when it fits.
func (h *npyHeader) checkShape(size int64) string {
	avail := size - h.dataOff
	if size == math.MaxInt64 { // unknown
		avail = math.MaxInt64
	}
	need := new(big.Int).Mul(big.NewInt(h.shape[0]), big.NewInt(h.shape[1]))
	need.Mul(need, big.NewInt(int64(h.dtype.size)))
	if need.Cmp(big.NewInt(avail)) > 0 {
		return fmt.Sprintf("header: shape %s of dtype %q needs %s bytes of data, but the file holds only %d bytes after the header",
			shapeString(h.shape), h.dtype.descr, need, avail)
	}
	if h.shape[0]*h.shape[1] > math.MaxInt {
		return fmt.Sprintf("header: shape %s is too large for this platform", shapeString(h.shape))
	}
	return ""
}

// readNPY reads an .npy file or stream.
func readNPY(src *source) (*Input, error) {
	br := bufio.NewReaderSize(src.r, 1<<16)
	h, msg, err := readNPYHeader(br, src.size)
	if err != nil {
		return nil, src.wrap(err)
	}
	if msg != "" {
		return nil, &FormatError{Path: src.path, Msg: msg}
	}
	if f, ok := src.r.(*os.File); ok && src.path != "" { // opened by Read, at offset 0
		if in := mapNPY(src.path, f, h); in != nil {
			return in, nil // page cache, not the budget's memory
		}
	}
	rows, cols := int(h.shape[0]), int(h.shape[1])
	d := h.dtype
	n := int64(rows) * int64(cols)
	elem := int64(8)
	if d.kind == 'f' && d.size == 4 {
		elem = 4
	}
	need := mulSat(n, elem)
	if src.size < 0 && h.fortran {
		need = mulSat(need, 2) // read in file order, then transposed
	}
	if err := src.check(fmt.Sprintf("a %d×%d array", rows, cols), need, ""); err != nil {
		return nil, err
	}
	in := &Input{Path: src.path, Kind: "npy"}

	// Feed npyio a canonical header for the decoded element type, followed
	// by exactly the data the shape asks for.
	ns := &npyStream{
		hdr: npyHeaderBytes(d.npyioDescr(), false, shapeString([]int64{n})),
		r:   br,
		n:   n * int64(d.size),
	}
	rr, err := npyio.NewReader(ns)
	if err != nil { // cannot happen: the header is ours
		return nil, src.wrap(err)
	}
	dec := npyDecoder{rr: rr, rows: rows, cols: cols, fortran: h.fortran, stream: src.size < 0}
	if d.kind == 'f' && d.size == 4 {
		var data []float32
		data, err = decodeAs[float32, float32](dec)
		in.Dense32 = &nmf.Dense[float32]{Rows: rows, Cols: cols, Data: data}
	} else {
		var data []float64
		data, err = decodeDtype(dec, d)
		in.Dense64 = &nmf.Dense[float64]{Rows: rows, Cols: cols, Data: data}
	}
	if err != nil {
		if ns.ioErr != nil {
			return nil, src.wrap(ns.ioErr)
		}
		if src.size < 0 { // the only way npyio fails on our canonical header
			return nil, &FormatError{Path: src.path, Msg: fmt.Sprintf("data: the stream ends before the %d elements the header's shape %s needs", n, shapeString(h.shape))}
		}
		return nil, &FormatError{Path: src.path, Msg: "data: " + err.Error()}
	}
	return in, nil
}

// decodeDtype decodes the elements of any non-float32 dtype as float64.
func decodeDtype(dec npyDecoder, d npyDtype) ([]float64, error) {
	switch {
	case d.kind == 'f':
		return decodeAs[float64, float64](dec)
	case d.kind == 'i' && d.size == 1:
		return decodeAs[int8, float64](dec)
	case d.kind == 'i' && d.size == 2:
		return decodeAs[int16, float64](dec)
	case d.kind == 'i' && d.size == 4:
		return decodeAs[int32, float64](dec)
	case d.kind == 'i' && d.size == 8:
		return decodeAs[int64, float64](dec)
	case d.size == 1: // 'u' or 'b'
		data, err := decodeAs[uint8, float64](dec)
		if d.kind == 'b' {
			for i, v := range data {
				if v != 0 {
					data[i] = 1
				}
			}
		}
		return data, err
	case d.size == 2:
		return decodeAs[uint16, float64](dec)
	case d.size == 4:
		return decodeAs[uint32, float64](dec)
	}
	return decodeAs[uint64, float64](dec)
}

// mulSat multiplies nonnegative counts, saturating at math.MaxInt64.
func mulSat(a, b int64) int64 {
	if a != 0 && b > math.MaxInt64/a {
		return math.MaxInt64
	}
	return a * b
}

// npyDecoder is where decodeAs reads from and how the result is laid out.
type npyDecoder struct {
	rr         *npyio.Reader
	rows, cols int
	fortran    bool
	stream     bool // the size is unknown: grow the buffer as data arrives
}

// decodeAs decodes the array as elements of type E into a row-major []T.
// From a file of known size it allocates the result once and decodes into
// it; from a stream it appends chunk by chunk (so a stream that ends early
// costs what it held), transposing a Fortran-order array at the end.
func decodeAs[E npyElem, T nmf.Float](dec npyDecoder) ([]T, error) {
	total := dec.rows * dec.cols
	if !dec.stream {
		dst := make([]T, total)
		return dst, decodeNPY[E](dec.rr, dst, dec.rows, dec.cols, dec.fortran)
	}
	var data []T
	chunk := make([]E, min(npyChunk, total))
	for len(data) < total {
		c := chunk[:min(len(chunk), total-len(data))]
		if err := dec.rr.Read(&c); err != nil {
			return nil, err
		}
		for _, v := range c {
			data = append(data, T(v))
		}
	}
	data = data[:total:total]
	if !dec.fortran {
		return data, nil
	}
	out := make([]T, total)
	for j := 0; j < dec.cols; j++ {
		for i, v := range data[j*dec.rows : (j+1)*dec.rows] {
			out[i*dec.cols+j] = v
		}
	}
	return out, nil
}

type npyElem interface {
	int8 | int16 | int32 | int64 | uint8 | uint16 | uint32 | uint64 | float32 | float64
}

// decodeNPY decodes rows·cols elements of type E from rr into the row-major
// dst, transposing from Fortran (column-major) order if asked, a chunk at a
// time so that no second copy of the matrix is ever held.
func decodeNPY[E npyElem, T nmf.Float](rr *npyio.Reader, dst []T, rows, cols int, fortran bool) error {
	total := rows * cols
	chunk := make([]E, min(npyChunk, total))
	i, j := 0, 0 // the row and column of the next element, in Fortran order
	for off := 0; off < total; {
		c := chunk[:min(len(chunk), total-off)]
		if err := rr.Read(&c); err != nil {
			return err
		}
		if !fortran {
			out := dst[off : off+len(c)]
			for k, v := range c {
				out[k] = T(v)
			}
		} else {
			for _, v := range c {
				dst[i*cols+j] = T(v)
				if i++; i == rows {
					i, j = 0, j+1
				}
			}
		}
		off += len(c)
	}
	return nil
}

// npyStream serves a header and then n bytes of r, in full reads: npyio
// reads element by element and treats a short read, or io.EOF, as a
// complete one.
type npyStream struct {
	hdr   []byte
	r     io.Reader
	n     int64 // data bytes left
	ioErr error // the first error from r
}

func (s *npyStream) Read(p []byte) (int, error) {
	if len(s.hdr) > 0 {
		k := copy(p, s.hdr)
		s.hdr = s.hdr[k:]
		return k, nil
	}
	if int64(len(p)) > s.n {
		return 0, io.ErrUnexpectedEOF
	}
	k, err := io.ReadFull(s.r, p)
	s.n -= int64(k)
	if err != nil {
		if err == io.EOF {
			err = io.ErrUnexpectedEOF
		}
		if err != io.ErrUnexpectedEOF && s.ioErr == nil {
			s.ioErr = err
		}
		return k, err
	}
	return k, nil
}

// npyHeaderBytes returns the magic, version, length and header of an .npy
// file, padded with spaces so that the data starts at a multiple of 64
// bytes, as numpy writes it.
func npyHeaderBytes(descr string, fortran bool, shape string) []byte {
	order := "False"
	if fortran {
		order = "True"
	}
	dict := fmt.Sprintf("{'descr': '%s', 'fortran_order': %s, 'shape': %s, }", descr, order, shape)
	pre := 10
	if len(dict)+1+pre > math.MaxUint16 {
		pre = 12
	}
	total := (pre + len(dict) + 1 + 63) / 64 * 64
	hlen := total - pre
	b := make([]byte, 0, total)
	b = append(b, npyMagic...)
	if pre == 10 {
		b = append(b, 1, 0)
		b = binary.LittleEndian.AppendUint16(b, uint16(hlen))
	} else {
		b = append(b, 2, 0)
		b = binary.LittleEndian.AppendUint32(b, uint32(hlen))
	}
	b = append(b, dict...)
	b = append(b, bytes.Repeat([]byte{' '}, hlen-len(dict)-1)...)
	return append(b, '\n')
}

// WriteNPY writes the row-major rows×cols matrix data to path as an .npy
// file in C order, with dtype '<f4' for float32 and '<f8' for float64. The
// file is replaced atomically (see [WriteFileAtomic]). It returns an error
// if len(data) is not rows·cols.
func WriteNPY[T nmf.Float](path string, rows, cols int, data []T) error {
	if err := checkWriteDims(rows, cols, len(data)); err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	return WriteFileAtomic(path, func(w io.Writer) error { return encodeNPY(w, rows, cols, data) })
}

// EncodeNPY writes m to w as WriteNPY writes a file.
func EncodeNPY[T nmf.Float](w io.Writer, m *nmf.Dense[T]) error {
	if m == nil {
		return fmt.Errorf("nmfio: EncodeNPY: nil matrix")
	}
	if err := checkWriteDims(m.Rows, m.Cols, len(m.Data)); err != nil {
		return fmt.Errorf("nmfio: EncodeNPY: %w", err)
	}
	return encodeNPY(w, m.Rows, m.Cols, m.Data)
}

// WriteNPYRows writes a rows×cols .npy to path as WriteNPY does, block
// rows at a time: fill(lo, hi, dst) sets rows [lo, hi) into dst (row-major,
// (hi−lo)·cols values), so that a generated matrix larger than memory is
// never whole in it.
func WriteNPYRows[T nmf.Float](path string, rows, cols, block int, fill func(lo, hi int, dst []T)) error {
	if err := checkWriteDims(rows, cols, rows*cols); err != nil || block < 1 {
		return fmt.Errorf("%s: %d×%d in blocks of %d rows: %v", path, rows, cols, block, err)
	}
	return WriteFileAtomic(path, func(w io.Writer) error {
		if err := writeNPYHeader[T](w, rows, cols); err != nil {
			return err
		}
		buf := make([]T, min(block, rows)*cols)
		for lo := 0; lo < rows; lo += block {
			hi := min(lo+block, rows)
			fill(lo, hi, buf[:(hi-lo)*cols])
			if err := encodeValues(w, buf[:(hi-lo)*cols]); err != nil {
				return err
			}
		}
		return nil
	})
}

func writeNPYHeader[T nmf.Float](w io.Writer, rows, cols int) error {
	descr := "<f8"
	if _, ok := any(*new(T)).(float32); ok {
		descr = "<f4"
	}
	_, err := w.Write(npyHeaderBytes(descr, false, shapeString([]int{rows, cols})))
	return err
}

func encodeNPY[T nmf.Float](w io.Writer, rows, cols int, data []T) error {
	if err := writeNPYHeader[T](w, rows, cols); err != nil {
		return err
	}
	return encodeValues(w, data)
}

// encodeValues writes data little-endian.
func encodeValues[T nmf.Float](w io.Writer, data []T) error {
	buf := make([]byte, 0, 1<<15)
	for len(data) > 0 {
		n := min(len(data), cap(buf)/8)
		buf = buf[:0]
		switch d := any(data[:n]).(type) {
		case []float32:
			for _, v := range d {
				buf = binary.LittleEndian.AppendUint32(buf, math.Float32bits(v))
			}
		case []float64:
			for _, v := range d {
				buf = binary.LittleEndian.AppendUint64(buf, math.Float64bits(v))
			}
		}
		if _, err := w.Write(buf); err != nil {
			return err
		}
		data = data[n:]
	}
	return nil
}

func checkWriteDims(rows, cols, n int) error {
	if rows < 0 || cols < 0 {
		return fmt.Errorf("negative dimensions %d×%d", rows, cols)
	}
	if cols != 0 && rows > math.MaxInt/cols || rows*cols != n {
		return fmt.Errorf("%d×%d matrix given %d values", rows, cols, n)
	}
	return nil
}
