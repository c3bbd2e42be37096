//===- QNNOps.h - QNN dialect operations ---------------------*- C++ -*-===//

#ifndef QOPT_DIALECT_QNN_QNNOPS_H
#define QOPT_DIALECT_QNN_QNNOPS_H

#include "qopt/Dialect/QNN/QNNDialect.h"

#include "mlir/Bytecode/BytecodeOpInterface.h"
#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/OpDefinition.h"
#include "mlir/IR/OpImplementation.h"
#include "mlir/Interfaces/InferTypeOpInterface.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"

namespace qopt::qnn {

/// Returns the NumPy (multidirectional) broadcast of two shapes, or failure
/// when a pair of dimensions is neither equal nor 1.
mlir::FailureOr<llvm::SmallVector<int64_t>>
broadcastShapes(llvm::ArrayRef<int64_t> lhs, llvm::ArrayRef<int64_t> rhs);

/// Output size of one spatial dimension of a convolution or pooling window.
/// Returns a negative value when the window does not fit.
int64_t windowOutputSize(int64_t in, int64_t kernel, int64_t stride, int64_t padBegin,
                         int64_t padEnd, int64_t dilation, bool ceilMode);

/// Result types are compatible when shapes match and element types match,
/// except that a quantized result may carry its own quantization parameters.
bool areCompatibleResultTypes(mlir::TypeRange inferred, mlir::TypeRange actual);

/// An op's `axis` attribute as a dimension in [0, rank): ONNX counts
/// negative axes from the end, and the I64Attr getter returns them as
/// uint64_t, so `getAxis() < 0` is never true.
inline int64_t resolveAxis(uint64_t axis, int64_t rank) {
  int64_t a = static_cast<int64_t>(axis);
  return a < 0 ? a + rank : a;
}

} // namespace qopt::qnn

#define GET_OP_CLASSES
#include "qopt/Dialect/QNN/QNNOps.h.inc"

#endif // QOPT_DIALECT_QNN_QNNOPS_H
