/* The clock and the sort of the C runners (fann_step.c, sample_fann.c, trainers_fann.c), which
 * define _POSIX_C_SOURCE before any include, for clock_gettime under -std=c11. */
#ifndef NN_BENCH_COMPARE_TIMING_H
#define NN_BENCH_COMPARE_TIMING_H

#include <time.h>

/* Seconds on the monotonic clock. */
static inline double now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* For qsort of doubles, ascending. */
static inline int compare_doubles(const void* a, const void* b) {
    const double x = *(const double*)a, y = *(const double*)b;
    return (x > y) - (x < y);
}

#endif
