package nmfio

import (
	"bytes"
	"encoding/binary"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// wavOpts describes a test WAV file.
type wavOpts struct {
	tag        uint16 // 1, 3 or 0xFFFE
	sub        uint16 // subformat tag for 0xFFFE
	channels   int
	depth      int
	rate       int
	blockAlign int // 0: computed
}

// encodeWAV builds a WAV file from interleaved samples in [-1, 1).
func encodeWAV(o wavOpts, interleaved []float64) []byte {
	var body bytes.Buffer
	tag := o.tag
	if tag == tagExtensible {
		tag = o.sub
	}
	for _, x := range interleaved {
		switch {
		case tag == tagFloat && o.depth == 32:
			binary.Write(&body, binary.LittleEndian, float32(x))
		case tag == tagFloat && o.depth == 64:
			binary.Write(&body, binary.LittleEndian, x)
		case o.depth == 8:
			body.WriteByte(byte(int(math.Round(x*128)) + 128))
		case o.depth == 16:
			binary.Write(&body, binary.LittleEndian, int16(math.Round(x*(1<<15))))
		case o.depth == 24:
			v := int32(math.Round(x * (1 << 23)))
			body.Write([]byte{byte(v), byte(v >> 8), byte(v >> 16)})
		case o.depth == 32:
			binary.Write(&body, binary.LittleEndian, int32(math.Round(x*(1<<31))))
		}
	}
	ba := o.blockAlign
	if ba == 0 {
		ba = o.channels * o.depth / 8
	}
	var fmtc bytes.Buffer
	le := func(v any) { binary.Write(&fmtc, binary.LittleEndian, v) }
	le(o.tag)
	le(uint16(o.channels))
	le(uint32(o.rate))
	le(uint32(o.rate * ba))
	le(uint16(ba))
	le(uint16(o.depth))
	if o.tag == tagExtensible {
		le(uint16(22))
		le(uint16(o.depth))
		le(uint32(0))
		le(o.sub)
		fmtc.Write(guidTail)
	}
	var f bytes.Buffer
	f.WriteString("RIFF")
	binary.Write(&f, binary.LittleEndian, uint32(4+8+fmtc.Len()+8+body.Len()+8+3+1))
	f.WriteString("WAVE")
	// An odd-sized unknown chunk before fmt, to exercise padding.
	f.WriteString("LIST")
	binary.Write(&f, binary.LittleEndian, uint32(3))
	f.Write([]byte{1, 2, 3, 0})
	f.WriteString("fmt ")
	binary.Write(&f, binary.LittleEndian, uint32(fmtc.Len()))
	f.Write(fmtc.Bytes())
	f.WriteString("data")
	binary.Write(&f, binary.LittleEndian, uint32(body.Len()))
	f.Write(body.Bytes())
	return f.Bytes()
}

func TestReadWAVFormats(t *testing.T) {
	// Values exactly representable in every format, 8-bit included.
	mono := []float64{0, 0.5, -0.5, 0.25, -1, 0.75, -0.125, 0.0078125}
	cases := []struct {
		name string
		o    wavOpts
		tol  float64
	}{
		{"pcm8", wavOpts{tag: 1, depth: 8}, 0},
		{"pcm16", wavOpts{tag: 1, depth: 16}, 0},
		{"pcm24", wavOpts{tag: 1, depth: 24}, 0},
		{"pcm32", wavOpts{tag: 1, depth: 32}, 0},
		{"float32", wavOpts{tag: 3, depth: 32}, 0},
		{"float64", wavOpts{tag: 3, depth: 64}, 0},
		{"ext-pcm16", wavOpts{tag: tagExtensible, sub: 1, depth: 16}, 0},
		{"ext-pcm24", wavOpts{tag: tagExtensible, sub: 1, depth: 24}, 0},
		{"ext-float32", wavOpts{tag: tagExtensible, sub: 3, depth: 32}, 0},
	}
	for _, c := range cases {
		for _, ch := range []int{1, 2, 3} {
			o := c.o
			o.channels, o.rate = ch, 22050
			// Channel c of frame i is mono[i] + d_c with offsets that
			// average to zero, so the mono mix is mono[i].
			inter := make([]float64, 0, len(mono)*ch)
			for _, x := range mono {
				for k := 0; k < ch; k++ {
					d := 0.0
					if ch > 1 && x > -0.9 && x < 0.7 {
						d = 0.25 * (float64(k) - float64(ch-1)/2) / float64(ch-1) * 2
					}
					inter = append(inter, x+d)
				}
			}
			s, err := ReadWAV(writeTemp(t, "x.wav", encodeWAV(o, inter)))
			if err != nil {
				t.Fatalf("%s %dch: %v", c.name, ch, err)
			}
			if s.Rate != 22050 || s.Channels != ch || s.BitDepth != o.depth || len(s.Samples) != len(mono) {
				t.Fatalf("%s %dch: got rate %d, %d channels, %d bits, %d samples", c.name, ch, s.Rate, s.Channels, s.BitDepth, len(s.Samples))
			}
			for i, x := range mono {
				if math.Abs(s.Samples[i]-x) > 1e-12 {
					t.Errorf("%s %dch: sample %d = %v, want %v", c.name, ch, i, s.Samples[i], x)
				}
			}
		}
	}
}

func TestReadWAVFloatClip(t *testing.T) {
	o := wavOpts{tag: 3, depth: 32, channels: 1, rate: 8000}
	s, err := ReadWAV(writeTemp(t, "x.wav", encodeWAV(o, []float64{2, -3, math.NaN(), 0.5})))
	if err != nil {
		t.Fatal(err)
	}
	want := []float64{1, -1, 0, 0.5}
	for i := range want {
		if s.Samples[i] != want[i] {
			t.Errorf("sample %d = %v, want %v", i, s.Samples[i], want[i])
		}
	}
}

func TestReadWAVErrors(t *testing.T) {
	good := encodeWAV(wavOpts{tag: 1, depth: 16, channels: 2, rate: 8000}, []float64{0.1, 0.2, 0.3, 0.4})
	// Offsets in good: RIFF(12) LIST(8+4) fmt at 24, fmt body at 32, data at 48.
	patch := func(off int, b ...byte) []byte {
		c := bytes.Clone(good)
		copy(c[off:], b)
		return c
	}
	cases := []struct {
		name, want string
		data       []byte
	}{
		{"empty", "not a RIFF/WAVE", nil},
		{"garbage", "not a RIFF/WAVE", []byte("hello, this is not a wav file at all")},
		{"rifx", "not a RIFF/WAVE", patch(0, 'R', 'I', 'F', 'X')},
		{"avi", "not a RIFF/WAVE", patch(8, 'A', 'V', 'I', ' ')},
		{"nofmt", "missing fmt chunk", patch(24, 'f', 'm', 't', 'x')},
		{"nodata", "missing data chunk", patch(48, 'd', 'a', 't', 'x')},
		{"truncated", "truncated data", good[:len(good)-3]},
		{"adpcm", "unsupported format tag 0x0002", patch(32, 2, 0)},
		{"zero channels", "zero channels", patch(34, 0, 0)},
		{"zero rate", "invalid sample rate 0", patch(36, 0, 0, 0, 0)},
		{"depth", "unsupported PCM bit depth 12", patch(46, 12, 0)},
		{"float depth", "unsupported float bit depth 16", patch(32, 3, 0)},
		{"block align", "block align 3", patch(44, 3, 0)},
		{"fmt short", "fmt chunk of 4 bytes", []byte("RIFF\x1c\x00\x00\x00WAVEfmt \x04\x00\x00\x00\x01\x00\x01\x00data\x02\x00\x00\x00\x00\x00")},
		{"fmt huge", "fmt chunk of", patch(28, 0xff, 0xff, 0xff, 0x7f)},
		{"no samples", "no samples", patch(52, 2, 0, 0, 0)},
	}
	for _, c := range cases {
		p := writeTemp(t, "x.wav", c.data)
		_, err := ReadWAV(p)
		if err == nil {
			t.Errorf("%s: no error", c.name)
			continue
		}
		if !strings.Contains(err.Error(), c.want) || !strings.Contains(err.Error(), p) {
			t.Errorf("%s: error %q does not name the file and %q", c.name, err, c.want)
		}
	}
	if _, err := ReadWAV(filepath.Join(t.TempDir(), "missing.wav")); err == nil || !strings.Contains(err.Error(), "missing.wav") {
		t.Errorf("missing file: %v", err)
	}
	ext := encodeWAV(wavOpts{tag: tagExtensible, sub: 1, depth: 16, channels: 1, rate: 8000}, []float64{0.1})
	ext[32+24+5] ^= 0xff // corrupt the GUID tail
	if _, err := DecodeWAV(ext); err == nil || !strings.Contains(err.Error(), "GUID") {
		t.Errorf("bad GUID: %v", err)
	}
}

func TestWriteWAVRoundTrip(t *testing.T) {
	in := []float64{0, 0.5, -0.5, 1.5, -2, math.NaN(), 0.123456}
	var buf bytes.Buffer
	if err := WriteWAV(&buf, 16000, in); err != nil {
		t.Fatal(err)
	}
	if buf.Len() != 44+2*len(in) {
		t.Fatalf("file of %d bytes", buf.Len())
	}
	s, err := DecodeWAV(buf.Bytes())
	if err != nil {
		t.Fatal(err)
	}
	if s.Rate != 16000 || s.Channels != 1 || s.BitDepth != 16 {
		t.Fatalf("got %+v", s)
	}
	want := []float64{0, 0.5, -0.5, 1, -1, 0, 0.123456}
	for i := range want {
		if math.Abs(s.Samples[i]-want[i]) > 1.0/65536+1e-15 && !(want[i] == 1 && s.Samples[i] == 32767.0/32768) {
			t.Errorf("sample %d = %v, want %v", i, s.Samples[i], want[i])
		}
	}
	if err := WriteWAV(&buf, 0, in); err == nil {
		t.Error("rate 0 accepted")
	}
}

func FuzzReadWAV(f *testing.F) {
	f.Add(encodeWAV(wavOpts{tag: 1, depth: 16, channels: 2, rate: 8000}, []float64{0.1, 0.2, 0.3, 0.4}))
	f.Add(encodeWAV(wavOpts{tag: 1, depth: 24, channels: 1, rate: 8000}, []float64{0.1, -0.2}))
	f.Add(encodeWAV(wavOpts{tag: 1, depth: 8, channels: 1, rate: 8000}, []float64{0.1, -0.2}))
	f.Add(encodeWAV(wavOpts{tag: 3, depth: 64, channels: 1, rate: 8000}, []float64{0.1, -0.2}))
	f.Add(encodeWAV(wavOpts{tag: tagExtensible, sub: 3, depth: 32, channels: 2, rate: 8000}, []float64{0.1, -0.2}))
	f.Add([]byte("RIFF\x00\x00\x00\x00WAVE"))
	dir := f.TempDir()
	f.Fuzz(func(t *testing.T, data []byte) {
		p := filepath.Join(dir, "fuzz.wav")
		if err := os.WriteFile(p, data, 0o644); err != nil {
			t.Fatal(err)
		}
		s, err := ReadWAV(p)
		if err != nil {
			if s != nil {
				t.Fatal("sound with an error")
			}
			return
		}
		if len(s.Samples) == 0 || len(s.Samples) > len(data) || s.Channels < 1 || s.Rate < 1 {
			t.Fatalf("implausible sound: %d samples from %d bytes, %d channels, rate %d", len(s.Samples), len(data), s.Channels, s.Rate)
		}
		for _, x := range s.Samples {
			if !(x >= -1 && x <= 1) {
				t.Fatalf("sample %v outside [-1, 1]", x)
			}
		}
	})
}
