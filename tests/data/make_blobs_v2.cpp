// Makes tests/data/linear_std_v2.dscb: a full blob in format 2, the format before the penalty
// and averaging fields (issue 12), so tests/test_penalty.cpp can hold the version-2 loader to a
// blob a format-2 library really wrote. Not built by CMake. It was run once against the library
// at commit 51ce55f (the last to write format 2):
//
//   git worktree add --detach /tmp/base 51ce55f
//   cmake -S /tmp/base -B /tmp/base/build -DCMAKE_BUILD_TYPE=Release -DDESCENT_BUILD_TESTS=OFF \
//         -DDESCENT_BUILD_EXAMPLES=OFF -DDESCENT_CLI=OFF && cmake --build /tmp/base/build --target descent
//   g++ -std=c++17 -O2 -I/tmp/base/lib/include tests/data/make_blobs_v2.cpp \
//       /tmp/base/build/libdescent.a -o /tmp/make_blobs_v2 && /tmp/make_blobs_v2 tests/data
//
// The model: LINEAR, 3 features, scalar backend, lr 0.05, momentum 0.9, standardize ON, solver
// GD, 5 epochs on the 40 rows of v2_row() below (test_penalty.cpp builds the same rows), so the
// blob carries a velocity, the column statistics and the standardized training parameters.
// Its parameters go to linear_std_v2.txt as %a hex floats.
#include <descent.h>

#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

static void v2_rows(std::vector<float> *X, std::vector<float> *y) {
    uint32_t s = 12345u;
    auto next = [&s]() {
        s = s * 1664525u + 1013904223u;
        return (float)((int32_t)(s >> 8) - (1 << 23)) / (float)(1 << 23);  // [-1, 1)
    };
    for (int i = 0; i < 40; ++i) {
        const float a = 3.0f * next() + 1.0f, b = 0.5f * next(), c = 10.0f * next() - 2.0f;
        X->push_back(a);
        X->push_back(b);
        X->push_back(c);
        y->push_back(1.5f * a - 2.0f * b + 0.25f * c + 0.5f + 0.1f * next());
    }
}

int main(int argc, char **argv) {
    if (argc != 2) return 2;
    std::vector<float> X, y;
    v2_rows(&X, &y);
    dsc_config cfg;
    dsc_config_init(&cfg, DSC_LINEAR, 3);
    cfg.backend = DSC_BACKEND_SCALAR;
    cfg.lr = 0.05f;
    cfg.momentum = 0.9f;
    cfg.standardize = DSC_STANDARDIZE_ON;
    cfg.solver = DSC_SOLVER_GD;
    cfg.max_epochs = 5;
    std::vector<unsigned long long> arena((dsc_arena_size(&cfg) + 7) / 8);
    dsc_model *m;
    if (arena.empty() || dsc_create(&cfg, arena.data(), arena.size() * 8, &m) != DSC_OK) return 1;
    if (dsc_fit(m, X.data(), y.data(), 40, nullptr) != DSC_OK) return 1;
    std::vector<unsigned char> blob(dsc_save_size(m));
    size_t written = 0;
    if (dsc_save(m, blob.data(), blob.size(), &written) != DSC_OK) return 1;
    const std::string dir = argv[1];
    FILE *f = std::fopen((dir + "/linear_std_v2.dscb").c_str(), "wb");
    if (!f || std::fwrite(blob.data(), 1, written, f) != written) return 1;
    std::fclose(f);
    float p[4];
    dsc_get_params(m, p, 4);
    f = std::fopen((dir + "/linear_std_v2.txt").c_str(), "w");
    if (!f) return 1;
    std::fprintf(f, "%a %a %a %a\n", p[0], p[1], p[2], p[3]);
    std::fclose(f);
    return 0;
}
