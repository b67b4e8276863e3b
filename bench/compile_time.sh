#!/usr/bin/env bash
# Compile time of a small program that includes <nn/nn.hpp> and trains a step, against the
# smallest Eigen programs (Debian libeigen3-dev), at -O2: the median of 7 runs each. nn twice:
# header-only, and in the compiled mode (-DNN_COMPILED, linked with the library of
# src/compiled.cpp, built once beforehand and not timed, as nn::compiled is).
# Usage: bench/compile_time.sh [compiler]   (default g++)
set -euo pipefail
cxx=${1:-g++}
root=$(cd "$(dirname "$0")/.." && pwd)
eigen=/usr/include/eigen3
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

cat > "$work/nn.cpp" <<'CPP'
#include <nn/nn.hpp>
int main() {
    nn::NN<float> net({2, 3, 1});
    nn::Rng rng(1);
    net.randomize(rng, -1.f, 1.f);
    const nn::Matrix<float> X{{0, 1}}, Y{{1}};
    net.learn(net.backprop(X, Y), 0.1f);
    return net.cost(X, Y) > 1.f;
}
CPP
cat > "$work/eigen_core.cpp" <<'CPP'
#include <Eigen/Core>
int main() { Eigen::Matrix2f m; m.setZero(); return m(0, 0) > 1; }
CPP
cat > "$work/eigen_dense.cpp" <<'CPP'
#include <Eigen/Dense>
int main() { Eigen::MatrixXf a = Eigen::MatrixXf::Random(4, 4); return a(0, 0) > 2.0f; }
CPP
cat > "$work/eigen_product.cpp" <<'CPP'
#include <Eigen/Dense>
int main() {
    Eigen::MatrixXf a = Eigen::MatrixXf::Random(4, 4), b = Eigen::MatrixXf::Random(4, 4);
    Eigen::MatrixXf c = a * b;
    return c(0, 0) > 2.0f;
}
CPP

median() { # seconds to compile $1 (and link the rest of the arguments), median of 7
    local program=$1
    shift
    for _ in 1 2 3 4 5 6 7; do
        /usr/bin/time -f "%e" "$cxx" -std=c++20 -O2 -I"$root/include" -I"$eigen" "$work/$program.cpp" "$@" -o "$work/a.out" 2>&1 >/dev/null | tail -1
    done | sort -n | sed -n 4p
}

"$cxx" -std=c++20 -O2 -DNN_COMPILED -I"$root/include" -c "$root/src/compiled.cpp" -o "$work/compiled.o"
nn=$(median nn)
compiled=$(median nn -DNN_COMPILED "$work/compiled.o")
printf "%-40s %6s s\n" "nn: train one step (<nn/nn.hpp>)" "$nn"
printf "%-40s %6s s\n" "nn, compiled mode (nn::compiled)" "$compiled"
for program in eigen_core eigen_dense eigen_product; do
    [ -d "$eigen" ] || { echo "$program: skipped, Eigen is not installed (apt-get install libeigen3-dev)"; continue; }
    t=$(median "$program")
    printf "%-40s %6s s   nn / this = %s, compiled mode / this = %s\n" "$program" "$t" \
        "$(awk -v a="$nn" -v b="$t" 'BEGIN { printf "%.2f", a / b }')" "$(awk -v a="$compiled" -v b="$t" 'BEGIN { printf "%.2f", a / b }')"
done
