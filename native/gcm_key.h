// GcmKey: an AES-GCM key expanded into native memory (schedule and powers of H).
#pragma once

#include <napi.h>

#include "aes_schedule.h"
#include "kernel.h"
#include "key_store.h"

namespace sectorcrypt {

class GcmKey : public Napi::ObjectWrap<GcmKey> {
 public:
  static Napi::Function Define(Napi::Env env);
  explicit GcmKey(const Napi::CallbackInfo& info);

 private:
  // (nonce: 12 bytes, plaintext, aad, dst: plaintext.length + 16) -> undefined
  Napi::Value Seal(const Napi::CallbackInfo& info);
  // (nonce, sealed: ciphertext || tag, aad, dst: sealed.length - 16) -> boolean
  Napi::Value Open(const Napi::CallbackInfo& info);
  Napi::Value Destroy(const Napi::CallbackInfo& info);
  void check_usable(Napi::Env env) const;

  const Kernel* kernel_;
  KeyStore<GcmKeys> store_;
};

}  // namespace sectorcrypt
