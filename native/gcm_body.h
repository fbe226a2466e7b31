// AES-GCM (SP 800-38D), written once over a vector type V and instantiated by each kernel.
//
// GHASH representation: each block is byte-reversed, so the 128-bit integer holds the
// field element with bit order reflected. A carry-less product of two reflected values
// is then the reflected product shifted by one bit; multiplying H by x once at setup
// absorbs that shift, and the 256-bit product is reduced by two folds of 64 bits, each a
// multiply by 0xC2 << 56 (Montgomery-style, modulo the reflected polynomial
// x^128 + x^127 + x^126 + x^121 + 1). Reduction is linear, so the products of up to 32
// blocks with H^32..H^1 are summed first and reduced once.
#pragma once

#include <cstring>

#include "aes_rounds.h"
#include "kernel.h"
#include "wipe.h"

namespace {

constexpr size_t kGcmRegs = 8;  // registers in flight per step
constexpr size_t kHPowers = sectorcrypt::kGcmHPowers;
static_assert(sizeof(sectorcrypt::GcmKeys::hpow) == kHPowers * 16, "one 16-byte entry per power of H");

// Two 64-bit folds bring lo + hi * x^128 down to 128 bits.
template <class V>
inline typename V::T gf_reduce(typename V::T lo, typename V::T hi) {
  const typename V::T k = V::broadcast(_mm_set_epi64x(0, static_cast<int64_t>(0xc200000000000000ULL)));
  typename V::T t = V::x(V::swap_halves(lo), V::template clmul<0x00>(lo, k));
  t = V::x(V::swap_halves(t), V::template clmul<0x00>(t, k));
  return V::x(hi, t);
}

// Unreduced sums of products, kept as low, high and middle 128-bit parts.
template <class V>
struct GhashSum {
  typename V::T lo, hi, mid;

  GhashSum() : lo(V::zero()), hi(V::zero()), mid(V::zero()) {}

  void add(typename V::T a, typename V::T h) {
    lo = V::x(lo, V::template clmul<0x00>(a, h));
    hi = V::x(hi, V::template clmul<0x11>(a, h));
    mid = V::x3(mid, V::template clmul<0x01>(a, h), V::template clmul<0x10>(a, h));
  }
};

inline __m128i gf_finish(__m128i lo, __m128i hi, __m128i mid) {
  lo = _mm_xor_si128(lo, _mm_slli_si128(mid, 8));
  hi = _mm_xor_si128(hi, _mm_srli_si128(mid, 8));
  return gf_reduce<V128>(lo, hi);
}

inline __m128i gf_mul(__m128i a, __m128i b) {
  GhashSum<V128> s;
  s.add(a, b);
  return gf_finish(s.lo, s.hi, s.mid);
}

inline const uint8_t* hpow_for(const sectorcrypt::GcmKeys& keys, size_t m) { return keys.hpow[kHPowers - m]; }

// y = (y ^ X_1) * H^m ^ X_2 * H^(m-1) ^ ... ^ X_m * H, for m in 1..32 blocks at p.
template <class V>
inline __m128i ghash_group(__m128i y, const uint8_t* p, size_t m, const sectorcrypt::GcmKeys& keys) {
  constexpr size_t L = V::kLanes;
  const uint8_t* h = hpow_for(keys, m);
  GhashSum<V> wide;
  GhashSum<V128> narrow;
  const size_t whole = m - m % L;  // blocks that fill whole registers
  for (size_t b = 0; b < whole; b += L) {
    typename V::T x = V::bswap(V::load(p + 16 * b));
    if (b == 0) x = V::x(x, V::lane0(y));
    wide.add(x, V::load(h + 16 * b));
  }
  for (size_t b = whole; b < m; b++) {
    __m128i x = V128::bswap(V128::load(p + 16 * b));
    if (b == 0) x = _mm_xor_si128(x, y);
    narrow.add(x, V128::load(h + 16 * b));
  }
  return gf_finish(_mm_xor_si128(V::fold(wide.lo), narrow.lo), _mm_xor_si128(V::fold(wide.hi), narrow.hi),
                   _mm_xor_si128(V::fold(wide.mid), narrow.mid));
}

// GHASH over len bytes, the last partial block padded with zeros.
template <class V>
inline __m128i ghash_bytes(__m128i y, const uint8_t* p, size_t len, const sectorcrypt::GcmKeys& keys) {
  constexpr size_t kGroup = kGcmRegs * V::kLanes;
  static_assert(kGroup <= kHPowers, "a GHASH group multiplies each block by its own power of H");
  size_t nblocks = len / 16;
  for (; nblocks >= kGroup; nblocks -= kGroup, p += 16 * kGroup) y = ghash_group<V>(y, p, kGroup, keys);
  if (nblocks > 0) y = ghash_group<V>(y, p, nblocks, keys);
  p += 16 * nblocks;
  if (len % 16) {
    uint8_t pad[16] = {0};
    std::memcpy(pad, p, len % 16);
    y = ghash_group<V128>(y, pad, 1, keys);
  }
  return y;
}

// Counter blocks are kept byte-reversed so that the 32-bit big-endian counter sits in
// the low dword of each lane and a plain 32-bit add increments it (inc32 wraps the same).
template <class V>
struct Counter {
  typename V::T next;  // lanes hold counters c, c+1, ..., byte-reversed

