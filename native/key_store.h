// Owns expanded key material in native memory and decides when it is wiped: at
// destroy(), or when the last async job using it ends, or at garbage collection.
#pragma once

#include <napi.h>

#include <memory>

#include "wipe.h"

namespace sectorcrypt {

template <class Keys>
class KeyStore {
 public:
  KeyStore() : keys_(new Keys()) {}
  ~KeyStore() { wipe(); }
  KeyStore(const KeyStore&) = delete;
  KeyStore& operator=(const KeyStore&) = delete;

  Keys& keys() { return *keys_; }

  // Throws into JavaScript once destroy() was called.
  void check_usable(Napi::Env env) const {
    if (destroyed_) throw Napi::Error::New(env, "key was destroyed");
  }

  // An async job holds the keys from queueing to completion (main thread only).
  void acquire() { pending_++; }
  void release() {
    if (--pending_ == 0 && destroyed_) wipe();
  }
  void destroy() {
    destroyed_ = true;
    if (pending_ == 0) wipe();
  }

 private:
  void wipe() { secure_wipe(keys_.get(), sizeof(Keys)); }

  std::unique_ptr<Keys> keys_;
  int pending_ = 0;
  bool destroyed_ = false;
};

}  // namespace sectorcrypt
