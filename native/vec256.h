// Two AES blocks per register: AVX2 with VAES and VPCLMULQDQ.
// Include after a `#pragma GCC target` that enables avx2, vaes and vpclmulqdq.
#pragma once

#include <immintrin.h>

#include <cstddef>
#include <cstdint>

namespace {

struct V256 {
  using T = __m256i;
  // 16 registers: GHASH multiplies between the AES rounds spill the round keys; gcm_body.h hashes beside them instead.
  static constexpr bool kGhashInRounds = false;
  static constexpr size_t kLanes = 2;

  static T load(const uint8_t* p) { return _mm256_loadu_si256(reinterpret_cast<const __m256i*>(p)); }
  static void store(uint8_t* p, T v) { _mm256_storeu_si256(reinterpret_cast<__m256i*>(p), v); }
  static T broadcast(__m128i b) { return _mm256_broadcastsi128_si256(b); }
  static T broadcast_key(const uint8_t* p) { return broadcast(_mm_loadu_si128(reinterpret_cast<const __m128i*>(p))); }
  static T zero() { return _mm256_setzero_si256(); }
  static T x(T a, T b) { return _mm256_xor_si256(a, b); }
  static T x3(T a, T b, T c) { return _mm256_xor_si256(_mm256_xor_si256(a, b), c); }
  static T enc(T s, T k) { return _mm256_aesenc_epi128(s, k); }
  static T enclast(T s, T k) { return _mm256_aesenclast_epi128(s, k); }
  static T dec(T s, T k) { return _mm256_aesdec_epi128(s, k); }
  static T declast(T s, T k) { return _mm256_aesdeclast_epi128(s, k); }
  template <int imm>
  static T clmul(T a, T b) { return _mm256_clmulepi64_epi128(a, b, imm); }
  static T bswap(T v) {
    const __m128i m = _mm_set_epi8(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15);
    return _mm256_shuffle_epi8(v, broadcast(m));
  }
  static T add32(T a, T b) { return _mm256_add_epi32(a, b); }
  template <int k>
  static T sll64(T v) { return _mm256_slli_epi64(v, k); }
  template <int k>
  static T srl64(T v) { return _mm256_srli_epi64(v, k); }
  // Shifts each 64-bit element by the count in the same element of n.
  static T sllv64(T v, T n) { return _mm256_sllv_epi64(v, n); }
  static T srlv64(T v, T n) { return _mm256_srlv_epi64(v, n); }
  static T add64(T a, T b) { return _mm256_add_epi64(a, b); }
  static T sub64(T a, T b) { return _mm256_sub_epi64(a, b); }
  // Lane l holds l in both 64-bit halves.
  static T lane_numbers64() { return _mm256_set_epi64x(1, 1, 0, 0); }
  // Shifts each 128-bit lane left / right by n bytes, zeros in.
  template <int n>
  static T bsll(T v) { return _mm256_bslli_epi128(v, n); }
  template <int n>
  static T bsrl(T v) { return _mm256_bsrli_epi128(v, n); }
  static T low_to_high(T v) { return _mm256_bslli_epi128(v, 8); }
  static T swap_halves(T v) { return _mm256_shuffle_epi32(v, 0x4e); }
  static __m128i fold(T v) {
    return _mm_xor_si128(_mm256_castsi256_si128(v), _mm256_extracti128_si256(v, 1));
  }
  static T lane0(__m128i b) { return _mm256_zextsi128_si256(b); }
  static T lane_numbers() { return _mm256_set_epi32(0, 0, 0, 1, 0, 0, 0, 0); }
  static void to_lanes(__m128i* out, T v) {
    out[0] = _mm256_castsi256_si128(v);
    out[1] = _mm256_extracti128_si256(v, 1);
  }
  static T from_lanes(const __m128i* in) { return _mm256_set_m128i(in[1], in[0]); }
};

}  // namespace
