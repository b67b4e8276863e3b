// Eigen 3.4 (Debian libeigen3-dev): the single-precision matrix product's GFLOP/s on one core,
// at the wide workload's forward shape (256 x 1024 times 1024 x 1024); median of 15.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <vector>

#include <Eigen/Dense>

int main() {
    const int m = 256, k = 1024, n = 1024;
    Eigen::MatrixXf a = Eigen::MatrixXf::Random(m, k), b = Eigen::MatrixXf::Random(k, n), c(m, n);
    c.noalias() = a * b;
    std::vector<double> rates;
    for (int r = 0; r < 15; ++r) {
        const auto t0 = std::chrono::steady_clock::now();
        for (int s = 0; s < 5; ++s) c.noalias() = a * b;
        const double t = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count() / 5;
        rates.push_back(2.0 * m * n * k / t / 1e9);
    }
    std::sort(rates.begin(), rates.end());
    std::printf("eigen_gemm %.4g\n", rates[rates.size() / 2]);
    return c(0, 0) > 1e30f;
}
