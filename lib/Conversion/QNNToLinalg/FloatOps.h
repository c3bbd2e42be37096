//===- FloatOps.h - qopt/Quant/FloatMath.h as arith ops --------*- C++ -*-===//
//
// Private to lib/Conversion/QNNToLinalg. The backend that emits FloatMath's
// operation sequences into a linalg body, one op per operation, so the
// kernels compute exp, log, tanh, erf, sigmoid and GELU exactly as the
// reference does. fma and roundEven become fma.rn and cvt.rni on the GPU;
// math.sqrt becomes sqrt.rn there only through qopt-precise-gpu-math (the
// NVVM conversion alone would pick libdevice's approximate square root).
//
//===----------------------------------------------------------------------===//

#ifndef QOPT_LIB_CONVERSION_QNNTOLINALG_FLOATOPS_H
#define QOPT_LIB_CONVERSION_QNNTOLINALG_FLOATOPS_H

#include "Lowering.h"
#include "qopt/Quant/FloatMath.h"

#include "mlir/Dialect/Math/IR/Math.h"

namespace qopt::lowering {

struct ArithOps {
  using F = mlir::Value;
  using I = mlir::Value;
  using B = mlir::Value;
  Body &body;

  mlir::OpBuilder &b() { return body.b; }
  mlir::Location loc() { return body.loc; }
  F c(float v) { return body.f32(v); }
  I ci(int32_t v) { return body.i32(v); }
  F add(F x, F y) { return mlir::arith::AddFOp::create(b(), loc(), x, y); }
  F sub(F x, F y) { return mlir::arith::SubFOp::create(b(), loc(), x, y); }
  F mul(F x, F y) { return mlir::arith::MulFOp::create(b(), loc(), x, y); }
  F div(F x, F y) { return mlir::arith::DivFOp::create(b(), loc(), x, y); }
  F fma(F x, F y, F z) { return mlir::math::FmaOp::create(b(), loc(), x, y, z); }
  F sqrt(F x) { return mlir::math::SqrtOp::create(b(), loc(), x); }
  F roundEven(F x) { return mlir::math::RoundEvenOp::create(b(), loc(), x); }
  B cmp(mlir::arith::CmpFPredicate p, F x, F y) {
    return mlir::arith::CmpFOp::create(b(), loc(), p, x, y);
  }
  B lt(F x, F y) { return cmp(mlir::arith::CmpFPredicate::OLT, x, y); }
  B gt(F x, F y) { return cmp(mlir::arith::CmpFPredicate::OGT, x, y); }
  B eq(F x, F y) { return cmp(mlir::arith::CmpFPredicate::OEQ, x, y); }
  B isNaN(F x) { return cmp(mlir::arith::CmpFPredicate::UNO, x, x); }
  F select(B p, F x, F y) { return body.select(p, x, y); }
  I selectI(B p, I x, I y) { return body.select(p, x, y); }
  I toI(F x) { return mlir::arith::FPToSIOp::create(b(), loc(), b().getI32Type(), x); }
  F toF(I x) { return mlir::arith::SIToFPOp::create(b(), loc(), b().getF32Type(), x); }
  I bits(F x) { return mlir::arith::BitcastOp::create(b(), loc(), b().getI32Type(), x); }
  F fromBits(I x) { return mlir::arith::BitcastOp::create(b(), loc(), b().getF32Type(), x); }
  I addI(I x, I y) { return mlir::arith::AddIOp::create(b(), loc(), x, y); }
  I subI(I x, I y) { return mlir::arith::SubIOp::create(b(), loc(), x, y); }
  I andI(I x, I y) { return mlir::arith::AndIOp::create(b(), loc(), x, y); }
  I orI(I x, I y) { return mlir::arith::OrIOp::create(b(), loc(), x, y); }
  I shl(I x, int s) { return mlir::arith::ShLIOp::create(b(), loc(), x, ci(s)); }
  I ashr(I x, int s) { return mlir::arith::ShRSIOp::create(b(), loc(), x, ci(s)); }
};

} // namespace qopt::lowering

#endif // QOPT_LIB_CONVERSION_QNNTOLINALG_FLOATOPS_H
