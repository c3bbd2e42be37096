//===- qopt-run.cpp - Run, check and benchmark a .qbin bundle -------------===//
//
//   qopt-run model.qbin --input name=x.npy ... [--output-dir DIR]
//            [--bench N --warmup M] [--cuda-graph] [--device K]
//            [--compare DIR (--exact | --rtol R --atol A)] [--random-inputs]
//   qopt-run model.qbin --info       signature (and the device, if there is one)
//   qopt-run model.qbin --verify     verify the bundle only; no GPU needed
//
// Links only the runtime: it runs where the bundle runs, without LLVM.
// Exit codes: 0 success, 1 any error or mismatch, 2 bad usage.
//
//===----------------------------------------------------------------------===//

#include "Npy.h"

#include "qopt/runtime/BundleFile.h"
#include "qopt/runtime/BundleVerify.h"
#include "qopt/runtime/ReadFile.h"
#include "qopt/runtime/Runtime.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <map>
#include <string>
#include <sys/stat.h>
#include <vector>

using namespace qopt;
using namespace qopt::run;

namespace {

struct Options {
  std::string bundle, outputDir, compareDir;
  std::vector<std::pair<std::string, std::string>> inputs; // name (may be empty), path
  int bench = 0, warmup = -1, device = 0, profile = 0;
  bool info = false, verify = false, cudaGraph = false, exact = false, randomInputs = false,
       syncSteps = false;
  double rtol = 0, atol = 0;
  bool tolerance = false;
};

const char *kUsage =
    "usage: qopt-run model.qbin [--input name=x.npy ...] [--output-dir DIR]\n"
    "                [--bench N] [--warmup M] [--cuda-graph] [--device K]\n"
    "                [--compare DIR (--exact | --rtol R --atol A)] [--random-inputs]\n"
    "                [--profile N] [--sync-steps] [--info] [--verify]\n"
    "  --input name=x.npy  an input by name (name= may be left out for a one-input model)\n"
    "  --random-inputs     fill inputs not given with deterministic pseudo-random values\n"
    "  --output-dir DIR    write each output to DIR/<name>.npy\n"
    "  --bench N           run N more times and print latency p50/p90/p99 and throughput\n"
    "  --warmup M          runs before timing (default 10 with --bench)\n"
    "  --cuda-graph        capture the launches once and replay them as a CUDA graph\n"
    "  --profile N         time every step with CUDA events over N runs; print the table\n"
    "  --compare DIR       compare each output with DIR/<name>.npy; exit 1 on a mismatch\n"
    "  --exact             ... bit for bit\n"
    "  --rtol R --atol A   ... |got - expected| <= A + R * |expected|\n"
    "  --sync-steps        wait after every step: a GPU fault names its step (slow)\n"
    "  --info              print the signature (and the device when there is one)\n"
    "  --verify            verify the bundle only (no GPU needed)\n";

int usage(const std::string &why) {
  std::fprintf(stderr, "qopt-run: %s\n%s", why.c_str(), kUsage);
  return 2;
}

int error(const std::string &message) {
  std::fprintf(stderr, "qopt-run: error: %s\n", message.c_str());
  return 1;
}

/// The file name qopt-ref gives an output (tools/qopt-ref: same rule).
std::string sanitize(const std::string &name) {
  std::string s = name;
  for (char &c : s)
    if (!std::isalnum((unsigned char)c) && c != '_' && c != '-' && c != '.')
      c = '_';
  if (s.empty() || s == "." || s == "..")
    s = "_" + s;
  return s;
}

bool parse(int argc, char **argv, Options &o, std::string &why) {
  auto value = [&](int &i, const char *flag, std::string &out) {
    if (i + 1 >= argc) {
      why = std::string(flag) + " needs a value";
      return false;
    }
    out = argv[++i];
    return true;
  };
  auto number = [&](const std::string &text, double &out, const char *flag) {
    char *end = nullptr;
    out = std::strtod(text.c_str(), &end);
    if (text.empty() || *end || !(out >= 0)) {
      why = std::string(flag) + " takes a non-negative number, not '" + text + "'";
      return false;
    }
    return true;
  };
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i], v;
    double d = 0;
    if (a == "--help" || a == "-h") {
      std::fputs(kUsage, stdout);
      std::exit(0);
    } else if (a == "--input") {
      if (!value(i, "--input", v))
        return false;
      size_t eq = v.find('=');
      if (eq == std::string::npos)
        o.inputs.push_back({"", v});
      else
        o.inputs.push_back({v.substr(0, eq), v.substr(eq + 1)});
    } else if (a == "--output-dir") {
      if (!value(i, "--output-dir", o.outputDir))
        return false;
    } else if (a == "--compare") {
      if (!value(i, "--compare", o.compareDir))
        return false;
    } else if (a == "--bench" || a == "--warmup" || a == "--device" || a == "--profile") {
      if (!value(i, a.c_str(), v) || !number(v, d, a.c_str()))
        return false;
      if (d != std::floor(d) || d > 1e7) {
        why = a + " takes a whole number, not '" + v + "'";
        return false;
      }
      (a == "--bench"    ? o.bench
       : a == "--warmup" ? o.warmup
       : a == "--device" ? o.device
                         : o.profile) = (int)d;
    } else if (a == "--rtol" || a == "--atol") {
      if (!value(i, a.c_str(), v) || !number(v, d, a.c_str()))
        return false;
      (a == "--rtol" ? o.rtol : o.atol) = d;
      o.tolerance = true;
    } else if (a == "--exact") {
      o.exact = true;
    } else if (a == "--cuda-graph") {
      o.cudaGraph = true;
    } else if (a == "--random-inputs") {
      o.randomInputs = true;
    } else if (a == "--sync-steps") {
      o.syncSteps = true;
    } else if (a == "--info") {
      o.info = true;
    } else if (a == "--verify") {
      o.verify = true;
    } else if (!a.empty() && a[0] == '-') {
      why = "unknown option " + a;
      return false;
    } else if (o.bundle.empty()) {
      o.bundle = a;
    } else {
      why = "more than one bundle given ('" + o.bundle + "', '" + a + "')";
      return false;
    }
  }
  if (o.bundle.empty()) {
    why = "no bundle given";
    return false;
  }
  if (o.exact && o.tolerance) {
    why = "--exact and --rtol/--atol exclude each other";
    return false;
  }
  if ((o.exact || o.tolerance) && o.compareDir.empty()) {
    why = "--exact, --rtol and --atol need --compare DIR";
    return false;
  }
  if (!o.compareDir.empty() && !o.exact && !o.tolerance) {
    why = "--compare needs --exact or --rtol/--atol";
    return false;
  }
  return true;
}

