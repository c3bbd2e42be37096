//===- Lowering.h - Shared pieces of the qnn -> linalg lowering -*- C++ -*-===//
//
// Private to lib/Conversion/QNNToLinalg. Every qnn op lowers to one
// all-parallel linalg.generic whose body computes one output element; the
// helpers here build those generics, read tensors inside bodies, and emit the
// bit-exact integer arithmetic of docs/quantization.md as arith ops.
//
//===----------------------------------------------------------------------===//

#ifndef QOPT_LIB_CONVERSION_QNNTOLINALG_LOWERING_H
#define QOPT_LIB_CONVERSION_QNNTOLINALG_LOWERING_H

#include "qopt/Quant/Arithmetic.h"
#include "qopt/Reference/IntegerKernels.h"
#include "qopt/Reference/QuantizedOps.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/Builders.h"

#include "llvm/ADT/DenseMap.h"
#include "llvm/ADT/StringMap.h"

#include <algorithm>
#include <functional>
#include <optional>
#include <string>

namespace qopt::qnn {
class ConstantOp;
class ConvOp;
class GemmOp;
class MatMulOp;
} // namespace qopt::qnn

namespace qopt::lowering {

/// What a tensor's element type means: a float, a plain integer, or a
/// quantized type with its storage and parameters.
struct ElementInfo {
  mlir::Type storage; // the element type of the lowered tensor
  bool quantized = false;
  bool isSigned = true;
  ref::QuantParams params; // quantized only
};

mlir::FailureOr<ElementInfo> elementInfo(mlir::Operation *op, mlir::Value v);

/// The lowered form of a tensor type (quantized elements become storage).
mlir::RankedTensorType storageTensorType(mlir::Type t);

/// The requantization applied to one integer result: fixed point scale,
/// output zero point and clamp (already narrowed by a fused relu/clip).
struct Requant {
  qopt::quant::FixedPointScale scale;
  int32_t zeroPoint = 0;
  int32_t lo = -128, hi = 127;
  mlir::Type storage;
};

/// The physical order of a lowered tensor's dimensions: physical dimension i
/// holds logical (qnn) dimension order[i]; empty is the identity. NHWC is
/// {0, 2, 3, 1} for a logical NCHW tensor.
using DimOrder = llvm::SmallVector<int64_t, 4>;
inline bool isIdentityOrder(llvm::ArrayRef<int64_t> order) {
  for (auto [i, d] : llvm::enumerate(order))
    if ((int64_t)i != d)
      return false;
  return true;
}
/// The shape of a logical shape stored in `order`.
llvm::SmallVector<int64_t> physicalShape(llvm::ArrayRef<int64_t> logical,
                                         llvm::ArrayRef<int64_t> order);

/// The layouts in force while one op is lowered (docs/codegen.md,
/// "Layout"). Lowerings are written against logical (qnn) indices; while a
/// scope is active, buildGeneric stores a result of the op's rank in
/// `result` order, reads its inputs through maps composed with their orders
/// and hands the body logical indices, and Body::extract permutes the
/// indices of a tensor stored out of order. So every lowering built from
/// generics and extracts is layout-agnostic; the pass gives the others
/// (reshape, the tensor-core kernels) tensors in the order they expect.
class LayoutScope {
public:
  LayoutScope(llvm::DenseMap<mlir::Value, DimOrder> &orders, DimOrder result);
  ~LayoutScope();
  LayoutScope(const LayoutScope &) = delete;
  LayoutScope &operator=(const LayoutScope &) = delete;
  /// The innermost active scope of this thread, or null.
  static LayoutScope *current();
  /// The order of a lowered tensor (empty for the identity).
  llvm::ArrayRef<int64_t> orderOf(mlir::Value v) const;
  llvm::ArrayRef<int64_t> result() const { return resultOrder; }
  void record(mlir::Value v, llvm::ArrayRef<int64_t> order);

private:
  llvm::DenseMap<mlir::Value, DimOrder> &orders;
  DimOrder resultOrder;
  LayoutScope *outer;
};

/// The logical (qnn) shape of a lowered tensor, which the active
/// LayoutScope may store in another order: lowerings reason in these.
llvm::SmallVector<int64_t> logicalShape(mlir::Value lowered);

/// Builds one all-parallel linalg.generic producing `resultType`. `inputs`
/// are read through `inputMaps` (affine maps of the result's dims) and
/// arrive in the body as `args`; anything else is read with `extract`.
/// `body` returns the element to store.
using BodyFn = std::function<mlir::Value(mlir::OpBuilder &b, mlir::Location loc,
                                         mlir::ValueRange idx, mlir::ValueRange args)>;
mlir::Value buildGeneric(mlir::OpBuilder &b, mlir::Location loc,
                         mlir::RankedTensorType resultType, mlir::ValueRange inputs,
                         llvm::ArrayRef<mlir::AffineMap> inputMaps, const BodyFn &body);

/// An scf.for nest over [0, bounds[i]) carrying one value: `step` gets the
/// induction variables and the carried value and returns the next one.
/// With no bounds, returns `init`.
using StepFn = llvm::function_ref<mlir::Value(mlir::OpBuilder &, mlir::Location,
                                              mlir::ValueRange ivs, mlir::Value carried)>;
mlir::Value loopNest(mlir::OpBuilder &b, mlir::Location loc, llvm::ArrayRef<int64_t> bounds,
                     mlir::Value init, StepFn step);

struct Body;

/// A float reduction of x over the logical dimensions marked in `reduced`,
/// in the summation order of qopt/Quant/RowReduction.h (the reference's):
/// every element of a row is read as f32 and folded into its lane with
/// `step(v, acc, given)` from `init`, the lanes are combined with
/// `combine`, and `finish(acc, given)` gives the stored element. `given` is
/// the row's element of an earlier statistic (a tensor of x's rank with the
/// reduced dimensions 1), when one is passed.
///
/// A row of more than one lane takes two kernels: one thread per (row,
/// lane) writes the lane results, one thread per row combines and finishes
/// them. A shorter row is one kernel, one thread per row. The result is
/// `resultType` when given (an element of a rank below x's drops the
/// reduced dimensions, keepdims = 0), else an f32 tensor of x's rank with
/// the reduced dimensions 1. With an integer `accType` the lanes accumulate
/// in it and `step` gets x's storage elements as they are (integer sums are
/// exact, so any order gives the reference's result).
using RowStepFn =
    llvm::function_ref<mlir::Value(Body &, mlir::Value v, mlir::Value acc, mlir::Value given)>;
using RowCombineFn = llvm::function_ref<mlir::Value(Body &, mlir::Value a, mlir::Value c)>;
using RowFinishFn = llvm::function_ref<mlir::Value(Body &, mlir::Value acc, mlir::Value given)>;
mlir::Value rowStatistic(mlir::OpBuilder &b, mlir::Location loc, mlir::Value x,
                         llvm::ArrayRef<bool> reduced, double init, RowStepFn step,
                         RowCombineFn combine, RowFinishFn finish = nullptr,
                         mlir::Value given = mlir::Value(),
                         mlir::RankedTensorType resultType = nullptr,
                         mlir::Type accType = nullptr);

/// The affine map reading an operand of `operandShape` broadcast (NumPy
/// rules) to a result of rank `resultRank`.
mlir::AffineMap broadcastMap(mlir::MLIRContext *ctx, llvm::ArrayRef<int64_t> operandShape,
                             llvm::ArrayRef<int64_t> resultShape);

/// Scalar helpers for bodies.
struct Body {
  mlir::OpBuilder &b;
  mlir::Location loc;

