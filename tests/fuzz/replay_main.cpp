// Runs a libFuzzer target without libFuzzer: every file named on the command line, or every
// file in a directory named there, is passed to LLVMFuzzerTestOneInput once. Any compiler
// builds it, so the committed corpora replay as ctest tests in every configuration (the
// default, ASan+UBSan and aarch64/qemu builds). A violated check aborts, failing the test.
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/stat.h>

#include <algorithm>
#include <string>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

namespace {

bool read_file(const std::string &path, std::vector<uint8_t> *out) {
    FILE *f = fopen(path.c_str(), "rb");
    if (!f) return false;
    out->clear();
    uint8_t buf[4096];
    size_t got;
    while ((got = fread(buf, 1, sizeof buf, f)) > 0) out->insert(out->end(), buf, buf + got);
    fclose(f);
    return true;
}

void collect(const std::string &path, std::vector<std::string> *files) {
    struct stat st;
    if (stat(path.c_str(), &st) != 0) return;
    if (!S_ISDIR(st.st_mode)) {
        files->push_back(path);
        return;
    }
    DIR *d = opendir(path.c_str());
    if (!d) return;
    std::vector<std::string> names;
    while (dirent *e = readdir(d))
        if (e->d_name[0] != '.') names.push_back(e->d_name);
    closedir(d);
    std::sort(names.begin(), names.end());
    for (const std::string &n : names) collect(path + "/" + n, files);
}

}  // namespace

int main(int argc, char **argv) {
    std::vector<std::string> files;
    for (int i = 1; i < argc; ++i) collect(argv[i], &files);
    if (files.empty()) {
        fprintf(stderr, "usage: %s FILE_OR_DIR... (no input files found)\n", argv[0]);
        return 2;
    }
    std::vector<uint8_t> data;
    for (const std::string &f : files) {
        if (!read_file(f, &data)) {
            fprintf(stderr, "cannot read %s\n", f.c_str());
            return 2;
        }
        // An exact-size heap copy, so a sanitizer build sees reads past the end.
        std::vector<uint8_t> copy(data);
        LLVMFuzzerTestOneInput(copy.empty() ? nullptr : copy.data(), copy.size());
    }
    printf("replayed %zu inputs\n", files.size());
    return 0;
}
