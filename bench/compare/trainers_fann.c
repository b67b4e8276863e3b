/* FANN's own full-batch trainer, as its users call it: fann_create_standard, sigmoid hidden and
 * output layers, fann_train_on_data with FANN's defaults (FANN_TRAIN_RPROP, i.e. iRPROP-, and
 * FANN's default error function and RPROP settings) for a fixed number of epochs, then the MSE
 * on the test file (fann_test_data).
 *     trainers_fann <train file> <test file> <epochs> <hidden> [hidden ...]
 * Prints "<test MSE> <seconds of training>". */
#define _POSIX_C_SOURCE 200809L /* clock_gettime under -std=c11 */
#include <floatfann.h>
#include <stdio.h>
#include <stdlib.h>

#include "timing.h"

int main(int argc, char** argv) {
    if (argc < 5) {
        fprintf(stderr, "usage: %s <train> <test> <epochs> <hidden> [hidden ...]\n", argv[0]);
        return 2;
    }
    struct fann_train_data* train = fann_read_train_from_file(argv[1]);
    struct fann_train_data* test = fann_read_train_from_file(argv[2]);
    if (!train || !test) return 1;
    const unsigned epochs = (unsigned)atoi(argv[3]);
    unsigned arch[8], layers = 0;
    arch[layers++] = fann_num_input_train_data(train);
    for (int a = 4; a < argc && layers < 7; ++a) arch[layers++] = (unsigned)atoi(argv[a]);
    arch[layers++] = fann_num_output_train_data(train);
    struct fann* ann = fann_create_standard_array(layers, arch);
    fann_set_activation_function_hidden(ann, FANN_SIGMOID);
    fann_set_activation_function_output(ann, FANN_SIGMOID);
    const double start = now();
    fann_train_on_data(ann, train, epochs, 0, 0.0f);
    const double seconds = now() - start;
    fann_reset_MSE(ann);
    const float mse = fann_test_data(ann, test);
    printf("%.9g %.9g\n", (double)mse, seconds);
    fann_destroy(ann);
    fann_destroy_train(train);
    fann_destroy_train(test);
    return 0;
}
