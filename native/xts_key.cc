#include "xts_key.h"

#include "addon.h"
#include "args.h"
#include "key_job.h"

namespace sectorcrypt {

namespace {

constexpr uint64_t kMaxSectorSize = kMaxUnitBytes;
constexpr uint64_t kMaxTweakStep = kMaxSectorSize / 16;

u128 load_le128(const uint8_t* p) {
  u128 v = 0;
  for (int i = 15; i >= 0; i--) v = (v << 8) | p[i];
  return v;
}

}  // namespace

Napi::Function XtsKey::Define(Napi::Env env) {
  return DefineClass(env, "XtsKey",
                     {
                         InstanceMethod("encryptSectors", &XtsKey::EncryptSectors),
                         InstanceMethod("decryptSectors", &XtsKey::DecryptSectors),
                         InstanceMethod("encryptSectorsAsync", &XtsKey::EncryptSectorsAsync),
                         InstanceMethod("decryptSectorsAsync", &XtsKey::DecryptSectorsAsync),
                         InstanceMethod("encryptUnit", &XtsKey::EncryptUnit),
                         InstanceMethod("decryptUnit", &XtsKey::DecryptUnit),
                         InstanceMethod("destroy", &XtsKey::Destroy),
                     });
}

XtsKey::XtsKey(const Napi::CallbackInfo& info) : Napi::ObjectWrap<XtsKey>(info), kernel_(&kernel_for(info.Env(), info[1])) {
  const Bytes key = bytes_arg(info, 0, "key");
  require(info.Env(), key.size == 32 || key.size == 48 || key.size == 64, "XTS key must be 32, 48 or 64 bytes");
  const size_t half = key.size / 2;
  aes_expand(&store_.keys().data, key.data, half);
  aes_expand(&store_.keys().tweak, key.data + half, half);
}

Napi::Value XtsKey::Sectors(const Napi::CallbackInfo& info, bool encrypt, bool async) {
  Napi::Env env = info.Env();
  store_.check_usable(env);
  const Bytes src = bytes_arg(info, 0, "src");
  const Bytes dst = bytes_arg(info, 1, "dst");
  const uint64_t sector_size = uint_arg(info, 2, "sectorSize", 16, kMaxSectorSize);
  const Bytes tweak = bytes_arg(info, 3, "firstTweak");
  const uint64_t step = uint_arg(info, 4, "tweakStep", 1, kMaxTweakStep);
  require(env, sector_size % 16 == 0, "sectorSize must be a multiple of 16");
  require(env, src.size % sector_size == 0, "src is not a whole number of sectors");
  require(env, dst.size >= src.size, "dst is shorter than src");
  require(env, tweak.size == 16, "firstTweak must be 16 bytes");
  const size_t nsectors = src.size / sector_size;
  const u128 first = load_le128(tweak.data);
  // The last sector's tweak must still fit in 128 bits.
  require(env, nsectors == 0 || (~u128{0} - first) / step >= nsectors - 1, "tweak overflows 128 bits");

  const Kernel* kernel = kernel_;
  XtsKeys* keys = &store_.keys();
  auto work = [=]() -> uint64_t {
    kernel->xts_sectors(*keys, encrypt, src.data, dst.data, sector_size, nsectors, first, step);
    return 0;
  };
  if (!async) {
    work();
    return env.Undefined();
  }
  return run_async(env, src.size, store_, {Value(), info[0].As<Napi::Object>(), info[1].As<Napi::Object>()}, work,
                   [](Napi::Env e, uint64_t) { return e.Undefined(); });
}

Napi::Value XtsKey::Unit(const Napi::CallbackInfo& info, bool encrypt) {
  Napi::Env env = info.Env();
  store_.check_usable(env);
  const Bytes tweak = bytes_arg(info, 0, "tweak");
  const Bytes src = bytes_arg(info, 1, "src");
  const Bytes dst = bytes_arg(info, 2, "dst");
  require(env, tweak.size == 16, "tweak must be 16 bytes");
  require(env, src.size >= 16, "data unit must be at least 16 bytes");
  require(env, dst.size >= src.size, "dst is shorter than src");
  kernel_->xts_unit(store_.keys(), encrypt, tweak.data, src.data, dst.data, src.size);
  return env.Undefined();
}

Napi::Value XtsKey::Destroy(const Napi::CallbackInfo& info) {
  store_.destroy();
  return info.Env().Undefined();
}

}  // namespace sectorcrypt
