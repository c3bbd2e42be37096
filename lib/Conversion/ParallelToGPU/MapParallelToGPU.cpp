//===- MapParallelToGPU.cpp - scf.parallel to 1-D gpu.launch ----*- C++ -*-===//
//
// Upstream gpu-map-parallel-loops maps at most three dims to the grid and
// leaves the rest sequential; a 4-D NCHW output then runs a whole image per
// thread. Linearizing the iteration space instead gives one thread per
// output element for any rank, which is what the SIMT kernels want.
//
//===----------------------------------------------------------------------===//

#include "qopt/Conversion/Passes.h"

#include "mlir/Dialect/Affine/IR/AffineOps.h"
#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/IR/IRMapping.h"
#include "mlir/IR/Matchers.h"

namespace qopt {
#define GEN_PASS_DEF_MAPPARALLELTOGPUPASS
#include "qopt/Conversion/Passes.h.inc"
} // namespace qopt

using namespace mlir;

namespace {

std::optional<int64_t> constantIndex(Value v) {
  APInt c;
  if (matchPattern(v, m_ConstantInt(&c)))
    return c.getSExtValue();
  return std::nullopt;
}

struct MapParallelToGPUPass
    : public qopt::impl::MapParallelToGPUPassBase<MapParallelToGPUPass> {
  using qopt::impl::MapParallelToGPUPassBase<MapParallelToGPUPass>::MapParallelToGPUPassBase;

  LogicalResult map(scf::ParallelOp loop) {
    if (loop.getNumReductions() != 0)
      return loop.emitError("qopt-map-parallel-to-gpu: parallel reductions are not mapped");
    SmallVector<int64_t> lbs, sizes, steps;
    int64_t total = 1;
    for (auto [lb, ub, st] : llvm::zip(loop.getLowerBound(), loop.getUpperBound(), loop.getStep())) {
      auto l = constantIndex(lb), u = constantIndex(ub), s = constantIndex(st);
      if (!l || !u || !s || *s <= 0)
        return loop.emitError("qopt-map-parallel-to-gpu: loop bounds must be static");
      int64_t n = *u > *l ? (*u - *l + *s - 1) / *s : 0;
      lbs.push_back(*l);
      steps.push_back(*s);
      sizes.push_back(n);
      total *= n;
    }
    OpBuilder b(loop);
    Location loc = loop.getLoc();
    if (total == 0) {
      loop.erase();
      return success();
    }
    int64_t block = std::min<int64_t>(blockSize, total);
    int64_t grid = (total + block - 1) / block;
    if (grid > std::numeric_limits<int32_t>::max())
      return loop.emitError("qopt-map-parallel-to-gpu: iteration space too large for one launch");
    auto c = [&](int64_t v) { return arith::ConstantIndexOp::create(b, loc, v).getResult(); };
    Value one = c(1);
    auto launch = gpu::LaunchOp::create(b, loc, c(grid), one, one, c(block), one, one);
    Block &body = launch.getBody().front();
    OpBuilder lb = OpBuilder::atBlockBegin(&body);
    auto lc = [&](int64_t v) { return arith::ConstantIndexOp::create(lb, loc, v).getResult(); };
    Value linear = arith::AddIOp::create(
        lb, loc, arith::MulIOp::create(lb, loc, launch.getBlockIds().x, lc(block)),
        launch.getThreadIds().x);
    Value inRange =
        arith::CmpIOp::create(lb, loc, arith::CmpIPredicate::ult, linear, lc(total));
    auto guard = scf::IfOp::create(lb, loc, inRange, /*withElseRegion=*/false);
    gpu::TerminatorOp::create(lb, loc);

    OpBuilder ib = guard.getThenBodyBuilder();
    SmallVector<Value> ivs;
    if (sizes.size() == 1) {
      ivs.push_back(linear);
    } else {
      auto d = affine::AffineDelinearizeIndexOp::create(ib, loc, linear, sizes,
                                                        /*hasOuterBound=*/true);
      ivs.append(d.getResults().begin(), d.getResults().end());
    }
    IRMapping mapping;
    for (auto [i, iv] : llvm::enumerate(loop.getInductionVars())) {
      Value v = ivs[i];
      if (steps[i] != 1)
        v = arith::MulIOp::create(ib, loc, v, arith::ConstantIndexOp::create(ib, loc, steps[i]));
      if (lbs[i] != 0)
        v = arith::AddIOp::create(ib, loc, v, arith::ConstantIndexOp::create(ib, loc, lbs[i]));
      mapping.map(iv, v);
    }
    for (Operation &op : loop.getBody()->without_terminator())
      ib.clone(op, mapping);
    loop.erase();
    return success();
  }

  void runOnOperation() override {
    SmallVector<scf::ParallelOp> loops;
    for (Operation &op : getOperation().getBody().getOps())
      if (auto p = dyn_cast<scf::ParallelOp>(op))
        loops.push_back(p);
    for (scf::ParallelOp p : loops)
      if (failed(map(p)))
        return signalPassFailure();
  }
};

} // namespace
