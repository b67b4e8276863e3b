// nn/detail/gemm.hpp: the packed, blocked matrix product behind every large forward and backward.
//
// C = op(A) . op(B), with op(A) m x k and op(B) k x n given by strides, so that one routine serves
// A.B, A^T.B and A.B^T: element (i, p) of op(A) is a[i * rsa + p * csa], (p, j) of op(B) is
// b[p * rsb + j * csb]. The structure is the one of BLIS and of Goto's GEMM: B is packed in
// KC x NC blocks into panels NR columns wide, A in MC x KC blocks into panels MR rows high, and a
// register-tiled micro-kernel multiplies one MR x KC panel by one KC x NR panel, keeping the
// MR x NR block of C in vector registers. The packing does the transposes, so the micro-kernel
// reads B contiguous and aligned. Full panels of A are read where they lie when packing would not
// pay (see "direct" below), and a long sum into a thin C (a weight gradient) is computed as C^T
// when that takes half the tiles.
//
// The vectors are this target's (nn/detail/simd.hpp): this file is read once per instruction set,
// inside its namespace, by nn/detail/kernels.hpp, and so includes nothing itself.
//
// Threads: compiled with OpenMP (-fopenmp), products of at least 2^22 multiply-adds share their
// panels of B among OMP_NUM_THREADS threads in one parallel region, each thread packing its own.
// Each tile of C is still computed by one thread, in the same order, so the results are
// bit-identical whatever the number of threads.
#if !defined(NN_DETAIL_TARGET_BYTES)
#error "nn/detail/gemm.hpp is read by nn/detail/kernels.hpp, once per target: include <nn/detail/kernels.hpp>"
#endif

template <Real T>
struct GemmShape {
    using Vector = typename Lanes<T>::Vector;
    using Mask = typename Lanes<T>::Mask;
    static constexpr std::size_t lanes = Lanes<T>::count;
    static constexpr std::size_t NV = 2;                           // vectors across a tile
    static constexpr std::size_t NR = NV * lanes;                  // columns of C per tile
    static constexpr std::size_t MR = vector_bytes == 64 ? 12 : 6; // rows of C per tile
    static constexpr std::size_t KC = 384;                         // depth of a block: A, B panels stay in L1
    static constexpr std::size_t MC = 96;                          // rows of a packed A block (L2)
    static constexpr std::size_t NC = 3072;                        // columns of a packed B block
};

/// A grow-only, NN_ALIGNMENT-aligned scratch buffer: after the first call of a given size, no
/// more allocations.
template <Real T>
class PackBuffer {
public:
    PackBuffer() = default;
    PackBuffer(const PackBuffer&) = delete;
    PackBuffer& operator=(const PackBuffer&) = delete;
    ~PackBuffer() { ::operator delete (data_, std::align_val_t{NN_ALIGNMENT}); }
    T* get(std::size_t n) {
        if (n > size_) {
            T* fresh = static_cast<T*>(::operator new (n * sizeof(T), std::align_val_t{NN_ALIGNMENT}));
            ::operator delete (data_, std::align_val_t{NN_ALIGNMENT});
            data_ = fresh;
            size_ = n;
        }
        return data_;
    }

private:
    T* data_ = nullptr;
    std::size_t size_ = 0;
};

