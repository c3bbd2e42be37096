//===- TensorCore.cpp - int8 conv as a tensor-core implicit GEMM -*- C++ -*-===//
//
// An integer conv (group 1, symmetric weights, signed 8-bit input) becomes
// one kernel: C[Cout, P] = W[Cout, K] x im2col(X)[K, P] with P = N*OH*OW
// output pixels and K = Cin*KH*KW, in NCHW without any layout change.
//
// Per CTA a 64x64 tile of C, 4 warps of 32x32; K by 32. Every K step the
// threads stage a 64x32 tile of W and a 64x32 tile of the im2col matrix
// (pixel-major, K contiguous) in shared memory; the warps read them as
// vectors and multiply with vector.contract, which convert-vector-to-gpu
// turns into ldmatrix and mma.sync m16n8k32 (s8 x s8 -> s32) after
// qopt-unroll-to-mma. The accumulators go through shared memory to an
// epilogue that applies exactly the arithmetic of the SIMT form (Body).
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
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/NVGPU/IR/NVGPUDialect.h"
#include "mlir/Dialect/Quant/IR/QuantTypes.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/IR/IRMapping.h"
#include "mlir/IR/Matchers.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

using namespace mlir;
using namespace qopt;
using namespace qopt::lowering;

namespace {

constexpr int64_t kBM = 64, kBN = 64, kBK = 32, kWarpM = 32, kWarpN = 32, kThreads = 128;

/// The constant data of an operand, if it is one (weights are).
std::optional<ref::Tensor> constantOf(Value v) {
  while (auto cast = v.getDefiningOp<mlir::quant::StorageCastOp>())
    v = cast.getOperand();
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

/// A 2-D window of a workgroup buffer at (row, col), read and written with
/// constant indices: upstream's vector-to-nvgpu conversion takes the index
/// operands of the transfers into its conversion slice and only accepts
/// constants there (the offsets live in the subview instead).
Value window(OpBuilder &b, Location loc, Value buffer, Value row, Value col, int64_t rows,
             int64_t cols) {
  SmallVector<OpFoldResult> offsets{row, col};
  SmallVector<OpFoldResult> sizes{b.getIndexAttr(rows), b.getIndexAttr(cols)};
  SmallVector<OpFoldResult> strides{b.getIndexAttr(1), b.getIndexAttr(1)};
  return memref::SubViewOp::create(b, loc, buffer, offsets, sizes, strides);
}

Value offsetBy(OpBuilder &b, Location loc, Value v, int64_t d) {
  AffineExpr e = b.getAffineDimExpr(0);
  return affine::AffineApplyOp::create(b, loc, AffineMap::get(1, 0, {e + d}), ValueRange{v});
}

/// Builds vector code with `body` and converts it to nvgpu ldmatrix/mma.sync
/// right away. Upstream's conversion starts a slice at every elementwise op
/// of the op it is given, scalar index arithmetic included, and fails on
/// those; so the vector code is built alone in a scratch function whose
/// arguments stand for `captured`, converted there, and cloned back.
///
/// Scalar code that must sit among the vector ops (the staging of each K
/// step) is a call to @stage(k0) in the scratch function, which the
/// conversion ignores; `expandStage` builds the real code in its place once
/// the function is cloned back.
constexpr llvm::StringLiteral kStageCallee = "stage";
LogicalResult buildMMA(OpBuilder &b, Location loc, ValueRange captured,
                       function_ref<void(OpBuilder &, ValueRange)> body,
                       function_ref<void(OpBuilder &, Value k0)> expandStage = nullptr) {
  MLIRContext *ctx = b.getContext();
  OwningOpRef<ModuleOp> scratch = ModuleOp::create(loc);
  OpBuilder mb = OpBuilder::atBlockBegin(scratch->getBody());
  auto stageFn = func::FuncOp::create(mb, loc, kStageCallee,
                                      FunctionType::get(ctx, {b.getIndexType()}, {}));
  stageFn.setPrivate();
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
    return emitError(loc, "tensor-core conv: the contractions did not become mma.sync");
  // The conversion leaves the original vector values behind, dead.
  SmallVector<Operation *> dead;
  fn.walk<WalkOrder::PostOrder>([&](Operation *op) {
    if (isa<vector::ContractionOp, vector::TransferReadOp>(op) && op->use_empty())
      dead.push_back(op);
  });
  for (Operation *op : llvm::reverse(dead))
    if (op->use_empty())
      op->erase();
  IRMapping map;
  for (auto [arg, v] : llvm::zip(entry->getArguments(), captured))
    map.map(arg, v);
  SmallVector<Operation *> cloned;
  for (Operation &op : entry->without_terminator())
    cloned.push_back(b.clone(op, map));
  SmallVector<func::CallOp> calls;
  for (Operation *op : cloned)
    op->walk([&](func::CallOp call) {
      if (call.getCallee() == kStageCallee)
        calls.push_back(call);
    });
  if (!calls.empty() && !expandStage)
    return emitError(loc, "tensor-core conv: a stage call without its expansion");
  for (func::CallOp call : calls) {
    OpBuilder sb(call);
    expandStage(sb, call.getOperand(0));
    call.erase();
  }
  return success();
}

struct Geometry {
  int64_t n, cin, h, w, cout, kh, kw, oh, ow, sh, sw, dh, dw, ph, pw;
  int64_t P() const { return n * oh * ow; }
  int64_t K() const { return cin * kh * kw; }
};

} // namespace

namespace {

Value cI(OpBuilder &b, Location loc, int64_t v) {
  return arith::ConstantIndexOp::create(b, loc, v).getResult();
}

/// The kernel of one conv: the GPU form (gpu.launch, shared memory,
/// barriers, mma.sync), and the same tile algorithm as host loops for
/// checking it on the CPU (`emulate`): the staging and the epilogue are the
/// same code, run per thread id by a loop instead of by threads, and each
/// warp's product is scalar loops instead of mma.sync (whose fragment
/// layouts upstream's conversion owns).
struct TileKernel {
  Location loc;
  Geometry g;
  int32_t zx;
  Requant out;
  Value x, w2, multT, shiftT, offT, y;
  /// A gemm: x is the [P, K] activation matrix (rows are the "pixels") and y
  /// the [P, Cout] result; otherwise x and y are NCHW and x is read as im2col.
  bool gemm = false;

