// descent — command-line trainer for the descent library (ports/cli).
//
//   descent train DATA.csv --target COL [options] -o MODEL.dscb
//   descent predict MODEL.dscb DATA.csv [-o out.csv] [--proba]
//   descent info MODEL.dscb
//
// A port, not the library: it uses the heap, exceptions and stdio freely. The model lives in
// an arena sized by dsc_arena_size / dsc_load_arena_size and allocated here (64-byte aligned).
//
// CSV: libcsv (Debian libcsv-dev, libcsv 3.0) rather than a hand-written parser. It is a small,
// long-maintained C library with RFC 4180 quoting (commas, quotes and newlines inside quoted
// fields), CR, LF and CRLF record ends, and a streaming callback interface, so a 10 MB field
// costs one growing buffer and no special casing. The alternative, Fast C++ CSV Parser
// (libfccp-dev), needs the column count at compile time and has weaker quoting support.
//
// Exit codes (see usage()): 0 ok, 1 usage/config, 2 data/CSV, 3 training failed, 4 I/O or
// model file.
#include <csv.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstdarg>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <memory>
#include <random>
#include <stdexcept>
#include <string>
#include <vector>

#include "descent.h"
#include "descent_pool.h"

namespace {

enum ExitCode { EXIT_OK = 0, EXIT_USAGE = 1, EXIT_DATA = 2, EXIT_TRAIN = 3, EXIT_IO = 4 };

struct Failure : std::runtime_error {
    int code;
    Failure(int c, const std::string &msg) : std::runtime_error(msg), code(c) {}
};

[[noreturn]] void fail(int code, const std::string &msg) { throw Failure(code, msg); }

std::string fmt(const char *f, ...) __attribute__((format(printf, 1, 2)));
std::string fmt(const char *f, ...) {
    char buf[512];
    va_list ap;
    va_start(ap, f);
    vsnprintf(buf, sizeof buf, f, ap);
    va_end(ap);
    return buf;
}

// A value for a message: at most 40 bytes, control characters shown as '?'.
std::string shorten(const std::string &s) {
    std::string out;
    for (size_t i = 0; i < s.size() && i < 40; ++i) {
        unsigned char c = (unsigned char)s[i];
        out += (c < 0x20 || c == 0x7f) ? '?' : (char)c;
    }
    if (s.size() > 40) out += fmt("... (%zu bytes)", s.size());
    return out;
}

// ---- enum names --------------------------------------------------------------------------
struct Name {
    const char *name;
    uint32_t value;
};
const Name kKinds[] = {{"linear", DSC_LINEAR}, {"logistic", DSC_LOGISTIC},
                       {"poly", DSC_POLYNOMIAL}, {"legendre3", DSC_LEGENDRE3},
                       {"softmax", DSC_SOFTMAX}};
const Name kReductions[] = {{"mean", DSC_REDUCTION_MEAN}, {"sum", DSC_REDUCTION_SUM}};
const Name kSchedules[] = {{"constant", DSC_LR_CONSTANT}, {"invscaling", DSC_LR_INVSCALING},
                           {"adaptive", DSC_LR_ADAPTIVE}};
const Name kBackends[] = {{"auto", DSC_BACKEND_AUTO}, {"scalar", DSC_BACKEND_SCALAR},
                          {"sse2", DSC_BACKEND_SSE2},  {"avx2", DSC_BACKEND_AVX2},
                          {"avx512", DSC_BACKEND_AVX512}, {"neon", DSC_BACKEND_NEON},
                          {"cuda", DSC_BACKEND_CUDA}};
const Name kStandardize[] = {{"auto", DSC_STANDARDIZE_AUTO}, {"on", DSC_STANDARDIZE_ON},
                             {"off", DSC_STANDARDIZE_OFF}};
const Name kSolvers[] = {{"auto", DSC_SOLVER_AUTO}, {"gd", DSC_SOLVER_GD},
                         {"newton", DSC_SOLVER_NEWTON}};
// scikit-learn's SGD loss names (descent.h's dsc_loss_kind; "default" is the model's own).
const Name kLosses[] = {{"default", DSC_LOSS_DEFAULT},
                        {"huber", DSC_LOSS_HUBER},
                        {"epsilon_insensitive", DSC_LOSS_EPSILON_INSENSITIVE},
                        {"squared_epsilon_insensitive", DSC_LOSS_SQUARED_EPSILON_INSENSITIVE},
                        {"hinge", DSC_LOSS_HINGE}};

template <size_t N>
const char *name_of(const Name (&table)[N], uint32_t v) {
    for (const Name &n : table)
        if (n.value == v) return n.name;
    return "?";
}
template <size_t N>
uint32_t parse_name(const Name (&table)[N], const std::string &opt, const std::string &s) {
    std::string all;
    for (const Name &n : table) {
        if (s == n.name) return n.value;
        all += all.empty() ? "" : "|";
        all += n.name;
    }
    fail(EXIT_USAGE, "--" + opt + ": unknown value '" + s + "' (expected " + all + ")");
}

// ---- number parsing ----------------------------------------------------------------------
uint64_t parse_uint(const std::string &opt, const std::string &s, uint64_t max) {
    errno = 0;
    char *end = nullptr;
    unsigned long long v = strtoull(s.c_str(), &end, 10);
    if (s.empty() || s[0] == '-' || s[0] == '+' || *end != '\0' || errno == ERANGE || v > max)
        fail(EXIT_USAGE, fmt("--%s: '%s' is not an integer in [0, %llu]", opt.c_str(),
                             shorten(s).c_str(), (unsigned long long)max));
    return v;
}

float parse_float_opt(const std::string &opt, const std::string &s) {
    errno = 0;
    char *end = nullptr;
    float v = strtof(s.c_str(), &end);
    if (s.empty() || *end != '\0' || errno == ERANGE || !std::isfinite(v))
        fail(EXIT_USAGE, "--" + opt + ": '" + shorten(s) + "' is not a finite number");
    return v;
}

// A CSV cell as float32: surrounding blanks allowed; empty, text, NaN/Inf and values outside
// float32's range are refused (the message says which).
bool parse_cell(const std::string &s, float *out, const char **why) {
    size_t a = 0, b = s.size();
    while (a < b && (s[a] == ' ' || s[a] == '\t')) ++a;
    while (b > a && (s[b - 1] == ' ' || s[b - 1] == '\t')) --b;
    if (a == b) {
        *why = "missing value";
        return false;
    }
    std::string t = s.substr(a, b - a);
    errno = 0;
    char *end = nullptr;
    float v = strtof(t.c_str(), &end);
    if (*end != '\0' || end == t.c_str()) {
        *why = "not a number";
        return false;
    }
    if (!std::isfinite(v) || (errno == ERANGE && std::fabs(v) > 1.0f)) {
        *why = "not a finite float32 number";
        return false;
    }
    *out = v;
    return true;
}

// ---- CSV reading (libcsv) ----------------------------------------------------------------
// The whole file is read, then fed to libcsv one physical line at a time, so each field is
// known with the line it ends on. Records: a vector of cell strings; the first is the header.
struct Table {
    std::vector<std::string> header;
    std::vector<std::vector<std::string>> rows;
    std::vector<size_t> row_line;  // 1-based physical line each row ends on
};

struct CsvState {
    Table *t;
    std::vector<std::string> cur;
    size_t line = 1;
    bool have_header = false;
    std::string error;
    std::string path;
};

void csv_field_cb(void *s, size_t len, void *data) {
    CsvState *st = static_cast<CsvState *>(data);
    st->cur.emplace_back(s ? static_cast<const char *>(s) : "", s ? len : 0);
}

void csv_record_cb(int, void *data) {
    CsvState *st = static_cast<CsvState *>(data);
    if (!st->error.empty()) {
        st->cur.clear();
        return;
    }
    if (!st->have_header) {
        st->t->header = std::move(st->cur);
        st->have_header = true;
        // A UTF-8 byte order mark is not part of the first name.
        if (!st->t->header.empty() && st->t->header[0].rfind("\xEF\xBB\xBF", 0) == 0)
            st->t->header[0].erase(0, 3);
    } else {
        if (st->cur.size() != st->t->header.size())
            st->error = fmt("%s: line %zu: %zu fields, but the header has %zu", st->path.c_str(),
                            st->line, st->cur.size(), st->t->header.size());
        st->t->rows.push_back(std::move(st->cur));
        st->t->row_line.push_back(st->line);
    }
    st->cur.clear();
}

std::string read_file(const std::string &path, int code_if_missing) {
    FILE *f = fopen(path.c_str(), "rb");
    if (!f) fail(code_if_missing, path + ": " + strerror(errno));
    std::string data;
    char buf[1 << 16];
    size_t got;
    while ((got = fread(buf, 1, sizeof buf, f)) > 0) data.append(buf, got);
    bool bad = ferror(f) != 0;
    fclose(f);
    if (bad) fail(EXIT_IO, path + ": read error");
    return data;
}

Table read_csv(const std::string &path) {
    std::string data = read_file(path, EXIT_DATA);
    Table t;
    CsvState st;
    st.t = &t;
    st.path = path;
    struct csv_parser p;
    if (csv_init(&p, CSV_STRICT | CSV_STRICT_FINI) != 0) fail(EXIT_IO, "libcsv: init failed");
    // libcsv grows its field buffer by a fixed block (default 128 bytes): a 10 MB field would
    // take ~80000 reallocations, each copying the field so far. 1 MiB blocks keep it linear.
    csv_set_blk_size(&p, (size_t)1 << 20);
    size_t pos = 0;
    while (pos < data.size() && st.error.empty()) {
        const char *nl = static_cast<const char *>(memchr(data.data() + pos, '\n', data.size() - pos));
        size_t end = nl ? (size_t)(nl - data.data()) + 1 : data.size();
        if (csv_parse(&p, data.data() + pos, end - pos, csv_field_cb, csv_record_cb, &st) !=
            end - pos) {
            st.error = fmt("%s: line %zu: malformed CSV (%s)", path.c_str(), st.line,
                           csv_strerror(csv_error(&p)));
            break;
        }
        pos = end;
        if (nl) ++st.line;
    }
    if (st.error.empty() && csv_fini(&p, csv_field_cb, csv_record_cb, &st) != 0)
        st.error = fmt("%s: line %zu: malformed CSV (%s)", path.c_str(), st.line,
                       "unterminated quoted field");
    csv_free(&p);
    if (!st.error.empty()) fail(EXIT_DATA, st.error);
    if (!st.have_header) fail(EXIT_DATA, path + ": empty file (no header row)");
    if (t.rows.empty()) fail(EXIT_DATA, path + ": no data rows after the header");
    return t;
}

// --features A,B,C is itself one CSV record (through libcsv), so a name holding a comma is
// given quoted: --features '"pressure, Pa",strain'.
void list_field_cb(void *s, size_t len, void *data) {
    static_cast<std::vector<std::string> *>(data)->emplace_back(
        s ? static_cast<const char *>(s) : "", s ? len : 0);
}

std::vector<std::string> split_list(const std::string &opt_name, const std::string &s) {
    std::vector<std::string> out;
    struct csv_parser p;
    if (csv_init(&p, CSV_STRICT | CSV_STRICT_FINI) != 0) fail(EXIT_IO, "libcsv: init failed");
    bool ok = csv_parse(&p, s.data(), s.size(), list_field_cb, nullptr, &out) == s.size() &&
              csv_fini(&p, list_field_cb, nullptr, &out) == 0;
    csv_free(&p);
    if (!ok || out.empty()) fail(EXIT_USAGE, "--" + opt_name + ": not a comma-separated list");
    for (const std::string &f : out)
        if (f.empty()) fail(EXIT_USAGE, "--" + opt_name + ": empty column name");
    return out;
}

size_t column_index(const Table &t, const std::string &name, const std::string &path,
                    const char *role) {
    size_t found = SIZE_MAX;
    for (size_t j = 0; j < t.header.size(); ++j) {
        if (t.header[j] != name) continue;
        if (found != SIZE_MAX)
            fail(EXIT_DATA, path + ": column '" + name + "' appears more than once in the header");
        found = j;
    }
    if (found == SIZE_MAX)
        fail(EXIT_DATA, path + ": " + role + " column '" + name + "' not found in the header");
    return found;
}

// Numeric matrix (row-major float32) of the given columns; the first bad cell stops with its
// line and column.
std::vector<float> numeric_columns(const Table &t, const std::vector<size_t> &cols,
                                   const std::string &path) {
    std::vector<float> X(t.rows.size() * cols.size());
    for (size_t i = 0; i < t.rows.size(); ++i)
        for (size_t k = 0; k < cols.size(); ++k) {
            const char *why = nullptr;
            const std::string &cell = t.rows[i][cols[k]];
            if (!parse_cell(cell, &X[i * cols.size() + k], &why))
                fail(EXIT_DATA, fmt("%s: line %zu, column %zu (%s): %s: '%s'", path.c_str(),
                                    t.row_line[i], cols[k] + 1, t.header[cols[k]].c_str(), why,
                                    shorten(cell).c_str()));
        }
    return X;
}

// ---- the model file ------------------------------------------------------------------------
// Text header, then the library's blob:
//   descent-model 1\n
//   target <name>\n            names percent-encoded: %, control bytes and DEL as %XX
//   feature <name>\n           one per input column, in the model's order
//   class <name>\n             classifier trained on class names: one line per class, in
//                              class index order (logistic two, softmax n_classes)
//   fit <text>\n               optional: a one-line summary of the fit (shown by info)
//   blob <bytes>\n
//   <the dsc_save blob, exactly <bytes> bytes, to the end of the file>
const char kMagic[] = "descent-model 1";

struct ModelFile {
    std::string target;
    std::vector<std::string> features;
    std::vector<std::string> classes;
    std::string fit;
    std::string blob;
};

std::string encode_name(const std::string &s) {
    std::string out;
    for (unsigned char c : s) {
        if (c < 0x20 || c == 0x7f || c == '%')
            out += fmt("%%%02X", c);
        else
            out += (char)c;
    }
    return out;
}

bool decode_name(const std::string &s, std::string *out) {
    out->clear();
    for (size_t i = 0; i < s.size(); ++i) {
        if (s[i] != '%') {
            out->push_back(s[i]);
            continue;
        }
        if (i + 2 >= s.size() + 0 || !isxdigit((unsigned char)s[i + 1]) ||
            !isxdigit((unsigned char)s[i + 2]))
            return false;
        out->push_back((char)strtol(s.substr(i + 1, 2).c_str(), nullptr, 16));
        i += 2;
    }
    return true;
}

std::string model_bytes(const ModelFile &mf) {
    std::string s = std::string(kMagic) + "\n";
    s += "target " + encode_name(mf.target) + "\n";
    for (const std::string &f : mf.features) s += "feature " + encode_name(f) + "\n";
    for (const std::string &c : mf.classes) s += "class " + encode_name(c) + "\n";
    if (!mf.fit.empty()) s += "fit " + encode_name(mf.fit) + "\n";
    s += fmt("blob %zu\n", mf.blob.size());
    return s + mf.blob;
}

ModelFile parse_model(const std::string &path) {
    std::string data = read_file(path, EXIT_IO);
    auto bad = [&](const std::string &why) -> void {
        fail(EXIT_IO, path + ": not a descent model file (" + why + ")");
    };
    ModelFile mf;
    size_t pos = 0;
    bool have_target = false;
    for (;;) {
        size_t nl = data.find('\n', pos);
        if (nl == std::string::npos || nl - pos > 1 << 20) bad("truncated header");
        std::string line = data.substr(pos, nl - pos);
        pos = nl + 1;
        if (pos == line.size() + 1) {
            if (line != kMagic) bad("bad magic line");
            continue;
        }
        size_t sp = line.find(' ');
        std::string key = line.substr(0, sp), val, name;
        if (sp == std::string::npos) bad("header line without a value: '" + shorten(line) + "'");
        val = line.substr(sp + 1);
        if (key == "blob") {
            char *end = nullptr;
            errno = 0;
            unsigned long long n = strtoull(val.c_str(), &end, 10);
            if (val.empty() || *end != '\0' || errno == ERANGE) bad("bad blob length");
            if (n != data.size() - pos)
                bad(fmt("blob length %llu, but %zu bytes follow: truncated or padded", n,
                        data.size() - pos));
            mf.blob = data.substr(pos);
            break;
        }
        if (!decode_name(val, &name)) bad("bad percent escape in '" + shorten(line) + "'");
        if (key == "target") {
            mf.target = name;
            have_target = true;
        } else if (key == "feature") {
            mf.features.push_back(name);
        } else if (key == "class") {
            mf.classes.push_back(name);
        } else if (key == "fit") {
            mf.fit = name;
        } else {
            bad("unknown header line '" + shorten(key) + "'");
        }
    }
    if (!have_target) bad("no target line");
    if (mf.features.empty()) bad("no feature lines");
    return mf;
}

void write_file_atomic(const std::string &path, const std::string &bytes) {
    std::string tmp = path + ".tmp";
    FILE *f = fopen(tmp.c_str(), "wb");
    if (!f) fail(EXIT_IO, tmp + ": " + strerror(errno));
    bool ok = fwrite(bytes.data(), 1, bytes.size(), f) == bytes.size();
    ok = (fclose(f) == 0) && ok;
    if (!ok || rename(tmp.c_str(), path.c_str()) != 0) {
        int e = errno;
        remove(tmp.c_str());
        fail(EXIT_IO, path + ": write failed: " + strerror(e));
    }
}

// ---- arena + loaded model ------------------------------------------------------------------
struct Arena {
    void *p = nullptr;
    size_t bytes = 0;
    explicit Arena(size_t n) {
        bytes = (n + 63) / 64 * 64;
        if (bytes == 0) bytes = 64;
        p = aligned_alloc(64, bytes);
        if (!p) fail(EXIT_IO, fmt("cannot allocate an arena of %zu bytes", bytes));
    }
    ~Arena() { free(p); }
    Arena(const Arena &) = delete;
    Arena &operator=(const Arena &) = delete;
};

bool is_classifier(uint32_t kind) { return kind == DSC_LOGISTIC || kind == DSC_SOFTMAX; }

// Classes of a model: n_classes (softmax), 2 (logistic), 0 (regressors).
size_t class_count(const dsc_config &c) {
    return c.kind == DSC_SOFTMAX ? c.n_classes : c.kind == DSC_LOGISTIC ? 2 : 0;
}

struct Loaded {
    ModelFile mf;
    std::unique_ptr<Arena> arena;
    dsc_model *m = nullptr;
    dsc_config cfg{};
};

Loaded load_model(const std::string &path) {
    Loaded L;
    L.mf = parse_model(path);
    size_t need = 0;
    dsc_status s = dsc_load_arena_size(L.mf.blob.data(), L.mf.blob.size(), &need);
    if (s != DSC_OK) fail(EXIT_IO, path + ": model blob rejected: " + dsc_status_string(s));
    L.arena = std::make_unique<Arena>(need);
    s = dsc_load(L.mf.blob.data(), L.mf.blob.size(), L.arena->p, L.arena->bytes, &L.m);
    if (s != DSC_OK) fail(EXIT_IO, path + ": model blob rejected: " + dsc_status_string(s));
    dsc_get_config(L.m, &L.cfg);
    if (L.cfg.n_features != L.mf.features.size())
        fail(EXIT_IO, fmt("%s: not a descent model file (%zu feature names for a model of %u "
                          "features)", path.c_str(), L.mf.features.size(), L.cfg.n_features));
    // Class names are optional (logistic trained on 0/1 labels has none); present, there is
    // one per class.
    const size_t n_classes = class_count(L.cfg);
    if (!L.mf.classes.empty() && L.mf.classes.size() != n_classes)
        fail(EXIT_IO, fmt("%s: not a descent model file (%zu class names for a %s model of %zu "
                          "classes)", path.c_str(), L.mf.classes.size(),
                          name_of(kKinds, L.cfg.kind), n_classes));
    return L;
}

// ---- options -------------------------------------------------------------------------------
struct Args {
    std::vector<std::string> positional;
    std::map<std::string, std::string> opts;  // name without dashes -> value ("1" for flags)
};

const char *const kValueOpts[] = {
    "target", "features", "model", "degree", "lr", "momentum", "dampening", "weight-decay",
    "nesterov", "batch-size", "shuffle", "max-epochs", "seed", "reduction", "schedule",
    "power-t", "tol", "n-iter-no-change", "backend", "standardize", "solver", "conv-tol",
    "alpha", "l1-ratio", "average", "loss", "epsilon", "early-stopping", "validation-fraction",
    "class-weight", "weight",
    "threads", "holdout", "plot", "o"};
const char *const kFlagOpts[] = {"quiet", "proba", "help"};

Args parse_args(int argc, char **argv, int first) {
    Args a;
    for (int i = first; i < argc; ++i) {
        std::string s = argv[i];
        if (s == "-h") s = "--help";
        if (s.size() < 2 || s[0] != '-' || s == "-") {
            a.positional.push_back(s);
            continue;
        }
        std::string name = s[1] == '-' ? s.substr(2) : s.substr(1), val;
        bool has_eq = false;
        size_t eq = name.find('=');
        if (eq != std::string::npos) {
            val = name.substr(eq + 1);
            name = name.substr(0, eq);
            has_eq = true;
        }
        if (name == "output") name = "o";
        if (s[1] != '-' && name != "o") fail(EXIT_USAGE, "unknown option '" + s + "'");
        bool is_value = std::find_if(std::begin(kValueOpts), std::end(kValueOpts),
                                     [&](const char *o) { return name == o; }) != std::end(kValueOpts);
        bool is_flag = std::find_if(std::begin(kFlagOpts), std::end(kFlagOpts),
                                    [&](const char *o) { return name == o; }) != std::end(kFlagOpts);
        if (is_value) {
            if (!has_eq) {
                if (i + 1 >= argc) fail(EXIT_USAGE, "option '" + s + "' needs a value");
                val = argv[++i];
            }
        } else if (is_flag) {
            if (has_eq) fail(EXIT_USAGE, "option '--" + name + "' takes no value");
            val = "1";
        } else {
            fail(EXIT_USAGE, "unknown option '" + s + "' (see descent --help)");
        }
        if (a.opts.count(name)) fail(EXIT_USAGE, "option '" + s + "' given twice");
        a.opts[name] = val;
    }
    return a;
}

void usage(FILE *out) {
    dsc_config d;
    dsc_config_init(&d, DSC_LINEAR, 1);
    fprintf(out,
            "descent %u.%u.%u — train regression models with the descent library\n"
            "\n"
            "usage:\n"
            "  descent train DATA.csv --target COLUMN [options] -o MODEL.dscb\n"
            "  descent predict MODEL.dscb DATA.csv [-o OUT.csv] [--proba]\n"
            "  descent info MODEL.dscb\n"
            "  descent --help\n"
            "\n"
            "train (DATA.csv has a header row; options may also be written --name=value):\n"
            "  --target COLUMN          the column to predict (required)\n"
            "  --features A,B,C         input columns by name (default: every column but the target\n"
            "                           and the --weight column)\n"
            "  --weight COLUMN          per-row sample weights (finite, >= 0, not all 0): a row of\n"
            "                           weight k counts k times, 0 leaves it out; the --holdout\n"
            "                           score stays unweighted\n"
            "  --model KIND             linear|logistic|poly|legendre3|softmax (default linear);\n"
            "                           poly and legendre3 take one feature column; logistic\n"
            "                           (two classes) and softmax (multinomial, 2 to %u classes)\n"
            "                           take class names in the target column, any text: the\n"
            "                           distinct names sorted bytewise are classes 0, 1, ...\n"
            "                           (logistic also takes 0/1 numbers)\n"
            "  -o, --output FILE        the model file to write (required)\n"
            "  --degree K               poly: highest power (default %u, max %u)\n"
            "  --lr X                   learning rate; 0 = automatic (default %g)\n"
            "  --momentum X             (default %g)\n"
            "  --dampening X            (default %g)\n"
            "  --weight-decay X         (default %g)\n"
            "  --nesterov 0|1           (default %u)\n"
            "  --batch-size N           0 = full batch (default %u)\n"
            "  --shuffle 0|1            minibatch order shuffled per epoch (default %u)\n"
            "  --max-epochs N           (default %u)\n"
            "  --seed N                 shuffle and --holdout seed (default %llu)\n"
            "  --reduction R            mean|sum (default %s)\n"
            "  --schedule S             constant|invscaling|adaptive (default %s)\n"
            "  --power-t X              invscaling exponent (default %g)\n"
            "  --tol X                  improvement tolerance; < 0 = off (default %g)\n"
            "  --n-iter-no-change N     patience for --tol and adaptive (default %u)\n"
            "  --backend B              auto|scalar|sse2|avx2|avx512|neon (default %s)\n"
            "  --standardize S          auto|on|off (default %s)\n"
            "  --solver S               auto|gd|newton (default %s)\n"
            "  --conv-tol X             convergence test; 0 = automatic, < 0 = off (default %g)\n"
            "  --alpha X, --l1-ratio X  elastic-net penalty on the weights (default %g, %g)\n"
            "  --average N              averaged SGD from N samples seen; 0 = off (default %u)\n"
            "  --loss L                 default|huber|epsilon_insensitive|\n"
            "                           squared_epsilon_insensitive (linear)|hinge (logistic)\n"
            "  --epsilon X              huber threshold / insensitive band (default %g)\n"
            "  --early-stopping 0|1     hold out --validation-fraction of the training rows (seeded\n"
            "                           by --seed), stop when their loss stops improving by --tol for\n"
            "                           --n-iter-no-change epochs, keep the best (default %u)\n"
            "  --validation-fraction F  (default %g)\n"
            "  --class-weight W0,W1     logistic: weights of class 0 and class 1 (the sorted class\n"
            "                           names) (default 1,1)\n"
            "  --threads N              threads for passes over > 16384 rows (default 1)\n"
            "  --holdout F              hold out this fraction of rows (seeded shuffle), train on\n"
            "                           the rest, report R^2 or accuracy on it (default 0: none)\n"
            "  --plot FILE.svg          write the loss curve as an SVG file\n"
            "  --quiet                  no progress line, no summary\n"
            "\n"
            "predict:\n"
            "  -o, --output FILE        write the predictions there (default: stdout)\n"
            "  --proba                  probabilities, not class names: logistic one column, the\n"
            "                           second class's (p_NAME); softmax one per class, in class\n"
            "                           order (p_NAME0,p_NAME1,...)\n"
            "  Feature columns are matched by name; other columns are ignored.\n"
            "\n"
            "exit codes:\n"
            "  0 ok\n"
            "  1 usage or config error (bad option, bad value, model not available)\n"
            "  2 data error (CSV unreadable or malformed, missing or non-numeric value, missing\n"
            "    column); the message gives the line and column, and no file is written\n"
            "  3 training failed (diverged, or the library refused the data)\n"
            "  4 I/O or model-file error (cannot write, bad or corrupt model file)\n",
            DSC_VERSION_MAJOR, DSC_VERSION_MINOR, DSC_VERSION_PATCH, DSC_MAX_CLASSES, d.degree,
            DSC_MAX_POLY_DEGREE, (double)d.lr, (double)d.momentum, (double)d.dampening,
            (double)d.weight_decay, d.nesterov, d.batch_size, d.shuffle, d.max_epochs,
            (unsigned long long)d.seed, name_of(kReductions, d.reduction),
            name_of(kSchedules, d.schedule), (double)d.power_t, (double)d.tol,
            d.n_iter_no_change, name_of(kBackends, d.backend), name_of(kStandardize, d.standardize),
            name_of(kSolvers, d.solver), (double)d.conv_tol, (double)d.alpha, (double)d.l1_ratio,
            d.average, (double)d.epsilon, d.early_stopping, (double)d.validation_fraction);
}

// ---- progress ------------------------------------------------------------------------------
using Clock = std::chrono::steady_clock;

struct Progress {
    bool quiet = false, tty = false;
    uint32_t max_epochs = 0;
    const dsc_config *cfg = nullptr;
    uint64_t steps_per_epoch = 1;
    Clock::time_point start, last_draw;
    uint32_t last_epoch = 0, last_printed = 0, next_pow2 = 1;
    float last_loss = 0;
    std::vector<float> losses;
    size_t line_len = 0;

