// RUN: qopt %s -split-input-file --qopt-insert-qdq --verify-diagnostics
// RUN: not qopt %s --qopt-insert-qdq="calib-cache=%S/Inputs/does-not-exist.json" 2>&1 | FileCheck %s --check-prefix=MISSING
// RUN: not qopt %s --qopt-insert-qdq="calib-cache=%S/Inputs/calib-small.json calibration=median" 2>&1 | FileCheck %s --check-prefix=METHOD
// RUN: not qopt %s --qopt-insert-qdq="calib-cache=%S/Inputs/calib-small.json activation-type=uint8 symmetric-activations=1" 2>&1 | FileCheck %s --check-prefix=SYMU8
// RUN: not qopt %s --qopt-insert-qdq="calib-cache=%s" 2>&1 | FileCheck %s --check-prefix=NOTJSON

// Caches that would make the reader allocate without bound are refused.
// RUN: rm -rf %t && mkdir -p %t && %python %S/Inputs/hostile_cache.py %t
// RUN: not qopt %s --qopt-insert-qdq="calib-cache=%t/huge-bins.json" 2>&1 | FileCheck %s --check-prefix=HUGE
// RUN: not qopt %s --qopt-insert-qdq="calib-cache=%t/many-tensors.json" 2>&1 | FileCheck %s --check-prefix=MANY
// HUGE: tensor 'x': calibration statistics: bin_count out of range
// MANY: histograms total more than 2^26 bins

// MISSING: calibration cache '{{.*}}does-not-exist.json': No such file or directory
// METHOD: unknown calibration method 'median' (expected minmax, percentile, entropy or mse)
// SYMU8: symmetric activations need int8 storage
// NOTJSON: calibration cache '{{.*}}insert-qdq-errors.mlir': not JSON

// expected-error @+1 {{qopt-insert-qdq needs calibration statistics: pass calib-cache=<file.json>}}
func.func @no_cache(%x: tensor<4xf32>) -> tensor<4xf32> {
  return %x : tensor<4xf32>
}
