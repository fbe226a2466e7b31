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
inline Bytes bytes_arg(const Napi::CallbackInfo& info, size_t i, const char* name) {
  const Napi::Value v = info[i];
  if (!v.IsTypedArray() || v.As<Napi::TypedArray>().TypedArrayType() != napi_uint8_array) {
    throw Napi::TypeError::New(info.Env(), std::string(name) + " must be a Uint8Array");
  }
  Napi::Uint8Array a = v.As<Napi::Uint8Array>();
  return Bytes{a.Data(), a.ElementLength()};
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
