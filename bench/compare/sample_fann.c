/* FANN 2.2 (Debian libfann-dev, doublefann): median microseconds of one fann_train call, FANN's
 * incremental training on one sample (one forward and backward pass and one weight update), on
 * a 4-4-3 sigmoid network in double: genann's iris recipe, as sample_nn.cpp runs it. */
#define _POSIX_C_SOURCE 199309L
#include <doublefann.h>
#include <stdio.h>
#include <stdlib.h>

#include "timing.h"

int main(void) {
    struct fann* ann = fann_create_standard(3, 4, 4, 3);
    fann_set_activation_function_hidden(ann, FANN_SIGMOID);
    fann_set_activation_function_output(ann, FANN_SIGMOID);
    fann_set_train_error_function(ann, FANN_ERRORFUNC_LINEAR);
    fann_set_learning_rate(ann, 0.01f);
    srand(1);
    fann_randomize_weights(ann, -0.5f, 0.5f);
    fann_type X[150][4], Y[150][3] = {{0}};
    for (int i = 0; i < 150; ++i) {
        for (int j = 0; j < 4; ++j) X[i][j] = (fann_type)rand() / RAND_MAX;
        Y[i][i % 3] = 1;
    }
    enum { steps = 150000, rounds = 9 };
    double times[rounds];
    for (int r = 0; r < rounds; ++r) {
        const double start = now();
        for (long s = 0; s < steps; ++s) fann_train(ann, X[s % 150], Y[s % 150]);
        times[r] = (now() - start) / steps;
    }
    qsort(times, rounds, sizeof times[0], compare_doubles);
    printf("sample %.6g\n", 1e6 * times[rounds / 2]);
    fann_destroy(ann);
    return 0;
}