  int64_t M() const { return g.cout; }
  int64_t P() const { return g.P(); }
  int64_t K() const { return g.K(); }

  struct Coords {
    Value p0, m0, wmRow, wnRow;
  };
  /// Tile origin and the warp's rows from the block ids and the thread id.
  /// Rebuilt where used rather than hoisted: see buildMMA.
  Coords coords(OpBuilder &b, Value bx, Value by, Value tid) const {
    Coords c;
    c.p0 = arith::MulIOp::create(b, loc, bx, cI(b, loc, kBN));
    c.m0 = arith::MulIOp::create(b, loc, by, cI(b, loc, kBM));
    // Warps as 2 x 2 over the 64 x 64 tile; affine.apply, like the index
    // arithmetic upstream's own pipelines hand to vector-to-nvgpu.
    AffineExpr t = b.getAffineDimExpr(0);
    c.wmRow = affine::AffineApplyOp::create(
        b, loc, AffineMap::get(1, 0, {t.floorDiv(64) * kWarpM}), ValueRange{tid});
    c.wnRow = affine::AffineApplyOp::create(
        b, loc, AffineMap::get(1, 0, {(t.floorDiv(32) % 2) * kWarpN}), ValueRange{tid});
    return c;
  }

  /// Runs `one` for the elements e = i * kThreads + tid, i < elems / kThreads.
  void perThreadElements(OpBuilder &b, Value tid, int64_t elems,
                         function_ref<void(OpBuilder &, Value e)> one) const {
    auto loop = scf::ForOp::create(b, loc, cI(b, loc, 0), cI(b, loc, elems / kThreads),
                                   cI(b, loc, 1));
    OpBuilder sb = OpBuilder::atBlockBegin(loop.getBody());
    Value e = arith::AddIOp::create(
        sb, loc, arith::MulIOp::create(sb, loc, loop.getInductionVar(), cI(sb, loc, kThreads)),
        tid);
    one(sb, e);
  }

