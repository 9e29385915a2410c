package nmf_test

import (
	"context"
	"fmt"
	"log"

	"github.com/clnmf/clnmf/nmf"
)

// Factorise a small nonnegative matrix into two parts, read the factors,
// and express new rows in the parts found. The output is rounded so that
// it does not depend on the BLAS (OpenBLAS or gonum's) or on the device;
// scikit-learn 1.2.1's NMF(2, beta_loss="kullback-leibler", solver="mu",
// max_iter=1000) on the same X also stops after 60 iterations with
// reconstruction_err_ 2.418e-04. (The fit stops at iteration 60 because
// the error's drop over the last 10 iterations, relative to the first
// error, is 9.0e-5 < tol 1e-4: 10% from the threshold.)
func Example() {
	// Six rows made of two patterns over four columns:
	// (1, 2, 0, 1) and (0, 1, 3, 1), mixed in various amounts.
	x := &nmf.Dense[float64]{Rows: 6, Cols: 4, Data: []float64{
		1, 2, 0, 1,
		2, 4, 0, 2,
		0, 1, 3, 1,
		0, 2, 6, 2,
		1, 3, 3, 2,
		2, 5, 3, 3,
	}}

	opt := nmf.DefaultOptions() // scikit-learn's defaults: 200 iterations, tol 1e-4
	opt.Components = 2
	opt.Loss = nmf.KullbackLeibler // β = 1, solved by multiplicative updates
	opt.MaxIter = 1000
	opt.Device = "cpu"

	res, err := nmf.Fit(context.Background(), x, opt)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("W is %d×%d, H is %d×%d\n", res.W.Rows, res.W.Cols, res.H.Rows, res.H.Cols)
	fmt.Printf("solver %s, init %s, %d iterations\n", res.Params.Solver, res.Params.Init, res.NIter)
	fmt.Printf("reconstruction error %.1e\n", res.ReconstructionErr)

	// W·H reproduces X.
	wh, err := nmf.InverseTransform(res.W, res.H)
	if err != nil {
		log.Fatal(err)
	}
	for i := 0; i < 2; i++ {
		fmt.Printf("row %d: %.1f\n", i, wh.Data[i*wh.Cols:(i+1)*wh.Cols])
	}

	// New rows in terms of the two parts: H stays fixed, W is solved for.
	y := &nmf.Dense[float64]{Rows: 2, Cols: 4, Data: []float64{
		3, 6, 0, 3,
		1, 4, 6, 3,
	}}
	tr, err := nmf.Transform(context.Background(), y, res.H, opt)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("transform: W is %d×%d\n", tr.W.Rows, tr.W.Cols)
	back, _ := nmf.InverseTransform(tr.W, res.H)
	fmt.Printf("new row 1 rebuilt: %.1f\n", back.Data[4:8])
	// Output:
	// W is 6×2, H is 2×4
	// solver mu, init nndsvda, 60 iterations
	// reconstruction error 2.4e-04
	// row 0: [1.0 2.0 0.0 1.0]
	// row 1: [2.0 4.0 0.0 2.0]
	// transform: W is 2×2
	// new row 1 rebuilt: [1.0 4.0 6.0 3.0]
}

// Losses are named as in scikit-learn, or given by β.
func ExampleParseLoss() {
	for _, s := range []string{"frobenius", "kl", "itakura-saito", "1.5"} {
		l, err := nmf.ParseLoss(s)
		if err != nil {
			log.Fatal(err)
		}
		fmt.Printf("%s: β = %v (%s)\n", s, l.Beta(), l)
	}
	_, err := nmf.ParseLoss("euclid")
	fmt.Println(err)
	// Output:
	// frobenius: β = 2 (frobenius)
	// kl: β = 1 (kullback-leibler)
	// itakura-saito: β = 0 (itakura-saito)
	// 1.5: β = 1.5 (1.5)
	// invalid parameter: loss "euclid": want frobenius, kullback-leibler, itakura-saito, kl, is or a finite number
}
