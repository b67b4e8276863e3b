// nn/detail/elementwise.hpp: the element-wise loops of forward and backprop (Elementwise<T>): the
// bias and the activation, softmax (by rows.hpp's softmax row), the activation's derivative, the
// bias gradient and the check for non-finite numbers. One copy per instruction set:
// kernels.hpp reads this file once per target, inside the target's namespace, and holds the naive
// references.
#if !defined(NN_DETAIL_TARGET_BYTES)
#error "nn/detail/elementwise.hpp is read by nn/detail/kernels.hpp, once per target: include <nn/detail/kernels.hpp>"
#endif

/// Element-wise loops over at least this many elements are shared among OpenMP threads (when
/// compiled with -fopenmp); each element is computed alone, so threads never change results.
inline constexpr std::size_t parallel_elements = std::size_t(1) << 17;

/// f(std::integral_constant<Activation, act>{}): a loop written in f is compiled once per
/// activation, with the activation a constant inside it.
template <class F>
NN_DETAIL_ALWAYS_INLINE inline void with_activation(Activation act, const F& f) {
    using A = Activation;
    switch (act) {
    case A::Sigmoid: return f(std::integral_constant<A, A::Sigmoid>{});
    case A::Tanh: return f(std::integral_constant<A, A::Tanh>{});
    case A::ReLU: return f(std::integral_constant<A, A::ReLU>{});
    case A::LeakyReLU: return f(std::integral_constant<A, A::LeakyReLU>{});
    case A::Linear:
    case A::Softmax: return f(std::integral_constant<A, A::Linear>{});
    }
}

/// z[j] = act(z[j]) for j < count, an element-wise activation, a vector of lanes at a time, with
/// the same arithmetic as nn::activate, so the bits do not depend on the vector width. Over
/// several threads for a large count.
template <Real T>
NN_DETAIL_ALWAYS_INLINE inline void activate_in_place(T* __restrict z, std::size_t count, Activation act) {
    if (act == Activation::Linear) return;
    with_activation(act, [&](auto f) NN_DETAIL_ALWAYS_INLINE {
        parallel_for(count, count >= parallel_elements,
                     [&](std::size_t first, std::size_t last) NN_DETAIL_ALWAYS_INLINE {
                         by_vectors<typename Lanes<T>::Vector, T>(
                             first, last, [&]<class U>(std::size_t j, U) NN_DETAIL_ALWAYS_INLINE {
                                 U x = load<U>(z + j);
                                 activate_lanes<T, U, IntLanes<U, T>>(f.value, x);
                                 store(z + j, x);
                             });
                     });
    });
}

/// The lanes of v or-ed together, in halves: the low half or the high half, down to one lane
/// (lane by lane where the compiler has no __builtin_shufflevector, as GCC before 12).
template <class Int, class U>
NN_DETAIL_ALWAYS_INLINE inline Int or_halves(const U& v) {
    constexpr std::size_t n = sizeof(U) / sizeof(Int);
#if defined(__has_builtin)
#if __has_builtin(__builtin_shufflevector)
    if constexpr (n > 2) {
        const auto fold = [&]<std::size_t... i>(std::index_sequence<i...>) NN_DETAIL_ALWAYS_INLINE {
            return or_halves<Int>(__builtin_shufflevector(v, v, i...) | __builtin_shufflevector(v, v, (i + n / 2)...));
        };
        return fold(std::make_index_sequence<n / 2>{});
    }
#endif
#endif
    Int all = 0;
    for (std::size_t l = 0; l < n; ++l) all |= v[l];
    return all;
}

/// The element-wise loops, each a vector of lanes at a time with the arithmetic of nn::activate
/// and nn::derivative_from_output, so that the bits depend on neither the vector width nor where
/// an element falls in a vector.
template <Real T>
struct Elementwise {
    /// True when none of the count elements at x is NaN or infinite, that is has an exponent of all
    /// ones: one branch-free pass, the lanes' tests or-ed (the last vector overlapping the one
    /// before it, no element loop), then the lanes or-ed in halves: a short chain of one-cycle
    /// operations, which a step waits for before its update.
    static bool all_finite(const T* x, std::size_t count) {
        using V = typename Lanes<T>::Vector;
        using I = typename Lanes<T>::Mask;
        constexpr std::size_t W = Lanes<T>::count;
        constexpr auto exponent = exponent_bits<T>;
        const auto bad = [&](std::size_t i) NN_DETAIL_ALWAYS_INLINE {
            return I((NN_DETAIL_BIT_CAST(I, load<V>(x + i)) & exponent) == exponent);
        };
        if (count < W) return finite_elements(x, count);
        I any = bad(count - W);
        for (std::size_t i = 0; i + W <= count; i += W) any |= bad(i);
        return or_halves<typename Lanes<T>::Lane>(any) == 0;
    }

