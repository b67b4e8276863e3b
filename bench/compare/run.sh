#!/usr/bin/env bash
# Builds and runs the four reference workloads (xor, adder, mnist, wide) with nn, FANN and
# PyTorch, one training step each, and prints median microseconds per step, nn's ratio to the
# fastest peer on one thread, and the references every rate is held to: this core's measured
# multiply-add peak (bench/fma_peak.cpp) and the GEMM rates of OpenBLAS (as PyTorch calls it) and
# Eigen. nn is built twice: with -march=native, and with plain -O2 as most users build, where its
# kernels are chosen at run time. A peer that is not installed is skipped with a note (Debian:
# libfann-dev, python3-torch, libopenblas0-pthread, libeigen3-dev); run as root, the script
# installs OpenBLAS itself, since PyTorch on the reference BLAS is no fair peer.
# Then genann's per-sample recipe against FANN's incremental training (sample_nn.cpp, sample_fann.c)
# and, with GENANN=/path/to/genann, genann's own (sample_genann.c).
# Usage: bench/compare/run.sh [workload|sample]      (from anywhere; builds into build-compare/)
# NN_COMPARE_CPU: the core of the one-thread runners (default: the last); NN_COMPARE_ROUNDS: rounds (5).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
out=$root/build-compare
mkdir -p "$out"
only=${1:-}
cxx=${CXX:-g++} cc=${CC:-gcc} python=${NN_PYTHON:-/usr/bin/python3}
flags="-O3 -march=native -DNDEBUG" # as CMake's Release build, plus this machine's instruction set
notes=()
# Every one-thread runner on the same core: the cores of a shared host differ (on the 2-core EPYC of
# 2026-12-07, cpu0 ran every runner's adder step 1.4x slower than cpu1, and half the launches of
# an unpinned process landed there).
# The two-thread runners' first thread, which runs what is not shared, on that core too.
core=${NN_COMPARE_CPU:-$(($(nproc) - 1))}
pin=(taskset -c "$core")
places="{$core}"
for ((c = 0; c < $(nproc); ++c)); do [ "$c" = "$core" ] || places+=",{$c}"; done

blas_lib() { readlink -f /usr/lib/x86_64-linux-gnu/libblas.so.3 2>/dev/null || echo none; }
case $(blas_lib) in
*openblas*) ;;
*)
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
        echo "installing OpenBLAS for PyTorch (apt-get install libopenblas0-pthread)"
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq libopenblas0-pthread >/dev/null
    fi
    ;;
esac

echo "building nn ($cxx $flags; -O2 alone; -fopenmp for two threads)"
$cxx -std=c++20 $flags -I"$root/include" "$here/nn_step.cpp" -o "$out/nn_step"
$cxx -std=c++20 -O2 -DNDEBUG -I"$root/include" "$here/nn_step.cpp" -o "$out/nn_step_o2"
$cxx -std=c++20 $flags -fopenmp -I"$root/include" "$here/nn_step.cpp" -o "$out/nn_step_omp"
$cxx -std=c++20 -O2 -march=native -ffp-contract=fast "$root/bench/fma_peak.cpp" -o "$out/fma_peak"
peak=$("${pin[@]}" "$out/fma_peak" | awk '{print $2}')
have_fann=false have_torch=false
if [ -f /usr/include/floatfann.h ]; then
    echo "building FANN's runner ($cc)"
    $cc -std=c11 $flags "$here/fann_step.c" -o "$out/fann_step" -lfloatfann -lm
    have_fann=true
else
    notes+=("FANN skipped: not installed (apt-get install libfann-dev)")
fi
"$python" -c "import torch" 2>/dev/null && have_torch=true
# OpenBLAS left to detect the CPU itself (its fastest kernels): OPENBLAS_CORETYPE and
# OPENBLAS_L2_SIZE, which this machine's environment may set, unset.
torch_env=(env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE)

# Every runner on the selected workloads, one process each; the tiny workloads, whose steps last
# under a millisecond, again in further rounds, the runners alternating, since on a shared machine
# one process's median can be off by half. Each workload's figure is the median over the rounds.
declare -A runs nn nn_o2 nn2 fann torch1 torch2
collect() { # collect RUNNER COMMAND...: adds each "workload microseconds" line the command prints
    local runner=$1 name us
    shift
    while read -r name us; do
        if [ "$name" = kernels ]; then runs[$runner kernels]=$us; else runs[$runner $name]+="$us "; fi
    done < <("$@")
}
measure() { # measure [workload]
    collect nn "${pin[@]}" "$out/nn_step" "$@"
    collect nn_o2 "${pin[@]}" "$out/nn_step_o2" "$@"
    collect nn2 env OMP_NUM_THREADS=2 OMP_PLACES="$places" OMP_PROC_BIND=close "$out/nn_step_omp" "$@"
    if $have_fann; then collect fann "${pin[@]}" "$out/fann_step" "$@"; fi
    if $have_torch; then
        collect torch1 "${pin[@]}" "${torch_env[@]}" OPENBLAS_NUM_THREADS=1 "$python" "$here/torch_step.py" 1 "$@"
        collect torch2 "${torch_env[@]}" OPENBLAS_NUM_THREADS=2 "$python" "$here/torch_step.py" 2 "$@"
    fi
}
rounds=${NN_COMPARE_ROUNDS:-5}
echo "measuring (every workload once, xor and adder $rounds times)"
measure $only
for ((r = 1; r < rounds; ++r)); do
    for w in xor adder; do [ -z "$only" ] || [ "$only" = "$w" ] && measure $w; done