/// Packs `rows` rows of `count` elements, row r read from src + r * stride and written at
/// dst + r * pitch followed by zeros up to the pitch. Whole vectors (Vectors of them a row), with
/// the lanes past count masked to zero: they read past the row, into the next one, while that stays
/// below src + extent, and the rows where it would not are copied element by element. When
/// Vectors * lanes exceeds the pitch, a row's vectors spill into the next row's place, which that
/// row then overwrites; after the last row, dst needs Vectors * lanes - pitch spare elements.
template <Real T, std::size_t Vectors>
void pack_rows(T* dst, std::size_t pitch, const T* src, std::size_t stride, std::size_t rows, std::size_t count,
               std::size_t extent) {
    using V = typename GemmShape<T>::Vector;
    using Mask = typename GemmShape<T>::Mask;
    constexpr std::size_t W = GemmShape<T>::lanes;
    Mask keep[Vectors] = {};
    for (std::size_t v = 0; v < Vectors; ++v)
        for (std::size_t l = 0; l < W; ++l) keep[v][l] = v * W + l < count ? -1 : 0;
    for (std::size_t r = 0; r < rows; ++r, src += stride, dst += pitch) {
        if (r * stride + Vectors * W <= extent) {
            for (std::size_t v = 0; v < Vectors; ++v)
                store(dst + v * W, NN_DETAIL_BIT_CAST(V, load<Mask>(src + v * W) & keep[v]));
            continue;
        }
        for (std::size_t j = 0; j < pitch; ++j) dst[j] = j < count ? src[j] : T(0);
    }
}

/// Swaps the off-diagonal h x h blocks of lanes between rows a and b: one stage of transpose_block.
template <std::size_t W, std::size_t h, class V, std::size_t... L>
NN_DETAIL_ALWAYS_INLINE inline void swap_blocks(V& a, V& b, std::index_sequence<L...>) {
    const V low = __builtin_shufflevector(a, b, ((L & h) == 0 ? L : W + L - h)...);
    const V high = __builtin_shufflevector(a, b, ((L & h) == 0 ? L + h : W + L)...);
    a = low;
    b = high;
}

/// Transposes the W x W block held in the vectors r[0..W): log2(W) stages of shuffles that swap
/// the off-diagonal blocks of half, a quarter, ... of the width.
template <class V, std::size_t W, std::size_t h = W / 2>
NN_DETAIL_ALWAYS_INLINE inline void transpose_block(V* r) {
    if constexpr (h >= 1) {
        for (std::size_t i = 0; i < W; ++i)
            if ((i & h) == 0) swap_blocks<W, h>(r[i], r[i + h], std::make_index_sequence<W>{});
        transpose_block<V, W, h / 2>(r);
    }
}

/// dst[p * Rows + i] = src[i * stride + p] for i < rows, p < kc, and zeros for rows <= i < Rows:
/// `rows` contiguous rows of kc elements packed as kc columns of Rows. Blocks of W x W are
/// transposed in vectors; the last slots, from where a vector would cross the end, one at a time.
/// A group of rows whose vectors reach past Rows writes into the next slot, which the next store
/// (the next q, or the scalar tail) overwrites.
template <Real T, std::size_t Rows>
void pack_transposed(T* __restrict dst, const T* __restrict src, std::size_t stride, std::size_t rows, std::size_t kc) {
    using V = typename Lanes<T>::Vector;
    constexpr std::size_t W = Lanes<T>::count, groups = (Rows + W - 1) / W;
    std::size_t p = 0;
    for (; p + W < kc; p += W) {
        V r[groups][W];
        for (std::size_t g = 0; g < groups; ++g) {
            for (std::size_t l = 0; l < W; ++l) {
                const std::size_t i = g * W + l;
                r[g][l] = i < rows ? load<V>(src + i * stride + p) : V{};
            }
            transpose_block<V, W>(r[g]);
        }
        for (std::size_t q = 0; q < W; ++q)
            for (std::size_t g = 0; g < groups; ++g) store(dst + (p + q) * Rows + g * W, r[g][q]);
    }
    for (; p < kc; ++p)
        for (std::size_t i = 0; i < Rows; ++i) dst[p * Rows + i] = i < rows ? src[i * stride + p] : T(0);
}

