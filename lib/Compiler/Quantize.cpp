//===- Quantize.cpp - Static quantization flow and its report --*- C++ -*-===//

#include "qopt/Compiler/Quantize.h"
#include "qopt/Dialect/QNN/QNNOps.h"
#include "qopt/Reference/Executor.h"
#include "qopt/Reference/QuantizedOps.h"
#include "qopt/Transforms/QuantPasses.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Quant/IR/Quant.h"
#include "mlir/Pass/PassManager.h"
#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/raw_ostream.h"

#include <cmath>
#include <limits>

using namespace mlir;
using namespace qopt;
using namespace qopt::compiler;
using llvm::Expected;
using llvm::StringRef;
using ref::Tensor;
namespace mq = mlir::quant;

FailureOr<OwningOpRef<ModuleOp>>
qopt::compiler::quantizeStatic(ModuleOp floatModule,
                               std::shared_ptr<const calib::CalibrationTable> table,
                               const InsertQDQPassOptions &options) {
  OwningOpRef<ModuleOp> m = floatModule.clone();
  PassManager pm(floatModule.getContext());
  OpPassManager &fn = pm.nest<func::FuncOp>();
  fn.addPass(createInsertQDQPass(options, std::move(table)));
  fn.addPass(createPropagateScalesPass());
  fn.addPass(createFoldQDQPass());
  if (failed(pm.run(*m)))
    return failure();
  return m;
}

//===----------------------------------------------------------------------===//
// Measuring
//===----------------------------------------------------------------------===//

namespace {

func::FuncOp mainFunc(ModuleOp m) {
  auto funcs = m.getOps<func::FuncOp>();
  return funcs.empty() ? func::FuncOp() : *funcs.begin();
}

std::string nameOf(Operation *op) {
  Location loc = op->getLoc();
  if (auto f = dyn_cast<FusedLoc>(loc))
    for (Location l : f.getLocations())
      if (isa<NameLoc>(l)) {
        loc = l;
        break;
      }
  if (auto n = dyn_cast<NameLoc>(loc))
    return n.getName().str();
  return "";
}

/// Ops that compute (not constants, casts between representations, return).
bool isLayer(Operation *op) {
  return op->getNumResults() == 1 &&
         !isa<qnn::ConstantOp, mq::QuantizeCastOp, mq::DequantizeCastOp, mq::StorageCastOp,
              func::ReturnOp>(op);
}

/// Names of layers that occur exactly once in `f`.
llvm::StringMap<Operation *> uniqueLayers(func::FuncOp f) {
  llvm::StringMap<Operation *> byName;
  llvm::StringMap<int> count;
  f.walk([&](Operation *op) {
    if (!isLayer(op))
      return;
    std::string n = nameOf(op);
    if (n.empty())
      return;
    ++count[n];
    byName[n] = op;
  });
  for (auto &e : count)
    if (e.second > 1)
      byName.erase(e.getKey());
  return byName;
}

/// A value as f32 reals (dequantized when it is quantized).
Expected<Tensor> asReal(Value v, const Tensor &t) {
  Type elt = getElementTypeOrSelf(v.getType());
  if (isa<mq::QuantizedType>(elt)) {
    auto p = ref::quantParamsOf(elt);
    if (!p)
      return p.takeError();
    return ref::dequantizeTensor(t, *p);
  }
  if (t.dtype() == ref::DType::F32)
    return t;
  if (ref::isFloat(t.dtype()))
    return t.castTo(ref::DType::F32);
  return llvm::createStringError("not a real-valued tensor");
}

struct ErrorSum {
  double signal = 0, noise = 0, maxAbs = 0;
  void add(const float *ref, const float *got, int64_t n) {
    for (int64_t i = 0; i < n; ++i) {
      double d = (double)got[i] - (double)ref[i];
      signal += (double)ref[i] * ref[i];
      noise += d * d;
      maxAbs = std::max(maxAbs, std::fabs(d));
    }
  }
  double sqnrDb() const {
    if (noise == 0)
      return std::numeric_limits<double>::infinity();
    if (signal == 0)
      return -std::numeric_limits<double>::infinity();
    return 10 * std::log10(signal / noise);
  }
};

std::string describeType(Type elt) {
  if (auto u = dyn_cast<mq::UniformQuantizedType>(elt))
    return llvm::formatv("{0} s={1:g} z={2}", u.isSigned() ? "i8" : "u8", u.getScale(),
                         u.getZeroPoint())
        .str();
  if (auto a = dyn_cast<mq::UniformQuantizedPerAxisType>(elt)) {
    auto s = a.getScales();
    double lo = *std::min_element(s.begin(), s.end()), hi = *std::max_element(s.begin(), s.end());
    return llvm::formatv("{0} per-channel ({1}) s in [{2:g}, {3:g}]",
                         a.getStorageTypeIntegralWidth() == 8 ? "i8" : "i32", s.size(), lo, hi)
        .str();
  }
  std::string str;
  llvm::raw_string_ostream os(str);
  os << elt;
  return str;
}

int64_t constantBytes(ModuleOp m) {
  int64_t bytes = 0;
  m.walk([&](qnn::ConstantOp c) {
    auto t = cast<RankedTensorType>(c.getType());
    auto dtype = ref::dtypeFromType(t.getElementType());
    if (!dtype) {
      llvm::consumeError(dtype.takeError());
      return;
    }
    bytes += t.getNumElements() * (int64_t)ref::dtypeSize(*dtype);
  });
  return bytes;
}

} // namespace

