//===- Tensor.h - Host tensors of the CPU reference executor --*- C++ -*-===//
//
// A dense, row-major host tensor with shared, immutable-by-convention storage.
// The reference executor, the .npy reader/writer and constant folding all
// exchange data as Tensor; nothing here depends on MLIR.
//
//===----------------------------------------------------------------------===//

#ifndef QOPT_REFERENCE_TENSOR_H
#define QOPT_REFERENCE_TENSOR_H

#include "llvm/ADT/ArrayRef.h"
#include "llvm/ADT/SmallVector.h"
#include "llvm/ADT/StringRef.h"
#include "llvm/Support/Error.h"

#include <cstdint>
#include <memory>
#include <string>

namespace qopt::ref {

/// Element types the executor stores. Bool is one byte per element (0 or 1).
enum class DType : uint8_t { F16, BF16, F32, F64, Bool, I8, I16, I32, I64, U8, U16, U32, U64 };

/// Bytes per element.
size_t dtypeSize(DType t);
/// Short name as in ONNX ("float32", "int64", ...).
llvm::StringRef dtypeName(DType t);
bool isFloat(DType t);
bool isSignedInt(DType t);
bool isUnsignedInt(DType t);

/// Number of elements of a shape, or an error when a dimension is negative or
/// the product overflows int64 or exceeds `maxElements`.
llvm::Expected<int64_t> checkedNumElements(llvm::ArrayRef<int64_t> shape,
                                           int64_t maxElements = INT64_MAX);

/// Row-major strides in elements.
llvm::SmallVector<int64_t> rowMajorStrides(llvm::ArrayRef<int64_t> shape);

class Tensor {
public:
  Tensor() = default;
  /// Allocates a zero-filled tensor. The shape must have been validated.
  Tensor(DType dtype, llvm::ArrayRef<int64_t> shape);
  /// Allocates and copies `bytes` (which must hold exactly the tensor's size).
  static llvm::Expected<Tensor> fromBytes(DType dtype, llvm::ArrayRef<int64_t> shape,
                                          llvm::ArrayRef<char> bytes);
  /// Allocates, reporting shapes that are negative or too large instead of
  /// crashing.
  static llvm::Expected<Tensor> allocate(DType dtype, llvm::ArrayRef<int64_t> shape);
  /// As allocate, but the contents are unspecified (recycled buffers are not
  /// cleared). Only for kernels that write every element: skipping the clear
  /// saves a full pass over memory on memory-bound ops.
  static llvm::Expected<Tensor> allocateUninitialized(DType dtype,
                                                      llvm::ArrayRef<int64_t> shape);

  DType dtype() const { return dtype_; }
  llvm::ArrayRef<int64_t> shape() const { return shape_; }
  int64_t rank() const { return shape_.size(); }
  int64_t dim(int64_t i) const { return shape_[i]; }
  int64_t numElements() const { return numElements_; }
  size_t byteSize() const { return numElements_ * dtypeSize(dtype_); }
  bool valid() const { return storage_ != nullptr; }

  char *bytes() { return storage_.get(); }
  const char *bytes() const { return storage_.get(); }
  template <typename T> T *data() { return reinterpret_cast<T *>(storage_.get()); }
  template <typename T> const T *data() const {
    return reinterpret_cast<const T *>(storage_.get());
  }

  /// Same storage, new shape with the same element count.
  Tensor reshaped(llvm::ArrayRef<int64_t> shape) const;
  /// Same storage read as another dtype of the same size (the storage of a
  /// quantized type and its signless twin).
  Tensor bitcast(DType dtype) const;
  /// Deep copy.
  Tensor clone() const;
  /// Element i converted to double (any dtype).
  double getAsDouble(int64_t i) const;
  /// Element i of an integer or bool tensor as int64.
  int64_t getAsInt(int64_t i) const;
  /// Stores `v` into element i with ONNX Cast semantics for the dtype.
  void setFromDouble(int64_t i, double v);
  /// Converts to another dtype with ONNX Cast semantics.
  Tensor castTo(DType to) const;
  /// "float32[1,3,224,224]".
  std::string describe() const;

private:
  static llvm::Expected<Tensor> allocateImpl(DType dtype, llvm::ArrayRef<int64_t> shape,
                                             bool clear);

  DType dtype_ = DType::F32;
  llvm::SmallVector<int64_t, 6> shape_;
  int64_t numElements_ = 0;
  std::shared_ptr<char[]> storage_;
};

/// IEEE half and bfloat16 conversions, round to nearest even.
uint16_t floatToHalf(float f);
float halfToFloat(uint16_t h);
uint16_t floatToBFloat16(float f);
float bfloat16ToFloat(uint16_t b);

} // namespace qopt::ref

#endif // QOPT_REFERENCE_TENSOR_H
