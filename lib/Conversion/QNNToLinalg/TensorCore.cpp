//===- TensorCore.cpp - int8 conv as a tensor-core implicit GEMM -*- C++ -*-===//
//
// An integer conv (group 1, symmetric weights, signed 8-bit input) becomes
// one kernel: C[Cout, P] = W[Cout, K] x im2col(X)[K, P] with P = N*OH*OW
// output pixels and K = Cin*KH*KW, in NCHW without any layout change.
//
// Per block a bm x bn tile of C (TileConfig, chosen per shape), warps of
// wm x wn, K in steps of bk. A software pipeline keeps S-1 K steps in
// flight: rows of W (and of a gemm's A) go to shared memory as 16-byte
// cp.async copies, the im2col gather byte by byte; the stages live in
// dynamic shared memory, XOR-swizzled by upstream's
// optimizeSharedMemoryReadsAndWrites. The warps read them as vectors and
// multiply with vector.contract, which convert-vector-to-gpu turns into
// ldmatrix and mma.sync m16n8k32 (s8 x s8 -> s32). The accumulators go
// through shared memory (in the stages' place) to an epilogue that applies
// exactly the arithmetic of the SIMT form (Body).
//
// Zero points: padding taps are staged as the input zero point z_x (the
// real 0), so sum_k w * (x - z_x) = acc - z_x * rowsum(W)[m] with one
// compile-time constant per output channel.
//
// The buffers enter and leave through bufferization.to_buffer/to_tensor,
// so the kernel sits in the tensor program until one-shot bufferization.
//
//===----------------------------------------------------------------------===//

#include "Lowering.h"
#include "qopt/Dialect/QNN/QNNOps.h"
#include "qopt/Reference/Executor.h"

#include "mlir/Conversion/VectorToGPU/VectorToGPU.h"
#include "mlir/Dialect/Affine/IR/AffineOps.h"
#include "mlir/Dialect/Bufferization/IR/Bufferization.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/LLVMIR/NVVMDialect.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/MemRef/Transforms/Transforms.h"
#include "mlir/Dialect/NVGPU/IR/NVGPUDialect.h"
#include "mlir/Dialect/NVGPU/Transforms/Transforms.h"
#include "mlir/Dialect/Quant/IR/QuantTypes.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/IR/IRMapping.h"
#include "mlir/IR/Matchers.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"
#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/JSON.h"

using namespace mlir;
using namespace qopt;
using namespace qopt::lowering;

namespace {

/// The constant data of an operand, if it is one (weights are), seen
/// through storage casts and a transpose (qopt-pack-conv-weights's).
std::optional<ref::Tensor> constantOf(Value v) {
  while (auto cast = v.getDefiningOp<mlir::quant::StorageCastOp>())
    v = cast.getOperand();
  if (auto transpose = v.getDefiningOp<qnn::TransposeOp>()) {
    std::optional<ref::Tensor> in = constantOf(transpose.getInput());
    if (!in)
      return std::nullopt;
    auto t = ref::transpose(*in, transpose.getPerm());
    if (!t) {
      llvm::consumeError(t.takeError());
      return std::nullopt;
    }
    return std::move(*t);
  }
  auto c = v.getDefiningOp<qnn::ConstantOp>();
  if (!c)
    return std::nullopt;
  auto t = ref::tensorFromAttr(cast<ElementsAttr>(c.getValue()));
  if (!t) {
    llvm::consumeError(t.takeError());
    return std::nullopt;
  }
  return std::move(*t);
}

Value cI(OpBuilder &b, Location loc, int64_t v) {
  return arith::ConstantIndexOp::create(b, loc, v).getResult();
}

/// A 2-D window of the shared buffer `buffer` ([rows, cols], or [stages,
/// rows, cols] with `stage` selecting one) at (row, col). The warps' reads
/// and writes go through such windows with constant indices: upstream's
/// vector-to-nvgpu conversion takes the index operands of the transfers into
/// its conversion slice and only accepts constants there.
Value window(OpBuilder &b, Location loc, Value buffer, Value stage, Value row, Value col,
             int64_t rows, int64_t cols) {
  auto type = cast<MemRefType>(buffer.getType());
  SmallVector<OpFoldResult> offsets{row, col};
  SmallVector<OpFoldResult> sizes{b.getIndexAttr(rows), b.getIndexAttr(cols)};
  SmallVector<OpFoldResult> strides{b.getIndexAttr(1), b.getIndexAttr(1)};
  if (type.getRank() == 2)
    return memref::SubViewOp::create(b, loc, buffer, offsets, sizes, strides);
  offsets.insert(offsets.begin(), stage);
  sizes.insert(sizes.begin(), b.getIndexAttr(1));
  strides.insert(strides.begin(), b.getIndexAttr(1));
  auto reduced = memref::SubViewOp::inferRankReducedResultType({rows, cols}, type, offsets,
                                                               sizes, strides);
  return memref::SubViewOp::create(b, loc, cast<MemRefType>(reduced), buffer, offsets, sizes,
                                   strides);
}

Value affineOf(OpBuilder &b, Location loc, AffineExpr e, Value v) {
  return affine::AffineApplyOp::create(b, loc, AffineMap::get(1, 0, {e}), ValueRange{v});
}

Value offsetBy(OpBuilder &b, Location loc, Value v, int64_t d) {
  return affineOf(b, loc, b.getAffineDimExpr(0) + d, v);
}

/// Scalar code that must sit among the warps' vector ops (staging, waits)
/// is a call to one of these placeholders while the vector code is
/// converted; `expand` builds the real code in its place afterwards.
constexpr llvm::StringLiteral kStageCallee = "stage"; // (k step): issue its tiles
constexpr llvm::StringLiteral kWaitCallee = "wait";   // (): oldest step landed, barrier
constexpr llvm::StringLiteral kDrainCallee = "drain"; // (): all copies landed, barrier
using ExpandFn = function_ref<void(OpBuilder &, StringRef callee, ValueRange args)>;

/// Builds vector code with `body` and converts it to nvgpu ldmatrix/mma.sync
/// right away. Upstream's conversion starts a slice at every elementwise op
/// of the op it is given, scalar index arithmetic included, and fails on
/// those; so the vector code is built alone in a scratch function whose
/// arguments stand for `captured`, converted there, and cloned back, where
/// the placeholder calls are expanded.
LogicalResult buildMMA(OpBuilder &b, Location loc, ValueRange captured,
                       function_ref<void(OpBuilder &, ValueRange)> body, ExpandFn expand) {
  MLIRContext *ctx = b.getContext();
  OwningOpRef<ModuleOp> scratch = ModuleOp::create(loc);
  OpBuilder mb = OpBuilder::atBlockBegin(scratch->getBody());
  auto declare = [&](StringRef name, TypeRange args) {
    func::FuncOp::create(mb, loc, name, FunctionType::get(ctx, args, {})).setPrivate();
  };
  declare(kStageCallee, {b.getIndexType()});
  declare(kWaitCallee, {});
  declare(kDrainCallee, {});
  auto fn = func::FuncOp::create(mb, loc, "mma",
                                 FunctionType::get(ctx, TypeRange(captured), {}));
  Block *entry = fn.addEntryBlock();
  OpBuilder fb = OpBuilder::atBlockBegin(entry);
  body(fb, entry->getArguments());
  func::ReturnOp::create(fb, loc);
  RewritePatternSet patterns(ctx);
  populatePrepareVectorToMMAPatterns(patterns, /*useNvGpu=*/true);
  if (failed(applyPatternsGreedily(fn, std::move(patterns))))
    return failure();
  IRRewriter rewriter(ctx);
  if (failed(convertVectorToNVVMCompatibleMMASync(rewriter, fn)))
    return failure();
  bool converted = false, hasContract = false;
  fn.walk([&](nvgpu::MmaSyncOp) { converted = true; });
  fn.walk([&](vector::ContractionOp) { hasContract = true; });
  if (hasContract && !converted)
    return emitError(loc, "tensor-core kernel: the contractions did not become mma.sync");
  // The conversion leaves the original vector values behind, dead (reads
  // feeding dead contractions among them: the shared-memory swizzle accepts
  // no transfer_read on the buffers).
  for (bool erased = true; erased;) {
    erased = false;
    SmallVector<Operation *> dead;
    fn.walk([&](Operation *op) {
      if (isa<vector::ContractionOp, vector::TransferReadOp>(op) && op->use_empty())
        dead.push_back(op);
    });
    for (Operation *op : dead)
      op->erase();
    erased = !dead.empty();
  }
  IRMapping map;
  for (auto [arg, v] : llvm::zip(entry->getArguments(), captured))
    map.map(arg, v);
  SmallVector<Operation *> cloned;
  for (Operation &op : entry->without_terminator())
    cloned.push_back(b.clone(op, map));
  SmallVector<func::CallOp> calls;
  for (Operation *op : cloned)
    op->walk([&](func::CallOp call) { calls.push_back(call); });
  for (func::CallOp call : calls) {
    OpBuilder sb(call);
    expand(sb, call.getCallee(), call.getOperands());
    call.erase();
  }
  return success();
}

/// The tensor map TMA reads the row-major [rows, cols] int8 matrix `flat`
/// (a 1-D view) through, in boxes of `boxRows` rows x 128 bytes with the
/// 128-byte swizzle and zeros out of bounds, as the memref<128xi8> the
/// kernel takes: the 128-byte CUtensorMap in device memory. The
/// nvgpu.tma.create.descriptor op names the matrix and the box; the bundle
/// writer turns it into a tensor map the runtime encodes once per session
/// (docs/bundle-format.md), so the cast to memref<128xi8> never runs.
Value tensorMapOf(OpBuilder &b, Location loc, Value flat, int64_t rows, int64_t cols,
                  int64_t boxRows) {
  MLIRContext *ctx = b.getContext();
  Type i8 = b.getI8Type();
  Value matrix = memref::ExpandShapeOp::create(b, loc, MemRefType::get({rows, cols}, i8), flat,
                                               SmallVector<ReassociationIndices>{{0, 1}});
  Value unranked =
      memref::CastOp::create(b, loc, UnrankedMemRefType::get(i8, Attribute()), matrix);
  auto workgroup = gpu::AddressSpaceAttr::get(ctx, gpu::AddressSpace::Workgroup);
  auto type = nvgpu::TensorMapDescriptorType::get(
      ctx, MemRefType::get({boxRows, 128}, i8, MemRefLayoutAttrInterface{}, workgroup),
      nvgpu::TensorMapSwizzleKind::SWIZZLE_128B, nvgpu::TensorMapL2PromoKind::L2PROMO_NONE,
      nvgpu::TensorMapOOBKind::OOB_ZERO, nvgpu::TensorMapInterleaveKind::INTERLEAVE_NONE);
  Value descriptor = nvgpu::TmaCreateDescriptorOp::create(
      b, loc, type, unranked, ValueRange{cI(b, loc, boxRows), cI(b, loc, 128)});
  return UnrealizedConversionCastOp::create(b, loc, MemRefType::get({128}, i8), descriptor)
      .getResult(0);
}

struct Geometry {
  int64_t n, cin, h, w, cout, kh, kw, oh, ow, sh, sw, dh, dw, ph, pw;
  int64_t P() const { return n * oh * ow; }
  int64_t K() const { return cin * kh * kw; }
};

} // namespace

//===----------------------------------------------------------------------===//
// Tile shapes
//===----------------------------------------------------------------------===//

std::string qopt::lowering::TileConfig::str() const {
  return llvm::formatv("{0}x{1}x{2}/{3}x{4}/{5}{6}", bm, bn, bk, wm, wn, stages,
                       wgmma ? " (wgmma)" : "")
      .str();
}

std::optional<std::string> qopt::lowering::TileConfig::invalid() const {
  auto pow2 = [](int64_t v) { return v > 0 && (v & (v - 1)) == 0; };
  if (wgmma) {
    if (!(bm == 64 || bm == 128 || bm == 256) || wm != 64 || wn != bn)
      return "wgmma tiles are 64, 128 or 256 rows of warpgroups of 64 x BN (WMxWN = 64xBN)";
    if (!(bn == 64 || bn == 128 || bn == 256) || !(bk == 32 || bk == 64 || bk == 128))
      return "wgmma tiles are 64, 128 or 256 columns wide with K steps of 32, 64 or 128 "
             "(128: TMA and the 128-byte swizzle)";
    if (stages < 2 || stages > 6)
      return "2 to 6 stages";
    if (sharedBytes() + 16 > kMaxSharedBytesSm90)
      return "more than 227 KiB of shared memory (the limit of sm_90)";
    return std::nullopt;
  }
  if (!pow2(bm) || !pow2(bn) || !pow2(wm) || !pow2(wn) || !(bk == 32 || bk == 64))
    return "tile sizes must be powers of two and K step 32 or 64";
  if (wm < 16 || wn < 8 || bm % wm || bn % wn || wm > 64 || wn > 64)
    return "warp tiles must be 16..64 x 8..64 and divide the block tile";
  if (stages < 2 || stages > 6)
    return "2 to 6 stages";
  if (threads() < 64 || threads() > 512)
    return "2 to 16 warps per block";
  // The NVVM lowering declares the dynamic buffer as a static shared byte
  // (aligned to 16), which counts against the same per-block limit.
  if (sharedBytes() + 16 > kMaxSharedBytes)
    return "more than 99 KiB of shared memory (the limit of sm_86 and sm_89)";
  return std::nullopt;
}

FailureOr<TileConfig> qopt::lowering::parseTileConfig(StringRef text, std::string *why,
                                                      bool wgmma) {
  TileConfig t;
  t.wgmma = wgmma;
  StringRef s = text.trim();
  auto num = [&](StringRef sep, int64_t &v) {
    StringRef head;
    std::tie(head, s) = s.split(sep);
    return !head.getAsInteger(10, v);
  };
  if (!num("x", t.bm) || !num("x", t.bn) || !num("/", t.bk) || !num("x", t.wm) ||
      !num("/", t.wn) || s.getAsInteger(10, t.stages)) {
    *why = "expected BMxBNxBK/WMxWN/STAGES, e.g. 128x128x64/64x32/3";
    return failure();
  }
  if (std::optional<std::string> bad = t.invalid()) {
    *why = *bad;
    return failure();
  }
  return t;
}