Expected<double> qopt::compiler::outputSqnr(ModuleOp reference, ModuleOp quantized,
                                            const calib::CalibrationSet &set,
                                            size_t maxSamples) {
  auto a = ref::Executor::create(mainFunc(reference));
  if (!a)
    return a.takeError();
  auto b = ref::Executor::create(mainFunc(quantized));
  if (!b)
    return b.takeError();
  ErrorSum sum;
  for (size_t i = 0; i < std::min(maxSamples, set.size()); ++i) {
    auto sample = set.load(i);
    if (!sample)
      return sample.takeError();
    auto ra = a->run(*sample);
    if (!ra)
      return ra.takeError();
    auto rb = b->run(*sample);
    if (!rb)
      return rb.takeError();
    for (size_t o = 0; o < ra->size(); ++o) {
      if ((*ra)[o].dtype() != ref::DType::F32 || (*rb)[o].dtype() != ref::DType::F32)
        continue;
      sum.add((*ra)[o].data<float>(), (*rb)[o].data<float>(), (*ra)[o].numElements());
    }
  }
  return sum.sqnrDb();
}

llvm::Error qopt::compiler::measure(ModuleOp floatModule, ModuleOp quantized,
                                    const calib::CalibrationSet &set, size_t maxSamples,
                                    const llvm::StringMap<std::string> &notes,
                                    QuantReport &report) {
  func::FuncOp ff = mainFunc(floatModule), qf = mainFunc(quantized);
  report.floatWeightBytes = constantBytes(floatModule);
  report.quantizedWeightBytes = constantBytes(quantized);
  llvm::StringMap<Operation *> floatLayers = uniqueLayers(ff), quantLayers = uniqueLayers(qf);
  llvm::DenseMap<Value, std::string> floatWatch, quantWatch;
  for (auto &e : quantLayers)
    if (auto it = floatLayers.find(e.getKey()); it != floatLayers.end()) {
      floatWatch[it->second->getResult(0)] = e.getKey().str();
      quantWatch[e.second->getResult(0)] = e.getKey().str();
    }

  auto fx = ref::Executor::create(ff);
  if (!fx)
    return fx.takeError();
  auto qx = ref::Executor::create(qf);
  if (!qx)
    return qx.takeError();
  llvm::StringMap<ErrorSum> layerErr;
  std::vector<ErrorSum> outErr;
  std::vector<int64_t> top1Same, top1Total;
  size_t n = std::min(maxSamples, set.size());
  for (size_t i = 0; i < n; ++i) {
    auto sample = set.load(i);
    if (!sample)
      return sample.takeError();
    llvm::StringMap<Tensor> floatValues;
    auto fo = fx->run(*sample, nullptr, [&](Value v, const Tensor &t) {
      auto it = floatWatch.find(v);
      if (it == floatWatch.end())
        return;
      if (auto r = asReal(v, t))
        floatValues[it->second] = std::move(*r);
      else
        llvm::consumeError(r.takeError());
    });
    if (!fo)
      return fo.takeError();
    auto qo = qx->run(*sample, nullptr, [&](Value v, const Tensor &t) {
      auto it = quantWatch.find(v);
      if (it == quantWatch.end())
        return;
      auto f = floatValues.find(it->second);
      auto r = asReal(v, t);
      if (!r) {
        llvm::consumeError(r.takeError());
        return;
      }
      if (f == floatValues.end() || f->second.numElements() != r->numElements())
        return;
      layerErr[it->second].add(f->second.data<float>(), r->data<float>(), r->numElements());
    });
    if (!qo)
      return qo.takeError();
    outErr.resize(fo->size());
    top1Same.resize(fo->size());
    top1Total.resize(fo->size());
    for (size_t o = 0; o < fo->size(); ++o) {
      const Tensor &a = (*fo)[o], &b = (*qo)[o];
      if (a.dtype() != ref::DType::F32 || b.dtype() != ref::DType::F32)
        continue;
      outErr[o].add(a.data<float>(), b.data<float>(), a.numElements());
      int64_t classes = a.rank() >= 1 ? a.shape().back() : 1;
      if (classes > 1) {
        for (int64_t row = 0; row < a.numElements() / classes; ++row) {
          const float *pa = a.data<float>() + row * classes, *pb = b.data<float>() + row * classes;
          top1Same[o] += std::max_element(pa, pa + classes) - pa ==
                         std::max_element(pb, pb + classes) - pb;
          ++top1Total[o];
        }
      }
    }
  }
  report.evalSamples = n;
  report.layers.clear();
  qf.walk([&](Operation *op) {
    if (!isLayer(op))
      return;
    LayerReport l;
    l.name = nameOf(op);
    l.op = op->getName().getStringRef().str();
    Type out = getElementTypeOrSelf(op->getResult(0).getType());
    l.precision = isa<mq::QuantizedType>(out) ? "int8" : "float";
    l.fused = op->getName().stripDialect().str();
    if (auto act = op->getAttrOfType<qnn::ActivationAttr>("activation"))
      l.fused += "+" + qnn::stringifyActivation(act.getValue()).str();
    if (op->getNumOperands() > 0)
      l.input = describeType(getElementTypeOrSelf(op->getOperand(0).getType()));
    if (isa<qnn::ConvOp, qnn::ConvTransposeOp, qnn::MatMulOp, qnn::GemmOp>(op) &&
        op->getNumOperands() > 1)
      l.weight = describeType(getElementTypeOrSelf(op->getOperand(1).getType()));
    l.output = describeType(out);
    if (auto it = layerErr.find(l.name); it != layerErr.end())
      l.sqnrDb = it->second.sqnrDb();
    if (auto it = notes.find(l.name); it != notes.end() && l.precision == "float")
      l.note = it->second;
    report.layers.push_back(std::move(l));
  });
  report.outputs.clear();
  for (size_t o = 0; o < outErr.size(); ++o) {
    OutputReport r;
    auto name = qf.getResultAttrOfType<StringAttr>(o, "qnn.name");
    r.name = name ? name.str() : "output" + std::to_string(o);
    r.sqnrDb = outErr[o].sqnrDb();
    r.maxAbsError = outErr[o].maxAbs;
    if (top1Total[o])
      r.top1Agreement = (double)top1Same[o] / top1Total[o];
    report.outputs.push_back(std::move(r));
  }
  return llvm::Error::success();
}

