// glibc malloc thresholds for processes that allocate many large outputs.
//
// Output arrays made without `out` are ordinary V8 memory, which Node takes from malloc.
// With glibc's defaults, a freed block at the top of the heap is given back to the kernel
// once more than the trim threshold is free (2 MiB after glibc's own adjustment for 1 MiB
// blocks), and V8 frees some 32 MiB of young arrays at once: every page of the next
// outputs is then faulted in anew, which costs more than encrypting it. Raising the trim
// threshold keeps that memory mapped for the next outputs.
#pragma once

#include <cstddef>

namespace sectorcrypt {

// Sets M_MMAP_THRESHOLD and M_TRIM_THRESHOLD. Returns false where the C library is not
// glibc (nothing is changed there).
bool tune_malloc(size_t mmap_threshold, size_t trim_threshold);

}  // namespace sectorcrypt
