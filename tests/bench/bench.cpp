// descent_bench — how close each kernel path runs to the machine's limits, measured in one run.
//
//   descent_bench [--quick] [--filter SUBSTR] [--json-only]
//
// Sections (README.md explains every column):
//   limits    single-thread and two-thread streaming read bandwidth from a buffer far larger
//             than the last-level cache, in-register multiply-add peak per ISA, and a plain
//             streaming read of the very bytes each full-batch case reads (its in-cache limit)
//   epoch     one full-batch epoch per model, size and kernel path: dsc::lossgrad_pass, the
//             fused loss+gradient pass that dsc_fit runs once per epoch (the optimizer step
//             after it is O(parameters) and left out)
//   sgd       minibatch SGD samples/s, timed as the difference of two dsc_fit calls
//   threads   the 1000000x32 epoch through descent_pool with 1 and 2 threads, and the whole
//             fit with defaults (standardized NEWTON) on the same pools
//   xcheck    the epoch of two cases timed through dsc_fit as well (difference method)
//   targets   PASS/MISS against the goals for this machine
// Every measurement: repeat the operation until one repetition takes >= 0.2 s (0.02 s with
// --quick), do that `reps` times, report the fastest repetition's time per operation.
#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <functional>
#include <string>
#include <thread>
#include <vector>

#include "descent.h"
#include "kernels.h"
#include "limits.h"
#include "model.hpp"
#ifdef DESCENT_BENCH_HAVE_POOL
#include "descent_pool.h"
#endif

namespace {

// ---- options and output -------------------------------------------------------------------
struct Options {
    bool quick = false;
    bool json_only = false;
    std::string filter;
    double min_time = 0.2;  // seconds per repetition
    int reps = 5;
};
Options g_opt;
std::vector<std::string> g_json;  // printed at the end, after the human tables
volatile double g_sink;           // keeps probe results alive

bool selected(const std::string &name) {
    return g_opt.filter.empty() || name.find(g_opt.filter) != std::string::npos;
}

#define HUMAN(...)                                      \
    do {                                                \
        if (!g_opt.json_only) printf(__VA_ARGS__);      \
        if (!g_opt.json_only) fflush(stdout);           \
    } while (0)

// Minimal JSON object builder: one line per case.
struct Json {
    std::string s = "{";
    Json &str(const char *k, const std::string &v) {
        sep();
        s += "\"" + std::string(k) + "\":\"";
        for (char c : v) {
            if (c == '"' || c == '\\') s += '\\';
            s += c;
        }
        s += "\"";
        return *this;
    }
    Json &num(const char *k, double v) {
        sep();
        char b[64];
        if (isfinite(v)) snprintf(b, sizeof b, "%.6g", v);
        else snprintf(b, sizeof b, "null");
        s += "\"" + std::string(k) + "\":" + b;
        return *this;
    }
    Json &boolean(const char *k, bool v) {
        sep();
        s += "\"" + std::string(k) + "\":" + (v ? "true" : "false");
        return *this;
    }
    void emit() {
        s += "}";
        g_json.push_back("JSON " + s);
        if (g_opt.json_only) {
            printf("%s\n", g_json.back().c_str());
            fflush(stdout);
        }
    }
    void sep() {
        if (s.size() > 1) s += ",";
    }
};

// ---- timing -------------------------------------------------------------------------------
double now_s() {
    return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch())
        .count();
}

// CPU time used by other processes while a section ran (from /proc/stat minus our own
// rusage): on a 2-core machine a busy neighbour halves what the 2-thread cases can get.
struct LoadProbe {
    double wall = 0, busy = 0, steal = 0, self = 0;
    bool ok = false;
};
LoadProbe load_probe() {
    LoadProbe p;
    p.wall = now_s();
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    p.self = ru.ru_utime.tv_sec + ru.ru_utime.tv_usec * 1e-6 + ru.ru_stime.tv_sec +
             ru.ru_stime.tv_usec * 1e-6;
    FILE *f = fopen("/proc/stat", "r");
    if (!f) return p;
    unsigned long long v[8] = {0, 0, 0, 0, 0, 0, 0, 0};
    if (fscanf(f, "cpu %llu %llu %llu %llu %llu %llu %llu %llu", &v[0], &v[1], &v[2], &v[3],
               &v[4], &v[5], &v[6], &v[7]) == 8) {
        const double hz = (double)sysconf(_SC_CLK_TCK);
        p.busy = (double)(v[0] + v[1] + v[2] + v[5] + v[6]) / hz;  // user nice system irq softirq
        p.steal = (double)v[7] / hz;
        p.ok = true;
    }
    fclose(f);
    return p;
}
// "other processes kept 0.9 CPUs busy" over the interval since `a`; NAN if unknown.
double foreign_cpus(const LoadProbe &a, const LoadProbe &b) {
    if (!a.ok || !b.ok || b.wall <= a.wall) return NAN;
    return std::max(0.0, ((b.busy - a.busy) - (b.self - a.self)) / (b.wall - a.wall));
}
double steal_cpus(const LoadProbe &a, const LoadProbe &b) {
    if (!a.ok || !b.ok || b.wall <= a.wall) return NAN;
    return (b.steal - a.steal) / (b.wall - a.wall);
}
double g_max_foreign = 0;
int g_noisy_count = 0;  // measurements whose every repetition had a busy neighbour
void report_load(const char *section, const LoadProbe &a) {
    const LoadProbe b = load_probe();
    if (b.wall - a.wall < 0.05) return;  // section filtered out
    const double other = foreign_cpus(a, b), steal = steal_cpus(a, b);
    if (isfinite(other)) g_max_foreign = std::max(g_max_foreign, other);
    HUMAN("[%s: %.1f s; other processes kept %.2f CPUs busy, steal %.2f CPUs%s]\n", section,
          b.wall - a.wall, other, steal,
          other > 0.2 ? " -- busy neighbour: repetitions it overlapped were dropped and retried"
                      : "");
    Json()
        .str("section", "load")
        .str("case", section)
        .num("seconds", b.wall - a.wall)
        .num("other_cpus", other)
        .num("steal_cpus", steal)
        .emit();
}

struct Meas {
    double best = NAN;    // fastest kept repetition, seconds per call
    double median = NAN;  // median kept repetition, seconds per call
    long iters = 0;       // calls per repetition
    int reps = 0;         // repetitions kept
    int noisy = 0;        // repetitions dropped: other processes were busy meanwhile
    bool all_noisy = false;  // no quiet repetition found: the kept ones are the noisy ones
};

// A repetition is "noisy" when other processes kept more than this many CPUs busy while it
// ran. /proc/stat counts in ticks (10 ms), so only repetitions of >= 0.1 s are judged.
constexpr double kNoisyCpus = 0.25;
constexpr int kExtraReps = 3;  // at most this many repetitions are retried per measurement
// Retries are skipped while the previous measurement found no quiet repetition at all: a
// neighbour that stays busy would only make the run longer, not cleaner.
bool g_retry = true;

// Whether other processes stayed below kNoisyCpus between two probes (intervals under 0.1 s
// cannot be judged and count as quiet).
bool quiet_between(const LoadProbe &l0, const LoadProbe &l1) {
    return l1.wall - l0.wall < 0.1 || !(foreign_cpus(l0, l1) > kNoisyCpus);
}

// Runs rep() (one repetition) until `reps` quiet repetitions have run, or reps + kExtraReps
// in all. Returns, per repetition run, whether it was quiet. rep() returns false if it judged
// a part of itself noisy (measure_interleaved checks each operation separately).
template <typename R>
std::vector<bool> run_reps(R &&rep, int reps) {
    std::vector<bool> quiet;
    int nq = 0;
    const int max_attempts = reps + (g_retry ? kExtraReps : 0);
    for (int a = 0; a < max_attempts && nq < reps; ++a) {
        const LoadProbe l0 = load_probe();
        const bool parts_quiet = rep();
        const LoadProbe l1 = load_probe();
        const bool q = parts_quiet && quiet_between(l0, l1);
        quiet.push_back(q);
        nq += q;
    }
    g_retry = nq > 0;
    return quiet;
}

// Best and median of the quiet repetitions' times (of all of them if none was quiet).
Meas summarize(const std::vector<double> &t, const std::vector<bool> &quiet, long iters) {
    std::vector<double> q, all;
    for (size_t i = 0; i < t.size(); ++i) {
        all.push_back(t[i]);
        if (quiet[i]) q.push_back(t[i]);
    }
    Meas m;
    m.all_noisy = q.empty();
    std::vector<double> &v = q.empty() ? all : q;
    std::sort(v.begin(), v.end());
    m.best = v.front();
    m.median = v[v.size() / 2];
    m.iters = iters;
    m.reps = (int)v.size();
    m.noisy = (int)(all.size() - q.size());
    return m;
}

