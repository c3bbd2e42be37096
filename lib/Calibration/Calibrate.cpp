//===- Calibrate.cpp - Calibration runs over real data ---------*- C++ -*-===//

#include "qopt/Calibration/Calibrate.h"
#include "qopt/Reference/File.h"
#include "qopt/Reference/Executor.h"
#include "qopt/Reference/Npy.h"

#include "llvm/Support/FileSystem.h"
#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/Process.h"
#include "llvm/Support/raw_ostream.h"

#include <algorithm>
#include <chrono>

using namespace mlir;
using namespace qopt;
using namespace qopt::calib;
using llvm::Expected;
using llvm::StringRef;
using ref::Tensor;

//===----------------------------------------------------------------------===//
// Tensor names
//===----------------------------------------------------------------------===//

static std::string locationName(Location loc) {
  if (auto n = dyn_cast<NameLoc>(loc))
    return n.getName().str();
  if (auto f = dyn_cast<FusedLoc>(loc))
    for (Location l : f.getLocations())
      if (auto n = dyn_cast<NameLoc>(l))
        return n.getName().str();
  return "";
}

llvm::DenseMap<Value, std::string> qopt::calib::tensorKeys(func::FuncOp func) {
  llvm::DenseMap<Value, std::string> keys;
  llvm::StringMap<int> seen;
  auto unique = [&](std::string base) {
    int n = seen[base]++;
    return n ? base + "#" + std::to_string(n) : base;
  };
  for (BlockArgument arg : func.getArguments()) {
    auto n = func.getArgAttrOfType<StringAttr>(arg.getArgNumber(), "qnn.name");
    keys[arg] = unique(n ? n.str() : "input" + std::to_string(arg.getArgNumber()));
  }
  func.walk([&](Operation *op) {
    if (op->getNumResults() == 0)
      return;
    std::string base = locationName(op->getLoc());
    if (base.empty())
      base = op->getName().getStringRef().str();
    for (OpResult r : op->getResults())
      keys[r] = unique(op->getNumResults() == 1 ? base
                                                : base + ":" + std::to_string(r.getResultNumber()));
  });
  return keys;
}

//===----------------------------------------------------------------------===//
// Cache
//===----------------------------------------------------------------------===//

static constexpr int64_t kCacheVersion = 1;

llvm::Error qopt::calib::writeCalibrationCache(const CalibrationTable &table, StringRef path) {
  llvm::json::Object tensors;
  // Sorted keys keep the file diffable between runs.
  std::vector<std::string> names;
  for (const auto &e : table.tensors)
    names.push_back(e.getKey().str());
  std::sort(names.begin(), names.end());
  for (const std::string &n : names)
    tensors[n] = table.tensors.find(n)->second.toJSON();
  llvm::json::Object root{{"format", "qopt-calibration-cache"},
                          {"version", kCacheVersion},
                          {"samples", table.samples},
                          {"source", table.source},
                          {"tensors", std::move(tensors)}};
  std::error_code ec;
  llvm::raw_fd_ostream os(path, ec);
  if (ec)
    return llvm::createStringError("cannot write calibration cache '" + path.str() +
                                   "': " + ec.message());
  os << llvm::formatv("{0:2}", llvm::json::Value(std::move(root))) << "\n";
  return llvm::Error::success();
}

