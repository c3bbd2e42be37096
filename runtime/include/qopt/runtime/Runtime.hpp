//===- Runtime.hpp - C++ wrapper of the QOpt runtime C API ------*- C++ -*-===//
//
// RAII owners of the C handles; errors become qopt::rt::Error exceptions that
// carry the C API's code and message. Same thread-safety rules as
// qopt_runtime.h: a Model may be shared, a Session belongs to one thread at a
// time, and a Model must outlive its Sessions.
//
//===----------------------------------------------------------------------===//

#ifndef QOPT_RUNTIME_RUNTIME_HPP
#define QOPT_RUNTIME_RUNTIME_HPP

#include "qopt/runtime/qopt_runtime.h"

#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

namespace qopt::rt {

class Error : public std::runtime_error {
public:
  Error(qopt_code code, const std::string &message) : std::runtime_error(message), code_(code) {}
  qopt_code code() const { return code_; }

private:
  qopt_code code_;
};

/// Throws the status as an Error (and frees it); does nothing for NULL.
inline void throwIfError(qopt_status *status) {
  if (!status)
    return;
  std::unique_ptr<qopt_status, decltype(&qopt_status_free)> owner(status, qopt_status_free);
  throw Error(qopt_status_code(status), qopt_status_message(status));
}

class Model {
public:
  static Model loadFile(const std::string &path, int device = 0) {
    qopt_model *m = nullptr;
    throwIfError(qopt_model_load_file(path.c_str(), device, &m));
    return Model(m);
  }
  static Model loadMemory(const void *data, size_t size, int device = 0) {
    qopt_model *m = nullptr;
    throwIfError(qopt_model_load_memory(data, size, device, &m));
    return Model(m);
  }

  size_t numInputs() const { return qopt_model_num_inputs(model_.get()); }
  size_t numOutputs() const { return qopt_model_num_outputs(model_.get()); }
  qopt_tensor_info input(size_t i) const {
    qopt_tensor_info info;
    throwIfError(qopt_model_input(model_.get(), i, &info));
    return info;
  }
  qopt_tensor_info output(size_t i) const {
    qopt_tensor_info info;
    throwIfError(qopt_model_output(model_.get(), i, &info));
    return info;
  }
  int64_t findInput(const std::string &name) const {
    return qopt_model_find_input(model_.get(), name.c_str());
  }
  int64_t findOutput(const std::string &name) const {
    return qopt_model_find_output(model_.get(), name.c_str());
  }
  std::string describe() const { return qopt_model_describe(model_.get()); }
  size_t numSteps() const { return qopt_model_num_steps(model_.get()); }
  std::string stepName(size_t i) const { return qopt_model_step_name(model_.get(), i); }
  qopt_model *get() const { return model_.get(); }

private:
  explicit Model(qopt_model *m) : model_(m, qopt_model_free) {}
  std::unique_ptr<qopt_model, decltype(&qopt_model_free)> model_;
};

class Session {
public:
  explicit Session(const Model &model) : session_(nullptr, qopt_session_free) {
    qopt_session *s = nullptr;
    throwIfError(qopt_session_create(model.get(), &s));
    session_.reset(s);
  }
  void setInput(size_t i, const void *data, size_t bytes) {
    throwIfError(qopt_session_set_input(session_.get(), i, data, bytes));
  }
  void run() { throwIfError(qopt_session_run(session_.get())); }
  void getOutput(size_t i, void *data, size_t bytes) {
    throwIfError(qopt_session_get_output(session_.get(), i, data, bytes));
  }
  void useCudaGraph(bool enable) {
    throwIfError(qopt_session_use_cuda_graph(session_.get(), enable ? 1 : 0));
  }
  /// Mean milliseconds of each step over `runs` runs.
  std::vector<double> profile(size_t numSteps, int runs) {
    std::vector<double> ms(numSteps);
    throwIfError(qopt_session_profile(session_.get(), runs, ms.data(), ms.size()));
    return ms;
  }
  void syncEachStep(bool enable) {
    throwIfError(qopt_session_sync_each_step(session_.get(), enable ? 1 : 0));
  }

private:
  std::unique_ptr<qopt_session, decltype(&qopt_session_free)> session_;
};

} // namespace qopt::rt

#endif // QOPT_RUNTIME_RUNTIME_HPP