// Calls per repetition so that one repetition lasts >= min_time (after one warm-up call).
template <typename F>
long calibrate(F &&f, double min_time) {
    f();  // warm caches, page tables, branch predictors
    long iters = 1;
    for (;;) {  // grow until one batch takes >= 1/4 of the target
        const double t0 = now_s();
        for (long i = 0; i < iters; ++i) f();
        const double t = now_s() - t0;
        if (t >= min_time * 0.25 || iters > (1L << 40))
            return std::max(1L, (long)ceil(iters * min_time / std::max(t, 1e-9)));
        iters = t < min_time * 0.01 ? iters * 16 : iters * 4;
    }
}

// Calls f() in repetitions of `iters` calls, iters chosen so a repetition lasts >= min_time.
template <typename F>
Meas measure(F &&f, double min_time = -1.0, int reps = -1) {
    if (min_time < 0) min_time = g_opt.min_time;
    if (reps < 0) reps = g_opt.reps;
    const long iters = calibrate(f, min_time);
    std::vector<double> t;
    const std::vector<bool> quiet = run_reps(
        [&] {
            const double t0 = now_s();
            for (long i = 0; i < iters; ++i) f();
            t.push_back((now_s() - t0) / (double)iters);
            return true;
        },
        reps);
    return summarize(t, quiet, iters);
}

// As measure(), for operations whose times are to be compared: each gets its own call count,
// and one repetition is a round of every operation, so a neighbour that comes or goes hits
// them alike (a noisy round is dropped as a whole).
// min_time: per operation (default: the global repetition time).
std::vector<Meas> measure_interleaved(const std::vector<std::function<void()>> &fs,
                                      std::vector<double> min_time = {}) {
    std::vector<long> iters(fs.size());
    for (size_t i = 0; i < fs.size(); ++i)
        iters[i] = calibrate(fs[i], i < min_time.size() ? min_time[i] : g_opt.min_time);
    std::vector<std::vector<double>> t(fs.size());
    const std::vector<bool> quiet = run_reps(
        [&] {
            bool all_quiet = true;  // a short burst must not hide inside a long round
            for (size_t i = 0; i < fs.size(); ++i) {
                const LoadProbe l0 = load_probe();
                const double t0 = now_s();
                for (long k = 0; k < iters[i]; ++k) fs[i]();
                t[i].push_back((now_s() - t0) / (double)iters[i]);
                all_quiet = quiet_between(l0, load_probe()) && all_quiet;
            }
            return all_quiet;
        },
        g_opt.reps);
    std::vector<Meas> out;
    for (size_t i = 0; i < fs.size(); ++i) out.push_back(summarize(t[i], quiet, iters[i]));
    return out;
}

// ---- memory: one allocator for probe buffers and data alike, so both get the same pages ----
struct Buffer {
    float *p = nullptr;
    size_t n = 0;  // floats
    size_t bytes = 0;
    Buffer() = default;
    explicit Buffer(size_t count) { alloc(count); }
    Buffer(const Buffer &) = delete;
    Buffer &operator=(const Buffer &) = delete;
    Buffer(Buffer &&o) noexcept : p(o.p), n(o.n), bytes(o.bytes) { o.p = nullptr; }
    Buffer &operator=(Buffer &&o) noexcept {
        std::swap(p, o.p);
        std::swap(n, o.n);
        std::swap(bytes, o.bytes);
        return *this;
    }
    ~Buffer() { free(p); }
    void alloc(size_t count) {
        n = count;
        const size_t align = count * sizeof(float) >= (4u << 20) ? (2u << 20) : 64u;
        bytes = (count * sizeof(float) + align - 1) / align * align;
        void *q = nullptr;
        if (posix_memalign(&q, align, bytes) != 0) {
            fprintf(stderr, "descent_bench: out of memory (%zu bytes)\n", bytes);
            exit(1);
        }
#ifdef MADV_HUGEPAGE
        if (align > 64) madvise(q, bytes, MADV_HUGEPAGE);  // THP is often 'madvise' only
#endif
        p = static_cast<float *>(q);
        memset(p, 0, bytes);  // fault every page in now, not inside a timed loop
    }
};

uint64_t g_rng = 0x9E3779B97F4A7C15ull;
float urand() {  // uniform in [-1, 1)
    g_rng ^= g_rng << 13;
    g_rng ^= g_rng >> 7;
    g_rng ^= g_rng << 17;
    return (float)((g_rng >> 40) * (1.0 / 8388608.0)) - 1.0f;
}

// ---- machine description --------------------------------------------------------------------
std::string cpu_model() {
    FILE *f = fopen("/proc/cpuinfo", "r");
    if (!f) return "unknown";
    char line[512];
    std::string r = "unknown";
    while (fgets(line, sizeof line, f)) {
        if (strncmp(line, "model name", 10) == 0 || strncmp(line, "Model name", 10) == 0) {
            const char *c = strchr(line, ':');
            if (c) {
                r = c + 1;
                while (!r.empty() && (r[0] == ' ' || r[0] == '\t')) r.erase(0, 1);
                while (!r.empty() && (r.back() == '\n' || r.back() == ' ')) r.pop_back();
            }
            break;
        }
    }
    fclose(f);
    return r;
}

size_t parse_size(const char *s) {
    char *end;
    double v = strtod(s, &end);
    if (*end == 'K') v *= 1024;
    else if (*end == 'M') v *= 1024 * 1024;
    else if (*end == 'G') v *= 1024.0 * 1024 * 1024;
    return (size_t)v;
}

struct Caches {
    size_t l1d = 32u << 10, l2 = 1u << 20, llc = 32u << 20;
    bool from_sysfs = false;
};

Caches read_caches() {
    Caches c;
    for (int i = 0; i < 8; ++i) {
        char path[128], buf[64], type[32];
        int level = 0;
        snprintf(path, sizeof path, "/sys/devices/system/cpu/cpu0/cache/index%d/level", i);
        FILE *f = fopen(path, "r");
        if (!f) break;
        if (fscanf(f, "%d", &level) != 1) level = 0;
        fclose(f);
        snprintf(path, sizeof path, "/sys/devices/system/cpu/cpu0/cache/index%d/type", i);
        f = fopen(path, "r");
        if (!f || fscanf(f, "%31s", type) != 1) type[0] = 0;
        if (f) fclose(f);
        snprintf(path, sizeof path, "/sys/devices/system/cpu/cpu0/cache/index%d/size", i);
        f = fopen(path, "r");
        if (!f || fscanf(f, "%63s", buf) != 1) buf[0] = 0;
        if (f) fclose(f);
        if (strcmp(type, "Instruction") == 0 || !buf[0]) continue;
        const size_t sz = parse_size(buf);
        c.from_sysfs = true;
        if (level == 1) c.l1d = sz;
        else if (level == 2) c.l2 = sz;
        if (level >= 2 && sz > 0) c.llc = sz;
    }
    return c;
}

size_t mem_available() {
    FILE *f = fopen("/proc/meminfo", "r");
    if (!f) return 0;
    char line[256];
    size_t kb = 0;
    while (fgets(line, sizeof line, f))
        if (sscanf(line, "MemAvailable: %zu kB", &kb) == 1) break;
    fclose(f);
    return kb * 1024;
}

std::vector<bench::Probe> available_probes() {
    std::vector<bench::Probe> v;
#if defined(__x86_64__) || defined(_M_X64)
    __builtin_cpu_init();
    v.push_back({"scalar", 1, false, nullptr, bench::peak_scalar_sse});
    v.push_back({"sse2", 4, false, bench::read_sum_sse2, bench::peak_sse2});
    // The library's dispatcher also checks XGETBV; its answer gates the wider probes.
    if (dsc_backend_available(DSC_BACKEND_AVX2) && __builtin_cpu_supports("avx2") &&
        __builtin_cpu_supports("fma"))
        v.push_back({"avx2+fma", 8, true, bench::read_sum_avx2, bench::peak_avx2});
    if (dsc_backend_available(DSC_BACKEND_AVX512) && __builtin_cpu_supports("avx512f"))
        v.push_back({"avx512f", 16, true, bench::read_sum_avx512, bench::peak_avx512});
#else
    v.push_back({"generic", 1, false, bench::read_sum_generic, bench::peak_generic});
#endif
    return v;
}

