//===- BundleReader.cpp - Verify and describe a .qbin -----------*- C++ -*-===//
//
// The compiler-side reader (qopt-ref runs a bundle's qnn program, tests read
// what the writer wrote). The runtime has its own reader without LLVM; both
// check the same things: header, checksum, FlatBuffer verifier, and every
// index and offset a step uses.
//
//===----------------------------------------------------------------------===//

#include "qopt/Target/Bundle.h"
#include "qopt/runtime/BundleFile.h"
#include "qopt/runtime/qbin_generated.h"

#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/DialectResourceBlobManager.h"
#include "mlir/Parser/Parser.h"
#include "llvm/Support/Format.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/SourceMgr.h"

using namespace qopt;
using llvm::Expected;

namespace {

uint64_t dtypeBytes(qbin::DType t) {
  switch (t) {
  case qbin::DType::F64:
  case qbin::DType::I64:
  case qbin::DType::U64: return 8;
  case qbin::DType::F32:
  case qbin::DType::I32:
  case qbin::DType::U32: return 4;
  case qbin::DType::F16:
  case qbin::DType::BF16:
  case qbin::DType::I16:
  case qbin::DType::U16: return 2;
  default: return 1;
  }
}

/// Byte size of a boundary tensor, or an error for a malformed shape.
Expected<uint64_t> tensorBytes(const qbin::TensorSpec *t) {
  if (!t || !t->shape() || !t->name())
    return llvm::createStringError("a boundary tensor lacks its name or shape");
  uint64_t n = dtypeBytes(t->dtype());
  for (int64_t d : *t->shape()) {
    if (d < 0 || (d > 0 && n > (uint64_t(1) << 40) / (uint64_t)d))
      return llvm::createStringError("tensor '" + t->name()->str() + "' has a bad shape");
    n *= (uint64_t)d;
  }
  return n;
}

} // namespace

Expected<const qbin::Bundle *> qopt::readBundle(llvm::ArrayRef<uint8_t> file) {
  const uint8_t *payload = nullptr;
  size_t size = 0;
  if (const char *err = qbin::checkHeader(file.data(), file.size(), &payload, &size))
    return llvm::createStringError(err);
  if (!qbin::BundleBufferHasIdentifier(payload))
    return llvm::createStringError("payload is not a QOpt bundle (identifier)");
  flatbuffers::Verifier verifier(payload, size);
  if (!qbin::VerifyBundleBuffer(verifier))
    return llvm::createStringError("the bundle's FlatBuffer does not verify");
  const qbin::Bundle *b = qbin::GetBundle(payload);
  if (!b->inputs() || !b->outputs() || !b->modules() || !b->steps())
    return llvm::createStringError("the bundle lacks inputs, outputs, modules or steps");
  if (b->arena_alignment() != qbin::kAlignment)
    return llvm::createStringError("unexpected arena alignment");
  std::vector<uint64_t> inBytes, outBytes;
  for (const auto *t : *b->inputs()) {
    auto n = tensorBytes(t);
    if (!n)
      return n.takeError();
    inBytes.push_back(*n);
  }
  for (const auto *t : *b->outputs()) {
    auto n = tensorBytes(t);
    if (!n)
      return n.takeError();
    outBytes.push_back(*n);
  }
  uint64_t weightBytes = b->weights() ? b->weights()->size() : 0;
  for (const auto *m : *b->modules())
    if (!m->name() || !m->kernels() || !m->ptx())
      return llvm::createStringError("a module lacks its name, kernels or PTX");
  for (auto [i, s] : llvm::enumerate(*b->steps())) {
    auto bad = [&, i = i](const llvm::Twine &why) {
      return llvm::createStringError(("step " + llvm::Twine(i) + ": " + why).str());
    };
    if (!s->args())
      return bad("no arguments");
    // Every pointer a step forms must land inside its buffer.
    auto check = [&](const qbin::BufferRef *r, uint64_t bytes) -> llvm::Error {
      uint64_t limit = 0;
      if (r->kind() > qbin::BufferKind::MAX)
        return bad("unknown buffer kind");
      switch (r->kind()) {
      case qbin::BufferKind::Arena: limit = b->arena_bytes(); break;
      case qbin::BufferKind::Weights: limit = weightBytes; break;
      case qbin::BufferKind::Input:
        if (r->index() >= inBytes.size())
          return bad("input index out of range");
        limit = inBytes[r->index()];
        break;
      case qbin::BufferKind::Output:
        if (r->index() >= outBytes.size())
          return bad("output index out of range");
        limit = outBytes[r->index()];
        break;
      case qbin::BufferKind::Scalar:
        if (r->index() != 4 && r->index() != 8)
          return bad("scalar argument of size " + llvm::Twine(r->index()));
        return llvm::Error::success();
      }
      if (r->offset() > limit || bytes > limit - r->offset())
        return bad("buffer reference past the end of its buffer");
      return llvm::Error::success();
    };
    if (s->kind() == qbin::StepKind::Launch) {
      if (s->module_() >= b->modules()->size())
        return bad("module index out of range");
      const auto *m = b->modules()->Get(s->module_());
      bool found = false;
      for (const auto *k : *m->kernels())
        found |= s->kernel() && k->string_view() == s->kernel()->string_view();
      if (!found)
        return bad("kernel not in its module");
      if (!s->grid() || !s->block() || s->grid()->size() != 3 || s->block()->size() != 3)
        return bad("grid and block need 3 values");
      for (uint32_t v : *s->grid())
        if (v == 0)
          return bad("empty grid");
      uint64_t threads = 1;
      for (uint32_t v : *s->block())
        threads *= v;
      if (threads == 0 || threads > 1024)
        return bad("block of " + llvm::Twine(threads) + " threads");
      for (const auto *r : *s->args())
        if (auto err = check(r, 0))
          return std::move(err);
    } else if (s->kind() == qbin::StepKind::Copy) {
      if (s->args()->size() != 2)
        return bad("a copy needs a source and a destination");
      for (const auto *r : *s->args())
        if (r->kind() == qbin::BufferKind::Scalar)
          return bad("a copy between scalars");
        else if (auto err = check(r, s->copy_bytes()))
          return std::move(err);
    } else {
      return bad("unknown step kind");
    }
  }
  return b;
}

