// Per-environment state of the addon (one per Node.js main thread or worker).
#pragma once

#include <napi.h>

#include "kernel.h"

namespace sectorcrypt {

class Addon : public Napi::Addon<Addon> {
 public:
  Addon(Napi::Env env, Napi::Object exports);

  // Kernel for keys created from now on; nullptr where no kernel can run.
  const Kernel* kernel() const { return kernel_; }

 private:
  Napi::Value CpuFeatures(const Napi::CallbackInfo& info);
  Napi::Value Kernels(const Napi::CallbackInfo& info);
  Napi::Value GetKernel(const Napi::CallbackInfo& info);
  Napi::Value SetKernel(const Napi::CallbackInfo& info);

  const Kernel* kernel_ = nullptr;
};

// The kernel for a new key object, or a thrown Error where none can run.
const Kernel& current_kernel(Napi::Env env);

}  // namespace sectorcrypt
