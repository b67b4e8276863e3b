"""scikit-learn's L-BFGS trainer on one of FANN's datasets, for bench/compare/trainers.sh.

    trainers_sklearn.py <train file> <test file> <max_iter> <hidden> [hidden ...]

MLPClassifier(solver="lbfgs") for targets of 0s and 1s (the class is the argmax of the one-hot
row, or the single 0/1 target), else MLPRegressor(solver="lbfgs"); the other settings are
scikit-learn's defaults (ReLU, alpha 1e-4, tol 1e-4), as its users would call it, random_state
from NN_SEED (default 1). Prints
"<test MSE> <test accuracy or nan> <seconds of fit> <iterations>", the MSE as FANN counts it
(mean over samples and outputs; for a classifier, of predict_proba against the one-hot targets).
"""
import os
import sys
import time
import warnings

import numpy as np
from sklearn.exceptions import ConvergenceWarning
from sklearn.neural_network import MLPClassifier, MLPRegressor


def read_fann(path):
    tokens = open(path).read().split()
    n, i, o = (int(t) for t in tokens[:3])
    values = np.array(tokens[3:3 + n * (i + o)], dtype=np.float64).reshape(n, i + o)
    return values[:, :i], values[:, i:]


def main():
    (X, Y), (Xt, Yt) = read_fann(sys.argv[1]), read_fann(sys.argv[2])
    max_iter = int(sys.argv[3])
    hidden = tuple(int(h) for h in sys.argv[4:])
    seed = int(os.environ.get("NN_SEED", "1"))
    classes = bool(np.all((Y == 0) | (Y == 1)))
    warnings.simplefilter("ignore", ConvergenceWarning)
    if classes:
        model = MLPClassifier(hidden, solver="lbfgs", max_iter=max_iter, random_state=seed)
        y = Y.argmax(axis=1) if Y.shape[1] > 1 else Y[:, 0].astype(int)
    else:
        model = MLPRegressor(hidden, solver="lbfgs", max_iter=max_iter, random_state=seed)
        y = Y if Y.shape[1] > 1 else Y[:, 0]
    start = time.perf_counter()
    model.fit(X, y)
    seconds = time.perf_counter() - start
    if classes:
        p = model.predict_proba(Xt)
        if Yt.shape[1] == 1:
            p = p[:, 1:]
        mse = float(np.mean((p - Yt) ** 2))
        truth = Yt.argmax(axis=1) if Yt.shape[1] > 1 else Yt[:, 0].astype(int)
        accuracy = float(np.mean(model.predict(Xt) == truth))
    else:
        mse = float(np.mean((model.predict(Xt).reshape(Yt.shape) - Yt) ** 2))
        accuracy = float("nan")
    print(f"{mse:.9g} {accuracy:.9g} {seconds:.9g} {model.n_iter_}")


if __name__ == "__main__":
    main()
