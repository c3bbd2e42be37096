/*===- qopt_runtime.h - The QOpt runtime C API ----------------------------===*
 *
 * Loads a .qbin bundle written by qopt-compile and runs it on an NVIDIA GPU.
 * The library links neither LLVM nor MLIR and opens the CUDA driver
 * (libcuda.so.1) at run time, so it loads on machines without a GPU and then
 * reports "no CUDA driver found".
 *
 * Errors: every function that can fail returns a qopt_status*, NULL on
 * success. A non-NULL status carries a code and a message that says what was
 * expected and what was found; free it with qopt_status_free.
 *
 * Thread safety:
 *  - qopt_bundle_verify and qopt_model_load_* may run on any threads at once.
 *  - A loaded qopt_model is immutable: its query functions, and
 *    qopt_session_create, may be called from several threads at once. The
 *    model must outlive its sessions (qopt_model_free with live sessions is a
 *    caller error).
 *  - A qopt_session is not thread-safe: use each session from one thread at a
 *    time. Sessions of one model run independently (own stream, own arena,
 *    weights shared), so one session per thread is the way to run a model
 *    from several threads.
 *
 * Memory: a model holds its weights and kernels on the GPU once; each session
 * allocates one device block for the compiler-planned activation arena plus
 * its inputs and outputs. Everything is freed by qopt_session_free and
 * qopt_model_free, and on every error path.
 *
 *===----------------------------------------------------------------------===*/

#ifndef QOPT_RUNTIME_H
#define QOPT_RUNTIME_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct qopt_model qopt_model;
typedef struct qopt_session qopt_session;
typedef struct qopt_status qopt_status;

typedef enum qopt_code {
  QOPT_OK = 0,
  QOPT_INVALID_ARGUMENT = 1,   /* null pointer, index out of range, wrong input size */
  QOPT_IO_ERROR = 2,           /* the bundle file cannot be read */
  QOPT_INVALID_BUNDLE = 3,     /* the bundle is corrupt, truncated or inconsistent */
  QOPT_NO_DEVICE = 4,          /* no CUDA driver, or no such GPU */
  QOPT_UNSUPPORTED_DEVICE = 5, /* the bundle cannot run on this GPU (chip, limits) */
  QOPT_OUT_OF_MEMORY = 6,      /* host or device allocation failed */
  QOPT_CUDA_ERROR = 7          /* a CUDA call failed (the message names it) */
} qopt_code;

/* Element types, numbered as in the bundle schema (runtime/schema/qbin.fbs). */
typedef enum qopt_dtype {
  QOPT_F32 = 0, QOPT_F16, QOPT_BF16, QOPT_F64, QOPT_I8, QOPT_U8, QOPT_I16, QOPT_U16,
  QOPT_I32, QOPT_U32, QOPT_I64, QOPT_U64, QOPT_BOOL
} qopt_dtype;

qopt_code qopt_status_code(const qopt_status *status);    /* QOPT_OK for NULL */
const char *qopt_status_message(const qopt_status *status); /* "" for NULL */
void qopt_status_free(qopt_status *status);

/* One input or output of a model. Pointers stay valid while the model lives. */
typedef struct qopt_tensor_info {
  const char *name;       /* the ONNX graph input/output name */
  qopt_dtype dtype;
  const char *dtype_name; /* NumPy's name: "float32", "int8", ... */
  size_t rank;
  const int64_t *dims;
  size_t bytes;           /* of the whole tensor */
  int quantized;          /* storage integers with a scale and zero point */
} qopt_tensor_info;

/* Verifies a bundle image completely (header, checksum, FlatBuffer, every
 * reference) without touching a GPU. */
qopt_status *qopt_bundle_verify(const void *data, size_t size);

/* Reads and verifies the bundle at `path`, then loads it onto GPU `device`:
 * picks each kernel's cubin for the device's chip (or JIT-compiles the
 * embedded PTX), checks shared memory and register limits, and uploads the
 * weights once. */
qopt_status *qopt_model_load_file(const char *path, int device, qopt_model **model);
/* The same for a bundle image in memory (copied; the caller keeps `data`). */
qopt_status *qopt_model_load_memory(const void *data, size_t size, int device,
                                    qopt_model **model);
void qopt_model_free(qopt_model *model);

size_t qopt_model_num_inputs(const qopt_model *model);
size_t qopt_model_num_outputs(const qopt_model *model);
qopt_status *qopt_model_input(const qopt_model *model, size_t index, qopt_tensor_info *info);
qopt_status *qopt_model_output(const qopt_model *model, size_t index, qopt_tensor_info *info);
/* Index of the input or output called `name`, or -1. */
int64_t qopt_model_find_input(const qopt_model *model, const char *name);
int64_t qopt_model_find_output(const qopt_model *model, const char *name);
/* Multi-line summary: device, chip, how each module was loaded (cubin or PTX
 * JIT), weights and arena sizes, steps. */
const char *qopt_model_describe(const qopt_model *model);

qopt_status *qopt_session_create(qopt_model *model, qopt_session **session);
void qopt_session_free(qopt_session *session);

/* Copies `bytes` bytes (exactly the input's size) from host memory to the
 * input's device buffer. */
qopt_status *qopt_session_set_input(qopt_session *session, size_t index, const void *data,
                                    size_t bytes);
/* Runs every step of the program on the session's stream and waits for it. */
qopt_status *qopt_session_run(qopt_session *session);
/* Copies output `index` (exactly `bytes` bytes) back to host memory. */
qopt_status *qopt_session_get_output(qopt_session *session, size_t index, void *data,
                                     size_t bytes);
/* With `enable`, the first run captures the launch sequence into a CUDA graph
 * and later runs replay it: one launch for the whole model. */
qopt_status *qopt_session_use_cuda_graph(qopt_session *session, int enable);
/* With `enable`, the session waits after every step, so that an asynchronous
 * fault is reported with the step (and the ONNX node) that caused it. Slow;
 * for debugging. */
qopt_status *qopt_session_sync_each_step(qopt_session *session, int enable);

/* Runs the program `runs` times with a CUDA event around every step and
 * writes each step's mean time in milliseconds to `ms[0 .. num_steps)`
 * (qopt_model_num_steps). Not with a CUDA graph. */
qopt_status *qopt_session_profile(qopt_session *session, int runs, double *ms, size_t num_steps);
size_t qopt_model_num_steps(const qopt_model *model);
/* What step `index` computes: "launch main_kernel_3 grid 98x1x1 <- Conv_12",
 * "" past the end. */
const char *qopt_model_step_name(const qopt_model *model, size_t index);

#ifdef __cplusplus
}
#endif

#endif /* QOPT_RUNTIME_H */
