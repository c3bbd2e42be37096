//===- BundleWriter.cpp - Host function + gpu.binary to .qbin ---*- C++ -*-===//
//
// Walks the host function that qopt-gpu-codegen leaves, in order: globals
// become the weights blob, allocations become arena slices planned by
// liveness, views resolve to (buffer, byte offset), gpu.launch_func ops
// become launch steps with bare-pointer arguments. Anything else on the host
// is an error: the runtime only launches kernels and copies buffers.
//
//===----------------------------------------------------------------------===//

#include "qopt/Target/ArenaPlan.h"
#include "qopt/Target/Bundle.h"
#include "qopt/runtime/BundleFile.h"
#include "qopt/runtime/qbin_generated.h"

#include "mlir/Bytecode/BytecodeWriter.h"
#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/LLVMIR/NVVMDialect.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/NVGPU/IR/NVGPUDialect.h"
#include "mlir/Dialect/Quant/IR/QuantTypes.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/DialectResourceBlobManager.h"
#include "mlir/IR/Matchers.h"
#include "llvm/ADT/DenseMap.h"
#include "llvm/ADT/StringMap.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/ThreadPool.h"
#include "llvm/Support/xxhash.h"

#include <mutex>

using namespace mlir;
using namespace qopt;
using llvm::Expected;

namespace fb = flatbuffers;

