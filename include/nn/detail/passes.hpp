// nn/detail/passes.hpp: a network's forward pass and backpropagation over a batch, layer by layer
// (Passes<T>), with this target's products and element-wise loops: one call into the CPU's copy of
// the kernels per pass, within which the layers' kernels are this target's own functions, rather
// than a dispatched call per kernel per layer from code built for the baseline (which cost a tiny
// network's step in a plain -O2 build about half its time). The formulas are NN::backprop's. One
// copy per instruction set: kernels.hpp reads this file once per target, inside the target's
// namespace, after the kernels it runs. It includes nothing itself.
#if !defined(NN_DETAIL_TARGET_BYTES)
#error "nn/detail/passes.hpp is read by nn/detail/kernels.hpp, once per target: include <nn/detail/kernels.hpp>"
#endif

template <Real T>
struct Passes {
    /// Runs the layers over X: outs[l] = a(l+1) (n x arch[l+1]) for each layer; the output
    /// layer's pre-activation into z_out too when net.keep (the costs that read it, and Softmax).
    static void forward(const Layers<T>& net, const MatrixView<const T>& X, Matrix<T>* outs, Matrix<T>& z_out) {
        const T* w = net.params;
        for (std::size_t l = 0; l < net.layers; ++l) {
            const std::size_t rows = net.arch[l], cols = net.arch[l + 1];
            const MatrixView<const T> in = l == 0 ? X : outs[l - 1].view(), W(w, rows, cols),
                                      b(w + rows * cols, 1, cols);
            outs[l].resize_for_overwrite(X.rows(), cols);
            if (l + 1 < net.layers || !net.keep) {
                Products<T>::matmul(in, W, outs[l], b); // n x arch[l] . arch[l] x arch[l+1], + b
                Elementwise<T>::activate(outs[l], net.act[l]);
            } else {
                z_out.resize_for_overwrite(X.rows(), cols);
                Products<T>::matmul(in, W, z_out, b);
                Elementwise<T>::activate_rows(z_out, net.act[l], outs[l]);
            }
            w += rows * cols + cols;
        }
    }

    /// The gradient of the batch (X, Y), counted as batch_rows samples, into grad (the flat order
    /// of detail/arch.hpp), after forward into outs and z_out, with deltas[2] as scratch:
    ///     delta(L-1) = output_delta(a(L), Y),   dC/dW(l) = a(l)^T . delta(l),   dC/db(l) = column sums,
    ///     delta(l-1) = (delta(l) . W(l)^T) * act_{l-1}'(a(l))
    /// Returns the batch's loss_sum (its cost times its rows), with this target's instructions.
    static double backprop(const Layers<T>& net, const MatrixView<const T>& X, const MatrixView<const T>& Y,
                           std::size_t batch_rows, Matrix<T>* outs, Matrix<T>& z_out, Matrix<T>* deltas, T* grad) {
        const bool one = X.rows() == 1;
        if (!one || !tiny_path(net, X.data(), Y.data(), batch_rows, outs, z_out, grad)) {
            if (one && fits_sample_path(net))
                backprop_sample(net, X.data(), Y.data(), batch_rows, outs, z_out, deltas, grad);
            else
                backprop_batch(net, X, Y, batch_rows, outs, z_out, deltas, grad);
        }
        const Matrix<T>& top = outs[net.layers - 1];
        return loss_sum<T>(net.loss, net.keep ? z_out.view() : top.view(), top.view(), Y);
    }

private:
    /// backprop for a batch, layer by layer, with the products' and element-wise kernels.
    static void backprop_batch(const Layers<T>& net, const MatrixView<const T>& X, const MatrixView<const T>& Y,
                               std::size_t batch_rows, Matrix<T>* outs, Matrix<T>& z_out, Matrix<T>* deltas, T* grad) {
        forward(net, X, outs, z_out);
        const std::size_t n = X.rows(), L = net.layers;
        deltas[(L - 1) % 2].resize_for_overwrite(n, net.arch[L]);
        output_delta<T>(net.loss, net.act[L - 1], outs[L - 1], Y, deltas[(L - 1) % 2], batch_rows);
        std::size_t at = layer_offset({net.arch, L + 1}, L); // one past layer l's parameters
        for (std::size_t l = L; l-- > 0;) {
            const std::size_t rows = net.arch[l], cols = net.arch[l + 1];
            at -= rows * cols + cols;
            const Matrix<T>& delta = deltas[l % 2];
            const MatrixView<const T> in = l == 0 ? X : outs[l - 1].view();
            Products<T>::matmul_at_b(in, delta, MatrixView<T>(grad + at, rows, cols)); // arch[l] x arch[l+1]
            Elementwise<T>::column_sums(delta, MatrixView<T>(grad + at + rows * cols, 1, cols));
            if (l == 0) break;
            Matrix<T>& below = deltas[(l - 1) % 2];
            below.resize_for_overwrite(n, rows);
            Products<T>::matmul_a_bt(delta, MatrixView<const T>(net.params + at, rows, cols), below); // n x arch[l]
            Elementwise<T>::mul_derivative(below, outs[l - 1], net.act[l - 1]);
        }
    }

public:
    /// A network of at most tiny_layers layers, none wider than 32 bytes (8 floats, 4 doubles) nor
    /// than a vector, the output's activation element-wise, takes backprop_tiny for one sample:
    /// each layer one vector of 32 bytes (16 in the SSE2 baseline). Returns false, having done
    /// nothing, for any other network. The AVX-512 copy runs the AVX2 copy's, which is as fast
    /// (the same 32-byte vectors), rather than compiling a third (0.4 s of every header-only
    /// build). Public for that call. The batch kernels' sums that go round a loop are kept fused
    /// (NN_DETAIL_FUSED) as the tiny path's unrolled ones are, so that one sample gets the batch
    /// path's bits under every tuning.
    static constexpr std::size_t tiny_layers = 8, tiny_bytes = vector_bytes < 32 ? vector_bytes : 32;

