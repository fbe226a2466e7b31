#include "cpu.h"

#include <cstdint>

#if defined(__x86_64__) || defined(__i386__)
#include <cpuid.h>
#elif defined(__aarch64__) && defined(__linux__)
#include <asm/hwcap.h>
#include <sys/auxv.h>
#endif

namespace sectorcrypt {

namespace {

#if defined(__x86_64__) || defined(__i386__)
uint64_t read_xcr0() {
  uint32_t eax, edx;
  // XGETBV with ECX = 0; only valid once CPUID reported OSXSAVE.
  __asm__ volatile("xgetbv" : "=a"(eax), "=d"(edx) : "c"(0));
  return (static_cast<uint64_t>(edx) << 32) | eax;
}

CpuFeatures probe() {
  CpuFeatures f;
  unsigned eax, ebx, ecx, edx;
  if (!__get_cpuid(1, &eax, &ebx, &ecx, &edx)) return f;
  f.pclmulqdq = ecx & (1u << 1);
  f.ssse3 = ecx & (1u << 9);
  f.sse41 = ecx & (1u << 19);
  f.aesni = ecx & (1u << 25);
  const bool osxsave = ecx & (1u << 27);
  const bool avx_cpu = ecx & (1u << 28);
  if (osxsave) {
    const uint64_t xcr0 = read_xcr0();
    f.os_ymm = (xcr0 & 0x6) == 0x6;           // SSE and AVX state
    f.os_zmm = f.os_ymm && (xcr0 & 0xe0) == 0xe0;  // opmask, ZMM_Hi256, Hi16_ZMM
  }
  f.avx = avx_cpu && f.os_ymm;
  if (__get_cpuid_count(7, 0, &eax, &ebx, &ecx, &edx)) {
    f.avx2 = ebx & (1u << 5);
    f.avx512f = ebx & (1u << 16);
    f.avx512bw = ebx & (1u << 30);
    f.avx512vl = ebx & (1u << 31);
    f.vaes = ecx & (1u << 9);
    f.vpclmulqdq = ecx & (1u << 10);
  }
  return f;
}
#elif defined(__aarch64__) && defined(__linux__)
// The ID registers are privileged; the kernel's HWCAP word is the documented way for user
// space to ask (Linux Documentation/arch/arm64/elf_hwcaps.rst).
CpuFeatures probe() {
  CpuFeatures f;
  const unsigned long hwcap = getauxval(AT_HWCAP);
  f.aes = hwcap & HWCAP_AES;
  f.pmull = hwcap & HWCAP_PMULL;
  return f;
}
#else
CpuFeatures probe() { return CpuFeatures(); }
#endif

}  // namespace

const CpuFeatures& cpu_features() {
  static const CpuFeatures features = probe();
  return features;
}

}  // namespace sectorcrypt