    /// Z(i, :) += b.     Z: n x out, b: 1 x out
    NN_DETAIL_ENTRY static void add_bias(const MatrixView<T>& Z, const MatrixView<const T>& b) {
        NN_ASSERT(b.rows() == 1 && b.cols() == Z.cols(), "bias shape");
        const std::size_t rows = Z.rows(), out = Z.cols();
        const T* __restrict bias = b.data();
        T* const data = Z.data(); // (the stores below may alias the views, not this)
        for (std::size_t i = 0; i < rows; ++i) {
            T* __restrict z = data + i * out;
            by_vectors<typename Lanes<T>::Vector, T>(0, out, [&]<class U>(std::size_t j, U) NN_DETAIL_ALWAYS_INLINE {
                store(z + j, load<U>(z + j) + load<U>(bias + j));
            });
        }
    }

    /// Z = act(Z) in place, act element-wise: a hidden layer's output from its weighted sums.
    NN_DETAIL_ENTRY static void activate(const MatrixView<T>& Z, Activation act) {
        NN_ASSERT(is_elementwise(act), "activate needs an element-wise activation");
        activate_in_place<T>(Z.data(), Z.size(), act);
    }

    /// A = act(Z), element-wise or, for Softmax, row by row (softmax_row).     Z, A: n x out
    static void activate_rows(const MatrixView<const T>& Z, Activation act, const MatrixView<T>& A) {
        NN_ASSERT(Z.rows() == A.rows() && Z.cols() == A.cols(), "activate_rows shapes");
        if (is_elementwise(act)) {
            std::memcpy(A.data(), Z.data(), Z.size() * sizeof(T));
            return activate_in_place<T>(A.data(), A.size(), act);
        }
        for (std::size_t i = 0; i < Z.rows(); ++i)
            softmax_row<T>(Z.data() + i * Z.cols(), A.data() + i * A.cols(), Z.cols());
    }

    /// Backward through a hidden layer: D *= act'(A) element-wise, with A the layer's output.
    /// D, A: n x out
    NN_DETAIL_ENTRY static void mul_derivative(const MatrixView<T>& D, const MatrixView<const T>& A, Activation act) {
        NN_ASSERT(D.rows() == A.rows() && D.cols() == A.cols(), "mul_derivative shapes");
        if (act == Activation::Linear) return;
        T* __restrict d = D.data();
        const T* __restrict a = A.data();
        with_activation(act, [&](auto f) NN_DETAIL_ALWAYS_INLINE {
            parallel_for(D.size(), D.size() >= parallel_elements,
                         [&](std::size_t first, std::size_t last) NN_DETAIL_ALWAYS_INLINE {
                             by_vectors<typename Lanes<T>::Vector, T>(
                                 first, last, [&]<class U>(std::size_t i, U) NN_DETAIL_ALWAYS_INLINE {
                                     U x = load<U>(d + i);
                                     mul_derivative_lanes<T, U>(f.value, x, load<U>(a + i));
                                     store(d + i, x);
                                 });
                         });
        });
    }

    /// n times the cost of a batch, detail::loss_sum, computed with this target's instructions.
    NN_DETAIL_ENTRY static double loss_sum(Loss loss, const MatrixView<const T>& Z, const MatrixView<const T>& A,
                                           const MatrixView<const T>& Y) {
        return nn::detail::loss_sum<T>(loss, Z, A, Y);
    }

    /// g(0, j) = sum over i of D(i, j): the bias gradient.     D: n x out -> g: 1 x out
    /// A vector of columns at a time (the last vector overlapping the one before it, when out is
    /// not a multiple of its width), each summed in four partial sums over the rows i mod 4. Every
    /// column goes through the same operations whether a vector or a scalar carries it, so the bits
    /// depend on neither the vector width nor the column's position.
    NN_DETAIL_ENTRY static void column_sums(const MatrixView<const T>& D, const MatrixView<T>& g) {
        NN_ASSERT(g.rows() == 1 && g.cols() == D.cols(), "column_sums shapes");
        using V = typename Lanes<T>::Vector;
        constexpr std::size_t W = Lanes<T>::count;
        const std::size_t n = D.rows(), out = D.cols(), full = n / 4 * 4;
        const T* d = D.data();
        const auto sum = [&]<class U>(std::size_t j,
                                      U) NN_DETAIL_ALWAYS_INLINE { // columns j .. j + sizeof(U) / sizeof(T)
            const auto at = [&](std::size_t i) NN_DETAIL_ALWAYS_INLINE { return load<U>(d + i * out + j); };
            U part0{}, part1{}, part2{}, part3{};
            for (std::size_t i = 0; i < full; i += 4) {
                part0 += at(i);
                part1 += at(i + 1);
                part2 += at(i + 2);
                part3 += at(i + 3);
            }
            if (full < n) part0 += at(full);
            if (full + 1 < n) part1 += at(full + 1);
            if (full + 2 < n) part2 += at(full + 2);
            store(g.data() + j, (part0 + part1) + (part2 + part3));
        };
        if (out < W) {
            for (std::size_t j = 0; j < out; ++j) sum(j, T());
            return;
        }
        for (std::size_t j = 0; j + W <= out; j += W) sum(j, V());
        if (out % W != 0) sum(out - W, V());
    }
};