Expected<mlir::OwningOpRef<mlir::ModuleOp>>
qopt::readBundleProgram(const qbin::Bundle *b, mlir::MLIRContext *context) {
  auto ir = b->program_ir();
  if (!ir || ir->size() == 0)
    return llvm::createStringError("the bundle carries no qnn program");
  // Bytecode sections need aligned storage: parse from an aligned copy.
  auto buffer = llvm::MemoryBuffer::getMemBufferCopy(
      llvm::StringRef((const char *)ir->data(), ir->size()), "bundle program");
  std::string diagnostics;
  llvm::raw_string_ostream diag(diagnostics);
  mlir::ScopedDiagnosticHandler handler(context, [&](mlir::Diagnostic &d) {
    diag << d << "\n";
    return mlir::success();
  });
  llvm::SourceMgr sourceMgr;
  sourceMgr.AddNewSourceBuffer(std::move(buffer), llvm::SMLoc());
  auto module = mlir::parseSourceFile<mlir::ModuleOp>(sourceMgr, mlir::ParserConfig(context));
  if (!module)
    return llvm::createStringError("the bundle's qnn program does not parse: " + diagnostics);
  if (const auto *resources = b->program_resources()) {
    uint64_t weightBytes = b->weights() ? b->weights()->size() : 0;
    llvm::StringMap<std::pair<uint64_t, uint64_t>> table;
    for (const auto *r : *resources) {
      if (!r->name() || r->offset() > weightBytes || r->size() > weightBytes - r->offset())
        return llvm::createStringError("a program resource lies outside the weights");
      table[r->name()->string_view()] = {r->offset(), r->size()};
    }
    llvm::Error missing = llvm::Error::success();
    module->walk([&](mlir::Operation *op) {
      for (mlir::NamedAttribute a : op->getAttrs()) {
        auto attr = llvm::dyn_cast<mlir::DenseResourceElementsAttr>(a.getValue());
        if (!attr || attr.getRawHandle().getBlob())
          continue;
        auto it = table.find(attr.getRawHandle().getKey());
        if (it == table.end()) {
          if (!missing)
            missing = llvm::createStringError("the program's resource '" +
                                              attr.getRawHandle().getKey() +
                                              "' is in neither the IR nor the weights");
          continue;
        }
        auto [offset, size] = it->second;
        llvm::ArrayRef<char> data((const char *)b->weights()->data() + offset, size);
        attr.getRawHandle().getResource()->setBlob(
            mlir::HeapAsmResourceBlob::allocateAndCopyWithAlign(data, alignof(uint64_t)));
      }
    });
    if (missing)
      return std::move(missing);
  }
  return module;
}

