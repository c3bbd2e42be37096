//===- qopt-compile.cpp - ONNX to quantized qnn IR in one command -*- C++ -*-===//
//
// qopt-compile model.onnx -o model.mlir --precision int8 --calib-data DIR
//
// Import, float graph optimization, calibration on real data (or a saved
// calibration cache), Q/DQ insertion, scale propagation and folding into
// integer qnn ops. Every stage is also a qopt pass or pipeline that can be
// run and inspected alone.
//
//===----------------------------------------------------------------------===//

#include "qopt/Calibration/Calibrate.h"
#include "qopt/Compiler/Quantize.h"
#include "qopt/Conversion/Passes.h"
#include "qopt/Import/ONNXImporter.h"
#include "qopt/InitAll.h"
#include "qopt/Pipelines/Pipelines.h"
#include "qopt/Reference/Blas.h"
#include "qopt/Target/Bundle.h"
#include "qopt/Transforms/QuantPasses.h"

#include "mlir/Bytecode/BytecodeWriter.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/Quant/IR/Quant.h"
#include "mlir/IR/AsmState.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/IR/Verifier.h"
#include "mlir/Parser/Parser.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Support/FileUtilities.h"
#include "llvm/Support/CommandLine.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/InitLLVM.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/SourceMgr.h"
#include "llvm/Support/ToolOutputFile.h"

#include <chrono>

using namespace llvm;

static cl::OptionCategory category("qopt-compile options");
static cl::opt<std::string> inputFile(cl::Positional, cl::desc("<model.onnx | model.mlir>"),
                                      cl::Required, cl::cat(category));
static cl::opt<std::string> outputFile("o", cl::desc("Output file (default: stdout)"),
                                       cl::init("-"), cl::cat(category));
static cl::opt<std::string> precision(
    "precision",
    cl::desc("fp32 (graph optimizations only), fp16 (every float tensor stored in f16, "
             "computed in f32), int8 (static quantization, calibrated) or int8-dynamic (int8 "
             "matmul/gemm weights, activations quantized at run time)"),
    cl::init("int8"), cl::cat(category));
static cl::opt<std::string> emit(
    "emit",
    cl::desc("What to write: qbin (the GPU bundle), ptx (every kernel's PTX for the first "
             "target, for reading) or mlir (the compiled qnn program). Default: from the -o "
             "extension (.qbin, .ptx), else mlir"),
    cl::init(""), cl::cat(category));
static cl::list<std::string> targets(
    "target", cl::desc("GPU chips to build cubins for (default sm_80,sm_86,sm_89,sm_90); the "
                       "bundle also carries PTX of the first for JIT on newer chips"),
    cl::CommaSeparated, cl::cat(category));
static cl::opt<bool> tensorCores(
    "tensor-cores",
    cl::desc("Integer convs (group 1, signed 8-bit) and gemms with a constant B as tensor-core "
             "implicit GEMMs (mma.sync m16n8k32; bit-exact on an H100). On by default; "
             "--tensor-cores=false gives SIMT kernels only. See docs/codegen.md"),
    cl::init(true), cl::cat(category));
static cl::opt<std::string> tensorCoreTile(
    "tensor-core-tile",
    cl::desc("Tile shape of every tensor-core kernel, BMxBNxBK/WMxWN/STAGES (e.g. "
             "128x128x64/64x32/3), for tuning on a GPU; default auto, the per-shape heuristic "
             "of docs/codegen.md"),
    cl::init("auto"), cl::cat(category));
static cl::opt<std::string> tensorCoreTiles(
    "tensor-core-tiles",
    cl::desc("A tile file, {\"tiles\": {\"MxPxK\": \"BMxBNxBK/WMxWN/S\", ...}}: the tile of "
             "each tensor-core kernel by its shape (output channels x pixels x taps, as "
             "--remarks prints them); bench/autotune.py writes one from GPU timings"),
    cl::init(""), cl::cat(category));
static cl::opt<std::string> activationLayout(
    "layout",
    cl::desc("Activation layout inside the program: nhwc (every 4-D activation stored "
             "[N, H, W, C]; one transpose at the inputs and outputs), nchw, or auto (default: "
             "nhwc with tensor cores). See docs/codegen.md, \"Layout\""),
    cl::init("auto"), cl::cat(category));
static cl::opt<std::string> ptxasPath("ptxas", cl::desc("ptxas to assemble cubins with"),
                                      cl::cat(category));