Expected<CalibrationTable> qopt::calib::readCalibrationCache(StringRef path) {
  auto fail = [&](const llvm::Twine &why) {
    return llvm::createStringError("calibration cache '" + path.str() + "': " + why.str());
  };
  auto buf = ref::readRegularFile(path, /*maxBytes=*/int64_t(1) << 30);
  if (!buf)
    return fail(llvm::toString(buf.takeError()));
  auto parsed = llvm::json::parse((*buf)->getBuffer());
  if (!parsed)
    return fail("not JSON: " + llvm::toString(parsed.takeError()));
  const llvm::json::Object *root = parsed->getAsObject();
  if (!root || root->getString("format") != StringRef("qopt-calibration-cache"))
    return fail("not a QOpt calibration cache (no \"format\": \"qopt-calibration-cache\")");
  if (root->getInteger("version") != kCacheVersion)
    return fail("version " + std::to_string(root->getInteger("version").value_or(-1)) +
                ", this compiler reads version " + std::to_string(kCacheVersion));
  const llvm::json::Object *tensors = root->getObject("tensors");
  if (!tensors)
    return fail("no \"tensors\" object");
  CalibrationTable table;
  table.samples = root->getInteger("samples").value_or(0);
  table.source = root->getString("source").value_or("").str();
  // Histograms are allocated at their declared size: bound the total so a
  // hostile cache cannot make the compiler allocate without limit (2^26
  // bins, 512 MiB, is 32768 tensors at QOpt's 2048 bins).
  int64_t totalBins = 0;
  for (const auto &[key, value] : *tensors) {
    if (const llvm::json::Object *o = value.getAsObject())
      totalBins += std::max<int64_t>(0, o->getInteger("bin_count").value_or(0));
    if (totalBins > (int64_t(1) << 26))
      return fail("histograms total more than 2^26 bins");
    auto stats = quant::TensorStatistics::fromJSON(value);
    if (!stats)
      return fail("tensor '" + key.str() + "': " + llvm::toString(stats.takeError()));
    table.tensors.insert({key.str(), std::move(*stats)});
  }
  return table;
}

//===----------------------------------------------------------------------===//
// Calibration sets
//===----------------------------------------------------------------------===//

Expected<CalibrationSet> CalibrationSet::open(func::FuncOp func, StringRef path,
                                              const Options &options) {
  CalibrationSet set;
  set.options = options;
  for (BlockArgument arg : func.getArguments()) {
    auto type = cast<RankedTensorType>(arg.getType());
    auto dtype = ref::dtypeFromType(type.getElementType());
    if (!dtype)
      return dtype.takeError();
    auto n = func.getArgAttrOfType<StringAttr>(arg.getArgNumber(), "qnn.name");
    set.inputs.push_back({n ? n.str() : "input" + std::to_string(arg.getArgNumber()), *dtype,
                          llvm::SmallVector<int64_t, 4>(type.getShape())});
  }
  if (set.inputs.empty())
    return llvm::createStringError("the model has no inputs to calibrate");
  if (llvm::sys::fs::is_directory(path)) {
    std::error_code ec;
    for (llvm::sys::fs::directory_iterator it(path, ec), end; it != end && !ec;
         it.increment(ec)) {
      StringRef p = it->path();
      StringRef ext = llvm::sys::path::extension(p);
      if (ext == ".npy" || ext == ".npz" || (options.image && ref::isImagePath(p)))
        set.files.push_back(p.str());
    }
    if (ec)
      return llvm::createStringError("cannot list calibration directory '" + path.str() +
                                     "': " + ec.message());
    std::sort(set.files.begin(), set.files.end());
    if (set.files.empty())
      return llvm::createStringError(
          "calibration directory '" + path.str() + "' has no .npy or .npz files" +
          (options.image ? " or images" : " (images need --image-preprocess)"));
    if (set.inputs.size() > 1 &&
        llvm::any_of(set.files, [](const std::string &f) {
          return !StringRef(f).ends_with(".npz");
        }))
      return llvm::createStringError("the model has " + std::to_string(set.inputs.size()) +
                                     " inputs: calibration samples must be .npz archives "
                                     "holding one array per input");
    set.count = set.files.size();
  } else {
    StringRef ext = llvm::sys::path::extension(path);
    set.batchFile = path.str();
    if (ext == ".npy") {
      if (set.inputs.size() != 1)
        return llvm::createStringError("a .npy calibration batch needs a one-input model; use a "
                                       ".npz with one array per input");
      auto t = ref::readNpy(path, options.maxInputBytes);
      if (!t)
        return llvm::createStringError("'" + path.str() + "': " + llvm::toString(t.takeError()));
      set.batchArrays.push_back({set.inputs[0].name, std::move(*t)});
    } else if (ext == ".npz") {
      auto arrays = ref::readNpz(path, options.maxInputBytes);
      if (!arrays)
        return llvm::createStringError("'" + path.str() + "': " +
                                       llvm::toString(arrays.takeError()));
      for (auto &a : *arrays)
        set.batchArrays.push_back({a.name, std::move(a.tensor)});
    } else {
      return llvm::createStringError("calibration data '" + path.str() +
                                     "' must be a directory, a .npy or a .npz");
    }
    // The number of samples: the leading dim over the model's batch size.
    std::optional<int64_t> samples;
    for (const Input &in : set.inputs) {
      auto it = llvm::find_if(set.batchArrays, [&](auto &a) { return a.first == in.name; });
      if (it == set.batchArrays.end())
        return llvm::createStringError("'" + path.str() + "' has no array for input '" +
                                       in.name + "'");
      int64_t batch = in.shape.empty() ? 1 : in.shape[0];
      const Tensor &t = it->second;
      if (t.rank() != (int64_t)in.shape.size() || batch <= 0 || t.rank() == 0 ||
          t.dim(0) % batch ||
          !std::equal(in.shape.begin() + 1, in.shape.end(), t.shape().begin() + 1))
        return llvm::createStringError(
            "'" + path.str() + "': array '" + in.name + "' is " + t.describe() +
            "; expected a multiple of the input's batch along dim 0 of " +
            ref::dtypeName(in.dtype).str() + "[" +
            [&] {
              std::string s;
              for (size_t i = 0; i < in.shape.size(); ++i)
                s += (i ? "," : "") + std::to_string(in.shape[i]);
              return s;
            }() +
            "]");
      int64_t n = t.dim(0) / batch;
      if (samples && *samples != n)
        return llvm::createStringError("'" + path.str() +
                                       "': arrays hold different numbers of samples");
      samples = n;
    }
    set.count = *samples;
  }
  if (options.maxSamples > 0)
    set.count = std::min<size_t>(set.count, options.maxSamples);
  return set;
}

