/* The four reference workloads of bench/compare, shared by the C, C++ and Python runners
 * (the Python side keeps its own copy of the same table). */
#ifndef NN_BENCH_COMPARE_WORKLOADS_H
#define NN_BENCH_COMPARE_WORKLOADS_H

struct compare_workload {
    const char* name;
    int layers;        /* entries in arch */
    unsigned arch[4];
    unsigned batch;
    int repetitions;   /* timed repetitions; the median is reported */
};

static const struct compare_workload compare_workloads[] = {
    {"xor", 3, {2, 2, 1, 0}, 4, 15},
    {"adder", 3, {10, 20, 6, 0}, 1024, 15},
    {"mnist", 4, {784, 256, 128, 10}, 128, 15},
    {"wide", 4, {1024, 1024, 1024, 1024}, 256, 7},
};

#endif
