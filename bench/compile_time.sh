#!/usr/bin/env bash
# Compile time of small programs that use nn, in every way a user can build them, against the
# smallest Eigen programs (Debian libeigen3-dev), at -O2: medians of 7 rounds, each round every
# program once, so that the ratios compare like with like on a noisy machine.
#   train, header-only:     a program that includes <nn/nn.hpp> and trains a step (the default)
#   train, single header:   the same with single_include/nn/nn.hpp alone on the include path
#   train, NN_COMPILED:     the same file in the compiled mode (its float and double code declared,
#                           not compiled; linked with the code compiled once, not timed)
#   NN_IMPLEMENTATION file: that code, compiled once per program (nn::compiled, or your own file)
#   train, network.hpp:     the same program including <nn/network.hpp> alone (all a step needs),
#                           header-only and in the compiled mode
#   predict, header-only:   a program that loads a saved network and runs predict
#   predict, NN_COMPILED:   the same in the compiled mode
#   StaticNN, loaded:       a program that includes <nn/static_file.hpp> alone, loads and runs
#                           (header-only, and in the compiled mode, where the file reader is
#                           compiled once)
#   StaticNN, no file:      a program that includes <nn/static_network.hpp> alone and runs a
#                           network whose parameters it holds
#   Predictor, loaded:      a program that includes <nn/static_file.hpp> alone, loads a network of
#                           any arch as an nn::Predictor and runs it
#   Predictor, no file:     a program that includes <nn/predictor.hpp> alone and runs a Predictor
#                           of parameters it holds
# Usage: [NN_H=/path/to/nn.h] bench/compile_time.sh [compiler]   (default g++)
set -euo pipefail
cxx=${1:-g++}
root=$(cd "$(dirname "$0")/.." && pwd)
eigen=/usr/include/eigen3
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

cat > "$work/train.cpp" <<'CPP'
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
sed 's|<nn/nn.hpp>|<nn/network.hpp>|' "$work/train.cpp" > "$work/train_network.cpp"
cat > "$work/predict.cpp" <<'CPP'
#include <nn/nn.hpp>
int main(int argc, char** argv) {
    const auto net = nn::load<float>(argc > 1 ? argv[1] : "net.safetensors");
    return net.predict({0.f, 1.f})[0] > 0.5f;
}
CPP
cat > "$work/static.cpp" <<'CPP'
#include <nn/static_file.hpp>
int main(int argc, char** argv) {
    const auto net = nn::load_static<nn::StaticNN<float, 2, 3, 1>>(argc > 1 ? argv[1] : "net.safetensors");
    return net.forward({0.f, 1.f})[0] > 0.5f;
}
CPP
cat > "$work/static_held.cpp" <<'CPP'
#include <nn/static_network.hpp>
constexpr float parameters[] = {1, -1, 0.5f, 2, 1, -1, 0, 0, 0, 1, -1, 1, 0};
constexpr nn::Activation activations[] = {nn::Activation::Tanh, nn::Activation::Sigmoid};
int main() {
    const nn::StaticNN<float, 2, 3, 1> net(parameters, activations);
    return net.forward({0.f, 1.f})[0] > 0.5f;
}
CPP
cat > "$work/predictor.cpp" <<'CPP'
#include <nn/static_file.hpp>
int main(int argc, char** argv) {
    const auto net = nn::load_predictor<float>(argc > 1 ? argv[1] : "net.safetensors");
    return net.predict({0.f, 1.f})[0] > 0.5f;
}
CPP
cat > "$work/predictor_held.cpp" <<'CPP'
#include <nn/predictor.hpp>
int main() {
    const nn::Predictor<float> net({2, 3, 1}, {nn::Activation::Tanh, nn::Activation::Sigmoid},
                                   {1, -1, 0.5f, 2, 1, -1, 0, 0, 0, 1, -1, 1, 0});
    return net.predict({0.f, 1.f})[0] > 0.5f;
}
CPP
printf '#define NN_IMPLEMENTATION\n#include <nn/nn.hpp>\n' > "$work/implementation.cpp"
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

# Every compiler run on one core (NN_COMPARE_CPU, the last by default), as bench/compare/run.sh:
# the cores of a shared host can differ (on the 2-core EPYC of 2026-12-07 by 1.2x for the compiler).
core=${NN_COMPARE_CPU:-$(($(nproc) - 1))}
seconds() { # wall seconds to run the compiler command given
    /usr/bin/time -f "%e" taskset -c "$core" "$@" -o "$work/a.out" 2>&1 >/dev/null | tail -1
}