    __attribute__((noinline)) static bool tiny_path(const Layers<T>& net, const T* x, const T* y,
                                                    std::size_t batch_rows, Matrix<T>* outs, Matrix<T>& z_out,
                                                    T* grad) {
#if NN_DETAIL_AVX2 && NN_DETAIL_TARGET_BYTES == 64
        return avx2::Passes<T>::tiny_path(net, x, y, batch_rows, outs, z_out, grad);
#else
        if (net.layers > tiny_layers || !is_elementwise(net.act[net.layers - 1])) return false;
        for (std::size_t l = 0; l <= net.layers; ++l)
            if (net.arch[l] * sizeof(T) > tiny_bytes) return false;
        backprop_tiny<typename VectorOf<T, tiny_bytes>::type>(net, x, y, batch_rows, outs, z_out, grad);
        return true;
#endif
    }

private:
    /// f(i) for i = 0, 1, .. while i < n (n <= count), unrolled: i is a constant in each call, so
    /// a lane of a vector is read from its register.
    template <std::size_t count, class F>
    NN_DETAIL_ALWAYS_INLINE static void each(std::size_t n, const F& f) {
        [&]<std::size_t... i>(std::index_sequence<i...>) NN_DETAIL_ALWAYS_INLINE {
            (void)((i < n ? (f(std::integral_constant<std::size_t, i>{}), true) : false) && ...);
        }
        (std::make_index_sequence<count>{});
    }

    /// Lanes j < n of p, the others 0 (a read of n elements only).
    template <class U>
    NN_DETAIL_ALWAYS_INLINE static U first(const T* p, std::size_t n) {
        U v{};
        each<sizeof(U) / sizeof(T)>(n, [&](auto j) NN_DETAIL_ALWAYS_INLINE { v[j.value] = p[j]; });
        return v;
    }

    /// Lanes p < rows of a column of a matrix of rows x cols from its first element w: w[p * cols].
    template <class U>
    NN_DETAIL_ALWAYS_INLINE static U column(const T* w, std::size_t rows, std::size_t cols) {
        U c{};
        each<sizeof(U) / sizeof(T)>(rows, [&](auto p) NN_DETAIL_ALWAYS_INLINE { c[p.value] = w[p * cols]; });
        return c;
    }

