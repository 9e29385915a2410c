package audio

import (
	"math"
	"math/cmplx"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/clnmf/clnmf/nmf/backend"
)

// TestForwardMatchesDFT checks the STFT's use of gonum's real FFT: each
// frame's magnitude and phase are those of the direct DFT of the windowed
// frame, exp(−2πi jk/n), unscaled.
func TestForwardMatchesDFT(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for _, n := range []int{16, 64, 256} {
		s := STFT{FFTSize: n, Hop: n / 2}
		x := make([]float64, 2*n)
		for i := range x {
			x[i] = rng.NormFloat64()
		}
		mag, ph, err := s.Forward(x)
		if err != nil {
			t.Fatal(err)
		}
		win := s.Window()
		for fr := 0; fr < mag.Cols; fr++ {
			for k := 0; k <= n/2; k++ {
				var want complex128
				for j := 0; j < n; j++ {
					want += complex(x[fr*s.Hop+j]*win[j], 0) * cmplx.Rect(1, -2*math.Pi*float64(j*k)/float64(n))
				}
				got := cmplx.Rect(float64(mag.Data[k*mag.Cols+fr]), ph.Angle[k*mag.Cols+fr])
				if cmplx.Abs(got-want) > 1e-5*(1+cmplx.Abs(want)) {
					t.Fatalf("n=%d frame %d: X[%d] = %v, want %v", n, fr, k, got, want)
				}
			}
		}
	}
}

func TestSTFTValidate(t *testing.T) {
	for _, s := range []STFT{{8, 4}, {100, 10}, {0, 1}, {-16, 1}, {64, 0}, {64, 65}} {
		if err := s.Validate(); err == nil {
			t.Errorf("%+v accepted", s)
		}
		if _, _, err := s.Forward(make([]float64, 1000)); err == nil {
			t.Errorf("Forward with %+v accepted", s)
		}
	}
	for _, s := range []STFT{{16, 1}, {16, 16}, {4096, 1024}} {
		if err := s.Validate(); err != nil {
			t.Errorf("%+v: %v", s, err)
		}
	}
	_, _, err := STFT{1024, 256}.Forward(make([]float64, 1000))
	if err == nil || !strings.Contains(err.Error(), "WAV of 1000 samples is shorter than one frame of 1024") {
		t.Errorf("short signal: %v", err)
	}
}

func TestSTFTShapeAndPeak(t *testing.T) {
	const rate, n, hop = 8000, 256, 64
	// A tone exactly on bin 20.
	freq := 20.0 * rate / n
	x := make([]float64, 2000)
	for i := range x {
		x[i] = 0.5 * math.Sin(2*math.Pi*freq*float64(i)/rate)
	}
	s := STFT{n, hop}
	mag, ph, err := s.Forward(x)
	if err != nil {
		t.Fatal(err)
	}
	frames := 1 + (2000-n)/hop
	if mag.Rows != n/2+1 || mag.Cols != frames || len(mag.Data) != mag.Rows*mag.Cols {
		t.Fatalf("magnitude %d×%d, want %d×%d", mag.Rows, mag.Cols, n/2+1, frames)
	}
	if ph.Freqs != mag.Rows || ph.Frames != frames || ph.Length != 2000 || len(ph.Angle) != len(mag.Data) {
		t.Fatalf("phase %+v", ph)
	}
	for tt := 0; tt < frames; tt++ {
		best := 0
		for f := 0; f < mag.Rows; f++ {
			if mag.Data[f*frames+tt] > mag.Data[best*frames+tt] {
				best = f
			}
		}
		if best != 20 {
			t.Fatalf("frame %d peaks at bin %d, want 20", tt, best)
		}
		// Hann window sum is n/2; a sine of amplitude a gives a·n/4.
		if got := mag.Data[20*frames+tt]; math.Abs(float64(got)-0.5*n/4) > 1e-3 {
			t.Fatalf("frame %d: peak %v, want %v", tt, got, 0.5*n/4)
		}
	}
}

func toDense64(m *backend.Dense[float32]) *backend.Dense[float64] {
	d := &backend.Dense[float64]{Rows: m.Rows, Cols: m.Cols, Data: make([]float64, len(m.Data))}
	for i, v := range m.Data {
		d.Data[i] = float64(v)
	}
	return d
}

func TestSTFTRoundTrip(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	x := make([]float64, 5000)
	for i := range x {
		x[i] = 0.6*math.Sin(float64(i)*0.05) + 0.3*(rng.Float64()*2-1)
	}
	for _, s := range []STFT{{1024, 256}, {512, 128}, {256, 64}, {64, 32}, {16, 3}} {
		mag, ph, err := s.Forward(x)
		if err != nil {
			t.Fatal(err)
		}
		y, err := s.Inverse(toDense64(mag), ph)
		if err != nil {
			t.Fatal(err)
		}
		if len(y) != len(x) {
			t.Fatalf("%+v: %d samples back, want %d", s, len(y), len(x))
		}
		// The interior: every sample covered by the windows' overlap.
		end := (ph.Frames-1)*s.Hop + s.FFTSize
		maxErr := 0.0
		for i := s.FFTSize; i < end-s.FFTSize; i++ {
			maxErr = math.Max(maxErr, math.Abs(y[i]-x[i]))
		}
		if maxErr > 1e-6 {
			t.Errorf("%+v: round trip error %g", s, maxErr)
		}
		for i := end; i < len(y); i++ {
			if y[i] != 0 {
				t.Fatalf("%+v: uncovered tail sample %d = %v", s, i, y[i])
			}
		}
	}
}

