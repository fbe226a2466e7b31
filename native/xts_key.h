// XtsKey: an XTS key (both halves) expanded into native memory, and the batch calls on it.
#pragma once

#include <napi.h>

#include "aes_schedule.h"
#include "kernel.h"
#include "key_store.h"

namespace sectorcrypt {

class XtsKey : public Napi::ObjectWrap<XtsKey> {
 public:
  static Napi::Function Define(Napi::Env env);
  // (key, kernelName?: string)
  explicit XtsKey(const Napi::CallbackInfo& info);

 private:
  // (src, dst, sectorSize, firstTweak: 16-byte LE, tweakStep)
  Napi::Value EncryptSectors(const Napi::CallbackInfo& info) { return Sectors(info, true, false); }
  Napi::Value DecryptSectors(const Napi::CallbackInfo& info) { return Sectors(info, false, false); }
  Napi::Value EncryptSectorsAsync(const Napi::CallbackInfo& info) { return Sectors(info, true, true); }
  Napi::Value DecryptSectorsAsync(const Napi::CallbackInfo& info) { return Sectors(info, false, true); }
  // (tweak: 16 bytes, src, dst)
  Napi::Value EncryptUnit(const Napi::CallbackInfo& info) { return Unit(info, true); }
  Napi::Value DecryptUnit(const Napi::CallbackInfo& info) { return Unit(info, false); }
  Napi::Value Destroy(const Napi::CallbackInfo& info);

  Napi::Value Sectors(const Napi::CallbackInfo& info, bool encrypt, bool async);
  Napi::Value Unit(const Napi::CallbackInfo& info, bool encrypt);

  const Kernel* kernel_;
  KeyStore<XtsKeys> store_;
};

}  // namespace sectorcrypt