TileConfig qopt::lowering::chooseTileConfig(int64_t m, int64_t p, int64_t k, bool contiguousX) {
  // A 128x128 tile loads each staged byte into 128 products, twice the
  // reuse of 64x64; it pays while there are enough such tiles to fill the
  // chip (132 SMs on an H100, 108 on an A100).
  constexpr int64_t kSMs = 132;
  auto tiles = [&](int64_t bm, int64_t bn) { return ((m + bm - 1) / bm) * ((p + bn - 1) / bn); };
  if (contiguousX) {
    // Both operands by 16-byte cp.async: few live addresses per thread, so
    // the large tile with K steps of 64 fits 128 registers at 8 warps.
    if (m >= 128 && tiles(128, 128) >= kSMs)
      return {128, 128, 64, 64, 32, 3};
    if (tiles(64, 128) >= kSMs)
      return {64, 128, 64, 32, 32, 3};
    return {64, 64, 64, 32, 16, 3};
  }
  // The im2col gather goes byte by byte and LLVM keeps each byte's address
  // live across the K loop: 32 bytes per thread and step is what fits
  // without spills (a 128x128 tile or K steps of 64 spill), and the small
  // tile keeps 2 stages for the same reason.
  if (m >= 64 && tiles(64, 128) >= kSMs)
    return {64, 128, 32, 32, 32, 3};
  return {64, 64, 32, 32, 16, 2};
}

LogicalResult qopt::lowering::readTileFile(StringRef path, bool wgmma, TileChoice &choice,
                                           std::string *why) {
  auto buffer = llvm::MemoryBuffer::getFile(path);
  if (!buffer) {
    *why = "cannot read it: " + buffer.getError().message();
    return failure();
  }
  llvm::Expected<llvm::json::Value> json = llvm::json::parse((*buffer)->getBuffer());
  if (!json) {
    *why = "not JSON: " + llvm::toString(json.takeError());
    return failure();
  }
  const llvm::json::Object *root = json->getAsObject();
  const llvm::json::Object *tiles = root ? root->getObject("tiles") : nullptr;
  if (!tiles) {
    *why = "expected {\"tiles\": {\"MxPxK\": \"BMxBNxBK/WMxWN/S\", ...}}";
    return failure();
  }
  for (const auto &[key, value] : *tiles) {
    int64_t m, p, k;
    StringRef rest = key;
    auto num = [&](int64_t &v, bool last) {
      StringRef head;
      std::tie(head, rest) = last ? std::make_pair(rest, StringRef()) : rest.split('x');
      return !head.getAsInteger(10, v) && v > 0;
    };
    if (!num(m, false) || !num(p, false) || !num(k, true)) {
      *why = "key '" + key.str() + "' is not MxPxK (output channels x pixels x taps)";
      return failure();
    }
    std::optional<StringRef> text = value.getAsString();
    if (!text) {
      *why = "the tile of '" + key.str() + "' is not a string";
      return failure();
    }
    std::string bad;
    FailureOr<TileConfig> t = parseTileConfig(*text, &bad, wgmma);
    if (failed(t)) {
      *why = "the tile '" + text->str() + "' of '" + key.str() + "': " + bad;
      return failure();
    }
    choice.byShape[key] = *t;
  }
  choice.file = path.str();
  return success();
}

TileConfig qopt::lowering::chooseWgmmaTileConfig(int64_t m, int64_t p, bool contiguousX) {
  // Two warpgroups of m64n128 where there are 128 channels, one otherwise;
  // 4 stages keep two steps in flight while one is multiplied and the
  // wgmma of the one before still reads its stage. A byte-wise gather keeps its addresses
  // live, and one warpgroup (128 threads) stages a whole tile: 64x64 with K
  // steps of 32 and 3 stages is what fits 168 registers without spills.
  TileConfig t;
  t.wgmma = true;
  t.bm = m >= 128 && contiguousX ? 128 : 64;
  t.bn = p <= 64 || !contiguousX ? 64 : 128;
  // Contiguous operands take K steps of 128 bytes: the 128-byte swizzle,
  // TMA for every [rows, K] matrix, half the barriers per K of 64-byte
  // steps (4 stages of 128x128: 128 KiB).
  t.bk = contiguousX ? 128 : 32;
  t.wm = 64;
  t.wn = t.bn;
  t.stages = contiguousX ? 4 : 3;
  return t;
}

namespace {

/// The kernel of one conv: the GPU form (gpu.launch, dynamic shared memory,
/// cp.async, barriers, mma.sync), and the same tile algorithm as host loops
/// for checking it on the CPU (`emitHost`): staging (in the same software
/// pipeline order) and epilogue are the same code, run per thread id by a
/// loop instead of by threads, and each warp's product is scalar loops
/// instead of mma.sync (whose fragment layouts upstream's conversion owns).
struct TileKernel {
  Location loc;
  Geometry g;
  TileConfig t;
  int32_t zx;
  Requant out;
  /// x and the [Cout, K] weights as 1-D views; multipliers, shifts, offsets
  /// per channel; the output ([P, Cout] when yRows, else NCHW).
  Value xFlat, wFlat, multT, shiftT, offT, y;
  /// How x is read: the rows of a gemm's [P, K] activation matrix (the rows
  /// are the "pixels"), or im2col of an NCHW input (K in (ci, ky, kx)
  /// order) or of an NHWC one (K in (ky, kx, ci) order, W permuted to
  /// match).
  enum class XForm { Rows, NCHW, NHWC } x = XForm::NCHW;
  /// y is the [P, Cout] matrix (a gemm's result, an NHWC conv's output)
  /// rather than NCHW.
  bool yRows = false;
  /// Every global offset the staging computes fits 32 bits.
  bool narrow = true;
  /// Elementwise ops run in the epilogue (FusedEpilogue), in order: each
  /// one's scalar form and the operands it reads elementwise (memrefs with
  /// their logical shapes and layouts; null for the chain's value).
  struct EpilogueOp {
    ScalarForm form;
    SmallVector<Value> operands;
    SmallVector<SmallVector<int64_t>> shapes;
    SmallVector<DimOrder> orders;
  };
  std::vector<EpilogueOp> chain = {};
  /// The logical dimensions a row index of a Rows kernel flattens (a
  /// matmul's batch dimensions and M); empty when a row is one index.
  SmallVector<int64_t> rowShape = {};
  /// Independent GEMMs in one launch (grid z; a batched matmul's): GEMM b
  /// reads x from b * P * K on, W from b * M * K on, and writes rows b * P
  /// on of y. Their zero-point corrections are known only at run time:
  /// offT holds batches * M entries, and rowOffT (where B has a zero
  /// point) batches * P more, one per row.
  int64_t batches = 1;
  Value rowOffT = {};
  /// The tensor maps of the operands TMA loads (tmaW(), tmaX()): host
  /// memref<128xi8> values standing for the 128-byte CUtensorMap the runtime
  /// encodes in device memory (see tensorMapOf); null otherwise.
  Value wMap = {}, xMap = {};

  int64_t M() const { return g.cout; }
  int64_t P() const { return g.P(); }
  int64_t K() const { return g.K(); }
  int64_t kSteps() const { return (K() + t.bk - 1) / t.bk; }
  /// Rows of W, and rows of A for a gemm, are contiguous along K: with K a
  /// multiple of 16 every 16-byte chunk of a tile row is one aligned copy
  /// (buffers and weights are 256-byte aligned in the arena and bundle).
  /// An NHWC input with Cin a multiple of 16 makes every 16-byte chunk of an
  /// im2col row one tap's channels: one copy too, or 16 zero points in the
  /// padding.
  bool vectorW() const { return K() % 16 == 0; }
  bool vectorX() const { return (x == XForm::Rows && K() % 16 == 0) || tapMajorK(); }
  /// K in (ky, kx, ci) order, W as [Cout, KH, KW, Cin]: only the chunked
  /// NHWC gather needs it; a byte-wise gather takes (ci, ky, kx) in either
  /// layout, so the weights keep the program's order.
  bool tapMajorK() const { return x == XForm::NHWC && g.cin % 16 == 0; }
  /// im2col(X) is X itself, a row-major [P, K] matrix: a gemm's rows, or
  /// the NHWC input of a 1x1, stride-1 conv without padding.
  bool xIsMatrix() const {
    return x == XForm::Rows ||
           (x == XForm::NHWC && g.kh == 1 && g.kw == 1 && g.sh == 1 && g.sw == 1 &&
            g.ph == 0 && g.pw == 0 && g.oh == g.h && g.ow == g.w);
  }
  /// Operands that TMA loads (sm_90a, K steps of 128 bytes): row-major
  /// [rows, K] matrices whose row pitch K is a multiple of 16 bytes, as a
  /// tensor map requires. The others are staged by the threads.
  bool tmaW() const { return t.swizzle128() && vectorW(); }
  bool tmaX() const { return t.swizzle128() && xIsMatrix() && K() % 16 == 0; }
  bool threadsStage() const { return !(tmaW() && tmaX()); }

  struct Coords {
    Value p0, m0, wmRow, wnRow;
    Value batch; // null for one GEMM
  };
  /// Tile origin and the warp's rows from the block ids and the thread id.
  /// Rebuilt where used rather than hoisted: see buildMMA.
  Coords coords(OpBuilder &b, Value bx, Value by, Value tid, Value bz = {}) const {
    Coords c;
    c.batch = batches > 1 ? bz : Value();
    c.p0 = arith::MulIOp::create(b, loc, bx, cI(b, loc, t.bn));
    c.m0 = arith::MulIOp::create(b, loc, by, cI(b, loc, t.bm));
    // Warps row-major over the tile; affine.apply, like the index arithmetic
    // upstream's own pipelines hand to vector-to-nvgpu.
    AffineExpr d = b.getAffineDimExpr(0);
    int64_t unit = 32 * t.warpsPerUnit();
    c.wmRow = affineOf(b, loc, d.floorDiv(unit * t.warpsN()) * t.wm, tid);
    c.wnRow = affineOf(b, loc, (d.floorDiv(unit) % t.warpsN()) * t.wn, tid);
    return c;
  }

  /// Runs `one` for the items e = i * threads + tid < items (a guard only
  /// where the items do not divide evenly among the threads).
  void perThread(OpBuilder &b, Value tid, int64_t items,
                 function_ref<void(OpBuilder &, Value e)> one) const {
    int64_t rounds = (items + t.threads() - 1) / t.threads();
    auto loop = scf::ForOp::create(b, loc, cI(b, loc, 0), cI(b, loc, rounds), cI(b, loc, 1));
    OpBuilder sb = OpBuilder::atBlockBegin(loop.getBody());
    Value e = arith::AddIOp::create(
        sb, loc, arith::MulIOp::create(sb, loc, loop.getInductionVar(), cI(sb, loc, t.threads())),
        tid);
    if (items % t.threads() == 0)
      return one(sb, e);
    Value inRange =
        arith::CmpIOp::create(sb, loc, arith::CmpIPredicate::ult, e, cI(sb, loc, items));
    auto guard = scf::IfOp::create(sb, loc, inRange, /*withElseRegion=*/false);
    OpBuilder gb = guard.getThenBodyBuilder();
    one(gb, e);
  }

  /// Staging addresses in 32-bit arithmetic where every offset fits: each
  /// thread keeps several of them live across the K loop (LLVM hoists their
  /// invariant parts), and 64-bit ones cost two registers each and a
  /// multi-instruction division. `narrow` is decided once per kernel.
  struct Offsets {
    OpBuilder &b;
    Location loc;
    Type type;
    Value c(int64_t v) const { return arith::ConstantIntOp::create(b, loc, type, v); }
    Value of(Value index) const { return arith::IndexCastUIOp::create(b, loc, type, index); }
    Value index(Value v) const {
      return arith::IndexCastUIOp::create(b, loc, b.getIndexType(), v);
    }
    Value add(Value x, Value y) const { return arith::AddIOp::create(b, loc, x, y); }
    Value sub(Value x, Value y) const { return arith::SubIOp::create(b, loc, x, y); }
    Value mul(Value x, int64_t y) const { return arith::MulIOp::create(b, loc, x, c(y)); }
    Value div(Value x, int64_t y) const { return arith::DivUIOp::create(b, loc, x, c(y)); }
    Value rem(Value x, int64_t y) const { return arith::RemUIOp::create(b, loc, x, c(y)); }
    Value lt(Value x, int64_t y) const {
      return arith::CmpIOp::create(b, loc, arith::CmpIPredicate::ult, x, c(y));
    }
    Value inRange(Value x, int64_t hi) const { // 0 <= x < hi, x signed
      return arith::AndIOp::create(
          b, loc, arith::CmpIOp::create(b, loc, arith::CmpIPredicate::sge, x, c(0)),
          arith::CmpIOp::create(b, loc, arith::CmpIPredicate::slt, x, c(hi)));
    }
  };
  Offsets offsets(OpBuilder &b) const {
    return {b, loc, narrow ? Type(b.getI32Type()) : Type(b.getI64Type())};
  }

