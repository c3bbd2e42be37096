//===- QuantizedOps.h - Running quantized qnn IR exactly -------*- C++ -*-===//
//
// The bridge between `!quant.uniform` types in qnn IR and the MLIR-free
// integer kernels: parameters are read from the types, ops with quantized
// operands run on their storage integers, and quant.qcast / dcast / scast run
// with ONNX QuantizeLinear / DequantizeLinear semantics.
//
//===----------------------------------------------------------------------===//

#ifndef QOPT_REFERENCE_QUANTIZEDOPS_H
#define QOPT_REFERENCE_QUANTIZEDOPS_H

#include "qopt/Reference/IntegerKernels.h"

#include "mlir/IR/Operation.h"

namespace qopt::ref {

/// Parameters and storage dtype of a `!quant.uniform` element type (per
/// tensor or per axis); an error for other types.
llvm::Expected<QuantParams> quantParamsOf(mlir::Type elementType);
llvm::Expected<DType> storageDTypeOf(mlir::Type elementType);

/// Whether `op` must run through evaluateQuantizedOp: a quant dialect cast or
/// an op with a quantized operand or result.
bool isQuantizedEvaluation(mlir::Operation *op);

/// Runs one such op on storage tensors; the error says which op and why
/// (including ops that have no integer form).
llvm::Expected<Tensor> evaluateQuantizedOp(mlir::Operation *op, llvm::ArrayRef<Tensor> operands);

/// The clamp range of an op's quantized result: its storage range narrowed by
/// a fused (or the op's own) relu or clip. Other fused activations have no
/// integer clamp and are an error.
llvm::Expected<IntOutput> integerOutputOf(mlir::Operation *op);

/// Applies a float elementwise op to a 1-D tensor of values as the float
/// kernel would: unary ops with a table form, relu, clip, and add/sub/mul/div
/// by a single-element constant (either side). Used to build the table of a
/// chain of such ops (qnn.lut); fails for anything else.
llvm::Expected<Tensor> applyElementwise(mlir::Operation *op, const Tensor &values);

/// Whether `op`, quantized, is a unary op that the reference evaluates as a
/// table of its 8-bit input codes (sigmoid, tanh, gelu, hard_swish, ...).
bool isTableUnary(mlir::Operation *op);

} // namespace qopt::ref

#endif // QOPT_REFERENCE_QUANTIZEDOPS_H
