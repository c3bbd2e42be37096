//===- ImportRecurrent.cpp - LSTM, GRU and RNN unrolled over time -*- C++ -*-===//
//
// QOpt compiles static programs, so a recurrent layer imports as its time
// steps. The input projection of every step is one matmul over the whole
// sequence ([seq * batch, input] x [input, gates * hidden], bias added once);
// each step then adds its hidden state times R^T (one [batch, hidden] x
// [hidden, gates * hidden] matmul), slices the gates and applies the ONNX
// equations with ordinary qnn ops. The quantizer sees matmuls, adds, muls and
// sigmoid/tanh tables, as in any other model. A missing initial state is
// zero, so the first step has no recurrent matmul.
//
//===----------------------------------------------------------------------===//

#include "ImporterImpl.h"

#include "llvm/ADT/StringSwitch.h"

using namespace mlir;
using namespace qopt;
using namespace qopt::onnx_import;
using llvm::SmallVector;

namespace {

struct Activation {
  std::string name;
  float alpha = 0, beta = 0;
};

/// The layer's gate count, activations per direction and their defaults.
struct Cell {
  int gates;
  int perDirection;
  SmallVector<std::string, 3> defaults;
};

Cell cellOf(StringRef op) {
  if (op == "LSTM")
    return {4, 3, {"Sigmoid", "Tanh", "Tanh"}};
  if (op == "GRU")
    return {3, 2, {"Sigmoid", "Tanh"}};
  return {1, 1, {"Tanh"}};
}

/// ONNX's defaults for the activations that take parameters; the given
/// activation_alpha/beta lists are consumed in order by those activations.
std::optional<std::pair<float, float>> defaultParams(StringRef name) {
  return llvm::StringSwitch<std::optional<std::pair<float, float>>>(name)
      .Case("HardSigmoid", std::make_pair(0.2f, 0.5f))
      .Case("LeakyRelu", std::make_pair(0.01f, 0.0f))
      .Case("Affine", std::make_pair(1.0f, 0.0f))
      .Case("ScaledTanh", std::make_pair(1.0f, 1.0f))
      .Default(std::nullopt);
}

FailureOr<SmallVector<Activation>> readActivations(NodeImporter &n, const Cell &cell,
                                                   int64_t dirs) {
  SmallVector<Activation> acts;
  const onnx::AttributeProto *a = n.attr("activations");
  if (!a) {
    for (int64_t d = 0; d < dirs; ++d)
      for (const std::string &name : cell.defaults)
        acts.push_back({name});
  } else {
    if (a->strings_size() != cell.perDirection * dirs) {
      (void)n.error("activations lists " + llvm::Twine(a->strings_size()) + " functions, " +
                    llvm::Twine(cell.perDirection * dirs) + " expected");
      return failure();
    }
    for (const std::string &name : a->strings())
      acts.push_back({name});
  }
  QOPT_TRY(alphas, n.attrFloats("activation_alpha", SmallVector<float>{}));
  QOPT_TRY(betas, n.attrFloats("activation_beta", SmallVector<float>{}));
  size_t nextAlpha = 0, nextBeta = 0;
  for (Activation &act : acts) {
    auto params = defaultParams(act.name);
    if (!params) {
      if (!llvm::is_contained({"Sigmoid", "Tanh", "Relu"}, act.name)) {
        (void)n.unsupported("activation '" + act.name + "'");
        return failure();
      }
      continue;
    }
    act.alpha = nextAlpha < alphas.size() ? alphas[nextAlpha++] : params->first;
    act.beta = nextBeta < betas.size() ? betas[nextBeta++] : params->second;
  }
  return acts;
}

FailureOr<Value> activate(NodeImporter &n, Value x, const Activation &act) {
  if (act.name == "Sigmoid")
    return n.build<qnn::SigmoidOp>({x});
  if (act.name == "Tanh")
    return n.build<qnn::TanhOp>({x});
  if (act.name == "Relu")
    return n.build<qnn::ReluOp>({x});
  if (act.name == "HardSigmoid")
    return n.build<qnn::HardSigmoidOp>({x}, {n.named("alpha", n.b.getF32FloatAttr(act.alpha)),
                                             n.named("beta", n.b.getF32FloatAttr(act.beta))});
  if (act.name == "LeakyRelu")
    return n.build<qnn::LeakyReluOp>({x}, {n.named("alpha", n.b.getF32FloatAttr(act.alpha))});
  QOPT_TRY(alpha, scalarLike(n, x, act.alpha, "alpha"));
  QOPT_TRY(beta, scalarLike(n, x, act.beta, "beta"));
  if (act.name == "Affine") {
    QOPT_TRY(scaled, n.build<qnn::MulOp>({x, alpha}));
    return n.build<qnn::AddOp>({scaled, beta});
  }
  // ScaledTanh: alpha * tanh(beta * x).
  QOPT_TRY(inner, n.build<qnn::MulOp>({x, beta}));
  QOPT_TRY(t, n.build<qnn::TanhOp>({inner}));
  return n.build<qnn::MulOp>({t, alpha});
}

/// Adds, treating a null operand (a zero state) as absent.
FailureOr<Value> addMaybe(NodeImporter &n, Value a, Value b) {
  if (!a)
    return b;
  if (!b)
    return a;
  return n.build<qnn::AddOp>({a, b});
}

/// Multiplies; a null operand (a zero state) makes a null product.
FailureOr<Value> mulMaybe(NodeImporter &n, Value a, Value b) {
  if (!a || !b)
    return Value();
  return n.build<qnn::MulOp>({a, b});
}

/// t[d] of a [dirs, ...] parameter, as [...].
FailureOr<Value> direction(NodeImporter &n, Value t, int64_t d) {
  QOPT_TRY(s, sliceAxis(n, t, 0, d, d + 1));
  auto shape = cast<RankedTensorType>(t.getType()).getShape().drop_front();
  return reshapeValue(n, s, shape);
}

} // namespace