  /// Copies the 16 bytes at flat offset `off` of `src` to dst[stage, r,
  /// c..c+15], or 16 zeros where !ok: one cp.async (L2 only, zero-filled by
  /// its source size) on the GPU, a byte loop on the host. Out of range, the
  /// source offset is 0 so that no address leaves the buffer.
  /// Where `pad` (an im2col chunk in the conv's padding) holds, the 16
  /// bytes are the input zero point instead: plain shared stores, as
  /// cp.async can only fill zeros.
  void copy16(OpBuilder &b, bool gpu, Value src, Value off, Value ok, Value dst, Value stage,
              Value r, Value c, Value pad = {}) const {
    Body s{b, loc};
    Offsets o = offsets(b);
    Value at = o.index(s.select(ok, off, o.c(0)));
    Type i8 = b.getI8Type();
    if (gpu) {
      auto copy = [&](OpBuilder &cb) {
        Value bytes = Body{cb, loc}.select(ok, cI(cb, loc, 16), cI(cb, loc, 0));
        nvgpu::DeviceAsyncCopyOp::create(cb, loc, dst, stageIndex(cb, stage, r, c), src,
                                         ValueRange{at}, cb.getIndexAttr(16), bytes,
                                         cb.getUnitAttr());
      };
      if (!pad || zx == 0)
        return copy(b);
      auto branch = scf::IfOp::create(b, loc, pad, /*withElseRegion=*/true);
      OpBuilder tb = branch.getThenBodyBuilder();
      auto v16 = VectorType::get({16}, i8);
      Value z = arith::ConstantOp::create(tb, loc, DenseElementsAttr::get(v16, APInt(8, zx)));
      vector::StoreOp::create(tb, loc, z, dst, stageIndex(tb, stage, r, c));
      OpBuilder eb = branch.getElseBodyBuilder();
      copy(eb);
      return;
    }
    auto loop = scf::ForOp::create(b, loc, cI(b, loc, 0), cI(b, loc, 16), cI(b, loc, 1));
    OpBuilder lb = OpBuilder::atBlockBegin(loop.getBody());
    Body l{lb, loc};
    Value j = loop.getInductionVar();
    Value v = memref::LoadOp::create(lb, loc, src, ValueRange{arith::AddIOp::create(lb, loc, at, j)});
    v = l.select(ok, v, l.intConst(i8, 0));
    if (pad)
      v = l.select(pad, l.intConst(i8, zx), v);
    memref::StoreOp::create(lb, loc, v, dst,
                            stageIndex(lb, stage, r, arith::AddIOp::create(lb, loc, c, j)));
  }

  /// The input element of im2col row p (an output pixel) and column k, both
  /// already clamped into range: its flat offset in x and whether it lies
  /// inside the input (else it is padding).
  std::pair<Value, Value> im2colTap(const Offsets &o, Body &s, Value p, Value k) const {
    Value n = o.div(p, g.oh * g.ow), rem = o.rem(p, g.oh * g.ow);
    Value oh = o.div(rem, g.ow), ow = o.rem(rem, g.ow);
    Value ci, tap;
    if (tapMajorK()) {
      tap = o.div(k, g.cin);
      ci = o.rem(k, g.cin);
    } else {
      ci = o.div(k, g.kh * g.kw);
      tap = o.rem(k, g.kh * g.kw);
    }
    Value ky = o.div(tap, g.kw), kx = o.rem(tap, g.kw);
    Value ih = o.sub(o.add(o.mul(oh, g.sh), o.mul(ky, g.dh)), o.c(g.ph));
    Value iw = o.sub(o.add(o.mul(ow, g.sw), o.mul(kx, g.dw)), o.c(g.pw));
    Value inside = s.andi(o.inRange(ih, g.h), o.inRange(iw, g.w));
    Value off = x == XForm::NHWC
                    ? o.add(o.mul(o.add(o.mul(o.add(o.mul(n, g.h), ih), g.w), iw), g.cin), ci)
                    : o.add(o.mul(o.add(o.mul(o.add(o.mul(n, g.cin), ci), g.h), ih), g.w), iw);
    return {off, inside};
  }

  /// One thread's share of issuing K step `ks` into stage ks mod S: the
  /// bm x bk tile of W and the bn x bk tile of im2col(X) (pixel-major, K
  /// contiguous). Contiguous rows go as 16-byte copies, consecutive threads
  /// on consecutive chunks; the im2col gather byte by byte, consecutive
  /// threads on consecutive pixels (coalesced along the input row). Steps
  /// past K stage zeros (the pipeline's tail issues them). Global memory is
  /// addressed through the flat views xFlat and wFlat.
  void stage(OpBuilder &b, bool gpu, Value tid, Value p0, Value m0, Value batch, Value ks,
             Value sA, Value sB) const {
    Type i8 = b.getI8Type();
    Value buf = arith::RemUIOp::create(b, loc, ks, cI(b, loc, t.stages));
    const int64_t chunksPerRow = t.bk / 16;
    // Where a batch's [rows, K] matrix starts (batches of `size` bytes).
    auto batchBase = [&](const Offsets &o, int64_t size) -> Value {
      return batch ? o.mul(o.of(batch), size) : o.c(0);
    };
    // A row-major [rows, K] operand (W, or A of a gemm) as 16-byte copies;
    // rows past `limit` read zeros. With `tmaBox`, what a TMA box of the
    // [batches * limit, K] matrix holds instead (the host's emulation of
    // issueTma): the rows from batch * limit + r0 on, zeros past the last
    // row, so a batch's tile may read the next batch's first rows.
    auto vectorTile = [&](Value src, Value dst, Value r0, int64_t rows, int64_t limit,
                          bool tmaBox = false) {
      perThread(b, tid, rows * chunksPerRow, [&](OpBuilder &sb, Value e) {
        Body s{sb, loc};
        Offsets o = offsets(sb);
        Value r = arith::DivUIOp::create(sb, loc, e, cI(sb, loc, chunksPerRow));
        Value c = arith::MulIOp::create(
            sb, loc, arith::RemUIOp::create(sb, loc, e, cI(sb, loc, chunksPerRow)),
            cI(sb, loc, 16));
        Value row = o.add(o.of(r0), o.of(r));
        Value first = batchBase(o, tmaBox ? limit : limit * K());
        if (tmaBox)
          row = o.add(first, row);
        Value k = o.add(o.mul(o.of(ks), t.bk), o.of(c));
        Value ok = s.andi(o.lt(row, tmaBox ? batches * limit : limit), o.lt(k, K()));
        Value off = o.add(o.mul(row, K()), k);
        copy16(sb, gpu, src, tmaBox ? off : o.add(first, off), ok, dst, buf, r, c);
      });
    };
    // The same operand byte by byte where K is no multiple of 16:
    // consecutive threads on consecutive k, so reads still coalesce.
    auto byteTile = [&](Value src, Value dst, Value r0, int64_t rows, int64_t limit) {
      perThread(b, tid, rows * t.bk, [&](OpBuilder &sb, Value e) {
        Body s{sb, loc};
        Offsets o = offsets(sb);
        Value r = arith::DivUIOp::create(sb, loc, e, cI(sb, loc, t.bk));
        Value c = arith::RemUIOp::create(sb, loc, e, cI(sb, loc, t.bk));
        Value row = o.add(o.of(r0), o.of(r));
        Value k = o.add(o.mul(o.of(ks), t.bk), o.of(c));
        Value ok = s.andi(o.lt(row, limit), o.lt(k, K()));
        Value off = s.select(
            ok, o.add(batchBase(o, limit * K()), o.add(o.mul(row, K()), k)), o.c(0));
        Value v = memref::LoadOp::create(sb, loc, src, ValueRange{o.index(off)});
        v = s.select(ok, v, s.intConst(i8, 0));
        memref::StoreOp::create(sb, loc, v, dst, stageIndex(sb, buf, r, c));
      });
    };
    // A TMA operand: thread 0 issues its box on the GPU (issueTma).
    auto tmaTile = [&](Value src, Value dst, Value r0, int64_t rows, int64_t limit) {
      if (!gpu)
        vectorTile(src, dst, r0, rows, limit, /*tmaBox=*/true);
    };
    if (tmaW())
      tmaTile(wFlat, sA, m0, t.bm, M());
    else if (vectorW())
      vectorTile(wFlat, sA, m0, t.bm, M());
    else
      byteTile(wFlat, sA, m0, t.bm, M());
    if (tmaX())
      return tmaTile(xFlat, sB, p0, t.bn, P());
    if (x == XForm::Rows) {
      // Rows of the activation matrix: no padding; past P or K reads 0.
      if (vectorX())
        vectorTile(xFlat, sB, p0, t.bn, P());
      else
        byteTile(xFlat, sB, p0, t.bn, P());
      return;
    }
    if (vectorX()) {
      // NHWC im2col rows in 16-byte chunks, each one tap's channels:
      // consecutive threads on consecutive chunks of a pixel.
      perThread(b, tid, t.bn * chunksPerRow, [&](OpBuilder &sb, Value e) {
        Body s{sb, loc};
        Offsets o = offsets(sb);
        Value r = arith::DivUIOp::create(sb, loc, e, cI(sb, loc, chunksPerRow));
        Value c = arith::MulIOp::create(
            sb, loc, arith::RemUIOp::create(sb, loc, e, cI(sb, loc, chunksPerRow)),
            cI(sb, loc, 16));
        Value p = o.add(o.of(p0), o.of(r));
        Value k = o.add(o.mul(o.of(ks), t.bk), o.of(c));
        Value inRange = s.andi(o.lt(p, P()), o.lt(k, K()));
        auto [off, inside] = im2colTap(o, s, s.select(inRange, p, o.c(0)),
                                       s.select(inRange, k, o.c(0)));
        Value pad = s.andi(inRange, arith::XOrIOp::create(
                                        sb, loc, inside, s.intConst(sb.getI1Type(), 1)));
        copy16(sb, gpu, xFlat, off, s.andi(inRange, inside), sB, buf, r, c, pad);
      });
      return;
    }
    // Byte by byte: consecutive threads on consecutive pixels of an NCHW
    // input (coalesced along its rows), on consecutive k (channels) of an
    // NHWC one.
    perThread(b, tid, t.bn * t.bk, [&](OpBuilder &sb, Value e) {
      Body s{sb, loc};
      Offsets o = offsets(sb);
      bool nhwc = x == XForm::NHWC;
      Value r = nhwc ? arith::DivUIOp::create(sb, loc, e, cI(sb, loc, t.bk)).getResult()
                     : arith::RemUIOp::create(sb, loc, e, cI(sb, loc, t.bn)).getResult();
      Value c = nhwc ? arith::RemUIOp::create(sb, loc, e, cI(sb, loc, t.bk)).getResult()
                     : arith::DivUIOp::create(sb, loc, e, cI(sb, loc, t.bn)).getResult();
      Value p = o.add(o.of(p0), o.of(r));
      Value k = o.add(o.mul(o.of(ks), t.bk), o.of(c));
      Value pOk = o.lt(p, P()), kOk = o.lt(k, K());
      auto [off, inside] = im2colTap(o, s, s.select(pOk, p, o.c(0)), s.select(kOk, k, o.c(0)));
      Value v = memref::LoadOp::create(sb, loc, xFlat,
                                       ValueRange{o.index(s.select(inside, off, o.c(0)))});
      // Padding is the real 0, i.e. the zero point; columns past P or K are
      // multiplied by W = 0 or never stored.
      v = s.select(inside, v, s.intConst(i8, zx));
      v = s.select(s.andi(pOk, kOk), v, s.intConst(i8, 0));
      memref::StoreOp::create(sb, loc, v, sB, stageIndex(sb, buf, r, c));
    });
  }

  /// One thread's share of the epilogue: C tile + offset, requantized with
  /// the per-channel scale, stored to y. Consecutive threads take
  /// consecutive pixels of an NCHW output and consecutive channels of a
  /// [P, Cout] one, so that the stores coalesce.
  void epilogue(OpBuilder &b, Value tid, Value p0, Value m0, Value batch, Value sC) const {
    perThread(b, tid, t.bm * t.bn, [&](OpBuilder &eb, Value e) {
      Body s{eb, loc};
      Value r, c;
      if (yRows) {
        r = arith::RemUIOp::create(eb, loc, e, cI(eb, loc, t.bm));
        c = arith::DivUIOp::create(eb, loc, e, cI(eb, loc, t.bm));
      } else {
        r = arith::DivUIOp::create(eb, loc, e, cI(eb, loc, t.bn));
        c = arith::RemUIOp::create(eb, loc, e, cI(eb, loc, t.bn));
      }
      Value m = arith::AddIOp::create(eb, loc, m0, r);
      Value p = arith::AddIOp::create(eb, loc, p0, c);
      Value ok = s.andi(s.cmpi(arith::CmpIPredicate::ult, m, cI(eb, loc, M())),
                        s.cmpi(arith::CmpIPredicate::ult, p, cI(eb, loc, P())));
      auto guard = scf::IfOp::create(eb, loc, ok, /*withElseRegion=*/false);
      OpBuilder gb = guard.getThenBodyBuilder();
      Body q{gb, loc};
      Value accV = memref::LoadOp::create(gb, loc, sC, ValueRange{r, c});
      // The row and channel among all batches' (offT and rowOffT, y).
      Value pAll = p, mAll = m;
      if (batch) {
        auto first = [&](int64_t size) {
          return arith::MulIOp::create(gb, loc, batch, cI(gb, loc, size));
        };
        pAll = arith::AddIOp::create(gb, loc, first(P()), p);
        mAll = arith::AddIOp::create(gb, loc, first(M()), m);
      }
      accV = q.add(accV, memref::LoadOp::create(gb, loc, offT, ValueRange{mAll}));
      if (rowOffT)
        accV = q.add(accV, memref::LoadOp::create(gb, loc, rowOffT, ValueRange{pAll}));
      Value v = q.requantize(accV,
                             memref::LoadOp::create(gb, loc, multT, ValueRange{m}),
                             memref::LoadOp::create(gb, loc, shiftT, ValueRange{m}), out);
      // The element's logical (qnn) indices: [p, m] for a gemm, [batch...,
      // row, m] for a matmul, NCHW for a conv.
      SmallVector<Value> logical{pAll, m};
      if (x == XForm::Rows && rowShape.size() > 1 && !chain.empty()) {
        logical.clear();
        int64_t stride = 1;
        for (int64_t size : llvm::reverse(rowShape)) {
          Value outer = stride == 1
                            ? pAll
                            : arith::DivUIOp::create(gb, loc, pAll, cI(gb, loc, stride));
          logical.insert(logical.begin(),
                         arith::RemUIOp::create(gb, loc, outer, cI(gb, loc, size)));
          stride *= size;
        }
        logical.push_back(m);
      }
      if (x != XForm::Rows && (!yRows || !chain.empty())) {
        Value n = arith::DivUIOp::create(gb, loc, p, cI(gb, loc, g.oh * g.ow));
        Value rem = arith::RemUIOp::create(gb, loc, p, cI(gb, loc, g.oh * g.ow));
        Value oh = arith::DivUIOp::create(gb, loc, rem, cI(gb, loc, g.ow));
        Value ow = arith::RemUIOp::create(gb, loc, rem, cI(gb, loc, g.ow));
        logical = {n, m, oh, ow};
      }
      // The fused ops, on the contraction's requantized output as the
      // reference would have stored it.
      for (const EpilogueOp &e : chain) {
        SmallVector<Value> args;
        for (unsigned i : e.form.operands) {
          if (!e.operands[i]) {
            args.push_back(v);
            continue;
          }
          // Broadcast (NumPy rules, right-aligned), then the operand's order.
          ArrayRef<int64_t> shape = e.shapes[i];
          size_t lead = logical.size() - shape.size();
          SmallVector<Value> idx;
          for (auto [d, size] : llvm::enumerate(shape))
            idx.push_back(size == 1 ? cI(gb, loc, 0) : logical[lead + d]);
          if (!e.orders[i].empty()) {
            SmallVector<Value> physical;
            for (int64_t d : e.orders[i])
              physical.push_back(idx[d]);
            idx = std::move(physical);
          }
          args.push_back(memref::LoadOp::create(gb, loc, e.operands[i], idx));
        }
        v = e.form.fn(q, logical, args);
      }
      SmallVector<Value> at = yRows ? SmallVector<Value>{pAll, m} : logical;
      memref::StoreOp::create(gb, loc, v, y, at);
    });
  }