    /// The vector of lane i of v in every lane.
    template <class U, std::size_t i>
    NN_DETAIL_ALWAYS_INLINE static U broadcast(const U& v, std::integral_constant<std::size_t, i>) {
        return U{} + v[i];
    }

    /// backprop_sample for a tiny network (tiny_path), each layer's values one vector U of
    /// which the first arch[l] lanes count (the others are never stored), with the same arithmetic
    /// in each lane as the batch kernels' for that element: the sums in order from 0, the bias added
    /// to the whole sum, the activation and the output delta element-wise, dW = 0 + a * delta, db =
    /// delta + 0, delta . W^T summed over the columns in order from 0 (matmul_a_bt's narrow product;
    /// for 8 columns its eight partial sums, added in order). The loops over lanes are unrolled, so
    /// that the values stay in registers; the rows of W are read whole where the parameters go on
    /// past them, and the gradient's rows written whole where the layer's own gradient goes on past
    /// them (the rows in order, the bias last).
    template <class U>
    static void backprop_tiny(const Layers<T>& net, const T* x, const T* y, std::size_t batch_rows, Matrix<T>* outs,
                              Matrix<T>& z_out, T* __restrict grad) {
        constexpr std::size_t lanes = sizeof(U) / sizeof(T);
        const std::size_t L = net.layers, total = layer_offset({net.arch, L + 1}, L);
        const T* const end = net.params + total;
        const auto row = [&](const T* p, std::size_t n) NN_DETAIL_ALWAYS_INLINE { // whole when it can be
            return std::size_t(end - p) >= lanes ? load<U>(p) : first<U>(p, n);
        };
        const auto put = [](T* p, const U& v, std::size_t n, std::size_t room) NN_DETAIL_ALWAYS_INLINE {
            if (room >= lanes) return store(p, v);
            each<lanes>(n, [&](auto j) NN_DETAIL_ALWAYS_INLINE { p[j] = v[j.value]; });
        };
        U a[tiny_layers + 1]; // a[l]: the input of layer l, a[L] the output
        a[0] = first<U>(x, net.arch[0]);
        const T* w = net.params;
        for (std::size_t l = 0; l < L; ++l) { // forward, as small_matmul and activate
            const std::size_t rows = net.arch[l], cols = net.arch[l + 1];
            U z{};
            each<lanes>(rows,
                        [&](auto p) NN_DETAIL_ALWAYS_INLINE { z += broadcast(a[l], p) * row(w + p * cols, cols); });
            z = z + row(w + rows * cols, cols);
            if (l + 1 == L && net.keep) {
                one_row(z_out, cols);
                put(z_out.data(), z, cols, 0);
            }
            activate_lanes<T, U, IntLanes<U, T>>(net.act[l], z);
            a[l + 1] = z;
            w += rows * cols + cols;
        }
        const std::size_t out = net.arch[L];
        one_row(outs[L - 1], out);
        put(outs[L - 1].data(), a[L], out, 0);
        const T inv_n = T(1) / static_cast<T>(batch_rows);
        U d;
        elementwise_delta<T, U>(net.loss, net.act[L - 1], a[L], first<U>(y, out), inv_n, d);
        for (std::size_t l = L; l-- > 0;) { // backward
            const std::size_t rows = net.arch[l], cols = net.arch[l + 1], size = rows * cols + cols;
            w -= size;
            T* g = grad + (w - net.params);
            each<lanes>(rows, [&](auto p) NN_DETAIL_ALWAYS_INLINE {
                put(g + p * cols, U{} + broadcast(a[l], p) * d, cols, size - p * cols);
            });
            put(g + rows * cols, d + U{}, cols, cols);
            if (l == 0) break;
            U below{};
            if (cols < 8)
                each<lanes>(cols, [&](auto j) NN_DETAIL_ALWAYS_INLINE {
                    below += broadcast(d, j) * column<U>(w + j, rows, cols);
                });
            else // 8 columns: matmul_a_bt's eight partial sums, then their sum in order
                each<lanes>(8, [&](auto j) NN_DETAIL_ALWAYS_INLINE {
                    below += U{} + broadcast(d, j) * column<U>(w + j, rows, cols);
                });
            mul_derivative_lanes<T, U>(net.act[l - 1], below, a[l]);
            d = below;
        }
    }

