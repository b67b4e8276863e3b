#!/usr/bin/env bash
# The exported C (nn::export_c) on microcontrollers: each header of FOLDER (float networks) built
# with Debian's arm-none-eabi-gcc into a bare-metal program for a Cortex-M4 (single-precision FPU,
# hard-float ABI) and a Cortex-M0 (no FPU: software floating point), strict C99 with warnings as
# errors, and the flash it adds to a program without it reported: in all, the weights, and the
# rest (predict's code, with libgcc's software floating point on the M0).
# Compiled and linked, not run. Exits 77 (skipped) without arm-none-eabi-gcc.
# Usage: cortex_m.sh <folder of exported .h files> <work folder> [name ...]
set -euo pipefail
headers=$1 work=$2
shift 2
if ! command -v arm-none-eabi-gcc >/dev/null; then
    echo "skipped: needs arm-none-eabi-gcc (apt-get install gcc-arm-none-eabi libnewlib-arm-none-eabi)"
    exit 77
fi
names=("$@")
[ ${#names[@]} -gt 0 ] || names=($(cd "$headers" && ls *.h | sed 's/\.h$//'))
mkdir -p "$work"
flash() { # the bytes a program puts in flash: code, read-only data, initial data
    arm-none-eabi-size -A "$1" | awk '$1 == ".text" || $1 == ".rodata" || $1 == ".data" || $1 ~ /^\.ARM/ {s += $2} END {print s}'
}
build() { # build <core> <source> <elf>
    case $1 in
        m4f) flags="-mcpu=cortex-m4 -mthumb -mfloat-abi=hard -mfpu=fpv4-sp-d16" ;;
        m0) flags="-mcpu=cortex-m0 -mthumb -mfloat-abi=soft" ;;
    esac
    # shellcheck disable=SC2086
    arm-none-eabi-gcc $flags -std=c99 -Os -Wall -Wextra -Werror -pedantic -ffunction-sections -fdata-sections \
        -I"$headers" "$2" -o "$3" --specs=nano.specs --specs=nosys.specs -Wl,--gc-sections
}
# The same program without a network: what start-up code and the buffers cost, subtracted below.
cat > "$work/empty.c" <<C
float nn_in[64];
volatile float nn_out[16];
int main(void) {
    int o;
    for (o = 0; o < 16; ++o) nn_out[o] = nn_in[o];
    return 0;
}
C
for core in m4f m0; do build $core "$work/empty.c" "$work/empty_$core.elf"; done
printf '%-18s %-5s %12s %12s %12s\n' network core "flash bytes" "weights" "code"
for name in "${names[@]}"; do
    cat > "$work/$name.c" <<C
#include "$name.h"
/* The inputs and outputs where a debugger or the rest of a firmware would find them. */
float nn_in[64];
volatile float nn_out[16];
int main(void) {
    float out[16];
    int o;
    ${name}_predict(nn_in, out);
    for (o = 0; o < 16; ++o) nn_out[o] = out[o];
    return 0;
}
C
    for core in m4f m0; do
        elf=$work/${name}_$core.elf
        build $core "$work/$name.c" "$elf"
        added=$(( $(flash "$elf") - $(flash "$work/empty_$core.elf") ))
        weights=0
        while read -r _ size type symbol; do
            case $type$symbol in [rR]${name}_*) weights=$((weights + 16#$size)) ;; esac
        done < <(arm-none-eabi-nm -S "$elf" | awk 'NF == 4')
        printf '%-18s %-5s %12d %12d %12d\n' "$name" "$core" "$added" "$weights" $((added - weights))
    done
done
