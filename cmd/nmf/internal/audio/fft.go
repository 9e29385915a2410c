package audio

import (
	"math"
	"math/bits"
)

// fft is a precomputed iterative radix-2 FFT of one power-of-two size.
type fft struct {
	n       int
	twiddle []complex128 // twiddle[j] = exp(-2πi j/n), j < n/2
	rev     []int        // bit-reversal permutation
}

func newFFT(n int) *fft {
	f := &fft{n: n, twiddle: make([]complex128, n/2), rev: make([]int, n)}
	for j := range f.twiddle {
		s, c := math.Sincos(-2 * math.Pi * float64(j) / float64(n))
		f.twiddle[j] = complex(c, s)
	}
	shift := bits.UintSize - bits.TrailingZeros(uint(n))
	for i := range f.rev {
		f.rev[i] = int(bits.Reverse(uint(i)) >> shift)
	}
	return f
}

// transform computes the DFT of x in place: X[k] = Σ x[j] exp(∓2πi jk/n),
// with the minus sign when inverse is false. The inverse is not scaled.
func (f *fft) transform(x []complex128, inverse bool) {
	n := f.n
	for i, j := range f.rev {
		if i < j {
			x[i], x[j] = x[j], x[i]
		}
	}
	for size := 2; size <= n; size <<= 1 {
		half := size >> 1
		step := n / size
		for start := 0; start < n; start += size {
			for j := 0; j < half; j++ {
				w := f.twiddle[j*step]
				if inverse {
					w = complex(real(w), -imag(w))
				}
				a := x[start+j]
				b := x[start+j+half] * w
				x[start+j] = a + b
				x[start+j+half] = a - b
			}
		}
	}
}
