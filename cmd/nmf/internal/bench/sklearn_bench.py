# Times scikit-learn 1.2's NMF iterations on the matrices nmf bench wrote,
# one iteration at a time, exactly as _fit_multiplicative_update and
# _fit_coordinate_descent run their loop bodies (tol = 0: no error checks);
# and, for jobs of kind init or fit, _initialize_nmf(X, k, "nndsvda",
# random_state=0) or a whole NMF(k, random_state=0).fit_transform(X).
#
# A server, so that nmf bench can alternate its own rounds with ours on the
# same workload: reads one JSON job per line on stdin, runs it from the
# job's W0 and H0, and prints one JSON line with the per-iteration times
# (ms) after the warm-up. The inputs of the last job id stay loaded.
import json
import sys
import time

try:
    import numpy as np
    import scipy.sparse as sp
    import sklearn
    from sklearn.decomposition import NMF, _nmf
    from sklearn.utils import gen_batches
except Exception as e:  # noqa: BLE001
    print(json.dumps({"error": "scikit-learn unavailable: %s" % e}), flush=True)
    sys.exit(0)

EPS = np.finfo(np.float64).eps


def load_x(j):
    if j.get("sparse"):
        data = np.load(j["data"]).ravel()
        ind = np.load(j["indices"]).ravel().astype(np.int32)
        ptr = np.load(j["indptr"]).ravel().astype(np.int64)
        return sp.csr_matrix((data, ind, ptr), shape=(j["l"], j["n"]))
    return np.load(j["x"])


def mu_iter(X, W, H, beta, gamma):
    W, _, _, _ = _nmf._multiplicative_update_w(
        X, W, H, beta_loss=beta, l1_reg_W=0, l2_reg_W=0, gamma=gamma,
        H_sum=None, HHt=None, XHt=None, update_H=True)
    if beta < 1:
        W[W < EPS] = 0.0
    H = _nmf._multiplicative_update_h(
        X, W, H, beta_loss=beta, l1_reg_H=0, l2_reg_H=0, gamma=gamma)
    if beta <= 1:
        H[H < EPS] = 0.0
    return W, H


def run_start(j, X):
    """Times _initialize_nmf (kind init) or a whole default fit (kind fit)."""
    times = []
    for _ in range(j["warmup"] + j["repeats"]):
        t = time.perf_counter()
        if j["kind"] == "init":
            _nmf._initialize_nmf(X, j["k"], init="nndsvda", random_state=0)
        else:
            NMF(j["k"], random_state=0).fit_transform(X)
        times.append(time.perf_counter() - t)
    return [t * 1e3 for t in times[j["warmup"]:]]


def minibatch_run(j, X, W0, H0):
    """Passes of MiniBatchNMF._fit_transform's loop: every batch once per
    pass, _minibatch_step then _minibatch_convergence (tol 0, no
    no-improvement stop), from W0 and H0."""
    passes = j["warmup"] + j["repeats"]
    est = _nmf.MiniBatchNMF(n_components=W0.shape[1], init="custom", beta_loss=float(j["beta"]),
                            batch_size=j["batch_size"], tol=0.0, max_no_improvement=None, max_iter=passes)
    est._check_params(X)
    W, H = W0.copy(), H0.copy()
    H_buffer = H.copy()
    est._components_numerator = H.copy()
    est._components_denominator = np.ones(H.shape, dtype=H.dtype)
    est._ewa_cost, est._ewa_cost_min, est._no_improvement = None, None, 0
    n = X.shape[0]
    batches = list(gen_batches(n, est._batch_size))
    total, step, times = passes * len(batches), 0, []
    for _ in range(passes):
        t = time.perf_counter()
        for b in batches:
            cost = est._minibatch_step(X[b], W[b], H, True)
            est._minibatch_convergence(X[b], cost, H, H_buffer, n, step, total)
            H_buffer[:] = H
            step += 1
        times.append(time.perf_counter() - t)
    return [t * 1e3 for t in times[j["warmup"]:]]


def run(j, X, W0, H0):
    if j.get("kind"):
        return run_start(j, X)
    W = W0.copy()
    H = H0.copy()
    times = []
    if j["solver"] == "minibatch":
        return minibatch_run(j, X, W0, H0)
    if j["solver"] == "cd":
        Ht = np.ascontiguousarray(H.T)
        rng = np.random.RandomState(0)
        for _ in range(j["warmup"] + j["repeats"]):
            t = time.perf_counter()
            _nmf._update_coordinate_descent(X, W, Ht, 0, 0, False, rng)
            _nmf._update_coordinate_descent(X.T, Ht, W, 0, 0, False, rng)
            times.append(time.perf_counter() - t)
    else:
        beta = float(j["beta"])
        if beta < 1:
            gamma = 1.0 / (2.0 - beta)
        elif beta > 2:
            gamma = 1.0 / (beta - 1.0)
        else:
            gamma = 1.0
        for _ in range(j["warmup"] + j["repeats"]):
            t = time.perf_counter()
            W, H = mu_iter(X, W, H, beta, gamma)
            times.append(time.perf_counter() - t)
    return [t * 1e3 for t in times[j["warmup"]:]]


def blas_info():
    """numpy's BLAS as threadpoolctl sees it, e.g. "openblas 0.3.21, core
    Prescott", or "" where threadpoolctl is missing."""
    try:
        from threadpoolctl import threadpool_info
    except ImportError:
        return ""
    return "; ".join("%s %s, core %s" % (i.get("internal_api"), i.get("version"), i.get("architecture"))
                     for i in threadpool_info() if i.get("user_api") == "blas")


def main():
    print(json.dumps({"version": sklearn.__version__, "blas": blas_info()}), flush=True)
    loaded, X, W0, H0 = None, None, None, None
    for line in sys.stdin:
        if not line.strip():
            continue
        j = json.loads(line)
        try:
            if j["id"] != loaded:
                X, W0, H0, loaded = None, None, None, None
                X = load_x(j)
                if "w" in j:
                    W0, H0 = np.load(j["w"]), np.load(j["h"])
                loaded = j["id"]
            out = {"id": j["id"], "times": run(j, X, W0, H0)}
        except Exception as e:  # noqa: BLE001
            out = {"id": j["id"], "error": "%s: %s" % (type(e).__name__, e)}
        print(json.dumps(out), flush=True)


main()
