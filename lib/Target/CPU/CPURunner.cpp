//===- CPURunner.cpp - Run the lowered program on the host CPU --*- C++ -*-===//

#include "qopt/Target/CPURunner.h"
#include "qopt/Reference/Executor.h"
#include "qopt/Reference/QuantizedOps.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Quant/IR/QuantTypes.h"
#include "mlir/ExecutionEngine/ExecutionEngine.h"
#include "mlir/ExecutionEngine/OptUtils.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Pass/PassRegistry.h"
#include "llvm/Support/TargetSelect.h"

#include <cstring>

using namespace mlir;
using namespace qopt;
using llvm::Expected;

namespace {

/// The lowering and kernel fusion that the GPU pipeline shares, then loops
/// and LLVM for the host instead of GPU launches.
constexpr const char *kPipeline =
    "func.func(qopt-lower-to-linalg),func.func(qopt-clone-shared-producers),"
    "linalg-fuse-elementwise-ops,"
    "one-shot-bufferize{bufferize-function-boundaries "
    "function-boundary-type-conversion=identity-layout-map},"
    "buffer-results-to-out-params{hoist-static-allocs modify-public-functions},"
    "buffer-deallocation-pipeline,"
    "func.func(convert-linalg-to-loops),expand-strided-metadata,lower-affine,"
    "convert-scf-to-cf,convert-math-to-llvm,convert-math-to-libm,convert-to-llvm,"
    "reconcile-unrealized-casts";

Expected<ref::DType> dtypeOf(Type elt) {
  if (isa<mlir::quant::QuantizedType>(elt))
    return ref::storageDTypeOf(elt);
  return ref::dtypeFromType(elt);
}

/// A ranked memref descriptor as the C interface lays it out.
struct Descriptor {
  std::vector<int64_t> words;
  Descriptor(void *data, llvm::ArrayRef<int64_t> shape) {
    words.push_back((int64_t)(intptr_t)data);
    words.push_back((int64_t)(intptr_t)data);
    words.push_back(0);
    words.insert(words.end(), shape.begin(), shape.end());
    std::vector<int64_t> strides(shape.size(), 1);
    for (int64_t i = (int64_t)shape.size() - 2; i >= 0; --i)
      strides[i] = strides[i + 1] * shape[i + 1];
    words.insert(words.end(), strides.begin(), strides.end());
  }
};

} // namespace

struct CPUProgram::Impl {
  std::unique_ptr<ExecutionEngine> engine;
  struct Sig {
    ref::DType dtype;
    llvm::SmallVector<int64_t> shape;
  };
  llvm::SmallVector<Sig> inputs, outputs;
};

CPUProgram::CPUProgram() : impl(std::make_unique<Impl>()) {}
CPUProgram::~CPUProgram() = default;

