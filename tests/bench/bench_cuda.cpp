// CUDA section of descent_bench (built with DESCENT_CUDA=ON): device copy bandwidth, one
// full-batch epoch at 1000x3, 100000x32 and 10000000x32 with the data resident on the device,
// minibatch SGD throughput, and the 1000x3 walkthrough end to end. Without a usable device it
// says so and measures nothing.
#include <cuda_runtime.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <vector>

#include "descent.h"

namespace {

double now_s() {
    return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

struct DeviceModel {
    std::vector<unsigned long long> host;
    void *dev = nullptr;
    dsc_model *m = nullptr;
    DeviceModel(dsc_config c, unsigned long long max_samples) {
        c.backend = DSC_BACKEND_CUDA;
        c.cuda_max_samples = max_samples;
        c.cuda_arena_bytes = dsc_cuda_arena_size(&c);
        if (cudaMalloc(&c.cuda_arena, c.cuda_arena_bytes) != cudaSuccess) return;
        dev = c.cuda_arena;
        host.assign(dsc_arena_size(&c) / 8 + 1, 0);
        if (dsc_create(&c, host.data(), host.size() * 8, &m) != DSC_OK) m = nullptr;
    }
    ~DeviceModel() { cudaFree(dev); }
};

// Seconds per epoch: (fit of 1 + k epochs) - (fit of 1 epoch), best of 3, data on the device.
double epoch_seconds(dsc_config c, const float *dX, const float *dy, size_t n, uint32_t k) {
    double best = 1e30;
    for (int rep = 0; rep < 3; ++rep) {
        double t[2];
        for (int i = 0; i < 2; ++i) {
            c.max_epochs = i == 0 ? 1 : 1 + k;
            DeviceModel dm(c, 0);
            if (!dm.m) return -1.0;
            const double t0 = now_s();
            if (dsc_fit(dm.m, dX, dy, n, nullptr) != DSC_OK) return -1.0;
            t[i] = now_s() - t0;
        }
        best = std::min(best, (t[1] - t[0]) / k);
    }
    return best;
}

void upload(size_t n, uint32_t d, float **dX, float **dy) {
    std::vector<float> X((size_t)n * d), y(n);
    unsigned s = 12345;
    for (auto &v : X) v = (float)((s = s * 1103515245u + 12345u) >> 9 & 0xFFFF) / 65536.0f - 0.5f;
    for (size_t i = 0; i < n; ++i) y[i] = X[i * d] * 2.0f + 1.0f;
    cudaMalloc(dX, X.size() * 4);
    cudaMalloc(dy, y.size() * 4);
    cudaMemcpy(*dX, X.data(), X.size() * 4, cudaMemcpyHostToDevice);
    cudaMemcpy(*dy, y.data(), y.size() * 4, cudaMemcpyHostToDevice);
}

}  // namespace

void run_cuda_section(bool json_only) {
    if (!json_only) std::printf("\n== CUDA backend ==\n");
    dsc_cuda_info info;
    if (dsc_cuda_query(0, &info) != DSC_OK) {
        if (!json_only) std::printf("no usable CUDA device (%s): section skipped\n", info.message);
        std::printf("JSON {\"section\":\"cuda\",\"skipped\":true,\"reason\":\"%s\"}\n", info.message);
        return;
    }
    if (!json_only) std::printf("device 0: %s, compute %d.%d, %.1f GiB\n", info.name, info.cc_major, info.cc_minor,
                                info.total_memory / 1073741824.0);
    // Device-to-device copy of 1 GiB: each byte is read once and written once.
    const size_t bytes = 1ull << 30;
    void *a = nullptr, *b = nullptr;
    cudaMalloc(&a, bytes);
    cudaMalloc(&b, bytes);
    cudaMemset(a, 0, bytes);
    cudaEvent_t e0, e1;
    cudaEventCreate(&e0);
    cudaEventCreate(&e1);
    float best_ms = 1e30f;
    for (int r = 0; r < 5; ++r) {
        cudaEventRecord(e0);
        cudaMemcpy(b, a, bytes, cudaMemcpyDeviceToDevice);
        cudaEventRecord(e1);
        cudaEventSynchronize(e1);
        float ms;
        cudaEventElapsedTime(&ms, e0, e1);
        best_ms = std::min(best_ms, ms);
    }
    cudaFree(a);
    cudaFree(b);
    const double copy_gbps = 2.0 * bytes / (best_ms * 1e-3) / 1e9;  // read + write
    if (!json_only) std::printf("device copy bandwidth (read + write): %.0f GB/s\n", copy_gbps);
    std::printf("JSON {\"section\":\"cuda_limits\",\"device\":\"%s\",\"copy_gbps\":%.1f}\n", info.name, copy_gbps);

    struct Case { size_t n; uint32_t d; uint32_t k; };
    const Case cases[] = {{1000, 3, 200}, {100000, 32, 50}, {10000000, 32, 10}};
    if (!json_only) std::printf("%-16s %12s %10s %10s\n", "full batch", "time/epoch", "GB/s", "vs copy");
    for (const Case &c : cases) {
        float *dX, *dy;
        upload(c.n, c.d, &dX, &dy);
        dsc_config cfg;
        dsc_config_init(&cfg, DSC_LINEAR, c.d);
        cfg.lr = 1e-6f;
        const double s = epoch_seconds(cfg, dX, dy, c.n, c.k);
        const double gb = (double)c.n * (c.d + 1) * 4 / s / 1e9;
        if (!json_only) std::printf("%7zux%-8u %9.1f us %10.1f %9.0f%%\n", c.n, c.d, s * 1e6, gb, 100.0 * gb / copy_gbps);
        std::printf("JSON {\"section\":\"cuda_epoch\",\"n\":%zu,\"d\":%u,\"us_per_epoch\":%.2f,\"gbps\":%.1f,\"ratio_copy\":%.3f}\n",
                    c.n, c.d, s * 1e6, gb, gb / copy_gbps);
        cudaFree(dX);
        cudaFree(dy);
    }
    // Minibatch SGD throughput (linear 100000x32, momentum 0.9, shuffled).
    float *dX, *dy;
    upload(100000, 32, &dX, &dy);
    for (uint32_t batch : {32u, 256u}) {
        dsc_config cfg;
        dsc_config_init(&cfg, DSC_LINEAR, 32);
        cfg.lr = 1e-4f;
        cfg.momentum = 0.9f;
        cfg.batch_size = batch;
        const double s = epoch_seconds(cfg, dX, dy, 100000, 3);
        if (!json_only) std::printf("minibatch %3u: %.3g samples/s\n", batch, 100000 / s);
        std::printf("JSON {\"section\":\"cuda_sgd\",\"batch\":%u,\"samples_per_s\":%.4g}\n", batch, 100000 / s);
    }
    cudaFree(dX);
    cudaFree(dy);
    // The walkthrough: 1000x3, 500 epochs, from host data (the copy included).
    std::vector<float> X(3000), y(1000);
    for (size_t i = 0; i < 1000; ++i) {
        for (int j = 0; j < 3; ++j) X[i * 3 + j] = (float)((i * 7 + j * 13) % 100) / 50.0f - 1.0f;
        y[i] = X[i * 3] + 2 * X[i * 3 + 1] + 4 * X[i * 3 + 2] + 3;
    }
    dsc_config cfg;
    dsc_config_init(&cfg, DSC_LINEAR, 3);
    cfg.reduction = DSC_REDUCTION_SUM;
    cfg.lr = 1e-4f;
    cfg.max_epochs = 500;
    double best = 1e30;
    for (int r = 0; r < 5; ++r) {
        DeviceModel dm(cfg, 1000);
        if (!dm.m) break;
        const double t0 = now_s();
        dsc_fit(dm.m, X.data(), y.data(), 1000, nullptr);
        best = std::min(best, now_s() - t0);
    }
    if (!json_only) std::printf("walkthrough 1000x3, 500 epochs, host data: %.2f ms end to end (target < 5 ms)\n", best * 1e3);
    std::printf("JSON {\"section\":\"cuda_walkthrough\",\"ms\":%.3f}\n", best * 1e3);
}
