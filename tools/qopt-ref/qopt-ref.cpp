//===- qopt-ref.cpp - Run a model on the CPU reference executor -*- C++ -*-===//
//
// qopt-ref model.{onnx,mlir,mlirbc} --input name=x.npy ... --output-dir DIR
//
// ONNX models are imported first; inputs that the model leaves dynamic are
// pinned to the shapes of the given .npy files. Each output is written to
// DIR/<output name>.npy, the name's characters other than letters, digits,
// '_', '-' and '.' replaced by '_'.
//
//===----------------------------------------------------------------------===//

#include "qopt/Import/ONNXImporter.h"
#include "qopt/InitAll.h"
#include "qopt/Reference/Blas.h"
#include "qopt/Reference/Executor.h"
#include "qopt/Reference/File.h"
#include "qopt/Reference/Image.h"
#include "qopt/Reference/Npy.h"
#include "qopt/Target/Bundle.h"
#include "qopt/runtime/BundleFile.h"
#include "qopt/runtime/qbin_generated.h"
#include "qopt/Target/CPURunner.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/AsmState.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/DialectRegistry.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/Parser/Parser.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Pass/PassRegistry.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/ADT/StringSet.h"
#include "llvm/Support/CommandLine.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/InitLLVM.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/SourceMgr.h"

#include <algorithm>
#include <chrono>


using namespace llvm;

static cl::OptionCategory category("qopt-ref options");
static cl::opt<std::string> modelFile(cl::Positional, cl::desc("<model.onnx|model.mlir>"),
                                      cl::Required, cl::cat(category));
static cl::list<std::string> inputs("input", cl::desc("name=file.npy (repeatable)"),
                                    cl::cat(category));
static cl::opt<std::string> imagePreprocess(
    "image-preprocess",
    cl::desc("How --input images (.png/.jpg/.bmp) become tensors, e.g. "
             "'resize=256,crop=224,mean=0.485:0.456:0.406,std=0.229:0.224:0.225' "
             "(also bgr, nhwc, raw)"),
    cl::cat(category));
static cl::list<std::string> inputArchives(
    "inputs", cl::desc("A .npz archive whose arrays are inputs, by name (repeatable)"),
    cl::cat(category));
static cl::list<std::string> inputShapes(
    "input-shape", cl::desc("Pin an ONNX input's shape: name=1x3x224x224 (repeatable)"),
    cl::cat(category));
static cl::list<std::string> frozen(
    "freeze",
    cl::desc("Bind an input at compile time, as a constant: NAME (its value given with "
             "--input) or NAME=FILE.npy; for inputs QOpt needs static such as shapes, pads, "
             "scales or an If's condition (repeatable)"),
    cl::cat(category));
static cl::opt<std::string> passPipeline(
    "pass-pipeline",
    cl::desc("Run this pass pipeline on the model before executing it, e.g. "
             "'builtin.module(func.func(qopt-fold-batchnorm,qopt-fuse-activations))'"),
    cl::cat(category));
static cl::opt<std::string> outputDir("output-dir", cl::desc("Folder for <output>.npy files"),
                                      cl::cat(category));
static cl::opt<int> threads("gemm-threads", cl::desc("OpenBLAS threads (default: all cores)"),
                            cl::init(0), cl::cat(category));
static cl::opt<std::string> engine(
    "engine",
    cl::desc("reference: the reference executor; linalg-cpu: the program lowered as for the "
             "GPU (qopt-lower-to-linalg) and compiled for this CPU, to check the lowering; "
             "tensor-core-cpu: the same with the tensor-core convs' tile algorithm as loops"),
    cl::init("reference"), cl::cat(category));
static cl::opt<std::string> tensorCoreTile(
    "tensor-core-tile",
    cl::desc("With --engine tensor-core-cpu: the tile shape to emulate, BMxBNxBK/WMxWN/STAGES, "
             "or auto (the heuristic qopt-compile uses)"),
    cl::init("auto"), cl::cat(category));
static cl::opt<std::string> tensorCoreMma(
    "tensor-core-mma",
    cl::desc("With --engine tensor-core-cpu: the instruction whose tile algorithm is emulated, "
             "mma.sync or wgmma (its warpgroup tiles and shared-memory layout)"),
    cl::init("mma.sync"), cl::cat(category));
