// Data-parallel training over MPI: every process keeps its own shard of the rows and all train
// one network, as one process would on all the rows.
//     mpirun -np 4 build/examples/mpi_train [data.csv]
// The CSV has numeric inputs and a class label in the last column (nn::read_csv); without a file
// the example makes a three-class problem of 30,000 rows. Rank 0 prints the progress, writes the
// checkpoint mpi_train.safetensors and reports the validation accuracy.
#include <cstdio>
#include <string>

#include <nn/mpi.hpp>
#include <nn/nn.hpp>

namespace {

/// Rows first .. first + count - 1 of a three-class problem in 8-D around three corners; row i is
/// the same whichever process makes it.
nn::Dataset<float> make_rows(std::size_t first, std::size_t count) {
    nn::Dataset<float> d{nn::Matrix<float>(count, 8), nn::Matrix<float>(count, 3), {}};
    for (std::size_t r = 0; r < count; ++r) {
        nn::Rng rng(first + r);
        const std::size_t c = rng.below(3);
        for (std::size_t j = 0; j < 8; ++j) d.X(r, j) = (j % 3 == c ? 1.0f : -0.5f) + rng.uniform(-1.2f, 1.2f);
        d.Y(r, c) = 1;
    }
    return d;
}

/// This process's rows of a file every process reads.
nn::Dataset<float> read_shard(const std::string& path, const nn::mpi::Communicator& comm) {
    const nn::Dataset<float> all = nn::read_csv<float>(path);
    const auto [first, count] = nn::mpi::shard(all.X.rows(), comm);
    return {nn::Matrix<float>(all.X.view().rows(first, count)), nn::Matrix<float>(all.Y.view().rows(first, count)),
            all.classes};
}

} // namespace

int main(int argc, char** argv) {
    nn::mpi::Session mpi(argc, argv);
    const nn::mpi::Communicator comm; // MPI_COMM_WORLD
    try {
        // Read on every process; a file missing or malformed on one stops all (nn::Error).
        nn::Dataset<float> data;
        nn::mpi::collectively(comm, [&] {
            if (argc > 1) {
                data = read_shard(argv[1], comm);
            } else {
                const auto [first, count] = nn::mpi::shard(30'000, comm);
                data = make_rows(first, count);
            }
        });
        // Hold out the last fifth of each shard for validation.
        const std::size_t n = data.X.rows(), train_rows = n - n / 5;
        const auto X = data.X.view().rows(0, train_rows), Y = data.Y.view().rows(0, train_rows);
        const auto X_val = data.X.view().rows(train_rows, n - train_rows),
                   Y_val = data.Y.view().rows(train_rows, n - train_rows);

        nn::NN<float> net({data.X.cols(), 32, 32, data.Y.cols()}, nn::Activation::ReLU, nn::Activation::Softmax,
                          nn::Loss::CrossEntropy);
        nn::Adam<float> adam(1e-3f);
        const nn::History history = nn::mpi::train(comm, net, X, Y, adam,
                                                   {.epochs = 20,
                                                    .batch_size = 64,
                                                    .seed = 1,
                                                    .patience = 3,
                                                    .progress = nn::Progress::Lines,
                                                    .checkpoint = "mpi_train.safetensors"},
                                                   X_val, Y_val);
        const double accuracy = history.epochs[history.best_epoch - 1].val_accuracy;
        if (comm.rank() == 0)
            std::printf("%d process%s: %zu epochs, best %zu, validation accuracy %.4f\n", comm.size(),
                        comm.size() == 1 ? "" : "es", history.epochs.size(), history.best_epoch, accuracy);
        return accuracy > 0.9 ? 0 : 1;
    } catch (const nn::Error& e) { // the same on every process: rank 0 says it
        if (comm.rank() == 0) std::fprintf(stderr, "mpi_train: %s\n", e.what());
        return 1;
    }
}
