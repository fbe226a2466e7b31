// The addon module: CPU features, kernel list, and the key classes.
#pragma once

#include <napi.h>

#include "kernel.h"

namespace sectorcrypt {

class Addon : public Napi::Addon<Addon> {
 public:
  Addon(Napi::Env env, Napi::Object exports);

 private:
  Napi::Value CpuFeatures(const Napi::CallbackInfo& info);
  Napi::Value Kernels(const Napi::CallbackInfo& info);
  // (mmapThreshold, trimThreshold) -> whether glibc took them (malloc_tuning.h)
  Napi::Value TuneMalloc(const Napi::CallbackInfo& info);
  // (kernel, keyBits, bytes) -> bytes done: the kernel's calibration run (Kernel::aes_ceiling)
  Napi::Value AesCeiling(const Napi::CallbackInfo& info);
};

// The kernel for a new key object: the one named by a string argument, else the best
// this CPU runs; a thrown Error where it cannot run.
const Kernel& kernel_for(Napi::Env env, const Napi::Value& name);

}  // namespace sectorcrypt