  /// One thread's share of staging K step k0: a 64x32 tile of W (threads on
  /// consecutive k) and a 64x32 tile of im2col(X), pixel-major (threads on
  /// consecutive pixels, so reads are coalesced along the output row).
  void stage(OpBuilder &b, Value tid, Value p0, Value m0, Value k0, Value sA, Value sB) const {
    Type i8 = b.getI8Type();
    perThreadElements(b, tid, kBM * kBK, [&](OpBuilder &sb, Value e) {
      Body s{sb, loc};
      Value r = arith::DivUIOp::create(sb, loc, e, cI(sb, loc, kBK));
      Value c = arith::RemUIOp::create(sb, loc, e, cI(sb, loc, kBK));
      Value m = arith::AddIOp::create(sb, loc, m0, r);
      Value k = arith::AddIOp::create(sb, loc, k0, c);
      Value ok = s.andi(s.cmpi(arith::CmpIPredicate::ult, m, cI(sb, loc, M())),
                        s.cmpi(arith::CmpIPredicate::ult, k, cI(sb, loc, K())));
      Value mc = s.select(ok, m, cI(sb, loc, 0)), kc = s.select(ok, k, cI(sb, loc, 0));
      Value v = memref::LoadOp::create(sb, loc, w2, ValueRange{mc, kc});
      v = s.select(ok, v, s.intConst(i8, 0));
      memref::StoreOp::create(sb, loc, v, sA, ValueRange{r, c});
    });
    perThreadElements(b, tid, kBN * kBK, [&](OpBuilder &sb, Value e) {
      Body s{sb, loc};
      Value r = arith::RemUIOp::create(sb, loc, e, cI(sb, loc, kBN));
      Value c = arith::DivUIOp::create(sb, loc, e, cI(sb, loc, kBN));
      Value p = arith::AddIOp::create(sb, loc, p0, r);
      Value k = arith::AddIOp::create(sb, loc, k0, c);
      Value pOk = s.cmpi(arith::CmpIPredicate::ult, p, cI(sb, loc, P()));
      Value kOk = s.cmpi(arith::CmpIPredicate::ult, k, cI(sb, loc, K()));
      Value pc = s.select(pOk, p, cI(sb, loc, 0)), kc = s.select(kOk, k, cI(sb, loc, 0));
      if (gemm) {
        // Rows of the activation matrix: no padding; past P or K reads 0.
        Value v = memref::LoadOp::create(sb, loc, x, ValueRange{pc, kc});
        v = s.select(s.andi(pOk, kOk), v, s.intConst(i8, 0));
        memref::StoreOp::create(sb, loc, v, sB, ValueRange{r, c});
        return;
      }
      Value n = arith::DivUIOp::create(sb, loc, pc, cI(sb, loc, g.oh * g.ow));
      Value rem = arith::RemUIOp::create(sb, loc, pc, cI(sb, loc, g.oh * g.ow));
      Value oh = arith::DivUIOp::create(sb, loc, rem, cI(sb, loc, g.ow));
      Value ow = arith::RemUIOp::create(sb, loc, rem, cI(sb, loc, g.ow));
      Value ci = arith::DivUIOp::create(sb, loc, kc, cI(sb, loc, g.kh * g.kw));
      Value tap = arith::RemUIOp::create(sb, loc, kc, cI(sb, loc, g.kh * g.kw));
      Value ky = arith::DivUIOp::create(sb, loc, tap, cI(sb, loc, g.kw));
      Value kx = arith::RemUIOp::create(sb, loc, tap, cI(sb, loc, g.kw));
      auto coord = [&](Value o, Value kk, int64_t st, int64_t dl, int64_t pd) {
        Value v = arith::AddIOp::create(
            sb, loc, arith::MulIOp::create(sb, loc, o, cI(sb, loc, st)),
            arith::MulIOp::create(sb, loc, kk, cI(sb, loc, dl)));
        return arith::SubIOp::create(sb, loc, v, cI(sb, loc, pd)).getResult();
      };
      Value ih = coord(oh, ky, g.sh, g.dh, g.ph), iw = coord(ow, kx, g.sw, g.dw, g.pw);
      Value inside = s.andi(s.andi(s.cmpi(arith::CmpIPredicate::sge, ih, cI(sb, loc, 0)),
                                   s.cmpi(arith::CmpIPredicate::slt, ih, cI(sb, loc, g.h))),
                            s.andi(s.cmpi(arith::CmpIPredicate::sge, iw, cI(sb, loc, 0)),
                                   s.cmpi(arith::CmpIPredicate::slt, iw, cI(sb, loc, g.w))));
      Value ihc = s.select(inside, ih, cI(sb, loc, 0)), iwc = s.select(inside, iw, cI(sb, loc, 0));
      Value v = memref::LoadOp::create(sb, loc, x, ValueRange{n, ci, ihc, iwc});
      // Padding is the real 0, i.e. the zero point; columns past P or K are
      // multiplied by W = 0 or never stored.
      v = s.select(inside, v, s.intConst(i8, zx));
      v = s.select(s.andi(pOk, kOk), v, s.intConst(i8, 0));
      memref::StoreOp::create(sb, loc, v, sB, ValueRange{r, c});
    });
  }