  /// Where byte (r, k) of a stage's [rows, bk] tile lives. For mma.sync the
  /// tile is row-major (upstream's swizzle permutes it later); for wgmma it
  /// is the no-swizzle K-major layout its descriptors read: groups of 8
  /// rows, each 8 rows x 16 bytes per 16-byte column of K (core matrices),
  /// byte offset (r/8)*8*bk + (k/16)*128 + (r%8)*16 + k%16, i.e. the index
  /// [r/8, k/16, r%8, k%16] of a [rows/8, bk/16, 8, 16] view.
  /// With the 128-byte swizzle a stage is rows of 128 bytes, and the
  /// 16-byte chunk c of row r sits at chunk c ^ (r % 8): byte offset
  /// r*128 + ((k/16) ^ (r%8))*16 + k%16, the layout TMA writes with
  /// CU_TENSOR_MAP_SWIZZLE_128B (index [r, chunk, k%16] of [rows, 8, 16]).
  SmallVector<Value> stageIndex(OpBuilder &b, Value stage, Value r, Value k) const {
    if (!t.wgmma)
      return {stage, r, k};
    AffineExpr d = b.getAffineDimExpr(0);
    if (t.swizzle128()) {
      Value chunk = arith::XOrIOp::create(b, loc, affineOf(b, loc, d.floorDiv(16), k),
                                          affineOf(b, loc, d % 8, r));
      return {stage, r, chunk, affineOf(b, loc, d % 16, k)};
    }
    return {stage, affineOf(b, loc, d.floorDiv(8), r), affineOf(b, loc, d.floorDiv(16), k),
            affineOf(b, loc, d % 8, r), affineOf(b, loc, d % 16, k)};
  }

  MemRefType stagingType(Type i8, int64_t rows, Attribute space) const {
    if (t.swizzle128())
      return MemRefType::get({t.stages, rows, 8, 16}, i8, MemRefLayoutAttrInterface{}, space);
    if (t.wgmma)
      return MemRefType::get({t.stages, rows / 8, t.bk / 16, 8, 16}, i8,
                             MemRefLayoutAttrInterface{}, space);
    return MemRefType::get({t.stages, rows, t.bk}, i8, MemRefLayoutAttrInterface{}, space);
  }
  MemRefType cTileType(Type i32, Attribute space) const {
    return MemRefType::get({t.bm, t.cPitch()}, i32, MemRefLayoutAttrInterface{}, space);
  }

  /// A kernel's launch and its shared memory, common to both instructions:
  /// the grid of tiles, one dynamic buffer carrying the register budget,
  /// and its three views (the stages of both operands, the C tile).
  struct Frame {
    gpu::LaunchOp launch;
    Value dyn, sA, sB, sC;
    /// The shared-window address (i64) where the views start: the dynamic
    /// buffer's, rounded up to 1024 bytes for the 128-byte swizzle.
    Value base;
    Block *body() { return &launch.getBody().front(); }
  };
  Frame openKernel(OpBuilder &b) const {
    MLIRContext *ctx = b.getContext();
    // #gpu.address_space<workgroup>: the vector-to-nvgpu conversion picks
    // ldmatrix only for it (qopt-shared-memory-space turns it into the
    // integer 3 before the NVVM conversions).
    auto workgroup = gpu::AddressSpaceAttr::get(ctx, gpu::AddressSpace::Workgroup);
    Type i8 = b.getI8Type(), i32 = b.getI32Type();
    Value one = cI(b, loc, 1);
    Value smemBytes = arith::ConstantIntOp::create(b, loc, i32, t.sharedBytes());
    Frame f;
    f.launch = gpu::LaunchOp::create(
        b, loc, cI(b, loc, (P() + t.bn - 1) / t.bn), cI(b, loc, (M() + t.bm - 1) / t.bm),
        cI(b, loc, batches), cI(b, loc, t.threads()), one, one, smemBytes);
    OpBuilder kb = OpBuilder::atBlockBegin(f.body());
    auto dynOp = gpu::DynamicSharedMemoryOp::create(
        kb, loc, MemRefType::get({ShapedType::kDynamic}, i8, MemRefLayoutAttrInterface{},
                                 workgroup));
    // The register budget travels with the kernel body through outlining;
    // qopt-shared-memory-space turns it into PTX .maxnreg.
    dynOp->setAttr(kRegisterBudgetAttr, b.getI32IntegerAttr(t.registerBudget()));
    f.dyn = dynOp;
    Type i64 = kb.getI64Type();
    if (t.wgmma)
      f.base = arith::IndexCastUIOp::create(
          kb, loc, i64, memref::ExtractAlignedPointerAsIndexOp::create(kb, loc, f.dyn));
    // TMA's 128-byte swizzle repeats every 1024 bytes and wgmma's descriptors
    // assume it starts there: the views begin at the next multiple of 1024
    // (the launch asks for 1024 bytes more).
    Value shift;
    if (t.swizzle128()) {
      Value pad = arith::AndIOp::create(
          kb, loc,
          arith::SubIOp::create(kb, loc, arith::ConstantIntOp::create(kb, loc, i64, 0), f.base),
          arith::ConstantIntOp::create(kb, loc, i64, 1023));
      f.base = arith::AddIOp::create(kb, loc, f.base, pad);
      shift = arith::IndexCastUIOp::create(kb, loc, kb.getIndexType(), pad);
    }
    auto view = [&](MemRefType type, int64_t offset) -> Value {
      return memref::ViewOp::create(
          kb, loc, type, f.dyn, shift ? offsetBy(kb, loc, shift, offset) : cI(kb, loc, offset),
          ValueRange{});
    };
    f.sA = view(stagingType(i8, t.bm, workgroup), 0);
    f.sB = view(stagingType(i8, t.bn, workgroup), t.stages * t.bm * t.bk);
    f.sC = view(cTileType(i32, workgroup), 0);
    return f;
  }

  /// The GPU kernel. One dynamic shared buffer holds the S stages of both
  /// tiles and, once the K loop is done, the i32 C tile in their place.
  LogicalResult emitGPU(OpBuilder &b) const {
    MLIRContext *ctx = b.getContext();
    Frame f = openKernel(b);
    gpu::LaunchOp launch = f.launch;
    Value sA = f.sA, sB = f.sB, sC = f.sC;
    OpBuilder kb = OpBuilder::atBlockEnd(f.body());
    auto ids = [&](OpBuilder &cb) {
      Value tid = gpu::ThreadIdOp::create(cb, loc, gpu::Dimension::x);
      Value bx = gpu::BlockIdOp::create(cb, loc, gpu::Dimension::x);
      Value by = gpu::BlockIdOp::create(cb, loc, gpu::Dimension::y);
      Value bz = gpu::BlockIdOp::create(cb, loc, gpu::Dimension::z);
      return std::make_pair(tid, coords(cb, bx, by, tid, bz));
    };
    auto expand = [&](OpBuilder &sb, StringRef callee, ValueRange args) {
      if (callee == kStageCallee) {
        auto [tid, c] = ids(sb);
        stage(sb, /*gpu=*/true, tid, c.p0, c.m0, c.batch, args[0], sA, sB);
        NVVM::CpAsyncCommitGroupOp::create(sb, loc);
        return;
      }
      // The oldest of the S-1 steps in flight has landed (this thread's
      // copies), and the barrier makes everyone's visible; it also tells
      // that every warp is done with the stage the next issue overwrites.
      NVVM::CpAsyncWaitGroupOp::create(sb, loc, callee == kWaitCallee ? t.cpAsyncWait() : 0);
      gpu::BarrierOp::create(sb, loc);
    };
    {
      auto [tid, c] = ids(kb);
      if (failed(buildMMA(kb, loc, ValueRange{sA, sB, sC, c.wmRow, c.wnRow},
                          [&](OpBuilder &vb, ValueRange a) { warpLoop(vb, ctx, a); }, expand)))
        return failure();
    }
    gpu::BarrierOp::create(kb, loc);
    auto [tid, c] = ids(kb);
    epilogue(kb, tid, c.p0, c.m0, c.batch, sC);
    gpu::TerminatorOp::create(kb, loc);
    // The warps' ldmatrix reads go through windows (subviews); folded into
    // their indices, the staging buffers are permuted by upstream's XOR
    // swizzle of 16-byte chunks, which makes ldmatrix and cp.async free of
    // bank conflicts.
    // Only the windows' users: the same patterns would also fold the flat
    // global views back into multi-dimensional 64-bit indexing.
    SmallVector<Operation *> windowUsers;
    launch.walk([&](memref::SubViewOp view) {
      for (Operation *user : view->getUsers())
        windowUsers.push_back(user);
    });
    RewritePatternSet fold(ctx);
    memref::populateFoldMemRefAliasOpPatterns(fold);
    GreedyRewriteConfig config;
    config.setStrictness(GreedyRewriteStrictness::ExistingOps);
    (void)applyOpPatternsGreedily(windowUsers, std::move(fold), config);
    bool left = false;
    launch.walk([&](memref::SubViewOp view) {
      if (view->use_empty())
        view->erase();
      else
        left = true;
    });
    if (left)
      return emitError(loc, "tensor-core kernel: a shared-memory window was not folded");
    for (Value buffer : {sA, sB})
      if (failed(nvgpu::optimizeSharedMemoryReadsAndWrites(launch, buffer)))
        return emitError(loc, "tensor-core kernel: the shared-memory swizzle does not apply");
    return success();
  }