done
median() { tr ' ' '\n' | { grep . || true; } | sort -g | awk '{ v[NR] = $1 } END { if (NR) print v[int((NR + 1) / 2)] }'; }
for key in "${!runs[@]}"; do
    read -r runner name <<<"$key"
    declare -n into=$runner
    if [ "$name" = kernels ]; then into[kernels]=${runs[$key]}; else into[$name]=$(median <<<"${runs[$key]}"); fi
    unset -n into
done

openblas=""
if $have_torch; then
    # The BLAS the PyTorch process loaded, and its GEMM rate at the wide workload's forward shape.
    read -r torch_blas openblas < <("${pin[@]}" "${torch_env[@]}" OPENBLAS_NUM_THREADS=1 "$python" - <<'PY'
import statistics, time, torch
torch.set_num_threads(1)
a, b = torch.rand(256, 1024), torch.rand(1024, 1024)
torch.mm(a, b)
lib = next((l.split()[-1] for l in open("/proc/self/maps") if "blas" in l.lower()), "none")
rates = []
for _ in range(15):
    t0 = time.perf_counter()
    for _ in range(5):
        torch.mm(a, b)
    rates.append(2 * 256 * 1024 * 1024 * 5 / (time.perf_counter() - t0) / 1e9)
print(lib, "%.1f" % statistics.median(rates))
PY
)
    notes+=("PyTorch $("$python" -c "import torch; print(torch.__version__)") ran on $torch_blas")
    case $torch_blas in *openblas*) ;; *) notes+=("PyTorch is not on OpenBLAS here, an unfair peer: apt-get install libopenblas0-pthread") ;; esac
else
    notes+=("PyTorch skipped: not installed for $python (apt-get install python3-torch)")
fi

eigen=""
if [ -d /usr/include/eigen3 ]; then
    $cxx -std=c++20 $flags -I/usr/include/eigen3 "$here/eigen_gemm.cpp" -o "$out/eigen_gemm"
    eigen=$("${pin[@]}" "$out/eigen_gemm" | awk '{print $2}')
else
    notes+=("Eigen skipped: not installed (apt-get install libeigen3-dev)")
fi
notes+=("the classic single-header nn.h is not packaged by Debian: not measured")

cpu=$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')
isa=$(grep -m1 -o -w -E 'avx512f' /proc/cpuinfo || grep -m1 -o -w 'avx2' /proc/cpuinfo || echo sse2)
echo
echo "$(date -u +%Y-%m-%d), $cpu ($isa), $(nproc) cores; nn's kernels: ${nn[kernels]} (-march=native), ${nn_o2[kernels]} (-O2)"
echo "median microseconds per training step (float, sigmoid, one thread on cpu$core unless marked)"
printf "%-7s %10s %10s %8s %10s %10s %11s %11s %8s  %s\n" workload nn "nn -O2" "-O2/nat" "nn 2t" FANN "PyTorch 1t" "PyTorch 2t" "nn/best" "target (one thread)"
declare -A target=([xor]=0.5 [adder]=0.2 [mnist]=0.85 [wide]=0.85)
for w in xor adder mnist wide; do
    [ -n "${nn[$w]:-}" ] || continue
    # nn over the faster peer of the same round, the median over the rounds: pairs measured
    # seconds apart, which the machine's drift between rounds does not skew.
    ratio=$(awk -v nn="${runs[nn $w]}" -v fann="${runs[fann $w]:-}" -v torch="${runs[torch1 $w]:-}" 'BEGIN {
        r = split(nn, a, " "); split(fann, f, " "); split(torch, t, " "); k = 0
        for (i = 1; i <= r; ++i) {
            best = (i in f) ? f[i] : ""; if ((i in t) && (best == "" || t[i] < best)) best = t[i]
            if (best != "") q[++k] = a[i] / best
        }
        if (k == 0) { print "-"; exit }
        for (i = 1; i <= k; ++i) for (j = i + 1; j <= k; ++j) if (q[j] < q[i]) { x = q[i]; q[i] = q[j]; q[j] = x }
        printf "%.3f", q[int((k + 1) / 2)] }')
    verdict=$([ "$ratio" != "-" ] && awk -v r="$ratio" -v t="${target[$w]}" 'BEGIN { print (r <= t ? "<= " t " met" : "<= " t " MISSED") }' || echo "-")
    speed=$(awk -v a="${nn[$w]}" -v b="${nn_o2[$w]}" 'BEGIN { printf "%.2f", a / b }')
    printf "%-7s %10.4g %10.4g %8s %10.4g %10.4g %11.4g %11.4g %8s  %s\n" "$w" "${nn[$w]}" "${nn_o2[$w]}" "$speed" "${nn2[$w]:-0}" "${fann[$w]:-0}" "${torch1[$w]:-0}" "${torch2[$w]:-0}" "$ratio" "$verdict"
