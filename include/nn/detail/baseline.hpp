// nn/detail/baseline.hpp: the baseline target's vectors (simd.hpp) and one-sample rows (rows.hpp),
// in nn::detail::baseline: what nn::StaticNN runs, without the rest of the kernels, which
// kernels.hpp adds to the same namespace.
#pragma once

#include <cstring>
#include <type_traits>

#include <nn/activation.hpp>
#include <nn/detail/simd.hpp>

#define NN_DETAIL_TARGET_BYTES NN_DETAIL_BASELINE_BYTES
namespace nn::detail::baseline {
#include <nn/detail/simd.hpp> // first: the vector types of the target

#include <nn/detail/rows.hpp>
} // namespace nn::detail::baseline
#undef NN_DETAIL_TARGET_BYTES