func TestInverseErrors(t *testing.T) {
	s := STFT{64, 16}
	mag, ph, err := s.Forward(make([]float64, 500))
	if err != nil {
		t.Fatal(err)
	}
	m := toDense64(mag)
	if _, err := (STFT{64, 32}).Inverse(m, ph); err == nil {
		t.Error("mismatched STFT accepted")
	}
	if _, err := s.Inverse(&backend.Dense[float64]{Rows: 3, Cols: 3, Data: make([]float64, 9)}, ph); err == nil {
		t.Error("mismatched magnitude accepted")
	}
	if _, err := s.Inverse(m, nil); err == nil {
		t.Error("nil phase accepted")
	}
	bad := *ph
	bad.Length = 10
	if _, err := s.Inverse(m, &bad); err == nil {
		t.Error("short length accepted")
	}
}

func TestSeparateSumsBack(t *testing.T) {
	const rate = 8000
	x := make([]float64, 6000)
	for i := range x {
		tt := float64(i) / rate
		x[i] = 0.4*math.Sin(2*math.Pi*440*tt) + 0.3*math.Sin(2*math.Pi*1200*tt)*float64(i/2000%2)
	}
	s := STFT{512, 128}
	mag32, ph, err := s.Forward(x)
	if err != nil {
		t.Fatal(err)
	}
	mag := toDense64(mag32)
	f, tf := mag.Rows, mag.Cols
	const k = 3
	rng := rand.New(rand.NewPCG(5, 6))
	W := make([]float64, f*k)
	H := make([]float64, k*tf)
	for i := range W {
		W[i] = rng.Float64()
	}
	for i := range H {
		H[i] = rng.Float64()
	}
	// Zero some of W·H so the 1/k fallback is exercised: rows 0..9 of W.
	for i := 0; i < 10*k; i++ {
		W[i] = 0
	}
	parts, err := Separate(mag.Data, ph, W, H, k)
	if err != nil {
		t.Fatal(err)
	}
	if len(parts) != k {
		t.Fatalf("%d parts", len(parts))
	}
	whole, err := s.Inverse(mag, ph)
	if err != nil {
		t.Fatal(err)
	}
	end := (ph.Frames-1)*s.Hop + s.FFTSize
	for i := range x {
		sum := 0.0
		for _, p := range parts {
			sum += p[i]
		}
		if math.Abs(sum-whole[i]) > 1e-9 {
			t.Fatalf("sample %d: parts sum to %v, resynthesis is %v", i, sum, whole[i])
		}
		if i >= s.FFTSize && i < end-s.FFTSize && math.Abs(sum-x[i]) > 1e-5 {
			t.Fatalf("sample %d: parts sum to %v, signal is %v", i, sum, x[i])
		}
	}
	if _, err := Separate(mag.Data, ph, W[:5], H, k); err == nil {
		t.Error("short W accepted")
	}
	if _, err := Separate(mag.Data, ph, W, H[:5], k); err == nil {
		t.Error("short H accepted")
	}
	if _, err := Separate(mag.Data[:5], ph, W, H, k); err == nil {
		t.Error("short X accepted")
	}
	if _, err := Separate(mag.Data, ph, W, H, 0); err == nil {
		t.Error("k = 0 accepted")
	}
}

// TestSeparateTwoTones checks that an exact two-component factorisation
// separates two tones that occupy different frequencies and times.
func TestSeparateTwoTones(t *testing.T) {
	const rate = 8000
	a := make([]float64, 8000)
	b := make([]float64, 8000)
	x := make([]float64, 8000)
	for i := range x {
		tt := float64(i) / rate
		a[i] = 0.4 * math.Sin(2*math.Pi*500*tt)
		if i >= 4000 {
			b[i] = 0.3 * math.Sin(2*math.Pi*2000*tt)
		}
		x[i] = a[i] + b[i]
	}
	s := STFT{512, 128}
	mag32, ph, err := s.Forward(x)
	if err != nil {
		t.Fatal(err)
	}
	f, tf := mag32.Rows, mag32.Cols
	// W: component 0 covers bins below 62 (≈ 969 Hz), component 1 the rest;
	// H: the magnitude each component has in each frame.
	W := make([]float64, f*2)
	for i := 0; i < f; i++ {
		if i < 62 {
			W[i*2] = 1
		} else {
			W[i*2+1] = 1
		}
	}
	H := []float64{}
	H = append(H, make([]float64, 2*tf)...)
	for j := 0; j < tf; j++ {
		H[j], H[tf+j] = 1, 1
	}
	parts, err := Separate(toDense64(mag32).Data, ph, W, H, 2)
	if err != nil {
		t.Fatal(err)
	}
	var ea, eb, na, nb float64
	for i := 1024; i < 7000; i++ {
		ea += (parts[0][i] - a[i]) * (parts[0][i] - a[i])
		eb += (parts[1][i] - b[i]) * (parts[1][i] - b[i])
		na += a[i] * a[i]
		nb += b[i] * b[i]
	}
	if ea/na > 1e-3 || eb/nb > 1e-3 {
		t.Errorf("relative separation errors %g, %g", ea/na, eb/nb)
	}
}
