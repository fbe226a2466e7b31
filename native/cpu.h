// CPU feature detection. x86-64: CPUID for what the processor has, XGETBV for what the OS
// saves. AArch64: the HWCAP bits the kernel passes in the auxiliary vector.
#pragma once

namespace sectorcrypt {

struct CpuFeatures {
  bool aesni = false;
  bool pclmulqdq = false;
  bool ssse3 = false;
  bool sse41 = false;
  bool avx = false;
  bool avx2 = false;
  bool avx512f = false;
  bool avx512vl = false;
  bool avx512bw = false;
  bool vaes = false;
  bool vpclmulqdq = false;
  bool os_ymm = false;  // XCR0 says the OS saves YMM state
  bool os_zmm = false;  // ... and opmask + ZMM state
  bool aes = false;     // AArch64: AESE/AESD/AESMC/AESIMC (HWCAP_AES)
  bool pmull = false;   // AArch64: PMULL/PMULL2 on 64-bit lanes (HWCAP_PMULL)
};

// Probes once; later calls return the cached answer.
const CpuFeatures& cpu_features();

}  // namespace sectorcrypt
