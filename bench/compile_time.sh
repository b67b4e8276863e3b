#!/usr/bin/env bash
# Compile time of small programs that use nn, in every way a user can build them, against the
# smallest Eigen programs (Debian libeigen3-dev), at -O2: the median of 7 runs each, one run of
# this script, so that the ratios compare like with like on a noisy machine.
#   train, header-only:     a program that includes <nn/nn.hpp> and trains a step (the default)
#   train, single header:   the same with single_include/nn/nn.hpp alone on the include path
#   train, NN_COMPILED:     the same file in the compiled mode (its float and double code declared,
#                           not compiled; linked with the code compiled once, not timed)
#   NN_IMPLEMENTATION file: that code, compiled once per program (nn::compiled, or your own file)
#   predict, header-only:   a program that loads a saved network and runs predict
#   predict, NN_COMPILED:   the same in the compiled mode
#   StaticNN:               a program that includes <nn/static_network.hpp> alone, loads and runs
# Usage: bench/compile_time.sh [compiler]   (default g++)
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
cat > "$work/predict.cpp" <<'CPP'
#include <nn/nn.hpp>
int main(int argc, char** argv) {
    const auto net = nn::load<float>(argc > 1 ? argv[1] : "net.safetensors");
    return net.predict({0.f, 1.f})[0] > 0.5f;
}
CPP
cat > "$work/static.cpp" <<'CPP'
#include <nn/static_network.hpp>
int main(int argc, char** argv) {
    const auto net = nn::StaticNN<float, 2, 3, 1>::load(argc > 1 ? argv[1] : "net.safetensors");
    return net.forward({0.f, 1.f})[0] > 0.5f;
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

median() { # seconds to compile $1 with the rest of the arguments, median of 7
    local program=$1
    shift
    for _ in 1 2 3 4 5 6 7; do
        /usr/bin/time -f "%e" "$cxx" -std=c++20 -O2 "$work/$program.cpp" "$@" -o "$work/a.out" 2>&1 >/dev/null | tail -1
    done | sort -n | sed -n 4p
}

include=-I"$root/include"
"$cxx" -std=c++20 -O2 "$include" -c "$work/implementation.cpp" -o "$work/implementation.o" # not timed
declare -a names times
add() { names+=("$1"); times+=("$2"); }
add "train, header-only" "$(median train "$include")"
add "train, single header" "$(median train -I"$root/single_include")"
add "train, NN_COMPILED" "$(median train "$include" -DNN_COMPILED "$work/implementation.o")"
add "NN_IMPLEMENTATION file (once)" "$(median implementation "$include" -c)"
add "predict, header-only" "$(median predict "$include")"
add "predict, NN_COMPILED" "$(median predict "$include" -DNN_COMPILED "$work/implementation.o")"
add "StaticNN (<nn/static_network.hpp>)" "$(median static "$include")"
if [ -d "$eigen" ]; then
    for program in eigen_core eigen_dense eigen_product; do add "$program" "$(median "$program" -I"$eigen")"; done
    reference=${times[-1]}
else
    echo "Eigen is not installed (apt-get install libeigen3-dev): no reference"
    reference=
fi
echo "$cxx -O2, median of 7 runs; $(lscpu | sed -n 's/^Model name: *//p' | head -1)"
for i in "${!names[@]}"; do
    ratio=
    [ -n "$reference" ] && ratio=$(awk -v a="${times[$i]}" -v b="$reference" 'BEGIN { printf "%.2fx eigen_product", a / b }')
    printf "%-38s %6s s  %s\n" "${names[$i]}" "${times[$i]}" "$ratio"
done