  /// The sm_90a kernel: the same staging, pipeline and epilogue, with each
  /// warpgroup's product as wgmma.mma_async m64nNk32 on descriptors of the
  /// stages (no swizzle, K-major: the layout of stageIndex) instead of
  /// ldmatrix + mma.sync. Descriptors, layout and the accumulator fragment
  /// follow ../shared/recipes/wgmma_s8, verified on an H100.
  LogicalResult emitGPUWgmma(OpBuilder &b) const {
    MLIRContext *ctx = b.getContext();
    Type i32 = b.getI32Type(), i64 = b.getI64Type();
    Frame f = openKernel(b);
    Value sA = f.sA, sB = f.sB, sC = f.sC, base = f.base;
    OpBuilder kb = OpBuilder::atBlockEnd(f.body());
    const int64_t aBytes = t.stages * t.bm * t.bk;
    Value tid = gpu::ThreadIdOp::create(kb, loc, gpu::Dimension::x);
    Value bx = gpu::BlockIdOp::create(kb, loc, gpu::Dimension::x);
    Value by = gpu::BlockIdOp::create(kb, loc, gpu::Dimension::y);
    Value bz = gpu::BlockIdOp::create(kb, loc, gpu::Dimension::z);
    Coords c = coords(kb, bx, by, tid, bz);
    auto c64 = [&](OpBuilder &ob, int64_t v) -> Value {
      return arith::ConstantIntOp::create(ob, loc, i64, v);
    };
    auto c32 = [&](OpBuilder &ob, int64_t v) -> Value {
      return arith::ConstantIntOp::create(ob, loc, i32, v);
    };
    auto i32Of = [&](OpBuilder &ob, Value index) -> Value {
      return arith::IndexCastUIOp::create(ob, loc, i32, index);
    };
    auto shared = [&](OpBuilder &ob, Value offset) -> Value { // base + offset as ptr<3>
      return LLVM::IntToPtrOp::create(ob, loc, LLVM::LLVMPointerType::get(ctx, 3),
                                      arith::AddIOp::create(ob, loc, base, offset),
                                      LLVM::DereferenceableAttr());
    };
    // Stage slot of K step `step`, as an i64 byte multiplier.
    auto slotOf = [&](OpBuilder &ob, Value step) -> Value {
      return arith::IndexCastUIOp::create(
          ob, loc, i64, affineOf(ob, loc, ob.getAffineDimExpr(0) % t.stages, step));
    };
    // The full mbarrier of a stage slot: TMA's bytes for the step in it
    // have landed when its phase completes.
    auto fullBarrier = [&](OpBuilder &ob, Value slot) -> Value {
      return shared(ob, arith::AddIOp::create(ob, loc, c64(ob, t.barrierOffset()),
                                              arith::MulIOp::create(ob, loc, slot, c64(ob, 8))));
    };
    const bool tma = tmaW() || tmaX();
    auto mapPointer = [&](OpBuilder &ob, Value map) -> Value {
      return LLVM::IntToPtrOp::create(
          ob, loc, LLVM::LLVMPointerType::get(ctx),
          arith::IndexCastUIOp::create(ob, loc, i64,
                                       memref::ExtractAlignedPointerAsIndexOp::create(ob, loc, map)),
          LLVM::DereferenceableAttr());
    };
    // Thread 0 issues step `step`'s TMA loads, if it is a real step: the
    // full mbarrier of its slot expects their bytes (whole boxes, zeros
    // past the matrix included), and each box lands in its stage.
    auto issueTma = [&](OpBuilder &ob, Value step) {
      if (!tma)
        return;
      Value first = arith::CmpIOp::create(ob, loc, arith::CmpIPredicate::eq, tid, cI(ob, loc, 0));
      Value real = arith::CmpIOp::create(ob, loc, arith::CmpIPredicate::ult, step,
                                            cI(ob, loc, kSteps()));
      auto guard = scf::IfOp::create(ob, loc, arith::AndIOp::create(ob, loc, first, real),
                                     /*withElseRegion=*/false);
      OpBuilder gb = guard.getThenBodyBuilder();
      Value slot = slotOf(gb, step);
      Value bar = fullBarrier(gb, slot);
      int64_t bytes = (tmaW() ? t.bm : 0) * t.bk + (tmaX() ? t.bn : 0) * t.bk;
      NVVM::MBarrierArriveExpectTxOp::create(gb, loc, Type(), bar, c32(gb, bytes),
                                             NVVM::MemScopeKind::CTA, /*relaxed=*/false,
                                             Value());
      Value k0 = i32Of(gb, arith::MulIOp::create(gb, loc, step, cI(gb, loc, t.bk)));
      auto load = [&](Value map, int64_t stageBase, int64_t rows, Value r0, int64_t limit) {
        Value at = arith::AddIOp::create(
            gb, loc, c64(gb, stageBase),
            arith::MulIOp::create(gb, loc, slot, c64(gb, rows * t.bk)));
        Value dst = LLVM::AddrSpaceCastOp::create(
            gb, loc, LLVM::LLVMPointerType::get(ctx, 7), shared(gb, at));
        // Row coordinate in the [batches * limit, K] matrix.
        Value row = c.batch ? arith::AddIOp::create(
                                  gb, loc, arith::MulIOp::create(gb, loc, c.batch, cI(gb, loc, limit)), r0)
                                  .getResult()
                            : r0;
        NVVM::CpAsyncBulkTensorGlobalToSharedClusterOp::create(
            gb, loc, dst, mapPointer(gb, map), ValueRange{k0, i32Of(gb, row)}, bar,
            ValueRange{}, Value(), Value(), NVVM::TMALoadMode::TILE, /*isCTAOnly=*/false,
            NVVM::CTAGroupKindAttr(), Value());
      };
      if (tmaW())
        load(wMap, 0, t.bm, c.m0, M());
      if (tmaX())
        load(xMap, aBytes, t.bn, c.p0, P());
    };
    if (tma) {
      // Thread 0 sets up one mbarrier per stage (one arrival: its own, with
      // the bytes it expects) and acquires the tensor maps, which the host
      // wrote through the generic proxy, for the tensormap proxy.
      Value first = arith::CmpIOp::create(kb, loc, arith::CmpIPredicate::eq, tid, cI(kb, loc, 0));
      auto init = scf::IfOp::create(kb, loc, first, /*withElseRegion=*/false);
      OpBuilder ib = init.getThenBodyBuilder();
      for (int64_t s = 0; s < t.stages; ++s)
        NVVM::MBarrierInitOp::create(ib, loc, fullBarrier(ib, c64(ib, s)), c32(ib, 1), Value());
      NVVM::FenceMbarrierInitOp::create(ib, loc);
      for (Value map : {wMap, xMap})
        if (map)
          NVVM::FenceProxyAcquireOp::create(ib, loc, NVVM::MemScopeKind::SYS,
                                            mapPointer(ib, map), c32(ib, 128));
      gpu::BarrierOp::create(kb, loc);
    }
    for (int64_t s = 0; s < t.prefetch(); ++s) {
      if (threadsStage()) {
        stage(kb, /*gpu=*/true, tid, c.p0, c.m0, c.batch, cI(kb, loc, s), sA, sB);
        NVVM::CpAsyncCommitGroupOp::create(kb, loc);
      }
      issueTma(kb, cI(kb, loc, s));
    }
    // Descriptor: ((address & 0x3FFFF) >> 4) | (LBO >> 4) << 16 | (SBO >> 4) << 32
    // | swizzle << 62. No swizzle: LBO = 128 (the next 16 bytes of K), SBO =
    // 8 * bk (the next 8 rows). 128-byte swizzle: LBO unused (1), SBO = 1024
    // (8 rows of 128 bytes), swizzle mode 1.
    const uint64_t fixedBits =
        t.swizzle128()
            ? (uint64_t(1) << 16) | (uint64_t(1024 >> 4) << 32) | (uint64_t(1) << 62)
            : (uint64_t(128 >> 4) << 16) | (uint64_t((8 * t.bk) >> 4) << 32);
    auto descriptor = [&](OpBuilder &ob, Value offset) -> Value {
      Value address = arith::AddIOp::create(ob, loc, base, offset);
      Value bits = arith::ShRUIOp::create(
          ob, loc, arith::AndIOp::create(ob, loc, address, c64(ob, 0x3FFFF)), c64(ob, 4));
      return arith::OrIOp::create(ob, loc, bits, c64(ob, (int64_t)fixedBits));
    };
    auto accType = LLVM::LLVMStructType::getLiteral(ctx, SmallVector<Type>(t.bn / 2, i32));
    Value zero = LLVM::ZeroOp::create(kb, loc, accType);
    Value warpgroup64 = arith::IndexCastUIOp::create(
        kb, loc, i64, affineOf(kb, loc, kb.getAffineDimExpr(0).floorDiv(128), tid));
    auto kLoop = scf::ForOp::create(kb, loc, cI(kb, loc, 0), cI(kb, loc, kSteps()),
                                    cI(kb, loc, 1), ValueRange{zero});
    {
      OpBuilder lb = OpBuilder::atBlockBegin(kLoop.getBody());
      Value ks = kLoop.getInductionVar();
      // Step ks has landed (this thread's copies), is visible to the async
      // proxy wgmma reads through, and everyone's copies are done. Past the
      // barrier, every warpgroup has also seen the wgmma of step
      // ks - 1 - pending finish (each waited for it at the end of its
      // previous iteration): that step's stage takes step ks + prefetch,
      // staged while this step's wgmma (and the pending one) run.
      if (threadsStage()) {
        NVVM::CpAsyncWaitGroupOp::create(lb, loc, t.cpAsyncWait());
        NVVM::FenceProxyOp::create(
            lb, loc, NVVM::ProxyKindAttr::get(ctx, NVVM::ProxyKind::async_shared),
            NVVM::SharedSpaceAttr::get(ctx, NVVM::SharedSpace::shared_cta));
      }
      // Step ks's TMA boxes have landed once its slot's mbarrier completes
      // the phase of its (ks / S)-th use.
      if (tma) {
        Value parity = i32Of(lb, affineOf(lb, loc, lb.getAffineDimExpr(0).floorDiv(t.stages) % 2, ks));
        NVVM::MBarrierTryWaitParityOp::create(lb, loc, fullBarrier(lb, slotOf(lb, ks)), parity,
                                              c32(lb, 1000000));
      }
      gpu::BarrierOp::create(lb, loc);
      Value buf = arith::IndexCastUIOp::create(
          lb, loc, i64, affineOf(lb, loc, lb.getAffineDimExpr(0) % t.stages, ks));
      Value aStage = arith::AddIOp::create(
          lb, loc, arith::MulIOp::create(lb, loc, buf, c64(lb, t.bm * t.bk)),
          arith::MulIOp::create(lb, loc, warpgroup64, c64(lb, 64 * t.bk)));
      Value bStage = arith::AddIOp::create(
          lb, loc, arith::MulIOp::create(lb, loc, buf, c64(lb, t.bn * t.bk)), c64(lb, aBytes));
      NVVM::WgmmaFenceAlignedOp::create(lb, loc);
      Value acc = kLoop.getRegionIterArgs()[0];
      for (int64_t kk = 0; kk < t.bk / 32; ++kk) {
        // A K step of 32 is two 16-byte columns of core matrices (256
        // bytes); in a swizzled row of 128 bytes, the next 32 bytes of the
        // row (the hardware applies the XOR).
        Value step = c64(lb, kk * (t.swizzle128() ? 32 : 256));
        acc = NVVM::WgmmaMmaAsyncOp::create(
            lb, loc, accType, acc,
            descriptor(lb, arith::AddIOp::create(lb, loc, aStage, step)),
            descriptor(lb, arith::AddIOp::create(lb, loc, bStage, step)),
            NVVM::MMAShapeAttr::get(ctx, 64, t.bn, 32), NVVM::WGMMATypes::s8,
            NVVM::WGMMATypes::s8, NVVM::WGMMATypes::s32, NVVM::WGMMAScaleOut::one,
            NVVM::WGMMAScaleIn::one, NVVM::WGMMAScaleIn::one, NVVM::MMALayout::row,
            NVVM::MMALayout::col,
            NVVM::MMAIntOverflowAttr::get(ctx, NVVM::MMAIntOverflow::satfinite));
      }
      NVVM::WgmmaGroupSyncAlignedOp::create(lb, loc);
      Value next = affineOf(lb, loc, lb.getAffineDimExpr(0) + t.prefetch(), ks);
      if (threadsStage()) {
        stage(lb, /*gpu=*/true, tid, c.p0, c.m0, c.batch, next, sA, sB);
        NVVM::CpAsyncCommitGroupOp::create(lb, loc);
      }
      issueTma(lb, next);
      NVVM::WgmmaWaitGroupSyncOp::create(lb, loc, t.wgmmaPending());
      scf::YieldOp::create(lb, loc, acc);
    }
    // The accumulators are final, and the C tile takes the stages' place:
    // no copy in flight, no reader left.
    if (t.wgmmaPending())
      NVVM::WgmmaWaitGroupSyncOp::create(kb, loc, 0);
    NVVM::CpAsyncWaitGroupOp::create(kb, loc, 0);
    gpu::BarrierOp::create(kb, loc);
    // Register i of thread t (warp w of its warpgroup, g = lane / 4,
    // q = lane % 4) holds row 16w + g + 8((i >> 1) & 1) and column
    // 8(i >> 2) + 2q + (i & 1) of the warpgroup's 64 x bn tile.
    AffineExpr d = kb.getAffineDimExpr(0);
    Value rowBase = affineOf(kb, loc, d.floorDiv(128) * 64 + (d.floorDiv(32) % 4) * 16 +
                                          (d % 32).floorDiv(4),
                             tid);
    Value colBase = affineOf(kb, loc, (d % 4) * 2, tid);
    for (int64_t i = 0; i < t.bn / 2; ++i) {
      Value v = LLVM::ExtractValueOp::create(kb, loc, kLoop.getResult(0), ArrayRef<int64_t>{i});
      Value row = offsetBy(kb, loc, rowBase, 8 * ((i >> 1) & 1));
      Value col = offsetBy(kb, loc, colBase, 8 * (i >> 2) + (i & 1));
      memref::StoreOp::create(kb, loc, v, sC, ValueRange{row, col});
    }
    gpu::BarrierOp::create(kb, loc);
    epilogue(kb, tid, c.p0, c.m0, c.batch, sC);
    gpu::TerminatorOp::create(kb, loc);
    return success();
  }