namespace {

llvm::Error errorAt(Operation *op, const llvm::Twine &msg) {
  std::string loc;
  llvm::raw_string_ostream os(loc);
  op->getLoc().print(os);
  return llvm::createStringError(msg + " (" + loc + ")");
}

uint64_t alignTo(uint64_t v, uint64_t a) { return (v + a - 1) / a * a; }

/// The ONNX node names in a location, joined: the origin of a launch.
void collectNames(Location loc, llvm::SmallVectorImpl<std::string> &names) {
  if (auto n = dyn_cast<NameLoc>(loc)) {
    std::string s = n.getName().str();
    if (llvm::find(names, s) == names.end())
      names.push_back(s);
    return;
  }
  if (auto f = dyn_cast<FusedLoc>(loc))
    for (Location l : f.getLocations())
      collectNames(l, names);
  if (auto c = dyn_cast<CallSiteLoc>(loc))
    collectNames(c.getCallee(), names);
}

/// The ONNX node names in a location, or its file:line when it has none
/// (a program read from an .mlir file without them).
std::string originOf(Location loc) {
  llvm::SmallVector<std::string> names;
  collectNames(loc, names);
  if (names.empty()) {
    std::string where;
    loc->walk([&](Location l) {
      if (auto f = dyn_cast<FileLineColLoc>(l); f && where.empty())
        where = (llvm::sys::path::filename(f.getFilename().strref()) + ":" +
                 llvm::Twine(f.getLine()))
                    .str();
      return WalkResult::advance();
    });
    return where;
  }
  return llvm::join(names, ",");
}

Expected<qbin::DType> dtypeOf(Type elt, Type boundary) {
  bool isUnsigned = false;
  if (auto q = dyn_cast_or_null<mlir::quant::QuantizedType>(boundary))
    isUnsigned = !q.isSigned();
  else if (auto it = dyn_cast_or_null<IntegerType>(boundary))
    isUnsigned = it.isUnsigned(); // lowered to signless storage of its width
  if (elt.isF32()) return qbin::DType::F32;
  if (elt.isF16()) return qbin::DType::F16;
  if (elt.isBF16()) return qbin::DType::BF16;
  if (elt.isF64()) return qbin::DType::F64;
  if (elt.isInteger(1)) return qbin::DType::Bool;
  if (elt.isInteger(8)) return isUnsigned ? qbin::DType::U8 : qbin::DType::I8;
  if (elt.isInteger(16)) return isUnsigned ? qbin::DType::U16 : qbin::DType::I16;
  if (elt.isInteger(32)) return isUnsigned ? qbin::DType::U32 : qbin::DType::I32;
  if (elt.isInteger(64)) return isUnsigned ? qbin::DType::U64 : qbin::DType::I64;
  std::string s;
  llvm::raw_string_ostream os(s);
  os << elt;
  return llvm::createStringError("unsupported boundary element type " + s);
}

uint64_t elementBytes(Type t) { return std::max<uint64_t>(1, t.getIntOrFloatBitWidth() / 8); }

Expected<uint64_t> memrefBytes(Operation *op, MemRefType t) {
  if (!t.hasStaticShape())
    return errorAt(op, "bundle writer: dynamic shape " + llvm::Twine(t.getRank()) + "-D memref");
  return (uint64_t)t.getNumElements() * elementBytes(t.getElementType());
}

/// The bytes of a global's initial value in memory order.
Expected<std::vector<uint8_t>> globalBytes(memref::GlobalOp g) {
  auto init = g.getInitialValue();
  auto type = g.getType();
  if (!init || !isa<ElementsAttr>(*init))
    return errorAt(g, "global '" + g.getSymName() + "' has no constant initial value");
  uint64_t n = type.getNumElements(), eb = elementBytes(type.getElementType());
  std::vector<uint8_t> out;
  if (auto r = dyn_cast<DenseResourceElementsAttr>(*init)) {
    AsmResourceBlob *blob = r.getRawHandle().getBlob();
    if (!blob)
      return errorAt(g, "global '" + g.getSymName() + "' refers to a missing resource blob");
    ArrayRef<char> d = blob->getData();
    out.assign(d.begin(), d.end());
  } else if (auto d = dyn_cast<DenseElementsAttr>(*init)) {
    if (d.getElementType().isInteger(1)) {
      for (bool v : d.getValues<bool>())
        out.push_back(v ? 1 : 0);
    } else {
      ArrayRef<char> raw = d.getRawData();
      if (d.isSplat()) {
        for (uint64_t i = 0; i < n; ++i)
          out.insert(out.end(), raw.begin(), raw.begin() + eb);
      } else {
        out.assign(raw.begin(), raw.end());
      }
    }
  } else {
    return errorAt(g, "global '" + g.getSymName() + "' has an unsupported initializer");
  }
  if (out.size() != n * eb)
    return errorAt(g, "global '" + g.getSymName() + "' holds " + llvm::Twine(out.size()) +
                          " bytes, its type needs " + llvm::Twine(n * eb));
  return out;
}

/// Where a host memref lives.
struct Location2 {
  qbin::BufferKind kind = qbin::BufferKind::Arena;
  uint32_t index = 0; // input/output number, or arena allocation id
  uint64_t offset = 0;
};

struct ModuleImage {
  std::string name;
  std::vector<std::string> kernels;
  std::string ptx, ptxTarget;
  std::vector<std::pair<std::string, std::string>> ptxByTarget;
  std::vector<std::vector<uint8_t>> cubins;
  std::vector<KernelStats> stats;
};

} // namespace