done
echo
echo "nn/best: nn's step over the faster peer's in the same round, the median over the rounds"
echo "-O2/nat: the -O2 build's speed as a fraction of the -march=native one (target >= 0.80 on mnist and wide)"
for w in xor adder mnist wide; do
    [ -n "${nn2[$w]:-}" ] && printf "two threads on %-6s %.2fx one thread\n" "$w" "$(awk -v a="${nn[$w]}" -v b="${nn2[$w]}" 'BEGIN { print a / b }')"
done
echo "(target: >= 1.7x on wide, never below 1.0x)"
if [ -n "${nn[wide]:-}" ]; then
    # 2 n n_l n_(l+1) flops per product: the forward's three, the weight gradient's three, and
    # the deltas passed down from the two upper layers (none to the inputs): eight products.
    rate=$(awk -v us="${nn[wide]}" 'BEGIN { printf "%.1f", 2 * 256 * 8 * 1024 * 1024 / (us * 1e-6) / 1e9 }')
    echo
    echo "GFLOP/s, one core, float: multiply-add peak $peak; nn's wide step $rate ($(awk -v a="$rate" -v b="$peak" 'BEGIN { printf "%.0f%%", 100 * a / b }') of the peak, target 80%)"
    echo "GEMM 256x1024 . 1024x1024: OpenBLAS (PyTorch's torch.mm) ${openblas:--}, Eigen ${eigen:--}"
fi

# Per-sample training, genann's iris recipe (4-4-3 sigmoid, double, one sample per step): nn's
# backprop + learn, built as above and as a user's plain -O3 build (kernels chosen at run time),
# against FANN's incremental fann_train and, with GENANN=/path/to/genann (a clone of
# github.com/codeplea/genann; not packaged), genann_train built as genann's Makefile builds it
# (-O3 -march=native) and with -O2, both with -DNDEBUG as nn (genann asserts in its sigmoid); and
# nn::train's fixed cost per epoch.
if [ -z "$only" ] || [ "$only" = sample ]; then
    $cxx -std=c++20 $flags -I"$root/include" "$here/sample_nn.cpp" -o "$out/sample_nn"
    $cxx -std=c++20 -O3 -DNDEBUG -I"$root/include" "$here/sample_nn.cpp" -o "$out/sample_nn_o3"
    runners=(nn "$out/sample_nn" nn_o3 "$out/sample_nn_o3")
    if $have_fann; then
        $cc -std=c11 $flags "$here/sample_fann.c" -o "$out/sample_fann" -ldoublefann -lm
        runners+=(fann "$out/sample_fann")
    fi
    if [ -n "${GENANN:-}" ]; then
        for g in "genann:$flags" "genann_o2:-O2 -DNDEBUG"; do
            $cc -std=c11 ${g#*:} -I"$GENANN" "$here/sample_genann.c" "$GENANN/genann.c" -o "$out/sample_${g%%:*}" -lm
            runners+=("${g%%:*}" "$out/sample_${g%%:*}")
        done
    fi
    declare -A sample
    for ((r = 0; r < rounds; ++r)); do # alternating, as above
        for ((i = 0; i < ${#runners[@]}; i += 2)); do
            while read -r name us; do sample[${runners[i]} $name]+="$us "; done < <("${pin[@]}" "${runners[i + 1]}")
        done
    done
    figure() { median <<<"${sample[$1 sample]:-}" | awk '{ printf "%.4g us", $1 } END { if (!NR) printf "-" }'; }
    step=$(median <<<"${sample[nn xor_step]}") fixed=$(median <<<"${sample[nn epoch_fixed]}")
    echo
    echo "per-sample training, 4-4-3 sigmoid, double (genann's iris recipe), medians of $rounds alternating runs:"
    echo "  one sample's backprop + learn, nn: $(figure nn) (-march=native), $(figure nn_o3) (-O3, kernels chosen at run time)"
    echo "  FANN's fann_train: $(figure fann)"
    if [ -n "${GENANN:-}" ]; then
        echo "  genann's genann_train: $(figure genann) ($flags: its Makefile's, asserts off), $(figure genann_o2) (-O2 -DNDEBUG)"
    else
        echo "  genann's genann_train: not measured (GENANN=/path/to/a/clone/of/github.com/codeplea/genann)"
    fi
    printf "  nn::train's fixed cost per epoch on xor: %.4g us, %.2f of a xor step (%.4g us; target < 0.10)\n" \
        "$fixed" "$(awk -v f="$fixed" -v s="$step" 'BEGIN { print f / s }')" "$step"
fi
for n in "${notes[@]}"; do echo "note: $n"; done
