/* bench_inference's networks as exported C (bench_inference_export writes the headers), compiled
 * as C99, each behind a function of external linkage the benchmark calls. */
#include "s2_3_3_1.h"
#include "s8_16_16_1.h"
#include "s32_64_64_8.h"
#include "s784_256_128_10.h"

void c_s2_3_3_1(const float* in, float* out) { s2_3_3_1_predict(in, out); }
void c_s8_16_16_1(const float* in, float* out) { s8_16_16_1_predict(in, out); }
void c_s32_64_64_8(const float* in, float* out) { s32_64_64_8_predict(in, out); }
void c_s784_256_128_10(const float* in, float* out) { s784_256_128_10_predict(in, out); }