/// A panel of width Width: dst[p * Width + j] = x[p * rs + j * cs] for p < kc and j < w, and zeros
/// for w <= j < Width; with cs == 1, x + extent is one past the last element that may be read. Packs
/// the panels of op(B) (x at element (pc, j0)) and of op(A) (x = op(A)^T, at element (pc, i0)).
template <Real T, std::size_t Width>
void pack_panel(T* __restrict dst, const T* __restrict x, std::size_t rs, std::size_t cs, std::size_t kc, std::size_t w,
                std::size_t extent) {
    if (cs == 1) {      // the panel's rows are contiguous
        if (w == Width) // a copy of constant size, which compiles to a few vector moves
            for (std::size_t p = 0; p < kc; ++p) std::memcpy(dst + p * Width, x + p * rs, Width * sizeof(T));
        else
            pack_rows<T, (Width + Lanes<T>::count - 1) / Lanes<T>::count>(dst, Width, x, rs, kc, w, extent);
    } else if (rs == 1) { // its columns are: transposed in blocks
        pack_transposed<T, Width>(dst, x, cs, w, kc);
    } else {
        for (std::size_t j = 0; j < w; ++j)
            for (std::size_t p = 0; p < kc; ++p) dst[p * Width + j] = x[p * rs + j * cs];
        for (std::size_t j = w; j < Width; ++j)
            for (std::size_t p = 0; p < kc; ++p) dst[p * Width + j] = T(0);
    }
}

/// Lanes Offset, Offset + 1, ... of v as a vector H of fewer lanes.
template <class H, std::size_t Offset, class V, std::size_t... L>
NN_DETAIL_ALWAYS_INLINE inline H lanes_of(const V& v, std::index_sequence<L...>) {
    return __builtin_shufflevector(v, v, (Offset + L)...);
}

/// Stores the first `count` lanes of v, a vector of W lanes of T, at p (count < W): its low half
/// when count reaches it, then what is left from the half that holds it, and so on to one lane.
template <std::size_t W, Real T, class V>
NN_DETAIL_ALWAYS_INLINE inline void store_first(T* p, const V& v, std::size_t count) {
    if constexpr (W == 2) {
        if (count) *p = v[0];
    } else {
        using H = typename VectorOf<T, W / 2 * sizeof(T)>::type;
        const H low = lanes_of<H, 0>(v, std::make_index_sequence<W / 2>{});
        if (count < W / 2) return store_first<W / 2>(p, low, count);
        store(p, low);
        store_first<W / 2>(p + W / 2, lanes_of<H, W / 2>(v, std::make_index_sequence<W / 2>{}), count - W / 2);
    }
}

/// C[0..mr)[0..nr) (element (i, j) at c[i * rsc + j * csc]) = (accumulate ? C : 0) + edge[i * NR + j], then plus
/// bias[j] given a bias: the store of a partial tile, one function for all the micro-kernels.
template <Real T>
NN_DETAIL_CONTRACT_ATTRIBUTE void gemm_store_edge(const T* __restrict edge, T* __restrict c, std::size_t rsc,
                                                  std::size_t csc, std::size_t mr, std::size_t nr, bool accumulate,
                                                  const T* __restrict bias) {
    constexpr std::size_t NR = GemmShape<T>::NR;
    for (std::size_t i = 0; i < mr; ++i) {
        T* row = c + i * rsc;
        const T* from = edge + i * NR;
        if (csc != 1) // a column of C, for C^T
            for (std::size_t j = 0; j < nr; ++j) row[j * csc] = (accumulate ? row[j * csc] : T(0)) + from[j];
        else if (accumulate) // a row of C: loops with unit stride and no condition, which vectorise
            for (std::size_t j = 0; j < nr; ++j) row[j] += from[j];
        else
            for (std::size_t j = 0; j < nr; ++j) row[j] = T(0) + from[j]; // not a copy, or GCC calls memcpy
        if (bias)
            for (std::size_t j = 0; j < nr; ++j) row[j] += bias[j];
    }
}