  /// One thread's share of the epilogue: C tile + offset, requantized with
  /// the per-channel scale, stored to y (threads on consecutive pixels).
  void epilogue(OpBuilder &b, Value tid, Value p0, Value m0, Value sC) const {
    perThreadElements(b, tid, kBM * kBN, [&](OpBuilder &eb, Value e) {
      Body s{eb, loc};
      Value r = arith::DivUIOp::create(eb, loc, e, cI(eb, loc, kBN));
      Value c = arith::RemUIOp::create(eb, loc, e, cI(eb, loc, kBN));
      Value m = arith::AddIOp::create(eb, loc, m0, r);
      Value p = arith::AddIOp::create(eb, loc, p0, c);
      Value ok = s.andi(s.cmpi(arith::CmpIPredicate::ult, m, cI(eb, loc, M())),
                        s.cmpi(arith::CmpIPredicate::ult, p, cI(eb, loc, P())));
      auto guard = scf::IfOp::create(eb, loc, ok, /*withElseRegion=*/false);
      OpBuilder gb = guard.getThenBodyBuilder();
      Body t{gb, loc};
      Value accV = memref::LoadOp::create(gb, loc, sC, ValueRange{r, c});
      Value offV = memref::LoadOp::create(gb, loc, offT, ValueRange{m});
      Value v = t.requantize(t.add(accV, offV),
                             memref::LoadOp::create(gb, loc, multT, ValueRange{m}),
                             memref::LoadOp::create(gb, loc, shiftT, ValueRange{m}), out);
      if (gemm) {
        memref::StoreOp::create(gb, loc, v, y, ValueRange{p, m});
        return;
      }
      Value n = arith::DivUIOp::create(gb, loc, p, cI(gb, loc, g.oh * g.ow));
      Value rem = arith::RemUIOp::create(gb, loc, p, cI(gb, loc, g.oh * g.ow));
      Value oh = arith::DivUIOp::create(gb, loc, rem, cI(gb, loc, g.ow));
      Value ow = arith::RemUIOp::create(gb, loc, rem, cI(gb, loc, g.ow));
      memref::StoreOp::create(gb, loc, v, y, ValueRange{n, m, oh, ow});
    });
  }

  int64_t kSteps() const { return (K() + kBK - 1) / kBK; }

