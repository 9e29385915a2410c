package nmfio

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
	"os"

	"github.com/clnmf/clnmf/nmf"
)

// The WAV reader is our own, by decision (issue 16), rather than
// github.com/go-audio/wav (its decoder.go, read for this): it returns every
// channel interleaved as []int (8 bytes a sample, before any mixing), does
// not decode IEEE float data (format 3 is read as integers), does not
// sign-extend 32-bit PCM, needs an io.ReadSeeker, and sizes nothing against
// the file before reading. This one checks every chunk size against the
// bytes present, decodes PCM 8/16/24/32 and float 32/64 (plain or
// WAVE_FORMAT_EXTENSIBLE), mixes to mono in the same pass, and is about 200
// lines; FuzzReadWAV holds it to never panicking.

// Sound is a decoded WAV file, mixed down to one channel.
type Sound struct {
	// Rate is the sample rate in Hz.
	Rate int
	// Samples holds the mono signal in [-1, 1]: the average of the
	// channels of each sample frame.
	Samples []float64
	// Channels is the number of channels in the file.
	Channels int
	// BitDepth is the number of bits per stored sample (8, 16, 24 or 32
	// for integer PCM, 32 or 64 for IEEE float).
	BitDepth int
}

// WAV format tags.
const (
	tagPCM        = 1
	tagFloat      = 3
	tagExtensible = 0xFFFE
)

// guidTail is the part of a WAVE_FORMAT_EXTENSIBLE subformat GUID after its
// first two bytes, which hold the format tag proper.
var guidTail = []byte{0x00, 0x00, 0x00, 0x00, 0x10, 0x00, 0x80, 0x00, 0x00, 0xAA, 0x00, 0x38, 0x9B, 0x71}

// ReadWAV reads a RIFF/WAVE file of integer PCM (8-bit unsigned, 16, 24 or
// 32-bit signed) or IEEE float (32 or 64-bit) samples, plain or in
// WAVE_FORMAT_EXTENSIBLE, and mixes its channels to mono by averaging.
// Float samples outside [-1, 1] are clipped and NaNs become 0. Errors name
// the file and what is wrong with it.
//
// The file is read whole, and its size and then the decoded samples are
// checked against the memory budget (see [Options]) before each is
// allocated.
func ReadWAV(path string) (*Sound, error) { return (*Options)(nil).ReadWAV(path) }

// ReadWAV is [ReadWAV] with the options' memory limit.
func (o *Options) ReadWAV(path string) (*Sound, error) {
	st, err := os.Stat(path)
	if err != nil {
		return nil, fmt.Errorf("nmfio: %w", err)
	}
	if err := o.budget().Check(fmt.Sprintf("a WAV file of %d bytes", st.Size()), st.Size(), ""); err != nil {
		return nil, fmt.Errorf("nmfio: %s: %w", path, err)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("nmfio: %w", err)
	}
	s, err := decodeWAV(data, o.budget())
	if err != nil {
		return nil, fmt.Errorf("nmfio: %s: %w", path, err)
	}
	return s, nil
}

// DecodeWAV decodes the bytes of a WAV file as ReadWAV does. Its errors do
// not carry a file name.
func DecodeWAV(data []byte) (*Sound, error) { return decodeWAV(data, nmf.Budget{}) }

func decodeWAV(data []byte, budget nmf.Budget) (*Sound, error) {
	fmtChunk, dataChunk, err := wavChunks(data)
	if err != nil {
		return nil, err
	}
	if len(fmtChunk) < 16 {
		return nil, fmt.Errorf("fmt chunk of %d bytes is shorter than 16", len(fmtChunk))
	}
	tag := binary.LittleEndian.Uint16(fmtChunk[0:2])
	channels := int(binary.LittleEndian.Uint16(fmtChunk[2:4]))
	rate := binary.LittleEndian.Uint32(fmtChunk[4:8])
	blockAlign := int(binary.LittleEndian.Uint16(fmtChunk[12:14]))
	depth := int(binary.LittleEndian.Uint16(fmtChunk[14:16]))
	if tag == tagExtensible {
		if len(fmtChunk) < 40 {
			return nil, fmt.Errorf("WAVE_FORMAT_EXTENSIBLE fmt chunk of %d bytes is shorter than 40", len(fmtChunk))
		}
		guid := fmtChunk[24:40]
		if !bytes.Equal(guid[2:], guidTail) {
			return nil, fmt.Errorf("unsupported WAVE_FORMAT_EXTENSIBLE subformat GUID % x", guid)
		}
		tag = binary.LittleEndian.Uint16(guid[0:2])
	}
	switch tag {
	case tagPCM:
		if depth != 8 && depth != 16 && depth != 24 && depth != 32 {
			return nil, fmt.Errorf("unsupported PCM bit depth %d (want 8, 16, 24 or 32)", depth)
		}
	case tagFloat:
		if depth != 32 && depth != 64 {
			return nil, fmt.Errorf("unsupported float bit depth %d (want 32 or 64)", depth)
		}
	default:
		return nil, fmt.Errorf("unsupported format tag %#04x (want PCM 1, IEEE float 3 or extensible 0xfffe)", tag)
	}
	if channels == 0 {
		return nil, errors.New("zero channels")
	}
	if rate == 0 || rate > math.MaxInt32 {
		return nil, fmt.Errorf("invalid sample rate %d", rate)
	}
	bytesPer := depth / 8
	frameSize := channels * bytesPer
	if blockAlign != frameSize {
		return nil, fmt.Errorf("block align %d does not match %d channels of %d bits", blockAlign, channels, depth)
	}
	n := len(dataChunk) / frameSize
	if n == 0 {
		return nil, errors.New("data chunk holds no samples")
	}
	if err := budget.Check(fmt.Sprintf("%d samples", n), int64(n)*8, ""); err != nil {
		return nil, err
	}
	samples := make([]float64, n)
	read := sampleReader(tag, depth)
	inv := 1 / float64(channels)
	for i := range samples {
		frame := dataChunk[i*frameSize : (i+1)*frameSize]
		var sum float64
		for c := 0; c < channels; c++ {
			sum += read(frame[c*bytesPer : (c+1)*bytesPer])
		}
		samples[i] = sum * inv
	}
	return &Sound{Rate: int(rate), Samples: samples, Channels: channels, BitDepth: depth}, nil
}