static LogicalResult importRecurrent(NodeImporter &n) {
  Cell cell = cellOf(n.opType());
  QOPT_TRY(xIn, n.input(0));
  QOPT_TRY(w, n.input(1));
  QOPT_TRY(r, n.input(2));
  QOPT_TRY(hidden, n.attrInt("hidden_size", std::nullopt));
  QOPT_TRY(dir, n.attrString("direction", std::string("forward")));
  QOPT_TRY(layout, n.attrInt("layout", 0));
  if (dir != "forward" && dir != "reverse" && dir != "bidirectional")
    return n.error("direction must be forward, reverse or bidirectional, got '" + dir + "'");
  if (layout != 0 && layout != 1)
    return n.error("layout must be 0 or 1");
  int64_t dirs = dir == "bidirectional" ? 2 : 1;
  std::optional<float> clip;
  if (n.attr("clip")) {
    QOPT_TRY(c, n.attrFloat("clip", std::nullopt));
    clip = c;
  }
  bool linearBeforeReset = false;
  if (n.opType() == "LSTM") {
    QOPT_TRY(inputForget, n.attrInt("input_forget", 0));
    if (inputForget != 0)
      return n.unsupported("input_forget (coupled input and forget gates)");
  } else if (n.opType() == "GRU") {
    QOPT_TRY(lbr, n.attrInt("linear_before_reset", 0));
    linearBeforeReset = lbr != 0;
  }
  QOPT_TRY(acts, readActivations(n, cell, dirs));

  auto xt = cast<RankedTensorType>(xIn.getType());
  if (xt.getRank() != 3)
    return n.error("X must have rank 3, got " + llvm::Twine(xt.getRank()));
  Value x = xIn;
  if (layout == 1) {
    QOPT_TRY(t, transposeValue(n, xIn, {1, 0, 2}));
    x = t;
  }
  auto shape = cast<RankedTensorType>(x.getType()).getShape();
  int64_t seq = shape[0], batch = shape[1], input = shape[2];
  if (seq < 1)
    return n.error("the sequence is empty");
  int64_t g = cell.gates, h = hidden;
  auto expect = [&](Value v, ArrayRef<int64_t> want, StringRef what) -> LogicalResult {
    auto got = cast<RankedTensorType>(v.getType()).getShape();
    if (got != want) {
      std::string s;
      llvm::raw_string_ostream os(s);
      llvm::interleave(want, os, "x");
      return n.error(what + " must be " + s);
    }
    return success();
  };
  if (failed(expect(w, {dirs, g * h, input}, "W")) || failed(expect(r, {dirs, g * h, h}, "R")))
    return failure();
  Value bias = n.optionalInput(3);
  if (bias && failed(expect(bias, {dirs, 2 * g * h}, "B")))
    return failure();
  if (Value lens = n.optionalInput(4)) {
    const ref::Tensor *c = n.constantOf(lens);
    bool full = c && c->numElements() == batch;
    for (int64_t i = 0; full && i < batch; ++i)
      full = c->getAsDouble(i) == (double)seq;
    if (!full)
      return n.unsupported("sequence_lens shorter than the sequence (padded batches)");
  }
  // Initial states are [dirs, batch, hidden] ([batch, dirs, hidden] with
  // layout 1).
  auto state = [&](int i, StringRef what) -> FailureOr<Value> {
    Value v = n.optionalInput(i);
    if (!v)
      return Value();
    SmallVector<int64_t> want = layout ? SmallVector<int64_t>{batch, dirs, h}
                                       : SmallVector<int64_t>{dirs, batch, h};
    if (failed(expect(v, want, what)))
      return failure();
    return transposeValue(n, v, layout ? ArrayRef<int64_t>{1, 0, 2}
                                       : ArrayRef<int64_t>{0, 1, 2});
  };
  QOPT_TRY(h0, state(5, "initial_h"));
  Value c0;
  if (cell.gates == 4) {
    QOPT_TRY(v, state(6, "initial_c"));
    c0 = v;
  }
  Value peep = cell.gates == 4 ? n.optionalInput(7) : Value();
  if (peep && failed(expect(peep, {dirs, 3 * h}, "P")))
    return failure();

  auto gate = [&](Value v, int64_t k) { return sliceAxis(n, v, 1, k * h, (k + 1) * h); };
  auto clipped = [&](Value v) -> FailureOr<Value> {
    if (!clip)
      return v;
    return n.build<qnn::ClipOp>({v}, {n.named("min", n.b.getF64FloatAttr(-*clip)),
                                      n.named("max", n.b.getF64FloatAttr(*clip))});
  };
  Value one;
  if (cell.gates == 3) {
    QOPT_TRY(v, scalarLike(n, x, 1.0, "one"));
    one = v;
  }
  QOPT_TRY(flatX, reshapeValue(n, x, {seq * batch, input}));

  SmallVector<Value> ys, yh, yc;
  for (int64_t d = 0; d < dirs; ++d) {
    ArrayRef<Activation> act = ArrayRef<Activation>(acts).slice(d * cell.perDirection,
                                                                cell.perDirection);
    bool reverse = dir == "reverse" || d == 1;
    QOPT_TRY(wd, direction(n, w, d));
    QOPT_TRY(wT, transposeValue(n, wd, {1, 0}));
    QOPT_TRY(rd, direction(n, r, d));
    QOPT_TRY(rT, transposeValue(n, rd, {1, 0}));
    // The input projection of all steps at once, with the biases that do
    // not depend on the reset gate.
    QOPT_TRY(proj, n.build<qnn::MatMulOp>({flatX, wT}));
    Value projected = proj, recurrentHBias;
    if (bias) {
      QOPT_TRY(bd, direction(n, bias, d));
      QOPT_TRY(wb, sliceAxis(n, bd, 0, 0, g * h));
      QOPT_TRY(rb, sliceAxis(n, bd, 0, g * h, 2 * g * h));
      Value rbInput = rb;
      if (cell.gates == 3) {
        // GRU: R's bias of the candidate gate goes where the reset gate
        // scales it, inside the step.
        QOPT_TRY(rbZR, sliceAxis(n, rb, 0, 0, 2 * h));
        QOPT_TRY(rbH, sliceAxis(n, rb, 0, 2 * h, 3 * h));
        // [Rbz, Rbr, 0]: the zeros as 0 * Rbh, which folds to a constant
        // when B is one (as it always is in exported models).
        QOPT_TRY(zeros, scalarLike(n, x, 0.0, "zero"));
        QOPT_TRY(zeroH, n.build<qnn::MulOp>({rbH, zeros}));
        QOPT_TRY(cat, n.build<qnn::ConcatOp>({rbZR, zeroH},
                                              {n.named("axis", n.b.getI64IntegerAttr(0))}));
        rbInput = cat;
        recurrentHBias = rbH;
      }
      QOPT_TRY(b2, n.build<qnn::AddOp>({wb, rbInput}));
      QOPT_TRY(withBias, n.build<qnn::AddOp>({proj, b2}));
      projected = withBias;
    }
    QOPT_TRY(steps, reshapeValue(n, projected, {seq, batch, g * h}));
    // GRU multiplies H by R's z and r rows together, and by the h rows
    // apart (after the reset gate, unless linear_before_reset).
    Value rzrT, rhT;
    if (cell.gates == 3) {
      QOPT_TRY(a, sliceAxis(n, rT, 1, 0, 2 * h));
      QOPT_TRY(b, sliceAxis(n, rT, 1, 2 * h, 3 * h));
      rzrT = a, rhT = b;
    }
    Value H, C;
    if (h0) {
      QOPT_TRY(v, direction(n, h0, d));
      H = v;
    }
    if (c0) {
      QOPT_TRY(v, direction(n, c0, d));
      C = v;
    }
    Value pi, po, pf;
    if (peep) {
      QOPT_TRY(pd, direction(n, peep, d));
      QOPT_TRY(a, sliceAxis(n, pd, 0, 0, h));
      QOPT_TRY(b, sliceAxis(n, pd, 0, h, 2 * h));
      QOPT_TRY(c, sliceAxis(n, pd, 0, 2 * h, 3 * h));
      pi = a, po = b, pf = c;
    }
    SmallVector<Value> outputs(seq);
    for (int64_t s = 0; s < seq; ++s) {
      int64_t t = reverse ? seq - 1 - s : s;
      QOPT_TRY(xs, sliceAxis(n, steps, 0, t, t + 1));
      QOPT_TRY(xtG, reshapeValue(n, xs, {batch, g * h}));
      if (cell.gates == 3) {
        // GRU (gates z, r, h).
        Value hz, hr, hh;
        if (H) {
          QOPT_TRY(hzr, n.build<qnn::MatMulOp>({H, rzrT}));
          QOPT_TRY(a, gate(hzr, 0));
          QOPT_TRY(b, gate(hzr, 1));
          hz = a, hr = b;
          if (linearBeforeReset) {
            QOPT_TRY(m, n.build<qnn::MatMulOp>({H, rhT}));
            hh = m;
          }
        }
        QOPT_TRY(xz, gate(xtG, 0));
        QOPT_TRY(xr, gate(xtG, 1));
        QOPT_TRY(xh, gate(xtG, 2));
        QOPT_TRY(zPre, addMaybe(n, xz, hz));
        QOPT_TRY(rPre, addMaybe(n, xr, hr));
        QOPT_TRY(zc, clipped(zPre));
        QOPT_TRY(rc, clipped(rPre));
        QOPT_TRY(z, activate(n, zc, act[0]));
        QOPT_TRY(rg, activate(n, rc, act[0]));
        Value cand;
        if (linearBeforeReset) {
          // h~ = g(x Wh + r * (H Rh + Rbh)).
          QOPT_TRY(inner, addMaybe(n, hh, recurrentHBias));
          QOPT_TRY(scaled, mulMaybe(n, rg, inner));
          QOPT_TRY(sum, addMaybe(n, xh, scaled));
          cand = sum;
        } else {
          // h~ = g(x Wh + (r * H) Rh + Rbh).
          Value rec;
          if (H) {
            QOPT_TRY(rH, n.build<qnn::MulOp>({rg, H}));
            QOPT_TRY(m, n.build<qnn::MatMulOp>({rH, rhT}));
            rec = m;
          }
          QOPT_TRY(withRec, addMaybe(n, xh, rec));
          QOPT_TRY(sum, addMaybe(n, withRec, recurrentHBias));
          cand = sum;
        }
        QOPT_TRY(candClipped, clipped(cand));
        QOPT_TRY(ht, activate(n, candClipped, act[1]));
        // H = (1 - z) * h~ + z * H.
        QOPT_TRY(keep, n.build<qnn::SubOp>({one, z}));
        QOPT_TRY(fresh, n.build<qnn::MulOp>({keep, ht}));
        QOPT_TRY(old, mulMaybe(n, z, H));
        QOPT_TRY(next, addMaybe(n, fresh, old));
        H = next;
      } else {
        Value pre = xtG;
        if (H) {
          QOPT_TRY(rec, n.build<qnn::MatMulOp>({H, rT}));
          QOPT_TRY(sum, n.build<qnn::AddOp>({xtG, rec}));
          pre = sum;
        }
        if (cell.gates == 1) {
          QOPT_TRY(c, clipped(pre));
          QOPT_TRY(next, activate(n, c, act[0]));
          H = next;
        } else {
          // LSTM (gates i, o, f, c).
          QOPT_TRY(iPre0, gate(pre, 0));
          QOPT_TRY(oPre0, gate(pre, 1));
          QOPT_TRY(fPre0, gate(pre, 2));
          QOPT_TRY(cPre, gate(pre, 3));
          Value iPre = iPre0, fPre = fPre0, oPre = oPre0;
          if (peep && C) {
            QOPT_TRY(pic, n.build<qnn::MulOp>({pi, C}));
            QOPT_TRY(pfc, n.build<qnn::MulOp>({pf, C}));
            QOPT_TRY(a, n.build<qnn::AddOp>({iPre, pic}));
            QOPT_TRY(b, n.build<qnn::AddOp>({fPre, pfc}));
            iPre = a, fPre = b;
          }
          QOPT_TRY(ic, clipped(iPre));
          QOPT_TRY(fc, clipped(fPre));
          QOPT_TRY(cc, clipped(cPre));
          QOPT_TRY(i, activate(n, ic, act[0]));
          QOPT_TRY(f, activate(n, fc, act[0]));
          QOPT_TRY(cand, activate(n, cc, act[1]));
          QOPT_TRY(fresh, n.build<qnn::MulOp>({i, cand}));
          QOPT_TRY(kept, mulMaybe(n, f, C));
          QOPT_TRY(nextC, addMaybe(n, kept, fresh));
          C = nextC;
          if (peep) {
            QOPT_TRY(poc, n.build<qnn::MulOp>({po, C}));
            QOPT_TRY(a, n.build<qnn::AddOp>({oPre, poc}));
            oPre = a;
          }
          QOPT_TRY(oc, clipped(oPre));
          QOPT_TRY(o, activate(n, oc, act[0]));
          QOPT_TRY(squashed, activate(n, C, act[2]));
          QOPT_TRY(next, n.build<qnn::MulOp>({o, squashed}));
          H = next;
        }
      }
      QOPT_TRY(y, reshapeValue(n, H, {1, 1, batch, h}));
      outputs[t] = y;
    }
    QOPT_TRY(y, n.build<qnn::ConcatOp>(outputs, {n.named("axis", n.b.getI64IntegerAttr(0))}));
    ys.push_back(y);
    QOPT_TRY(hLast, reshapeValue(n, H, {1, batch, h}));
    yh.push_back(hLast);
    if (C) {
      QOPT_TRY(cLast, reshapeValue(n, C, {1, batch, h}));
      yc.push_back(cLast);
    }
  }
  auto concat = [&](ArrayRef<Value> parts, int64_t axis) -> FailureOr<Value> {
    if (parts.size() == 1)
      return parts.front();
    return n.build<qnn::ConcatOp>(parts, {n.named("axis", n.b.getI64IntegerAttr(axis))});
  };
  // Y is [seq, dirs, batch, hidden] ([batch, seq, dirs, hidden] with layout
  // 1); Y_h and Y_c are [dirs, batch, hidden] ([batch, dirs, hidden]).
  QOPT_TRY(y, concat(ys, 1));
  QOPT_TRY(yH, concat(yh, 0));
  if (n.hasOutput(0)) {
    QOPT_TRY(v, transposeValue(n, y, layout ? ArrayRef<int64_t>{2, 0, 1, 3}
                                            : ArrayRef<int64_t>{0, 1, 2, 3}));
    n.setOutput(0, v);
  }
  if (n.hasOutput(1)) {
    QOPT_TRY(v, transposeValue(n, yH, layout ? ArrayRef<int64_t>{1, 0, 2}
                                             : ArrayRef<int64_t>{0, 1, 2}));
    n.setOutput(1, v);
  }
  if (n.hasOutput(2) && !yc.empty()) {
    QOPT_TRY(yC, concat(yc, 0));
    QOPT_TRY(v, transposeValue(n, yC, layout ? ArrayRef<int64_t>{1, 0, 2}
                                             : ArrayRef<int64_t>{0, 1, 2}));
    n.setOutput(2, v);
  }
  return success();
}

void qopt::onnx_import::registerRecurrentHandlers(llvm::StringMap<Handler> &t) {
  t["LSTM"] = importRecurrent;
  t["GRU"] = importRecurrent;
  t["RNN"] = importRecurrent;
}