  explicit Counter(__m128i reversed_first) : next(V::add32(V::broadcast(reversed_first), V::lane_numbers())) {}

  static typename V::T step(size_t n) { return V::broadcast(_mm_cvtsi32_si128(static_cast<int>(n))); }
};

// XORs n whole registers of keystream into src -> dst.
template <class V, size_t N>
inline void ctr_registers(Counter<V>& ctr, const RoundKeys<V>& rk, const uint8_t* src, uint8_t* dst) {
  constexpr size_t L = V::kLanes;
  typename V::T b[N];
  for (size_t j = 0; j < N; j++) {
    b[j] = V::bswap(ctr.next);
    ctr.next = V::add32(ctr.next, Counter<V>::step(L));
  }
  aes_encrypt_n<V, N>(b, rk);
  for (size_t j = 0; j < N; j++) V::store(dst + 16 * L * j, V::x(b[j], V::load(src + 16 * L * j)));
}

// CTR over len bytes (< one group) after the main loop: whole registers, blocks, a partial block.
template <class V>
inline void ctr_tail(Counter<V>& ctr, const RoundKeys<V>& rk, const sectorcrypt::AesSchedule& ks,
                     const uint8_t* src, uint8_t* dst, size_t len) {
  constexpr size_t L = V::kLanes;
  for (; len >= 16 * L; len -= 16 * L, src += 16 * L, dst += 16 * L) ctr_registers<V, 1>(ctr, rk, src, dst);
  __m128i lanes[L];
  V::to_lanes(lanes, ctr.next);
  __m128i c = lanes[0];
  for (; len > 0; c = _mm_add_epi32(c, _mm_cvtsi32_si128(1))) {
    const __m128i ks_block = aes_encrypt_block(V128::bswap(c), ks);
    if (len >= 16) {
      V128::store(dst, _mm_xor_si128(ks_block, V128::load(src)));
      len -= 16, src += 16, dst += 16;
    } else {
      uint8_t buf[16] = {0};
      std::memcpy(buf, src, len);
      V128::store(buf, _mm_xor_si128(ks_block, V128::load(buf)));
      std::memcpy(dst, buf, len);
      len = 0;
    }
  }
}

inline __m128i gcm_j0(const uint8_t* nonce) {
  uint8_t j0[16];
  std::memcpy(j0, nonce, 12);
  j0[12] = 0, j0[13] = 0, j0[14] = 0, j0[15] = 1;
  return V128::load(j0);
}

// The length block, already in reflected form: bit lengths of AAD (high) and text (low).
inline __m128i gcm_lengths(size_t aad_len, size_t len) {
  return _mm_set_epi64x(static_cast<int64_t>(uint64_t{aad_len} * 8), static_cast<int64_t>(uint64_t{len} * 8));
}

inline __m128i gcm_tag(const sectorcrypt::GcmKeys& keys, __m128i y, __m128i j0, size_t aad_len, size_t len) {
  y = gf_mul(_mm_xor_si128(y, gcm_lengths(aad_len, len)), V128::load(hpow_for(keys, 1)));
  return _mm_xor_si128(V128::bswap(y), aes_encrypt_block(j0, keys.aes));
}

template <class V>
void gcm_init(sectorcrypt::GcmKeys& keys) {
  __m128i h = V128::bswap(aes_encrypt_block(_mm_setzero_si128(), keys.aes));
  // H * x in the reflected field: shift left one bit, fold the carry back.
  const __m128i carry = _mm_srli_epi64(h, 63);
  h = _mm_or_si128(_mm_slli_epi64(h, 1), _mm_slli_si128(carry, 8));
  // All ones when bit 127 was set: 0 - carry of the high half, in both halves.
  const __m128i mask = _mm_sub_epi64(_mm_setzero_si128(), _mm_shuffle_epi32(carry, 0xee));
  h = _mm_xor_si128(h, _mm_and_si128(mask, _mm_set_epi64x(static_cast<int64_t>(0xc200000000000000ULL), 1)));
  __m128i p = h;
  for (size_t k = 1; k <= kHPowers; k++) {
    V128::store(keys.hpow[kHPowers - k], p);
    p = gf_mul(p, h);
  }
  sectorcrypt::secure_wipe(&p, sizeof p);
  sectorcrypt::secure_wipe(&h, sizeof h);
}

// One group of kGcmRegs registers of CTR (counter blocks encrypted and XORed into src ->
// dst) with, when kHash, the GHASH of the group of ciphertext at `hashed` beside it: the
// multiplies of register j go between AES rounds j + 1 and j + 2, so the carry-less
// multiplies run while the AES units work (the scheme of the Linux kernel's
// aes-gcm-avx10), and one reduction serves the whole group. Every load from `hashed`
// comes before the first store to dst, so `hashed` may be dst's own group (open in
// place). R, the round count, is a template argument: no round-count test between rounds.
// V::kGhashInRounds says whether the vector type has the registers for it.
template <class V, int R, bool kHash, bool kOwnGroup>
inline __m128i gcm_group(Counter<V>& ctr, const RoundKeys<V>& rk, const uint8_t* src, uint8_t* dst, __m128i y,
                         const uint8_t* hashed, const uint8_t* h, const sectorcrypt::GcmKeys& keys) {
  using T = typename V::T;
  constexpr size_t L = V::kLanes;
  constexpr size_t N = kGcmRegs;
  static_assert(R > static_cast<int>(N), "one register's multiplies per middle round");
  if constexpr (!V::kGhashInRounds) {
    // With 16 registers (V256) the multiplies between the rounds spill the round keys: the
    // hash runs as a block of its own, before the rounds when it reads the group they
    // overwrite (kOwnGroup: open in place), after them otherwise.
    if (kHash && kOwnGroup) y = ghash_group<V>(y, hashed, N * L, keys);
    ctr_registers<V, N>(ctr, rk, src, dst);
    if (kHash && !kOwnGroup) y = ghash_group<V>(y, hashed, N * L, keys);
    return y;
  }
  T b[N];
  for (size_t j = 0; j < N; j++) {
    b[j] = V::x(V::bswap(ctr.next), rk.k[0]);
    ctr.next = V::add32(ctr.next, Counter<V>::step(L));
  }
  GhashSum<V> sum;
  for (int r = 1; r < R; r++) {
    for (size_t j = 0; j < N; j++) b[j] = V::enc(b[j], rk.k[r]);
    if (kHash && r <= static_cast<int>(N)) {
      const size_t j = static_cast<size_t>(r - 1);
      T x = V::bswap(V::load(hashed + 16 * L * j));
      if (j == 0) x = V::x(x, V::lane0(y));
      sum.add(x, V::load(h + 16 * L * j));
    }
  }
  // AESENCLAST ends with its key XOR, so the text can ride on the last key.
  for (size_t j = 0; j < N; j++) V::store(dst + 16 * L * j, V::enclast(b[j], V::x(rk.k[R], V::load(src + 16 * L * j))));
  if (!kHash) return y;
  return gf_finish(V::fold(sum.lo), V::fold(sum.hi), V::fold(sum.mid));
}

template <class V, int R>
void gcm_seal_rounds(const sectorcrypt::GcmKeys& keys, const uint8_t* nonce, const uint8_t* aad, size_t aad_len,
                     const uint8_t* src, size_t len, uint8_t* out) {
  constexpr size_t kGroup = kGcmRegs * V::kLanes;
  static_assert(kGroup <= kHPowers, "a GHASH group multiplies each block by its own power of H");
  const RoundKeys<V> rk(keys.aes.enc, keys.aes.rounds);
  const __m128i j0 = gcm_j0(nonce);
  Counter<V> ctr(_mm_add_epi32(V128::bswap(j0), _mm_cvtsi32_si128(1)));
  __m128i y = ghash_bytes<V>(_mm_setzero_si128(), aad, aad_len, keys);
  const uint8_t* h = hpow_for(keys, kGroup);

  // GHASH of group i-1's ciphertext goes between the AES rounds of group i.
  size_t done = 0;
  if (len >= kGroup * 16) {
    gcm_group<V, R, false, false>(ctr, rk, src, out, y, nullptr, h, keys);
    done = kGroup * 16;
  }
  for (; len - done >= kGroup * 16; done += kGroup * 16) {
    y = gcm_group<V, R, true, false>(ctr, rk, src + done, out + done, y, out + done - kGroup * 16, h, keys);
  }
  if (done > 0) y = ghash_group<V>(y, out + done - kGroup * 16, kGroup, keys);
  ctr_tail<V>(ctr, rk, keys.aes, src + done, out + done, len - done);
  y = ghash_bytes<V>(y, out + done, len - done, keys);
  V128::store(out + len, gcm_tag(keys, y, j0, aad_len, len));
}

template <class V, int R>
bool gcm_open_rounds(const sectorcrypt::GcmKeys& keys, const uint8_t* nonce, const uint8_t* aad, size_t aad_len,
                     const uint8_t* src, size_t len, const uint8_t* tag, uint8_t* out) {
  constexpr size_t kGroup = kGcmRegs * V::kLanes;
  static_assert(kGroup <= kHPowers, "a GHASH group multiplies each block by its own power of H");
  const RoundKeys<V> rk(keys.aes.enc, keys.aes.rounds);
  const __m128i j0 = gcm_j0(nonce);
  Counter<V> ctr(_mm_add_epi32(V128::bswap(j0), _mm_cvtsi32_si128(1)));
  __m128i y = ghash_bytes<V>(_mm_setzero_si128(), aad, aad_len, keys);
  const uint8_t* h = hpow_for(keys, kGroup);
  // Copy the tag first: out may overlap it when decrypting in place.
  const __m128i expected_tag = V128::load(tag);

  // Each group is hashed while it is decrypted, every load before the first store, so
  // src == out works.
  size_t done = 0;
  for (; len - done >= kGroup * 16; done += kGroup * 16) {
    y = gcm_group<V, R, true, true>(ctr, rk, src + done, out + done, y, src + done, h, keys);
  }
  y = ghash_bytes<V>(y, src + done, len - done, keys);
  ctr_tail<V>(ctr, rk, keys.aes, src + done, out + done, len - done);

  // Constant-time compare: OR of all byte differences, no early exit.
  const __m128i diff = _mm_xor_si128(gcm_tag(keys, y, j0, aad_len, len), expected_tag);
  const bool ok = _mm_testz_si128(diff, diff) != 0;
  if (!ok) sectorcrypt::secure_wipe(out, len);
  return ok;
}

// The round count as a template argument: 10, 12 or 14 (AES-128, -192, -256).
template <class V>
void gcm_seal(const sectorcrypt::GcmKeys& keys, const uint8_t* nonce, const uint8_t* aad, size_t aad_len,
              const uint8_t* src, size_t len, uint8_t* out) {
  switch (keys.aes.rounds) {
    case 10:
      return gcm_seal_rounds<V, 10>(keys, nonce, aad, aad_len, src, len, out);
    case 12:
      return gcm_seal_rounds<V, 12>(keys, nonce, aad, aad_len, src, len, out);
    default:
      SC_DEBUG_ASSERT(keys.aes.rounds == 14);
      return gcm_seal_rounds<V, 14>(keys, nonce, aad, aad_len, src, len, out);
  }
}

template <class V>
bool gcm_open(const sectorcrypt::GcmKeys& keys, const uint8_t* nonce, const uint8_t* aad, size_t aad_len,
              const uint8_t* src, size_t len, const uint8_t* tag, uint8_t* out) {
  switch (keys.aes.rounds) {
    case 10:
      return gcm_open_rounds<V, 10>(keys, nonce, aad, aad_len, src, len, tag, out);
    case 12:
      return gcm_open_rounds<V, 12>(keys, nonce, aad, aad_len, src, len, tag, out);
    default:
      SC_DEBUG_ASSERT(keys.aes.rounds == 14);
      return gcm_open_rounds<V, 14>(keys, nonce, aad, aad_len, src, len, tag, out);
  }
}

}  // namespace
