// Output buffers for batch calls, recycled. A batch's output goes to JavaScript as an
// external Buffer; when V8 collects it, Node runs its finalizer on the JS thread and the
// memory goes back to a free list, so the next batch writes into pages that are already
// mapped. Writing into fresh memory costs a page fault per 4 KiB, which on a VM is more
// than the encryption of that page, and faults from two threads serialize in the kernel.
#pragma once

#include <napi.h>

#include <cstddef>
#include <cstdint>

namespace sectorcrypt {

// A Uint8Array of `size` bytes. Its bytes are unspecified (an earlier batch's output): the
// caller overwrites all of them before JavaScript reads it. A block goes back to the pool
// only from the finalizer, i.e. after every view of it was collected, and an async job
// holds its output view until it ends, so a block is never written by two users at once.
Napi::Value pooled_bytes(Napi::Env env, size_t size);

// The largest `size` the JS side may ask for (exact as a JS number; V8 refuses less).
constexpr uint64_t kMaxAllocateBytes = (uint64_t{1} << 53) - 1;

struct PoolStats {
  size_t live;       // blocks handed out and not yet finalized
  size_t idle;       // blocks on the free lists
  size_t idle_bytes; // bytes of idle blocks that were ever written (resident memory)
  size_t created;    // blocks allocated so far
  size_t reused;     // hand-outs served from a free list
};
PoolStats pool_stats();

}  // namespace sectorcrypt
