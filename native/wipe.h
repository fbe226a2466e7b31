// Overwrites memory in a way the compiler may not drop as a dead store.
#pragma once

#include <cstddef>
#include <cstring>

namespace sectorcrypt {

inline void secure_wipe(void* p, size_t n) {
  if (n == 0) return;  // p may be null for an empty buffer
  std::memset(p, 0, n);
  // The empty asm claims to read p, so the memset above must happen.
  __asm__ __volatile__("" : : "r"(p) : "memory");
}

}  // namespace sectorcrypt