Expected<Tensor> CalibrationSet::checked(StringRef file, const Input &in, Tensor t) const {
  if (t.dtype() != in.dtype && isFloat(t.dtype()) && isFloat(in.dtype))
    t = t.castTo(in.dtype);
  if (t.dtype() != in.dtype || t.shape() != ArrayRef<int64_t>(in.shape)) {
    std::string want = ref::dtypeName(in.dtype).str() + "[";
    for (size_t i = 0; i < in.shape.size(); ++i)
      want += (i ? "," : "") + std::to_string(in.shape[i]);
    return llvm::createStringError("'" + file.str() + "': input '" + in.name + "' expects " +
                                   want + "], got " + t.describe());
  }
  return t;
}

Expected<Sample> CalibrationSet::fromArrays(
    StringRef file, llvm::ArrayRef<std::pair<std::string, Tensor>> arrays, int64_t chunk) const {
  Sample sample;
  for (const Input &in : inputs) {
    auto it = llvm::find_if(arrays, [&](auto &a) { return a.first == in.name; });
    if (it == arrays.end())
      return llvm::createStringError("'" + file.str() + "' has no array for input '" + in.name +
                                     "'");
    Tensor t = it->second;
    if (chunk >= 0) {
      int64_t batch = in.shape[0];
      int64_t per = t.numElements() / t.dim(0) * batch;
      auto part = Tensor::fromBytes(
          t.dtype(), in.shape,
          llvm::ArrayRef<char>(t.bytes() + chunk * per * ref::dtypeSize(t.dtype()),
                               per * ref::dtypeSize(t.dtype())));
      if (!part)
        return part.takeError();
      t = std::move(*part);
    }
    auto c = checked(file, in, std::move(t));
    if (!c)
      return c.takeError();
    sample.push_back(std::move(*c));
  }
  return sample;
}