Expected<std::vector<SensitivityEntry>>
qopt::compiler::sensitivity(ModuleOp floatModule,
                            std::shared_ptr<const calib::CalibrationTable> table,
                            const InsertQDQPassOptions &options, const calib::CalibrationSet &set,
                            size_t maxSamples, const calib::ProgressFn &progress) {
  auto full = quantizeStatic(floatModule, table, options);
  if (failed(full))
    return llvm::createStringError("quantizing the model failed");
  std::vector<std::string> candidates;
  mainFunc(**full).walk([&](Operation *op) {
    if (!isLayer(op) || !isa<mq::QuantizedType>(getElementTypeOrSelf(op->getResult(0).getType())))
      return;
    if (isa<qnn::ConvOp, qnn::ConvTransposeOp, qnn::MatMulOp, qnn::GemmOp, qnn::AddOp, qnn::MulOp,
            qnn::AvgPoolOp, qnn::GlobalAvgPoolOp, qnn::HardSwishOp, qnn::HardSigmoidOp,
            qnn::SigmoidOp, qnn::TanhOp, qnn::LeakyReluOp, qnn::LutOp>(op)) {
      std::string n = nameOf(op);
      if (!n.empty() && !llvm::is_contained(candidates, n))
        candidates.push_back(n);
    }
  });
  std::vector<SensitivityEntry> entries;
  for (size_t i = 0; i < candidates.size(); ++i) {
    InsertQDQPassOptions one = options;
    one.only = {candidates[i]};
    auto m = quantizeStatic(floatModule, table, one);
    if (failed(m))
      return llvm::createStringError("quantizing layer '" + candidates[i] + "' alone failed");
    auto sqnr = outputSqnr(floatModule, **m, set, maxSamples);
    if (!sqnr)
      return sqnr.takeError();
    entries.push_back({candidates[i], *sqnr});
    if (progress)
      progress(i + 1, candidates.size());
  }
  std::sort(entries.begin(), entries.end(),
            [](const SensitivityEntry &a, const SensitivityEntry &b) {
              return a.outputSqnrDb != b.outputSqnrDb ? a.outputSqnrDb < b.outputSqnrDb
                                                      : a.name < b.name;
            });
  return entries;
}

