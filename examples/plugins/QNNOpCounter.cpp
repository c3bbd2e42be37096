//===- QNNOpCounter.cpp - Example qopt pass plugin -------------*- C++ -*-===//
//
// A pass loaded into qopt at run time with --load-pass-plugin, to show how
// users add passes without rebuilding QOpt. It counts the qnn ops of every
// function by kind and records the counts as a `qnn.op_counts` dictionary on
// the function (and as a remark), e.g. {conv = 53 : i64, relu = 49 : i64}.
//
//===----------------------------------------------------------------------===//

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/Pass/Pass.h"
#include "mlir/Pass/PassRegistry.h"
#include "mlir/Tools/Plugins/PassPlugin.h"
#include "llvm/ADT/StringMap.h"
#include "llvm/Config/llvm-config.h"

#include <map>
#include <memory>

using namespace mlir;

namespace qopt_example {
#define GEN_PASS_DEF_COUNTQNNOPSPASS
#include "Passes.h.inc"
} // namespace qopt_example

namespace {
struct CountQNNOpsPass : public qopt_example::impl::CountQNNOpsPassBase<CountQNNOpsPass> {
  using qopt_example::impl::CountQNNOpsPassBase<CountQNNOpsPass>::CountQNNOpsPassBase;

  void runOnOperation() override {
    // The plugin knows qnn ops by name only, so it needs no QOpt headers.
    std::map<std::string, int64_t> counts;
    getOperation().walk([&](Operation *op) {
      if (op->getName().getDialectNamespace() == "qnn")
        ++counts[op->getName().stripDialect().str()];
    });
    Builder b(&getContext());
    SmallVector<NamedAttribute> entries;
    int64_t total = 0;
    for (auto &[name, count] : counts) {
      entries.push_back(b.getNamedAttr(name, b.getI64IntegerAttr(count)));
      total += count;
    }
    getOperation()->setAttr("qnn.op_counts", b.getDictionaryAttr(entries));
    getOperation().emitRemark() << total << " qnn ops in " << counts.size() << " kinds";
  }
};
} // namespace

extern "C" LLVM_ATTRIBUTE_WEAK PassPluginLibraryInfo mlirGetPassPluginInfo() {
  return {MLIR_PLUGIN_API_VERSION, "QNNOpCounter", LLVM_VERSION_STRING,
          []() { ::mlir::registerPass([] { return std::make_unique<CountQNNOpsPass>(); }); }};
}