Expected<std::unique_ptr<CPUProgram>>
CPUProgram::compile(ModuleOp original, std::optional<std::string> tensorCoreTile,
                    StringRef layout, StringRef mma) {
  static bool targetsReady = [] {
    llvm::InitializeNativeTarget();
    llvm::InitializeNativeTargetAsmPrinter();
    return true;
  }();
  (void)targetsReady;

  OwningOpRef<ModuleOp> module(original.clone());
  auto func = module->lookupSymbol<func::FuncOp>("main");
  if (!func)
    return llvm::createStringError("the module has no func.func @main");
  std::unique_ptr<CPUProgram> program(new CPUProgram());
  auto signature = [](TypeRange types, llvm::SmallVector<Impl::Sig> &out) -> llvm::Error {
    for (Type t : types) {
      auto rt = dyn_cast<RankedTensorType>(t);
      if (!rt || !rt.hasStaticShape())
        return llvm::createStringError("the CPU engine needs statically shaped tensors");
      auto dt = dtypeOf(rt.getElementType());
      if (!dt)
        return dt.takeError();
      out.push_back({*dt, llvm::SmallVector<int64_t>(rt.getShape())});
    }
    return llvm::Error::success();
  };
  if (auto err = signature(func.getArgumentTypes(), program->impl->inputs))
    return std::move(err);
  if (auto err = signature(func.getResultTypes(), program->impl->outputs))
    return std::move(err);
  func->setAttr("llvm.emit_c_interface", UnitAttr::get(func.getContext()));

  std::string diagnostics;
  llvm::raw_string_ostream diagStream(diagnostics);
  ScopedDiagnosticHandler handler(module->getContext(), [&](Diagnostic &d) {
    diagStream << d.getLocation() << ": " << d << "\n";
    return success();
  });
  PassManager pm(module->getContext());
  std::string pipeline = kPipeline;
  std::string lowering = "layout=" + layout.str();
  if (tensorCoreTile)
    lowering += " tensor-core-emulation tensor-core-tile=" + *tensorCoreTile +
                " tensor-core-mma=" + mma.str();
  pipeline.replace(pipeline.find("qopt-lower-to-linalg"), strlen("qopt-lower-to-linalg"),
                   "qopt-lower-to-linalg{" + lowering + "}");
  if (failed(parsePassPipeline(pipeline, pm, diagStream)))
    return llvm::createStringError("CPU pipeline: " + diagnostics);
  if (failed(pm.run(*module)))
    return llvm::createStringError("lowering for the CPU failed:\n" + diagnostics);

  // The transformer is a function_ref: keep the callable alive.
  auto optimize = makeOptimizingTransformer(/*optLevel=*/2, /*sizeLevel=*/0, nullptr);
  ExecutionEngineOptions options;
  options.transformer = optimize;
  auto engine = ExecutionEngine::create(*module, options);
  if (!engine)
    return llvm::createStringError("JIT compilation failed: " +
                                   llvm::toString(engine.takeError()) + "\n" + diagnostics);
  program->impl->engine = std::move(*engine);
  return program;
}

Expected<llvm::SmallVector<ref::Tensor>> CPUProgram::run(llvm::ArrayRef<ref::Tensor> given) {
  if (given.size() != impl->inputs.size())
    return llvm::createStringError("expected %zu inputs, got %zu", impl->inputs.size(),
                                   given.size());
  llvm::SmallVector<ref::Tensor> ins, outs;
  for (auto [i, t] : llvm::enumerate(given)) {
    const Impl::Sig &s = impl->inputs[i];
    if (t.shape() != llvm::ArrayRef<int64_t>(s.shape)) {
      std::string want;
      for (int64_t d : s.shape)
        want += (want.empty() ? "" : "x") + std::to_string(d);
      return llvm::createStringError("input %zu is %s, the program takes %s", i,
                                     t.describe().c_str(), want.c_str());
    }
    ref::Tensor copy = t.dtype() == s.dtype ? t : t.castTo(s.dtype);
    // The program writes nothing to its inputs, but the descriptor needs a
    // mutable pointer: give it a private copy.
    auto owned = ref::Tensor::fromBytes(s.dtype, s.shape,
                                        llvm::ArrayRef<char>(copy.data<char>(), copy.byteSize()));
    if (!owned)
      return owned.takeError();
    ins.push_back(std::move(*owned));
  }
  for (const Impl::Sig &s : impl->outputs) {
    auto t = ref::Tensor::allocate(s.dtype, s.shape);
    if (!t)
      return t.takeError();
    outs.push_back(std::move(*t));
  }
  std::vector<Descriptor> descriptors;
  for (ref::Tensor &t : ins)
    descriptors.emplace_back(t.data<uint8_t>(), t.shape());
  for (ref::Tensor &t : outs)
    descriptors.emplace_back(t.data<uint8_t>(), t.shape());
  std::vector<void *> pointers, args;
  for (Descriptor &d : descriptors)
    pointers.push_back(d.words.data());
  for (void *&p : pointers)
    args.push_back(&p);
  if (auto err = impl->engine->invokePacked("_mlir_ciface_main", args))
    return std::move(err);
  return outs;
}
