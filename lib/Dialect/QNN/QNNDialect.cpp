//===- QNNDialect.cpp - QNN dialect registration -----------*- C++ -*-===//

#include "qopt/Dialect/QNN/QNNDialect.h"
#include "qopt/Dialect/QNN/QNNOps.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/DialectImplementation.h"
#include "llvm/ADT/TypeSwitch.h"

using namespace mlir;
using namespace qopt::qnn;

#include "qopt/Dialect/QNN/QNNDialect.cpp.inc"
#include "qopt/Dialect/QNN/QNNEnums.cpp.inc"

#define GET_ATTRDEF_CLASSES
#include "qopt/Dialect/QNN/QNNAttrs.cpp.inc"

void QNNDialect::initialize() {
  addOperations<
#define GET_OP_LIST
#include "qopt/Dialect/QNN/QNNOps.cpp.inc"
      >();
  addAttributes<
#define GET_ATTRDEF_LIST
#include "qopt/Dialect/QNN/QNNAttrs.cpp.inc"
      >();
}

Operation *QNNDialect::materializeConstant(OpBuilder &builder, Attribute value, Type type,
                                           Location loc) {
  auto elements = dyn_cast<ElementsAttr>(value);
  if (!elements || elements.getType() != type)
    return nullptr;
  return ConstantOp::create(builder, loc, elements);
}
