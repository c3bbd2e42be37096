//===- QNNFolds.cpp - QNN folders and canonicalizers ---------*- C++ -*-===//
//
// Only folds that cannot change numerics live here; batchnorm folding and
// quantization are explicit passes.
//
//===----------------------------------------------------------------------===//

#include "qopt/Dialect/QNN/QNNOps.h"

using namespace mlir;
using namespace qopt::qnn;

OpFoldResult ConstantOp::fold(FoldAdaptor) { return getValue(); }

OpFoldResult ReshapeOp::fold(FoldAdaptor) {
  if (getInput().getType() == getOutput().getType())
    return getInput();
  // reshape(reshape(x)) is one reshape of x.
  if (auto producer = getInput().getDefiningOp<ReshapeOp>()) {
    getInputMutable().assign(producer.getInput());
    return getResult();
  }
  return {};
}
