// One AES block per register: SSE with AES-NI and PCLMULQDQ.
// Include after a `#pragma GCC target` that enables aes, pclmul, ssse3 and sse4.1.
#pragma once

#include <immintrin.h>

#include <cstddef>
#include <cstdint>

namespace {

struct V128 {
  using T = __m128i;
  // GHASH multiplies go between the AES rounds (gcm_body.h): the round keys are memory operands anyway.
  static constexpr bool kGhashInRounds = true;
  static constexpr size_t kLanes = 1;

  static T load(const uint8_t* p) { return _mm_loadu_si128(reinterpret_cast<const __m128i*>(p)); }
  static void store(uint8_t* p, T v) { _mm_storeu_si128(reinterpret_cast<__m128i*>(p), v); }
  static T broadcast(__m128i b) { return b; }
  static T broadcast_key(const uint8_t* p) { return load(p); }
  static T zero() { return _mm_setzero_si128(); }
  static T x(T a, T b) { return _mm_xor_si128(a, b); }
  static T x3(T a, T b, T c) { return _mm_xor_si128(_mm_xor_si128(a, b), c); }
  static T enc(T s, T k) { return _mm_aesenc_si128(s, k); }
  static T enclast(T s, T k) { return _mm_aesenclast_si128(s, k); }
  static T dec(T s, T k) { return _mm_aesdec_si128(s, k); }
  static T declast(T s, T k) { return _mm_aesdeclast_si128(s, k); }
  template <int imm>
  static T clmul(T a, T b) { return _mm_clmulepi64_si128(a, b, imm); }
  // Reverses the 16 bytes of every lane (GCM blocks are big-endian).
  static T bswap(T v) {
    return _mm_shuffle_epi8(v, _mm_set_epi8(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15));
  }
  static T add32(T a, T b) { return _mm_add_epi32(a, b); }
  template <int k>
  static T sll64(T v) { return _mm_slli_epi64(v, k); }
  template <int k>
  static T srl64(T v) { return _mm_srli_epi64(v, k); }
  // Shifts each 64-bit half by the count in its own half of n (one lane: both halves
  // hold the same count, so the uniform shift does it).
  static T sllv64(T v, T n) { return _mm_sll_epi64(v, n); }
  static T srlv64(T v, T n) { return _mm_srl_epi64(v, n); }
  static T add64(T a, T b) { return _mm_add_epi64(a, b); }
  static T sub64(T a, T b) { return _mm_sub_epi64(a, b); }
  // Lane l holds l in both 64-bit halves.
  static T lane_numbers64() { return _mm_setzero_si128(); }
  // Shifts each 128-bit lane left / right by n bytes, zeros in.
  template <int n>
  static T bsll(T v) { return _mm_slli_si128(v, n); }
  template <int n>
  static T bsrl(T v) { return _mm_srli_si128(v, n); }
  // Low 64 bits of each lane moved to its high half, zeros below.
  static T low_to_high(T v) { return _mm_slli_si128(v, 8); }
  static T swap_halves(T v) { return _mm_shuffle_epi32(v, 0x4e); }
  // XOR of all lanes.
  static __m128i fold(T v) { return v; }
  // b in lane 0, zeros elsewhere.
  static T lane0(__m128i b) { return b; }
  // Lane l holds l in its low 32 bits.
  static T lane_numbers() { return _mm_setzero_si128(); }
  static void to_lanes(__m128i* out, T v) { out[0] = v; }
  static T from_lanes(const __m128i* in) { return in[0]; }
};

}  // namespace