static cl::opt<std::string> floatLayers(
    "float-layers",
    cl::desc("int8/int8-dynamic: the layers that stay float run in fp32 (default) or fp16"),
    cl::init("fp32"), cl::cat(category));
static cl::opt<bool> emitBytecode("emit-bytecode", cl::desc("Write MLIR bytecode"),
                                  cl::cat(category));
static cl::list<std::string> inputShapes(
    "input-shape", cl::desc("Pin a graph input's shape: name=1x3x224x224 (repeatable)"),
    cl::cat(category));
static cl::list<std::string> frozenInputs(
    "freeze",
    cl::desc("Bind a graph input to a value at compile time: NAME=FILE.npy; it becomes a "
             "constant, for inputs a static program needs, such as a sample rate an If "
             "branches on, shapes, pads or scales (repeatable)"),
    cl::cat(category));
static cl::opt<std::string> calibData(
    "calib-data",
    cl::desc("Calibration set: a folder of .npy/.npz samples or images, or one .npy/.npz batch"),
    cl::cat(category));
static cl::opt<std::string> imagePreprocess(
    "image-preprocess",
    cl::desc("How calibration images become tensors, e.g. "
             "'resize=256,crop=224,mean=0.485:0.456:0.406,std=0.229:0.224:0.225'"),
    cl::cat(category));
static cl::opt<int64_t> calibSamples("calib-samples",
                                     cl::desc("Use at most N calibration samples (0: all)"),
                                     cl::init(0), cl::cat(category));
static cl::opt<std::string> calibCache(
    "calib-cache",
    cl::desc("Calibration cache (JSON): written after calibrating with --calib-data, read "
             "instead of calibrating otherwise"),
    cl::cat(category));
static cl::opt<std::string> calibration("calibration",
                                        cl::desc("minmax, percentile, entropy or mse"),
                                        cl::init("percentile"), cl::cat(category));
static cl::opt<double> percentile("percentile", cl::desc("Percentile for --calibration percentile"),
                                  cl::init(99.99), cl::cat(category));
static cl::opt<std::string> activationType("activation-type",
                                           cl::desc("Activation storage: int8 or uint8"),
                                           cl::init("int8"), cl::cat(category));
static cl::opt<bool> symmetricActivations("symmetric-activations",
                                          cl::desc("Zero point 0 for activations"),
                                          cl::cat(category));
static cl::opt<bool> perTensorWeights("per-tensor-weights",
                                      cl::desc("One weight scale per tensor, not per channel"),
                                      cl::cat(category));
static cl::opt<bool> wideTableInputs(
    "wide-table-inputs",
    cl::desc("Keep conv/matmul/add results that only table ops (hard_swish, sigmoid, ...) read "
             "in 12 bits (i16<-2048:2047>), looked up by 4096-entry tables (default on)"),
    cl::init(true), cl::cat(category));
static cl::opt<unsigned> tableInputBits(
    "table-input-bits",
    cl::desc("Bits of wide table inputs, 9 to 16: 2^bits-entry tables (default 12, 4 KiB)"),
    cl::init(12), cl::cat(category));
static cl::list<std::string> exclude(
    "exclude", cl::desc("Keep these ONNX nodes or op kinds (conv, matmul, ...) in float"),
    cl::CommaSeparated, cl::cat(category));
static cl::opt<bool> perRow("per-row",
                            cl::desc("int8-dynamic: one activation scale per row, not per tensor"),
                            cl::cat(category));
static cl::opt<std::string> reportFile(
    "report",
    cl::desc("Write a quantization report (JSON) here, and beside it the same as HTML: per-layer "
             "precision, parameters and SQNR against the float model on --calib-data, sizes, "
             "output agreement"),
    cl::cat(category));
static cl::opt<std::string> evalData(
    "eval-data",
    cl::desc("Held-out samples (same forms as --calib-data) for --report, --sensitivity and "
             "--accuracy-budget; default: the calibration data"),
    cl::cat(category));
static cl::opt<unsigned> reportSamples(
    "report-samples", cl::desc("Samples of --calib-data the report and sensitivity evaluate on"),
    cl::init(8), cl::cat(category));
static cl::opt<bool> sensitivityRanking(
    "sensitivity",
    cl::desc("Rank layers by the output SQNR when each alone is int8 (goes in the report)"),
    cl::cat(category));
