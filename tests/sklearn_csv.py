"""Every CSV file Debian's python3-sklearn ships, read by nn::read_csv as a newcomer would (no
options, then the option each error names), compared number for number with scikit-learn's own
loaders. Exits 77 (skipped) without scikit-learn.
Usage: sklearn_csv.py <sklearn_csv binary> <work folder>"""
import gzip
import os
import subprocess
import sys

try:
    import numpy as np
    import sklearn
    from sklearn import datasets
except ImportError:
    print("skipped: scikit-learn is not installed (apt-get install python3-sklearn)")
    sys.exit(77)

binary, work = sys.argv[1], sys.argv[2]
folder = os.path.join(os.path.dirname(datasets.__file__), "data")
os.makedirs(work, exist_ok=True)

SKIP, VALUES, NONE = ".skip_rows = 1", ".targets = nn::CsvTargets::Values", ".targets = nn::CsvTargets::None"
iris, wine, cancer, digits = (datasets.load_iris(), datasets.load_wine(), datasets.load_breast_cancer(),
                              datasets.load_digits())
diabetes = datasets.load_diabetes(scaled=False)
linnerud = datasets.load_linnerud()
boston = np.loadtxt(os.path.join(folder, "boston_house_prices.csv"), delimiter=",", skiprows=2)
# file: (the options read_csv's errors lead to, X, then the class of each row or the values of Y)
expected = {
    "iris.csv": ([SKIP], iris.data, iris.target),
    "wine_data.csv": ([SKIP], wine.data, wine.target),
    "breast_cancer.csv": ([SKIP], cancer.data, cancer.target),
    "digits.csv.gz": ([], digits.data, digits.target),
    # two problems, each error naming its option: a line of counts before the header, and a
    # target of fractions
    "boston_house_prices.csv": ([SKIP, VALUES], boston[:, :13], boston[:, 13:]),
    "diabetes_data_raw.csv.gz": ([VALUES], diabetes.data[:, :9], diabetes.data[:, 9:]),
    "diabetes_target.csv.gz": ([NONE], diabetes.target[:, None], np.zeros((442, 0))),
    "linnerud_exercise.csv": ([VALUES], linnerud.data[:, :2], linnerud.data[:, 2:]),
    "linnerud_physiological.csv": ([VALUES], linnerud.target[:, :2], linnerud.target[:, 2:]),
}
shipped = sorted(f for f in os.listdir(folder) if f.endswith((".csv", ".csv.gz")))
failures = 0
if sorted(expected) != shipped:
    print(f"scikit-learn {sklearn.__version__} ships {shipped}; this test knows {sorted(expected)}")
    failures += 1


def matrix(lines, at):
    rows, cols = map(int, lines[at].split()[1:])
    return np.array([[float(v) for v in lines[at + 1 + i].split()] for i in range(rows)]).reshape(rows, cols), at + 1 + rows


for name in sorted(set(expected) & set(shipped)):
    path = os.path.join(folder, name)
    if name.endswith(".gz"):
        path = os.path.join(work, name[:-3])
        with gzip.open(os.path.join(folder, name), "rb") as src, open(path, "wb") as dst:
            dst.write(src.read())
    run = subprocess.run([binary, path], capture_output=True, text=True)
    options, X, y = expected[name]
    if run.returncode != 0:
        print(f"{name}: FAILED, read_csv gave up:\n{run.stderr}")
        failures += 1
        continue
    lines = run.stdout.splitlines()
    got_options = [o for o in (SKIP, VALUES, NONE) if o in lines[0]]
    got_options.sort(key=lines[0].index)
    got_X, at = matrix(lines, 1)
    got_Y, at = matrix(lines, at)
    problems = []
    if got_options != options:
        problems.append(f"options {got_options}, expected {options}")
    if got_X.shape != X.shape or not np.array_equal(got_X, X):
        problems.append(f"X {got_X.shape} differs from scikit-learn's {X.shape}")
    if y.ndim == 1:  # classes: Y one-hot, in the order of the numeric labels
        if got_Y.shape != (len(y), y.max() + 1) or not np.array_equal(got_Y.argmax(axis=1), y):
            problems.append(f"Y {got_Y.shape} is not scikit-learn's {y.max() + 1} classes")
    elif got_Y.shape != y.shape or not np.array_equal(got_Y, y):
        problems.append(f"Y {got_Y.shape} differs from scikit-learn's {y.shape}")
    print(f"{name}: {'ok' if not problems else 'FAILED: ' + '; '.join(problems)} "
          f"({len(options)} option{'s' if len(options) != 1 else ''}: {', '.join(options) or 'none'}; "
          f"X {X.shape[0]}x{X.shape[1]})")
    for line in run.stderr.splitlines():
        print("    " + line)
    failures += bool(problems)
sys.exit(1 if failures else 0)
