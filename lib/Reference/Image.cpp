//===- Image.cpp - Images as model inputs ----------------------*- C++ -*-===//

#include "qopt/Reference/Image.h"
#include "qopt/Reference/File.h"

#include "llvm/ADT/SmallVector.h"
#include "llvm/ADT/StringExtras.h"

#include <stb/stb_image.h>

#include <algorithm>
#include <cmath>
#include <memory>

using namespace qopt::ref;
using llvm::Expected;
using llvm::StringRef;

bool qopt::ref::isImagePath(StringRef path) {
  std::string lower = path.lower();
  StringRef p(lower);
  return p.ends_with(".png") || p.ends_with(".jpg") || p.ends_with(".jpeg") ||
         p.ends_with(".bmp");
}

static llvm::Error specError(StringRef spec, const llvm::Twine &msg) {
  return llvm::createStringError("image preprocessing '" + spec.str() + "': " + msg.str());
}

Expected<ImagePreprocess> qopt::ref::parseImagePreprocess(StringRef spec) {
  ImagePreprocess p;
  llvm::SmallVector<StringRef> items;
  spec.split(items, ',', -1, /*KeepEmpty=*/false);
  for (StringRef item : items) {
    // Named pairs, not structured bindings: C++17 lambdas cannot capture those.
    std::pair<StringRef, StringRef> kv = item.trim().split('=');
    StringRef key = kv.first, value = kv.second;
    auto three = [&](std::array<float, 3> &out) -> llvm::Error {
      llvm::SmallVector<StringRef> parts;
      value.split(parts, ':');
      if (parts.size() != 3)
        return specError(spec, key + " needs three values a:b:c");
      for (int c = 0; c < 3; ++c) {
        double v;
        if (parts[c].trim().getAsDouble(v) || !std::isfinite(v))
          return specError(spec, "bad number '" + parts[c] + "' in " + key);
        out[c] = (float)v;
      }
      return llvm::Error::success();
    };
    if (key == "resize") {
      if (value.getAsInteger(10, p.resizeShorter) || p.resizeShorter <= 0 ||
          p.resizeShorter > 65536)
        return specError(spec, "resize needs a size in [1, 65536]");
    } else if (key == "crop") {
      auto [h, w] = value.split('x');
      if (w.empty())
        w = h;
      if (h.getAsInteger(10, p.cropHeight) || w.getAsInteger(10, p.cropWidth) ||
          p.cropHeight <= 0 || p.cropWidth <= 0 || p.cropHeight > 65536 || p.cropWidth > 65536)
        return specError(spec, "crop needs N or HxW in [1, 65536]");
    } else if (key == "mean") {
      if (auto e = three(p.mean))
        return std::move(e);
    } else if (key == "std") {
      if (auto e = three(p.std))
        return std::move(e);
      for (float s : p.std)
        if (s == 0)
          return specError(spec, "std must not be zero");
    } else if (key == "bgr" && value.empty()) {
      p.bgr = true;
    } else if (key == "nhwc" && value.empty()) {
      p.nhwc = true;
    } else if (key == "raw" && value.empty()) {
      p.scaleTo01 = false;
    } else {
      return specError(spec, "unknown item '" + item + "' (expected resize=, crop=, mean=, "
                                                       "std=, bgr, nhwc, raw)");
    }
  }
  return p;
}

namespace {
/// Bilinear sample of an 8-bit RGB image at real coordinates (half-pixel
/// centers), clamped at the edges.
float sample(const unsigned char *img, int64_t h, int64_t w, double y, double x, int c) {
  y = std::clamp(y, 0.0, (double)(h - 1));
  x = std::clamp(x, 0.0, (double)(w - 1));
  int64_t y0 = (int64_t)std::floor(y), x0 = (int64_t)std::floor(x);
  int64_t y1 = std::min(y0 + 1, h - 1), x1 = std::min(x0 + 1, w - 1);
  double fy = y - (double)y0, fx = x - (double)x0;
  auto at = [&](int64_t yy, int64_t xx) { return (double)img[(yy * w + xx) * 3 + c]; };
  double top = at(y0, x0) * (1 - fx) + at(y0, x1) * fx;
  double bottom = at(y1, x0) * (1 - fx) + at(y1, x1) * fx;
  return (float)(top * (1 - fy) + bottom * fy);
}
} // namespace

