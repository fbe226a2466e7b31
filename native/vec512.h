// Four AES blocks per register: AVX-512 with VAES and VPCLMULQDQ.
// Include after a `#pragma GCC target` that enables avx512f, avx512vl, avx512bw, vaes and vpclmulqdq.
#pragma once

#include <immintrin.h>

#include <cstddef>
#include <cstdint>

namespace {

struct V512 {
  using T = __m512i;
  // 32 registers hold the round keys, the blocks and the GHASH sums: multiplies go between the AES rounds (gcm_body.h).
  static constexpr bool kGhashInRounds = true;
  static constexpr size_t kLanes = 4;

  static T load(const uint8_t* p) { return _mm512_loadu_si512(p); }
  static void store(uint8_t* p, T v) { _mm512_storeu_si512(p, v); }
  static T broadcast(__m128i b) { return _mm512_broadcast_i32x4(b); }
  static T broadcast_key(const uint8_t* p) { return broadcast(_mm_loadu_si128(reinterpret_cast<const __m128i*>(p))); }
  static T zero() { return _mm512_setzero_si512(); }
  static T x(T a, T b) { return _mm512_xor_si512(a, b); }
  // One VPTERNLOGQ: a ^ b ^ c.
  static T x3(T a, T b, T c) { return _mm512_ternarylogic_epi64(a, b, c, 0x96); }
  static T enc(T s, T k) { return _mm512_aesenc_epi128(s, k); }
  static T enclast(T s, T k) { return _mm512_aesenclast_epi128(s, k); }
  static T dec(T s, T k) { return _mm512_aesdec_epi128(s, k); }
  static T declast(T s, T k) { return _mm512_aesdeclast_epi128(s, k); }
  template <int imm>
  static T clmul(T a, T b) { return _mm512_clmulepi64_epi128(a, b, imm); }
  static T bswap(T v) {
    const __m128i m = _mm_set_epi8(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15);
    return _mm512_shuffle_epi8(v, broadcast(m));
  }
  static T add32(T a, T b) { return _mm512_add_epi32(a, b); }
  template <int k>
  static T sll64(T v) { return _mm512_slli_epi64(v, k); }
  template <int k>
  static T srl64(T v) { return _mm512_srli_epi64(v, k); }
  // Shifts each 64-bit element by the count in the same element of n.
  static T sllv64(T v, T n) { return _mm512_sllv_epi64(v, n); }
  static T srlv64(T v, T n) { return _mm512_srlv_epi64(v, n); }
  static T add64(T a, T b) { return _mm512_add_epi64(a, b); }
  static T sub64(T a, T b) { return _mm512_sub_epi64(a, b); }
  // Lane l holds l in both 64-bit halves.
  static T lane_numbers64() { return _mm512_set_epi64(3, 3, 2, 2, 1, 1, 0, 0); }
  // Shifts each 128-bit lane left / right by n bytes, zeros in.
  template <int n>
  static T bsll(T v) { return _mm512_bslli_epi128(v, n); }
  template <int n>
  static T bsrl(T v) { return _mm512_bsrli_epi128(v, n); }
  static T low_to_high(T v) { return _mm512_bslli_epi128(v, 8); }
  static T swap_halves(T v) { return _mm512_shuffle_epi32(v, _MM_PERM_BADC); }
  static __m128i fold(T v) {
    const __m256i h = _mm256_xor_si256(_mm512_castsi512_si256(v), _mm512_extracti64x4_epi64(v, 1));
    return _mm_xor_si128(_mm256_castsi256_si128(h), _mm256_extracti128_si256(h, 1));
  }
  static T lane0(__m128i b) { return _mm512_zextsi128_si512(b); }
  static T lane_numbers() { return _mm512_set_epi32(0, 0, 0, 3, 0, 0, 0, 2, 0, 0, 0, 1, 0, 0, 0, 0); }
  static void to_lanes(__m128i* out, T v) {
    out[0] = _mm512_extracti32x4_epi32(v, 0);
    out[1] = _mm512_extracti32x4_epi32(v, 1);
    out[2] = _mm512_extracti32x4_epi32(v, 2);
    out[3] = _mm512_extracti32x4_epi32(v, 3);
  }
  static T from_lanes(const __m128i* in) {
    T v = _mm512_castsi128_si512(in[0]);
    v = _mm512_inserti32x4(v, in[1], 1);
    v = _mm512_inserti32x4(v, in[2], 2);
    return _mm512_inserti32x4(v, in[3], 3);
  }
};

}  // namespace