  /// The GPU kernel.
  LogicalResult emitGPU(OpBuilder &b) const {
    MLIRContext *ctx = b.getContext();
    // #gpu.address_space<workgroup>: the vector-to-nvgpu conversion picks
    // ldmatrix only for it (qopt-shared-memory-space turns it into the
    // integer 3 before the NVVM conversions).
    auto workgroup = gpu::AddressSpaceAttr::get(ctx, gpu::AddressSpace::Workgroup);
    Type i8 = b.getI8Type(), i32 = b.getI32Type();
    auto smemA = MemRefType::get({kBM, kBK}, i8, MemRefLayoutAttrInterface{}, workgroup);
    auto smemB = MemRefType::get({kBN, kBK}, i8, MemRefLayoutAttrInterface{}, workgroup);
    auto smemC = MemRefType::get({kBM, kBN}, i32, MemRefLayoutAttrInterface{}, workgroup);
    Value one = cI(b, loc, 1);
    auto launch = gpu::LaunchOp::create(
        b, loc, cI(b, loc, (P() + kBN - 1) / kBN), cI(b, loc, (M() + kBM - 1) / kBM), one,
        cI(b, loc, kThreads), one, one, /*dynamicSharedMemorySize=*/nullptr,
        /*asyncTokenType=*/nullptr, /*asyncDependencies=*/{}, TypeRange{smemA, smemB, smemC});
    OpBuilder kb = OpBuilder::atBlockBegin(&launch.getBody().front());
    Value sA = launch.getWorkgroupAttributions()[0];
    Value sB = launch.getWorkgroupAttributions()[1];
    Value sC = launch.getWorkgroupAttributions()[2];
    auto ids = [&](OpBuilder &cb) {
      Value tid = gpu::ThreadIdOp::create(cb, loc, gpu::Dimension::x);
      Value bx = gpu::BlockIdOp::create(cb, loc, gpu::Dimension::x);
      Value by = gpu::BlockIdOp::create(cb, loc, gpu::Dimension::y);
      return std::make_pair(tid, coords(cb, bx, by, tid));
    };
    // One accumulator per mma.sync tile, 2 x 4 tiles of 16x8 per warp, in
    // registers across the K loop (its iter_args); written to the shared C
    // tile once at the end for the epilogue.
    {
      auto [tid, c] = ids(kb);
      if (failed(buildMMA(
              kb, loc, ValueRange{sA, sB, sC, c.wmRow, c.wnRow},
              [&](OpBuilder &vb, ValueRange a) { warpLoop(vb, ctx, a); },
              [&](OpBuilder &sb, Value k0) {
                auto [stid, sc] = ids(sb);
                stage(sb, stid, sc.p0, sc.m0, k0, sA, sB);
              })))
        return failure();
    }
    gpu::BarrierOp::create(kb, loc);
    auto [tid, c] = ids(kb);
    epilogue(kb, tid, c.p0, c.m0, sC);
    gpu::TerminatorOp::create(kb, loc);
    return success();
  }