static cl::opt<double> accuracyBudget(
    "accuracy-budget",
    cl::desc("Keep the most sensitive layers in float until the output SQNR against the float "
             "model reaches this many dB"),
    cl::init(-1), cl::cat(category));
static cl::opt<bool> remarks("remarks",
                             cl::desc("Print every quantization decision left as a remark"),
                             cl::cat(category));
static cl::opt<int> threads("gemm-threads", cl::desc("Reference BLAS threads (0: all cores)"),
                            cl::init(0), cl::cat(category));

static int fail(const Twine &msg) {
  errs() << "qopt-compile: error: " << msg << "\n";
  return 1;
}

/// Runs qopt-gpu-codegen on a copy of the compiled qnn program and writes
/// the bundle (or the PTX for reading).
static int emitGPU(mlir::ModuleOp program, const std::vector<std::string> &chips,
                   bool preQuantized) {
  auto start = std::chrono::steady_clock::now();
  {
    // B of a gemm in the [N, K] layout the kernels read, in the program
    // itself: the bundle then stores it once.
    mlir::PassManager pack(program.getContext());
    pack.nest<mlir::func::FuncOp>().addPass(qopt::createPackGemmWeightsPass());
    // And a tensor-core conv's weights in the order its NHWC kernel reads,
    // a tensor-core matmul's B as [N, K].
    if (tensorCores && activationLayout != "nchw")
      pack.nest<mlir::func::FuncOp>().addPass(qopt::createPackConvWeightsPass());
    if (tensorCores)
      pack.nest<mlir::func::FuncOp>().addPass(qopt::createPackMatMulWeightsPass());
    if (mlir::failed(pack.run(program)))
      return fail("packing the gemm, conv and matmul weights failed");
  }
  auto func = *program.getOps<mlir::func::FuncOp>().begin();
  qopt::BundleOptions options;
  options.inputTypes.assign(func.getArgumentTypes().begin(), func.getArgumentTypes().end());
  options.outputTypes.assign(func.getResultTypes().begin(), func.getResultTypes().end());
  options.sourceModel = sys::path::filename(inputFile).str();
  bool integer = false;
  program.walk([&](mlir::Operation *op) {
    for (mlir::Type t : op->getResultTypes())
      integer |= isa<mlir::quant::QuantizedType>(mlir::getElementTypeOrSelf(t));
  });
  bool fromMLIR = !StringRef(inputFile).ends_with(".onnx");
  options.precision = fromMLIR ? (integer ? "int8" : "float")
                      : preQuantized ? "int8 (pre-quantized model)"
                                     : precision.getValue();
  if (!fromMLIR && floatLayers == "fp16" && precision != "fp16")
    options.precision += ", float layers fp16";
  options.compilerVersion = qopt::versionString();
  options.program = program;

  // The toolkit beside ptxas also gives libdevice (math functions in kernels).
  auto ptxas = qopt::findPTXAS(ptxasPath);
  std::string cudaPath;
  if (ptxas)
    cudaPath = sys::path::parent_path(sys::path::parent_path(*ptxas)).str();
  if (!cudaPath.empty() &&
      !sys::fs::exists(cudaPath + "/nvvm/libdevice/libdevice.10.bc"))
    return fail("the CUDA toolkit at " + cudaPath + " has no nvvm/libdevice/libdevice.10.bc");
  if (!ptxas && emit == "qbin")
    return fail(toString(ptxas.takeError()));
  consumeError(ptxas ? Error::success() : ptxas.takeError());

  mlir::OwningOpRef<mlir::ModuleOp> gpu = program.clone();
  mlir::PassManager pm(program.getContext());
  if (mlir::failed(mlir::applyPassManagerCLOptions(pm)))
    return 1;
  qopt::GPUCodegenOptions codegen;
  // LLVM generates PTX once, for the oldest chip; ptxas builds every chip's
  // cubin from it (the bundle writer's extraTargets).
  std::vector<std::string> sorted = chips;
  llvm::sort(sorted, [](const std::string &a, const std::string &b) {
    return std::atoi(a.c_str() + 3) < std::atoi(b.c_str() + 3);
  });
  codegen.targets = {sorted.front()};
  options.extraTargets.assign(sorted.begin() + 1, sorted.end());
  codegen.tensorCores = tensorCores;
  codegen.tensorCoreTile = tensorCoreTile;
  codegen.layout = activationLayout;
  codegen.tensorCoreTiles = tensorCoreTiles;
  codegen.cudaPath = cudaPath;
  if (mlir::failed(qopt::buildGPUCodegenPipeline(pm, codegen)))
    return fail("invalid GPU code generation options");
  if (mlir::failed(pm.run(*gpu)))
    return fail("GPU code generation failed");
  auto lowered = std::chrono::steady_clock::now();

  std::string error;
  if (emit == "ptx") {
    auto output = mlir::openOutputFile(outputFile, &error);
    if (!output)
      return fail(error);
    for (auto bin : gpu->getOps<mlir::gpu::BinaryOp>()) {
      auto obj = cast<mlir::gpu::ObjectAttr>(bin.getObjects()[0]);
      output->os() << "// ---- module @" << bin.getName() << " (" << sorted.front() << ")\n"
                   << obj.getObject().getValue() << "\n";
    }
    output->keep();
    return 0;
  }
  options.ptxas = *ptxas;
  qopt::BundleSummary summary;
  auto file = qopt::writeBundle(*gpu, options, &summary);
  if (!file)
    return fail(toString(file.takeError()));
  auto output = mlir::openOutputFile(outputFile, &error);
  if (!output)
    return fail(error);
  output->os().write(reinterpret_cast<const char *>(file->data()), file->size());
  output->keep();
  auto done = std::chrono::steady_clock::now();
  int maxRegs = 0, spills = 0;
  for (const qopt::KernelStats &k : summary.kernels) {
    maxRegs = std::max(maxRegs, k.registers);
    spills += k.spillBytes;
    for (const std::string &a : k.advisories)
      errs() << "qopt-compile: ptxas on " << k.module << " for " << k.target << ": " << a << "\n";
  }
  auto ms = [](auto a, auto b) { return std::chrono::duration<double, std::milli>(b - a).count(); };
  errs() << format("qopt-compile: %s: %zu kernels x %zu targets, %zu launches; weights %.2f MB, "
                   "arena %.2f MB (unplanned %.2f MB); max %d registers, %d spill bytes; "
                   "codegen %.1f s, ptxas %.1f s\n",
                   outputFile.c_str(), summary.modules, chips.size(), summary.launches,
                   summary.weightsBytes / 1e6, summary.arenaBytes / 1e6,
                   summary.unplannedBytes / 1e6, maxRegs, spills, ms(start, lowered) / 1e3,
                   ms(lowered, done) / 1e3);
  return 0;
}

