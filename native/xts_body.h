// XTS-AES (IEEE 1619, SP 800-38E), written once over a vector type V and instantiated by
// each kernel file. Lane l of register j holds block j*L + l (L = V::kLanes).
//
// Tweak schedule: block i of a data unit is masked with T * x^i in GF(2^128), where T is
// the encrypted tweak. The registers of one step hold T*x^0 .. T*x^(8L-1); the next step's
// are the same times x^(8L), one shift-and-reduce per register, so the 8 registers advance
// independently instead of in a serial doubling chain.
#pragma once

#include <cstring>

#include "aes_rounds.h"
#include "kernel.h"

namespace {

constexpr size_t kXtsRegs = 8;  // registers in flight per step

// Multiplies every lane by x^k (k < 58). Polynomials are little-endian 128-bit integers;
// bits pushed past x^127 fold back as (carry * 0x87), one carry-less multiply. When k is a
// whole number of bytes (the step of every kernel: 8, 16 or 32 blocks), the lane shifts as
// one 128-bit byte shift and the carry is its top k bits moved down by another: four
// instructions, not five, on the path every step takes.
template <class V, int k>
inline typename V::T xts_mul_xk(typename V::T t) {
  static_assert(k > 0 && k < 58, "carry * 0x87 must fit in 64 bits");
  const typename V::T poly = V::broadcast(_mm_set_epi64x(0, 0x87));
  if constexpr (k % 8 == 0) {
    const typename V::T carry = V::template bsrl<16 - k / 8>(t);
    return V::x(V::template bsll<k / 8>(t), V::template clmul<0x00>(carry, poly));
  } else {
    const typename V::T carry = V::template srl64<64 - k>(t);
    t = V::template sll64<k>(t);
    // low half's carry moves into the high half; high half's carry is reduced into the low.
    return V::x3(t, V::low_to_high(carry), V::template clmul<0x01>(carry, poly));
  }
}

// Masks for one register of the first step: lane l of register j gets t * x^(jL + l).
// tb is t in every lane. Each comes straight from t (variable shifts per lane), so a
// short sector's first blocks wait on no serial chain.
template <class V>
inline typename V::T xts_first_masks(typename V::T tb, size_t j) {
  using T = typename V::T;
  const T poly = V::broadcast(_mm_set_epi64x(0, 0x87));
  const T k = V::add64(V::lane_numbers64(), V::broadcast(_mm_set1_epi64x(static_cast<int64_t>(j * V::kLanes))));
  const T carry = V::srlv64(tb, V::sub64(V::broadcast(_mm_set1_epi64x(64)), k));
  const T shifted = V::sllv64(tb, k);
  return V::x3(shifted, V::low_to_high(carry), V::template clmul<0x01>(carry, poly));
}

// One step of N registers: src -> dst through the rounds of R-round AES, each register
// masked with its tweaks tw. The masks ride on the round keys: data ^ tweak ^ k0 is one
// VPTERNLOG, and the last round ends with a key XOR (AESENCLAST(s, k) = SubBytes and
// ShiftRows of s, XOR k; AESDECLAST likewise), so AESENCLAST(s, k_R ^ tweak) is the
// round's output already masked, with no XOR after it. R is a template argument so that
// the round loop unrolls with no round-count test between rounds.
template <class V, bool kEncrypt, int R, size_t N>
inline void xts_step(const typename V::T (&tw)[N], const RoundKeys<V>& rk, const uint8_t* src, uint8_t* dst) {
  using T = typename V::T;
  constexpr size_t L = V::kLanes;
  T b[N];
  for (size_t j = 0; j < N; j++) b[j] = V::x3(V::load(src + 16 * L * j), tw[j], rk.k[0]);
  for (int r = 1; r < R; r++) {
    for (size_t j = 0; j < N; j++) b[j] = kEncrypt ? V::enc(b[j], rk.k[r]) : V::dec(b[j], rk.k[r]);
  }
  for (size_t j = 0; j < N; j++) {
    const T last = V::x(rk.k[R], tw[j]);
    b[j] = kEncrypt ? V::enclast(b[j], last) : V::declast(b[j], last);
  }
  for (size_t j = 0; j < N; j++) V::store(dst + 16 * L * j, b[j]);
}

// Encrypts or decrypts nblocks whole blocks starting with tweak mask t. With kNext, returns
// the mask for the block after them (ciphertext stealing needs it); else zero.
template <class V, bool kEncrypt, bool kNext, int R>
inline __m128i xts_blocks(const RoundKeys<V>& rk, const sectorcrypt::AesSchedule& ks, const uint8_t* src,
                          uint8_t* dst, size_t nblocks, __m128i t) {
  using T = typename V::T;
  constexpr size_t L = V::kLanes;
  constexpr size_t kStep = kXtsRegs * L;

  T tw[kXtsRegs];
  const T tb = V::broadcast(t);
  for (size_t j = 0; j < kXtsRegs; j++) tw[j] = xts_first_masks<V>(tb, j);

  const size_t steps = nblocks / kStep;
  nblocks %= kStep;
  for (size_t i = 0; i < steps; i++, src += 16 * kStep, dst += 16 * kStep) {
    if (i > 0) {
      for (size_t j = 0; j < kXtsRegs; j++) tw[j] = xts_mul_xk<V, static_cast<int>(kStep)>(tw[j]);
    }
    xts_step<V, kEncrypt, R, kXtsRegs>(tw, rk, src, dst);
  }
  if (nblocks == 0 && !kNext) return _mm_setzero_si128();
  if (steps > 0) {
    for (size_t j = 0; j < kXtsRegs; j++) tw[j] = xts_mul_xk<V, static_cast<int>(kStep)>(tw[j]);
  }
  // Fewer than kStep blocks left: whole registers, then single blocks.
  size_t j = 0;
  for (; nblocks >= L; nblocks -= L, src += 16 * L, dst += 16 * L, j++) {
    const T one[1] = {tw[j]};
    xts_step<V, kEncrypt, R, 1>(one, rk, src, dst);
  }
  __m128i lanes[L];
  V::to_lanes(lanes, tw[j]);
  for (size_t i = 0; i < nblocks; i++, src += 16, dst += 16) {
    const __m128i b = _mm_xor_si128(V128::load(src), lanes[i]);
    V128::store(dst, _mm_xor_si128(aes_crypt_block<kEncrypt>(b, ks), lanes[i]));
  }
  return lanes[nblocks];
}

template <class V, bool kEncrypt, int R>
void xts_sectors(const sectorcrypt::XtsKeys& keys, const uint8_t* src, uint8_t* dst, size_t sector_size,
                 size_t nsectors, sectorcrypt::u128 first_tweak, uint64_t tweak_step) {
  const RoundKeys<V> rk(kEncrypt ? keys.data.enc : keys.data.dec, keys.data.rounds);
  const RoundKeys<V> tk(keys.tweak.enc, keys.tweak.rounds);
  const size_t nblocks = sector_size / 16;
  constexpr size_t L = V::kLanes;
  static_assert(kXtsRegs % L == 0, "sector tweaks are encrypted L to a register");
  SC_DEBUG_ASSERT(sector_size % 16 == 0 && sector_size >= 16 && sector_size <= sectorcrypt::kMaxUnitBytes);
  for (size_t s = 0; s < nsectors; s += kXtsRegs) {
    // Encrypt 8 sector tweaks together, L to a register, rather than one at a time.
    __m128i t[kXtsRegs];
    for (size_t i = 0; i < kXtsRegs; i++) {
      const sectorcrypt::u128 v = first_tweak + static_cast<sectorcrypt::u128>(s + i) * tweak_step;
      t[i] = _mm_set_epi64x(static_cast<int64_t>(static_cast<uint64_t>(v >> 64)), static_cast<int64_t>(static_cast<uint64_t>(v)));
    }
    typename V::T tv[kXtsRegs / L];
    for (size_t r = 0; r < kXtsRegs / L; r++) tv[r] = V::from_lanes(t + r * L);
    aes_encrypt_n<V, kXtsRegs / L>(tv, tk);
    for (size_t r = 0; r < kXtsRegs / L; r++) V::to_lanes(t + r * L, tv[r]);
    const size_t n = nsectors - s < kXtsRegs ? nsectors - s : kXtsRegs;
    for (size_t i = 0; i < n; i++) {
      const size_t off = (s + i) * sector_size;
      xts_blocks<V, kEncrypt, false, R>(rk, keys.data, src + off, dst + off, nblocks, t[i]);
    }
  }
}

// One data unit of len >= 16 bytes. A partial last block borrows ("steals") the tail of
// the previous block's output, IEEE 1619 section 5.3.2; decryption swaps the two masks.
template <class V, bool kEncrypt, int R>
void xts_unit(const sectorcrypt::XtsKeys& keys, const uint8_t* tweak, const uint8_t* src, uint8_t* dst, size_t len) {
  const RoundKeys<V> rk(kEncrypt ? keys.data.enc : keys.data.dec, keys.data.rounds);
  SC_DEBUG_ASSERT(len >= 16 && len <= sectorcrypt::kMaxUnitBytes);
  __m128i t = aes_encrypt_block(V128::load(tweak), keys.tweak);
  const size_t full = len / 16;
  const size_t rem = len % 16;
  if (rem == 0) {
    xts_blocks<V, kEncrypt, false, R>(rk, keys.data, src, dst, full, t);
    return;
  }
  t = xts_blocks<V, kEncrypt, true, R>(rk, keys.data, src, dst, full - 1, t);
  const __m128i t_last = xts_mul_xk<V128, 1>(t);
  const uint8_t* in = src + 16 * (full - 1);
  uint8_t* out = dst + 16 * (full - 1);
  // Mask for the whole block this step processes first: T_{m-1} to encrypt, T_m to decrypt.
  const __m128i first_mask = kEncrypt ? t : t_last;
  const __m128i second_mask = kEncrypt ? t_last : t;
  uint8_t head[16];
  V128::store(head, _mm_xor_si128(aes_crypt_block<kEncrypt>(_mm_xor_si128(V128::load(in), first_mask), keys.data), first_mask));
  uint8_t joined[16];
  std::memcpy(joined, in + 16, rem);  // read before out + 16 is written (in place)
  std::memcpy(joined + rem, head + rem, 16 - rem);
  std::memcpy(out + 16, head, rem);
  const __m128i last = _mm_xor_si128(aes_crypt_block<kEncrypt>(_mm_xor_si128(V128::load(joined), second_mask), keys.data), second_mask);
  V128::store(out, last);
}

// The data key's round count as a template argument: 10, 12 or 14 (AES-128, -192, -256).
template <class V, bool kEncrypt>
void xts_sectors_rounds(const sectorcrypt::XtsKeys& keys, const uint8_t* src, uint8_t* dst, size_t sector_size,
                        size_t nsectors, sectorcrypt::u128 first_tweak, uint64_t tweak_step) {
  switch (keys.data.rounds) {
    case 10:
      return xts_sectors<V, kEncrypt, 10>(keys, src, dst, sector_size, nsectors, first_tweak, tweak_step);
    case 12:
      return xts_sectors<V, kEncrypt, 12>(keys, src, dst, sector_size, nsectors, first_tweak, tweak_step);
    default:
      SC_DEBUG_ASSERT(keys.data.rounds == 14);
      return xts_sectors<V, kEncrypt, 14>(keys, src, dst, sector_size, nsectors, first_tweak, tweak_step);
  }
}

template <class V, bool kEncrypt>
void xts_unit_rounds(const sectorcrypt::XtsKeys& keys, const uint8_t* tweak, const uint8_t* src, uint8_t* dst, size_t len) {
  switch (keys.data.rounds) {
    case 10:
      return xts_unit<V, kEncrypt, 10>(keys, tweak, src, dst, len);
    case 12:
      return xts_unit<V, kEncrypt, 12>(keys, tweak, src, dst, len);
    default:
      SC_DEBUG_ASSERT(keys.data.rounds == 14);
      return xts_unit<V, kEncrypt, 14>(keys, tweak, src, dst, len);
  }
}

template <class V>
void xts_sectors_dispatch(const sectorcrypt::XtsKeys& keys, bool encrypt, const uint8_t* src, uint8_t* dst,
                          size_t sector_size, size_t nsectors, sectorcrypt::u128 first_tweak, uint64_t tweak_step) {
  if (encrypt) {
    xts_sectors_rounds<V, true>(keys, src, dst, sector_size, nsectors, first_tweak, tweak_step);
  } else {
    xts_sectors_rounds<V, false>(keys, src, dst, sector_size, nsectors, first_tweak, tweak_step);
  }
}

template <class V>
void xts_unit_dispatch(const sectorcrypt::XtsKeys& keys, bool encrypt, const uint8_t* tweak, const uint8_t* src,
                       uint8_t* dst, size_t len) {
  if (encrypt) {
    xts_unit_rounds<V, true>(keys, tweak, src, dst, len);
  } else {
    xts_unit_rounds<V, false>(keys, tweak, src, dst, len);
  }
}

}  // namespace
