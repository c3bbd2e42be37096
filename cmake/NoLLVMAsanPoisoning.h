//===- NoLLVMAsanPoisoning.h - Sanitizer builds: no LLVM slab poisoning -===//
//
// Included first into every translation unit of a QOPT_SANITIZE build.
//
// llvm/Support/Allocator.h poisons a BumpPtrAllocator's new slab and
// unpoisons each piece it hands out whenever the code including it is built
// with AddressSanitizer. That is right when all of LLVM is instrumented; the
// Debian libMLIR is not. An inlined, instrumented copy of the allocator in a
// QOpt object can then poison a slab of one of MLIR's StorageUniquer
// allocators from which libMLIR's own, uninstrumented copy later hands out
// pieces without unpoisoning them, and the next memcpy into such a piece is
// reported as a use-after-poison inside MLIR (parsing a dense array, for
// instance). Poisoning only in QOpt's copies is the ODR mix to avoid: these
// macros make LLVM's header calls no-ops, while every allocation of QOpt's
// own stays checked by ASan as usual.
//
//===----------------------------------------------------------------------===//

#ifndef QOPT_CMAKE_NOLLVMASANPOISONING_H
#define QOPT_CMAKE_NOLLVMASANPOISONING_H

#if defined(__has_feature)
#if __has_feature(address_sanitizer)
// Declares the real functions first (llvm/Support/Compiler.h includes this
// header too; its include guard then skips it).
#include <sanitizer/asan_interface.h>
#define __asan_poison_memory_region(p, size) ((void)(p), (void)(size))
#define __asan_unpoison_memory_region(p, size) ((void)(p), (void)(size))
#endif
#endif

#endif // QOPT_CMAKE_NOLLVMASANPOISONING_H
