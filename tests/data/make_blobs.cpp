// Makes the committed blob files that pin descent's little-endian blob format across hosts.
// Not built by CMake. From the repository root, after `cmake --build --preset default`:
//
//   g++ -std=c++17 -O2 -Ilib/include tests/data/make_blobs.cpp build/default/libdescent.a -o /tmp/make_blobs && /tmp/make_blobs tests/data
//
// Writes tests/data/{linear_d3,logistic_momentum}.dscb (full blobs), poly_predictor.dscb (a
// predictor blob) and blobs_expected.txt: one line per blob, the file name and then its
// parameters as %a hex floats. tests/test_blob.cpp loads each file and checks the parameters
// bit for bit and that saving reproduces the file. Regenerate only when the format changes
// on purpose (the files made on x86-64 are the reference a big-endian or ARM run is held to).
// Every model pins the scalar backend (saved in the blob as 1), so regenerating depends only
// on the scalar kernels; the test never retrains, it only loads and saves these bytes.
#include <descent.h>

#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

namespace {

void die(const char *what, dsc_status s) {
    std::fprintf(stderr, "make_blobs: %s: %s\n", what, dsc_status_string(s));
    std::exit(1);
}

struct Made {
    std::string file;
    std::vector<unsigned char> blob;
    std::vector<float> params;
};

Made make(const char *file, dsc_config cfg, const std::vector<float> &X,
          const std::vector<float> &y, size_t n, bool predictor) {
    cfg.backend = DSC_BACKEND_SCALAR;
    std::vector<unsigned long long> arena((dsc_arena_size(&cfg) + 7) / 8);  // 8-byte aligned
    if (arena.empty()) die(file, DSC_ERR_INVALID_ARGUMENT);
    dsc_model *m;
    dsc_status s = dsc_create(&cfg, arena.data(), arena.size() * 8, &m);
    if (s != DSC_OK) die(file, s);
    s = dsc_fit(m, X.data(), y.data(), n, nullptr);
    if (s != DSC_OK) die(file, s);
    Made r;
    r.file = file;
    r.params.resize(dsc_param_count(m));
    dsc_get_params(m, r.params.data(), r.params.size());
    r.blob.resize(predictor ? dsc_save_predictor_size(m) : dsc_save_size(m));
    size_t written = 0;
    s = predictor ? dsc_save_predictor(m, r.blob.data(), r.blob.size(), &written)
                  : dsc_save(m, r.blob.data(), r.blob.size(), &written);
    if (s != DSC_OK || written != r.blob.size()) die(file, s);
    return r;
}

}  // namespace

int main(int argc, char **argv) {
    if (argc != 2) {
        std::fprintf(stderr, "usage: make_blobs OUTPUT_DIR\n");
        return 2;
    }
    const std::string dir = argv[1];
    std::vector<Made> made;

    {  // linear d=3, full batch, lr 0.1, 10 epochs
        const size_t n = 24;
        std::vector<float> X(n * 3), y(n);
        for (size_t i = 0; i < n; ++i) {
            for (size_t j = 0; j < 3; ++j) X[i * 3 + j] = (float)((int)((i * 5 + j * 7) % 11) - 5) / 4.0f;
            y[i] = 1.0f + 2.0f * X[i * 3] - 0.5f * X[i * 3 + 1] + 0.25f * X[i * 3 + 2] +
                   (float)((int)(i % 3) - 1) / 16.0f;
        }
        dsc_config cfg;
        dsc_config_init(&cfg, DSC_LINEAR, 3);
        cfg.lr = 0.1f;
        cfg.max_epochs = 10;
        made.push_back(make("linear_d3.dscb", cfg, X, y, n, false));
    }
    {  // logistic d=2, minibatch 4 shuffled, momentum 0.5, lr 0.5, 6 epochs (velocity saved)
        const size_t n = 20;
        std::vector<float> X(n * 2), y(n);
        for (size_t i = 0; i < n; ++i) {
            X[i * 2] = (float)((int)((i * 3) % 7) - 3) / 2.0f;
            X[i * 2 + 1] = (float)((int)((i * 5 + 2) % 9) - 4) / 4.0f;
            y[i] = (X[i * 2] - X[i * 2 + 1] + (float)((int)(i % 4) - 1) * 0.5f) > 0.0f ? 1.0f : 0.0f;
        }
        dsc_config cfg;
        dsc_config_init(&cfg, DSC_LOGISTIC, 2);
        cfg.lr = 0.5f;
        cfg.momentum = 0.5f;
        cfg.batch_size = 4;
        cfg.shuffle = 1;
        cfg.seed = 2024;
        cfg.max_epochs = 6;
        made.push_back(make("logistic_momentum.dscb", cfg, X, y, n, false));
    }
    {  // polynomial degree 4, full batch, lr 0.05, 20 epochs, saved as a predictor blob
        const size_t n = 17;
        std::vector<float> X(n), y(n);
        for (size_t i = 0; i < n; ++i) {
            const float x = (float)((int)i - 8) / 8.0f;
            X[i] = x;
            y[i] = 0.5f - x + 0.75f * x * x - 0.25f * x * x * x * x;
        }
        dsc_config cfg;
        dsc_config_init(&cfg, DSC_POLYNOMIAL, 1);
        cfg.degree = 4;
        cfg.lr = 0.05f;
        cfg.max_epochs = 20;
        made.push_back(make("poly_predictor.dscb", cfg, X, y, n, true));
    }

    const std::string txt = dir + "/blobs_expected.txt";
    FILE *t = std::fopen(txt.c_str(), "w");
    if (!t) die(txt.c_str(), DSC_ERR_INVALID_ARGUMENT);
    for (const Made &m : made) {
        const std::string path = dir + "/" + m.file;
        FILE *f = std::fopen(path.c_str(), "wb");
        if (!f || std::fwrite(m.blob.data(), 1, m.blob.size(), f) != m.blob.size()) die(path.c_str(), DSC_OK);
        std::fclose(f);
        std::fprintf(t, "%s", m.file.c_str());
        for (float p : m.params) std::fprintf(t, " %a", (double)p);
        std::fprintf(t, "\n");
        std::printf("%s: %zu bytes, %zu params\n", m.file.c_str(), m.blob.size(), m.params.size());
    }
    std::fclose(t);
    return 0;
}