//===----------------------------------------------------------------------===//
// Writing
//===----------------------------------------------------------------------===//

static llvm::json::Value dbValue(double db) {
  if (std::isinf(db))
    return db > 0 ? "inf" : "-inf";
  return db;
}

llvm::Error qopt::compiler::writeReportJSON(const QuantReport &r, StringRef path) {
  llvm::json::Array layers, outputs, sens;
  for (const LayerReport &l : r.layers) {
    llvm::json::Object o{{"name", l.name},     {"op", l.op},         {"precision", l.precision},
                         {"fused", l.fused},   {"input", l.input},   {"output", l.output}};
    if (!l.weight.empty())
      o["weight"] = l.weight;
    if (l.sqnrDb)
      o["sqnr_db"] = dbValue(*l.sqnrDb);
    if (!l.note.empty())
      o["note"] = l.note;
    layers.push_back(std::move(o));
  }
  for (const OutputReport &o : r.outputs) {
    llvm::json::Object j{{"name", o.name}, {"sqnr_db", dbValue(o.sqnrDb)},
                         {"max_abs_error", o.maxAbsError}};
    if (o.top1Agreement)
      j["top1_agreement"] = *o.top1Agreement;
    outputs.push_back(std::move(j));
  }
  for (const SensitivityEntry &s : r.sensitivity)
    sens.push_back(llvm::json::Object{{"name", s.name}, {"output_sqnr_db", dbValue(s.outputSqnrDb)}});
  int64_t int8Layers = llvm::count_if(r.layers, [](auto &l) { return l.precision == "int8"; });
  llvm::json::Object root{
      {"format", "qopt-quantization-report"},
      {"version", 1},
      {"model", r.model},
      {"precision", r.precision},
      {"calibration", r.calibration},
      {"eval_samples", r.evalSamples},
      {"size",
       llvm::json::Object{{"float_constant_bytes", r.floatWeightBytes},
                          {"quantized_constant_bytes", r.quantizedWeightBytes},
                          {"ratio", r.quantizedWeightBytes
                                        ? (double)r.floatWeightBytes / r.quantizedWeightBytes
                                        : 0.0}}},
      {"layer_counts", llvm::json::Object{{"int8", int8Layers},
                                          {"float", (int64_t)r.layers.size() - int8Layers}}},
      {"outputs", std::move(outputs)},
      {"layers", std::move(layers)},
      {"sensitivity", std::move(sens)},
      {"kept_float_for_budget", llvm::json::Array(r.keptFloatForBudget)}};
  if (r.accuracyBudgetDb)
    root["accuracy_budget_db"] = *r.accuracyBudgetDb;
  std::error_code ec;
  llvm::raw_fd_ostream os(path, ec);
  if (ec)
    return llvm::createStringError("cannot write report '" + path.str() + "': " + ec.message());
  os << llvm::formatv("{0:2}", llvm::json::Value(std::move(root))) << "\n";
  return llvm::Error::success();
}