static cl::opt<std::string> layout(
    "layout",
    cl::desc("With --engine linalg-cpu or tensor-core-cpu: the activation layout of the "
             "lowered program, nchw, nhwc or auto (nhwc with tensor cores, as qopt-compile)"),
    cl::init("auto"), cl::cat(category));
static cl::opt<bool> describe("describe",
                              cl::desc("For a .qbin: print what the bundle holds and exit"),
                              cl::cat(category));
static cl::opt<bool> describeSteps(
    "steps", cl::desc("With --describe: one line per step (kernel, launch, registers, nodes)"),
    cl::cat(category));
static cl::opt<int> benchRuns("bench", cl::desc("Time N runs and print latency statistics"),
                              cl::init(0), cl::cat(category));
static cl::opt<int> warmupRuns("warmup", cl::desc("Untimed runs before --bench"), cl::init(1),
                               cl::cat(category));
static cl::opt<bool> profileOps("profile",
                                cl::desc("Print the time spent per op kind (over all runs)"),
                                cl::cat(category));
static cl::opt<int64_t> maxInputBytes("max-input-bytes", cl::desc("Largest .npy input accepted"),
                                      cl::init(int64_t(4) << 30), cl::cat(category));

static std::string sanitize(StringRef name) {
  std::string s = name.str();
  for (char &c : s)
    if (!isAlnum(c) && c != '_' && c != '-' && c != '.')
      c = '_';
  if (s.empty() || s == "." || s == "..")
    s = "_" + s;
  return s;
}

static int fail(const Twine &msg) {
  errs() << "qopt-ref: error: " << msg << "\n";
  return 1;
}