// ---- machine limits -----------------------------------------------------------------------
struct Limits {
    Caches caches;
    std::vector<bench::Probe> probes;
    const bench::Probe *reader = nullptr;  // widest read probe: the bandwidth reference
    size_t dram_bytes = 0;
    double bw1 = NAN, bw2 = NAN;  // bytes/s, 1 and 2 threads, buffer >> LLC
    std::vector<double> peak;     // flop/s per probe (index as probes)
};
Limits g_lim;

// bw_hint: the 1-thread bandwidth, to size a multi-thread repetition to >= min_time.
double read_bw_threads(const Buffer &buf, int threads, bool *noisy, double bw_hint) {
    const bench::ReadSumFn rd = g_lim.reader->read;
    if (threads == 1) {
        const Meas m = measure([&] { g_sink = rd(buf.p, buf.n); }, g_opt.min_time, g_opt.reps);
        if (noisy) *noisy = m.all_noisy;
        return (double)buf.n * sizeof(float) / m.best;
    }
    // Each thread streams its own contiguous share; the calling thread takes share 0, as in
    // descent_pool. One repetition = every thread reading its share `passes` times, timed
    // from the common start to the last finisher.
    const size_t share = buf.n / threads / 64 * 64;
    const int passes =
        std::max(1, (int)ceil(g_opt.min_time * bw_hint / ((double)share * sizeof(float))));
    std::vector<double> times;
    auto one = [&] {
        std::atomic<int> ready{0};
        std::atomic<bool> go{false};
        auto body = [&](int t) {
            double s = 0;
            for (int k = 0; k < passes; ++k) s += rd(buf.p + (size_t)t * share, share);
            g_sink = s;
        };
        std::vector<std::thread> ts;
        for (int t = 1; t < threads; ++t) {
            ts.emplace_back([&, t] {
                ready.fetch_add(1);
                while (!go.load(std::memory_order_acquire)) {
                }
                body(t);
            });
        }
        while (ready.load() < threads - 1) {
        }
        const double t0 = now_s();
        go.store(true, std::memory_order_release);
        body(0);
        for (auto &t : ts) t.join();
        times.push_back(now_s() - t0);
        return true;
    };
    one();  // warm-up
    times.clear();
    const Meas m = summarize(times, run_reps(one, g_opt.reps), 1);
    if (noisy) *noisy = m.all_noisy;
    const double best = m.best;
    return (double)share * threads * sizeof(float) * passes / best;
}

// Streaming read from a buffer at least 4x the LLC (and >= 1 GiB), capped by free memory.
void measure_dram_bw(double *bw1, double *bw2, bool *noisy1, bool *noisy2) {
    size_t bytes = std::max<size_t>(1ull << 30, 4 * g_lim.caches.llc);
    const size_t avail = mem_available();
    if (avail && bytes > avail / 3) bytes = std::max<size_t>(avail / 3, 256u << 20);
    if (g_opt.quick)
        bytes = std::min<size_t>(bytes, std::max<size_t>(2 * g_lim.caches.llc, 256u << 20));
    Buffer buf(bytes / sizeof(float));
    for (size_t i = 0; i < buf.n; i += 1024) buf.p[i] = 1.0f;
    g_lim.dram_bytes = buf.bytes;
    *bw1 = read_bw_threads(buf, 1, noisy1, 0.0);
    *bw2 = read_bw_threads(buf, 2, noisy2, *bw1);
}

void measure_limits() {
    g_lim.caches = read_caches();
    g_lim.probes = available_probes();
    for (const auto &p : g_lim.probes)
        if (p.read) g_lim.reader = &p;  // probes are listed narrowest first
    HUMAN("\n== Machine limits ==\n");
    HUMAN("caches (cpu0%s): L1d %zu KiB, L2 %zu KiB, LLC %zu KiB\n",
          g_lim.caches.from_sysfs ? ", sysfs" : ", sysfs unreadable: guessed",
          g_lim.caches.l1d >> 10, g_lim.caches.l2 >> 10, g_lim.caches.llc >> 10);

    bool n1 = false, n2 = false;
    measure_dram_bw(&g_lim.bw1, &g_lim.bw2, &n1, &n2);
    g_noisy_count += n1 + n2;
    HUMAN("read bandwidth, %s loads, 8 accumulators, %.0f MiB buffer (%.1fx LLC):\n",
          g_lim.reader->isa, g_lim.dram_bytes / 1048576.0,
          (double)g_lim.dram_bytes / (double)g_lim.caches.llc);
    HUMAN("  1 thread  %7.2f GB/s%s\n", g_lim.bw1 / 1e9, n1 ? " !" : "");
    HUMAN("  2 threads %7.2f GB/s%s  (x%.2f; each thread streams half)\n", g_lim.bw2 / 1e9,
          n2 ? " !" : "", g_lim.bw2 / g_lim.bw1);
    Json()
        .str("section", "limits")
        .str("case", "read_bw")
        .str("isa", g_lim.reader->isa)
        .num("buffer_bytes", (double)g_lim.dram_bytes)
        .num("llc_bytes", (double)g_lim.caches.llc)
        .num("gbps_1t", g_lim.bw1 / 1e9)
        .num("gbps_2t", g_lim.bw2 / 1e9)
        .num("ratio_2t_1t", g_lim.bw2 / g_lim.bw1)
        .boolean("noisy_1t", n1)
        .boolean("noisy_2t", n2)
        .emit();

    HUMAN("in-register multiply-add peak, 1 thread, 12 independent chains:\n");
    for (const auto &p : g_lim.probes) {
        const long iters = 1 << 16;
        const Meas m = measure([&] { g_sink = p.peak(iters, 0.9999f, 1e-4f); },
                               g_opt.min_time * 0.5, g_opt.reps);
        const double flops = (double)iters * 12 * p.lanes * 2 / m.best;
        g_lim.peak.push_back(flops);
        HUMAN("  %-9s %8.2f GFLOP/s  (%d lane%s, %s)\n", p.isa, flops / 1e9, p.lanes,
              p.lanes > 1 ? "s" : "", p.fused ? "FMA" : "separate mul + add");
        Json()
            .str("section", "limits")
            .str("case", std::string("fma_peak/") + p.isa)
            .str("isa", p.isa)
            .num("gflops", flops / 1e9)
            .num("lanes", p.lanes)
            .boolean("fused", p.fused)
            .emit();
    }
}

// ---- data sets ------------------------------------------------------------------------------
struct Data {
    size_t n = 0;
    uint32_t d = 0;
    Buffer X, y_lin, y_log;
};

Data make_data(size_t n, uint32_t d) {
    Data D;
    D.n = n;
    D.d = d;
    D.X.alloc(n * d);
    D.y_lin.alloc(n);
    D.y_log.alloc(n);
    std::vector<float> w(d);
    for (auto &v : w) v = urand();
    for (size_t i = 0; i < n; ++i) {
        double z = 0.3;
        for (uint32_t j = 0; j < d; ++j) {
            const float x = urand();
            D.X.p[i * d + j] = x;
            z += (double)w[j] * x;
        }
        D.y_lin.p[i] = (float)z + 0.1f * urand();
        D.y_log.p[i] = z + 0.5 * urand() > 0 ? 1.0f : 0.0f;
    }
    return D;
}

// ---- models ---------------------------------------------------------------------------------
struct Path {
    dsc_backend b;
    const char *name;
};
std::vector<Path> available_paths() {
    static const Path all[] = {{DSC_BACKEND_SCALAR, "scalar"}, {DSC_BACKEND_SSE2, "sse2"},
                               {DSC_BACKEND_AVX2, "avx2"},     {DSC_BACKEND_AVX512, "avx512"},
                               {DSC_BACKEND_NEON, "neon"}};
    std::vector<Path> v;
    for (const auto &p : all)
        if (dsc_backend_available(p.b)) v.push_back(p);
    return v;
}

const char *kind_name(uint32_t k) {
    switch (k) {
        case DSC_LINEAR: return "linear";
        case DSC_LOGISTIC: return "logistic";
        case DSC_POLYNOMIAL: return "poly3";
        default: return "legendre3";
    }
}