include=-I"$root/include"
cxx20="$cxx -std=c++20 -O2"
$cxx20 "$include" -c "$work/implementation.cpp" -o "$work/implementation.o" # not timed
names=("train, header-only" "train, single header" "train, NN_COMPILED" "NN_IMPLEMENTATION file (once)"
       "train, network.hpp alone" "train, network.hpp, NN_COMPILED"
       "predict, header-only" "predict, NN_COMPILED" "StaticNN, loaded (<nn/static_file.hpp>)" "StaticNN, loaded, NN_COMPILED"
       "StaticNN, no file (<nn/static_network.hpp>)" "Predictor, loaded (<nn/static_file.hpp>)"
       "Predictor, no file (<nn/predictor.hpp>)")
commands=("$cxx20 $work/train.cpp $include" "$cxx20 $work/train.cpp -I$root/single_include"
          "$cxx20 $work/train.cpp $include -DNN_COMPILED $work/implementation.o"
          "$cxx20 $work/implementation.cpp $include -c" "$cxx20 $work/train_network.cpp $include"
          "$cxx20 $work/train_network.cpp $include -DNN_COMPILED $work/implementation.o"
          "$cxx20 $work/predict.cpp $include"
          "$cxx20 $work/predict.cpp $include -DNN_COMPILED $work/implementation.o" "$cxx20 $work/static.cpp $include"
          "$cxx20 $work/static.cpp $include -DNN_COMPILED $work/implementation.o" "$cxx20 $work/static_held.cpp $include"
          "$cxx20 $work/predictor.cpp $include" "$cxx20 $work/predictor_held.cpp $include")
# nn.h (github.com/tsoding/nn.h, a single C header; not packaged): NN_H=/path/to/nn.h adds its
# program that trains a step, compiled as C.
if [ -n "${NN_H:-}" ]; then
    cp "$NN_H" "$work/nn.h"
    cat > "$work/nn_h.c" <<'C'
#define NN_IMPLEMENTATION
#include "nn.h"
int main(void) {
    Region r = region_alloc_alloc(1 << 20);
    size_t arch[] = {2, 3, 1};
    NN nn = nn_alloc(&r, arch, 3);
    nn_rand(nn, -1, 1);
    Mat t = mat_alloc(&r, 1, 3);
    t.elements[0] = 0, t.elements[1] = 1, t.elements[2] = 1;
    nn_learn(nn, nn_backprop(&r, nn, t), 0.1f);
    return nn_cost(nn, t) > 1.f;
}
C
    names+=("nn.h (C, ${CC:-cc} -O2)")
    commands+=("${CC:-cc} -O2 $work/nn_h.c -lm")
fi
if [ -d "$eigen" ]; then
    names+=(eigen_core eigen_dense eigen_product)
    for program in eigen_core eigen_dense eigen_product; do commands+=("$cxx20 $work/$program.cpp -I$eigen"); done
fi
# Rounds of every program in turn, so that a slow spell of a shared machine slows all of them:
# each program's median over the rounds, and the median of its ratio to eigen_product per round.
for round in 1 2 3 4 5 6 7; do
    for i in "${!commands[@]}"; do
        # shellcheck disable=SC2086 # the command's words
        seconds ${commands[$i]} >> "$work/times.$i"
    done
    [ -d "$eigen" ] && for i in "${!commands[@]}"; do
        paste "$work/times.$i" "$work/times.$((${#commands[@]} - 1))" | tail -1 |
            awk '{ printf "%.4f\n", $1 / $2 }' >> "$work/ratios.$i"
    done
done
median() { sort -n "$1" | sed -n 4p; }
echo "$cxx -O2, $(lscpu | sed -n 's/^Model name: *//p' | head -1), cpu$core; medians of 7 rounds"
[ -d "$eigen" ] || echo "Eigen is not installed (apt-get install libeigen3-dev): no reference"
for i in "${!names[@]}"; do
    ratio=
    [ -d "$eigen" ] && ratio=$(median "$work/ratios.$i" | awk '{ printf "%.2fx eigen_product", $1 }')
    printf "%-38s %6s s  %s\n" "${names[$i]}" "$(median "$work/times.$i")" "$ratio"
done