Expected<std::vector<uint8_t>> qopt::writeBundle(ModuleOp module, const BundleOptions &options,
                                                 BundleSummary *summary) {
  auto func = module.lookupSymbol<func::FuncOp>("main");
  if (!func || func.getBody().empty())
    return llvm::createStringError("bundle writer: no func.func @main with a body");
  Block &body = func.getBody().front();

  // Boundary: leading arguments are inputs, trailing ones (bufferize.result)
  // the outputs written in place.
  llvm::DenseMap<Value, Location2> where;
  std::vector<std::pair<Value, Type>> inputs, outputs;
  for (BlockArgument arg : body.getArguments()) {
    bool isResult = func.getArgAttr(arg.getArgNumber(), "bufferize.result") != nullptr;
    if (!isa<MemRefType>(arg.getType()))
      return errorAt(func, "bundle writer: argument " + llvm::Twine(arg.getArgNumber()) +
                               " is not a memref");
    if (isResult) {
      size_t i = outputs.size();
      Type q = i < options.outputTypes.size() ? options.outputTypes[i] : Type();
      where[arg] = {qbin::BufferKind::Output, (uint32_t)i, 0};
      outputs.push_back({arg, q});
    } else {
      if (!outputs.empty())
        return errorAt(func, "bundle writer: an input argument follows an output");
      size_t i = inputs.size();
      Type q = i < options.inputTypes.size() ? options.inputTypes[i] : Type();
      where[arg] = {qbin::BufferKind::Input, (uint32_t)i, 0};
      inputs.push_back({arg, q});
    }
  }

  std::vector<uint8_t> weights;
  // Identical constants are stored once: the lowering packs a weight per
  // reader (each step of an unrolled LSTM reads the same recurrent matrix),
  // which made ddddocr's int8 OCR bundle 80 MB instead of 14.
  llvm::DenseMap<uint64_t, llvm::SmallVector<std::pair<uint64_t, uint64_t>, 1>> weightsByHash;
  auto appendWeights = [&](llvm::ArrayRef<uint8_t> bytes) -> uint64_t {
    // Shifted: DenseMap reserves the two largest keys.
    auto &same = weightsByHash[llvm::xxh3_64bits(bytes) >> 1];
    for (auto [offset, size] : same)
      if (size == bytes.size() && std::equal(bytes.begin(), bytes.end(), weights.begin() + offset))
        return offset;
    uint64_t offset = alignTo(weights.size(), qbin::kAlignment);
    weights.resize(offset);
    weights.insert(weights.end(), bytes.begin(), bytes.end());
    same.push_back({offset, bytes.size()});
    return offset;
  };
  llvm::StringMap<uint64_t> globalOffsets;
  // dense_resource key -> (offset, size) in the weights blob.
  llvm::StringMap<std::pair<uint64_t, uint64_t>> resourceOffsets;
  std::vector<ArenaBuffer> allocs;
  struct PendingStep {
    qbin::StepKind kind;
    std::string module, kernel, origin;
    uint32_t grid[3] = {1, 1, 1}, block[3] = {1, 1, 1};
    uint32_t dynamicShared = 0;
    std::vector<std::pair<Location2, uint64_t>> args; // location, scalar bits
    uint64_t copyBytes = 0;
  };
  std::vector<PendingStep> steps;
  // Tensor maps (TMA): the matrix each describes and its box.
  struct PendingTensorMap {
    Location2 buffer;
    uint64_t rows, rowBytes, pitch;
    uint32_t boxRows, boxBytes;
    uint8_t swizzle;
  };
  std::vector<PendingTensorMap> tensorMaps;
  llvm::DenseMap<Value, uint32_t> mapOf; // descriptor value -> tensor map number
  llvm::StringMap<size_t> moduleIndex;
  std::vector<std::string> moduleOrder;

  auto useAt = [&](const Location2 &l, size_t pos) {
    if (l.kind == qbin::BufferKind::Arena)
      allocs[l.index].last = std::max(allocs[l.index].last, pos);
  };
  auto constantOf = [](Value v) -> std::optional<int64_t> {
    APInt c;
    if (matchPattern(v, m_ConstantInt(&c)))
      return c.getSExtValue();
    return std::nullopt;
  };

  size_t pos = 0;
  for (Operation &op : body.without_terminator()) {
    ++pos;
    if (isa<arith::ConstantOp, memref::DeallocOp>(op))
      continue;
    if (auto alloc = dyn_cast<memref::AllocOp>(op)) {
      auto bytes = memrefBytes(&op, alloc.getType());
      if (!bytes)
        return bytes.takeError();
      where[alloc] = {qbin::BufferKind::Arena, (uint32_t)allocs.size(), 0};
      allocs.push_back({*bytes, pos, pos, 0});
      continue;
    }
    if (auto get = dyn_cast<memref::GetGlobalOp>(op)) {
      auto it = globalOffsets.find(get.getName());
      if (it == globalOffsets.end()) {
        auto g = SymbolTable::lookupNearestSymbolFrom<memref::GlobalOp>(get, get.getNameAttr());
        if (!g)
          return errorAt(&op, "bundle writer: unknown global " + get.getName());
        auto bytes = globalBytes(g);
        if (!bytes)
          return bytes.takeError();
        uint64_t offset = appendWeights(*bytes);
        it = globalOffsets.insert({get.getName(), offset}).first;
        if (auto r = dyn_cast_or_null<DenseResourceElementsAttr>(g.getInitialValue().value_or(
                Attribute())))
          resourceOffsets[r.getRawHandle().getKey()] = {offset, bytes->size()};
      }
      where[get] = {qbin::BufferKind::Weights, 0, it->second};
      continue;
    }
    if (isa<memref::CollapseShapeOp, memref::ExpandShapeOp, memref::CastOp>(op)) {
      // Views of a contiguous buffer: same address.
      auto it = where.find(op.getOperand(0));
      if (it == where.end())
        return errorAt(&op, "bundle writer: view of an unknown buffer");
      // Copy first: inserting may grow the map and invalidate `it`.
      auto location = it->second;
      where[op.getResult(0)] = location;
      continue;
    }
    if (auto desc = dyn_cast<nvgpu::TmaCreateDescriptorOp>(op)) {
      // A tensor map of a row-major int8 matrix: the ranked view that was
      // cast to the descriptor's unranked operand says its rows and columns.
      auto cast = desc.getTensor().getDefiningOp<memref::CastOp>();
      auto matrix = cast ? dyn_cast<MemRefType>(cast.getSource().getType()) : MemRefType();
      auto it = where.find(desc.getTensor());
      if (!matrix || it == where.end() || matrix.getRank() != 2 || !matrix.hasStaticShape() ||
          !matrix.getLayout().isIdentity() || !matrix.getElementType().isInteger(8))
        return errorAt(&op, "bundle writer: a tensor map must describe a bundle buffer viewed "
                            "as a static row-major 2-D int8 matrix");
      nvgpu::TensorMapDescriptorType type = desc.getTensorMap().getType();
      MemRefType box = type.getTensor();
      if (box.getRank() != 2 || type.getInterleave() != nvgpu::TensorMapInterleaveKind::INTERLEAVE_NONE ||
          type.getOob() != nvgpu::TensorMapOOBKind::OOB_ZERO)
        return errorAt(&op, "bundle writer: tensor maps are 2-D boxes, not interleaved, with "
                            "zeros out of bounds");
      PendingTensorMap m;
      m.buffer = it->second;
      m.rows = matrix.getDimSize(0);
      m.rowBytes = m.pitch = matrix.getDimSize(1);
      m.boxRows = box.getDimSize(0);
      m.boxBytes = box.getDimSize(1);
      m.swizzle = (uint8_t)type.getSwizzle();
      mapOf[desc.getTensorMap()] = tensorMaps.size();
      tensorMaps.push_back(m);
      continue;
    }
    // A descriptor as the kernels' memref<128xi8> argument; any other cast
    // is an unsupported host op (below).
    if (auto cast = dyn_cast<UnrealizedConversionCastOp>(op);
        cast && cast->getNumOperands() == 1 && cast->getNumResults() == 1 &&
        mapOf.count(cast.getOperand(0))) {
      where[cast.getResult(0)] = {qbin::BufferKind::TensorMap, mapOf.lookup(cast.getOperand(0)), 0};
      continue;
    }
    if (auto copy = dyn_cast<memref::CopyOp>(op)) {
      auto src = where.find(copy.getSource()), dst = where.find(copy.getTarget());
      if (src == where.end() || dst == where.end())
        return errorAt(&op, "bundle writer: copy between unknown buffers");
      auto t = cast<MemRefType>(copy.getSource().getType());
      if (!t.getLayout().isIdentity())
        return errorAt(&op, "bundle writer: strided copies are not supported");
      auto bytes = memrefBytes(&op, t);
      if (!bytes)
        return bytes.takeError();
      PendingStep s;
      s.kind = qbin::StepKind::Copy;
      s.copyBytes = *bytes;
      s.args = {{src->second, 0}, {dst->second, 0}};
      s.origin = originOf(op.getLoc());
      useAt(src->second, pos);
      useAt(dst->second, pos);
      steps.push_back(std::move(s));
      continue;
    }
    if (auto launch = dyn_cast<gpu::LaunchFuncOp>(op)) {
      PendingStep s;
      s.kind = qbin::StepKind::Launch;
      s.module = launch.getKernelModuleName().str();
      s.kernel = launch.getKernelName().str();
      s.origin = originOf(op.getLoc());
      gpu::KernelDim3 grid = launch.getGridSizeOperandValues();
      gpu::KernelDim3 block = launch.getBlockSizeOperandValues();
      Value dims[6] = {grid.x, grid.y, grid.z, block.x, block.y, block.z};
      for (int i = 0; i < 6; ++i) {
        auto c = constantOf(dims[i]);
        if (!c || *c <= 0 || *c > std::numeric_limits<int32_t>::max())
          return errorAt(&op, "bundle writer: grid and block sizes must be positive constants");
        (i < 3 ? s.grid[i] : s.block[i - 3]) = (uint32_t)*c;
      }
      if (Value smem = launch.getDynamicSharedMemorySize()) {
        auto c = constantOf(smem);
        if (!c || *c < 0)
          return errorAt(&op, "bundle writer: dynamic shared memory must be a constant");
        s.dynamicShared = (uint32_t)*c;
      }
      for (Value arg : launch.getKernelOperands()) {
        if (isa<MemRefType>(arg.getType())) {
          auto it = where.find(arg);
          if (it == where.end())
            return errorAt(&op, "bundle writer: kernel argument is not a bundle buffer");
          if (!cast<MemRefType>(arg.getType()).getLayout().isIdentity())
            return errorAt(&op, "bundle writer: kernel arguments must have the identity layout "
                                "(bare pointers)");
          useAt(it->second, pos);
          // The matrix a tensor map describes is read by this launch.
          if (it->second.kind == qbin::BufferKind::TensorMap)
            useAt(tensorMaps[it->second.index].buffer, pos);
          s.args.push_back({it->second, 0});
          continue;
        }
        auto c = constantOf(arg);
        if (!c || !arg.getType().isIntOrIndex())
          return errorAt(&op, "bundle writer: a scalar kernel argument must be an integer "
                              "constant");
        unsigned bits = arg.getType().isIndex() ? 64 : arg.getType().getIntOrFloatBitWidth();
        Location2 scalar{qbin::BufferKind::Scalar, bits <= 32 ? 4u : 8u, 0};
        s.args.push_back({scalar, (uint64_t)*c});
      }
      if (!moduleIndex.count(s.module)) {
        moduleIndex[s.module] = moduleOrder.size();
        moduleOrder.push_back(s.module);
      }
      steps.push_back(std::move(s));
      continue;
    }
    return errorAt(&op, "bundle writer: unsupported host op '" +
                            op.getName().getStringRef() + "'");
  }
  // Outputs that are views or aliases of arena buffers would need a copy;
  // buffer-results-to-out-params writes them in place, so there is none.
  uint64_t arenaBytes = planArena(allocs, qbin::kAlignment);
  if (std::string err = verifyArena(allocs, qbin::kAlignment, arenaBytes); !err.empty())
    return llvm::createStringError("bundle writer: arena plan is wrong (a compiler bug): " + err);

  // Modules: PTX per target from gpu-module-to-binary, cubin per target
  // from ptxas (in parallel: the kernels are independent).
  std::vector<ModuleImage> images(moduleOrder.size());
  for (auto [i, name] : llvm::enumerate(moduleOrder)) {
    auto bin = module.lookupSymbol<gpu::BinaryOp>(name);
    if (!bin)
      return llvm::createStringError("bundle writer: no gpu.binary @" + name +
                                     " (run gpu-module-to-binary{format=isa})");
    ModuleImage &m = images[i];
    m.name = name;
    for (Attribute a : bin.getObjects()) {
      auto obj = cast<gpu::ObjectAttr>(a);
      auto target = dyn_cast<NVVM::NVVMTargetAttr>(obj.getTarget());
      if (!target || obj.getFormat() != gpu::CompilationTarget::Assembly)
        return errorAt(bin, "bundle writer: expected NVVM PTX objects (format=isa)");
      m.ptxByTarget.push_back({target.getChip().str(), obj.getObject().str()});
    }
    if (m.ptxByTarget.empty())
      return errorAt(bin, "bundle writer: gpu.binary has no objects");
    // Chips without their own PTX are assembled from the first one's: ptxas
    // compiles PTX for an older target for any newer chip, and LLVM's NVPTX
    // code generation then runs once per kernel instead of once per chip.
    for (const std::string &chip : options.extraTargets)
      if (llvm::none_of(m.ptxByTarget, [&](auto &e) { return e.first == chip; }))
        m.ptxByTarget.push_back({chip, m.ptxByTarget.front().second});
    // JIT fallback: the PTX of the first (lowest) target runs on every later chip.
    m.ptxTarget = m.ptxByTarget.front().first;
    m.ptx = m.ptxByTarget.front().second;
    m.cubins.resize(m.ptxByTarget.size());
    m.stats.resize(m.ptxByTarget.size());
  }
  for (const PendingStep &s : steps)
    if (s.kind == qbin::StepKind::Launch) {
      ModuleImage &m = images[moduleIndex[s.module]];
      if (llvm::find(m.kernels, s.kernel) == m.kernels.end())
        m.kernels.push_back(s.kernel);
    }
  {
    llvm::DefaultThreadPool pool(options.threads ? llvm::hardware_concurrency(options.threads)
                                                 : llvm::hardware_concurrency());
    std::mutex mu;
    std::string firstError;
    for (ModuleImage &m : images)
      for (size_t t = 0; t < m.ptxByTarget.size(); ++t)
        pool.async([&, t, mp = &m] {
          KernelStats stats;
          stats.module = mp->name;
          auto cubin = assemblePTX(mp->ptxByTarget[t].second, mp->ptxByTarget[t].first,
                                   options.ptxas, stats);
          std::lock_guard<std::mutex> lock(mu);
          if (!cubin) {
            if (firstError.empty())
              firstError = "kernel module " + mp->name + ": " + llvm::toString(cubin.takeError());
            else
              llvm::consumeError(cubin.takeError());
            return;
          }
          mp->cubins[t] = std::move(*cubin);
          mp->stats[t] = stats;
        });
    pool.wait();
    if (!firstError.empty())
      return llvm::createStringError(firstError);
  }

  // The FlatBuffer.
  fb::FlatBufferBuilder fbb(1 << 20);
  auto tensorSpecs = [&](std::vector<std::pair<Value, Type>> &vals, bool isInput)
      -> Expected<fb::Offset<fb::Vector<fb::Offset<qbin::TensorSpec>>>> {
    std::vector<fb::Offset<qbin::TensorSpec>> specs;
    for (auto [i, vq] : llvm::enumerate(vals)) {
      auto [v, qnnType] = vq;
      auto mt = cast<MemRefType>(v.getType());
      Type qElt = qnnType ? getElementTypeOrSelf(qnnType) : Type();
      auto dt = dtypeOf(mt.getElementType(), qElt);
      if (!dt)
        return dt.takeError();
      unsigned argNo = cast<BlockArgument>(v).getArgNumber();
      auto nameAttr = func.getArgAttrOfType<StringAttr>(argNo, "qnn.name");
      std::string name = nameAttr ? nameAttr.str()
                                  : (isInput ? "input" : "output") + std::to_string(i);
      fb::Offset<qbin::QuantParams> quant = 0;
      if (auto u = dyn_cast_or_null<mlir::quant::UniformQuantizedType>(qElt)) {
        std::vector<double> scales{u.getScale()};
        std::vector<int64_t> zps{u.getZeroPoint()};
        quant = qbin::CreateQuantParams(fbb, fbb.CreateVector(scales), fbb.CreateVector(zps), -1,
                                        u.getStorageTypeMin(), u.getStorageTypeMax());
      } else if (auto a = dyn_cast_or_null<mlir::quant::UniformQuantizedPerAxisType>(qElt)) {
        std::vector<double> scales(a.getScales().begin(), a.getScales().end());
        std::vector<int64_t> zps(a.getZeroPoints().begin(), a.getZeroPoints().end());
        quant = qbin::CreateQuantParams(fbb, fbb.CreateVector(scales), fbb.CreateVector(zps),
                                        a.getQuantizedDimension(), a.getStorageTypeMin(),
                                        a.getStorageTypeMax());
      }
      std::vector<int64_t> shape(mt.getShape().begin(), mt.getShape().end());
      specs.push_back(qbin::CreateTensorSpec(fbb, fbb.CreateString(name), *dt,
                                             fbb.CreateVector(shape), quant));
    }
    return fbb.CreateVector(specs);
  };
  auto inSpecs = tensorSpecs(inputs, true);
  if (!inSpecs)
    return inSpecs.takeError();
  auto outSpecs = tensorSpecs(outputs, false);
  if (!outSpecs)
    return outSpecs.takeError();

  std::vector<fb::Offset<qbin::Module>> modules;
  BundleSummary local;
  for (ModuleImage &m : images) {
    std::vector<fb::Offset<qbin::KernelImage>> kimages;
    for (size_t t = 0; t < m.cubins.size(); ++t) {
      const KernelStats &st = m.stats[t];
      local.kernels.push_back(st);
      kimages.push_back(qbin::CreateKernelImage(
          fbb, fbb.CreateString(st.target), fbb.CreateVector(m.cubins[t]), st.registers,
          st.spillBytes, st.stackBytes, st.sharedBytes));
    }
    std::vector<fb::Offset<fb::String>> kernels;
    for (const std::string &k : m.kernels)
      kernels.push_back(fbb.CreateString(k));
    modules.push_back(qbin::CreateModule(fbb, fbb.CreateString(m.name),
                                         fbb.CreateVector(kernels), fbb.CreateString(m.ptx),
                                         fbb.CreateString(m.ptxTarget),
                                         fbb.CreateVector(kimages)));
  }
  // A location as the bundle states it: arena slices at their planned
  // offsets, scalars with their bits.
  auto refOf = [&](const Location2 &l, uint64_t bits) -> qbin::BufferRef {
    if (l.kind == qbin::BufferKind::Arena)
      return {l.kind, 0, allocs[l.index].offset + l.offset};
    if (l.kind == qbin::BufferKind::Scalar)
      return {l.kind, l.index, bits};
    return {l.kind, l.index, l.offset};
  };
  std::vector<fb::Offset<qbin::Step>> stepOffsets;
  for (const PendingStep &s : steps) {
    std::vector<qbin::BufferRef> args;
    for (auto [l, bits] : s.args)
      args.push_back(refOf(l, bits));
    std::vector<uint32_t> grid(s.grid, s.grid + 3), block(s.block, s.block + 3);
    bool isLaunch = s.kind == qbin::StepKind::Launch;
    stepOffsets.push_back(qbin::CreateStep(
        fbb, s.kind, isLaunch ? (uint32_t)moduleIndex[s.module] : 0,
        isLaunch ? fbb.CreateString(s.kernel) : 0, fbb.CreateVector(grid),
        fbb.CreateVector(block), s.dynamicShared, fbb.CreateVectorOfStructs(args), s.copyBytes,
        fbb.CreateString(s.origin)));
    (isLaunch ? local.launches : local.copies) += 1;
  }
  // The program IR, without the resource data the weights already hold.
  std::vector<uint8_t> programIR;
  std::vector<fb::Offset<qbin::ProgramResource>> programResources;
  if (mlir::ModuleOp program = options.program) {
    // Resources the kernels do not read (a bias folded into a tensor-core
    // kernel's offsets, say) join the weights blob too, so that every byte
    // of the program is stored once and its IR can always leave them out.
    llvm::StringMap<bool> keys;
    bool allCovered = true;
    program.walk([&](Operation *op) {
      for (NamedAttribute a : op->getAttrs())
        if (auto r = dyn_cast<DenseResourceElementsAttr>(a.getValue())) {
          StringRef key = r.getRawHandle().getKey();
          keys[key] = true;
          if (resourceOffsets.count(key))
            continue;
          const AsmResourceBlob *blob = r.getRawHandle().getBlob();
          if (!blob) {
            allCovered = false;
            continue;
          }
          ArrayRef<char> d = blob->getData();
          uint64_t offset = appendWeights(
              llvm::ArrayRef<uint8_t>(reinterpret_cast<const uint8_t *>(d.data()), d.size()));
          resourceOffsets[key] = {offset, d.size()};
        }
    });
    BytecodeWriterConfig config(options.compilerVersion);
    if (allCovered && !keys.empty()) {
      config.setElideResourceDataFlag(true);
      for (auto &k : keys) {
        auto [offset, size] = resourceOffsets.lookup(k.getKey());
        programResources.push_back(
            qbin::CreateProgramResource(fbb, fbb.CreateString(k.getKey().str()), offset, size));
      }
    }
    std::string bytes;
    llvm::raw_string_ostream os(bytes);
    if (failed(writeBytecodeToFile(program, os, config)))
      return llvm::createStringError("cannot serialize the qnn program");
    programIR.assign(bytes.begin(), bytes.end());
  }
  // Tensor maps: their buffers at final arena offsets.
  fb::Offset<fb::Vector<fb::Offset<qbin::TensorMap>>> mapsOffset = 0;
  if (!tensorMaps.empty()) {
    std::vector<fb::Offset<qbin::TensorMap>> maps;
    for (const PendingTensorMap &m : tensorMaps) {
      qbin::BufferRef ref = refOf(m.buffer, 0);
      maps.push_back(qbin::CreateTensorMap(fbb, &ref, m.rows, m.rowBytes, m.pitch, m.boxRows,
                                           m.boxBytes, m.swizzle));
    }
    mapsOffset = fbb.CreateVector(maps);
  }
  std::vector<fb::Offset<fb::String>> targets;
  if (!images.empty())
    for (auto &[chip, ptx] : images.front().ptxByTarget)
      targets.push_back(fbb.CreateString(chip));
  auto root = qbin::CreateBundle(
      fbb, fbb.CreateString(options.compilerVersion), fbb.CreateVector(targets), *inSpecs,
      *outSpecs, arenaBytes, qbin::kAlignment, fbb.CreateVector(weights),
      fbb.CreateVector(modules), fbb.CreateVector(stepOffsets),
      fbb.CreateVector(programIR), fbb.CreateString(options.sourceModel),
      fbb.CreateString(options.precision), fbb.CreateVector(programResources), mapsOffset);
  qbin::FinishBundleBuffer(fbb, root);

  std::vector<uint8_t> file(qbin::kHeaderSize + fbb.GetSize());
  std::memcpy(file.data() + qbin::kHeaderSize, fbb.GetBufferPointer(), fbb.GetSize());
  qbin::writeHeader(file.data(), file.data() + qbin::kHeaderSize, fbb.GetSize());

  if (summary) {
    local.arenaBytes = arenaBytes;
    local.weightsBytes = weights.size();
    for (const ArenaBuffer &a : allocs)
      local.unplannedBytes += alignTo(a.bytes, qbin::kAlignment);
    local.modules = images.size();
    *summary = std::move(local);
  }
  return file;
}