struct Model {
    std::vector<uint64_t> arena;
    dsc_model *m = nullptr;
    Model() = default;
    Model(const Model &) = delete;
    Model &operator=(const Model &) = delete;
    Model(Model &&) = default;
    Model &operator=(Model &&) = default;
    bool create(const dsc_config &cfg) {
        const size_t need = dsc_arena_size(&cfg);
        if (need == 0) {
            const char *why = dsc_check_config(&cfg);
            fprintf(stderr, "descent_bench: bad config: %s\n", why ? why : "?");
            return false;
        }
        arena.assign(need / 8 + 1, 0);
        const dsc_status s = dsc_create(&cfg, arena.data(), arena.size() * 8, &m);
        if (s != DSC_OK) {
            fprintf(stderr, "descent_bench: dsc_create: %s\n", dsc_status_string(s));
            return false;
        }
        return true;
    }
};

// Small non-zero parameters, so the logistic pass sees logits of order one (all-zero params
// would give z = 0 everywhere) and legendre3 starts off its saddle.
void set_bench_params(dsc_model *m, uint32_t kind) {
    std::vector<float> th(dsc_param_count(m));
    if (kind == DSC_LEGENDRE3) th = {0.0f, -1.0f, 0.0f, 0.3f};
    else
        for (auto &v : th) v = 0.3f * urand();
    dsc_set_params(m, th.data(), th.size());
}

// Rough flops per row of a pass (multiply and add counted separately), for the in-cache
// ratio: 4 per feature (dot product + gradient) for linear/logistic, 4 per degree for the
// polynomial, ~24 for legendre3's fixed formula.
double flops_per_row(uint32_t kind, uint32_t d, uint32_t degree) {
    if (kind == DSC_LINEAR || kind == DSC_LOGISTIC) return 4.0 * d;
    if (kind == DSC_POLYNOMIAL) return 4.0 * degree;
    return 24.0;
}

std::string fmt_time(double s) {
    char b[32];
    if (!isfinite(s)) return "-";
    if (s < 1e-3) snprintf(b, sizeof b, "%.3f us", s * 1e6);
    else snprintf(b, sizeof b, "%.1f us", s * 1e6);
    return b;
}
std::string fmt_pct(double r) {
    if (!isfinite(r)) return "-";
    char b[32];
    snprintf(b, sizeof b, "%.0f%%", r * 100);
    return b;
}
std::string fmt_x(double r) {
    if (!isfinite(r)) return "-";
    char b[32];
    snprintf(b, sizeof b, "%.2fx", r);
    return b;
}

// ---- section: full-batch epoch --------------------------------------------------------------
struct EpochCase {
    uint32_t kind;
    size_t n;
    uint32_t d;
    uint32_t degree;
};

std::string shape(size_t n, uint32_t d) { return std::to_string(n) + "x" + std::to_string(d); }

// A target for a single epoch row; empty string if the row has none.
std::string epoch_target(const EpochCase &c, const char *path, double t, double pct_dram,
                         double pct_same, double vs_scalar, std::string *verdict);

void run_epochs(std::vector<Data> &sets) {
    const std::vector<Path> paths = available_paths();
    const EpochCase cases[] = {
        {DSC_LINEAR, 1000, 3, 0},        {DSC_LOGISTIC, 1000, 3, 0},
        {DSC_LINEAR, 10000, 5, 0},       {DSC_LOGISTIC, 10000, 5, 0},
        {DSC_LINEAR, 100000, 32, 0},     {DSC_LOGISTIC, 100000, 32, 0},
        {DSC_LINEAR, 1000000, 32, 0},    {DSC_LOGISTIC, 1000000, 32, 0},
        {DSC_POLYNOMIAL, 2000, 1, 3},    {DSC_LEGENDRE3, 2000, 1, 0},
    };
    HUMAN("\n== Full-batch epoch: dsc::lossgrad_pass, 1 thread ==\n");
    HUMAN("%-20s %-5s %-7s %13s %8s %6s %6s %6s %8s %s\n", "case", "fits", "path",
          "time/epoch", "GB/s", "%DRAM", "%same", "%peak", "xScalar", "target");
    for (const auto &c : cases) {
        const std::string cname = std::string(kind_name(c.kind)) + "/" + shape(c.n, c.d);
        bool any = false;
        for (const auto &p : paths) any |= selected("epoch/" + cname + "/" + p.name);
        if (!any) continue;
        Data *D = nullptr;
        for (auto &s : sets)
            if (s.n == c.n && s.d == c.d) D = &s;
        if (!D) {
            sets.push_back(make_data(c.n, c.d));
            D = &sets.back();
        }
        const float *y = c.kind == DSC_LOGISTIC ? D->y_log.p : D->y_lin.p;
        const double bytes = (double)c.n * (c.d + 1) * sizeof(float);
        const bool in_cache = bytes <= (double)g_lim.caches.llc;
        // Smallest cache level the case's bytes fit in (cpu0's sizes; a shared LLC is shared).
        const char *where = bytes <= (double)g_lim.caches.l1d  ? "L1"
                            : bytes <= (double)g_lim.caches.l2 ? "L2"
                            : in_cache                         ? "LLC"
                                                               : "DRAM";
        // Every selected path's pass and a plain read of the same bytes, measured interleaved
        // round by round: on a shared host the LLC share and the core's speed drift over a run
        // (other tenants), and xScalar and %same must compare like with like.
        std::vector<Path> run;
        std::vector<Model> models;
        models.reserve(paths.size());
        for (const auto &p : paths) {
            if (!selected("epoch/" + cname + "/" + p.name)) continue;
            dsc_config cfg;
            dsc_config_init(&cfg, (dsc_model_kind)c.kind, c.d);
            if (c.kind == DSC_POLYNOMIAL) cfg.degree = c.degree;
            cfg.lr = 1e-6f;
            cfg.backend = p.b;
            Model M;
            if (!M.create(cfg)) continue;
            set_bench_params(M.m, c.kind);
            models.push_back(std::move(M));
            run.push_back(p);
        }
        const dsc::RowSet rs = {D->X.p, y, nullptr, 0, c.n, c.d};
        std::vector<double> grad(c.d + 1 > 16 ? c.d + 1 : 16);
        double loss = 0;
        std::vector<std::function<void()>> fns;
        std::vector<double> min_times;
        for (size_t i = 0; i < models.size(); ++i) {
            fns.push_back([&, i] {
                dsc::lossgrad_pass(models[i].m, rs, grad.data(), &loss);
                g_sink = loss;
            });
            min_times.push_back(g_opt.min_time);
        }
        const bench::ReadSumFn rd = g_lim.reader->read;
        fns.push_back([&] { g_sink = rd(D->X.p, c.n * c.d) + rd(y, c.n); });
        min_times.push_back(g_opt.min_time * 0.5);
        const std::vector<Meas> ms = measure_interleaved(fns, min_times);
        const Meas &ms_same = ms.back();
        const double same = bytes / ms_same.best;
        double t_scalar = NAN;
        for (size_t i = 0; i < run.size(); ++i)
            if (run[i].b == DSC_BACKEND_SCALAR) t_scalar = ms[i].best;
        for (size_t i = 0; i < run.size(); ++i) {
            const Path &p = run[i];
            const std::string key = "epoch/" + cname + "/" + p.name;
            const Meas &m = ms[i];
            const double t = m.best;
            const double gbps = bytes / t;
            const double pct_dram = gbps / g_lim.bw1;
            const double pct_same = gbps / same;
            // In-cache cases: the fraction of this path's ISA multiply-add peak.
            double pct_peak = NAN;
            const bool tiny = bytes <= (double)g_lim.caches.l2;
            if (tiny) {
                const char *isa = strcmp(p.name, "avx2") == 0     ? "avx2+fma"
                                  : strcmp(p.name, "avx512") == 0 ? "avx512f"
                                                                  : p.name;
                for (size_t q = 0; q < g_lim.probes.size(); ++q)
                    if (strcmp(g_lim.probes[q].isa, isa) == 0)
                        pct_peak = flops_per_row(c.kind, c.d, c.degree) * c.n / t / g_lim.peak[q];
            }
            const double vs = t_scalar / t;
            std::string verdict;
            const std::string tgt = epoch_target(c, p.name, t, pct_dram, pct_same, vs, &verdict);
            const bool noisy = m.all_noisy || ms_same.all_noisy;
            g_noisy_count += noisy;
            HUMAN("%-20s %-5s %-7s %12s%s %8.2f %6s %6s %6s %8s %s\n", cname.c_str(), where,
                  p.name, fmt_time(t).c_str(), noisy ? "!" : " ", gbps / 1e9, fmt_pct(pct_dram).c_str(),
                  fmt_pct(pct_same).c_str(), fmt_pct(pct_peak).c_str(), fmt_x(vs).c_str(),
                  tgt.c_str());
            Json j;
            j.str("section", "epoch")
                .str("case", cname)
                .str("path", p.name)
                .str("model", kind_name(c.kind))
                .num("n", (double)c.n)
                .num("d", c.d)
                .num("bytes", bytes)
                .boolean("fits_llc", in_cache)
                .str("fits", where)
                .num("us_per_epoch", t * 1e6)
                .num("us_median", m.median * 1e6)
                .num("gbps", gbps / 1e9)
                .num("ratio_read_bw", pct_dram)
                .num("same_read_gbps", same / 1e9)
                .num("ratio_same_read", pct_same)
                .num("ratio_fma_peak", pct_peak)
                .num("speedup_vs_scalar", vs)
                .num("iters", (double)m.iters)
                .num("reps", m.reps)
                .num("noisy_reps", m.noisy)
                .boolean("noisy", noisy);
            if (!verdict.empty()) j.str("target", tgt).str("verdict", verdict);
            j.emit();
        }
    }
    HUMAN("(%%DRAM: vs the 1-thread read bandwidth; %%same: vs a plain read of the same bytes;\n"
          " %%peak: est. flops vs the path's ISA multiply-add peak, data <= L2 only)\n");
}