    /// Layers at most this wide take backprop_sample for one sample.
    static constexpr std::size_t sample_width = 32;

    static bool fits_sample_path(const Layers<T>& net) {
        for (std::size_t l = 0; l <= net.layers; ++l)
            if (net.arch[l] > sample_width) return false;
        return true;
    }

    /// m as a 1 x cols matrix, keeping its storage when it already is one.
    static void one_row(Matrix<T>& m, std::size_t cols) {
        if (m.rows() != 1 || m.cols() != cols) m.resize_for_overwrite(1, cols);
    }

    /// backprop for one sample x (and its targets y) of a narrow network, in one function: the
    /// batch loops' sums, in their order and with their arithmetic (so the same bits): matmul's
    /// small product inlined for each layer's sums, dW and db written in place, without the entry
    /// calls and checks per product and per layer, which were most of a per-sample step (genann's
    /// recipe). The bias gradient is delta + 0, as column_sums gives it for one row.
    static void backprop_sample(const Layers<T>& net, const T* x, const T* y, std::size_t batch_rows, Matrix<T>* outs,
                                Matrix<T>& z_out, Matrix<T>* deltas, T* grad) {
        using V = typename Lanes<T>::Vector;
        const std::size_t L = net.layers;
        const T* w = net.params;
        for (std::size_t l = 0; l < L; ++l) { // forward: a = act(x . W + b), matmul's sums
            const std::size_t rows = net.arch[l], cols = net.arch[l + 1];
            const T* in = l == 0 ? x : outs[l - 1].data();
            const bool pre = l + 1 == L && net.keep;
            one_row(outs[l], cols);
            if (pre) one_row(z_out, cols);
            Products<T>::small_matmul(MatrixView<const T>(in, 1, rows), MatrixView<const T>(w, rows, cols),
                                      pre ? z_out.view() : outs[l].view(), w + rows * cols);
            if (pre)
                Elementwise<T>::activate_rows(z_out, net.act[l], outs[l]);
            else
                Elementwise<T>::activate(outs[l], net.act[l]);
            w += rows * cols + cols;
        }
        const MatrixView<const T> top = outs[L - 1].view();
        one_row(deltas[(L - 1) % 2], top.cols());
        output_delta<T>(net.loss, net.act[L - 1], top, MatrixView<const T>(y, 1, top.cols()), deltas[(L - 1) % 2],
                        batch_rows);
        for (std::size_t l = L; l-- > 0;) { // backward
            const std::size_t rows = net.arch[l], cols = net.arch[l + 1];
            w -= rows * cols + cols;
            T* __restrict g = grad + (w - net.params);
            const T* __restrict d = deltas[l % 2].data();
            const T* in = l == 0 ? x : outs[l - 1].data();
            for (std::size_t p = 0; p < rows; ++p) { // dC/dW = in^T . delta, one term a sum
                const T a = in[p];
                by_vectors<V, T>(0, cols, [&]<class U>(std::size_t j, U) NN_DETAIL_ALWAYS_INLINE {
                    store(g + p * cols + j, U{} + a * load<U>(d + j));
                });
            }
            by_vectors<V, T>(0, cols, [&]<class U>(std::size_t j, U) NN_DETAIL_ALWAYS_INLINE {
                store(g + rows * cols + j, load<U>(d + j) + U{});
            });
            if (l == 0) break;
            Matrix<T>& below = deltas[(l - 1) % 2];
            one_row(below, rows);
            Products<T>::matmul_a_bt(deltas[l % 2], MatrixView<const T>(w, rows, cols), below); // delta . W^T
            Elementwise<T>::mul_derivative(below, outs[l - 1], net.act[l - 1]);
        }
    }
};
