package nmf_test

import (
	"context"
	"fmt"
	"log"
	"math"
	"os"
	"path/filepath"

	"github.com/clnmf/clnmf/nmf"
	"github.com/clnmf/clnmf/nmf/nmfio"
)

// Factorise a small nonnegative matrix into two parts and read the
// factors. The output is rounded so that
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

	// Output:
	// W is 6×2, H is 2×4
	// solver mu, init nndsvda, 60 iterations
	// reconstruction error 2.4e-04
	// row 0: [1.0 2.0 0.0 1.0]
	// row 1: [2.0 4.0 0.0 2.0]
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

// parts is X of the examples: six samples (rows) of four features, each a
// mixture of (1, 2, 0, 1) and (0, 1, 3, 1).
func parts() *nmf.Dense[float64] {
	return &nmf.Dense[float64]{Rows: 6, Cols: 4, Data: []float64{
		1, 2, 0, 1,
		2, 4, 0, 2,
		0, 1, 3, 1,
		0, 2, 6, 2,
		1, 3, 3, 2,
		2, 5, 3, 3,
	}}
}

// fitParts is the fit of Example.
func fitParts() (*nmf.Result[float64], nmf.Options) {
	opt := nmf.Options{Components: 2, Loss: nmf.KullbackLeibler, MaxIter: 1000, Device: "cpu"}
	res, err := nmf.Fit(context.Background(), parts(), opt)
	if err != nil {
		log.Fatal(err)
	}
	return res, opt
}

// New samples as rows, in the parts found by a fit: H is held fixed and W
// solved for, as scikit-learn's NMF.transform.
func ExampleTransform() {
	res, opt := fitParts()
	y := &nmf.Dense[float64]{Rows: 2, Cols: 4, Data: []float64{
		3, 6, 0, 3, // three times the first pattern
		1, 4, 6, 3, // one of the first, two of the second
	}}
	tr, err := nmf.Transform(context.Background(), y, res.H, opt)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("W is %d×%d\n", tr.W.Rows, tr.W.Cols)
	back, _ := nmf.InverseTransform(tr.W, res.H)
	fmt.Printf("rebuilt: %.1f\n", back.Data)
	// Output:
	// W is 2×2
	// rebuilt: [3.0 6.0 0.0 3.0 1.0 4.0 6.0 3.0]
}

// New samples as columns (images as pixel columns, audio frames): W is held
// fixed and H solved for, the same as scikit-learn's transform of Xᵀ with
// components Wᵀ.
func ExampleTransform_holdW() {
	res, opt := fitParts()
	// A new feature measured on the same six samples: 2× the first pattern's
	// amounts plus 3× the second's.
	y := &nmf.Dense[float64]{Rows: 6, Cols: 1, Data: []float64{2, 4, 3, 6, 5, 7}}
	opt.Hold = nmf.HoldW
	tr, err := nmf.Transform(context.Background(), y, res.W, opt)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("H is %d×%d, W is the fit's: %v\n", tr.H.Rows, tr.H.Cols, tr.W.Data[0] == res.W.Data[0])
	back, _ := nmf.InverseTransform(res.W, tr.H)
	fmt.Printf("rebuilt: %.1f\n", back.Data)
	// Output:
	// H is 2×1, W is the fit's: true
	// rebuilt: [2.0 4.0 3.0 6.0 5.0 7.0]
}

// A sparse X in compressed sparse rows is never densified; it gives the
// dense fit's numbers.
func ExampleFit_sparse() {
	// The X of Example, with its zeros left out.
	x := &nmf.CSR[float64]{Rows: 6, Cols: 4,
		Indptr:  []int{0, 3, 6, 9, 12, 16, 20},
		Indices: []int{0, 1, 3, 0, 1, 3, 1, 2, 3, 1, 2, 3, 0, 1, 2, 3, 0, 1, 2, 3},
		Data:    []float64{1, 2, 1, 2, 4, 2, 1, 3, 1, 2, 6, 2, 1, 3, 3, 2, 2, 5, 3, 3},
	}
	opt := nmf.Options{Components: 2, Loss: nmf.KullbackLeibler, MaxIter: 1000, Device: "cpu"}
	sparse, err := nmf.Fit(context.Background(), x, opt)
	if err != nil {
		log.Fatal(err)
	}
	dense, _ := fitParts()
	d := 0.0
	for i := range dense.W.Data {
		d = max(d, math.Abs(dense.W.Data[i]-sparse.W.Data[i]))
	}
	fmt.Printf("%d stored entries, %d iterations as dense: %v, W within 1e-9: %v\n",
		x.NNZ(), sparse.NIter, sparse.NIter == dense.NIter, d < 1e-9)
	// Output:
	// 20 stored entries, 60 iterations as dense: true, W within 1e-9: true
}

