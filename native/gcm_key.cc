#include "gcm_key.h"

#include "addon.h"
#include "args.h"

namespace sectorcrypt {

Napi::Function GcmKey::Define(Napi::Env env) {
  return DefineClass(env, "GcmKey",
                     {
                         InstanceMethod("seal", &GcmKey::Seal),
                         InstanceMethod("open", &GcmKey::Open),
                         InstanceMethod("destroy", &GcmKey::Destroy),
                     });
}

GcmKey::GcmKey(const Napi::CallbackInfo& info) : Napi::ObjectWrap<GcmKey>(info), kernel_(&current_kernel(info.Env())) {
  const Bytes key = bytes_arg(info, 0, "key");
  require(info.Env(), key.size == 16 || key.size == 24 || key.size == 32, "AES key must be 16, 24 or 32 bytes");
  aes_expand(&store_.keys().aes, key.data, key.size);
  kernel_->gcm_init(store_.keys());
}

void GcmKey::check_usable(Napi::Env env) const {
  if (!store_.usable()) throw Napi::Error::New(env, "key was destroyed");
}

Napi::Value GcmKey::Seal(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  check_usable(env);
  const Bytes nonce = bytes_arg(info, 0, "nonce");
  const Bytes src = bytes_arg(info, 1, "plaintext");
  const Bytes aad = bytes_arg(info, 2, "aad");
  const Bytes dst = bytes_arg(info, 3, "dst");
  require(env, nonce.size == 12, "nonce must be 12 bytes");
  require(env, src.size <= kGcmMaxTextBytes, "plaintext is longer than GCM allows");
  require(env, dst.size >= src.size + 16, "dst is shorter than plaintext + 16");
  kernel_->gcm_seal(store_.keys(), nonce.data, aad.data, aad.size, src.data, src.size, dst.data);
  return env.Undefined();
}

Napi::Value GcmKey::Open(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  check_usable(env);
  const Bytes nonce = bytes_arg(info, 0, "nonce");
  const Bytes sealed = bytes_arg(info, 1, "sealed");
  const Bytes aad = bytes_arg(info, 2, "aad");
  const Bytes dst = bytes_arg(info, 3, "dst");
  require(env, nonce.size == 12, "nonce must be 12 bytes");
  require(env, sealed.size >= 16, "sealed is shorter than the tag");
  const size_t len = sealed.size - 16;
  require(env, len <= kGcmMaxTextBytes, "ciphertext is longer than GCM allows");
  require(env, dst.size >= len, "dst is shorter than the ciphertext");
  const bool ok = kernel_->gcm_open(store_.keys(), nonce.data, aad.data, aad.size, sealed.data, len, sealed.data + len, dst.data);
  return Napi::Boolean::New(env, ok);
}

Napi::Value GcmKey::Destroy(const Napi::CallbackInfo& info) {
  store_.destroy();
  return info.Env().Undefined();
}

}  // namespace sectorcrypt