  /// One warp's software-pipelined K loop as vector ops (turned into
  /// ldmatrix + mma.sync): a = [sA, sB, sC, wmRow, wnRow]. S-1 steps are in
  /// flight before the loop; each iteration waits for the oldest, issues
  /// the step S-1 ahead into the stage freed by the previous iteration, and
  /// multiplies. The accumulators stay in registers (iter_args) and go to
  /// the C tile at the end.
  void warpLoop(OpBuilder &vb, MLIRContext *ctx, ValueRange a) const {
    Value sA = a[0], sB = a[1], sC = a[2], wmRow = a[3], wnRow = a[4];
    Type i8 = vb.getI8Type(), i32 = vb.getI32Type();
    const int64_t tilesM = t.wm / 16, tilesN = t.wn / 8;
    auto accType = VectorType::get({16, 8}, i32);
    Value zeroAcc =
        arith::ConstantOp::create(vb, loc, DenseElementsAttr::get(accType, APInt(32, 0)));
    for (int64_t s = 0; s < t.prefetch(); ++s)
      func::CallOp::create(vb, loc, kStageCallee, TypeRange{}, ValueRange{cI(vb, loc, s)});
    SmallVector<Value> zeros(tilesM * tilesN, zeroAcc);
    auto kLoop = scf::ForOp::create(vb, loc, cI(vb, loc, 0), cI(vb, loc, kSteps()),
                                    cI(vb, loc, 1), zeros);
    {
      OpBuilder lb = OpBuilder::atBlockBegin(kLoop.getBody());
      Value ks = kLoop.getInductionVar();
      AffineExpr d = lb.getAffineDimExpr(0);
      func::CallOp::create(lb, loc, kWaitCallee, TypeRange{}, ValueRange{});
      func::CallOp::create(lb, loc, kStageCallee, TypeRange{},
                           ValueRange{affineOf(lb, loc, d + t.prefetch(), ks)});
      Value buf = affineOf(lb, loc, d % t.stages, ks);
      Value zero8 = arith::ConstantIntOp::create(lb, loc, i8, 0);
      SmallVector<bool> inBounds{true, true};
      AffineExpr dm, dn, dk;
      bindDims(ctx, dm, dn, dk);
      SmallVector<AffineMap> maps{AffineMap::get(3, 0, {dm, dk}, ctx),
                                  AffineMap::get(3, 0, {dn, dk}, ctx),
                                  AffineMap::get(3, 0, {dm, dn}, ctx)};
      auto iterators = ArrayAttr::get(
          ctx, {vector::IteratorTypeAttr::get(ctx, vector::IteratorType::parallel),
                vector::IteratorTypeAttr::get(ctx, vector::IteratorType::parallel),
                vector::IteratorTypeAttr::get(ctx, vector::IteratorType::reduction)});
      SmallVector<Value> acc(kLoop.getRegionIterArgs());
      for (int64_t kk = 0; kk < t.bk; kk += 32) {
        auto frag = [&](Value buffer, Value row, int64_t rows) -> Value {
          return vector::TransferReadOp::create(
              lb, loc, VectorType::get({rows, 32}, i8),
              window(lb, loc, buffer, buf, row, cI(lb, loc, kk), rows, 32),
              ValueRange{cI(lb, loc, 0), cI(lb, loc, 0)}, zero8, ArrayRef<bool>(inBounds));
        };
        SmallVector<Value> aFrag, bFrag;
        for (int64_t mi = 0; mi < tilesM; ++mi)
          aFrag.push_back(frag(sA, offsetBy(lb, loc, wmRow, 16 * mi), 16));
        for (int64_t ni = 0; ni < tilesN; ++ni)
          bFrag.push_back(frag(sB, offsetBy(lb, loc, wnRow, 8 * ni), 8));
        for (int64_t mi = 0; mi < tilesM; ++mi)
          for (int64_t ni = 0; ni < tilesN; ++ni)
            acc[mi * tilesN + ni] = vector::ContractionOp::create(
                lb, loc, aFrag[mi], bFrag[ni], acc[mi * tilesN + ni],
                lb.getAffineMapArrayAttr(maps), iterators);
      }
      scf::YieldOp::create(lb, loc, acc);
    }
    // The C tile takes the place of the stages: no copy may still be in
    // flight into them, and no warp may still be reading them.
    func::CallOp::create(vb, loc, kDrainCallee, TypeRange{}, ValueRange{});
    SmallVector<bool> inBounds{true, true};
    for (int64_t mi = 0; mi < tilesM; ++mi)
      for (int64_t ni = 0; ni < tilesN; ++ni) {
        Value c0 = cI(vb, loc, 0);
        vector::TransferWriteOp::create(
            vb, loc, kLoop.getResult(mi * tilesN + ni),
            window(vb, loc, sC, Value(), offsetBy(vb, loc, wmRow, 16 * mi),
                   offsetBy(vb, loc, wnRow, 8 * ni), 16, 8),
            ValueRange{c0, c0}, ArrayRef<bool>(inBounds));
      }
  }

  /// The same algorithm as host loops (for checking on the CPU), with the
  /// GPU pipeline's asynchrony made observable. A copy issued for step j
  /// poisons its stage at once and lands (from a shadow stage) only at the
  /// latest point the GPU's cp.async.wait_group lets it; a multiply reads
  /// its stage at the latest point the GPU's wgmma.wait_group lets it. A
  /// schedule that overwrites a stage still being read, or reads one whose
  /// copies may still be in flight, gives a wrong result here.
  LogicalResult emitHost(OpBuilder &b) const {
    Type i8 = b.getI8Type(), i32 = b.getI32Type();
    Value sA = memref::AllocOp::create(b, loc, stagingType(i8, t.bm, Attribute()));
    Value sB = memref::AllocOp::create(b, loc, stagingType(i8, t.bn, Attribute()));
    Value shadowA = memref::AllocOp::create(b, loc, stagingType(i8, t.bm, Attribute()));
    Value shadowB = memref::AllocOp::create(b, loc, stagingType(i8, t.bn, Attribute()));
    Value sC = memref::AllocOp::create(b, loc, cTileType(i32, Attribute()));
    auto loop = [&](OpBuilder &ob, int64_t n) {
      auto l = scf::ForOp::create(ob, loc, cI(ob, loc, 0), cI(ob, loc, n), cI(ob, loc, 1));
      return std::make_pair(OpBuilder::atBlockBegin(l.getBody()), l.getInductionVar());
    };
    auto [bzb, bz] = loop(b, batches);
    auto [byb, by] = loop(bzb, (M() + t.bm - 1) / t.bm);
    auto [bxb, bx] = loop(byb, (P() + t.bn - 1) / t.bn);
    {
      auto [zb, e] = loop(bxb, t.bm * t.bn);
      memref::StoreOp::create(zb, loc, arith::ConstantIntOp::create(zb, loc, i32, 0), sC,
                              ValueRange{arith::DivUIOp::create(zb, loc, e, cI(zb, loc, t.bn)),
                                         arith::RemUIOp::create(zb, loc, e, cI(zb, loc, t.bn))});
    }
    Value blockX = bx, blockY = by, blockZ = bz;
    // Stage slots as [S, rows * bk] bytes, for poisoning and landing.
    auto flat = [&](OpBuilder &ob, Value stage) {
      auto type = cast<MemRefType>(stage.getType());
      SmallVector<ReassociationIndices> groups{{0}, {}};
      for (int64_t d = 1; d < type.getRank(); ++d)
        groups[1].push_back(d);
      return memref::CollapseShapeOp::create(ob, loc, stage, groups).getResult();
    };
    // The operands TMA loads land when their step's mbarrier completes, the
    // others when cp.async.wait_group retires their group: `tmaLoaded`
    // picks one kind, none for both.
    auto forSlot = [&](OpBuilder &ob, Value step,
                       llvm::function_ref<void(OpBuilder &, Value, Value, Value, Value)> body,
                       std::optional<bool> tmaLoaded = std::nullopt) {
      Value slot = arith::RemUIOp::create(ob, loc, step, cI(ob, loc, t.stages));
      for (auto [stage, shadow, rows, viaTma] :
           {std::make_tuple(sA, shadowA, t.bm, tmaW()), std::make_tuple(sB, shadowB, t.bn, tmaX())}) {
        if (tmaLoaded && *tmaLoaded != viaTma)
          continue;
        auto [eb, e] = loop(ob, rows * t.bk);
        body(eb, flat(eb, stage), flat(eb, shadow), slot, e);
      }
    };
    // Issuing step j: the data goes to the shadow stage, the real one
    // holds garbage until the copies land.
    auto issue = [&](OpBuilder &ob, Value step) {
      auto [tb, tid] = loop(ob, t.threads());
      Coords c = coords(tb, blockX, blockY, tid, blockZ);
      stage(tb, /*gpu=*/false, tid, c.p0, c.m0, c.batch, step, shadowA, shadowB);
      forSlot(ob, step, [&](OpBuilder &eb, Value real, Value, Value slot, Value e) {
        memref::StoreOp::create(eb, loc, arith::ConstantIntOp::create(eb, loc, i8, 0x5b), real,
                                ValueRange{slot, e});
      });
    };
    auto land = [&](OpBuilder &ob, Value step, bool tmaLoaded) {
      forSlot(
          ob, step,
          [&](OpBuilder &eb, Value real, Value shadow, Value slot, Value e) {
            memref::StoreOp::create(eb, loc,
                                    memref::LoadOp::create(eb, loc, shadow, ValueRange{slot, e}),
                                    real, ValueRange{slot, e});
          },
          tmaLoaded);
    };
    // Each warp's (warpgroup's) tile of step j: the product mma.sync
    // (wgmma) computes.
    auto multiply = [&](OpBuilder &ob, Value step) {
      Value buf = arith::RemUIOp::create(ob, loc, step, cI(ob, loc, t.stages));
      int64_t unitThreads = 32 * t.warpsPerUnit();
      auto [wb, warp] = loop(ob, t.threads() / unitThreads);
      Value tid = arith::MulIOp::create(wb, loc, warp, cI(wb, loc, unitThreads));
      Coords c = coords(wb, blockX, blockY, tid);
      auto [mb, mi] = loop(wb, t.wm);
      auto [nb, ni] = loop(mb, t.wn);
      Value row = arith::AddIOp::create(nb, loc, c.wmRow, mi);
      Value col = arith::AddIOp::create(nb, loc, c.wnRow, ni);
      Value acc0 = memref::LoadOp::create(nb, loc, sC, ValueRange{row, col});
      auto kl = scf::ForOp::create(nb, loc, cI(nb, loc, 0), cI(nb, loc, t.bk), cI(nb, loc, 1),
                                   ValueRange{acc0});
      {
        OpBuilder ib = OpBuilder::atBlockBegin(kl.getBody());
        Body s{ib, loc};
        Value k = kl.getInductionVar();
        Value av = memref::LoadOp::create(ib, loc, sA, stageIndex(ib, buf, row, k));
        Value bv = memref::LoadOp::create(ib, loc, sB, stageIndex(ib, buf, col, k));
        Value prod = s.mul(s.toI32(av, true), s.toI32(bv, true));
        scf::YieldOp::create(ib, loc, ValueRange{s.add(kl.getRegionIterArgs()[0], prod)});
      }
      memref::StoreOp::create(nb, loc, kl.getResult(0), sC, ValueRange{row, col});
    };
    // The GPU's order: `prefetch` steps issued (one copy group each), then
    // per step ks: wait until at most cpAsyncWait() groups are in flight,
    // issue step ks + prefetch, multiply step ks, and let wgmmaPending()
    // multiplies run on (the one of step ks - pending completes last).
    for (int64_t s = 0; s < t.prefetch(); ++s)
      issue(bxb, cI(bxb, loc, s));
    auto [kb, ks] = loop(bxb, kSteps());
    {
      // Groups committed so far: prefetch + ks; wait_group N retires all
      // but the N newest, so steps below prefetch + ks - N have landed.
      // Those not landed by an earlier wait land now.
      AffineExpr d = kb.getAffineDimExpr(0);
      const int64_t inFlight = t.cpAsyncWait();
      Value isFirst = arith::CmpIOp::create(kb, loc, arith::CmpIPredicate::eq, ks, cI(kb, loc, 0));
      Value from = arith::SelectOp::create(
          kb, loc, isFirst, cI(kb, loc, 0),
          affineOf(kb, loc, (d + t.prefetch() - inFlight - 1), ks));
      Value to = affineOf(kb, loc, d + (t.prefetch() - inFlight), ks);
      auto landLoop = scf::ForOp::create(kb, loc, from, to, cI(kb, loc, 1));
      OpBuilder lb = OpBuilder::atBlockBegin(landLoop.getBody());
      land(lb, landLoop.getInductionVar(), /*tmaLoaded=*/false);
      // Step ks's TMA boxes: its mbarrier wait.
      land(kb, ks, /*tmaLoaded=*/true);
    }
    issue(kb, arith::AddIOp::create(kb, loc, ks, cI(kb, loc, t.prefetch())));
    if (const int64_t pending = t.wgmmaPending()) {
      Value ready = arith::CmpIOp::create(kb, loc, arith::CmpIPredicate::uge, ks,
                                          cI(kb, loc, pending));
      auto ifReady = scf::IfOp::create(kb, loc, ready, /*withElseRegion=*/false);
      OpBuilder rb = ifReady.getThenBodyBuilder();
      multiply(rb, arith::SubIOp::create(rb, loc, ks, cI(rb, loc, pending)));
      // The last `pending` multiplies complete after the loop, where the
      // GPU waits for every group.
      for (int64_t j = std::max<int64_t>(kSteps() - pending, 0); j < kSteps(); ++j)
        multiply(bxb, cI(bxb, loc, j));
    } else {
      multiply(kb, ks);
    }
    {
      auto [tb, tid] = loop(bxb, t.threads());
      Coords c = coords(tb, blockX, blockY, tid, blockZ);
      epilogue(tb, tid, c.p0, c.m0, c.batch, sC);
    }
    return success();
  }
};

} // namespace

bool qopt::lowering::tensorCoreEligible(qnn::ConvOp op, std::string *why) {
  auto say = [&](const char *msg) {
    if (why)
      *why = msg;
    return false;
  };
  auto xt = cast<RankedTensorType>(op.getInput().getType());
  auto wt = cast<RankedTensorType>(op.getWeight().getType());
  auto yt = cast<RankedTensorType>(op.getResult().getType());
  auto xq = dyn_cast<mlir::quant::QuantizedType>(xt.getElementType());
  auto wq = dyn_cast<mlir::quant::QuantizedType>(wt.getElementType());
  auto yq = dyn_cast<mlir::quant::QuantizedType>(yt.getElementType());
  if (!xq || !wq || !yq)
    return say("not an integer conv");
  if (xt.getRank() != 4 || op.getGroup() != 1)
    return say("only 2-D convs with group 1 (depthwise and grouped convs stay SIMT)");
  if (xq.getStorageTypeIntegralWidth() != 8 || !xq.isSigned() ||
      wq.getStorageTypeIntegralWidth() != 8 || !wq.isSigned())
    return say("tensor cores take signed 8-bit inputs and weights");
  if (op.getResidual())
    return say("a fused residual has no integer form");
  auto wp = ref::quantParamsOf(wt.getElementType());
  if (!wp) {
    llvm::consumeError(wp.takeError());
    return say("weight parameters");
  }
  if (llvm::any_of(wp->zeroPoints, [](int32_t z) { return z != 0; }))
    return say("weights with a zero point");
  if (!constantOf(op.getWeight()))
    return say("weights are not a constant");
  int64_t cout = yt.getDimSize(1);
  int64_t k = wt.getDimSize(1) * wt.getDimSize(2) * wt.getDimSize(3);
  // Small problems fill no tile: the SIMT kernel is as good.
  if (cout < 16 || k < 32)
    return say("too small for a 64x64 tile");
  return true;
}

