//===- BundleReader.cpp - Verify and describe a .qbin -----------*- C++ -*-===//
//
// The compiler-side reader (qopt-ref runs a bundle's qnn program, tests read
// what the writer wrote). Verification is the runtime's own (BundleVerify),
// so the compiler and the runtime refuse the same files with the same words.
//
//===----------------------------------------------------------------------===//

#include "qopt/Target/Bundle.h"
#include "qopt/runtime/BundleVerify.h"
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

Expected<const qbin::Bundle *> qopt::readBundle(llvm::ArrayRef<uint8_t> file) {
  qbin::VerifiedBundle verified;
  if (std::string err = qbin::verifyBundle(file.data(), file.size(), verified); !err.empty())
    return llvm::createStringError(err);
  return verified.bundle;
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
  if (const auto *maps = b->tensor_maps()) {
    // TMA descriptors the runtime encodes per session (sm_90a kernels).
    os << "tensor maps: " << maps->size() << "\n";
    if (steps)
      for (auto [i, m] : llvm::enumerate(*maps))
        os << llvm::format("  map %zu: ", i) << m->rows() << " x " << m->row_bytes()
           << " bytes (pitch " << m->pitch() << ") at "
           << qbin::EnumNameBufferKind(m->buffer()->kind()) << " offset "
           << m->buffer()->offset() << ", box " << m->box_rows() << " x " << m->box_bytes()
           << (m->swizzle() == 3 ? ", 128-byte swizzle" : "") << "\n";
  }
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
      std::string_view ptx = m->ptx() ? m->ptx()->string_view() : std::string_view();
      const char *kind = ptx.find("wgmma.mma_async") != std::string_view::npos ? "tensor-core-wgmma"
                         : ptx.find("mma.sync") != std::string_view::npos  ? "tensor-core"
                                                                            : "simt";
      os << kind << " " << str(m->name()) << " grid "
         << s->grid()->Get(0) << "x" << s->grid()->Get(1) << "x" << s->grid()->Get(2)
         << " block " << s->block()->Get(0) << "x" << s->block()->Get(1) << "x"
         << s->block()->Get(2);
      // The tensor-core kernels' tile decides this (docs/codegen.md).
      if (s->dynamic_shared_bytes())
        os << " shared " << s->dynamic_shared_bytes();
      os << " registers";
      if (m->images())
        for (const auto *img : *m->images())
          os << " " << str(img->target()) << ":" << img->registers()
             << (img->spill_bytes() ? "(spills " + std::to_string(img->spill_bytes()) + ")" : "");
    }
    os << "  <- " << (s->origin() && s->origin()->size() ? str(s->origin()) : "?") << "\n";
  }
}