// A fit from a given start (scikit-learn's init="custom"), in float32: the
// start has X's element type, and the fit computes in it.
func ExampleFitFrom() {
	x := nmf.Convert[float32](parts())
	w0 := &nmf.Dense[float32]{Rows: 6, Cols: 2, Data: []float32{1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 2}}
	h0 := &nmf.Dense[float32]{Rows: 2, Cols: 4, Data: []float32{1, 1, 1, 1, 1, 2, 1, 1}}
	opt := nmf.Options{Loss: nmf.KullbackLeibler, MaxIter: 1000, Device: "cpu"} // k from W0
	res, err := nmf.FitFrom(context.Background(), x, w0, h0, opt)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("init %s, k %d, %s, error below 0.01: %v\n",
		res.Params.Init, res.Params.Components, res.Params.Precision, res.ReconstructionErr < 0.01)
	// Output:
	// init custom, k 2, float32, error below 0.01: true
}

// The zero Options are scikit-learn's defaults; the zeros that are not
// defaults have names.
func ExampleOptions() {
	x := parts()
	res, err := nmf.Fit(context.Background(), x, nmf.Options{Components: 2, Device: "cpu"})
	if err != nil {
		log.Fatal(err)
	}
	p := res.Params
	fmt.Printf("defaults: solver %s, init %s, max_iter %d, tol %g\n", p.Solver, p.Init, p.MaxIter, p.Tol)

	opt := nmf.Options{Components: 2, Device: "cpu", MaxIter: nmf.NoIterations}
	start, _ := nmf.Fit(context.Background(), x, opt)
	fmt.Printf("NoIterations: %d iterations (the nndsvda start)\n", start.NIter)

	opt.SetStopping(25, 0) // scikit-learn's max_iter=25, tol=0
	full, _ := nmf.Fit(context.Background(), x, opt)
	fmt.Printf("tol 0: %d iterations\n", full.NIter)
	// Output:
	// defaults: solver cd, init nndsvda, max_iter 200, tol 0.0001
	// NoIterations: 0 iterations (the nndsvda start)
	// tol 0: 25 iterations
}

// MiniBatchNMF: the rows of X are walked in batches, H updated from running
// sums.
func ExampleFitMiniBatch() {
	opt := nmf.Options{Components: 2, Loss: nmf.KullbackLeibler, Device: "cpu"}
	mbo := nmf.DefaultMiniBatchOptions()
	mbo.BatchSize = 3
	res, err := nmf.FitMiniBatch(context.Background(), parts(), opt, mbo)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("W is %d×%d, H %d×%d, batches of %d rows, %d passes\n",
		res.W.Rows, res.W.Cols, res.H.Rows, res.H.Cols, res.MiniBatch.BatchSize, res.NIter)
	fmt.Printf("error %.1f\n", res.ReconstructionErr)
	// Output:
	// W is 6×2, H 2×4, batches of 3 rows, 35 passes
	// error 0.1
}

// Reading a matrix file with nmfio and fitting it: a float32 .npy stays
// float32.
func Example_readFile() {
	dir, err := os.MkdirTemp("", "nmf-example")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "x.npy")
	x := nmf.Convert[float32](parts())
	if err := nmfio.WriteNPY(path, x.Rows, x.Cols, x.Data); err != nil {
		log.Fatal(err)
	}

	in, err := nmfio.Read(path)
	if err != nil {
		log.Fatal(err) // a malformed file says where
	}
	defer in.Close()
	res, err := nmf.Fit(context.Background(), in.Dense32, nmf.Options{Components: 2, Device: "cpu"})
	if err != nil {
		log.Fatal(err)
	}
	rows, cols := in.Dims()
	fmt.Printf("%s %d×%d → W %d×%d %s\n", in.Kind, rows, cols, res.W.Rows, res.W.Cols, res.Params.Precision)
	// Output:
	// npy 6×4 → W 6×2 float32
}