// ---- targets ----------------------------------------------------------------------------------
struct Target {
    std::string name, want, got, verdict;
};
std::vector<Target> g_targets;

void add_target(const std::string &name, const std::string &want, const std::string &got,
                bool pass) {
    g_targets.push_back({name, want, got, pass ? "PASS" : "MISS"});
}

std::string epoch_target(const EpochCase &c, const char *path, double t, double pct_dram,
                         double pct_same, double vs_scalar, std::string *verdict) {
    if (strcmp(path, "avx2") != 0) return "";
    const std::string cname = std::string(kind_name(c.kind)) + "/" + shape(c.n, c.d);
    char want[64], got[64];
    bool pass;
    if (c.n == 1000000 && c.d == 32 && (c.kind == DSC_LINEAR || c.kind == DSC_LOGISTIC)) {
        const double need = c.kind == DSC_LINEAR ? 0.85 : 0.75;
        snprintf(want, sizeof want, ">= %.0f%% read bw", need * 100);
        snprintf(got, sizeof got, "%.0f%%", pct_dram * 100);
        pass = pct_dram >= need;
    } else if (c.n == 100000 && c.d == 32 && c.kind == DSC_LINEAR) {
        snprintf(want, sizeof want, ">= 85%% same-bytes read");
        snprintf(got, sizeof got, "%.0f%%", pct_same * 100);
        pass = pct_same >= 0.85;
    } else if (c.n == 100000 && c.d == 32 && c.kind == DSC_LOGISTIC) {
        snprintf(want, sizeof want, ">= 6x scalar");
        if (!isfinite(vs_scalar)) {
            add_target("epoch " + cname + " avx2", want, "scalar not run", false);
            g_targets.back().verdict = "n/a";
            return "n/a";
        }
        snprintf(got, sizeof got, "%.2fx", vs_scalar);
        pass = vs_scalar >= 6.0;
    } else if (c.n == 1000 && c.d == 3) {
        snprintf(want, sizeof want, "< 2 us");
        snprintf(got, sizeof got, "%.3f us", t * 1e6);
        pass = t < 2e-6;
    } else {
        return "";
    }
    add_target("epoch " + cname + " avx2", want, got, pass);
    *verdict = pass ? "PASS" : "MISS";
    return *verdict + " (" + want + ")";
}

// ---- section: curvature pass (NEWTON solver) -------------------------------------------------
// One call of a path's linear-model curvature kernel (loss, gradient and the packed p x p
// Hessian in double) over the whole row set, with the column map of a standardized model.
// %peak: multiply-adds (p(p+1)/2 + 2p per row, each 2 flops) against the path's ISA peak for
// doubles, i.e. half the float peak the limits section measured (half the lanes).
void run_curv(std::vector<Data> &sets) {
    const std::vector<Path> paths = available_paths();
    struct CurvCase {
        uint32_t kind;
        size_t n;
        uint32_t d;
    };
    const CurvCase cases[] = {{DSC_LINEAR, 10000, 32},   {DSC_LOGISTIC, 10000, 32},
                              {DSC_LINEAR, 1000000, 32}, {DSC_LOGISTIC, 1000000, 32},
                              {DSC_LINEAR, 10000, 8},    {DSC_LINEAR, 2000, 128}};
    HUMAN("\n== Curvature pass (NEWTON): kernel table curv_linear_*, 1 thread ==\n");
    HUMAN("%-24s %-5s %-7s %13s %9s %6s %8s\n", "case", "fits", "path", "time/pass", "GFLOP/s",
          "%peak", "xScalar");
    for (const auto &c : cases) {
        const std::string cname = std::string(kind_name(c.kind)) + "/" + shape(c.n, c.d);
        bool any = false;
        for (const auto &p : paths) any |= selected("curv/" + cname + "/" + p.name);
        if (!any) continue;
        Data *D = nullptr;
        for (auto &s : sets)
            if (s.n == c.n && s.d == c.d) D = &s;
        if (!D) {
            sets.push_back(make_data(c.n, c.d));
            D = &sets.back();
        }
        const float *y = c.kind == DSC_LOGISTIC ? D->y_log.p : D->y_lin.p;
        const double bytes = (double)c.n * (c.d + 1) * sizeof(float);
        const char *where = bytes <= (double)g_lim.caches.l1d  ? "L1"
                            : bytes <= (double)g_lim.caches.l2 ? "L2"
                            : bytes <= (double)g_lim.caches.llc ? "LLC"
                                                                : "DRAM";
        const uint32_t p = c.d + 1;
        std::vector<double> shift(c.d, 0.1), inv(c.d, 1.1), sc(p), grad(p), hess((size_t)p * (p + 1) / 2);
        std::vector<float> theta(p);
        for (uint32_t j = 0; j < p; ++j) theta[j] = 0.05f * (float)((j * 7) % 5) - 0.1f;
        const dsc::ColumnMap map = {shift.data(), inv.data()};
        const dsc::RowSet rs = {D->X.p, y, nullptr, 0, c.n, c.d};
        std::vector<Path> run;
        std::vector<std::function<void()>> fns;
        std::vector<double> min_times;
        for (const auto &pa : paths) {
            if (!selected("curv/" + cname + "/" + pa.name)) continue;
            const dsc::KernelTable *k = dsc::kernels_for(pa.b);
            if (!k || !k->curv_linear_mse) continue;
            const dsc::CurvFn fn = c.kind == DSC_LOGISTIC ? k->curv_linear_bce : k->curv_linear_mse;
            run.push_back(pa);
            fns.push_back([&, fn] {
                double loss;
                fn(rs, map, theta.data(), 0, sc.data(), grad.data(), hess.data(), &loss);
                g_sink = loss + hess[hess.size() / 2];
            });
            min_times.push_back(g_opt.min_time * 0.5);
        }
        if (run.empty()) continue;
        const std::vector<Meas> ms = measure_interleaved(fns, min_times);
        double t_scalar = NAN;
        for (size_t i = 0; i < run.size(); ++i)
            if (run[i].b == DSC_BACKEND_SCALAR) t_scalar = ms[i].best;
        const double flops = 2.0 * ((double)p * (p + 1) / 2 + 2.0 * p) * (double)c.n;
        for (size_t i = 0; i < run.size(); ++i) {
            const Path &pa = run[i];
            const Meas &m = ms[i];
            const char *isa = strcmp(pa.name, "avx2") == 0     ? "avx2+fma"
                              : strcmp(pa.name, "avx512") == 0 ? "avx512f"
                              : strcmp(pa.name, "scalar") == 0 ? "scalar"
                                                               : pa.name;
            double pct_peak = NAN;
            for (size_t q = 0; q < g_lim.probes.size(); ++q)
                if (strcmp(g_lim.probes[q].isa, isa) == 0)
                    pct_peak = flops / m.best / (strcmp(isa, "scalar") == 0 ? g_lim.peak[q] : 0.5 * g_lim.peak[q]);
            const double gf = flops / m.best / 1e9;
            g_noisy_count += m.all_noisy;
            HUMAN("%-24s %-5s %-7s %12s%s %9.2f %6s %8s\n", cname.c_str(), where, pa.name,
                  fmt_time(m.best).c_str(), m.all_noisy ? "!" : " ", gf, fmt_pct(pct_peak).c_str(),
                  fmt_x(t_scalar / m.best).c_str());
            Json()
                .str("section", "curv")
                .str("case", cname)
                .str("path", pa.name)
                .num("n", (double)c.n)
                .num("d", c.d)
                .str("fits", where)
                .num("us_per_pass", m.best * 1e6)
                .num("us_median", m.median * 1e6)
                .num("gflops", gf)
                .num("ratio_fma_peak_f64", pct_peak)
                .num("speedup_vs_scalar", t_scalar / m.best)
                .num("reps", m.reps)
                .num("noisy_reps", m.noisy)
                .boolean("noisy", m.all_noisy)
                .emit();
        }
    }
    HUMAN("(%%peak: vs the path's double multiply-add peak = half its float peak; scalar: its own)\n");
}

