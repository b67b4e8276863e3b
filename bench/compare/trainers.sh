#!/usr/bin/env bash
# nn's full-batch trainers against FANN's own trainer and scikit-learn's L-BFGS, on FANN's
# benchmark datasets with the hidden layers of FANN's benchmark.sh. Prints two tables:
#  1. FANN's fann_train_on_data (RPROP, its default) against nn::IRprop (iRPROP-, FANN's RPROP
#     settings and starting weights): sigmoid layers, MSE, the same number of epochs on the whole
#     training set, test MSE and training time;
#  2. scikit-learn's MLPClassifier / MLPRegressor(solver="lbfgs") against nn::LBFGS: ReLU hidden
#     layers, the same loss, nn run for as many iterations as scikit-learn took (it stops on its
#     tolerance), test accuracy (classes) or MSE, and the time of the fit.
# Every figure is the median of ROUNDS runs (default 5), the runners alternating, each round from
# new starting weights: nn and scikit-learn from seed r (NN_SEED), FANN from a seed of its own.
# Usage: bench/compare/trainers.sh <folder with FANN's .train/.test files>   (Debian: libfann-dev,
#        python3-sklearn; builds into build-compare/)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
data=${1:?usage: trainers.sh FOLDER-WITH-THE-FANN-DATASETS}
out=$root/build-compare
mkdir -p "$out"
python=${NN_PYTHON:-/usr/bin/python3}
rounds=${ROUNDS:-5}
epochs=${EPOCHS:-300}
flags="-O3 -march=native -DNDEBUG -fopenmp"
g++ -std=c++20 $flags -I"$root/include" "$here/trainers_nn.cpp" -o "$out/trainers_nn"
gcc -std=c11 -O3 -march=native -DNDEBUG "$here/trainers_fann.c" -o "$out/trainers_fann" -lfloatfann -lm
median_of() { tr ' ' '\n' | grep -v '^$' | sort -g | awk '{v[NR] = $1} END {print NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2}'; }
sets=("building 16" "diabetes 4" "gene 4 2" "mushroom 32" "soybean 16 8" "thyroid 16 8" "two-spiral 20 10")
echo "CPU: $(lscpu | sed -n 's/^Model name: *//p'), $(nproc) cores; $(g++ --version | head -1); FANN $(dpkg-query -W -f '${Version}' libfann-dev 2>/dev/null); scikit-learn $("$python" -c 'import sklearn; print(sklearn.__version__)')"

echo
echo "1. FANN fann_train_on_data (RPROP) against nn::IRprop, $epochs epochs, sigmoid, MSE"
echo "| dataset | layers | FANN test MSE | nn test MSE | FANN s | nn s | nn/FANN time |"
echo "|---|---|---|---|---|---|---|"
for entry in "${sets[@]}"; do
    set -- $entry
    name=$1
    shift
    fann_t="" nn_t="" fann_m="" nn_m=""
    for ((r = 1; r <= rounds; ++r)); do
        read -r mse t < <("$out/trainers_fann" "$data/$name.train" "$data/$name.test" "$epochs" "$@")
        fann_t+="$t " fann_m+="$mse "
        read -r mse _ t _ < <(NN_SEED=$r "$out/trainers_nn" "$data/$name.train" "$data/$name.test" irprop fann "$epochs" "$@")
        nn_t+="$t " nn_m+="$mse "
    done
    ft=$(echo "$fann_t" | median_of) nt=$(echo "$nn_t" | median_of)
    fann_mse=$(echo "$fann_m" | median_of) nn_mse=$(echo "$nn_m" | median_of)
    printf "| %s | %s | %.4g | %.4g | %.3f | %.3f | %.3f |\n" "$name" "$*" "$fann_mse" "$nn_mse" "$ft" "$nt" \
        "$(awk -v a="$nt" -v b="$ft" 'BEGIN {print a / b}')"
done

echo
echo "2. scikit-learn (solver=\"lbfgs\", max_iter 200) against nn::LBFGS for as many iterations, ReLU (medians; iterations: scikit-learn's, nn's)"
echo "| dataset | layers | iterations | sklearn accuracy / MSE | nn accuracy / MSE | sklearn s | nn s | nn/sklearn time |"
echo "|---|---|---|---|---|---|---|---|"
for entry in "${sets[@]}"; do
    set -- $entry
    name=$1
    shift
    sk_t="" nn_t="" sk_m="" nn_m="" sk_a="" nn_a="" sk_i="" nn_i=""
    for ((r = 1; r <= rounds; ++r)); do
        read -r mse acc t iters < <(NN_SEED=$r "$python" "$here/trainers_sklearn.py" "$data/$name.train" "$data/$name.test" 200 "$@")
        sk_t+="$t " sk_m+="$mse " sk_a+="$acc " sk_i+="$iters "
        read -r mse acc t nn_iters < <(NN_SEED=$r "$out/trainers_nn" "$data/$name.train" "$data/$name.test" lbfgs sklearn "$iters" "$@")
        nn_t+="$t " nn_m+="$mse " nn_a+="$acc " nn_i+="$nn_iters "
    done
    st=$(echo "$sk_t" | median_of) nt=$(echo "$nn_t" | median_of)
    sk_mse=$(echo "$sk_m" | median_of) nn_mse=$(echo "$nn_m" | median_of)
    sk_acc=$(echo "$sk_a" | median_of) nn_acc=$(echo "$nn_a" | median_of)
    iters=$(echo "$sk_i" | median_of) nn_iters=$(echo "$nn_i" | median_of)
    if [ "$(echo "$sk_a" | cut -d' ' -f1)" = nan ]; then
        sk=$(printf "MSE %.4g" "$sk_mse") ours=$(printf "MSE %.4g" "$nn_mse")
    else
        sk=$(awk -v a="$sk_acc" 'BEGIN {printf "%.2f%%", 100 * a}') ours=$(awk -v a="$nn_acc" 'BEGIN {printf "%.2f%%", 100 * a}')
    fi
    printf "| %s | %s | %s (nn %s) | %s | %s | %.3f | %.3f | %.3f |\n" "$name" "$*" "$iters" "$nn_iters" "$sk" "$ours" \
        "$st" "$nt" "$(awk -v a="$nt" -v b="$st" 'BEGIN {print a / b}')"
done