  /// One warp's K loop as vector ops (turned into ldmatrix + mma.sync):
  /// a = [sA, sB, sC, wmRow, wnRow]. Each step calls @stage (the threads'
  /// staging of the tiles), waits, multiplies, and waits again before the
  /// next stage overwrites the tiles.
  void warpLoop(OpBuilder &vb, MLIRContext *ctx, ValueRange a) const {
    Value sA = a[0], sB = a[1], sC = a[2], wmRow = a[3], wnRow = a[4];
    Type i8 = vb.getI8Type(), i32 = vb.getI32Type();
    constexpr int64_t kTilesM = kWarpM / 16, kTilesN = kWarpN / 8;
    auto accType = VectorType::get({16, 8}, i32);
    Value zeroAcc =
        arith::ConstantOp::create(vb, loc, DenseElementsAttr::get(accType, APInt(32, 0)));
    SmallVector<Value> zeros(kTilesM * kTilesN, zeroAcc);
    auto kLoop = scf::ForOp::create(vb, loc, cI(vb, loc, 0), cI(vb, loc, kSteps()),
                                    cI(vb, loc, 1), zeros);
    {
      OpBuilder lb = OpBuilder::atBlockBegin(kLoop.getBody());
      AffineExpr d = lb.getAffineDimExpr(0);
      Value k0 = affine::AffineApplyOp::create(lb, loc, AffineMap::get(1, 0, {d * kBK}),
                                               ValueRange{kLoop.getInductionVar()});
      func::CallOp::create(lb, loc, kStageCallee, TypeRange{}, ValueRange{k0});
      gpu::BarrierOp::create(lb, loc);
      Value zero8 = arith::ConstantIntOp::create(lb, loc, i8, 0);
      SmallVector<bool> inBounds{true, true};
      SmallVector<Value> aFrag, bFrag;
      for (int64_t mi = 0; mi < kTilesM; ++mi)
        aFrag.push_back(vector::TransferReadOp::create(
            lb, loc, VectorType::get({16, kBK}, i8),
            window(lb, loc, sA, offsetBy(lb, loc, wmRow, 16 * mi), cI(lb, loc, 0), 16, kBK),
            ValueRange{cI(lb, loc, 0), cI(lb, loc, 0)}, zero8, ArrayRef<bool>(inBounds)));
      for (int64_t ni = 0; ni < kTilesN; ++ni)
        bFrag.push_back(vector::TransferReadOp::create(
            lb, loc, VectorType::get({8, kBK}, i8),
            window(lb, loc, sB, offsetBy(lb, loc, wnRow, 8 * ni), cI(lb, loc, 0), 8, kBK),
            ValueRange{cI(lb, loc, 0), cI(lb, loc, 0)}, zero8, ArrayRef<bool>(inBounds)));
      AffineExpr dm, dn, dk;
      bindDims(ctx, dm, dn, dk);
      SmallVector<AffineMap> maps{AffineMap::get(3, 0, {dm, dk}, ctx),
                                  AffineMap::get(3, 0, {dn, dk}, ctx),
                                  AffineMap::get(3, 0, {dm, dn}, ctx)};
      auto iterators = ArrayAttr::get(
          ctx, {vector::IteratorTypeAttr::get(ctx, vector::IteratorType::parallel),
                vector::IteratorTypeAttr::get(ctx, vector::IteratorType::parallel),
                vector::IteratorTypeAttr::get(ctx, vector::IteratorType::reduction)});
      SmallVector<Value> next;
      for (int64_t mi = 0; mi < kTilesM; ++mi)
        for (int64_t ni = 0; ni < kTilesN; ++ni)
          next.push_back(vector::ContractionOp::create(
              lb, loc, aFrag[mi], bFrag[ni], kLoop.getRegionIterArgs()[mi * kTilesN + ni],
              lb.getAffineMapArrayAttr(maps), iterators));
      gpu::BarrierOp::create(lb, loc);
      scf::YieldOp::create(lb, loc, next);
    }
    SmallVector<bool> inBounds{true, true};
    for (int64_t mi = 0; mi < kTilesM; ++mi)
      for (int64_t ni = 0; ni < kTilesN; ++ni) {
        Value c0 = cI(vb, loc, 0);
        vector::TransferWriteOp::create(
            vb, loc, kLoop.getResult(mi * kTilesN + ni),
            window(vb, loc, sC, offsetBy(vb, loc, wmRow, 16 * mi),
                   offsetBy(vb, loc, wnRow, 8 * ni), 16, 8),
            ValueRange{c0, c0}, ArrayRef<bool>(inBounds));
      }
  }

