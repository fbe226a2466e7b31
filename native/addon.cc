#include "addon.h"

#include <string>

#include "args.h"
#include "cpu.h"
#include "gcm_key.h"
#include "malloc_tuning.h"
#include "xts_key.h"

namespace sectorcrypt {

Addon::Addon(Napi::Env env, Napi::Object exports) {
  DefineAddon(exports, {
                           InstanceMethod("cpuFeatures", &Addon::CpuFeatures),
                           InstanceMethod("kernels", &Addon::Kernels),
                           InstanceMethod("tuneMalloc", &Addon::TuneMalloc),
                           InstanceMethod("aesCeiling", &Addon::AesCeiling),
                           InstanceValue("XtsKey", XtsKey::Define(env)),
                           InstanceValue("GcmKey", GcmKey::Define(env)),
                       });
}

Napi::Value Addon::CpuFeatures(const Napi::CallbackInfo& info) {
  const sectorcrypt::CpuFeatures& f = cpu_features();
  Napi::Object o = Napi::Object::New(info.Env());
  o.Set("aesni", f.aesni);
  o.Set("pclmulqdq", f.pclmulqdq);
  o.Set("ssse3", f.ssse3);
  o.Set("sse41", f.sse41);
  o.Set("avx", f.avx);
  o.Set("avx2", f.avx2);
  o.Set("avx512f", f.avx512f);
  o.Set("avx512vl", f.avx512vl);
  o.Set("avx512bw", f.avx512bw);
  o.Set("vaes", f.vaes);
  o.Set("vpclmulqdq", f.vpclmulqdq);
  o.Set("osYmm", f.os_ymm);
  o.Set("osZmm", f.os_zmm);
#if defined(__aarch64__)
  o.Set("aes", f.aes);
  o.Set("pmull", f.pmull);
#endif
  return o;
}

Napi::Value Addon::Kernels(const Napi::CallbackInfo& info) {
  size_t count;
  const Kernel* const* kernels = available_kernels(&count);
  Napi::Array names = Napi::Array::New(info.Env(), count);
  for (size_t i = 0; i < count; i++) names.Set(static_cast<uint32_t>(i), kernels[i]->name);
  return names;
}

Napi::Value Addon::TuneMalloc(const Napi::CallbackInfo& info) {
  constexpr uint64_t kMax = uint64_t{1} << 30;
  const uint64_t mmap_threshold = uint_arg(info, 0, "mmapThreshold", 0, kMax);
  const uint64_t trim_threshold = uint_arg(info, 1, "trimThreshold", 0, kMax);
  return Napi::Boolean::New(info.Env(), tune_malloc(mmap_threshold, trim_threshold));
}

Napi::Value Addon::AesCeiling(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  require(env, info[0].IsString(), "kernel must be a string");
  const Kernel& kernel = kernel_for(env, info[0]);
  const uint64_t key_bits = uint_arg(info, 1, "keyBits", 128, 256);
  require(env, key_bits == 128 || key_bits == 192 || key_bits == 256, "keyBits must be 128, 192 or 256");
  const uint64_t bytes = uint_arg(info, 2, "bytes", 1, uint64_t{1} << 40);
  uint8_t sink[16];
  const size_t done = kernel.aes_ceiling(static_cast<int>(key_bits / 32 + 6), static_cast<size_t>(bytes), sink);
  return Napi::Number::New(env, static_cast<double>(done));
}

const Kernel& kernel_for(Napi::Env env, const Napi::Value& name) {
  if (name.IsString()) {
    const std::string wanted = name.As<Napi::String>();
    const Kernel* k = find_kernel(wanted.c_str());
    if (k == nullptr) throw Napi::Error::New(env, "kernel " + wanted + " cannot run on this CPU");
    return *k;
  }
  size_t count;
  const Kernel* const* kernels = available_kernels(&count);
#if defined(__aarch64__)
  if (count == 0) throw Napi::Error::New(env, "this CPU lacks the ARMv8 AES and PMULL instructions");
#else
  if (count == 0) throw Napi::Error::New(env, "this CPU lacks AES-NI and PCLMULQDQ");
#endif
  return *kernels[0];
}

}  // namespace sectorcrypt

using SectorcryptAddon = sectorcrypt::Addon;
NODE_API_ADDON(SectorcryptAddon)