  mlir::Value i32(int64_t v);
  mlir::Value i64(int64_t v);
  mlir::Value idx(int64_t v);
  mlir::Value f32(double v);
  mlir::Value floatConst(mlir::Type t, double v);
  mlir::Value intConst(mlir::Type t, int64_t v);
  /// Widens a storage integer to i32 (sign or zero extension).
  mlir::Value toI32(mlir::Value v, bool isSigned);
  mlir::Value toF32(mlir::Value v);
  mlir::Value fromF32(mlir::Value v, mlir::Type t);
  mlir::Value add(mlir::Value a, mlir::Value c);
  mlir::Value sub(mlir::Value a, mlir::Value c);
  mlir::Value mul(mlir::Value a, mlir::Value c);
  mlir::Value select(mlir::Value cond, mlir::Value a, mlir::Value c);
  mlir::Value cmpi(mlir::arith::CmpIPredicate p, mlir::Value a, mlir::Value c);
  mlir::Value andi(mlir::Value a, mlir::Value c);
  /// Reads t[indices] (indices of index type).
  mlir::Value extract(mlir::Value t, mlir::ValueRange indices);
  /// requantize(acc) per docs/quantization.md, result in r.storage.
  mlir::Value requantize(mlir::Value acc, const Requant &r);
  /// Same with a per-element multiplier and shift (i32 values).
  mlir::Value requantize(mlir::Value acc, mlir::Value multiplier, mlir::Value shift,
                         const Requant &r);
  /// applyScale(v, s) as i32 (v i32).
  mlir::Value applyScale(mlir::Value v, mlir::Value multiplier, mlir::Value shift);
  /// ONNX QuantizeLinear of an f32 value.
  mlir::Value quantize(mlir::Value x, float scale, int32_t zeroPoint, int32_t qmin, int32_t qmax,
                       mlir::Type storage);
};

/// The per-op entry points, one per op family. Each returns the lowered
/// result or fails with an error at the op.
struct Operands {
  llvm::ArrayRef<mlir::Value> values; // the lowered operands, in the op's operand order
  mlir::Value operator[](size_t i) const { return values[i]; }
};
mlir::FailureOr<mlir::Value> lowerLinear(mlir::OpBuilder &b, mlir::Operation *op,
                                         Operands in);
mlir::FailureOr<mlir::Value> lowerPooling(mlir::OpBuilder &b, mlir::Operation *op,
                                          Operands in);
mlir::FailureOr<mlir::Value> lowerElementwise(mlir::OpBuilder &b, mlir::Operation *op,
                                              Operands in);
mlir::FailureOr<mlir::Value> lowerReduction(mlir::OpBuilder &b, mlir::Operation *op,
                                            Operands in);
mlir::FailureOr<mlir::Value> lowerDataMovement(mlir::OpBuilder &b, mlir::Operation *op,
                                               Operands in);

/// The tile shape of a tensor-core kernel: a bm x bn tile of C per block
/// (output channels x pixels), K in steps of bk, warps of wm x wn, and
/// `stages` K steps in shared memory at once (S-1 in flight while one is
/// multiplied). Written `BMxBNxBK/WMxWN/S`, e.g. 128x128x64/64x32/3.
struct TileConfig {
  int64_t bm = 64, bn = 64, bk = 32, wm = 32, wn = 32, stages = 3;
  /// Hopper's warpgroup MMA (sm_90a) instead of mma.sync: each warpgroup of
  /// 4 warps computes 64 rows x bn (wm = 64, wn = bn) with wgmma.mma_async
  /// m64nNk32 on operands read from shared memory by descriptors.
  bool wgmma = false;
  /// sm_86 and sm_89 give a block at most 99 KiB of shared memory; sm_90
  /// 227 KiB.
  static constexpr int64_t kMaxSharedBytes = 99 * 1024;
  static constexpr int64_t kMaxSharedBytesSm90 = 227 * 1024;
  int64_t warpsM() const { return bm / wm; }
  int64_t warpsN() const { return bn / wn; }
  /// Warps that issue one MMA unit (a warp, or a warpgroup).
  int64_t warpsPerUnit() const { return wgmma ? 4 : 1; }
  int64_t threads() const { return warpsM() * warpsN() * 32 * warpsPerUnit(); }
  /// wgmma groups each K step leaves running while the next is staged: one,
  /// when a stage is free for it (3 or more), so the tensor cores multiply
  /// while the threads wait for copies, gather and meet at the barrier.
  int64_t wgmmaPending() const { return wgmma && stages >= 3 ? 1 : 0; }
  /// How many K steps ahead the copies are issued: every stage but the one
  /// being multiplied, and the one a still-running wgmma reads.
  int64_t prefetch() const { return stages - 1 - wgmmaPending(); }
  /// Copy groups (one per step) a K step leaves in flight when it waits for
  /// its own: the ones issued after it.
  int64_t cpAsyncWait() const { return prefetch() - 1; }
  /// Row pitch of the i32 C tile in shared memory: two words of padding
  /// make the epilogue's column reads (a gemm's) 2-way instead of 32-way
  /// bank conflicts and keep the fragments' 8-byte stores aligned.
  int64_t cPitch() const { return bn + 2; }
  /// wgmma with K steps of 128 bytes: the stages are rows of 128 bytes in
  /// the 128-byte swizzle that TMA writes (CU_TENSOR_MAP_SWIZZLE_128B) and
  /// wgmma's descriptors read, 1024-byte aligned; operands that are plain
  /// [rows, K] matrices are loaded by TMA, completing on one mbarrier per
  /// stage (docs/codegen.md, "TMA").
  bool swizzle128() const { return wgmma && bk == 128; }
  /// Bytes of the stages, or of the C tile that takes their place.
  int64_t stagingBytes() const { return std::max(stages * (bm + bn) * bk, bm * cPitch() * 4); }
  /// Where the stages' mbarriers (8 bytes each) follow them, from the
  /// 1024-byte aligned start.
  int64_t barrierOffset() const { return (stagingBytes() + 7) / 8 * 8; }
  /// The dynamic shared memory a block asks for: with the 128-byte swizzle,
  /// up to 1023 bytes to align the start and the mbarriers after the stages.
  int64_t sharedBytes() const {
    return swizzle128() ? 1024 + barrierOffset() + 8 * stages : stagingBytes();
  }
  /// Registers per thread (PTX .maxnreg). With only .maxntid, ptxas for
  /// sm_90 aims at occupancy, caps the kernels near 72 registers and spills.
  /// A 128x128 tile of 8 warps keeps 64 accumulators per thread and fits
  /// 128 (2 blocks per SM); smaller tiles hold fewer accumulators but their
  /// byte-wise im2col staging keeps many addresses live, which 168 covers.
  /// A warpgroup keeps bn/2 accumulators per thread: 168 covers bn = 128,
  /// 232 bn = 256; a single warpgroup (128 threads) also stages a whole
  /// tile, whose byte-wise gathers (K % 16 != 0) need up to 232.
  /// Never more than a block may hold: 64K registers over its threads (128
  /// each for 512 threads), or the launch fails.
  int64_t registerBudget() const {
    int64_t budget = wgmma ? (bn >= 256 || bm == 64 ? 232 : 168)
                           : (bm * bn >= 128 * 128 ? 128 : 168);
    return std::min(budget, (65536 / threads()) & ~int64_t(7));
  }
  std::string str() const;
  /// Why the shape cannot be built, if it cannot.
  std::optional<std::string> invalid() const;
};
/// How the tensor-core kernels get their tile shapes: one shape for every
/// kernel (`--tensor-core-tile`), else per problem shape from a tile file
/// (`--tensor-core-tiles`, keys "MxPxK": output channels x pixels x
/// reduction taps; what an autotuner writes), else the heuristic; and the
/// instruction (mma.sync, or wgmma on sm_90a).
struct TileChoice {
  std::optional<TileConfig> all;
  llvm::StringMap<TileConfig> byShape;
  std::string file; // where byShape came from, for the remarks
  bool wgmma = false;
};
/// Reads a tile file: {"tiles": {"MxPxK": "BMxBNxBK/WMxWN/S", ...}}.
/// `why` names the key and what is wrong.
mlir::LogicalResult readTileFile(llvm::StringRef path, bool wgmma, TileChoice &choice,
                                 std::string *why);
/// `why` says what is wrong with a text that is not a buildable tile.
/// The discardable attribute that carries TileConfig::registerBudget from
/// the kernel body (gpu.dynamic_shared_memory) to the outlined function.
inline constexpr llvm::StringLiteral kRegisterBudgetAttr = "qopt.max_registers";
/// With `wgmma`, the shape of the sm_90a kernel (WMxWN = 64xBN).
mlir::FailureOr<TileConfig> parseTileConfig(llvm::StringRef text, std::string *why,
                                            bool wgmma = false);
/// The documented heuristic (docs/codegen.md, "Tile choice") for a
/// contraction of m output channels, p pixels and k reduction taps, whose
/// activation rows are contiguous along K (a gemm's, with K % 16 == 0) or
/// gathered as im2col.
TileConfig chooseTileConfig(int64_t m, int64_t p, int64_t k, bool contiguousX);
/// The same for the wgmma kernel (sm_90a).
TileConfig chooseWgmmaTileConfig(int64_t m, int64_t p, bool contiguousX);

/// The integer add of two storage scalars (the reference's intAdd: both
/// lifted by 2^20 and rescaled to twice the larger scale, summed,
/// requantized to the output with its fused clamp), for `op`, a qnn.add on
/// quantized tensors.
using IntBinaryFn = std::function<mlir::Value(Body &, mlir::Value a, mlir::Value b)>;
mlir::FailureOr<IntBinaryFn> intAddOf(mlir::Operation *op);


/// The scalar form of an elementwise op: its value at one element (logical
/// indices `idx`) from the values there of the operands it reads
/// elementwise (`args`, in the order of `ScalarForm::operands`); any other
/// operand (a lut's table) it reads itself, with Body::extract, from the
/// tensor or memref it was given. The elementwise generics and the
/// tensor-core epilogue (FusedEpilogue) share it.
using ScalarFn = std::function<mlir::Value(Body &, mlir::ValueRange idx, mlir::ValueRange args)>;
struct ScalarForm {
  ScalarFn fn;
  llvm::SmallVector<unsigned> operands; // the op's operands read elementwise
  /// Whether it can run inside another kernel (it reads no table of its own).
  bool fusable = true;
};
/// The ops lowerElementwise lowers, softmax aside: quantize, dequantize,
/// lut, cast, integer add/mul/requantize/relu/clip, float binary and unary.
bool hasScalarForm(mlir::Operation *op);
mlir::FailureOr<ScalarForm> scalarFormOf(mlir::OpBuilder &b, mlir::Operation *op, Operands in);

/// Elementwise ops run in a tensor-core kernel's epilogue: ops[0] takes the
/// kernel's requantized output (the contraction's result as the reference
/// stores it), each later op the one before it, and the kernel writes the
/// last one's result. `operands[i]` are op i's lowered operands (null at
/// the chain's place; the others are computed before the kernel) and
/// `orders[i]` their layouts.
struct FusedEpilogue {
  llvm::SmallVector<mlir::Operation *> ops;
  llvm::SmallVector<llvm::SmallVector<mlir::Value>> operands;
  llvm::SmallVector<llvm::SmallVector<DimOrder>> orders;
  mlir::Operation *last() const { return ops.empty() ? nullptr : ops.back(); }
};

/// The layouts of a tensor-core conv's input (NCHW or NHWC) and output
/// (NCHW or NHWC: [P, Cout] rows, coalesced along the channels).
struct ConvLayout {
  bool inputNHWC = false, outputNHWC = false;
};

/// Whether an integer conv can run as the tensor-core implicit GEMM
/// (TensorCore.cpp); `why` says what rules it out.
bool tensorCoreEligible(qnn::ConvOp op, std::string *why = nullptr);
/// The tensor-core kernel of an eligible conv, as a gpu.launch between
/// bufferization.to_buffer/to_tensor ops (GPU pipeline only); with `emulate`,
/// the same tile algorithm as host loops, to check it on the CPU. `tiles`
/// picks its tile shape and instruction.
mlir::FailureOr<mlir::Value> lowerConvTensorCore(mlir::OpBuilder &b, qnn::ConvOp op,
                                                 Operands in, bool emulate,
                                                 const TileChoice &tiles,
                                                 const FusedEpilogue *fused = nullptr,
                                                 ConvLayout layout = {});
/// The [Cout, KH, KW, Cin] constant a conv's weights are the transpose of
/// (qopt-pack-conv-weights), or null.
qnn::ConstantOp packedConvWeights(qnn::ConvOp op);
/// Whether a tensor-core conv's weights are read as [Cout, KH, KW, Cin] in
/// the NHWC layout (its input channels fill 16-byte chunks, kernel > 1x1).
bool readsTapMajorWeights(qnn::ConvOp op);
/// The same for an integer gemm (constant B, C with 1 or N elements), as a
/// 1x1 conv over the rows of A.
bool tensorCoreEligible(qnn::GemmOp op, std::string *why = nullptr);
mlir::FailureOr<mlir::Value> lowerGemmTensorCore(mlir::OpBuilder &b, qnn::GemmOp op,
                                                 Operands in, bool emulate,
                                                 const TileChoice &tiles,
                                                 const FusedEpilogue *fused = nullptr);
/// And for an integer matmul whose B is a constant matrix: A's leading
/// dimensions flatten into the rows of one GEMM (a transformer's linear
/// layers); the result keeps the matmul's shape, row-major.
bool tensorCoreEligible(qnn::MatMulOp op, std::string *why = nullptr);
mlir::FailureOr<mlir::Value> lowerMatMulTensorCore(mlir::OpBuilder &b, qnn::MatMulOp op,
                                                   Operands in, bool emulate,
                                                   const TileChoice &tiles,
                                                   const FusedEpilogue *fused = nullptr);
/// Whether a tensor-core matmul reads its B as a constant [N, K] matrix
/// (symmetric, 2-D); else B is read at run time.
bool matmulReadsConstantB(qnn::MatMulOp op, std::string *why = nullptr);
/// The [N, K] constant a matmul's B is the transpose of
/// (qopt-pack-matmul-weights), or null.
qnn::ConstantOp packedMatMulWeights(qnn::MatMulOp op);

/// Zero points and requantization of an integer contraction (conv, gemm,
/// matmul) whose weights have `channels` output channels: per channel (or
/// one for per-tensor weights) the weight zero point and the fixed-point
/// scale s_x * s_w[c] / s_y, the reference's own expression.
struct IntContraction {
  int32_t zx = 0;
  bool xSigned = true, wSigned = true;
  llvm::SmallVector<int32_t> zw;                  // one per channel, or one
  llvm::SmallVector<int32_t> multipliers, shifts; // one per channel, or one
  Requant out;
};
mlir::FailureOr<IntContraction> intContraction(mlir::Operation *op, mlir::Value x,
                                               mlir::Value w, int64_t channels);

/// The requantization of an integer op's result (its type and fused
/// clamp), for an accumulator whose real scale is `accScale`.
mlir::FailureOr<Requant> requantFor(mlir::Operation *op, double accScale);
/// The output clamp and storage of an integer op (scale left 0).
mlir::FailureOr<Requant> outputOf(mlir::Operation *op);
/// A constant 1-D tensor of i32 values.
mlir::Value i32Tensor(mlir::OpBuilder &b, mlir::Location loc, llvm::ArrayRef<int32_t> values);

/// Applies a float fused activation (relu, clip, leaky_relu, hard_sigmoid,
/// hard_swish) the way the reference executor does.
mlir::Value floatActivation(Body &body, mlir::Operation *op, mlir::Value v);

/// Moves storage integers, requantizing when the output's parameters or
/// clamp differ from the input's (the reference's `settle`).
mlir::FailureOr<std::function<mlir::Value(Body &, mlir::Value)>>
settleFn(mlir::Operation *op, mlir::Value operand);

} // namespace qopt::lowering

#endif // QOPT_LIB_CONVERSION_QNNTOLINALG_LOWERING_H