int main(int argc, char **argv) {
  qopt::ref::selectBlasKernels(argv);
  InitLLVM init(argc, argv);
  qopt::registerVersionPrinter();
  qopt::registerAllPasses();
  mlir::registerAsmPrinterCLOptions();
  mlir::registerMLIRContextCLOptions();
  mlir::registerPassManagerCLOptions();
  qopt::registerONNXImportCLOptions();
  cl::HideUnrelatedOptions({&category, &qopt::onnxImportCLCategory()});
  cl::ParseCommandLineOptions(argc, argv, "QOpt compiler: ONNX -> quantized qnn IR\n");
  qopt::ref::setBlasThreads(threads);

  if (precision != "fp32" && precision != "fp16" && precision != "int8" &&
      precision != "int8-dynamic")
    return fail("--precision must be fp32, fp16, int8 or int8-dynamic, got '" + precision + "'");
  if (floatLayers != "fp32" && floatLayers != "fp16")
    return fail("--float-layers must be fp32 or fp16, got '" + floatLayers + "'");
  if (activationLayout != "auto" && activationLayout != "nchw" && activationLayout != "nhwc")
    return fail("--layout must be auto, nchw or nhwc, got '" + activationLayout + "'");
  bool toHalf = precision == "fp16" || floatLayers == "fp16";
  bool floatOnly = precision == "fp32" || precision == "fp16";
  bool dynamic = precision == "int8-dynamic";
  if (emit.empty()) {
    StringRef out(outputFile);
    emit = out.ends_with(".qbin") ? "qbin" : out.ends_with(".ptx") ? "ptx" : "mlir";
  }
  if (emit != "mlir" && emit != "ptx" && emit != "qbin")
    return fail("--emit must be mlir, ptx or qbin, got '" + emit + "'");
  if (emit == "qbin" && outputFile == "-")
    return fail("--emit qbin writes a binary file: give it with -o model.qbin");
  std::vector<std::string> chips(targets.begin(), targets.end());
  if (chips.empty())
    chips = {"sm_80", "sm_86", "sm_89", "sm_90"};
  for (const std::string &chip : chips)
    if (!StringRef(chip).starts_with("sm_") || chip.size() < 5)
      return fail("--target: '" + chip + "' is not a chip name like sm_90");
  if (!tensorCoreTiles.empty() && !sys::fs::exists(tensorCoreTiles))
    return fail("--tensor-core-tiles: cannot read '" + tensorCoreTiles + "'");
  // sm_90a code (the wgmma kernels) runs on sm_90 devices alone; the PTX is
  // generated once for every target, so it cannot share a bundle.
  if (chips.size() > 1 && llvm::is_contained(chips, "sm_90a"))
    return fail("--target sm_90a (Hopper's wgmma kernels) must be the only target");
  bool int8 = precision == "int8";
  if (int8 && calibData.empty() && !calibCache.empty() && !sys::fs::exists(calibCache))
    return fail("calibration cache '" + calibCache + "' does not exist (pass --calib-data to "
                "calibrate and write it)");

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
  // Remarks explain every float fallback; they are many on real models, so
  // they are shown on request and counted otherwise.
  int64_t remarkCount = 0;
  llvm::StringMap<std::string> notes; // node name -> the last remark about it
  context.getDiagEngine().registerHandler([&](mlir::Diagnostic &d) -> mlir::LogicalResult {
    if (d.getSeverity() != mlir::DiagnosticSeverity::Remark)
      return mlir::failure(); // to the source manager handler
    ++remarkCount;
    if (auto n = dyn_cast<mlir::NameLoc>(d.getLocation()))
      notes[n.getName().strref()] = d.str();
    return mlir::success(!::remarks);
  });

  mlir::OwningOpRef<mlir::ModuleOp> module;
  if (StringRef(inputFile).ends_with(".mlir") || StringRef(inputFile).ends_with(".mlirbc")) {
    module = mlir::parseSourceFile<mlir::ModuleOp>(inputFile, sourceMgr,
                                                   mlir::ParserConfig(&context));
  } else {
    qopt::ONNXImportOptions options;
    qopt::applyONNXImportCLOptions(options);
    for (const std::string &text : inputShapes) {
      std::string name, error;
      SmallVector<int64_t> dims;
      if (!qopt::parseInputShape(text, name, dims, error))
        return fail("--input-shape " + error);
      options.inputShapes[name] = dims;
    }
    for (const std::string &text : frozenInputs) {
      std::string error;
      if (!qopt::parseFrozenInput(text, options, error))
        return fail("--freeze " + error);
    }
    module = qopt::importONNXFile(inputFile, &context, options);
  }
  if (!module)
    return 1;

  // A pre-quantized model (QDQ or QOperator ONNX) already says how every
  // tensor is quantized: its Q/DQ pairs fold first, because the canonicalizer
  // in the graph pipeline would erase dcast(qcast(x)) pairs.
  bool preQuantized = false;
  module->walk([&](mlir::Operation *op) {
    if (isa<mlir::quant::QuantizeCastOp, mlir::quant::DequantizeCastOp,
            mlir::quant::StorageCastOp>(op))
      preQuantized = true;
  });
  if (preQuantized) {
    if (!calibData.empty() || !calibCache.empty())
      errs() << "qopt-compile: note: the model is already quantized; its own scales are used "
                "and the calibration data is not\n";
    mlir::PassManager pm(&context);
    if (mlir::failed(mlir::applyPassManagerCLOptions(pm)))
      return 1;
    mlir::OpPassManager &fn = pm.nest<mlir::func::FuncOp>();
    fn.addPass(qopt::createPropagateScalesPass());
    fn.addPass(qopt::createFoldQDQPass());
    // uint8 activations (onnxruntime's) as int8: tensor cores multiply int8.
    fn.addPass(qopt::createSignedStoragePass());
    if (mlir::failed(pm.run(*module)))
      return 1;
  }

  // Float graph optimizations. For int8, residual adds stay apart (the
  // integer add rescales both sides) and only clamps fuse into producers.
  {
    mlir::PassManager pm(&context);
    if (mlir::failed(mlir::applyPassManagerCLOptions(pm)))
      return 1;
    qopt::GraphOptimizationOptions graph;
    if (int8) {
      graph.fuseResidualAdd = false;
      graph.clampsOnly = true;
    }
    // Activations fuse after the rewrite, into the add that ends it.
    if (dynamic)
      graph.fuseActivations = false;
    qopt::buildGraphOptimizationPipeline(pm, graph);
    if (mlir::failed(pm.run(*module)))
      return 1;
  }

  if ((!reportFile.empty() || sensitivityRanking || accuracyBudget >= 0) &&
      ((calibData.empty() && evalData.empty()) || preQuantized || floatOnly))
    return fail("--report, --sensitivity and --accuracy-budget compare against the float model "
                "on --eval-data (or --calib-data): they need a float model, --precision int8 or "
                "int8-dynamic and data");
  if ((sensitivityRanking || accuracyBudget >= 0) && dynamic)
    return fail("--sensitivity and --accuracy-budget apply to --precision int8");
  auto funcs = llvm::to_vector(module->getOps<mlir::func::FuncOp>());
  if (funcs.size() != 1)
    return fail("expected one function in the model, found " + Twine(funcs.size()));
  // The data set (calibration, and evaluation for the report), opened on the
  // graph-optimized float function whose inputs it must match.
  std::optional<qopt::calib::CalibrationSet> dataSet;
  if (!calibData.empty() && !preQuantized && !floatOnly) {
    qopt::calib::CalibrationSet::Options setOptions;
    setOptions.maxSamples = calibSamples;
    if (!imagePreprocess.empty()) {
      auto spec = qopt::ref::parseImagePreprocess(imagePreprocess);
      if (!spec)
        return fail("--image-preprocess: " + toString(spec.takeError()));
      setOptions.image = *spec;
    }
    auto set = qopt::calib::CalibrationSet::open(funcs.front(), calibData, setOptions);
    if (!set)
      return fail("--calib-data: " + toString(set.takeError()));
    dataSet = std::move(*set);
  }
  // What the report, the sensitivity ranking and the budget measure on: a
  // held-out set when given, else the calibration set.
  std::optional<qopt::calib::CalibrationSet> evalSet;
  if (!evalData.empty() && !preQuantized && !floatOnly) {
    qopt::calib::CalibrationSet::Options setOptions;
    if (!imagePreprocess.empty()) {
      auto spec = qopt::ref::parseImagePreprocess(imagePreprocess);
      if (!spec)
        return fail("--image-preprocess: " + toString(spec.takeError()));
      setOptions.image = *spec;
    }
    auto set = qopt::calib::CalibrationSet::open(funcs.front(), evalData, setOptions);
    if (!set)
      return fail("--eval-data: " + toString(set.takeError()));
    evalSet = std::move(*set);
  }
  const qopt::calib::CalibrationSet *measureSet = evalSet ? &*evalSet : dataSet ? &*dataSet : nullptr;
  mlir::OwningOpRef<mlir::ModuleOp> floatModule = module->clone();
  qopt::compiler::QuantReport report;
  report.model = inputFile;
  report.precision = precision;

  if (int8 && !preQuantized) {
    if (calibData.empty() && calibCache.empty())
      return fail("--precision int8 needs --calib-data (a calibration set) or --calib-cache, "
                  "unless the model is already quantized");
    mlir::func::FuncOp func = funcs.front();
    auto table = std::make_shared<qopt::calib::CalibrationTable>();
    if (dataSet) {
      auto result =
          qopt::calib::calibrate(func, *dataSet, qopt::calib::terminalProgress("calibrating"));
      if (!result)
        return fail(toString(result.takeError()));
      result->source = calibData;
      *table = std::move(*result);
      if (!calibCache.empty())
        if (Error err = qopt::calib::writeCalibrationCache(*table, calibCache))
          return fail(toString(std::move(err)));
    } else {
      auto loaded = qopt::calib::readCalibrationCache(calibCache);
      if (!loaded)
        return fail(toString(loaded.takeError()));
      *table = std::move(*loaded);
    }

    qopt::InsertQDQPassOptions qdq;
    qdq.calibration = calibration;
    qdq.percentile = percentile;
    qdq.activationType = activationType;
    qdq.symmetricActivations = symmetricActivations;
    qdq.perChannelWeights = !perTensorWeights;
    qdq.wideTableInputs = wideTableInputs;
    qdq.tableInputBits = tableInputBits;
    qdq.exclude.assign(exclude.begin(), exclude.end());
    report.calibration = calibration == "percentile"
                             ? "percentile " + std::to_string(percentile)
                             : calibration.getValue();
    auto quantized = qopt::compiler::quantizeStatic(*floatModule, table, qdq);
    if (mlir::failed(quantized))
      return 1;
    size_t samples = reportSamples;
    if (sensitivityRanking || accuracyBudget >= 0) {
      auto ranking = qopt::compiler::sensitivity(*floatModule, table, qdq, *measureSet, samples,
                                                 qopt::calib::terminalProgress("sensitivity"));
      if (!ranking)
        return fail(toString(ranking.takeError()));
      report.sensitivity = std::move(*ranking);
    }
    if (accuracyBudget >= 0) {
      // Keep the most sensitive layers in float, one at a time, until the
      // outputs agree with the float model to the budget.
      report.accuracyBudgetDb = accuracyBudget;
      for (size_t next = 0;; ++next) {
        auto sqnr = qopt::compiler::outputSqnr(*floatModule, **quantized, *measureSet, samples);
        if (!sqnr)
          return fail(toString(sqnr.takeError()));
        if (*sqnr >= accuracyBudget || next >= report.sensitivity.size())
          break;
        const std::string &layer = report.sensitivity[next].name;
        report.keptFloatForBudget.push_back(layer);
        qdq.exclude.push_back(layer);
        quantized = qopt::compiler::quantizeStatic(*floatModule, table, qdq);
        if (mlir::failed(quantized))
          return 1;
      }
    }
    module = std::move(*quantized);
  }
  if (dynamic && !preQuantized) {
    mlir::PassManager pm(&context);
    if (mlir::failed(mlir::applyPassManagerCLOptions(pm)))
      return 1;
    qopt::DynamicQuantizePassOptions dq;
    dq.perRow = perRow;
    dq.exclude.assign(exclude.begin(), exclude.end());
    report.calibration = perRow ? "dynamic, per row" : "dynamic, per tensor";
    mlir::OpPassManager &fn = pm.nest<mlir::func::FuncOp>();
    fn.addPass(qopt::createDynamicQuantizePass(dq));
    fn.addPass(qopt::createFuseActivationsPass());
    if (mlir::failed(pm.run(*module)))
      return 1;
  }
  if (!reportFile.empty()) {
    if (Error err = qopt::compiler::measure(*floatModule, *module, *measureSet, reportSamples, notes,
                                            report))
      return fail("measuring the quantized model: " + toString(std::move(err)));
    if (Error err = qopt::compiler::writeReportJSON(report, reportFile))
      return fail(toString(std::move(err)));
    SmallString<256> htmlPath(reportFile);
    sys::path::replace_extension(htmlPath, ".html");
    if (Error err = qopt::compiler::writeReportHTML(report, htmlPath))
      return fail(toString(std::move(err)));
  }
  if (toHalf) {
    // After quantization and the report: calibration and the float
    // comparison run on the f32 model; this is a storage decision.
    mlir::PassManager pm(&context);
    if (mlir::failed(mlir::applyPassManagerCLOptions(pm)))
      return 1;
    pm.nest<mlir::func::FuncOp>().addPass(qopt::createConvertFloatPrecisionPass());
    if (mlir::failed(pm.run(*module)))
      return 1;
  }
  if (mlir::failed(mlir::verify(*module)))
    return fail("the compiled module does not verify (a compiler bug)");

  std::string error;
  if (emit != "mlir") {
    if (int rc = emitGPU(*module, chips, preQuantized))
      return rc;
    if (remarkCount && !::remarks)
      errs() << "qopt-compile: " << remarkCount
             << " remarks on fusion, quantization and code generation decisions (see them with --remarks)\n";
    return 0;
  }
  auto output = mlir::openOutputFile(outputFile, &error);
  if (!output)
    return fail(error);
  if (emitBytecode) {
    if (mlir::failed(mlir::writeBytecodeToFile(*module, output->os())))
      return 1;
  } else {
    module->print(output->os());
  }
  output->keep();
  if (remarkCount && !::remarks)
    errs() << "qopt-compile: " << remarkCount
           << " remarks on fusion, quantization and code generation decisions (see them with --remarks)\n";
  return 0;
}