int main(int argc, char **argv) {
  qopt::ref::selectBlasKernels(argv);
  InitLLVM init(argc, argv);
  qopt::registerVersionPrinter();
  qopt::registerAllPasses();
  mlir::registerAsmPrinterCLOptions();
  mlir::registerMLIRContextCLOptions();
  qopt::registerONNXImportCLOptions();
  cl::HideUnrelatedOptions({&category, &qopt::onnxImportCLCategory()});
  cl::ParseCommandLineOptions(argc, argv, "QOpt CPU reference executor\n");
  qopt::ref::setBlasThreads(threads);
  if (layout != "auto" && layout != "nchw" && layout != "nhwc")
    return fail("--layout must be auto, nchw or nhwc, got '" + layout + "'");
  if (tensorCoreMma != "mma.sync" && tensorCoreMma != "wgmma")
    return fail("--tensor-core-mma must be mma.sync or wgmma, got '" + tensorCoreMma + "'");

  // Read inputs first: their shapes pin the model's dynamic dimensions.
  StringMap<qopt::ref::Tensor> given;
  std::vector<std::string> givenOrder;
  for (const std::string &spec : inputs) {
    auto [name, path] = StringRef(spec).split('=');
    if (name.empty() || path.empty())
      return fail("--input expects name=file.npy, got '" + spec + "'");
    if (given.count(name))
      return fail("input '" + name + "' is given twice");
    Expected<qopt::ref::Tensor> t = qopt::ref::Tensor();
    if (qopt::ref::isImagePath(path)) {
      auto spec = qopt::ref::parseImagePreprocess(imagePreprocess);
      if (!spec)
        return fail(toString(spec.takeError()));
      t = qopt::ref::loadImage(path, *spec);
    } else {
      t = qopt::ref::readNpy(path, maxInputBytes);
    }
    if (!t)
      return fail("input '" + name + "': " + toString(t.takeError()));
    given[name] = std::move(*t);
    givenOrder.push_back(name.str());
  }

  for (const std::string &archive : inputArchives) {
    auto arrays = qopt::ref::readNpz(archive, maxInputBytes);
    if (!arrays)
      return fail(toString(arrays.takeError()));
    for (auto &entry : *arrays) {
      if (given.count(entry.name))
        return fail("input '" + entry.name + "' is given twice (" + archive + ")");
      given[entry.name] = std::move(entry.tensor);
      givenOrder.push_back(entry.name);
    }
  }

  mlir::DialectRegistry registry;
  qopt::registerAllDialects(registry);
  mlir::MLIRContext context(registry);
  context.loadAllAvailableDialects();
  // A diagnostic names its node by location; printing the op as a note too
  // wrote every per-channel scale of its types in decimal, which took 18 of
  // ResNet-50's 21 s of code generation for the 57 tensor-core remarks.
  context.printOpOnDiagnostic(false);
  llvm::SourceMgr sourceMgr;
  mlir::SourceMgrDiagnosticHandler handler(sourceMgr, &context);

  mlir::OwningOpRef<mlir::ModuleOp> module;
  if (StringRef(modelFile).ends_with(".qbin")) {
    // The bundle carries the qnn program it was compiled from: running it
    // here gives the bit-exact reference for the very same program.
    auto file = qopt::ref::readRegularFile(modelFile, qopt::qbin::kMaxBundleFileBytes);
    if (!file)
      return fail(toString(file.takeError()));
    auto bundle = qopt::readBundle(
        ArrayRef<uint8_t>((const uint8_t *)(*file)->getBufferStart(), (*file)->getBufferSize()));
    if (!bundle)
      return fail("'" + modelFile + "': " + toString(bundle.takeError()));
    if (describe) {
      qopt::describeBundle(*bundle, outs(), describeSteps);
      return 0;
    }
    auto program = qopt::readBundleProgram(*bundle, &context);
    if (!program)
      return fail("'" + modelFile + "': " + toString(program.takeError()));
    module = std::move(*program);
  } else if (StringRef(modelFile).ends_with(".onnx")) {
    qopt::ONNXImportOptions options;
    qopt::applyONNXImportCLOptions(options);
    for (const std::string &text : inputShapes) {
      std::string name, error;
      SmallVector<int64_t> dims;
      if (!qopt::parseInputShape(text, name, dims, error))
        return fail("--input-shape " + error);
      options.inputShapes[name] = dims;
    }
    for (const std::string &text : frozen) {
      std::string error;
      if (StringRef(text).contains('=')) { // NAME=FILE.npy, as qopt-compile's
        if (!qopt::parseFrozenInput(text, options, error))
          return fail("--freeze " + error);
        continue;
      }
      auto it = given.find(text);
      if (it == given.end())
        return fail("--freeze " + text + ": no --input " + text + "=file.npy given");
      options.frozenInputs[text] = it->second;
    }
    for (auto &entry : given)
      if (!options.inputShapes.count(entry.getKey()) && !options.frozenInputs.count(entry.getKey()))
        options.inputShapes[entry.getKey()] = SmallVector<int64_t>(entry.getValue().shape());
    module = qopt::importONNXFile(modelFile, &context, options);
  } else {
    module = mlir::parseSourceFile<mlir::ModuleOp>(modelFile, sourceMgr,
                                                   mlir::ParserConfig(&context));
  }
  if (!module)
    return 1;
  if (!passPipeline.empty()) {
    // Parsed on its own so the text names its anchor, as with qopt:
    // 'builtin.module(qopt-graph-optimize)'.
    auto parsed = mlir::parsePassPipeline(passPipeline, llvm::errs());
    if (mlir::failed(parsed))
      return fail("invalid --pass-pipeline '" + passPipeline + "'");
    if (parsed->getOpAnchorName() != mlir::ModuleOp::getOperationName())
      return fail("--pass-pipeline must be anchored on builtin.module, e.g. "
                  "'builtin.module(qopt-graph-optimize)'");
    mlir::PassManager pm(&context);
    static_cast<mlir::OpPassManager &>(pm) = std::move(*parsed);
    if (mlir::failed(pm.run(*module)))
      return 1;
  }
  auto func = module->lookupSymbol<mlir::func::FuncOp>("main");
  if (!func)
    return fail("'" + modelFile + "' has no func.func @main");

  // Order the given tensors as the function's arguments, by name.
  SmallVector<qopt::ref::Tensor> args;
  StringSet<> used;
  for (unsigned i = 0; i < func.getNumArguments(); ++i) {
    auto nameAttr = func.getArgAttrOfType<mlir::StringAttr>(i, "qnn.name");
    std::string name = nameAttr ? nameAttr.str() : "arg" + std::to_string(i);
    auto it = given.find(name);
    if (it == given.end())
      return fail("model input '" + name + "' was not given (use --input " + name + "=file.npy)");
    args.push_back(it->second);
    used.insert(name);
  }
  for (const std::string &text : frozen) // NAME or NAME=FILE.npy
    used.insert(StringRef(text).split('=').first);
  for (const std::string &name : givenOrder)
    if (!used.contains(name))
      return fail("the model has no input named '" + name + "'");

  if (engine != "reference" && engine != "linalg-cpu" && engine != "tensor-core-cpu")
    return fail("--engine must be reference, linalg-cpu or tensor-core-cpu, got '" + engine +
                "'");
  std::unique_ptr<qopt::CPUProgram> cpuProgram;
  if (engine != "reference") {
    auto program = qopt::CPUProgram::compile(
        *module,
        engine == "tensor-core-cpu" ? std::optional<std::string>(tensorCoreTile) : std::nullopt,
        layout, tensorCoreMma);
    if (!program)
      return fail(toString(program.takeError()));
    cpuProgram = std::move(*program);
  }
  auto executor = qopt::ref::Executor::create(func);
  if (!executor)
    return fail(toString(executor.takeError()));
  auto runOnce = [&](qopt::ref::ExecutionProfile *prof) {
    return cpuProgram ? cpuProgram->run(args) : executor->run(args, prof);
  };

  qopt::ref::ExecutionProfile profile;
  qopt::ref::ExecutionProfile *prof = profileOps ? &profile : nullptr;
  for (int i = 0; i < (benchRuns > 0 ? warmupRuns : 0); ++i)
    if (auto r = runOnce(nullptr); !r)
      return fail(toString(r.takeError()));
  std::vector<double> times;
  Expected<SmallVector<qopt::ref::Tensor>> outputs = SmallVector<qopt::ref::Tensor>();
  for (int i = 0; i < std::max(1, (int)benchRuns); ++i) {
    auto start = std::chrono::steady_clock::now();
    outputs = runOnce(prof);
    if (!outputs)
      return fail(toString(outputs.takeError()));
    times.push_back(std::chrono::duration<double, std::milli>(
                        std::chrono::steady_clock::now() - start)
                        .count());
  }
  if (benchRuns > 0) {
    std::sort(times.begin(), times.end());
    auto pct = [&](double p) { return times[std::min<size_t>(times.size() - 1, p * times.size())]; };
    outs() << format("latency ms: min %.2f p50 %.2f p90 %.2f max %.2f (%d runs, %s)\n", times.front(),
                     pct(0.5), pct(0.9), times.back(), (int)benchRuns,
                     qopt::ref::computeEngineDescription().c_str());
  }

  if (profileOps) {
    std::vector<std::pair<double, std::string>> rows;
    double total = 0;
    for (auto &entry : profile.byOp) {
      rows.push_back({entry.getValue().seconds, entry.getKey().str()});
      total += entry.getValue().seconds;
    }
    std::sort(rows.rbegin(), rows.rend());
    outs() << format("%-24s %10s %7s %7s\n", "op", "ms/run", "share", "calls");
    int runs = std::max(1, (int)benchRuns);
    for (auto &[sec, name] : rows)
      outs() << format("%-24s %10.2f %6.1f%% %7lld\n", name.c_str(), sec * 1e3 / runs,
                       total > 0 ? 100 * sec / total : 0.0,
                       (long long)(profile.byOp[name].calls / runs));
  }

  if (!outputDir.empty()) {
    if (std::error_code ec = sys::fs::create_directories(outputDir))
      return fail("cannot create '" + outputDir + "': " + ec.message());
    StringSet<> written;
    for (auto [i, t] : enumerate(*outputs)) {
      auto nameAttr = func.getResultAttrOfType<mlir::StringAttr>(i, "qnn.name");
      std::string file = sanitize(nameAttr ? nameAttr.str() : "output" + std::to_string(i));
      if (!written.insert(file).second)
        return fail("two outputs map to the same file name '" + file + ".npy'");
      SmallString<256> path(outputDir);
      sys::path::append(path, file + ".npy");
      if (Error err = qopt::ref::writeNpy(path, t))
        return fail(toString(std::move(err)));
    }
  }
  return 0;
}
