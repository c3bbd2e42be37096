//===- Image.h - Images as model inputs ------------------------*- C++ -*-===//
//
// Decodes PNG/JPEG/BMP images (stb_image from Debian's libstb-dev) and
// applies the preprocessing a vision model expects, so calibration and
// qopt-ref can take image files directly.
//
//===----------------------------------------------------------------------===//

#ifndef QOPT_REFERENCE_IMAGE_H
#define QOPT_REFERENCE_IMAGE_H

#include "qopt/Reference/Tensor.h"

#include <array>

namespace qopt::ref {

/// How an image becomes a tensor, in this order: decode to RGB (8-bit),
/// resize so the shorter side is `resizeShorter` (bilinear with half-pixel
/// centers, no antialiasing; 0 keeps the size), center-crop to
/// `cropHeight` x `cropWidth` (0 keeps the size), divide by 255 when
/// `scaleTo01`, subtract `mean` and divide by `std` per RGB channel, reorder
/// the channels to BGR when `bgr`, and lay out as 1x3xHxW (or 1xHxWx3 with
/// `nhwc`), float32.
struct ImagePreprocess {
  int64_t resizeShorter = 0;
  int64_t cropHeight = 0, cropWidth = 0;
  bool scaleTo01 = true;
  std::array<float, 3> mean{0.0f, 0.0f, 0.0f};
  std::array<float, 3> std{1.0f, 1.0f, 1.0f};
  bool bgr = false;
  bool nhwc = false;
};

/// Parses a spec such as
/// "resize=256,crop=224,mean=0.485:0.456:0.406,std=0.229:0.224:0.225,bgr,nhwc,raw"
/// (`crop=HxW` for non-square crops, `raw` keeps 0..255 values).
llvm::Expected<ImagePreprocess> parseImagePreprocess(llvm::StringRef spec);

/// Whether `path` names an image by its extension (.png, .jpg, .jpeg, .bmp).
bool isImagePath(llvm::StringRef path);

/// Loads and preprocesses an image. Images with more than `maxPixels` pixels
/// are refused before decoding.
llvm::Expected<Tensor> loadImage(llvm::StringRef path, const ImagePreprocess &spec,
                                 int64_t maxPixels = int64_t(1) << 28);

} // namespace qopt::ref

#endif // QOPT_REFERENCE_IMAGE_H
