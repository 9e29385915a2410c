// Package randomstate is numpy's legacy generator, numpy.random.RandomState,
// as scikit-learn's check_random_state(seed) makes it for an integer seed:
// the MT19937 stream seeded by init_genrand, and the legacy draws built on it
// (random_sample, standard_normal by the polar method with its cached second
// value, normal, permutation and shuffle by masked rejection). The same seed
// gives the same numbers as numpy 1.24, draw for draw.
package randomstate

import (
	"fmt"
	"math"
)

const (
	n         = 624
	m         = 397
	matrixA   = 0x9908b0df
	upperMask = 0x80000000
	lowerMask = 0x7fffffff
)

// MaxSeed is the largest seed RandomState accepts, 2³² − 1.
const MaxSeed = math.MaxUint32

// State is one RandomState. The zero value is not usable; call New.
type State struct {
	key      [n]uint32
	pos      int
	hasGauss bool
	gauss    float64
}

// New returns RandomState(seed). numpy refuses seeds outside [0, 2³²), and
// so does New.
func New(seed uint64) (*State, error) {
	if seed > MaxSeed {
		return nil, fmt.Errorf("seed %d: want 0 ≤ seed < 2³² (numpy's RandomState)", seed)
	}
	s := &State{}
	s.Seed(uint32(seed))
	return s, nil
}

// Seed restarts the stream as RandomState(seed) (numpy's mt19937_seed, the
// reference init_genrand) and forgets a cached normal.
func (s *State) Seed(seed uint32) {
	v := seed
	for i := 0; i < n; i++ {
		s.key[i] = v
		v = 1812433253*(v^(v>>30)) + uint32(i) + 1
	}
	s.pos = n
	s.hasGauss, s.gauss = false, 0
}

// generate refills the key (mt19937_gen).
func (s *State) generate() {
	var y uint32
	i := 0
	for ; i < n-m; i++ {
		y = (s.key[i] & upperMask) | (s.key[i+1] & lowerMask)
		s.key[i] = s.key[i+m] ^ (y >> 1) ^ (-(y & 1) & matrixA)
	}
	for ; i < n-1; i++ {
		y = (s.key[i] & upperMask) | (s.key[i+1] & lowerMask)
		s.key[i] = s.key[i+(m-n)] ^ (y >> 1) ^ (-(y & 1) & matrixA)
	}
	y = (s.key[n-1] & upperMask) | (s.key[0] & lowerMask)
	s.key[n-1] = s.key[m-1] ^ (y >> 1) ^ (-(y & 1) & matrixA)
	s.pos = 0
}

// Uint32 returns the next 32 bits of the stream (mt19937_next32).
func (s *State) Uint32() uint32 {
	if s.pos == n {
		s.generate()
	}
	y := s.key[s.pos]
	s.pos++
	y ^= y >> 11
	y ^= (y << 7) & 0x9d2c5680
	y ^= (y << 15) & 0xefc60000
	y ^= y >> 18
	return y
}

// Float64 is random_sample's draw: a 53-bit double in [0, 1) from two words.
func (s *State) Float64() float64 {
	a := s.Uint32() >> 5
	b := s.Uint32() >> 6
	return (float64(a)*67108864 + float64(b)) / 9007199254740992
}

// StandardNormal is legacy_gauss: the polar method, whose second value is
// kept for the next call.
func (s *State) StandardNormal() float64 {
	if s.hasGauss {
		s.hasGauss = false
		g := s.gauss
		s.gauss = 0
		return g
	}
	var x1, x2, r2 float64
	for {
		x1 = 2*s.Float64() - 1
		x2 = 2*s.Float64() - 1
		r2 = x1*x1 + x2*x2
		if r2 < 1 && r2 != 0 {
			break
		}
	}
	f := math.Sqrt(-2 * math.Log(r2) / r2)
	s.gauss = f * x1
	s.hasGauss = true
	return f * x2
}

// Normal is legacy_normal: loc + scale·standard_normal.
func (s *State) Normal(loc, scale float64) float64 {
	return loc + scale*s.StandardNormal()
}

// FillNormal sets every element of dst to a standard normal draw, in order,
// as RandomState.standard_normal(size) and normal(size=…) fill an array
// (C order).
func (s *State) FillNormal(dst []float64) {
	for i := range dst {
		dst[i] = s.StandardNormal()
	}
}

// Interval returns a value in [0, max] uniformly (random_interval): the
// smallest all-ones mask covering max, 32-bit draws while max < 2³², 64-bit
// ones beyond, rejected until they fall in range.
func (s *State) Interval(max uint64) uint64 {
	if max == 0 {
		return 0
	}
	mask := max
	mask |= mask >> 1
	mask |= mask >> 2
	mask |= mask >> 4
	mask |= mask >> 8
	mask |= mask >> 16
	mask |= mask >> 32
	if max <= math.MaxUint32 {
		for {
			if v := uint64(s.Uint32()) & mask; v <= max {
				return v
			}
		}
	}
	for {
		// mt19937_next64: the first word is the high half.
		v := (uint64(s.Uint32())<<32 | uint64(s.Uint32())) & mask
		if v <= max {
			return v
		}
	}
}

// Shuffle permutes a in place as RandomState.shuffle does a 1-d array: for
// i from len−1 down to 1, swap a[i] with a[Interval(i)].
func (s *State) Shuffle(a []int) {
	for i := len(a) - 1; i > 0; i-- {
		j := s.Interval(uint64(i))
		a[i], a[j] = a[j], a[i]
	}
}

// Permutation sets perm to RandomState.permutation(len(perm)): the identity
// shuffled.
func (s *State) Permutation(perm []int) {
	for i := range perm {
		perm[i] = i
	}
	s.Shuffle(perm)
}