// ---- section: minibatch SGD via dsc_fit -------------------------------------------------------
// Seconds per epoch as (T(E + K) - T(E)) / K, each T the fastest of several dsc_fit calls on
// a model reset to zero first: the fixed cost of a fit (data validation, final-loss pass,
// automatic-rate pass if any) cancels.
struct FitDiff {
    double epoch_s = NAN;
    uint32_t K = 0;
    double t_base = NAN, t_long = NAN;
    bool ok = true;
    bool noisy = false;
};

// Two models of one config, max_epochs 1 and 1 + K, K grown until the K extra epochs take
// >= half a repetition. Each run resets the model first, so every fit does the same work.
struct FitPair {
    Model a, b;
    uint32_t K = 0;
    bool ok = true;
    const float *X = nullptr, *y = nullptr;
    size_t n = 0;

    void run(Model &M) {
        dsc_reset(M.m);
        dsc_fit_report rep;
        const dsc_status s = dsc_fit(M.m, X, y, n, &rep);
        if (s != DSC_OK || rep.epochs_run != M.m->cfg.max_epochs) ok = false;
    }

    bool prepare(dsc_config cfg, const float *X_, const float *y_, size_t n_) {
        X = X_;
        y = y_;
        n = n_;
        cfg.max_epochs = 1;
        if (!a.create(cfg)) return false;
        run(a);
        double ta = INFINITY;
        for (int i = 0; i < 3; ++i) {
            const double t0 = now_s();
            run(a);
            ta = std::min(ta, now_s() - t0);
        }
        // Growth is capped at 16x per step, so one noisy (even negative) difference cannot
        // ask for millions of epochs.
        K = 2;
        for (;;) {
            cfg.max_epochs = 1 + K;
            b = Model();
            if (!b.create(cfg)) return false;
            const double t0 = now_s();
            run(b);
            const double extra_s = now_s() - t0 - ta;
            if (extra_s >= 0.5 * g_opt.min_time || K >= (1u << 20)) return true;
            const double want = extra_s > 0 ? ceil(K * g_opt.min_time / extra_s) : 16.0 * K;
            K = (uint32_t)std::min(16.0 * K, std::max(2.0 * K, want));
        }
    }

    // Appends the two fits to an interleaved measurement; the long fit is one call per
    // repetition (it already lasts >= half a repetition).
    void add_to(std::vector<std::function<void()>> *fns, std::vector<double> *times) {
        fns->push_back([this] { run(a); });
        times->push_back(g_opt.min_time * 0.5);
        fns->push_back([this] { run(b); });
        times->push_back(0.0);
    }

    FitDiff result(const Meas &ma, const Meas &mb) const {
        FitDiff r;
        r.K = K;
        r.ok = ok;
        r.noisy = ma.all_noisy || mb.all_noisy;
        r.t_base = ma.best;
        r.t_long = mb.best;
        r.epoch_s = (mb.best - ma.best) / K;
        return r;
    }
};

void run_sgd(std::vector<Data> &sets) {
    const std::vector<Path> paths = available_paths();
    const size_t n = 100000;
    const uint32_t d = 32;
    const uint32_t batches[] = {32, 256};
    bool any = false;
    for (uint32_t b : batches)
        for (const auto &p : paths)
            any |= selected("sgd/linear/" + shape(n, d) + "/b" + std::to_string(b) + "/" + p.name);
    if (!any) return;
    Data *D = nullptr;
    for (auto &s : sets)
        if (s.n == n && s.d == d) D = &s;
    if (!D) {
        sets.push_back(make_data(n, d));
        D = &sets.back();
    }
    HUMAN("\n== Minibatch SGD: linear %s, momentum 0.9, shuffle on, dsc_fit difference ==\n",
          shape(n, d).c_str());
    HUMAN("%-26s %-7s %13s %14s %10s %8s %8s\n", "case", "path", "time/epoch", "samples/s",
          "ns/sample", "GB/s", "xScalar");
    for (uint32_t b : batches) {
        const std::string cname = "linear/" + shape(n, d) + "/b" + std::to_string(b);
        // All selected paths' fits interleaved, so xScalar compares like with like.
        std::vector<Path> run;
        std::vector<FitPair> pairs;
        pairs.reserve(paths.size());  // the measured closures point into `pairs`
        for (const auto &p : paths) {
            if (!selected("sgd/" + cname + "/" + p.name)) continue;
            dsc_config cfg;
            dsc_config_init(&cfg, DSC_LINEAR, d);
            cfg.batch_size = b;
            cfg.shuffle = 1;
            cfg.momentum = 0.9f;
            cfg.lr = 1e-5f;
            cfg.backend = p.b;
            pairs.emplace_back();
            if (!pairs.back().prepare(cfg, D->X.p, D->y_lin.p, n)) {
                pairs.pop_back();
                continue;
            }
            run.push_back(p);
        }
        std::vector<std::function<void()>> fns;
        std::vector<double> times;
        for (auto &fp : pairs) fp.add_to(&fns, &times);
        const std::vector<Meas> ms = measure_interleaved(fns, times);
        std::vector<FitDiff> fd;
        double t_scalar = NAN;
        for (size_t i = 0; i < pairs.size(); ++i) {
            fd.push_back(pairs[i].result(ms[2 * i], ms[2 * i + 1]));
            if (run[i].b == DSC_BACKEND_SCALAR) t_scalar = fd.back().epoch_s;
        }
        for (size_t i = 0; i < pairs.size(); ++i) {
            const Path &p = run[i];
            const FitDiff &f = fd[i];
            g_noisy_count += f.noisy;
            const double t = f.epoch_s;
            const double sps = n / t;
            const double gbps = n * (d + 1.0) * sizeof(float) / t;
            const double vs = t_scalar / t;
            HUMAN("%-26s %-7s %12s%s %14.4g %10.2f %8.2f %8s%s\n", cname.c_str(), p.name,
                  fmt_time(t).c_str(), f.noisy ? "!" : " ", sps, 1e9 / sps, gbps / 1e9,
                  fmt_x(vs).c_str(), f.ok ? "" : "  (fit did not run all epochs!)");
            Json()
                .str("section", "sgd")
                .str("case", cname)
                .str("path", p.name)
                .num("n", (double)n)
                .num("d", d)
                .num("batch", b)
                .num("us_per_epoch", t * 1e6)
                .num("samples_per_s", sps)
                .num("gbps", gbps / 1e9)
                .num("speedup_vs_scalar", vs)
                .num("K_epochs", f.K)
                .num("fit_base_s", f.t_base)
                .num("fit_long_s", f.t_long)
                .boolean("fit_ok", f.ok)
                .boolean("noisy", f.noisy)
                .emit();
        }
    }
}

