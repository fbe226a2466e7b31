#include "gcm_key.h"


#include "addon.h"
#include "alias.h"
#include "args.h"
#include "key_job.h"

namespace sectorcrypt {

Napi::Function GcmKey::Define(Napi::Env env) {
  return DefineClass(env, "GcmKey",
                     {
                         InstanceMethod("seal", &GcmKey::Seal),
                         InstanceMethod("open", &GcmKey::Open),
                         InstanceMethod("sealChunks", &GcmKey::SealChunks),
                         InstanceMethod("sealChunksAsync", &GcmKey::SealChunksAsync),
                         InstanceMethod("openChunks", &GcmKey::OpenChunks),
                         InstanceMethod("openChunksAsync", &GcmKey::OpenChunksAsync),
                         InstanceMethod("destroy", &GcmKey::Destroy),
                     });
}

GcmKey::GcmKey(const Napi::CallbackInfo& info) : Napi::ObjectWrap<GcmKey>(info), kernel_(&kernel_for(info.Env(), info[1])) {
  const Bytes key = bytes_arg(info, 0, "key");
  require(info.Env(), key.size == 16 || key.size == 24 || key.size == 32, "AES key must be 16, 24 or 32 bytes");
  aes_expand(&store_.keys().aes, key.data, key.size);
  kernel_->gcm_init(store_.keys());
}

Napi::Value GcmKey::Seal(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  store_.check_usable(env);
  const Bytes nonce = bytes_arg(info, 0, "nonce");
  const Bytes src = bytes_arg(info, 1, "plaintext");
  const Bytes aad = bytes_arg(info, 2, "aad");
  const Bytes dst = bytes_arg(info, 3, "dst");
  require(env, nonce.size == 12, "nonce must be 12 bytes");
  require(env, src.size <= kGcmMaxTextBytes, "plaintext is longer than GCM allows");
  require(env, dst.size >= src.size + 16, "dst is shorter than plaintext + 16");
  // dst may share memory with any input (alias.h); plaintext may also be dst itself.
  uint8_t iv[12];
  std::memcpy(iv, nonce.data, sizeof iv);
  const Detached a(aad, dst, false);
  const Detached p(src, dst, true);
  kernel_->gcm_seal(store_.keys(), iv, a.data(), aad.size, p.data(), src.size, dst.data);
  return env.Undefined();
}

Napi::Value GcmKey::Open(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  store_.check_usable(env);
  const Bytes nonce = bytes_arg(info, 0, "nonce");
  const Bytes sealed = bytes_arg(info, 1, "sealed");
  const Bytes aad = bytes_arg(info, 2, "aad");
  const Bytes dst = bytes_arg(info, 3, "dst");
  require(env, nonce.size == 12, "nonce must be 12 bytes");
  require(env, sealed.size >= 16, "sealed is shorter than the tag");
  const size_t len = sealed.size - 16;
  require(env, len <= kGcmMaxTextBytes, "ciphertext is longer than GCM allows");
  require(env, dst.size >= len, "dst is shorter than the ciphertext");
  // As in Seal; the tag is read before any output is written.
  uint8_t iv[12];
  std::memcpy(iv, nonce.data, sizeof iv);
  const Detached a(aad, dst, false);
  const Detached c(sealed, dst, true);
  const bool ok = kernel_->gcm_open(store_.keys(), iv, a.data(), aad.size, c.data(), len, c.data() + len, dst.data);
  return Napi::Boolean::New(env, ok);
}

namespace {

constexpr uint64_t kMaxChunkSize = kMaxUnitBytes;
constexpr uint64_t kMaxChunkIndex = (uint64_t{1} << 53) - 1;  // exact as a JS number

// nonce = base XOR index, the index big-endian in the last 8 bytes.
void chunk_nonce(uint8_t* nonce, const uint8_t* base, uint64_t index) {
  for (int i = 0; i < 12; i++) nonce[i] = base[i];
  for (int i = 0; i < 8; i++) nonce[11 - i] ^= static_cast<uint8_t>(index >> (8 * i));
}

}  // namespace

Napi::Value GcmKey::Chunks(const Napi::CallbackInfo& info, bool seal, bool async) {
  Napi::Env env = info.Env();
  store_.check_usable(env);
  const Bytes base = bytes_arg(info, 0, "baseNonce");
  const Bytes src = bytes_arg(info, 1, "src");
  const uint64_t chunk_size = uint_arg(info, 2, "chunkSize", 1, kMaxChunkSize);
  const uint64_t first = uint_arg(info, 3, "firstIndex", 0, kMaxChunkIndex);
  const Bytes dst = bytes_arg(info, 4, "dst");
  require(env, base.size == 12, "baseNonce must be 12 bytes");
  const uint64_t in_chunk = seal ? chunk_size : chunk_size + 16;
  const uint64_t out_chunk = seal ? chunk_size + 16 : chunk_size;
  require(env, src.size % in_chunk == 0, "src is not a whole number of chunks");
  const uint64_t n = src.size / in_chunk;
  require(env, dst.size >= n * out_chunk, "dst is too short for the chunks");
  require(env, n == 0 || kMaxChunkIndex - first >= n - 1, "chunk index past 2^53 - 1");

  const Kernel* kernel = kernel_;
  const GcmKeys* keys = &store_.keys();
  uint8_t base_nonce[12];
  for (int i = 0; i < 12; i++) base_nonce[i] = base.data[i];
  // Returns how many chunks authenticated, in order (seal: all).
  auto work = [=]() -> uint64_t {
    uint8_t nonce[12];
    for (uint64_t i = 0; i < n; i++) {
      chunk_nonce(nonce, base_nonce, first + i);
      const uint8_t* in = src.data + i * in_chunk;
      uint8_t* out = dst.data + i * out_chunk;
      if (seal) {
        kernel->gcm_seal(*keys, nonce, nullptr, 0, in, chunk_size, out);
      } else if (!kernel->gcm_open(*keys, nonce, nullptr, 0, in, chunk_size, in + chunk_size, out)) {
        // Nothing after a forged chunk is released either.
        secure_wipe(out, (n - i) * out_chunk);
        return i;
      }
    }
    return n;
  };
  if (!async) return Napi::Number::New(env, static_cast<double>(work()));
  return run_async(env, src.size, store_, {Value(), info[1].As<Napi::Object>(), info[4].As<Napi::Object>()}, work,
                   [](Napi::Env e, uint64_t verified) { return Napi::Number::New(e, static_cast<double>(verified)); });
}

Napi::Value GcmKey::Destroy(const Napi::CallbackInfo& info) {
  store_.destroy();
  return info.Env().Undefined();
}

}  // namespace sectorcrypt
