// nn/loss.hpp: the cost a network is trained to lower.
#pragma once

#include <nn/activation.hpp>

namespace nn {

/// The cost C of a batch of n samples, outputs a against targets y (rows are samples):
enum class Loss {
    MSE,                ///< (1/n) sum_i sum_j (a_ij - y_ij)^2: the notes' cost (eq. 3, 17), any output
    CrossEntropy,       ///< -(1/n) sum_i sum_j y_ij log a_ij: Softmax output, one-hot (or probability) rows
    BinaryCrossEntropy, ///< -(1/n) sum_i sum_j [y log a + (1 - y) log(1 - a)]: Sigmoid output, y in [0, 1]
};

/// The loss's lowercase name: "mse", "cross_entropy", "binary_cross_entropy".
inline const char* name(Loss loss) {
    switch (loss) {
    case Loss::MSE: return "mse";
    case Loss::CrossEntropy: return "cross_entropy";
    case Loss::BinaryCrossEntropy: return "binary_cross_entropy";
    }
    return "unknown";
}

/// True for the enumerators above.
inline bool is_valid(Loss loss) {
    return loss == Loss::MSE || loss == Loss::CrossEntropy || loss == Loss::BinaryCrossEntropy;
}

/// The output activation a loss needs, or Linear when any will do (MSE).
inline Activation required_output(Loss loss) {
    switch (loss) {
    case Loss::CrossEntropy: return Activation::Softmax;
    case Loss::BinaryCrossEntropy: return Activation::Sigmoid;
    case Loss::MSE: break;
    }
    return Activation::Linear;
}

} // namespace nn
