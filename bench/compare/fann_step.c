/* FANN 2.2 (Debian libfann-dev): median microseconds per batch-training step on each workload.
 * One step = fann_train_epoch with FANN_TRAIN_BATCH over the whole batch: one forward and
 * backward pass per sample, then one weight update. Sigmoid everywhere, float (floatfann). */
#define _POSIX_C_SOURCE 199309L
#include <floatfann.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "timing.h"
#include "workloads.h"

int main(int argc, char** argv) {
    const char* only = argc > 1 ? argv[1] : NULL;
    for (size_t w = 0; w < sizeof compare_workloads / sizeof compare_workloads[0]; ++w) {
        const struct compare_workload* c = &compare_workloads[w];
        if (only && strcmp(only, c->name) != 0) continue;
        struct fann* ann = fann_create_standard_array((unsigned)c->layers, c->arch);
        fann_set_activation_function_hidden(ann, FANN_SIGMOID);
        fann_set_activation_function_output(ann, FANN_SIGMOID);
        fann_set_training_algorithm(ann, FANN_TRAIN_BATCH);
        fann_set_train_error_function(ann, FANN_ERRORFUNC_LINEAR);
        fann_set_learning_rate(ann, 0.01f);
        srand(1);
        fann_randomize_weights(ann, -0.1f, 0.1f);
        struct fann_train_data* data = fann_create_train(c->batch, c->arch[0], c->arch[c->layers - 1]);
        for (unsigned i = 0; i < c->batch; ++i) {
            for (unsigned j = 0; j < c->arch[0]; ++j) data->input[i][j] = (float)rand() / (float)RAND_MAX;
            for (unsigned j = 0; j < c->arch[c->layers - 1]; ++j) data->output[i][j] = (float)rand() / (float)RAND_MAX;
        }
        fann_train_epoch(ann, data); /* warm up */
        /* Steps per repetition: enough for about 20 ms. */
        const double t0 = now();
        fann_train_epoch(ann, data);
        const double one = now() - t0;
        const long steps = one > 0.02 ? 1 : (long)(0.02 / (one > 1e-9 ? one : 1e-9)) + 1;
        double times[32];
        for (int r = 0; r < c->repetitions; ++r) {
            const double start = now();
            for (long s = 0; s < steps; ++s) fann_train_epoch(ann, data);
            times[r] = (now() - start) / (double)steps;
        }
        qsort(times, (size_t)c->repetitions, sizeof times[0], compare_doubles);
        printf("%s %.6g\n", c->name, 1e6 * times[c->repetitions / 2]);
        fflush(stdout);
        fann_destroy_train(data);
        fann_destroy(ann);
    }
    return 0;
}
