#!/usr/bin/env bash
# Installing the headers needs no build: configure nn's sources with the defaults, install without
# building anything, and build a program with the installed pkg-config file alone; nn::compiled is
# neither built nor installed unless asked for. With a second prefix, one where nn was installed
# with NN_BUILD_COMPILED=ON, a program is also built and run with nn-compiled.pc.
# Usage: install.sh SOURCE_DIR WORK_DIR CXX [COMPILED_PREFIX]   (CXXFLAGS: the build's flags)
set -euo pipefail
source=$1 work=$2 cxx=$3 compiled=${4:-}
rm -rf "$work"
cmake -S "$source" -B "$work/build" >/dev/null
cmake --install "$work/build" --prefix "$work/prefix"
if find "$work/prefix" "$work/build" -name 'libnn_compiled*' | grep -q .; then
    echo "FAILED: nn::compiled was built or installed without NN_BUILD_COMPILED" >&2
    exit 1
fi
flags=$(PKG_CONFIG_PATH="$work/prefix/share/pkgconfig" pkg-config --cflags nn)
echo "pkg-config --cflags nn: $flags"
"$cxx" -std=c++20 ${CXXFLAGS:-} $flags "$source/tests/cmake/consumer.cpp" -o "$work/consumer"
"$work/consumer"
echo "passed: installed without a build; pkg-config --cflags nn builds tests/cmake/consumer.cpp"
if [ -n "$compiled" ]; then
    export PKG_CONFIG_PATH="$compiled/${NN_LIBDIR:-lib}/pkgconfig"
    echo "pkg-config --cflags --libs nn-compiled: $(pkg-config --cflags --libs nn-compiled)"
    "$cxx" -std=c++20 ${CXXFLAGS:-} $(pkg-config --cflags nn-compiled) "$source/tests/cmake/consumer.cpp" \
        $(pkg-config --libs nn-compiled) -o "$work/consumer_compiled"
    "$work/consumer_compiled"
    echo "passed: pkg-config nn-compiled builds the same program against the installed library"
fi
