//===- QNNDialect.h - QNN dialect ---------------------------*- C++ -*-===//

#ifndef QOPT_DIALECT_QNN_QNNDIALECT_H
#define QOPT_DIALECT_QNN_QNNDIALECT_H

#include "mlir/Dialect/Quant/IR/Quant.h"
#include "mlir/Dialect/Quant/IR/QuantTypes.h"
#include "mlir/IR/Dialect.h"

#include "qopt/Dialect/QNN/QNNDialect.h.inc"
#include "qopt/Dialect/QNN/QNNEnums.h.inc"

#define GET_ATTRDEF_CLASSES
#include "qopt/Dialect/QNN/QNNAttrs.h.inc"

#endif // QOPT_DIALECT_QNN_QNNDIALECT_H
