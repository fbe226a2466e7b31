// Argument checks for calls from JavaScript. The JS layer validates first; these checks
// repeat the ones that guard memory, so a bad call throws instead of reading or writing
// out of bounds.
#pragma once

#include <napi.h>

#include <cstddef>
#include <cstdint>

namespace sectorcrypt {

struct Bytes {
  uint8_t* data;
  size_t size;
};

// Argument i as the bytes of a Uint8Array (Buffer included); TypeError otherwise.
// One napi_get_typedarray_info answers the type, length and data at once: the calls that
// carry 16 KiB messages spend as long in argument checks as in AES when each is a call.
inline Bytes bytes_arg(const Napi::CallbackInfo& info, size_t i, const char* name) {
  napi_typedarray_type type;
  size_t length = 0;
  void* data = nullptr;
  if (napi_get_typedarray_info(info.Env(), info[i], &type, &length, &data, nullptr, nullptr) != napi_ok || type != napi_uint8_array) {
    throw Napi::TypeError::New(info.Env(), std::string(name) + " must be a Uint8Array");
  }
  return Bytes{static_cast<uint8_t*>(data), length};
}

// Argument i as an integer in [min, max]; RangeError otherwise.
inline uint64_t uint_arg(const Napi::CallbackInfo& info, size_t i, const char* name, uint64_t min, uint64_t max) {
  const Napi::Value v = info[i];
  if (!v.IsNumber()) throw Napi::TypeError::New(info.Env(), std::string(name) + " must be a number");
  const double d = v.As<Napi::Number>().DoubleValue();
  if (!(d >= static_cast<double>(min) && d <= static_cast<double>(max)) || d != static_cast<double>(static_cast<uint64_t>(d))) {
    throw Napi::RangeError::New(info.Env(), std::string(name) + " is out of range");
  }
  return static_cast<uint64_t>(d);
}

inline void require(const Napi::Env& env, bool ok, const char* message) {
  if (!ok) throw Napi::RangeError::New(env, message);
}

}  // namespace sectorcrypt