/// --info and --verify: read the file and verify it, without a GPU.
int inspect(const Options &o) {
  std::vector<uint8_t> bytes;
  if (std::string err = qbin::readRegularFile(o.bundle, qbin::kMaxBundleFileBytes, bytes); !err.empty())
    return error(err);
  qbin::VerifiedBundle vb;
  if (std::string err = qbin::verifyBundle(bytes.data(), bytes.size(), vb); !err.empty())
    return error(o.bundle + ": " + err);
  const qbin::Bundle *b = vb.bundle;
  if (o.verify && !o.info) {
    std::printf("%s: valid bundle (%s, %s, %zu steps)\n", o.bundle.c_str(),
                b->compiler_version()->c_str(), b->precision() ? b->precision()->c_str() : "?",
                (size_t)b->steps()->size());
    return 0;
  }
  std::printf("bundle: %s\ncompiler: %s\nprecision: %s\ntargets:", o.bundle.c_str(),
              b->compiler_version()->c_str(), b->precision() ? b->precision()->c_str() : "?");
  for (const auto *t : *b->targets())
    std::printf(" %s", t->c_str());
  std::printf("\n");
  auto list = [](const char *what, const auto *tensors) {
    for (const qbin::TensorSpec *t : *tensors) {
      std::vector<int64_t> shape(t->shape()->begin(), t->shape()->end());
      std::printf("%s %s: %s", what, t->name()->c_str(),
                  describe((qopt_dtype)t->dtype(), shape).c_str());
      if (const qbin::QuantParams *q = t->quant())
        if (q->scales()->size() == 1)
          std::printf(" (quantized: scale %g, zero point %lld)", q->scales()->Get(0),
                      (long long)q->zero_points()->Get(0));
      std::printf("\n");
    }
  };
  list("input", b->inputs());
  list("output", b->outputs());
  std::printf("weights: %llu bytes\narena: %llu bytes\nsteps: %zu\n",
              (unsigned long long)vb.weightBytes, (unsigned long long)b->arena_bytes(),
              (size_t)b->steps()->size());
  try {
    rt::Model model = rt::Model::loadFile(o.bundle, o.device);
    std::printf("%s", model.describe().c_str());
  } catch (rt::Error &e) {
    std::printf("device: not loaded: %s\n", e.what());
  }
  return 0;
}

