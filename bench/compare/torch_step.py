"""PyTorch (Debian python3-torch): median microseconds per training step on each workload.
One step = zero_grad, forward, the cost (1/n) sum (a - y)^2, backward, SGD step. Float, sigmoid
everywhere. Threads: the first argument; run.sh sets OPENBLAS_NUM_THREADS to the same, since
Debian's PyTorch calls OpenBLAS, which otherwise uses every core whatever torch is told."""
import statistics
import sys
import time

import torch

WORKLOADS = [("xor", [2, 2, 1], 4, 15), ("adder", [10, 20, 6], 1024, 15),
             ("mnist", [784, 256, 128, 10], 128, 15), ("wide", [1024, 1024, 1024, 1024], 256, 7)]


def main():
    threads = int(sys.argv[1])
    only = sys.argv[2] if len(sys.argv) > 2 else None
    torch.set_num_threads(threads)
    torch.manual_seed(1)
    for name, arch, batch, repetitions in WORKLOADS:
        if only and name != only:
            continue
        modules = []
        for i, o in zip(arch, arch[1:]):
            modules += [torch.nn.Linear(i, o), torch.nn.Sigmoid()]
        model = torch.nn.Sequential(*modules)
        optimizer = torch.optim.SGD(model.parameters(), lr=0.01)
        x, y = torch.rand(batch, arch[0]), torch.rand(batch, arch[-1])

        def step():
            optimizer.zero_grad()
            loss = ((model(x) - y) ** 2).sum(dim=1).mean()
            loss.backward()
            optimizer.step()

        step()
        t0 = time.perf_counter()
        step()
        one = time.perf_counter() - t0
        steps = 1 if one > 0.02 else int(0.02 / max(one, 1e-9)) + 1
        times = []
        for _ in range(repetitions):
            start = time.perf_counter()
            for _ in range(steps):
                step()
            times.append((time.perf_counter() - start) / steps)
        print(f"{name} {1e6 * statistics.median(times):.6g}", flush=True)


if __name__ == "__main__":
    main()