static std::string html(StringRef s) {
  std::string out;
  for (char c : s) {
    switch (c) {
    case '<': out += "&lt;"; break;
    case '>': out += "&gt;"; break;
    case '&': out += "&amp;"; break;
    case '"': out += "&quot;"; break;
    default: out += c;
    }
  }
  return out;
}

static std::string dbText(std::optional<double> db) {
  if (!db)
    return "";
  if (std::isinf(*db))
    return *db > 0 ? "exact" : "-inf";
  return llvm::formatv("{0:f1}", *db).str();
}

llvm::Error qopt::compiler::writeReportHTML(const QuantReport &r, StringRef path) {
  std::error_code ec;
  llvm::raw_fd_ostream os(path, ec);
  if (ec)
    return llvm::createStringError("cannot write report '" + path.str() + "': " + ec.message());
  os << "<!DOCTYPE html><html><head><meta charset=\"utf-8\"><title>QOpt quantization report: "
     << html(r.model) << "</title><style>"
     << "body{font-family:sans-serif;margin:2em;color:#222}"
     << "table{border-collapse:collapse;font-size:13px}"
     << "td,th{border:1px solid #ccc;padding:3px 6px;text-align:left}"
     << "th{background:#eee}.float{background:#fff3e0}.bad{color:#b71c1c;font-weight:bold}"
     << "</style></head><body>\n";
  os << "<h1>Quantization report</h1><p>Model <code>" << html(r.model) << "</code>, precision "
     << html(r.precision) << ", calibration " << html(r.calibration) << ", evaluated on "
     << r.evalSamples << " samples.</p>\n";
  double ratio = r.quantizedWeightBytes ? (double)r.floatWeightBytes / r.quantizedWeightBytes : 0;
  os << llvm::formatv("<p>Constants: {0:f2} MB float, {1:f2} MB quantized ({2:f2}x smaller).</p>\n",
                      r.floatWeightBytes / 1e6, r.quantizedWeightBytes / 1e6, ratio);
  os << "<h2>Outputs against the float model</h2><table><tr><th>output</th><th>SQNR (dB)</th>"
        "<th>max |error|</th><th>top-1 agreement</th></tr>\n";
  for (const OutputReport &o : r.outputs)
    os << "<tr><td>" << html(o.name) << "</td><td>" << dbText(o.sqnrDb) << "</td><td>"
       << llvm::formatv("{0:g}", o.maxAbsError) << "</td><td>"
       << (o.top1Agreement ? llvm::formatv("{0:f1}%", *o.top1Agreement * 100).str() : "")
       << "</td></tr>\n";
  os << "</table>\n";
  if (r.accuracyBudgetDb)
    os << llvm::formatv("<p>Accuracy budget: output SQNR &ge; {0:f1} dB; {1} layers kept in "
                        "float for it.</p>\n",
                        *r.accuracyBudgetDb, r.keptFloatForBudget.size());

  // Per-layer SQNR as bars; float layers as gaps.
  std::vector<const LayerReport *> shown;
  for (const LayerReport &l : r.layers)
    if (l.sqnrDb)
      shown.push_back(&l);
  const int barW = 6, h = 200, maxDb = 60;
  int width = std::max<int>(200, (int)shown.size() * barW + 60);
  os << "<h2>Layer output SQNR (dB) against the float model</h2>\n<svg xmlns=\"http://www.w3.org/2000/svg\" width=\""
     << width << "\" height=\"" << h + 30 << "\">\n";
  for (int db = 0; db <= maxDb; db += 10) {
    int y = h - db * h / maxDb + 5;
    os << "<line x1=\"40\" x2=\"" << width << "\" y1=\"" << y << "\" y2=\"" << y
       << "\" stroke=\"#ddd\"/><text x=\"2\" y=\"" << y + 4 << "\" font-size=\"10\">" << db
       << "</text>\n";
  }
  for (size_t i = 0; i < shown.size(); ++i) {
    double db = std::isinf(*shown[i]->sqnrDb) ? maxDb : std::clamp(*shown[i]->sqnrDb, 0.0, (double)maxDb);
    int bh = (int)(db * h / maxDb);
    const char *color = shown[i]->precision == "float" ? "#bbb"
                        : db < 20                       ? "#c62828"
                        : db < 30                       ? "#ef6c00"
                                                        : "#2e7d32";
    os << "<rect x=\"" << 40 + i * barW << "\" y=\"" << h - bh + 5 << "\" width=\"" << barW - 1
       << "\" height=\"" << bh << "\" fill=\"" << color << "\"><title>" << html(shown[i]->name)
       << " (" << html(shown[i]->fused) << "): " << dbText(shown[i]->sqnrDb)
       << " dB</title></rect>\n";
  }
  os << "</svg>\n";

  if (!r.sensitivity.empty()) {
    os << "<h2>Sensitivity (output SQNR with only this layer in int8; most sensitive first)</h2>"
          "<table><tr><th>layer</th><th>output SQNR (dB)</th></tr>\n";
    for (const SensitivityEntry &s : r.sensitivity)
      os << "<tr><td>" << html(s.name) << "</td><td>" << dbText(s.outputSqnrDb) << "</td></tr>\n";
    os << "</table>\n";
  }
  os << "<h2>Layers</h2><table><tr><th>#</th><th>layer</th><th>fused group</th><th>precision</th>"
        "<th>input</th><th>weight</th><th>output</th><th>SQNR (dB)</th><th>note</th></tr>\n";
  for (size_t i = 0; i < r.layers.size(); ++i) {
    const LayerReport &l = r.layers[i];
    bool bad = l.sqnrDb && *l.sqnrDb < 20;
    os << "<tr" << (l.precision == "float" ? " class=\"float\"" : "") << "><td>" << i << "</td><td>"
       << html(l.name) << "</td><td>" << html(l.fused) << "</td><td>" << l.precision
       << "</td><td>" << html(l.input) << "</td><td>" << html(l.weight) << "</td><td>"
       << html(l.output) << "</td><td" << (bad ? " class=\"bad\"" : "") << ">"
       << dbText(l.sqnrDb) << "</td><td>" << html(l.note) << "</td></tr>\n";
  }
  os << "</table></body></html>\n";
  return llvm::Error::success();
}
