// AES rounds over N registers at once, for any vector type V (vec128.h, vec256.h, vec512.h).
// AES instructions have a latency of several cycles but issue every cycle or two, so
// N independent registers in flight keep the units busy where one would leave them idle.
#pragma once

#include <cstddef>

#include "aes_schedule.h"

namespace {

// Round keys broadcast to every lane, loaded once per call.
template <class V>
struct RoundKeys {
  typename V::T k[15];
  int rounds;

  RoundKeys(const uint8_t (*keys)[16], int n) : rounds(n) {
    for (int r = 0; r <= n; r++) k[r] = V::broadcast_key(keys[r]);
  }
};

template <class V, size_t N>
inline void aes_encrypt_n(typename V::T (&b)[N], const RoundKeys<V>& rk) {
  for (size_t i = 0; i < N; i++) b[i] = V::x(b[i], rk.k[0]);
  for (int r = 1; r < rk.rounds; r++) {
    for (size_t i = 0; i < N; i++) b[i] = V::enc(b[i], rk.k[r]);
  }
  for (size_t i = 0; i < N; i++) b[i] = V::enclast(b[i], rk.k[rk.rounds]);
}

template <class V, size_t N>
inline void aes_decrypt_n(typename V::T (&b)[N], const RoundKeys<V>& rk) {
  for (size_t i = 0; i < N; i++) b[i] = V::x(b[i], rk.k[0]);
  for (int r = 1; r < rk.rounds; r++) {
    for (size_t i = 0; i < N; i++) b[i] = V::dec(b[i], rk.k[r]);
  }
  for (size_t i = 0; i < N; i++) b[i] = V::declast(b[i], rk.k[rk.rounds]);
}

template <class V, bool kEncrypt, size_t N>
inline void aes_crypt_n(typename V::T (&b)[N], const RoundKeys<V>& rk) {
  if (kEncrypt) {
    aes_encrypt_n<V, N>(b, rk);
  } else {
    aes_decrypt_n<V, N>(b, rk);
  }
}

// One 128-bit block straight from a schedule, for tails and single blocks.
inline __m128i aes_encrypt_block(__m128i b, const sectorcrypt::AesSchedule& s) {
  b = _mm_xor_si128(b, _mm_loadu_si128(reinterpret_cast<const __m128i*>(s.enc[0])));
  for (int r = 1; r < s.rounds; r++) b = _mm_aesenc_si128(b, _mm_loadu_si128(reinterpret_cast<const __m128i*>(s.enc[r])));
  return _mm_aesenclast_si128(b, _mm_loadu_si128(reinterpret_cast<const __m128i*>(s.enc[s.rounds])));
}

inline __m128i aes_decrypt_block(__m128i b, const sectorcrypt::AesSchedule& s) {
  b = _mm_xor_si128(b, _mm_loadu_si128(reinterpret_cast<const __m128i*>(s.dec[0])));
  for (int r = 1; r < s.rounds; r++) b = _mm_aesdec_si128(b, _mm_loadu_si128(reinterpret_cast<const __m128i*>(s.dec[r])));
  return _mm_aesdeclast_si128(b, _mm_loadu_si128(reinterpret_cast<const __m128i*>(s.dec[s.rounds])));
}

template <bool kEncrypt>
inline __m128i aes_crypt_block(__m128i b, const sectorcrypt::AesSchedule& s) {
  return kEncrypt ? aes_encrypt_block(b, s) : aes_decrypt_block(b, s);
}

}  // namespace
