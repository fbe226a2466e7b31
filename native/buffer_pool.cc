#include "buffer_pool.h"

#include <cstdint>
#include <cstdlib>
#include <mutex>
#include <vector>

#include "wipe.h"

namespace sectorcrypt {

namespace {

// Blocks come in powers of two from 64 KiB to 16 MiB; a request gets the smallest that
// holds it. Pages of a block past what was ever requested are never touched, so a 1 MiB +
// 1 KiB batch in a 2 MiB block costs 1 MiB + 1 KiB of memory, not 2 MiB.
constexpr size_t kMinShift = 16;
constexpr size_t kClasses = 9;
constexpr size_t kMaxPooled = size_t{1} << (kMinShift + kClasses - 1);
// Idle memory kept for reuse, counted in written bytes. A stream's outputs come back in
// bursts after garbage collections; V8 collects young array buffers once about 32 MiB
// piled up, and they come back around the next collection, so a fast stream has up to
// about 75 MiB out at once. A smaller cap would free and refault part of every burst.
// The price: up to this much stays reserved after the last stream ends.
constexpr size_t kMaxIdleBytes = size_t{80} << 20;
constexpr size_t kAlign = 64;

struct Block {
  uint8_t* data;
  size_t klass;
  size_t touched;  // the longest view handed out: the bytes that are resident
};

size_t class_of(size_t size) {
  size_t k = 0;
  while ((size_t{1} << (kMinShift + k)) < size) k++;
  return k;
}

class Pool {
 public:
  // A block of at least `size` (<= kMaxPooled) bytes, or nullptr when out of memory.
  Block* take(size_t size) {
    const size_t k = class_of(size);
    {
      std::lock_guard<std::mutex> lock(mutex_);
      std::vector<Block*>& list = free_[k];
      if (!list.empty()) {
        Block* b = list.back();
        list.pop_back();
        idle_bytes_ -= b->touched;
        if (b->touched < size) b->touched = size;
        live_++;
        reused_++;
        return b;
      }
    }
    void* data = std::aligned_alloc(kAlign, size_t{1} << (kMinShift + k));
    if (data == nullptr) return nullptr;
    Block* b = new Block{static_cast<uint8_t*>(data), k, size};
    std::lock_guard<std::mutex> lock(mutex_);
    live_++;
    created_++;
    return b;
  }

  // Back from a finalizer: kept while the idle bytes stay under the cap, else freed.
  void give(Block* b) {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      live_--;
      if (idle_bytes_ + b->touched <= kMaxIdleBytes) {
        free_[b->klass].push_back(b);
        idle_bytes_ += b->touched;
        return;
      }
    }
    // It may hold plaintext and leaves our hands: malloc could give it to a Buffer.allocUnsafe.
    secure_wipe(b->data, b->touched);
    std::free(b->data);
    delete b;
  }

  PoolStats stats() {
    std::lock_guard<std::mutex> lock(mutex_);
    size_t idle = 0;
    for (const std::vector<Block*>& list : free_) idle += list.size();
    return PoolStats{live_, idle, idle_bytes_, created_, reused_};
  }

 private:
  // Every env (the main thread and each worker) shares one pool; a finalizer runs on the
  // thread of the env that made the buffer.
  std::mutex mutex_;
  std::vector<Block*> free_[kClasses];
  size_t idle_bytes_ = 0;
  size_t live_ = 0;
  size_t created_ = 0;
  size_t reused_ = 0;
};

// Never destroyed: a finalizer may still run while the process exits (env teardown calls
// them), and a static destructor must not have freed the pool before it.
Pool& pool() {
  static Pool* const p = new Pool();
  return *p;
}

void give_back(napi_env, void*, void* hint) { pool().give(static_cast<Block*>(hint)); }

}  // namespace

Napi::Value pooled_bytes(Napi::Env env, size_t size) {
  // Small or huge requests: an ordinary (zeroed) array; the pool is for batch outputs.
  if (size < (size_t{1} << kMinShift) / 2 || size > kMaxPooled) return Napi::Uint8Array::New(env, size);
  Block* b = pool().take(size);
  if (b == nullptr) return Napi::Uint8Array::New(env, size);
  napi_value buffer;
  const napi_status status = napi_create_external_arraybuffer(env, b->data, size, give_back, b, &buffer);
  if (status != napi_ok) {
    // Not created, so no finalizer will run: the block is ours to return.
    pool().give(b);
    bool pending = false;
    napi_is_exception_pending(env, &pending);
    if (pending) throw Napi::Error::New(env);  // takes the pending exception
    // Runtimes whose V8 sandbox forbids external buffers: a plain array instead.
    return Napi::Uint8Array::New(env, size);
  }
  // V8 frees young array buffers with a cheap minor GC once their bytes pass twice the
  // semi-space size, but checks that only when it allocates a backing store itself; an
  // external one never triggers it, and dropped outputs would wait for a full GC (every
  // 64 MiB, far costlier). Allocating one byte the ordinary way gives V8 that check.
  napi_value nudge;
  void* unused;
  if (napi_create_arraybuffer(env, 1, &unused, &nudge) != napi_ok) throw Napi::Error::New(env);
  // A plain Uint8Array, not a Buffer: Buffer#slice would share memory where callers expect a copy.
  return Napi::Uint8Array::New(env, size, Napi::ArrayBuffer(env, buffer), 0);
}

PoolStats pool_stats() { return pool().stats(); }

}  // namespace sectorcrypt