void qopt::describeBundle(const qbin::Bundle *b, llvm::raw_ostream &os, bool steps) {
  auto str = [](const flatbuffers::String *s) { return s ? s->str() : std::string(); };
  os << "compiler: " << str(b->compiler_version()) << "\n";
  os << "model: " << str(b->source_model()) << " (" << str(b->precision()) << ")\n";
  os << "targets:";
  if (b->targets())
    for (const auto *t : *b->targets())
      os << " " << t->str();
  os << "\n";
  auto tensors = [&](const char *what, const auto *list) {
    for (const auto *t : *list) {
      os << what << " " << str(t->name()) << ": " << qbin::EnumNameDType(t->dtype()) << "[";
      bool first = true;
      for (int64_t d : *t->shape()) {
        os << (first ? "" : "x") << d;
        first = false;
      }
      os << "]";
      if (const auto *q = t->quant())
        if (q->scales() && q->scales()->size() == 1 && q->zero_points())
          os << " scale " << q->scales()->Get(0) << " zero point " << q->zero_points()->Get(0);
      os << "\n";
    }
  };
  tensors("input", b->inputs());
  tensors("output", b->outputs());
  uint64_t weights = b->weights() ? b->weights()->size() : 0;
  os << llvm::format("weights: %llu bytes\narena: %llu bytes\n", (unsigned long long)weights,
                     (unsigned long long)b->arena_bytes());
  int maxRegs = 0, spills = 0;
  size_t images = 0;
  for (const auto *m : *b->modules())
    if (m->images())
      for (const auto *img : *m->images()) {
        ++images;
        maxRegs = std::max(maxRegs, img->registers());
        spills += img->spill_bytes();
      }
  os << "modules: " << b->modules()->size() << " (" << images << " cubins, max " << maxRegs
     << " registers, " << spills << " spill bytes)\n";
  size_t launches = 0, copies = 0;
  for (const auto *s : *b->steps())
    (s->kind() == qbin::StepKind::Launch ? launches : copies) += 1;
  os << "steps: " << launches << " launches, " << copies << " copies\n";
  os << "program: " << (b->program_ir() ? b->program_ir()->size() : 0) << " bytes of qnn IR\n";
  if (!steps)
    return;
  // One line per step: what it computes, how it runs, what ptxas made of it.
  for (auto [i, s] : llvm::enumerate(*b->steps())) {
    os << llvm::format("step %3zu  ", i);
    if (s->kind() == qbin::StepKind::Copy) {
      os << "copy " << s->copy_bytes() << " bytes";
    } else {
      const auto *m = b->modules()->Get(s->module_());
      bool tensorCores = m->ptx() && m->ptx()->string_view().find("mma.sync") != std::string::npos;
      os << (tensorCores ? "tensor-core" : "simt") << " " << str(m->name()) << " grid "
         << s->grid()->Get(0) << "x" << s->grid()->Get(1) << "x" << s->grid()->Get(2)
         << " block " << s->block()->Get(0) << "x" << s->block()->Get(1) << "x"
         << s->block()->Get(2) << " registers";
      if (m->images())
        for (const auto *img : *m->images())
          os << " " << str(img->target()) << ":" << img->registers()
             << (img->spill_bytes() ? "(spills " + std::to_string(img->spill_bytes()) + ")" : "");
    }
    os << "  <- " << (s->origin() && s->origin()->size() ? str(s->origin()) : "?") << "\n";
  }
}