/// C[0..mr)[0..nr) (element (i, j) at c[i * rsc + j * csc]) = (accumulate ? C : 0) + the product of an MR x kc panel of
/// A and a packed kc x NR panel of B (pb[p * NR + j]), of which the first NV vectors (nr <= NV * lanes), then plus
/// bias[j] given a bias (NR elements, zeros past nr; rows of C only, csc = 1). A is packed (pa[p * MR + i]) or, with
/// Direct, read where it lies: element (i, p) at pa[i * rsa + p * csa].
template <Real T, bool Direct, std::size_t NV = GemmShape<T>::NV>
NN_DETAIL_CONTRACT_ATTRIBUTE void gemm_micro_kernel(std::size_t kc, const T* __restrict pa, std::size_t rsa,
                                                    std::size_t csa, const T* __restrict pb, T* __restrict c,
                                                    std::size_t rsc, std::size_t csc, std::size_t mr, std::size_t nr,
                                                    bool accumulate, const T* __restrict bias = nullptr) {
    NN_DETAIL_CONTRACT_PRAGMA
    using S = GemmShape<T>;
    using V = typename S::Vector;
    constexpr std::size_t MR = S::MR, W = S::lanes, NR = S::NR;
    if constexpr (!Direct) rsa = 1, csa = MR;
    V acc[MR][NV];
#pragma GCC unroll 16
    for (std::size_t i = 0; i < MR; ++i)
#pragma GCC unroll 4
        for (std::size_t v = 0; v < NV; ++v) acc[i][v] = V{};
    for (std::size_t i = 0; i < mr; ++i) { // C's tile on its way to L1 while the sums run
        __builtin_prefetch(c + i * rsc, 1);
        __builtin_prefetch(c + i * rsc + (nr - 1) * csc, 1);
    }
#pragma GCC unroll 4
    for (std::size_t p = 0; p < kc; ++p) {
        V b[NV];
#pragma GCC unroll 4
        for (std::size_t v = 0; v < NV; ++v) b[v] = load<V>(pb + p * NR + v * W);
#pragma GCC unroll 16
        for (std::size_t i = 0; i < MR; ++i) {
            const T a = pa[i * rsa + p * csa]; // broadcast by the vector operations: V{} + a would add a zero
#pragma GCC unroll 4
            for (std::size_t v = 0; v < NV; ++v) acc[i][v] += a * b[v];
        }
    }
    V b[NV] = {};
    if (bias)
#pragma GCC unroll 4
        for (std::size_t v = 0; v < NV; ++v) b[v] = load<V>(bias + v * W);
    if (mr == MR && nr == NV * W && csc == 1) {
#pragma GCC unroll 16
        for (std::size_t i = 0; i < MR; ++i)
#pragma GCC unroll 4
            for (std::size_t v = 0; v < NV; ++v) {
                T* to = c + i * rsc + v * W;
                const V sum = accumulate ? acc[i][v] + load<V>(to) : acc[i][v];
                store(to, bias ? sum + b[v] : sum);
            }
        return;
    }
    if (csc == 1 && !accumulate) { // a partial tile of rows of C, stored from the registers
#pragma GCC unroll 16
        for (std::size_t i = 0; i < MR; ++i)
#pragma GCC unroll 4
            for (std::size_t v = 0; v < NV; ++v) {
                T* to = c + i * rsc + v * W;
                if (i >= mr || nr <= v * W) continue;
                const V sum = bias ? acc[i][v] + b[v] : acc[i][v];
                if (nr >= (v + 1) * W)
                    store(to, sum);
                else
                    store_first<W>(to, sum, nr - v * W);
            }
        return;
    }
    alignas(vector_bytes) T edge[MR * NR]; // a partial tile added to C (a later block of k), or one of C^T
    for (std::size_t i = 0; i < MR; ++i)
        for (std::size_t v = 0; v < NV; ++v) store(edge + i * NR + v * W, acc[i][v]);
    gemm_store_edge<T>(edge, c, rsc, csc, mr, nr, accumulate, bias);
}