/// Deterministic values in [-1, 1) (floats) or the full range (integers).
void fillRandom(const qopt_tensor_info &t, std::vector<uint8_t> &data) {
  uint64_t state = 0x9e3779b97f4a7c15ull;
  auto next = [&] {
    state ^= state << 13;
    state ^= state >> 7;
    state ^= state << 17;
    return state;
  };
  data.resize(t.bytes);
  if (t.dtype == QOPT_F32) {
    for (size_t i = 0; i < t.bytes / 4; ++i) {
      float f = (float)((next() >> 40) / double(1 << 24) * 2.0 - 1.0);
      std::memcpy(&data[i * 4], &f, 4);
    }
  } else {
    for (uint8_t &b : data)
      b = (uint8_t)next();
  }
}

double percentile(std::vector<double> v, double p) {
  std::sort(v.begin(), v.end());
  size_t i = (size_t)std::min<double>(v.size() - 1, std::ceil(p / 100.0 * v.size()) - 1);
  return v[i];
}

/// Element i of a buffer as double (for the tolerance comparison).
double element(qopt_dtype d, const uint8_t *p, size_t i) {
  switch (d) {
  case QOPT_F32: { float f; std::memcpy(&f, p + 4 * i, 4); return f; }
  case QOPT_F64: { double f; std::memcpy(&f, p + 8 * i, 8); return f; }
  case QOPT_F16: {
    uint16_t h;
    std::memcpy(&h, p + 2 * i, 2);
    int e = (h >> 10) & 31, m = h & 1023;
    double v = e == 0 ? std::ldexp(m, -24) : e == 31 ? (m ? NAN : INFINITY) : std::ldexp(m + 1024, e - 25);
    return (h & 0x8000) ? -v : v;
  }
  case QOPT_I8: return (int8_t)p[i];
  case QOPT_U8: case QOPT_BOOL: return p[i];
  case QOPT_I16: { int16_t v; std::memcpy(&v, p + 2 * i, 2); return v; }
  case QOPT_U16: { uint16_t v; std::memcpy(&v, p + 2 * i, 2); return v; }
  case QOPT_I32: { int32_t v; std::memcpy(&v, p + 4 * i, 4); return v; }
  case QOPT_U32: { uint32_t v; std::memcpy(&v, p + 4 * i, 4); return v; }
  case QOPT_I64: { int64_t v; std::memcpy(&v, p + 8 * i, 8); return (double)v; }
  case QOPT_U64: { uint64_t v; std::memcpy(&v, p + 8 * i, 8); return (double)v; }
  default: return NAN;
  }
}

