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
        if (X.rows() == 1 && fits_sample_path(net))
            backprop_sample(net, X.data(), Y.data(), batch_rows, outs, z_out, deltas, grad);
        else
            backprop_batch(net, X, Y, batch_rows, outs, z_out, deltas, grad);
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
