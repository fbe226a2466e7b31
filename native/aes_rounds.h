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

namespace {

// The calibration kernel: kCeilingChains independent chains, each encrypting its own
// output again and again with round keys held in registers, with no loads, stores, tweaks
// or GHASH. Its rate is the most this vector width can get from the AES units of this core;
// bench reports every mode as a fraction of it. Returns the bytes encrypted (a whole number
// of steps of kCeilingChains registers) and folds the chains into sink so none is dropped.
constexpr size_t kCeilingChains = 8;

template <class V, int R>
size_t aes_ceiling_rounds(size_t bytes, uint8_t* sink) {
  using T = typename V::T;
  constexpr size_t kStep = kCeilingChains * V::kLanes * 16;
  T k[R + 1];
  for (int r = 0; r <= R; r++) k[r] = V::broadcast(_mm_set1_epi32(0x01010101 * (r + 1)));
  T b[kCeilingChains];
  for (size_t j = 0; j < kCeilingChains; j++) b[j] = V::broadcast(_mm_set1_epi32(static_cast<int>(j)));
  const size_t steps = (bytes + kStep - 1) / kStep;
  for (size_t i = 0; i < steps; i++) {
    for (size_t j = 0; j < kCeilingChains; j++) b[j] = V::x(b[j], k[0]);
    for (int r = 1; r < R; r++) {
      for (size_t j = 0; j < kCeilingChains; j++) b[j] = V::enc(b[j], k[r]);
    }
    for (size_t j = 0; j < kCeilingChains; j++) b[j] = V::enclast(b[j], k[R]);
  }
  T all = b[0];
  for (size_t j = 1; j < kCeilingChains; j++) all = V::x(all, b[j]);
  _mm_storeu_si128(reinterpret_cast<__m128i*>(sink), V::fold(all));
  return steps * kStep;
}

template <class V>
size_t aes_ceiling(int rounds, size_t bytes, uint8_t* sink) {
  if (rounds == 10) return aes_ceiling_rounds<V, 10>(bytes, sink);
  if (rounds == 12) return aes_ceiling_rounds<V, 12>(bytes, sink);
  return aes_ceiling_rounds<V, 14>(bytes, sink);
}

}  // namespace
