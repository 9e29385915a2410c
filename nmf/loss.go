package nmf

import (
	"fmt"
	"math"
	"strconv"
	"strings"
)

// Loss is the β of the β-divergence minimised. The zero value is Frobenius
// (β = 2), scikit-learn's default.
type Loss struct {
	beta float64
	set  bool
}

var (
	Frobenius       = Loss{2, true} // β = 2: half the squared Frobenius norm
	KullbackLeibler = Loss{1, true} // β = 1: generalised Kullback-Leibler
	ItakuraSaito    = Loss{0, true} // β = 0: Itakura-Saito
)

// Beta returns the loss of the β-divergence for any real β.
func Beta(beta float64) Loss { return Loss{beta, true} }

// Beta returns β.
func (l Loss) Beta() float64 {
	if !l.set {
		return 2
	}
	return l.beta
}

// String returns the loss's scikit-learn name, or β as a number.
func (l Loss) String() string {
	switch l.Beta() {
	case 2:
		return "frobenius"
	case 1:
		return "kullback-leibler"
	case 0:
		return "itakura-saito"
	}
	return strconv.FormatFloat(l.Beta(), 'g', -1, 64)
}

// ParseLoss accepts frobenius, kullback-leibler (kl), itakura-saito (is) or
// a number β.
func ParseLoss(s string) (Loss, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "frobenius", "fro":
		return Frobenius, nil
	case "kullback-leibler", "kl":
		return KullbackLeibler, nil
	case "itakura-saito", "is":
		return ItakuraSaito, nil
	}
	b, err := strconv.ParseFloat(strings.TrimSpace(s), 64)
	if err != nil || math.IsNaN(b) || math.IsInf(b, 0) {
		return Loss{}, fmt.Errorf("%w: loss %q: want frobenius, kullback-leibler, itakura-saito, kl, is or a finite number", ErrInvalid, s)
	}
	return Beta(b), nil
}