  /// The same algorithm as host loops (for checking on the CPU).
  LogicalResult emitHost(OpBuilder &b) const {
    Type i8 = b.getI8Type(), i32 = b.getI32Type();
    Value sA = memref::AllocOp::create(b, loc, MemRefType::get({kBM, kBK}, i8));
    Value sB = memref::AllocOp::create(b, loc, MemRefType::get({kBN, kBK}, i8));
    Value sC = memref::AllocOp::create(b, loc, MemRefType::get({kBM, kBN}, i32));
    auto loop = [&](OpBuilder &ob, int64_t n) {
      auto l = scf::ForOp::create(ob, loc, cI(ob, loc, 0), cI(ob, loc, n), cI(ob, loc, 1));
      return std::make_pair(OpBuilder::atBlockBegin(l.getBody()), l.getInductionVar());
    };
    auto [byb, by] = loop(b, (M() + kBM - 1) / kBM);
    auto [bxb, bx] = loop(byb, (P() + kBN - 1) / kBN);
    {
      auto [zb, e] = loop(bxb, kBM * kBN);
      memref::StoreOp::create(zb, loc, arith::ConstantIntOp::create(zb, loc, i32, 0), sC,
                              ValueRange{arith::DivUIOp::create(zb, loc, e, cI(zb, loc, kBN)),
                                         arith::RemUIOp::create(zb, loc, e, cI(zb, loc, kBN))});
    }
    auto [kb, ks] = loop(bxb, kSteps());
    Value k0 = arith::MulIOp::create(kb, loc, ks, cI(kb, loc, kBK));
    {
      auto [tb, tid] = loop(kb, kThreads);
      Coords c = coords(tb, bx, by, tid);
      stage(tb, tid, c.p0, c.m0, k0, sA, sB);
    }
    {
      // Each warp's 32x32 tile: the product mma.sync computes.
      auto [wb, warp] = loop(kb, kThreads / 32);
      Value tid = arith::MulIOp::create(wb, loc, warp, cI(wb, loc, 32));
      Coords c = coords(wb, bx, by, tid);
      auto [mb, mi] = loop(wb, kWarpM);
      auto [nb, ni] = loop(mb, kWarpN);
      Value row = arith::AddIOp::create(nb, loc, c.wmRow, mi);
      Value col = arith::AddIOp::create(nb, loc, c.wnRow, ni);
      Value acc0 = memref::LoadOp::create(nb, loc, sC, ValueRange{row, col});
      auto kl = scf::ForOp::create(nb, loc, cI(nb, loc, 0), cI(nb, loc, kBK), cI(nb, loc, 1),
                                   ValueRange{acc0});
      {
        OpBuilder ib = OpBuilder::atBlockBegin(kl.getBody());
        Body s{ib, loc};
        Value av = memref::LoadOp::create(ib, loc, sA, ValueRange{row, kl.getInductionVar()});
        Value bv = memref::LoadOp::create(ib, loc, sB, ValueRange{col, kl.getInductionVar()});
        Value prod = s.mul(s.toI32(av, true), s.toI32(bv, true));
        scf::YieldOp::create(ib, loc, ValueRange{s.add(kl.getRegionIterArgs()[0], prod)});
      }
      memref::StoreOp::create(nb, loc, kl.getResult(0), sC, ValueRange{row, col});
    }
    {
      auto [tb, tid] = loop(bxb, kThreads);
      Coords c = coords(tb, bx, by, tid);
      epilogue(tb, tid, c.p0, c.m0, sC);
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
      wq.getStorageTypeIntegralWidth() != 8 || !wq.isSigned() ||
      yq.getStorageTypeIntegralWidth() > 16)
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
FailureOr<Value> buildTensorCoreKernel(OpBuilder &b, Operation *op, Value xTensor, Value xOrig,
                                       Value wOrig, Value wTensor, const ref::Tensor &w,
                                       const ref::Tensor *bias, Geometry g, bool gemm,
                                       bool emulate) {
  Location loc = op->getLoc();
  auto yt = cast<RankedTensorType>(op->getResult(0).getType());
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
    int64_t rowsum = 0;
    for (int64_t k = 0; k < K; ++k)
      rowsum += w.data<int8_t>()[m * K + k];
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
  Value x = memrefOf(xTensor);
  Value w2;
  if (wTensor) {
    Value wm = memrefOf(wTensor);
    auto shape = cast<MemRefType>(wm.getType()).getShape();
    ReassociationIndices tail;
    for (size_t i = 1; i < shape.size(); ++i)
      tail.push_back(i);
    w2 = shape.size() == 2 ? wm
                           : memref::CollapseShapeOp::create(
                                 b, loc, wm, SmallVector<ReassociationIndices>{{0}, tail})
                                 .getResult();
  } else {
    Value wConst = arith::ConstantOp::create(
        b, loc, ref::attrFromTensor(b.getContext(), w.reshaped({M, K}), "tc.weights"));
    w2 = memrefOf(wConst);
  }
  Value multT = memrefOf(i32Tensor(b, loc, mults));
  Value shiftT = memrefOf(i32Tensor(b, loc, shifts));
  Value offT = memrefOf(i32Tensor(b, loc, offsets));
  auto yStorage = storageTensorType(yt);
  auto yMem = MemRefType::get(yStorage.getShape(), yStorage.getElementType());
  Value y = memref::AllocOp::create(b, loc, yMem);
  TileKernel kernel{loc, g, zx, ic->out, x, w2, multT, shiftT, offT, y, gemm};
  if (failed(emulate ? kernel.emitHost(b) : kernel.emitGPU(b)))
    return failure();
  return bufferization::ToTensorOp::create(b, loc, yStorage, y, /*restrict=*/true,
                                           /*writable=*/true)
      .getResult();
}

} // namespace

FailureOr<Value> qopt::lowering::lowerConvTensorCore(OpBuilder &b, qnn::ConvOp op, Operands in,
                                                     bool emulate) {
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
  return buildTensorCoreKernel(b, op, in[0], op.getInput(), op.getWeight(), in[1], *w,
                               bias ? &*bias : nullptr, g, /*gemm=*/false, emulate);
}

bool qopt::lowering::tensorCoreEligible(qnn::GemmOp op, std::string *why) {
  auto say = [&](const char *msg) {
    if (why)
      *why = msg;
    return false;
  };
  auto at = cast<RankedTensorType>(op.getA().getType());
  auto bt = cast<RankedTensorType>(op.getB().getType());
  auto yt = cast<RankedTensorType>(op.getResult().getType());
  auto aq = dyn_cast<mlir::quant::QuantizedType>(at.getElementType());
  auto bq = dyn_cast<mlir::quant::QuantizedType>(bt.getElementType());
  if (!aq || !bq || !isa<mlir::quant::QuantizedType>(yt.getElementType()))
    return say("not an integer gemm");
  if (op.getTransA() || op.getAlpha().convertToDouble() != 1.0 ||
      op.getBeta().convertToDouble() != 1.0)
    return say("transposed A or alpha/beta other than 1");
  if (aq.getStorageTypeIntegralWidth() != 8 || !aq.isSigned() ||
      bq.getStorageTypeIntegralWidth() != 8 || !bq.isSigned())
    return say("tensor cores take signed 8-bit operands");
  auto bp = ref::quantParamsOf(bt.getElementType());
  if (!bp) {
    llvm::consumeError(bp.takeError());
    return say("B parameters");
  }
  if (llvm::any_of(bp->zeroPoints, [](int32_t z) { return z != 0; }))
    return say("B with a zero point");
  if (!constantOf(op.getB()))
    return say("B is not a constant");
  int64_t n = yt.getDimSize(1), k = op.getTransB() ? bt.getDimSize(1) : bt.getDimSize(0);
  if (op.getC()) {
    auto c = constantOf(op.getC());
    if (!c || (c->numElements() != 1 && c->numElements() != n))
      return say("C is not a constant with 1 or N elements");
  }
  if (n < 16 || k < 32)
    return say("too small for a 64x64 tile");
  return true;
}

FailureOr<Value> qopt::lowering::lowerGemmTensorCore(OpBuilder &b, qnn::GemmOp op, Operands in,
                                                     bool emulate) {
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
                               op.getTransB() ? in[1] : Value(), w, bias ? &*bias : nullptr, g,
                               /*gemm=*/true, emulate);
}