// ---- section: threads -------------------------------------------------------------------------
void run_threads(std::vector<Data> &sets) {
#ifndef DESCENT_BENCH_HAVE_POOL
    (void)sets;
    HUMAN("\n== Threads: skipped (descent_pool not built) ==\n");
#else
    const std::vector<Path> paths = available_paths();
    const size_t n = 1000000;
    const uint32_t d = 32;
    const uint32_t kinds[] = {DSC_LINEAR, DSC_LOGISTIC};
    bool any = false;
    for (uint32_t k : kinds)
        for (const auto &p : paths)
            any |= selected(std::string("threads/") + kind_name(k) + "/" + shape(n, d) + "/" + p.name);
    for (uint32_t k : kinds)
        any |= selected(std::string("threads/fit-defaults/") + kind_name(k) + "/" + shape(n, d));
    if (!any) return;
    Data *D = nullptr;
    for (auto &s : sets)
        if (s.n == n && s.d == d) D = &s;
    if (!D) {
        sets.push_back(make_data(n, d));
        D = &sets.back();
    }
    dsc_pool *pool1 = dsc_pool_create(1), *pool2 = dsc_pool_create(2);
    if (!pool1 || !pool2) {
        HUMAN("\n== Threads: could not start the pool ==\n");
        dsc_pool_destroy(pool1);
        dsc_pool_destroy(pool2);
        return;
    }
    // Bandwidths measured again here, next to the cases they bound: a neighbour that started
    // or stopped since the limits section would otherwise skew the ratio.
    double bw1, bw2;
    bool bn1 = false, bn2 = false;
    measure_dram_bw(&bw1, &bw2, &bn1, &bn2);
    g_noisy_count += bn1 + bn2;
    const double bw_ratio = bw2 / bw1;
    HUMAN("\n== Threads: %s epoch through descent_pool (max_tasks 16) ==\n", shape(n, d).c_str());
    HUMAN("read bandwidth (measured again now): 1 thread %.2f GB/s%s, 2 threads %.2f GB/s%s, "
          "ratio x%.2f\n", bw1 / 1e9, bn1 ? " !" : "", bw2 / 1e9, bn2 ? " !" : "", bw_ratio);
    HUMAN("(target: 2t >= 1.6x 1t, or if lower the bandwidth ceiling 0.85 * 2t read bw / 1t "
          "pass GB/s)\n");
    HUMAN("%-20s %-7s %11s %11s %11s %8s %8s %8s %s\n", "case", "path", "no pool", "pool 1t",
          "pool 2t", "speedup", "GB/s 1t", "GB/s 2t", "target");
    const double bytes = (double)n * (d + 1) * sizeof(float);
    for (uint32_t k : kinds) {
        const std::string cname = std::string(kind_name(k)) + "/" + shape(n, d);
        const float *y = k == DSC_LOGISTIC ? D->y_log.p : D->y_lin.p;
        const dsc::RowSet rs = {D->X.p, y, nullptr, 0, n, d};
        for (const auto &p : paths) {
            const std::string key = "threads/" + cname + "/" + p.name;
            if (!selected(key)) continue;
            // No pool, 1-thread pool, 2-thread pool: measured interleaved, repetition by
            // repetition, so a neighbour that comes or goes hits all three alike.
            Model M[3];
            std::vector<double> grad[3];
            double loss = 0;
            std::vector<std::function<void()>> fns;
            for (int v = 0; v < 3; ++v) {
                dsc_config cfg;
                dsc_config_init(&cfg, (dsc_model_kind)k, d);
                cfg.lr = 1e-6f;
                cfg.backend = p.b;
                if (v > 0) {
                    cfg.parallel_for = dsc_pool_parallel_for;
                    cfg.pool = v == 1 ? pool1 : pool2;
                    cfg.max_tasks = 16;
                }
                if (!M[v].create(cfg)) break;
                g_rng = 12345;  // same parameters for all three variants
                set_bench_params(M[v].m, k);
                grad[v].resize(dsc_param_count(M[v].m));
                fns.push_back([&, v] {
                    dsc::lossgrad_pass(M[v].m, rs, grad[v].data(), &loss);
                    g_sink = loss;
                });
            }
            if (fns.size() != 3) continue;
            const std::vector<Meas> ms = measure_interleaved(fns);
            const double t[3] = {ms[0].best, ms[1].best, ms[2].best};
            const bool noisy = ms[0].all_noisy || ms[1].all_noisy || ms[2].all_noisy;
            g_noisy_count += noisy;
            const double speedup = t[1] / t[2];
            std::string tgt;
            // 1.6x where bandwidth allows it. Two threads cannot read faster than the 2-thread
            // read bandwidth; held to the same 85% of it that the 1-thread pass is held to of
            // the 1-thread bandwidth, the most they can gain over this 1-thread pass is
            // 0.85 * bw2 / (1-thread pass GB/s).
            const double ceiling = 0.85 * bw2 / (bytes / t[1]);
            const double need = std::min(1.6, ceiling);
            if (strcmp(p.name, "avx2") == 0) {
                char want[96], got[32];
                if (ceiling >= 1.6) snprintf(want, sizeof want, ">= 1.60x");
                else snprintf(want, sizeof want, ">= %.2fx (bw-capped)", need);
                snprintf(got, sizeof got, "%.2fx", speedup);
                const bool pass = speedup >= need;
                add_target("threads " + cname + " avx2 2t/1t", want, got, pass);
                tgt = std::string(pass ? "PASS" : "MISS") + " (" + want + ")";
            }
            HUMAN("%-20s %-7s %11s %11s %11s %8s%s %8.2f %8.2f %s\n", cname.c_str(), p.name,
                  fmt_time(t[0]).c_str(), fmt_time(t[1]).c_str(), fmt_time(t[2]).c_str(),
                  fmt_x(speedup).c_str(), noisy ? "!" : " ", bytes / t[1] / 1e9, bytes / t[2] / 1e9, tgt.c_str());
            Json j;
            j.str("section", "threads")
                .str("case", cname)
                .str("path", p.name)
                .num("us_no_pool", t[0] * 1e6)
                .num("us_1t", t[1] * 1e6)
                .num("us_2t", t[2] * 1e6)
                .num("speedup_2t", speedup)
                .num("gbps_1t", bytes / t[1] / 1e9)
                .num("gbps_2t", bytes / t[2] / 1e9)
                .num("read_gbps_1t", bw1 / 1e9)
                .num("read_gbps_2t", bw2 / 1e9)
                .num("read_bw_ratio", bw_ratio)
                .num("bw_ceiling_2t", ceiling)
                .num("speedup_needed", need)
                .boolean("noisy", noisy);
            if (!tgt.empty()) j.str("target", tgt);
            j.emit();
        }
    }
    // The whole fit with defaults (standardized NEWTON: a statistics pass, then curvature
    // passes of n p^2 / 2 multiply-adds each, and loss passes), AUTO path: the time to the
    // optimum a user sees, without a pool and on pools of 1 and 2 threads.
    for (uint32_t k : kinds) {
        const std::string cname = std::string(kind_name(k)) + "/" + shape(n, d);
        const std::string key = "threads/fit-defaults/" + cname;
        if (!selected(key)) continue;
        const float *y = k == DSC_LOGISTIC ? D->y_log.p : D->y_lin.p;
        Model M[3];
        dsc_config cfg[3];
        std::vector<std::function<void()>> fns;
        uint32_t passes = 0;
        for (int v = 0; v < 3; ++v) {
            dsc_config_init(&cfg[v], (dsc_model_kind)k, d);
            if (v > 0) {
                cfg[v].parallel_for = dsc_pool_parallel_for;
                cfg[v].pool = v == 1 ? pool1 : pool2;
            }
            if (!M[v].create(cfg[v])) break;
            fns.push_back([&, v] {
                dsc_fit_report rep;
                dsc_create(&cfg[v], M[v].arena.data(), M[v].arena.size() * 8, &M[v].m);
                dsc_fit(M[v].m, D->X.p, y, n, &rep);
                passes = rep.epochs_run;
            });
        }
        if (fns.size() != 3) continue;
        const std::vector<Meas> ms = measure_interleaved(fns);
        const double t[3] = {ms[0].best, ms[1].best, ms[2].best};
        const bool noisy = ms[0].all_noisy || ms[1].all_noisy || ms[2].all_noisy;
        g_noisy_count += noisy;
        HUMAN("%-20s %-7s %11s %11s %11s %8s%s  (fit with defaults: NEWTON, %u passes)\n",
              cname.c_str(), "auto", fmt_time(t[0]).c_str(), fmt_time(t[1]).c_str(),
              fmt_time(t[2]).c_str(), fmt_x(t[1] / t[2]).c_str(), noisy ? "!" : " ", passes);
        Json j;
        j.str("section", "threads")
            .str("case", "fit-defaults/" + cname)
            .str("path", "auto")
            .num("us_no_pool", t[0] * 1e6)
            .num("us_1t", t[1] * 1e6)
            .num("us_2t", t[2] * 1e6)
            .num("speedup_2t", t[1] / t[2])
            .num("read_bw_ratio", bw_ratio)
            .boolean("noisy", noisy);
        j.emit();
    }
    dsc_pool_destroy(pool1);
    dsc_pool_destroy(pool2);
#endif
}

