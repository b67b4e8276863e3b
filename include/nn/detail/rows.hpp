// nn/detail/rows.hpp: the loops of one sample through a layer, which NN::forward's small products
// and nn::StaticNN share: one dense row (the layer's sums) and one softmax row. One copy per
// instruction set, like the kernels: kernels.hpp reads this file inside each target's namespace,
// and detail/baseline.hpp reads the baseline's copy alone, for StaticNN. It includes nothing itself.
#if !defined(NN_DETAIL_TARGET_BYTES)
#error "nn/detail/rows.hpp is read once per target: include <nn/detail/baseline.hpp> or <nn/detail/kernels.hpp>"
#endif

/// The integers of the shape of U, a vector of T or T itself: what the activations' bit tricks use.
template <class U, Real T>
using IntLanes =
    std::conditional_t<std::is_same_v<U, T>, SameSizeInt<T>, typename VectorOf<SameSizeInt<T>, sizeof(U)>::type>;

/// One dense row, the loop of a layer's forward pass for one sample that NN::forward's small
/// products and nn::StaticNN share: for `vectors` vectors of outputs and then `rest` single
/// outputs, j from 0, the sums z_j = sum over i < in of x[i] w[i * n + j], each an independent
/// chain in registers; the inputs split over `parts` chains of every parts-th input, added
/// pairwise at the end (parts = 1: input after input, the order NN::forward sums in). done(j, z)
/// is given each vector (j its first output) and each single output. The vectors are of `bytes`
/// bytes, the target's by default (a narrower one for the last few outputs of a layer). `in` may
/// be a std::integral_constant, for a fixed-size network's constant loop bounds.
template <std::size_t vectors, std::size_t rest, std::size_t parts, std::size_t bytes = vector_bytes, Real T, class In,
          class Done>
NN_DETAIL_ALWAYS_INLINE inline void dense_row(const T* __restrict x, const T* __restrict w, In in, std::size_t n,
                                              const Done& done) {
    using V = typename VectorOf<T, bytes>::type;
    constexpr std::size_t W = bytes / sizeof(T);
    V z[parts][vectors > 0 ? vectors : 1] = {};
    T t[parts][rest > 0 ? rest : 1] = {};
    const auto add_input = [&](std::size_t q, std::size_t i) NN_DETAIL_ALWAYS_INLINE {
        const T xi = x[i];
        const T* row = w + i * n;
        for (std::size_t k = 0; k < vectors; ++k) z[q][k] = NN_DETAIL_FUSED(z[q][k] + xi * load<V>(row + k * W));
        for (std::size_t k = 0; k < rest; ++k) t[q][k] = NN_DETAIL_FUSED(t[q][k] + xi * row[vectors * W + k]);
    };
    const std::size_t inputs = in, whole_rounds = inputs / parts * parts;
    for (std::size_t i = 0; i < whole_rounds; i += parts)
        for (std::size_t q = 0; q < parts; ++q) add_input(q, i + q);
    for (std::size_t q = 0; q < inputs - whole_rounds; ++q) add_input(q, whole_rounds + q);
    for (std::size_t half = parts / 2; half > 0; half /= 2) // (0 + 1) + (2 + 3), ...
        for (std::size_t q = 0; q < half; ++q) {
            for (std::size_t k = 0; k < vectors; ++k) z[q][k] = z[2 * q][k] + z[2 * q + 1][k];
            for (std::size_t k = 0; k < rest; ++k) t[q][k] = t[2 * q][k] + t[2 * q + 1][k];
        }
    for (std::size_t k = 0; k < vectors; ++k) done(k * W, z[0][k]);
    for (std::size_t k = 0; k < rest; ++k) done(vectors * W + k, t[0][k]);
}

/// a = softmax(z) for one row of n: a_j = e^(z_j - max z) / sum_k e^(z_k - max z), which cannot
/// overflow; the sum in order, so the bits do not depend on the vector width. a may be z. The
/// softmax of NN::forward and of nn::StaticNN.
template <Real T>
NN_DETAIL_ALWAYS_INLINE inline void softmax_row(const T* z, T* a, std::size_t n) {
    using V = typename Lanes<T>::Vector;
    T top = z[0];
    for (std::size_t j = 1; j < n; ++j) top = z[j] > top ? z[j] : top;
    by_vectors<V, T>(0, n, [&]<class U>(std::size_t j, U) NN_DETAIL_ALWAYS_INLINE {
        U x = load<U>(z + j) - top;
        exp_lanes<T, U, IntLanes<U, T>, true>(x); // (z_j - max z <= 0)
        store(a + j, x);
    });
    T sum = 0;
    for (std::size_t j = 0; j < n; ++j) sum += a[j];
    by_vectors<V, T>(0, n,
                     [&]<class U>(std::size_t j, U) NN_DETAIL_ALWAYS_INLINE { store(a + j, load<U>(a + j) / sum); });
}
