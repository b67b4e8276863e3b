// nn/detail/updates.hpp: the optimizers' steps (Updates<T>), one loop over every parameter each:
// plain gradient descent, SGD with momentum and weight decay, AdamW. One copy per instruction set:
// kernels.hpp reads this file once per target, inside the target's namespace, and holds the naive
// references.
#if !defined(NN_DETAIL_TARGET_BYTES)
#error "nn/detail/updates.hpp is read by nn/detail/kernels.hpp, once per target: include <nn/detail/kernels.hpp>"
#endif

/// The square roots of a vector's lanes, correctly rounded as std::sqrt is: a loop of std::sqrt
/// stays scalar, because std::sqrt may set errno.
template <Real T, class U>
NN_DETAIL_ALWAYS_INLINE inline U sqrt_lanes(U x) {
    if constexpr (sizeof(U) == sizeof(T)) {
        return std::sqrt(x);
    } else {
#if defined(__x86_64__) && defined(__GNUC__)
        if constexpr (sizeof(U) == 16) {
            if constexpr (sizeof(T) == 4)
                return __builtin_ia32_sqrtps(x);
            else
                return __builtin_ia32_sqrtpd(x);
        } else if constexpr (sizeof(U) == 32) {
            if constexpr (sizeof(T) == 4)
                return __builtin_ia32_sqrtps256(x);
            else
                return __builtin_ia32_sqrtpd256(x);
        } else { // AVX-512: the two halves
            typedef T Half __attribute__((vector_size(32)));
            Half half[2];
            std::memcpy(half, &x, sizeof x);
            for (Half& h : half) h = sqrt_lanes<T, Half>(h);
            std::memcpy(&x, half, sizeof x);
            return x;
        }
#else
        for (std::size_t l = 0; l < sizeof x / sizeof(T); ++l) x[l] = std::sqrt(x[l]);
        return x;
#endif
    }
}

/// The optimizers' steps over P, the parameters as one row (nn::Parameters), and their state
/// laid out the same way. Each element is computed alone: threads and vector widths change no bit.
template <Real T>
struct Updates {
    /// P -= rate * G.
    static void axpy_step(const MatrixView<T>& P, const MatrixView<const T>& G, T rate) {
        NN_ASSERT(P.rows() == G.rows() && P.cols() == G.cols(), "axpy_step shapes");
        T* __restrict p = P.data();
        const T* __restrict g = G.data();
        parallel_for(P.size(), P.size() >= parallel_elements,
                     [&](std::size_t first, std::size_t last) NN_DETAIL_ALWAYS_INLINE {
                         by_vectors<typename Lanes<T>::Vector, T>(
                             first, last, [&]<class U>(std::size_t i, U) NN_DETAIL_ALWAYS_INLINE {
                                 store(p + i, load<U>(p + i) - rate * load<U>(g + i));
                             });
                     });
    }

    /// One SGD step, as PyTorch's torch.optim.SGD defines it, element-wise:
    ///     g = G + weight_decay p;   with momentum: v = momentum v + g, g = nesterov ? g + momentum v : v
    ///     p -= rate g
    /// V is ignored when momentum is 0.
    static void sgd_step(const MatrixView<T>& P, const MatrixView<const T>& G, const MatrixView<T>& V, T rate,
                         T momentum, bool nesterov, T weight_decay) {
        NN_ASSERT(P.rows() == G.rows() && P.cols() == G.cols(), "sgd_step shapes");
        NN_ASSERT(momentum == T(0) || (V.rows() == P.rows() && V.cols() == P.cols()), "sgd_step velocity shape");
        T* __restrict p = P.data();
        const T* __restrict g = G.data();
        T* __restrict v = V.data();
        parallel_for(P.size(), P.size() >= parallel_elements,
                     [&](std::size_t first, std::size_t last) NN_DETAIL_ALWAYS_INLINE {
                         by_vectors<typename Lanes<T>::Vector, T>(
                             first, last, [&]<class U>(std::size_t i, U) NN_DETAIL_ALWAYS_INLINE {
                                 U pi = load<U>(p + i), step = load<U>(g + i) + weight_decay * pi;
                                 if (momentum != T(0)) {
                                     const U vi = momentum * load<U>(v + i) + step;
                                     store(v + i, vi);
                                     step = nesterov ? step + momentum * vi : vi;
                                 }
                                 store(p + i, pi - rate * step);
                             });
                     });
    }

    /// One Adam step with decoupled weight decay (AdamW, as torch.optim.AdamW), element-wise:
    ///     p -= rate weight_decay p
    ///     m = beta1 m + (1 - beta1) g,   v = beta2 v + (1 - beta2) g^2
    ///     p -= rate (m / correction1) / (sqrt(v / correction2) + eps)
    /// with correction_k = 1 - beta_k^t after t steps.
    static void adam_step(const MatrixView<T>& P, const MatrixView<const T>& G, const MatrixView<T>& M,
                          const MatrixView<T>& V, T rate, T beta1, T beta2, T eps, T weight_decay, T correction1,
                          T correction2) {
        NN_ASSERT(P.rows() == G.rows() && P.cols() == G.cols() && M.rows() == P.rows() && M.cols() == P.cols() &&
                      V.rows() == P.rows() && V.cols() == P.cols(),
                  "adam_step shapes");
        T* __restrict p = P.data();
        const T* __restrict g = G.data();
        T* __restrict m = M.data();
        T* __restrict v = V.data();
        parallel_for(P.size(), P.size() >= parallel_elements,
                     [&](std::size_t first, std::size_t last) NN_DETAIL_ALWAYS_INLINE {
                         by_vectors<typename Lanes<T>::Vector, T>(
                             first, last, [&]<class U>(std::size_t i, U) NN_DETAIL_ALWAYS_INLINE {
                                 U pi = load<U>(p + i), mi = load<U>(m + i), vi = load<U>(v + i);
                                 const U gi = load<U>(g + i);
                                 pi -= rate * weight_decay * pi;
                                 mi = beta1 * mi + (T(1) - beta1) * gi;
                                 vi = beta2 * vi + (T(1) - beta2) * gi * gi;
                                 pi -= rate * (mi / correction1) / (sqrt_lanes<T, U>(vi / correction2) + eps);
                                 store(p + i, pi);
                                 store(m + i, mi);
                                 store(v + i, vi);
                             });
                     });
    }
};