Expected<Tensor> qopt::ref::loadImage(StringRef path, const ImagePreprocess &spec,
                                      int64_t maxPixels) {
  std::string file = path.str();
  // Read once through the checked reader (regular files only, bounded), then
  // decode from memory: stb's own fopen would wait on a FIFO forever.
  constexpr int64_t kMaxImageFileBytes = int64_t(1) << 30;
  auto buffer = readRegularFile(path, kMaxImageFileBytes);
  if (!buffer)
    return buffer.takeError();
  const auto *data = reinterpret_cast<const stbi_uc *>((*buffer)->getBufferStart());
  int size = (int)(*buffer)->getBufferSize();
  int w = 0, h = 0, channels = 0;
  if (!stbi_info_from_memory(data, size, &w, &h, &channels))
    return llvm::createStringError(file + ": cannot decode image: " +
                                   (stbi_failure_reason() ? stbi_failure_reason() : "unknown"));
  if (w <= 0 || h <= 0 || (int64_t)w * h > maxPixels)
    return llvm::createStringError(file + ": image of " + std::to_string(w) + "x" +
                                   std::to_string(h) + " pixels exceeds the limit of " +
                                   std::to_string(maxPixels));
  std::unique_ptr<unsigned char, void (*)(void *)> pixels(
      stbi_load_from_memory(data, size, &w, &h, &channels, 3), stbi_image_free);
  if (!pixels)
    return llvm::createStringError(file + ": cannot decode image: " +
                                   (stbi_failure_reason() ? stbi_failure_reason() : "unknown"));
  // Size after resizing the shorter side, then the crop window inside it.
  int64_t rh = h, rw = w;
  if (spec.resizeShorter > 0) {
    double f = (double)spec.resizeShorter / (double)std::min(h, w);
    rh = h <= w ? spec.resizeShorter : std::max<int64_t>(1, (int64_t)std::llround(h * f));
    rw = w < h ? spec.resizeShorter : std::max<int64_t>(1, (int64_t)std::llround(w * f));
  }
  int64_t ch = spec.cropHeight ? spec.cropHeight : rh, cw = spec.cropWidth ? spec.cropWidth : rw;
  if (ch > rh || cw > rw)
    return llvm::createStringError(file + ": crop " + std::to_string(ch) + "x" +
                                   std::to_string(cw) + " is larger than the resized image " +
                                   std::to_string(rh) + "x" + std::to_string(rw));
  int64_t top = (rh - ch) / 2, left = (rw - cw) / 2;
  auto out = Tensor::allocate(DType::F32, spec.nhwc ? llvm::ArrayRef<int64_t>{1, ch, cw, 3}
                                                    : llvm::ArrayRef<int64_t>{1, 3, ch, cw});
  if (!out)
    return out.takeError();
  float *o = out->data<float>();
  double sy = (double)h / (double)rh, sx = (double)w / (double)rw;
  for (int64_t y = 0; y < ch; ++y)
    for (int64_t x = 0; x < cw; ++x)
      for (int c = 0; c < 3; ++c) {
        float v = rh == h && rw == w
                      ? (float)pixels.get()[((y + top) * w + (x + left)) * 3 + c]
                      : sample(pixels.get(), h, w, ((double)(y + top) + 0.5) * sy - 0.5,
                               ((double)(x + left) + 0.5) * sx - 0.5, c);
        if (spec.scaleTo01)
          v /= 255.0f;
        v = (v - spec.mean[c]) / spec.std[c];
        int oc = spec.bgr ? 2 - c : c;
        o[spec.nhwc ? (y * cw + x) * 3 + oc : (oc * ch + y) * cw + x] = v;
      }
  return out;
}