// ---- section: cross-check of the epoch method through dsc_fit -----------------------------
void run_xcheck(std::vector<Data> &sets) {
    dsc_config probe;
    dsc_config_init(&probe, DSC_LINEAR, 1);
    Model am;
    if (!am.create(probe)) return;
    const char *auto_path = dsc_backend_name(am.m);
    const uint32_t kinds[] = {DSC_LINEAR, DSC_LOGISTIC};
    const size_t n = 100000;
    const uint32_t d = 32;
    bool header = false;
    for (uint32_t k : kinds) {
        const std::string cname = std::string(kind_name(k)) + "/" + shape(n, d);
        const std::string key = "xcheck/" + cname + "/" + auto_path;
        if (!selected(key)) continue;
        Data *D = nullptr;
        for (auto &s : sets)
            if (s.n == n && s.d == d) D = &s;
        if (!D) {
            sets.push_back(make_data(n, d));
            D = &sets.back();
        }
        if (!header) {
            HUMAN("\n== Cross-check: full-batch epoch through dsc_fit (difference), auto path ==\n");
            HUMAN("%-20s %-7s %15s %16s %8s\n", "case", "path", "dsc_fit diff", "lossgrad_pass",
                  "ratio");
            header = true;
        }
        dsc_config cfg;
        dsc_config_init(&cfg, (dsc_model_kind)k, d);
        cfg.lr = 1e-6f;
        const float *y = k == DSC_LOGISTIC ? D->y_log.p : D->y_lin.p;
        // The bare pass, on its own model with the same config, measured interleaved with
        // the two fits.
        Model P;
        if (!P.create(cfg)) continue;
        const dsc::RowSet rs = {D->X.p, y, nullptr, 0, n, d};
        std::vector<double> grad(dsc_param_count(P.m));
        double loss = 0;
        FitPair fp;
        if (!fp.prepare(cfg, D->X.p, y, n)) continue;
        std::vector<std::function<void()>> fns;
        std::vector<double> times;
        fp.add_to(&fns, &times);
        fns.push_back([&] {
            dsc::lossgrad_pass(P.m, rs, grad.data(), &loss);
            g_sink = loss;
        });
        times.push_back(g_opt.min_time);
        const std::vector<Meas> ms = measure_interleaved(fns, times);
        const FitDiff f = fp.result(ms[0], ms[1]);
        const double tp = ms[2].best;
        const bool noisy = f.noisy || ms[2].all_noisy;
        g_noisy_count += noisy;
        HUMAN("%-20s %-7s %14s%s %16s %8s%s\n", cname.c_str(), auto_path,
              fmt_time(f.epoch_s).c_str(), noisy ? "!" : " ", fmt_time(tp).c_str(),
              fmt_x(f.epoch_s / tp).c_str(), f.ok ? "" : "  (fit did not run all epochs!)");
        Json()
            .str("section", "xcheck")
            .str("case", cname)
            .str("path", auto_path)
            .num("us_fit_diff", f.epoch_s * 1e6)
            .num("us_lossgrad_pass", tp * 1e6)
            .num("ratio", f.epoch_s / tp)
            .boolean("noisy", noisy)
            .num("K_epochs", f.K)
            .boolean("fit_ok", f.ok)
            .emit();
    }
}

void print_targets() {
    if (g_targets.empty()) return;
    HUMAN("\n== Targets (AVX2 path, single thread unless said) ==\n");
    HUMAN("%-38s %-40s %-14s %s\n", "target", "want", "got", "verdict");
    for (const auto &t : g_targets) {
        HUMAN("%-38s %-40s %-14s %s\n", t.name.c_str(), t.want.c_str(), t.got.c_str(),
              t.verdict.c_str());
        Json()
            .str("section", "target")
            .str("case", t.name)
            .str("want", t.want)
            .str("got", t.got)
            .str("verdict", t.verdict)
            .emit();
    }
    if (!dsc_backend_available(DSC_BACKEND_AVX2)) HUMAN("(no AVX2 on this CPU: targets n/a)\n");
}

void usage() {
    printf("usage: descent_bench [--quick] [--filter SUBSTR] [--json-only]\n"
           "  --quick        short repetitions (smoke run; numbers are noisier)\n"
           "  --filter S     run only cases whose name contains S, e.g. 'avx2',\n"
           "                 'epoch/logistic', 'sgd/', 'threads/', '1000000x32'\n"
           "                 (machine limits are always measured: every ratio needs them)\n"
           "  --json-only    print only the 'JSON {...}' lines\n");
}

}  // namespace

#ifdef DESCENT_BENCH_HAVE_CUDA
void run_cuda_section(bool json_only);
#endif

int main(int argc, char **argv) {
    for (int i = 1; i < argc; ++i) {
        const std::string a = argv[i];
        if (a == "--quick") g_opt.quick = true;
        else if (a == "--json-only") g_opt.json_only = true;
        else if (a == "--filter" && i + 1 < argc) g_opt.filter = argv[++i];
        else if (a.rfind("--filter=", 0) == 0) g_opt.filter = a.substr(9);
        else if (a == "--help" || a == "-h") {
            usage();
            return 0;
        } else {
            usage();
            return 2;
        }
    }
    if (g_opt.quick) {
        g_opt.min_time = 0.02;
        g_opt.reps = 2;
    }

    dsc_config probe;
    dsc_config_init(&probe, DSC_LINEAR, 1);
    Model am;
    if (!am.create(probe)) return 1;
    const char *env = getenv("DESCENT_BACKEND");
    HUMAN("descent_bench — descent %d.%d.%d, build type '%s'%s\n", DSC_VERSION_MAJOR,
          DSC_VERSION_MINOR, DSC_VERSION_PATCH, DESCENT_BENCH_BUILD_TYPE,
#ifdef NDEBUG
          ""
#else
          "  (WARNING: assertions on; is this an optimised build?)"
#endif
    );
    HUMAN("CPU: %s, %ld online CPUs\n", cpu_model().c_str(), sysconf(_SC_NPROCESSORS_ONLN));
    std::string paths;
    for (const auto &p : available_paths()) paths += std::string(paths.empty() ? "" : " ") + p.name;
    HUMAN("auto path: %s%s%s%s; compiled-in and runnable: %s\n", dsc_backend_name(am.m),
          env ? " (DESCENT_BACKEND=" : "", env ? env : "", env ? ")" : "", paths.c_str());
    HUMAN("timing: best of %d repetitions of >= %.2f s each%s%s%s\n", g_opt.reps, g_opt.min_time,
          g_opt.quick ? " (--quick)" : "", g_opt.filter.empty() ? "" : ", filter: ",
          g_opt.filter.c_str());
    Json()
        .str("section", "run")
        .str("cpu", cpu_model())
        .num("cpus", (double)sysconf(_SC_NPROCESSORS_ONLN))
        .str("auto_path", dsc_backend_name(am.m))
        .str("paths", paths)
        .str("build_type", DESCENT_BENCH_BUILD_TYPE)
        .boolean("quick", g_opt.quick)
        .str("filter", g_opt.filter)
        .emit();

    const double t_start = now_s();
    LoadProbe lp = load_probe();
    measure_limits();
    report_load("limits", lp);
    std::vector<Data> sets;
    sets.reserve(8);  // Data holds owning buffers; keep them from moving under pointers
    lp = load_probe();
    run_epochs(sets);
    report_load("epoch", lp);
    lp = load_probe();
    run_curv(sets);
    report_load("curv", lp);
    lp = load_probe();
    run_sgd(sets);
    report_load("sgd", lp);
    lp = load_probe();
    run_threads(sets);
    report_load("threads", lp);
    lp = load_probe();
    run_xcheck(sets);
    report_load("xcheck", lp);
#ifdef DESCENT_BENCH_HAVE_CUDA
    if (selected("cuda")) run_cuda_section(g_opt.json_only);
#endif
    print_targets();
    if (g_noisy_count)
        HUMAN("\n! = %d measurement(s) found no quiet repetition: other processes kept > %.2f "
              "CPUs busy through all of them\n", g_noisy_count, kNoisyCpus);
    HUMAN("\ntotal %.1f s", now_s() - t_start);
    if (g_noisy_count)
        HUMAN("; WARNING: %d measurement(s) marked ! ran with other processes busy throughout: "
              "rerun on a quiet machine before trusting them", g_noisy_count);
    else if (g_max_foreign > 0.2)
        HUMAN("; other processes were busy at times (up to %.2f CPUs), every number comes from "
              "quiet repetitions", g_max_foreign);
    HUMAN("\n");
    if (!g_opt.json_only) {
        printf("\n");
        for (const auto &j : g_json) printf("%s\n", j.c_str());
    }
    return 0;
}