int runModel(const Options &o) {
  rt::Model model = rt::Model::loadFile(o.bundle, o.device);
  std::fprintf(stderr, "%s", model.describe().c_str());
  rt::Session session(model);
  session.syncEachStep(o.syncSteps);

  std::vector<bool> given(model.numInputs(), false);
  for (const auto &[name, path] : o.inputs) {
    int64_t index = name.empty() && model.numInputs() == 1 ? 0 : model.findInput(name);
    if (index < 0) {
      std::string names;
      for (size_t i = 0; i < model.numInputs(); ++i)
        names += (i ? ", " : "") + std::string(model.input(i).name);
      return error(name.empty() ? "--input " + path + " needs a name: the model has inputs " + names
                                : "the model has no input '" + name + "' (its inputs: " + names + ")");
    }
    qopt_tensor_info info = model.input((size_t)index);
    NpyArray a;
    // Bounded by what the input could be in any dtype, so that a wrong dtype
    // is reported as such rather than as an oversized file.
    if (std::string err = readNpy(path, a, 8 * (uint64_t)info.bytes + (1 << 20)); !err.empty())
      return error("input '" + std::string(info.name) + "': " + err);
    std::vector<int64_t> expected(info.dims, info.dims + info.rank);
    if (a.dtype != info.dtype || a.shape != expected)
      return error("input '" + std::string(info.name) + "' expects " +
                   describe(info.dtype, expected) + ", '" + path + "' holds " +
                   describe(a.dtype, a.shape));
    session.setInput((size_t)index, a.data.data(), a.data.size());
    given[(size_t)index] = true;
  }
  for (size_t i = 0; i < model.numInputs(); ++i) {
    if (given[i])
      continue;
    qopt_tensor_info info = model.input(i);
    if (!o.randomInputs)
      return error("input '" + std::string(info.name) + "' (" +
                   describe(info.dtype, std::vector<int64_t>(info.dims, info.dims + info.rank)) +
                   ") was not given (--input " + info.name + "=x.npy, or --random-inputs)");
    std::vector<uint8_t> data;
    fillRandom(info, data);
    session.setInput(i, data.data(), data.size());
  }
  session.useCudaGraph(o.cudaGraph);
  session.run();

  std::vector<NpyArray> outputs(model.numOutputs());
  for (size_t i = 0; i < model.numOutputs(); ++i) {
    qopt_tensor_info info = model.output(i);
    outputs[i].dtype = info.dtype;
    outputs[i].shape.assign(info.dims, info.dims + info.rank);
    outputs[i].data.resize(info.bytes);
    session.getOutput(i, outputs[i].data.data(), info.bytes);
    if (!o.outputDir.empty()) {
      mkdir(o.outputDir.c_str(), 0755);
      std::string path = o.outputDir + "/" + sanitize(info.name) + ".npy";
      if (std::string err = writeNpy(path, outputs[i]); !err.empty())
        return error(err);
    }
  }

  int status = 0;
  if (!o.compareDir.empty()) {
    for (size_t i = 0; i < model.numOutputs(); ++i) {
      qopt_tensor_info info = model.output(i);
      std::string path = o.compareDir + "/" + sanitize(info.name) + ".npy";
      NpyArray expected;
      if (std::string err = readNpy(path, expected, 8 * (uint64_t)info.bytes + (1 << 20));
          !err.empty())
        return error("output '" + std::string(info.name) + "': " + err);
      const NpyArray &got = outputs[i];
      if (expected.dtype != got.dtype || expected.shape != got.shape) {
        std::printf("output %s: MISMATCH: %s, expected %s\n", info.name,
                    describe(got.dtype, got.shape).c_str(),
                    describe(expected.dtype, expected.shape).c_str());
        status = 1;
        continue;
      }
      size_t width = qbin::dtypeBytes((qbin::DType)got.dtype), n = got.data.size() / width;
      size_t mismatches = 0;
      double maxError = 0;
      for (size_t k = 0; k < n; ++k) {
        double a = element(got.dtype, got.data.data(), k);
        double e = element(got.dtype, expected.data.data(), k);
        double err = std::fabs(a - e);
        if (std::isnan(a) != std::isnan(e))
          err = INFINITY;
        else if (std::isnan(a))
          err = 0;
        maxError = std::max(maxError, err);
        bool bad = o.exact ? std::memcmp(&got.data[k * width], &expected.data[k * width], width) != 0
                           : !(err <= o.atol + o.rtol * std::fabs(e));
        mismatches += bad;
      }
      std::printf("output %s: %s, max abs error %.3g, %zu of %zu differ%s\n", info.name,
                  describe(got.dtype, got.shape).c_str(), maxError, mismatches, n,
                  mismatches ? " -- MISMATCH" : o.exact ? " (bit-exact)" : "");
      if (mismatches)
        status = 1;
    }
  }

  if (o.bench > 0) {
    int warmup = o.warmup < 0 ? 10 : o.warmup;
    for (int i = 0; i < warmup; ++i)
      session.run();
    std::vector<double> ms;
    auto start = std::chrono::steady_clock::now();
    for (int i = 0; i < o.bench; ++i) {
      auto t0 = std::chrono::steady_clock::now();
      session.run();
      ms.push_back(std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count());
    }
    double total = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    int64_t batch = model.numInputs() && model.input(0).rank ? model.input(0).dims[0] : 1;
    std::printf("latency ms: p50 %.4f p90 %.4f p99 %.4f (%d runs after %d warm-up%s)\n",
                percentile(ms, 50), percentile(ms, 90), percentile(ms, 99), o.bench, warmup,
                o.cudaGraph ? ", CUDA graph" : "");
    std::printf("throughput: %.1f runs/s, %.1f samples/s (batch %lld)\n", o.bench / total,
                o.bench * batch / total, (long long)batch);
  }
  if (o.profile > 0) {
    std::vector<double> ms = session.profile(model.numSteps(), o.profile);
    double total = 0;
    for (double t : ms)
      total += t;
    std::vector<size_t> order(ms.size());
    for (size_t i = 0; i < order.size(); ++i)
      order[i] = i;
    std::sort(order.begin(), order.end(),
              [&](size_t a, size_t b) { return ms[a] != ms[b] ? ms[a] > ms[b] : a < b; });
    std::printf("profile: %.4f ms in %zu steps (mean of %d runs, CUDA events)\n", total, ms.size(),
                o.profile);
    for (size_t i : order)
      std::printf("  step %4zu %10.4f ms %5.1f%%  %s\n", i, ms[i], total > 0 ? 100 * ms[i] / total : 0.0,
                  model.stepName(i).c_str());
  }
  return status;
}

} // namespace

int main(int argc, char **argv) {
  Options o;
  std::string why;
  if (!parse(argc, argv, o, why))
    return usage(why);
  if (o.info || o.verify)
    return inspect(o);
  try {
    return runModel(o);
  } catch (rt::Error &e) {
    return error(e.what());
  } catch (std::exception &e) {
    return error(e.what());
  }
}
