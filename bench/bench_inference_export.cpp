// Writes bench_inference's networks as C headers (nn::export_c) into the folder given, one per
// shape, for bench/inference_c.c.
#include <cstdio>
#include <string>

#include "inference_nets.hpp"

int main(int argc, char** argv) {
    if (argc != 2) {
        std::fprintf(stderr, "usage: bench_inference_export FOLDER\n");
        return 2;
    }
    for (const bench::InferenceShape& s : bench::inference_shapes())
        nn::export_c(bench::inference_net(s), std::string(argv[1]) + "/" + s.name + ".h", s.name);
    return 0;
}
