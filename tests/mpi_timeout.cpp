// No rank waits for ever: under mpirun, the last rank stops itself (SIGSTOP, as a hung node would)
// after epoch 3; every other rank must end its nn::mpi::train with nn::Error naming the silent rank
// within the Communicator's timeout (1 s here), and nn::mpi::Session then aborts the job, the
// stopped process too. tests/mpi_timeout.sh runs it and reads what each rank printed.
#include <chrono>
#include <csignal>
#include <cstdio>
#include <thread>

#include <nn/mpi.hpp>
#include <nn/nn.hpp>

int main(int argc, char** argv) {
    nn::mpi::Session mpi(argc, argv);
    const nn::mpi::Communicator comm(MPI_COMM_WORLD, 1.0);
    nn::Matrix<float> X(300, 4), Y(300, 2);
    nn::Rng rng(1);
    for (float& x : X) x = rng.uniform(-1.0f, 1.0f);
    for (std::size_t i = 0; i < Y.rows(); ++i) Y(i, X(i, 0) > 0) = 1;
    const auto [first, count] = nn::mpi::shard(X.rows(), comm);
    nn::NN<float> net({4, 8, 2}, nn::Activation::Tanh, nn::Activation::Softmax, nn::Loss::CrossEntropy);
    nn::Adam<float> adam(0.01f);
    try {
        nn::mpi::train(comm, net, X.rows(first, count), Y.rows(first, count), adam,
                       {.epochs = 100000, .progress = nn::Progress::Quiet, .on_epoch = [&](const nn::EpochStats& e) {
                            if (e.epoch == 3 && comm.rank() == comm.size() - 1) std::raise(SIGSTOP);
                        }});
        std::printf("rank %d: training ended without an error\n", comm.rank());
    } catch (const nn::Error& e) {
        std::printf("rank %d caught: %s\n", comm.rank(), e.what());
        std::fflush(stdout);
        // Session's abort ends every rank: give the other running ranks, whose deadlines a loaded
        // machine may put a moment later, time to report too.
        std::this_thread::sleep_for(std::chrono::seconds(5));
    }
    std::fflush(stdout);
    return 0;
}
