// CPU feature detection: CPUID for what the processor has, XGETBV for what the OS saves.
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
};

// Probes once; later calls return the cached answer.
const CpuFeatures& cpu_features();

}  // namespace sectorcrypt
