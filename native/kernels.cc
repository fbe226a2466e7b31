// Which kernels this CPU and OS can run.
#include <cstring>

#include "cpu.h"
#include "kernel.h"

namespace sectorcrypt {

#if defined(__x86_64__)
extern const Kernel kKernelAesni;
extern const Kernel kKernelVaesAvx2;
extern const Kernel kKernelVaesAvx512;
#elif defined(__aarch64__)
extern const Kernel kKernelArmv8Ce;
#endif

namespace {

struct KernelList {
  const Kernel* items[3];
  size_t count = 0;
};

KernelList probe_kernels() {
  KernelList list;
#if defined(__x86_64__)
  const CpuFeatures& f = cpu_features();
  const bool aesni = f.aesni && f.pclmulqdq && f.ssse3 && f.sse41;
  const bool avx2 = aesni && f.avx && f.avx2 && f.vaes && f.vpclmulqdq && f.os_ymm;
  const bool avx512 = avx2 && f.avx512f && f.avx512vl && f.avx512bw && f.os_zmm;
  if (avx512) list.items[list.count++] = &kKernelVaesAvx512;
  if (avx2) list.items[list.count++] = &kKernelVaesAvx2;
  if (aesni) list.items[list.count++] = &kKernelAesni;
#elif defined(__aarch64__)
  const CpuFeatures& f = cpu_features();
  if (f.aes && f.pmull) list.items[list.count++] = &kKernelArmv8Ce;
#endif
  return list;
}

}  // namespace

const Kernel* const* available_kernels(size_t* count) {
  static const KernelList list = probe_kernels();
  *count = list.count;
  return list.items;
}

const Kernel* find_kernel(const char* name) {
  size_t count;
  const Kernel* const* kernels = available_kernels(&count);
  for (size_t i = 0; i < count; i++) {
    if (std::strcmp(kernels[i]->name, name) == 0) return kernels[i];
  }
  return nullptr;
}

}  // namespace sectorcrypt