    std::string lr_text(uint32_t epoch) const {
        if (cfg->lr == 0.0f) return "auto";
        if (cfg->schedule == DSC_LR_INVSCALING)
            return fmt("%.4g", (double)cfg->lr /
                                   std::pow((double)epoch * (double)steps_per_epoch,
                                            (double)cfg->power_t));
        if (cfg->schedule == DSC_LR_ADAPTIVE) return fmt("<=%.4g", (double)cfg->lr);
        return fmt("%.4g", (double)cfg->lr);
    }
    static std::string secs(double s) {
        if (s < 60) return fmt("%.1fs", s);
        if (s < 3600) return fmt("%dm%02ds", (int)(s / 60), (int)std::fmod(s, 60.0));
        return fmt("%dh%02dm", (int)(s / 3600), (int)std::fmod(s / 60, 60.0));
    }
    std::string line(uint32_t epoch, float loss) const {
        double el = std::chrono::duration<double>(Clock::now() - start).count();
        double eta = epoch ? el / epoch * (double)(max_epochs > epoch ? max_epochs - epoch : 0) : 0;
        return fmt("epoch %u/%u  loss %.6g  lr %s  elapsed %s  eta <=%s", epoch, max_epochs,
                   (double)loss, lr_text(epoch).c_str(), secs(el).c_str(), secs(eta).c_str());
    }
    void draw(uint32_t epoch, float loss) {
        std::string s = line(epoch, loss);
        if (tty) {
            size_t pad = line_len > s.size() ? line_len - s.size() : 0;
            fprintf(stderr, "\r%s%*s", s.c_str(), (int)pad, "");
            line_len = s.size();
        } else {
            fprintf(stderr, "%s\n", s.c_str());
        }
        fflush(stderr);
        last_printed = epoch;
        last_draw = Clock::now();
    }
    void epoch_done(uint32_t epoch, float loss) {
        losses.push_back(loss);
        last_epoch = epoch;
        last_loss = loss;
        if (quiet) return;
        if (tty) {
            if (epoch == 1 || Clock::now() - last_draw > std::chrono::milliseconds(100))
                draw(epoch, loss);
        } else if (epoch >= next_pow2) {
            while (next_pow2 <= epoch) next_pow2 *= 2;
            draw(epoch, loss);
        }
    }
    void finish() {
        if (quiet || last_epoch == 0) return;
        if (last_printed != last_epoch) draw(last_epoch, last_loss);
        if (tty) fputc('\n', stderr);
    }
};

int on_epoch(void *user, uint32_t epoch, float loss) {
    static_cast<Progress *>(user)->epoch_done(epoch, loss);
    return 0;
}

// ---- SVG loss curve ------------------------------------------------------------------------
std::string xml_escape(const std::string &s) {
    std::string o;
    for (char c : s) {
        if (c == '&') o += "&amp;";
        else if (c == '<') o += "&lt;";
        else if (c == '>') o += "&gt;";
        else if (c == '"') o += "&quot;";
        else if ((unsigned char)c < 0x20) o += ' ';
        else o += c;
    }
    return o;
}

double nice_step(double range, int target_ticks) {
    double raw = range / target_ticks, p = std::pow(10.0, std::floor(std::log10(raw)));
    for (double m : {1.0, 2.0, 5.0, 10.0})
        if (m * p >= raw) return m * p;
    return 10 * p;
}

std::string loss_svg(const std::vector<float> &losses, const std::string &title) {
    const double W = 720, H = 440, L = 90, R = 30, T = 50, B = 60;
    const double pw = W - L - R, ph = H - T - B;
    double lo = HUGE_VAL, hi = 0;
    for (float v : losses)
        if (v > 0 && std::isfinite(v)) lo = std::min(lo, (double)v), hi = std::max(hi, (double)v);
    if (!(lo <= hi)) lo = hi = 1;  // no positive loss: a flat axis around 1
    double y0 = std::floor(std::log10(lo)), y1 = std::ceil(std::log10(hi));
    if (y1 - y0 < 1) y1 = y0 + 1;
    double n = (double)losses.size(), x0 = 1, x1 = std::max(2.0, n);
    auto X = [&](double e) { return L + (e - x0) / (x1 - x0) * pw; };
    auto Y = [&](double v) {
        double lv = std::log10(std::max(v, std::pow(10.0, y0)));
        return T + (y1 - lv) / (y1 - y0) * ph;
    };
    std::string s = fmt("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
                        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%g\" height=\"%g\" "
                        "viewBox=\"0 0 %g %g\" font-family=\"DejaVu Sans, Arial, sans-serif\" "
                        "font-size=\"13\">\n"
                        "<rect width=\"100%%\" height=\"100%%\" fill=\"white\"/>\n",
                        W, H, W, H);
    s += fmt("<text x=\"%g\" y=\"28\" text-anchor=\"middle\" font-size=\"17\" "
             "font-weight=\"bold\">%s</text>\n",
             L + pw / 2, xml_escape(title).c_str());
    // y grid and ticks: decades (and 2, 5 within a decade when the range is short).
    int decades = (int)(y1 - y0);
    for (int d = (int)y0; d <= (int)y1; ++d) {
        for (double m : {1.0, 2.0, 5.0}) {
            if (m != 1.0 && (decades > 3 || d == (int)y1)) continue;
            double v = m * std::pow(10.0, d), y = Y(v);
            s += fmt("<line x1=\"%g\" y1=\"%.2f\" x2=\"%g\" y2=\"%.2f\" stroke=\"#dddddd\"/>\n", L,
                     y, L + pw, y);
            s += fmt("<line x1=\"%g\" y1=\"%.2f\" x2=\"%g\" y2=\"%.2f\" stroke=\"black\"/>\n", L - 5,
                     y, L, y);
            std::string label = (d >= -2 && d <= 4) ? fmt("%g", v) : fmt("%ge%d", m, d);
            s += fmt("<text x=\"%g\" y=\"%.2f\" text-anchor=\"end\">%s</text>\n", L - 8, y + 4,
                     label.c_str());
        }
    }
    double step = std::max(1.0, nice_step(x1 - x0, 8));
    for (double e = step * std::ceil(x0 / step); e <= x1 + 1e-9; e += step) {
        if (e < x0) continue;
        double x = X(e);
        s += fmt("<line x1=\"%.2f\" y1=\"%g\" x2=\"%.2f\" y2=\"%g\" stroke=\"#dddddd\"/>\n", x, T,
                 x, T + ph);
        s += fmt("<line x1=\"%.2f\" y1=\"%g\" x2=\"%.2f\" y2=\"%g\" stroke=\"black\"/>\n", x,
                 T + ph, x, T + ph + 5);
        s += fmt("<text x=\"%.2f\" y=\"%g\" text-anchor=\"middle\">%g</text>\n", x, T + ph + 20, e);
    }
    s += fmt("<rect x=\"%g\" y=\"%g\" width=\"%g\" height=\"%g\" fill=\"none\" "
             "stroke=\"black\" stroke-width=\"1.5\"/>\n",
             L, T, pw, ph);
    s += fmt("<text x=\"%g\" y=\"%g\" text-anchor=\"middle\">epoch</text>\n", L + pw / 2, H - 15);
    s += fmt("<text x=\"20\" y=\"%g\" text-anchor=\"middle\" transform=\"rotate(-90 20 %g)\">"
             "training loss (log scale)</text>\n",
             T + ph / 2, T + ph / 2);
    s += "<polyline fill=\"none\" stroke=\"#1f5fbf\" stroke-width=\"2.5\" points=\"";
    for (size_t i = 0; i < losses.size(); ++i)
        if (std::isfinite(losses[i]))
            s += fmt("%.2f,%.2f ", X((double)(i + 1)), Y((double)losses[i]));
    s += "\"/>\n";
    if (losses.size() <= 30)
        for (size_t i = 0; i < losses.size(); ++i)
            if (std::isfinite(losses[i]))
                s += fmt("<circle cx=\"%.2f\" cy=\"%.2f\" r=\"4\" fill=\"#1f5fbf\"/>\n",
                         X((double)(i + 1)), Y((double)losses[i]));
    s += "</svg>\n";
    return s;
}

// ---- train ---------------------------------------------------------------------------------
std::string opt(const Args &a, const std::string &name, const std::string &def = "") {
    auto it = a.opts.find(name);
    return it == a.opts.end() ? def : it->second;
}

void reject_opts(const Args &a, const std::vector<std::string> &allowed, const char *cmd) {
    for (const auto &kv : a.opts)
        if (std::find(allowed.begin(), allowed.end(), kv.first) == allowed.end())
            fail(EXIT_USAGE, std::string("option --") + (kv.first == "o" ? "output" : kv.first) +
                                 " does not apply to '" + cmd + "'");
}

struct PoolGuard {
    dsc_pool *p = nullptr;
    ~PoolGuard() {
        if (p) dsc_pool_destroy(p);
    }
};

// ---- class labels --------------------------------------------------------------------------
// "PATH: line L, column C (NAME)" of row i's cell in column col, for messages.
std::string cell_where(const Table &t, size_t i, size_t col, const std::string &path) {
    return fmt("%s: line %zu, column %zu (%s)", path.c_str(), t.row_line[i], col + 1,
               t.header[col].c_str());
}

// A classifier's target column (logistic, softmax) holds class names, any text: the distinct
// cell texts, sorted bytewise, are the classes, and a row's label is its class's index (as the
// float the library takes). Logistic also takes plain 0/1 numbers, used as they are, and then
// has no class names. Writes the labels to *y and returns the class names (none for 0/1).
std::vector<std::string> class_labels(const Table &t, size_t tcol, uint32_t kind,
                                      const std::string &path, std::vector<float> *y) {
    const size_t max_classes = kind == DSC_LOGISTIC ? 2 : DSC_MAX_CLASSES;
    bool numeric01 = kind == DSC_LOGISTIC;
    std::vector<std::string> names;         // in order of first appearance
    std::map<std::string, float> index;     // name -> class index (set once sorted)
    for (size_t i = 0; i < t.rows.size(); ++i) {
        const std::string &c = t.rows[i][tcol];
        if (c.empty()) fail(EXIT_DATA, cell_where(t, i, tcol, path) + ": missing label");
        float v;
        const char *why;
        if (!(parse_cell(c, &v, &why) && (v == 0.0f || v == 1.0f))) numeric01 = false;
        if (!index.emplace(c, 0.0f).second) continue;
        names.push_back(c);
        // Stops at the first class too many, so a continuous column fails at its line.
        if (names.size() > max_classes && !numeric01) {
            if (kind == DSC_LOGISTIC)
                fail(EXIT_DATA, cell_where(t, i, tcol, path) +
                                    fmt(": a third class '%s' (after '%s' and '%s'): logistic "
                                        "takes two classes; use --model softmax for more",
                                        shorten(c).c_str(), shorten(names[0]).c_str(),
                                        shorten(names[1]).c_str()));
            fail(EXIT_DATA, cell_where(t, i, tcol, path) +
                                fmt(": class number %zu, '%s': softmax takes at most %u classes "
                                    "(is the target a class column?)",
                                    names.size(), shorten(c).c_str(), DSC_MAX_CLASSES));
        }
    }
    if (numeric01) {
        for (size_t i = 0; i < t.rows.size(); ++i) {
            const char *why;
            parse_cell(t.rows[i][tcol], &(*y)[i], &why);
        }
        return {};
    }
    if (names.size() < 2)
        fail(EXIT_DATA, path + ": the target column '" + t.header[tcol] + "' has a single class; " +
                            (kind == DSC_LOGISTIC ? "logistic needs two" : "softmax at least two"));
    std::sort(names.begin(), names.end());
    for (size_t k = 0; k < names.size(); ++k) index[names[k]] = (float)k;
    for (size_t i = 0; i < t.rows.size(); ++i) (*y)[i] = index[t.rows[i][tcol]];
    return names;
}

int cmd_train(const Args &a) {
    if (a.positional.size() != 1) fail(EXIT_USAGE, "train: expected one DATA.csv (see --help)");
    const std::string path = a.positional[0];
    std::string target = opt(a, "target"), out = opt(a, "o");
    if (target.empty()) fail(EXIT_USAGE, "train: --target COLUMN is required");
    if (out.empty()) fail(EXIT_USAGE, "train: -o MODEL.dscb is required");
    std::string kind_s = opt(a, "model", "linear");
    uint32_t kind = parse_name(kKinds, "model", kind_s);

    // Everything the options say is checked before the data is read. The data decide softmax's
    // class count; 2 stands in for it until then.
    dsc_config cfg;
    dsc_config_init(&cfg, (dsc_model_kind)kind, 1);
    if (kind == DSC_SOFTMAX) cfg.n_classes = 2;
    if (a.opts.count("degree")) {
        if (kind != DSC_POLYNOMIAL) fail(EXIT_USAGE, "--degree applies to --model poly only");
        cfg.degree = (uint32_t)parse_uint("degree", opt(a, "degree"), DSC_MAX_POLY_DEGREE);
    }
    if (a.opts.count("lr")) cfg.lr = parse_float_opt("lr", opt(a, "lr"));
    if (a.opts.count("momentum")) cfg.momentum = parse_float_opt("momentum", opt(a, "momentum"));
    if (a.opts.count("dampening"))
        cfg.dampening = parse_float_opt("dampening", opt(a, "dampening"));
    if (a.opts.count("weight-decay"))
        cfg.weight_decay = parse_float_opt("weight-decay", opt(a, "weight-decay"));
    if (a.opts.count("nesterov")) cfg.nesterov = (uint32_t)parse_uint("nesterov", opt(a, "nesterov"), 1);
    if (a.opts.count("batch-size"))
        cfg.batch_size = (uint32_t)parse_uint("batch-size", opt(a, "batch-size"), UINT32_MAX);
    if (a.opts.count("shuffle")) cfg.shuffle = (uint32_t)parse_uint("shuffle", opt(a, "shuffle"), 1);
    if (a.opts.count("max-epochs"))
        cfg.max_epochs = (uint32_t)parse_uint("max-epochs", opt(a, "max-epochs"), UINT32_MAX);
    if (a.opts.count("seed")) cfg.seed = parse_uint("seed", opt(a, "seed"), UINT64_MAX);
    if (a.opts.count("reduction"))
        cfg.reduction = parse_name(kReductions, "reduction", opt(a, "reduction"));
    if (a.opts.count("schedule"))
        cfg.schedule = parse_name(kSchedules, "schedule", opt(a, "schedule"));
    if (a.opts.count("power-t")) cfg.power_t = parse_float_opt("power-t", opt(a, "power-t"));
    if (a.opts.count("tol")) cfg.tol = parse_float_opt("tol", opt(a, "tol"));
    if (a.opts.count("n-iter-no-change"))
        cfg.n_iter_no_change =
            (uint32_t)parse_uint("n-iter-no-change", opt(a, "n-iter-no-change"), UINT32_MAX);
    if (a.opts.count("backend"))
        cfg.backend = parse_name(kBackends, "backend", opt(a, "backend"));
    if (a.opts.count("standardize"))
        cfg.standardize = parse_name(kStandardize, "standardize", opt(a, "standardize"));
    if (a.opts.count("solver")) cfg.solver = parse_name(kSolvers, "solver", opt(a, "solver"));
    if (a.opts.count("conv-tol")) cfg.conv_tol = parse_float_opt("conv-tol", opt(a, "conv-tol"));
    if (a.opts.count("alpha")) cfg.alpha = parse_float_opt("alpha", opt(a, "alpha"));
    if (a.opts.count("l1-ratio")) cfg.l1_ratio = parse_float_opt("l1-ratio", opt(a, "l1-ratio"));
    if (a.opts.count("average"))
        cfg.average = (uint32_t)parse_uint("average", opt(a, "average"), UINT32_MAX);
    if (a.opts.count("loss")) cfg.loss = parse_name(kLosses, "loss", opt(a, "loss"));
    if (a.opts.count("epsilon")) cfg.epsilon = parse_float_opt("epsilon", opt(a, "epsilon"));
    if (a.opts.count("early-stopping"))
        cfg.early_stopping = (uint32_t)parse_uint("early-stopping", opt(a, "early-stopping"), 1);
    if (a.opts.count("validation-fraction"))
        cfg.validation_fraction = parse_float_opt("validation-fraction", opt(a, "validation-fraction"));
    if (a.opts.count("class-weight")) {
        const std::vector<std::string> w = split_list("class-weight", opt(a, "class-weight"));
        if (w.size() != 2) fail(EXIT_USAGE, "--class-weight: expected two weights, W0,W1");
        cfg.class_weight[0] = parse_float_opt("class-weight", w[0]);
        cfg.class_weight[1] = parse_float_opt("class-weight", w[1]);
    }
    unsigned threads = (unsigned)parse_uint("threads", opt(a, "threads", "1"), 1024);
    if (threads == 0) fail(EXIT_USAGE, "--threads: must be at least 1");
    double holdout = 0;
    if (a.opts.count("holdout")) {
        holdout = parse_float_opt("holdout", opt(a, "holdout"));
        if (!(holdout >= 0 && holdout < 1)) fail(EXIT_USAGE, "--holdout: must be in [0, 1)");
    }
    const bool quiet = a.opts.count("quiet") != 0;
    const std::string plot = opt(a, "plot");
    if (const char *why = dsc_check_config(&cfg)) fail(EXIT_USAGE, std::string("config: ") + why);

    // ---- data
    Table t = read_csv(path);
    size_t tcol = column_index(t, target, path, "target");
    const std::string wname = opt(a, "weight");
    const bool weighted = a.opts.count("weight") != 0;
    if (weighted && wname == target) fail(EXIT_USAGE, "--weight: '" + wname + "' is the target column");
    const size_t wcol = weighted ? column_index(t, wname, path, "weight") : (size_t)-1;
    std::vector<std::string> fnames;
    std::vector<size_t> fcols;
    if (a.opts.count("features")) {
        fnames = split_list("features", opt(a, "features"));
        for (const std::string &f : fnames) {
            if (f == target) fail(EXIT_USAGE, "--features: '" + f + "' is the target column");
            if (weighted && f == wname) fail(EXIT_USAGE, "--features: '" + f + "' is the --weight column");
            fcols.push_back(column_index(t, f, path, "feature"));
        }
        for (size_t i = 0; i < fcols.size(); ++i)
            for (size_t j = 0; j < i; ++j)
                if (fcols[i] == fcols[j])
                    fail(EXIT_USAGE, "--features: '" + fnames[i] + "' is listed twice");
    } else {
        for (size_t j = 0; j < t.header.size(); ++j)
            if (j != tcol && j != wcol) {
                fnames.push_back(t.header[j]);
                fcols.push_back(column_index(t, t.header[j], path, "feature"));
            }
    }
    if (fcols.empty()) fail(EXIT_DATA, path + ": no feature columns besides the target");
    if ((kind == DSC_POLYNOMIAL || kind == DSC_LEGENDRE3) && fcols.size() != 1)
        fail(EXIT_USAGE, fmt("--model %s takes one feature column, %zu selected (use --features)",
                             kind_s.c_str(), fcols.size()));
    std::vector<float> X = numeric_columns(t, fcols, path);
    const size_t n = t.rows.size(), d = fcols.size();
    std::vector<float> y(n);
    std::vector<std::string> classes;
    if (is_classifier(kind)) {
        classes = class_labels(t, tcol, kind, path, &y);
        if (kind == DSC_SOFTMAX) cfg.n_classes = (uint32_t)classes.size();
    } else {
        std::vector<float> col = numeric_columns(t, {tcol}, path);
        y.swap(col);
    }
    std::vector<float> W;
    if (weighted) {
        W = numeric_columns(t, {wcol}, path);
        bool any = false;
        for (size_t i = 0; i < n; ++i) {
            if (W[i] < 0.0f)
                fail(EXIT_DATA, fmt("%s: line %zu, column %zu (%s): a negative sample weight",
                                    path.c_str(), t.row_line[i], wcol + 1, wname.c_str()));
            any = any || W[i] > 0.0f;
        }
        if (!any) fail(EXIT_DATA, path + ": every weight in the column '" + wname + "' is 0");
    }
    t.rows.clear();

    // ---- hold-out split: a seeded Fisher-Yates shuffle (mt19937_64, portable draws).
    std::vector<size_t> order(n);
    for (size_t i = 0; i < n; ++i) order[i] = i;
    size_t n_hold = (size_t)std::llround(holdout * (double)n);
    if (holdout > 0 && (n_hold == 0 || n_hold >= n))
        fail(EXIT_DATA, fmt("--holdout %g of %zu rows leaves no rows to hold out or to train on",
                            holdout, n));
    if (n_hold) {
        std::mt19937_64 rng(cfg.seed);
        for (size_t i = n - 1; i > 0; --i) {
            uint64_t bound = (uint64_t)i + 1, lim = UINT64_MAX - UINT64_MAX % bound, r;
            do r = rng(); while (r >= lim);
            std::swap(order[i], order[(size_t)(r % bound)]);
        }
    }
    const size_t n_train = n - n_hold;
    std::vector<float> Xtr(n_train * d), ytr(n_train), Xho(n_hold * d), yho(n_hold),
        wtr(weighted ? n_train : 0);
    for (size_t k = 0; k < n; ++k) {
        size_t i = order[k];
        float *dx = k < n_train ? &Xtr[k * d] : &Xho[(k - n_train) * d];
        std::copy(&X[i * d], &X[i * d] + d, dx);
        (k < n_train ? ytr[k] : yho[k - n_train]) = y[i];
        if (weighted && k < n_train) wtr[k] = W[i];
    }

    // ---- model
    cfg.n_features = (uint32_t)d;
    PoolGuard pool;
    if (threads > 1) {
        pool.p = dsc_pool_create(threads);
        if (!pool.p) fail(EXIT_IO, "--threads: could not start the thread pool");
        cfg.parallel_for = dsc_pool_parallel_for;
        cfg.pool = pool.p;  // cfg.max_tasks (default) sizes the task slots in the arena
    }
    Progress prog;
    prog.quiet = quiet;
    prog.tty = isatty(STDERR_FILENO) != 0;
    prog.max_epochs = cfg.max_epochs;
    prog.cfg = &cfg;
    if (cfg.batch_size) prog.steps_per_epoch = (n_train + cfg.batch_size - 1) / cfg.batch_size;
    cfg.on_epoch = on_epoch;
    cfg.user = &prog;
    if (const char *why = dsc_check_config(&cfg)) fail(EXIT_USAGE, std::string("config: ") + why);
    size_t need = dsc_arena_size(&cfg);
    Arena arena(need);
    dsc_model *m = nullptr;
    dsc_status s = dsc_create(&cfg, arena.p, arena.bytes, &m);
    if (s != DSC_OK) fail(EXIT_USAGE, std::string("cannot create the model: ") + dsc_status_string(s));
    if (kind == DSC_LEGENDRE3 && cfg.lr != 0.0f) {
        // All-zero parameters are a saddle of y = a + b P3(c + d x) for gradient descent; start
        // where the library's README suggests (NEWTON, lr 0, leaves its own start alone).
        const float start[4] = {0.0f, -1.0f, 0.0f, 0.3f};
        dsc_set_params(m, start, 4);
    }
    prog.start = prog.last_draw = Clock::now();
    dsc_fit_report rep{};
    s = dsc_fit_weighted(m, Xtr.data(), ytr.data(), weighted ? wtr.data() : nullptr, n_train, &rep);
    prog.finish();
    if (s == DSC_ERR_DIVERGED)
        fail(EXIT_TRAIN, fmt("training diverged after %u epochs: %s (nothing written; try a smaller "
                             "--lr, or the defaults)", rep.epochs_run, rep.message ? rep.message : ""));
    if (s != DSC_OK)
        fail(EXIT_TRAIN, std::string("training failed: ") + dsc_status_string(s) +
                             (rep.message ? std::string(": ") + rep.message : ""));

    // ---- held-out score
    std::string score;
    if (n_hold) {
        std::vector<float> pred(n_hold);
        if (is_classifier(kind)) {
            dsc_predict_label(m, Xho.data(), n_hold, pred.data());
            size_t ok = 0;
            for (size_t i = 0; i < n_hold; ++i) ok += pred[i] == yho[i];
            score = fmt("held-out accuracy %.4f (%zu/%zu rows)", (double)ok / (double)n_hold, ok, n_hold);
        } else {
            dsc_predict(m, Xho.data(), n_hold, pred.data());
            double mean = 0, ss_res = 0, ss_tot = 0;
            for (float v : yho) mean += v;
            mean /= (double)n_hold;
            for (size_t i = 0; i < n_hold; ++i) {
                ss_res += ((double)yho[i] - pred[i]) * ((double)yho[i] - pred[i]);
                ss_tot += ((double)yho[i] - mean) * ((double)yho[i] - mean);
            }
            score = fmt("held-out R^2 %.6f (%zu rows)", ss_tot > 0 ? 1 - ss_res / ss_tot : 0.0, n_hold);
        }
    }

    // ---- write: model first (atomically), then the plot
    ModelFile mf;
    mf.target = target;
    mf.features = fnames;
    mf.classes = classes;
    mf.fit = fmt("rows=%zu epochs=%u steps=%llu loss=%.9g stop=%s converged=%u solver=%s "
                 "standardized=%u lr=%.6g",
                 n_train, rep.epochs_run, (unsigned long long)rep.steps, (double)rep.final_loss,
                 dsc_stop_reason_string((dsc_stop_reason)rep.stop_reason), rep.converged,
                 name_of(kSolvers, rep.solver), rep.standardized, (double)rep.lr);
    if (cfg.early_stopping)
        mf.fit += fmt(" validation_loss=%.9g best_epoch=%u", (double)rep.validation_loss, rep.best_epoch);
    mf.blob.resize(dsc_save_size(m));
    size_t written = 0;
    s = dsc_save(m, &mf.blob[0], mf.blob.size(), &written);
    if (s != DSC_OK) fail(EXIT_IO, std::string("dsc_save: ") + dsc_status_string(s));
    mf.blob.resize(written);
    write_file_atomic(out, model_bytes(mf));
    if (!plot.empty())
        write_file_atomic(plot, loss_svg(prog.losses, "descent " + kind_s + ": loss of '" +
                                                          target + "' by epoch"));

    if (!quiet) {
        fprintf(stderr, "stopped: %s after %u epochs (%llu steps)\n",
                dsc_stop_reason_string((dsc_stop_reason)rep.stop_reason), rep.epochs_run,
                (unsigned long long)rep.steps);
        fprintf(stderr, "converged: %s\nmessage: %s\n", rep.converged ? "yes" : "no",
                rep.message ? rep.message : "");
        fprintf(stderr, "final loss: %.9g   solver: %s   standardized: %s   lr: %.6g (start %.6g)\n",
                (double)rep.final_loss, name_of(kSolvers, rep.solver),
                rep.standardized ? "yes" : "no", (double)rep.lr, (double)rep.lr_initial);
        if (!score.empty()) fprintf(stderr, "%s\n", score.c_str());
        fprintf(stderr, "wrote %s (%zu rows, %zu features)%s%s\n", out.c_str(), n_train, d,
                plot.empty() ? "" : ", plot ", plot.c_str());
    }
    return EXIT_OK;
}

// ---- predict -------------------------------------------------------------------------------
std::string csv_quote(const std::string &s) {
    if (s.find_first_of(",\"\r\n") == std::string::npos) return s;
    std::string o = "\"";
    for (char c : s) o += c == '"' ? std::string("\"\"") : std::string(1, c);
    return o + "\"";
}

// A class's name in outputs: the model file's, else its index (logistic on 0/1 labels).
std::string class_name(const Loaded &L, size_t k) {
    return L.mf.classes.empty() ? fmt("%zu", k) : L.mf.classes[k];
}

// predict's CSV text: a header line, then a line per row. Regressors: the prediction under the
// target's name. Classifiers: the class name, or with --proba probabilities: logistic's one
// column, the probability of class 1 (p_<name>); softmax's one per class, in class order.
std::string predictions_csv(const Loaded &L, const std::vector<float> &X, size_t n, bool proba) {
    const bool labels = is_classifier(L.cfg.kind) && !proba;
    const size_t cols = proba && L.cfg.kind == DSC_SOFTMAX ? L.cfg.n_classes : 1;
    std::vector<float> out(n * cols);
    dsc_status s = cols > 1 ? dsc_predict_proba(L.m, X.data(), n, out.data(), out.size())
                   : labels ? dsc_predict_label(L.m, X.data(), n, out.data())
                            : dsc_predict(L.m, X.data(), n, out.data());
    if (s != DSC_OK) fail(EXIT_DATA, std::string("predict: ") + dsc_status_string(s));
    std::string text;
    if (!proba)
        text = csv_quote(L.mf.target);
    else if (cols == 1)
        text = csv_quote("p_" + class_name(L, 1));
    else
        for (size_t k = 0; k < cols; ++k)
            text += (k ? "," : "") + csv_quote("p_" + class_name(L, k));
    text += "\n";
    for (size_t i = 0; i < n; ++i) {
        if (labels)
            text += csv_quote(class_name(L, (size_t)out[i]));
        else
            for (size_t k = 0; k < cols; ++k)
                text += (k ? "," : "") + fmt("%.9g", (double)out[i * cols + k]);
        text += "\n";
    }
    return text;
}

int cmd_predict(const Args &a) {
    if (a.positional.size() != 2)
        fail(EXIT_USAGE, "predict: expected MODEL.dscb DATA.csv (see --help)");
    Loaded L = load_model(a.positional[0]);
    const bool proba = a.opts.count("proba") != 0;
    if (proba && !is_classifier(L.cfg.kind))
        fail(EXIT_USAGE, "--proba applies to logistic and softmax models only");
    const std::string path = a.positional[1];
    Table t = read_csv(path);
    std::vector<size_t> cols;
    for (const std::string &f : L.mf.features) cols.push_back(column_index(t, f, path, "feature"));
    std::vector<float> X = numeric_columns(t, cols, path);
    const std::string text = predictions_csv(L, X, t.rows.size(), proba);
    std::string dest = opt(a, "o");
    if (dest.empty()) {
        if (fwrite(text.data(), 1, text.size(), stdout) != text.size() || fflush(stdout) != 0)
            fail(EXIT_IO, "stdout: write failed");
    } else {
        write_file_atomic(dest, text);
    }
    return EXIT_OK;
}

// ---- info ----------------------------------------------------------------------------------
// Parameter i's name, in the layout of descent.h: bias and w[feature] (linear, logistic),
// softmax's per class bias[class] and w[class][feature], c0.. (poly), a, b, c, d (legendre3).
std::string param_label(const Loaded &L, size_t i) {
    const dsc_config &c = L.cfg;
    if (c.kind == DSC_LINEAR || c.kind == DSC_LOGISTIC)
        return i == 0 ? "bias" : "w[" + L.mf.features[i - 1] + "]";
    if (c.kind == DSC_SOFTMAX) {
        const size_t q = c.n_features + 1, j = i % q;
        const std::string cls = "[" + class_name(L, i / q) + "]";
        return j == 0 ? "bias" + cls : "w" + cls + "[" + L.mf.features[j - 1] + "]";
    }
    if (c.kind == DSC_POLYNOMIAL) return fmt("c%zu", i);
    return std::string(1, "abcd"[i < 4 ? i : 0]);
}

int cmd_info(const Args &a) {
    if (a.positional.size() != 1) fail(EXIT_USAGE, "info: expected MODEL.dscb");
    Loaded L = load_model(a.positional[0]);
    const dsc_config &c = L.cfg;
    const std::string &b = L.mf.blob;
    unsigned version = (unsigned char)b[4] | (unsigned)(unsigned char)b[5] << 8;
    unsigned flags = (unsigned char)b[6] | (unsigned)(unsigned char)b[7] << 8;
    printf("model file:   %s (container 'descent-model 1')\n", a.positional[0].c_str());
    printf("blob:         %zu bytes, format version %u, %s\n", b.size(), version,
           (flags & 1) ? "full (config and training state)" : "predictor only");
    printf("kind:         %s\n", name_of(kKinds, c.kind));
    printf("features:     %u\n", c.n_features);
    if (c.kind == DSC_POLYNOMIAL) printf("degree:       %u\n", c.degree);
    printf("target:       %s\n", L.mf.target.c_str());
    if (c.kind == DSC_SOFTMAX) printf("n_classes:    %u\n", c.n_classes);
    if (!L.mf.classes.empty()) {
        printf("classes:     ");
        for (size_t k = 0; k < L.mf.classes.size(); ++k)
            printf("%s %zu = %s", k ? "," : "", k, L.mf.classes[k].c_str());
        printf("\n");
    }
    size_t np = dsc_param_count(L.m);
    std::vector<float> p(np);
    dsc_get_params(L.m, p.data(), np);
    printf("parameters:   %zu\n", np);
    for (size_t i = 0; i < np; ++i)
        printf("  %-24s %.9g\n", param_label(L, i).c_str(), (double)p[i]);
    if (!L.mf.fit.empty()) printf("last fit:     %s\n", L.mf.fit.c_str());
    printf("backend:      %s (on this machine)\n", dsc_backend_name(L.m));
    printf("config:\n");
    printf("  lr %g  momentum %g  dampening %g  weight_decay %g  nesterov %u\n", (double)c.lr,
           (double)c.momentum, (double)c.dampening, (double)c.weight_decay, c.nesterov);
    printf("  batch_size %u  shuffle %u  max_epochs %u  seed %llu  reduction %s\n", c.batch_size,
           c.shuffle, c.max_epochs, (unsigned long long)c.seed, name_of(kReductions, c.reduction));
    printf("  schedule %s  power_t %g  tol %g  n_iter_no_change %u\n",
           name_of(kSchedules, c.schedule), (double)c.power_t, (double)c.tol, c.n_iter_no_change);
    printf("  backend %s  standardize %s  solver %s  conv_tol %g\n", name_of(kBackends, c.backend),
           name_of(kStandardize, c.standardize), name_of(kSolvers, c.solver), (double)c.conv_tol);
    printf("  alpha %g  l1_ratio %g  average %u  loss %s  epsilon %g\n", (double)c.alpha,
           (double)c.l1_ratio, c.average, name_of(kLosses, c.loss), (double)c.epsilon);
    printf("  early_stopping %u  validation_fraction %g  class_weight %g,%g\n", c.early_stopping,
           (double)c.validation_fraction, (double)c.class_weight[0], (double)c.class_weight[1]);
    return EXIT_OK;
}

}  // namespace

int main(int argc, char **argv) {
    try {
        if (argc < 2) {
            usage(stderr);
            return EXIT_USAGE;
        }
        std::string cmd = argv[1];
        if (cmd == "--help" || cmd == "-h" || cmd == "help") {
            usage(stdout);
            return EXIT_OK;
        }
        Args a = parse_args(argc, argv, 2);
        if (a.opts.count("help")) {
            usage(stdout);
            return EXIT_OK;
        }
        if (cmd == "train") {
            if (a.opts.count("proba")) fail(EXIT_USAGE, "option --proba does not apply to 'train'");
            return cmd_train(a);
        }
        if (cmd == "predict") {
            reject_opts(a, {"o", "proba"}, "predict");
            return cmd_predict(a);
        }
        if (cmd == "info") {
            reject_opts(a, {}, "info");
            return cmd_info(a);
        }
        fail(EXIT_USAGE, "unknown command '" + cmd + "' (train, predict, info, --help)");
    } catch (const Failure &f) {
        fprintf(stderr, "descent: %s\n", f.what());
        return f.code;
    } catch (const std::bad_alloc &) {
        fprintf(stderr, "descent: out of memory\n");
        return EXIT_IO;
    }
}