Expected<Sample> CalibrationSet::load(size_t index) const {
  if (index >= count)
    return llvm::createStringError("calibration sample index out of range");
  if (!batchFile.empty())
    return fromArrays(batchFile, batchArrays, index);
  StringRef file = files[index];
  if (file.ends_with(".npz")) {
    auto arrays = ref::readNpz(file, options.maxInputBytes);
    if (!arrays)
      return llvm::createStringError("'" + file.str() + "': " +
                                     llvm::toString(arrays.takeError()));
    std::vector<std::pair<std::string, Tensor>> named;
    for (auto &a : *arrays)
      named.push_back({a.name, std::move(a.tensor)});
    return fromArrays(file, named, -1);
  }
  Expected<Tensor> t = file.ends_with(".npy") ? ref::readNpy(file, options.maxInputBytes)
                                              : ref::loadImage(file, *options.image);
  if (!t)
    return llvm::createStringError("'" + file.str() + "': " + llvm::toString(t.takeError()));
  auto c = checked(file, inputs[0], std::move(*t));
  if (!c)
    return c.takeError();
  Sample s;
  s.push_back(std::move(*c));
  return s;
}

//===----------------------------------------------------------------------===//
// Runs
//===----------------------------------------------------------------------===//

Expected<CalibrationTable> qopt::calib::calibrate(func::FuncOp func, const CalibrationSet &set,
                                                  const ProgressFn &progress) {
  auto executor = ref::Executor::create(func);
  if (!executor)
    return executor.takeError();
  llvm::DenseMap<Value, std::string> keys = tensorKeys(func);
  llvm::DenseMap<Value, quant::TensorStatistics *> stats;
  CalibrationTable table;
  for (auto &[value, key] : keys) {
    auto type = dyn_cast<RankedTensorType>(value.getType());
    if (!type || !isa<FloatType>(type.getElementType()))
      continue;
    // Constants (weights) are quantized from their own values, not calibrated.
    if (Operation *def = value.getDefiningOp(); def && def->hasTrait<OpTrait::ConstantLike>())
      continue;
    stats[value] = &table.tensors.try_emplace(key).first->second;
  }
  auto observe = [&](Value v, const Tensor &t) {
    auto it = stats.find(v);
    if (it == stats.end())
      return;
    if (t.dtype() == ref::DType::F32) {
      it->second->observe(t.data<float>(), t.numElements());
    } else if (isFloat(t.dtype())) {
      Tensor f = t.castTo(ref::DType::F32);
      it->second->observe(f.data<float>(), f.numElements());
    }
  };
  for (size_t i = 0; i < set.size(); ++i) {
    auto sample = set.load(i);
    if (!sample)
      return llvm::createStringError("calibration sample " + std::to_string(i) + ": " +
                                     llvm::toString(sample.takeError()));
    auto outputs = executor->run(*sample, nullptr, observe);
    if (!outputs)
      return llvm::createStringError("calibration sample " + std::to_string(i) + ": " +
                                     llvm::toString(outputs.takeError()));
    ++table.samples;
    if (progress)
      progress(i + 1, set.size());
  }
  return table;
}

ProgressFn qopt::calib::terminalProgress(StringRef label) {
  if (!llvm::sys::Process::StandardErrIsDisplayed())
    return nullptr;
  auto start = std::make_shared<std::chrono::steady_clock::time_point>(
      std::chrono::steady_clock::now());
  std::string name = label.str();
  return [start, name](size_t done, size_t total) {
    double elapsed =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - *start).count();
    double eta = done ? elapsed / done * (total - done) : 0;
    const int width = 30;
    int filled = total ? (int)(width * done / total) : width;
    llvm::errs() << "\r" << name << " [" << std::string(filled, '#')
                 << std::string(width - filled, '.') << "] " << done << "/" << total
                 << llvm::formatv(" {0:f1}s, ETA {1:f1}s ", elapsed, eta);
    if (done == total)
      llvm::errs() << "\n";
    llvm::errs().flush();
  };
}
