#include "malloc_tuning.h"

#if defined(__GLIBC__)
#include <malloc.h>
#endif

#include <climits>

namespace sectorcrypt {

bool tune_malloc(size_t mmap_threshold, size_t trim_threshold) {
#if defined(__GLIBC__)
  if (mmap_threshold > INT_MAX || trim_threshold > INT_MAX) return false;
  // Setting either turns off glibc's dynamic thresholds, so both are set: mmap_threshold
  // should be the most glibc would reach by itself (32 MiB on 64-bit).
  const bool mmap_ok = mallopt(M_MMAP_THRESHOLD, static_cast<int>(mmap_threshold)) == 1;
  const bool trim_ok = mallopt(M_TRIM_THRESHOLD, static_cast<int>(trim_threshold)) == 1;
  return mmap_ok && trim_ok;
#else
  (void)mmap_threshold;
  (void)trim_threshold;
  return false;
#endif
}

}  // namespace sectorcrypt
