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
  // (key, kernelName?: string)
  explicit GcmKey(const Napi::CallbackInfo& info);

 private:
  // (nonce: 12 bytes, plaintext, aad, dst: plaintext.length + 16) -> undefined
  Napi::Value Seal(const Napi::CallbackInfo& info);
  // (nonce, sealed: ciphertext || tag, aad, dst: sealed.length - 16) -> boolean
  Napi::Value Open(const Napi::CallbackInfo& info);
  // Many equal chunks under one key, chunk i's nonce = baseNonce XOR (firstIndex + i) as a
  // big-endian integer, empty AAD; each output chunk is ciphertext || tag.
  // (baseNonce, src: n * chunkSize, chunkSize, firstIndex, dst: n * (chunkSize + 16)) -> undefined
  Napi::Value SealChunks(const Napi::CallbackInfo& info) { return Chunks(info, true, false); }
  Napi::Value SealChunksAsync(const Napi::CallbackInfo& info) { return Chunks(info, true, true); }
  // (baseNonce, src: n * (chunkSize + 16), chunkSize, firstIndex, dst: n * chunkSize) -> number of
  // leading chunks that authenticated; from the first that did not, dst is zeroed.
  Napi::Value OpenChunks(const Napi::CallbackInfo& info) { return Chunks(info, false, false); }
  Napi::Value OpenChunksAsync(const Napi::CallbackInfo& info) { return Chunks(info, false, true); }
  Napi::Value Destroy(const Napi::CallbackInfo& info);

  Napi::Value Chunks(const Napi::CallbackInfo& info, bool seal, bool async);

  const Kernel* kernel_;
  KeyStore<GcmKeys> store_;
};

}  // namespace sectorcrypt
