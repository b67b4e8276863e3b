/* genann (github.com/codeplea/genann, a single C file; not packaged by Debian): median
 * microseconds of one genann_train call (one forward and backward pass and one weight update) on
 * a 4-4-3 sigmoid network in double, genann's iris recipe, on data of the shape sample_nn.cpp and
 * sample_fann.c train on (150 samples of 4 inputs drawn uniformly from [0, 1], 3 one-hot classes;
 * each draws its own). Built by run.sh only when GENANN names a checkout of genann. */
#define _POSIX_C_SOURCE 199309L
#include <genann.h>
#include <stdio.h>
#include <stdlib.h>

#include "timing.h"

int main(void) {
    srand(1);
    genann* ann = genann_init(4, 1, 4, 3); /* its weights drawn from rand(), as genann's examples do */
    double X[150][4], Y[150][3] = {{0}};
    for (int i = 0; i < 150; ++i) {
        for (int j = 0; j < 4; ++j) X[i][j] = (double)rand() / RAND_MAX;
        Y[i][i % 3] = 1;
    }
    enum { steps = 150000, rounds = 9 };
    double times[rounds];
    for (int r = 0; r < rounds; ++r) {
        const double start = now();
        for (long s = 0; s < steps; ++s) genann_train(ann, X[s % 150], Y[s % 150], 0.01);
        times[r] = (now() - start) / steps;
    }
    qsort(times, rounds, sizeof times[0], compare_doubles);
    printf("sample %.6g\n", 1e6 * times[rounds / 2]);
    genann_free(ann);
    return 0;
}