namespace {

/// The kernel of a contraction whose weights are the constant [Cout, K]
/// int8 matrix `w`: per-channel scales, the zero-point correction folded
/// into the bias, buffers, and the kernel (or its host-loop form).
/// `wTensor` is the lowered weight tensor when it already is [Cout, K] row
/// by row (any shape that collapses to it); else null and a constant is made
/// from `w`. Reusing the program's own weight constant keeps its resource
/// in the bundle's weights, which the bundle's program IR then refers to.
/// `rowShape` is the logical shape a row index flattens (TileKernel).
///
/// A W computed at run time (a batched matmul's B) comes as `runtimeW`
/// instead of `w`: `batches` [M, K] matrices and their zero-point
/// corrections, which the caller computes with kernels of their own.
struct RuntimeW {
  Value w;                 // [batches * M * K] i8 (any shape with that many)
  Value offsets;           // [batches * M] i32: - z_x * rowsum(W) + K z_x z_w
  Value rowOffsets;        // [batches * P] i32: - z_w * rowsum(X), or null
  int64_t batches = 1;
};
FailureOr<Value> buildTensorCoreKernel(OpBuilder &b, Operation *op, Value xTensor, Value xOrig,
                                       Value wOrig, Value wTensor, const ref::Tensor *w,
                                       const ref::Tensor *bias, Geometry g,
                                       TileKernel::XForm xform, bool yRows, bool emulate,
                                       const TileChoice &tiles, const FusedEpilogue *fused,
                                       ArrayRef<int64_t> rowShape = {},
                                       const RuntimeW *runtimeW = nullptr) {
  // The kernel carries every op it computes: the bundle's steps name them.
  Location loc = op->getLoc();
  if (fused && !fused->ops.empty()) {
    SmallVector<Location> locs{loc};
    for (Operation *e : fused->ops)
      locs.push_back(e->getLoc());
    loc = FusedLoc::get(b.getContext(), locs);
  }
  // With fused ops the kernel writes the last one's result.
  auto yt = cast<RankedTensorType>(
      (fused && fused->last() ? fused->last() : op)->getResult(0).getType());
  const int64_t M = g.cout, K = g.K();
  FailureOr<IntContraction> ic = intContraction(op, xOrig, wOrig, M);
  if (failed(ic))
    return failure();
  int32_t zx = ic->zx;
  // Per output channel: the fixed-point scale (one for per-tensor weights)
  // and the zero-point correction z_x * rowsum(W) folded into the bias.
  auto perChannel = [&](const SmallVector<int32_t> &v, int64_t m) {
    return v.size() == 1 ? v[0] : v[m];
  };
  SmallVector<int32_t> mults, shifts, offsets;
  for (int64_t m = 0; m < M; ++m) {
    mults.push_back(perChannel(ic->multipliers, m));
    shifts.push_back(perChannel(ic->shifts, m));
    if (!w)
      continue;
    int64_t rowsum = 0;
    for (int64_t k = 0; k < K; ++k)
      rowsum += w->data<int8_t>()[m * K + k];
    int64_t b0 = 0;
    if (bias)
      b0 = bias->data<int32_t>()[bias->numElements() == 1 ? 0 : m];
    int64_t off = b0 - (int64_t)zx * rowsum;
    // The reference checks the accumulator bound before any kernel runs; the
    // folded offset of a layer it accepts fits int32 by the same bound.
    if (off < std::numeric_limits<int32_t>::min() || off > std::numeric_limits<int32_t>::max())
      return op->emitError("tensor-core kernel: bias correction leaves int32"), failure();
    offsets.push_back((int32_t)off);
  }
  auto memrefOf = [&](Value tensor) -> Value {
    auto t = cast<RankedTensorType>(tensor.getType());
    return bufferization::ToBufferOp::create(
        b, loc, MemRefType::get(t.getShape(), t.getElementType()), tensor, /*read_only=*/true);
  };
  // The kernel addresses global memory through 1-D views.
  auto flat = [&](Value m) -> Value {
    auto type = cast<MemRefType>(m.getType());
    ReassociationIndices all;
    for (int64_t i = 0; i < type.getRank(); ++i)
      all.push_back(i);
    return memref::CollapseShapeOp::create(b, loc, m, SmallVector<ReassociationIndices>{all});
  };
  // The [P, Cout] view of an NHWC output, or of a matmul's [..., M, N].
  auto rows = [&](Value m) -> Value {
    auto type = cast<MemRefType>(m.getType());
    if (type.getRank() == 2)
      return m;
    ReassociationIndices lead;
    for (int64_t i = 0; i + 1 < type.getRank(); ++i)
      lead.push_back(i);
    return memref::CollapseShapeOp::create(
        b, loc, m, SmallVector<ReassociationIndices>{lead, {type.getRank() - 1}});
  };
  Value xFlat = flat(memrefOf(xTensor));
  Value wFlat;
  if (runtimeW) {
    wFlat = flat(memrefOf(runtimeW->w));
  } else if (wTensor) {
    wFlat = flat(memrefOf(wTensor));
  } else {
    Value wConst = arith::ConstantOp::create(
        b, loc, ref::attrFromTensor(b.getContext(), w->reshaped({M, K}), "tc.weights"));
    wFlat = flat(memrefOf(wConst));
  }
  Value multT = memrefOf(i32Tensor(b, loc, mults));
  Value shiftT = memrefOf(i32Tensor(b, loc, shifts));
  Value offT = runtimeW ? flat(memrefOf(runtimeW->offsets))
                        : memrefOf(i32Tensor(b, loc, offsets));
  auto yStorage = storageTensorType(yt);
  if (yRows && isa<qnn::ConvOp>(op))
    yStorage = RankedTensorType::get(physicalShape(yStorage.getShape(), {0, 2, 3, 1}),
                                     yStorage.getElementType());
  auto yMem = MemRefType::get(yStorage.getShape(), yStorage.getElementType());
  Value y = memref::AllocOp::create(b, loc, yMem);
  TileKernel kernel{loc, g, TileConfig{}, zx, ic->out, xFlat, wFlat, multT, shiftT, offT,
                    yRows ? rows(y) : y, xform, yRows};
  kernel.rowShape.assign(rowShape.begin(), rowShape.end());
  if (runtimeW) {
    kernel.batches = runtimeW->batches;
    if (runtimeW->rowOffsets)
      kernel.rowOffT = flat(memrefOf(runtimeW->rowOffsets));
  }
  std::string shape = llvm::formatv("{0}x{1}x{2}", M, g.P(), K).str();
  if (kernel.batches > 1)
    shape = llvm::formatv("{0}x", kernel.batches).str() + shape;
  auto fromFile = tiles.byShape.find(shape);
  std::string source = "heuristic";
  TileConfig t;
  if (tiles.all) {
    t = *tiles.all;
    source = "--tensor-core-tile";
  } else if (fromFile != tiles.byShape.end()) {
    t = fromFile->second;
    source = tiles.file;
  } else {
    t = tiles.wgmma ? chooseWgmmaTileConfig(M, g.P(), kernel.vectorX())
                    : chooseTileConfig(M, g.P(), K, kernel.vectorX());
  }
  t.wgmma = tiles.wgmma;
  if (std::optional<std::string> why = t.invalid())
    return op->emitError() << "tensor-core tile " << t.str() << ": " << *why, failure();
  kernel.t = t;
  if (!emulate) {
    if (kernel.tmaW())
      kernel.wMap = tensorMapOf(b, loc, wFlat, kernel.batches * M, K, t.bm);
    if (kernel.tmaX())
      kernel.xMap = tensorMapOf(b, loc, xFlat, kernel.batches * g.P(), K, t.bn);
  }
  // What was decided, for `qopt-compile --remarks` (and bench/autotune.py,
  // which keys its tile file by the shape printed here).
  op->emitRemark() << "tensor-core kernel " << shape
                   << (kernel.batches > 1 ? " (batches x " : " (")
                   << "output channels x pixels x taps)"
                   << ": " << (t.wgmma ? "wgmma" : "mma.sync") << " tile " << t.str() << " from "
                   << source << "; activations "
                   << (kernel.tmaX()      ? "by TMA"
                       : kernel.vectorX() ? "by 16-byte cp.async"
                                          : "gathered byte by byte")
                   << ", weights "
                   << (kernel.tmaW()      ? "by TMA"
                       : kernel.vectorW() ? "by 16-byte cp.async"
                                          : "gathered byte by byte")
                   << (fused && !fused->ops.empty()
                           ? llvm::formatv("; {0} elementwise op{1} in the epilogue",
                                           fused->ops.size(), fused->ops.size() == 1 ? "" : "s")
                                 .str()
                           : std::string());
  // 32-bit staging offsets when the largest value they take (an element of
  // X or W, a pixel or tap index in the last tile, a padded coordinate) has
  // a bit to spare.
  int64_t xElems = cast<MemRefType>(xFlat.getType()).getNumElements();
  int64_t wElems = cast<MemRefType>(wFlat.getType()).getNumElements();
  int64_t largest = std::max({xElems + (g.w * g.h + g.w) * g.cin, wElems, g.P() + t.bn,
                              (kernel.kSteps() + t.stages) * t.bk});
  kernel.narrow = largest < (int64_t(1) << 30);
  if (fused) {
    for (auto [e, values, orders] : llvm::zip(fused->ops, fused->operands, fused->orders)) {
      TileKernel::EpilogueOp k;
      for (auto [v, order] : llvm::zip(values, orders)) {
        k.operands.push_back(v ? memrefOf(v) : Value());
        k.shapes.push_back(v ? physicalShape(cast<RankedTensorType>(v.getType()).getShape(),
                                             {})
                             : SmallVector<int64_t>{});
        // The logical shape, from the stored one.
        if (v && !order.empty())
          for (auto [i, d] : llvm::enumerate(order))
            k.shapes.back()[d] = cast<RankedTensorType>(v.getType()).getDimSize(i);
        k.orders.push_back(order);
      }
      FailureOr<ScalarForm> form = scalarFormOf(b, e, Operands{k.operands});
      if (failed(form))
        return failure();
      if (!form->fusable)
        return e->emitError("tensor-core epilogue: this op cannot be fused"), failure();
      k.form = std::move(*form);
      kernel.chain.push_back(std::move(k));
    }
  }
  if (failed(emulate ? kernel.emitHost(b)
                     : (t.wgmma ? kernel.emitGPUWgmma(b) : kernel.emitGPU(b))))
    return failure();
  return bufferization::ToTensorOp::create(b, loc, yStorage, y, /*restrict=*/true,
                                           /*writable=*/true)
      .getResult();
}

} // namespace

qnn::ConstantOp qopt::lowering::packedConvWeights(qnn::ConvOp op) {
  Value v = op.getWeight();
  while (auto cast = v.getDefiningOp<mlir::quant::StorageCastOp>())
    v = cast.getOperand();
  auto transpose = v.getDefiningOp<qnn::TransposeOp>();
  if (!transpose || transpose.getPerm() != ArrayRef<int64_t>{0, 3, 1, 2})
    return {};
  return transpose.getInput().getDefiningOp<qnn::ConstantOp>();
}

bool qopt::lowering::readsTapMajorWeights(qnn::ConvOp op) {
  auto wt = cast<RankedTensorType>(op.getWeight().getType());
  return tensorCoreEligible(op) && wt.getDimSize(1) % 16 == 0 &&
         wt.getDimSize(2) * wt.getDimSize(3) > 1;
}

FailureOr<Value> qopt::lowering::lowerConvTensorCore(OpBuilder &b, qnn::ConvOp op, Operands in,
                                                     bool emulate,
                                                     const TileChoice &tiles,
                                                     const FusedEpilogue *fused,
                                                     ConvLayout layout) {
  auto xt = cast<RankedTensorType>(op.getInput().getType());
  auto wt = cast<RankedTensorType>(op.getWeight().getType());
  auto yt = cast<RankedTensorType>(op.getResult().getType());
  Geometry g{xt.getDimSize(0), xt.getDimSize(1), xt.getDimSize(2), xt.getDimSize(3),
             yt.getDimSize(1), wt.getDimSize(2), wt.getDimSize(3), yt.getDimSize(2),
             yt.getDimSize(3), op.getStrides()[0], op.getStrides()[1], op.getDilations()[0],
             op.getDilations()[1], op.getPads()[0], op.getPads()[1]};
  std::optional<ref::Tensor> w = constantOf(op.getWeight());
  std::optional<ref::Tensor> bias;
  if (op.getBias() && !(bias = constantOf(op.getBias())))
    return op.emitError("tensor-core conv: the bias must be a constant"), failure();
  // The chunked NHWC gather takes K in (ky, kx, ci) order: the weights as
  // [Cout, KH, KW, Cin] (the same bytes for a 1x1 kernel).
  Value wTensor = in[1];
  if (layout.inputNHWC && g.cin % 16 == 0 && g.kh * g.kw > 1) {
    if (qnn::ConstantOp packed = packedConvWeights(op)) {
      // The program already holds them so (qopt-pack-conv-weights): the
      // same constant, one copy in the bundle.
      auto attr = cast<TypedAttr>(packed.getValue());
      wTensor = arith::ConstantOp::create(b, op.getLoc(), attr);
      std::optional<ref::Tensor> data = constantOf(packed);
      w = std::move(*data);
      return buildTensorCoreKernel(b, op, in[0], op.getInput(), op.getWeight(), wTensor, &*w,
                                   bias ? &*bias : nullptr, g, TileKernel::XForm::NHWC,
                                   /*yRows=*/layout.outputNHWC, emulate, tiles, fused);
    }
    auto permuted = ref::transpose(*w, {0, 2, 3, 1});
    if (!permuted)
      return op.emitError() << llvm::toString(permuted.takeError()), failure();
    w = std::move(*permuted);
    wTensor = Value();
  }
  return buildTensorCoreKernel(
      b, op, in[0], op.getInput(), op.getWeight(), wTensor, &*w, bias ? &*bias : nullptr, g,
      layout.inputNHWC ? TileKernel::XForm::NHWC : TileKernel::XForm::NCHW,
      /*yRows=*/layout.outputNHWC, emulate, tiles, fused);
}

