//===- bundle_fuzzer.cpp - libFuzzer: the .qbin loader -------------------===//
//
// Every input is tried twice: as it is (header, size and checksum checks),
// and with a header rewritten to match the payload, so that mutations reach
// the FlatBuffer verifier and the reference checks behind the checksum, as a
// deliberately crafted bundle would. A bundle that verifies is then loaded
// and run through the runtime against the host-memory fake driver
// (runtime/test/FakeCuda.cpp), which checks every launch's arguments.
//
//===----------------------------------------------------------------------===//

#include "qopt/runtime/BundleFile.h"
#include "qopt/runtime/qopt_runtime.h"

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <vector>

extern "C" int LLVMFuzzerInitialize(int *, char ***) {
  setenv("QOPT_CUDA_DRIVER", QOPT_FAKE_CUDA_PATH, /*overwrite=*/0);
  return 0;
}

constexpr size_t kMaxInputBytes = 64 << 20;

static void loadAndRun(const uint8_t *data, size_t size) {
  qopt_status *status = qopt_bundle_verify(data, size);
  if (status) {
    qopt_status_free(status);
    return;
  }
  qopt_model *model = nullptr;
  if ((status = qopt_model_load_memory(data, size, 0, &model))) {
    qopt_status_free(status);
    return;
  }
  qopt_session *session = nullptr;
  if (!(status = qopt_session_create(model, &session))) {
    std::vector<uint8_t> buffer;
    for (size_t i = 0; i < qopt_model_num_inputs(model) && !status; ++i) {
      qopt_tensor_info info;
      if ((status = qopt_model_input(model, i, &info)))
        break;
      if (info.bytes > kMaxInputBytes)
        break; // the session exists: its checks ran; the input is not worth a host copy
      buffer.assign(info.bytes, 0);
      status = qopt_session_set_input(session, i, buffer.data(), buffer.size());
    }
    if (!status)
      status = qopt_session_run(session);
    qopt_session_free(session);
  }
  qopt_status_free(status);
  qopt_model_free(model);
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  loadAndRun(data, size);
  if (size < qopt::qbin::kHeaderSize)
    return 0;
  std::vector<uint8_t> fixed(data, data + size);
  qopt::qbin::writeHeader(fixed.data(), fixed.data() + qopt::qbin::kHeaderSize,
                          size - qopt::qbin::kHeaderSize);
  loadAndRun(fixed.data(), fixed.size());
  return 0;
}
