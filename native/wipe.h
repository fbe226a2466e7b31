// Overwrites memory in a way the compiler may not drop as a dead store.
#pragma once

#include <cstddef>
#include <cstring>

namespace sectorcrypt {

inline void secure_wipe(void* p, size_t n) {
  std::memset(p, 0, n);
  // The empty asm claims to read p, so the memset above must happen.
  __asm__ __volatile__("" : : "r"(p) : "memory");
}

}  // namespace sectorcrypt