namespace {

/// Why an N x K problem does not suit the tile kernel, or null: too small
/// to fill a tile, or a K whose raw int8 products (up to 2^14 each, summed
/// in int32 before the zero-point corrections) could overflow.
const char *problemSizeObstacle(int64_t n, int64_t k) {
  if (n < 16 || k < 32)
    return "too small for a 64x64 tile";
  if (k > (1 << 17))
    return "K over 131072 (raw int8 products could overflow int32)";
  return nullptr;
}

/// What a gemm and a matmul need alike on tensor cores: signed 8-bit
/// quantized A and B, a quantized result, B a constant without zero points
/// (its rows sums fold into the bias; a zero point would need A's row sums
/// at run time), per-axis B scales along N (dimension `nAxis` of B), and N
/// and K that fill a tile.
bool contractionEligible(Value a, Value bOperand, Value y, int64_t nAxis, std::string *why) {
  auto say = [&](const char *msg) {
    if (why)
      *why = msg;
    return false;
  };
  auto aq = dyn_cast<mlir::quant::QuantizedType>(getElementTypeOrSelf(a.getType()));
  auto bq = dyn_cast<mlir::quant::QuantizedType>(getElementTypeOrSelf(bOperand.getType()));
  auto yq = dyn_cast<mlir::quant::QuantizedType>(getElementTypeOrSelf(y.getType()));
  if (!aq || !bq || !yq)
    return say("not an integer contraction");
  if (aq.getStorageTypeIntegralWidth() != 8 || !aq.isSigned() ||
      bq.getStorageTypeIntegralWidth() != 8 || !bq.isSigned())
    return say("tensor cores take signed 8-bit operands");
  auto bp = ref::quantParamsOf(bq);
  if (!bp) {
    llvm::consumeError(bp.takeError());
    return say("B parameters");
  }
  if (llvm::any_of(bp->zeroPoints, [](int32_t z) { return z != 0; }))
    return say("B with a zero point");
  if (bp->perAxis() && bp->axis != nAxis)
    return say("B quantized per K index");
  if (!constantOf(bOperand))
    return say("B is not a constant");
  auto bt = cast<RankedTensorType>(bOperand.getType());
  int64_t n = bt.getDimSize(nAxis), k = bt.getDimSize(1 - nAxis);
  if (const char *msg = problemSizeObstacle(n, k))
    return say(msg);
  return true;
}

} // namespace

bool qopt::lowering::tensorCoreEligible(qnn::GemmOp op, std::string *why) {
  if (op.getTransA() || op.getAlpha().convertToDouble() != 1.0 ||
      op.getBeta().convertToDouble() != 1.0) {
    if (why)
      *why = "transposed A or alpha/beta other than 1";
    return false;
  }
  if (!contractionEligible(op.getA(), op.getB(), op.getResult(), op.getTransB() ? 0 : 1, why))
    return false;
  if (op.getC()) {
    auto c = constantOf(op.getC());
    int64_t n = cast<RankedTensorType>(op.getResult().getType()).getDimSize(1);
    if (!c || (c->numElements() != 1 && c->numElements() != n)) {
      if (why)
        *why = "C is not a constant with 1 or N elements";
      return false;
    }
  }
  return true;
}

namespace {

/// The run-time form of a matmul (`lowerRuntimeMatMul`): per-tensor signed
/// 8-bit operands with any zero points, batch dimensions alike.
bool runtimeMatMulEligible(qnn::MatMulOp op, std::string *why) {
  auto say = [&](const char *msg) {
    if (why)
      *why = msg;
    return false;
  };
  auto at = cast<RankedTensorType>(op.getLhs().getType());
  auto bt = cast<RankedTensorType>(op.getRhs().getType());
  auto aq = dyn_cast<mlir::quant::UniformQuantizedType>(at.getElementType());
  auto bq = dyn_cast<mlir::quant::UniformQuantizedType>(bt.getElementType());
  auto yq = dyn_cast<mlir::quant::QuantizedType>(
      getElementTypeOrSelf(op.getResult().getType()));
  if (!aq || !bq || !yq)
    return say("not an integer matmul with per-tensor operands");
  if (aq.getStorageTypeIntegralWidth() != 8 || !aq.isSigned() ||
      bq.getStorageTypeIntegralWidth() != 8 || !bq.isSigned())
    return say("tensor cores take signed 8-bit operands");
  if (bt.getRank() > 2 &&
      (at.getRank() != bt.getRank() || at.getShape().drop_back(2) != bt.getShape().drop_back(2)))
    return say("broadcast batch dimensions");
  int64_t batches = 1;
  for (int64_t d : bt.getShape().drop_back(2))
    batches *= d;
  // The batches are the launch's grid z, at most 65535 blocks.
  if (batches > 65535)
    return say("more than 65535 batches");
  if (const char *msg = problemSizeObstacle(bt.getDimSize(bt.getRank() - 1),
                                             bt.getDimSize(bt.getRank() - 2)))
    return say(msg);
  return true;
}

} // namespace

bool qopt::lowering::matmulReadsConstantB(qnn::MatMulOp op, std::string *why) {
  auto bt = cast<RankedTensorType>(op.getRhs().getType());
  return cast<RankedTensorType>(op.getLhs().getType()).getRank() >= 2 && bt.getRank() == 2 &&
         constantOf(op.getRhs()) &&
         contractionEligible(op.getLhs(), op.getRhs(), op.getResult(), /*nAxis=*/1, why);
}

bool qopt::lowering::tensorCoreEligible(qnn::MatMulOp op, std::string *why) {
  auto at = cast<RankedTensorType>(op.getLhs().getType());
  auto bt = cast<RankedTensorType>(op.getRhs().getType());
  if (at.getRank() < 2 || bt.getRank() < 2) {
    if (why)
      *why = "a vector operand";
    return false;
  }
  // A constant matrix B: A's leading dimensions flatten into the rows of
  // one GEMM (a linear layer). One the constant form refuses (a zero point)
  // may still take the run-time form; if not, the constant form's reason.
  if (bt.getRank() == 2 && constantOf(op.getRhs())) {
    std::string constantWhy;
    if (matmulReadsConstantB(op, &constantWhy) || runtimeMatMulEligible(op, nullptr))
      return true;
    if (why)
      *why = constantWhy;
    return false;
  }
  // B computed at run time (attention): one GEMM per batch index, or one
  // over all of A's rows for a matrix B; both zero points corrected with
  // row sums computed at run time.
  return runtimeMatMulEligible(op, why);
}

namespace {

/// A matmul whose B is computed at run time (attention's Q K^T and P V):
/// B^T as the [batches, N, K] W, one SIMT kernel transposing it; the
/// zero-point corrections from B's column sums and, where B has a zero
/// point, A's row sums, one SIMT kernel each; then one tensor-core launch
/// with a GEMM per batch index.
FailureOr<Value> lowerRuntimeMatMul(OpBuilder &b, qnn::MatMulOp op, Operands in, bool emulate,
                                    const TileChoice &tiles, const FusedEpilogue *fused) {
  Location loc = op.getLoc();
  auto at = cast<RankedTensorType>(op.getLhs().getType());
  auto bt = cast<RankedTensorType>(op.getRhs().getType());
  auto yt = cast<RankedTensorType>(op.getResult().getType());
  int64_t rank = bt.getRank(), k = bt.getDimSize(rank - 2), n = bt.getDimSize(rank - 1);
  SmallVector<int64_t> batchShape(bt.getShape().drop_back(2));
  int64_t batches = 1;
  for (int64_t d : batchShape)
    batches *= d;
  int64_t rows = yt.getNumElements() / n / batches;
  FailureOr<IntContraction> ic = intContraction(op, op.getLhs(), op.getRhs(), n);
  if (failed(ic))
    return failure();
  int32_t zx = ic->zx, zw = ic->zw[0];
  Type i8 = b.getI8Type(), i32 = b.getI32Type();
  Value A = in[0], B = in[1];
  SmallVector<int64_t> wShape(batchShape);
  wShape.append({n, k});
  // An indexing map rather than extracts, and B read by nothing else: when
  // B is itself a transpose (attention's K^T), linalg-fuse-elementwise-ops
  // composes the two and K^T is never stored.
  SmallVector<unsigned> swap;
  for (int64_t d = 0; d < rank; ++d)
    swap.push_back(d);
  std::swap(swap[rank - 2], swap[rank - 1]);
  Value wT = buildGeneric(b, loc, RankedTensorType::get(wShape, i8), {B},
                          {AffineMap::getPermutationMap(swap, b.getContext())},
                          [](OpBuilder &, Location, ValueRange, ValueRange a) { return a[0]; });
  // The sum over K of a row of A or of W (`kAxis` is where K is in it).
  auto rowSum = [&](Body &body, Value t, ValueRange idx, int64_t kAxis) {
    return loopNest(body.b, body.loc, {k}, body.i32(0),
                    [&](OpBuilder &lb, Location lloc, ValueRange ivs, Value acc) {
                      Body l{lb, lloc};
                      SmallVector<Value> at(idx);
                      at.insert(at.begin() + kAxis, ivs[0]);
                      return l.add(acc, l.toI32(l.extract(t, at), true));
                    });
  };
  SmallVector<int64_t> offShape(batchShape);
  offShape.push_back(n);
  Value offsets = buildGeneric(
      b, loc, RankedTensorType::get(offShape, i32), {}, {},
      [&](OpBuilder &nb, Location nloc, ValueRange idx, ValueRange) {
        Body body{nb, nloc};
        Value sum = rowSum(body, wT, idx, rank - 1);
        return body.add(body.mul(body.i32(-zx), sum), body.i32(k * zx * zw));
      });
  RuntimeW runtimeW{wT, offsets, Value(), batches};
  if (zw != 0) {
    SmallVector<int64_t> rowShape(at.getShape().drop_back());
    runtimeW.rowOffsets = buildGeneric(
        b, loc, RankedTensorType::get(rowShape, i32), {}, {},
        [&](OpBuilder &nb, Location nloc, ValueRange idx, ValueRange) {
          Body body{nb, nloc};
          return body.mul(body.i32(-zw), rowSum(body, A, idx, at.getRank() - 1));
        });
  }
  Geometry g{rows, k, 1, 1, n, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0};
  return buildTensorCoreKernel(b, op, A, op.getLhs(), op.getRhs(), Value(), nullptr, nullptr,
                               g, TileKernel::XForm::Rows, /*yRows=*/true, emulate, tiles, fused,
                               yt.getShape().drop_back(), &runtimeW);
}

} // namespace

qnn::ConstantOp qopt::lowering::packedMatMulWeights(qnn::MatMulOp op) {
  Value v = op.getRhs();
  while (auto cast = v.getDefiningOp<mlir::quant::StorageCastOp>())
    v = cast.getOperand();
  auto transpose = v.getDefiningOp<qnn::TransposeOp>();
  if (!transpose || transpose.getPerm() != ArrayRef<int64_t>{1, 0})
    return {};
  return transpose.getInput().getDefiningOp<qnn::ConstantOp>();
}

FailureOr<Value> qopt::lowering::lowerMatMulTensorCore(OpBuilder &b, qnn::MatMulOp op,
                                                       Operands in, bool emulate,
                                                       const TileChoice &tiles,
                                                       const FusedEpilogue *fused) {
  auto yt = cast<RankedTensorType>(op.getResult().getType());
  auto bt = cast<RankedTensorType>(op.getRhs().getType());
  if (!matmulReadsConstantB(op))
    return lowerRuntimeMatMul(b, op, in, emulate, tiles, fused);
  int64_t k = bt.getDimSize(0), n = bt.getDimSize(1), rows = yt.getNumElements() / n;
  // B as the [N, K] weight matrix: the program's own constant when
  // qopt-pack-matmul-weights stored it so, else transposed here (a second
  // copy in the bundle).
  Value wTensor;
  std::optional<ref::Tensor> w;
  if (qnn::ConstantOp packed = packedMatMulWeights(op)) {
    wTensor = arith::ConstantOp::create(b, op.getLoc(), cast<TypedAttr>(packed.getValue()));
    w = constantOf(packed);
  } else {
    auto t = ref::transpose(*constantOf(op.getRhs()), {1, 0});
    if (!t)
      return op.emitError() << llvm::toString(t.takeError()), failure();
    w = std::move(*t);
  }
  // Like a gemm, a 1x1 conv over the rows of A, whose logical indices are
  // A's leading dimensions (for an epilogue's operands).
  Geometry g{rows, k, 1, 1, n, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0};
  return buildTensorCoreKernel(b, op, in[0], op.getLhs(), op.getRhs(), wTensor, &*w,
                               /*bias=*/nullptr, g, TileKernel::XForm::Rows, /*yRows=*/true,
                               emulate, tiles, fused, yt.getShape().drop_back());
}

FailureOr<Value> qopt::lowering::lowerGemmTensorCore(OpBuilder &b, qnn::GemmOp op, Operands in,
                                                     bool emulate,
                                                     const TileChoice &tiles,
                                                     const FusedEpilogue *fused) {
  auto at = cast<RankedTensorType>(op.getA().getType());
  auto yt = cast<RankedTensorType>(op.getResult().getType());
  int64_t rows = at.getDimSize(0), k = at.getDimSize(1), n = yt.getDimSize(1);
  // B as the [N, K] weight matrix: transposed at compile time when given [K, N].
  std::optional<ref::Tensor> bw = constantOf(op.getB());
  ref::Tensor w = *bw;
  if (!op.getTransB()) {
    auto t = ref::transpose(*bw, {1, 0});
    if (!t)
      return op.emitError() << llvm::toString(t.takeError()), failure();
    w = std::move(*t);
  }
  std::optional<ref::Tensor> bias;
  if (op.getC() && !(bias = constantOf(op.getC())))
    return op.emitError("tensor-core gemm: C must be a constant"), failure();
  // A gemm is a 1x1 conv over `rows` pixels with Cin = K.
  Geometry g{rows, k, 1, 1, n, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0};
  return buildTensorCoreKernel(b, op, in[0], op.getA(), op.getB(),
                               op.getTransB() ? in[1] : Value(), &w, bias ? &*bias : nullptr, g,
                               TileKernel::XForm::Rows, /*yRows=*/true, emulate, tiles, fused);
}