// wavChunks finds the fmt and data chunks of a RIFF/WAVE file, each
// checked to lie within the bytes present.
func wavChunks(data []byte) (fmtChunk, dataChunk []byte, err error) {
	if len(data) < 12 || string(data[0:4]) != "RIFF" || string(data[8:12]) != "WAVE" {
		return nil, nil, errors.New("not a RIFF/WAVE file")
	}
	haveFmt, haveData := false, false
	pos := 12
	for pos+8 <= len(data) {
		id := string(data[pos : pos+4])
		size := uint64(binary.LittleEndian.Uint32(data[pos+4 : pos+8]))
		body := pos + 8
		avail := uint64(len(data) - body)
		switch {
		case id == "fmt " && !haveFmt:
			if size > avail {
				return nil, nil, fmt.Errorf("fmt chunk of %d bytes is truncated to %d", size, avail)
			}
			fmtChunk, haveFmt = data[body:body+int(size)], true
		case id == "data" && !haveData:
			if size > avail {
				return nil, nil, fmt.Errorf("truncated data: data chunk of %d bytes has only %d in the file", size, avail)
			}
			dataChunk, haveData = data[body:body+int(size)], true
		}
		if haveFmt && haveData {
			break
		}
		next := uint64(body) + size + size&1
		if next > uint64(len(data)) {
			break
		}
		pos = int(next)
	}
	if !haveFmt {
		return nil, nil, errors.New("missing fmt chunk")
	}
	if !haveData {
		return nil, nil, errors.New("missing data chunk")
	}
	return fmtChunk, dataChunk, nil
}

// sampleReader returns the decoder of one sample of a supported format.
func sampleReader(tag uint16, depth int) func([]byte) float64 {
	if tag == tagFloat {
		if depth == 32 {
			return func(b []byte) float64 {
				return clip(float64(math.Float32frombits(binary.LittleEndian.Uint32(b))))
			}
		}
		return func(b []byte) float64 {
			return clip(math.Float64frombits(binary.LittleEndian.Uint64(b)))
		}
	}
	switch depth {
	case 8:
		return func(b []byte) float64 { return (float64(b[0]) - 128) / 128 }
	case 16:
		return func(b []byte) float64 { return float64(int16(binary.LittleEndian.Uint16(b))) / (1 << 15) }
	case 24:
		return func(b []byte) float64 {
			v := int32(uint32(b[0])<<8|uint32(b[1])<<16|uint32(b[2])<<24) >> 8
			return float64(v) / (1 << 23)
		}
	default:
		return func(b []byte) float64 { return float64(int32(binary.LittleEndian.Uint32(b))) / (1 << 31) }
	}
}

// clip limits x to [-1, 1] and maps NaN to 0.
func clip(x float64) float64 {
	switch {
	case x != x:
		return 0
	case x > 1:
		return 1
	case x < -1:
		return -1
	}
	return x
}

// WriteWAV writes samples as a mono 16-bit PCM WAV file at the given rate,
// clipping them to [-1, 1] (NaN is written as 0). Sample x is stored as
// round(32768·x), limited to 32767, so ReadWAV returns it to within 1/65536.
func WriteWAV(w io.Writer, rate int, samples []float64) error {
	if rate <= 0 || rate > math.MaxInt32/2 {
		return fmt.Errorf("nmfio: invalid sample rate %d", rate)
	}
	if uint64(len(samples))*2 > math.MaxUint32-36 {
		return fmt.Errorf("nmfio: %d samples do not fit in a WAV file", len(samples))
	}
	size := 2 * len(samples)
	buf := make([]byte, 44+size)
	copy(buf[0:], "RIFF")
	binary.LittleEndian.PutUint32(buf[4:], uint32(36+size))
	copy(buf[8:], "WAVEfmt ")
	binary.LittleEndian.PutUint32(buf[16:], 16)
	binary.LittleEndian.PutUint16(buf[20:], tagPCM)
	binary.LittleEndian.PutUint16(buf[22:], 1)
	binary.LittleEndian.PutUint32(buf[24:], uint32(rate))
	binary.LittleEndian.PutUint32(buf[28:], uint32(2*rate))
	binary.LittleEndian.PutUint16(buf[32:], 2)
	binary.LittleEndian.PutUint16(buf[34:], 16)
	copy(buf[36:], "data")
	binary.LittleEndian.PutUint32(buf[40:], uint32(size))
	for i, x := range samples {
		v := min(math.Round(clip(x)*32768), 32767)
		binary.LittleEndian.PutUint16(buf[44+2*i:], uint16(int16(v)))
	}
	if _, err := w.Write(buf); err != nil {
		return fmt.Errorf("nmfio: writing WAV: %w", err)
	}
	return nil
}