/// C (m x n, element (i, j) at c[i * rsc + j * csc]) = op(A) . op(B), overwriting C; then, given a
/// bias (n elements), C(i, j) += bias[j], in the stores of the last block of k (a layer's sums and
/// its bias in one pass over C, with the bits of the two passes). See the top of this file.
template <Real T>
void gemm(std::size_t m, std::size_t n, std::size_t k, const T* a, std::size_t rsa, std::size_t csa, const T* b,
          std::size_t rsb, std::size_t csb, T* c, std::size_t rsc, std::size_t csc, const T* bias = nullptr) {
    using S = GemmShape<T>;
    constexpr std::size_t MR = S::MR, NR = S::NR, KC = S::KC, MC = S::MC, NC = S::NC, W = S::lanes;
    NN_ASSERT(!bias || (csc == 1 && rsc == n), "gemm adds a bias to the rows of a whole C");
    if (k == 0) {
        for (std::size_t i = 0; i < m; ++i)
            for (std::size_t j = 0; j < n; ++j) c[i * rsc + j * csc] = T(0) + (bias ? bias[j] : T(0));
        return;
    }
    // C^T = op(B)^T . op(A)^T has the same sums in the same order (a * b == b * a). For a long sum
    // (a weight gradient, where k is the batch) the work is the number of tiles times k: when the
    // transpose takes half the tiles or fewer, compute it, and write C through the strides.
    const auto tiles = [](std::size_t rows, std::size_t cols) { return (rows + MR - 1) / MR * ((cols + NR - 1) / NR); };
    if (k >= m && k >= n && 2 * tiles(n, m) <= tiles(m, n)) {
        gemm<T>(n, m, k, b, csb, rsb, a, csa, rsa, c, csc, rsc);
        if (bias) // into columns of C^T: a pass of its own
            Elementwise<T>::add_bias(MatrixView<T>(c, m, n), MatrixView<const T>(bias, 1, n));
        return;
    }
    // The calling thread's scratch, shared by the team and sized before the region (an allocation
    // failing inside one could not throw): a packed block of A, the packed panels of B (each
    // thread writes and reads its own), and a last, partial panel of A for each thread.
    static thread_local PackBuffer<T> a_buffer, b_buffer, edge_buffer, bias_buffer;
    // The bias zero-padded to whole tiles, so that the micro-kernels read whole vectors of it.
    const T* padded_bias = nullptr;
    if (bias) {
        T* to = bias_buffer.get((n + NR - 1) / NR * NR);
        for (std::size_t j = 0; j < (n + NR - 1) / NR * NR; ++j) to[j] = j < n ? bias[j] : T(0);
        padded_bias = to;
    }
    const bool threaded = m * n * k >= (std::size_t(1) << 22);
    // Blocks of even size (at most KC deep, MC high, MC a multiple of MR): k = 784 makes two
    // blocks of 392, not 384 + 384 + 16, whose thin last block would cost a pass over C for little.
    const std::size_t kb = (k + (k + KC - 1) / KC - 1) / ((k + KC - 1) / KC);
    const std::size_t m_blocks = (m + MC - 1) / MC;
    const std::size_t mb = ((m + m_blocks - 1) / m_blocks + MR - 1) / MR * MR;
    constexpr std::size_t NA = (MR + W - 1) / W; // vectors across a column of a packed panel
    for (std::size_t jc = 0; jc < n; jc += NC) {
        const std::size_t nc = n - jc < NC ? n - jc : NC, n_panels = (nc + NR - 1) / NR;
        // Direct: the micro-kernel reads the full panels of A where they lie, and only a last,
        // partial one is packed. That saves the copy (a transpose, when the rows of op(A) are
        // contiguous) where A is read once (C one panel wide), or where its stride is not a
        // multiple of 4 KiB: at such a stride, the MR rows or the kc columns of a panel all fall in
        // one set of the L1 cache, which holds 8 lines, and evict each other.
        const bool direct = n_panels == 1 || ((rsa > csa ? rsa : csa) * sizeof(T)) % 4096 != 0;
        const bool team = in_team(n_panels, threaded);
        T* const packed_b = b_buffer.get(n_panels * NR * kb); // pb[p * NR + j] of panel jp at jp * NR * kb
        T* const shared_a = direct ? nullptr : a_buffer.get(mb * kb + NA * W);
        constexpr std::size_t edge = MR * KC + NA * W; // a panel of A, and what pack_rows writes past it
        T* const edges = direct ? edge_buffer.get(team_size(team) * edge) : nullptr;
        // One parallel region for the block: each thread packs the panels of B it computes, for
        // every block of k and of m; where A is packed whole, the threads pack shares of it
        // between two barriers, and where it is read directly, each its own last panel, so that
        // the threads never wait for each other (a region per step cost mnist's products a
        // tenth of their time on two threads).
        parallel_for(n_panels, threaded, [&](std::size_t first, std::size_t last) {
            for (std::size_t pc = 0; pc < k; pc += kb) {
                const std::size_t kc = k - pc < kb ? k - pc : kb;
                // Pack this thread's panels of op(B)[pc.., jc..], NR columns each, zero-padded.
                for (std::size_t jp = first; jp < last; ++jp) {
                    const std::size_t j0 = jc + jp * NR, w = n - j0 < NR ? n - j0 : NR;
                    pack_panel<T, NR>(packed_b + jp * NR * kb, b + pc * rsb + j0 * csb, rsb, csb, kc, w,
                                      (k - 1 - pc) * rsb + n - j0);
                }
                for (std::size_t ic = 0; ic < m; ic += mb) {
                    const std::size_t mc = m - ic < mb ? m - ic : mb, m_panels = (mc + MR - 1) / MR;
                    // Panel ip of op(A)[ic.., pc..], MR rows zero-padded, at dst: dst[p * MR + i].
                    const auto pack_a = [&](T* dst, std::size_t ip) {
                        const std::size_t i0 = ic + ip * MR, h = m - i0 < MR ? m - i0 : MR;
                        pack_panel<T, MR>(dst, a + pc * csa + i0 * rsa, csa, rsa, kc, h, (k - 1 - pc) * csa + m - i0);
                    };
                    T* packed_a = shared_a;
                    if (direct) {
                        packed_a = edges + team_rank(team) * edge;
                        if (m - (ic + (m_panels - 1) * MR) < MR) pack_a(packed_a, m_panels - 1);
                    } else {
                        team_barrier(team); // every thread done with the block before
                        team_share(m_panels, team, [&](std::size_t from, std::size_t to) {
                            for (std::size_t ip = from; ip < to; ++ip) pack_a(shared_a + ip * MR * kc, ip);
                        });
                        team_barrier(team);
                    }
                    for (std::size_t jp = first; jp < last; ++jp) {
                        const std::size_t j0 = jc + jp * NR, w = n - j0 < NR ? n - j0 : NR;
                        const T* pb = packed_b + jp * NR * kb;
                        const T* bias_here = padded_bias && pc + kc == k ? padded_bias + j0 : nullptr; // last block
                        for (std::size_t ip = 0; ip < m_panels; ++ip) {
                            const std::size_t i0 = ic + ip * MR, h = m - i0 < MR ? m - i0 : MR;
                            T* tile = c + i0 * rsc + j0 * csc;
                            if (direct && h == MR && w <= W) // C one vector wide: half the multiply-adds
                                gemm_micro_kernel<T, true, 1>(kc, a + i0 * rsa + pc * csa, rsa, csa, pb, tile, rsc, csc,
                                                              h, w, pc > 0, bias_here);
                            else if (direct && h == MR)
                                gemm_micro_kernel<T, true>(kc, a + i0 * rsa + pc * csa, rsa, csa, pb, tile, rsc, csc, h,
                                                           w, pc > 0, bias_here);
                            else
                                gemm_micro_kernel<T, false>(kc, packed_a + (direct ? 0 : ip * MR * kc), 0, 0, pb, tile,
                                                            rsc, csc, h, w, pc > 0, bias_here);
                        }
                    }
                }
            }
        });
    }
}
