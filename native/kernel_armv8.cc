// The `armv8-ce` kernel: AArch64 with the ARMv8 Cryptography Extensions (AESE, AESD, AESMC,
// AESIMC and PMULL/PMULL2 on 64-bit lanes) in 128-bit NEON registers: Graviton, Ampere,
// Cobalt, Axion, and Cortex-A53/A72 and later.
//
// The algorithms are those of xts_body.h and gcm_body.h (see there for the XTS tweak schedule
// and the GHASH representation); they are written again with ACLE intrinsics because those
// bodies rest on x86 intrinsics, and because ARM splits an AES round differently: AESE is
// AddRoundKey + SubBytes + ShiftRows and AESMC is MixColumns, so the round key enters at the
// start of a round and the last one is a plain XOR. AArch64 AES has one width (SVE2-AES has
// no wider registers on current Neoverse cores), so there is no template over V here.
#pragma GCC target("+crypto")

#include <arm_neon.h>

#include <cstring>

#include "kernel.h"
#include "wipe.h"

namespace {

using B = uint8x16_t;  // one 16-byte block, byte i in lane i

inline B load(const uint8_t* p) { return vld1q_u8(p); }
inline void store(uint8_t* p, B v) { vst1q_u8(p, v); }
inline B x(B a, B b) { return veorq_u8(a, b); }
inline B zero() { return vdupq_n_u8(0); }

// A 128-bit little-endian integer as a block (AArch64 Linux is little-endian).
inline B from_u64(uint64_t lo, uint64_t hi) { return vreinterpretq_u8_u64(vcombine_u64(vcreate_u64(lo), vcreate_u64(hi))); }

// ---------------------------------------------------------------------------------------
// AES rounds over N blocks at once. AESE/AESMC have a latency of 2 to 3 cycles and issue on
// two (N1) or four (V1, V2) pipes, so 8 independent blocks keep every pipe busy.

// Round keys, loaded once per call.
struct RoundKeys {
  B k[15];
  int rounds;

  RoundKeys(const uint8_t (*keys)[16], int n) : rounds(n) {
    for (int r = 0; r <= n; r++) k[r] = load(keys[r]);
  }
};

// Each AESE is directly followed by the AESMC of the same block: cores from Cortex-A57 on
// fuse the pair into one operation (Arm Neoverse N1/V1/V2 Software Optimization Guides,
// "AES encryption/decryption" instruction fusion), and GCC keeps such pairs together.
template <size_t N>
inline void aes_encrypt_n(B (&b)[N], const RoundKeys& rk) {
  for (int r = 0; r < rk.rounds - 1; r++) {
    for (size_t i = 0; i < N; i++) b[i] = vaesmcq_u8(vaeseq_u8(b[i], rk.k[r]));
  }
  for (size_t i = 0; i < N; i++) b[i] = x(vaeseq_u8(b[i], rk.k[rk.rounds - 1]), rk.k[rk.rounds]);
}

// The equivalent inverse cipher with the schedule's dec keys (InvMixColumns already applied),
// the same keys AESDEC uses: AESD + AESIMC computes the same round with the XOR moved first.
template <size_t N>
inline void aes_decrypt_n(B (&b)[N], const RoundKeys& rk) {
  for (int r = 0; r < rk.rounds - 1; r++) {
    for (size_t i = 0; i < N; i++) b[i] = vaesimcq_u8(vaesdq_u8(b[i], rk.k[r]));
  }
  for (size_t i = 0; i < N; i++) b[i] = x(vaesdq_u8(b[i], rk.k[rk.rounds - 1]), rk.k[rk.rounds]);
}

template <bool kEncrypt, size_t N>
inline void aes_crypt_n(B (&b)[N], const RoundKeys& rk) {
  if (kEncrypt) {
    aes_encrypt_n<N>(b, rk);
  } else {
    aes_decrypt_n<N>(b, rk);
  }
}

// One block straight from a schedule (tweaks, H, the tag mask).
inline B aes_encrypt_block(B b, const sectorcrypt::AesSchedule& s) {
  for (int r = 0; r < s.rounds - 1; r++) b = vaesmcq_u8(vaeseq_u8(b, load(s.enc[r])));
  return x(vaeseq_u8(b, load(s.enc[s.rounds - 1])), load(s.enc[s.rounds]));
}

// ---------------------------------------------------------------------------------------
// XTS-AES (IEEE 1619, SP 800-38E): the tweak schedule of xts_body.h. Block i of a data unit
// is masked with T * x^i; 8 registers hold T*x^0 .. T*x^7 and each advances by x^8 on its
// own, so no step waits on a serial doubling chain.

constexpr size_t kXtsRegs = 8;

// t * x^k for 0 < k < 58. Polynomials are little-endian 128-bit integers: each 64-bit half
// shifts left, the low half's carry moves into the high half, and the bits pushed past x^127
// fold back as carry * 0x87 (one PMULL2 of the high half's carry).
template <int k>
inline B xts_mul_xk(B t) {
  static_assert(k > 0 && k < 58, "carry * 0x87 must fit in 64 bits");
  const uint64x2_t v = vreinterpretq_u64_u8(t);
  const uint64x2_t carry = vshrq_n_u64(v, 64 - k);
  const uint64x2_t shifted = veorq_u64(vshlq_n_u64(v, k), vextq_u64(vdupq_n_u64(0), carry, 1));
  const poly128_t fold = vmull_high_p64(vreinterpretq_p64_u64(carry), vreinterpretq_p64_u64(vdupq_n_u64(0x87)));
  return x(vreinterpretq_u8_u64(shifted), vreinterpretq_u8_p128(fold));
}

// The first step's masks come straight from t, so a short sector's first blocks wait on
// nothing but t.
inline void xts_first_masks(B t, B (&tw)[kXtsRegs]) {
  tw[0] = t;
  tw[1] = xts_mul_xk<1>(t);
  tw[2] = xts_mul_xk<2>(t);
  tw[3] = xts_mul_xk<3>(t);
  tw[4] = xts_mul_xk<4>(t);
  tw[5] = xts_mul_xk<5>(t);
  tw[6] = xts_mul_xk<6>(t);
  tw[7] = xts_mul_xk<7>(t);
}

// Encrypts or decrypts nblocks whole blocks starting with tweak mask t. With kNext, returns
// the mask for the block after them (ciphertext stealing needs it); else zero.
template <bool kEncrypt, bool kNext>
inline B xts_blocks(const RoundKeys& rk, const uint8_t* src, uint8_t* dst, size_t nblocks, B t) {
  B tw[kXtsRegs];
  xts_first_masks(t, tw);
  const size_t steps = nblocks / kXtsRegs;
  nblocks %= kXtsRegs;
  for (size_t i = 0; i < steps; i++, src += 16 * kXtsRegs, dst += 16 * kXtsRegs) {
    if (i > 0) {
      for (size_t j = 0; j < kXtsRegs; j++) tw[j] = xts_mul_xk<kXtsRegs>(tw[j]);
    }
    B b[kXtsRegs];
    for (size_t j = 0; j < kXtsRegs; j++) b[j] = x(load(src + 16 * j), tw[j]);
    aes_crypt_n<kEncrypt>(b, rk);
    for (size_t j = 0; j < kXtsRegs; j++) store(dst + 16 * j, x(b[j], tw[j]));
  }
  if (nblocks == 0 && !kNext) return zero();
  if (steps > 0) {
    for (size_t j = 0; j < kXtsRegs; j++) tw[j] = xts_mul_xk<kXtsRegs>(tw[j]);
  }
  for (size_t i = 0; i < nblocks; i++, src += 16, dst += 16) {
    B b[1] = {x(load(src), tw[i])};
    aes_crypt_n<kEncrypt>(b, rk);
    store(dst, x(b[0], tw[i]));
  }
  return tw[nblocks];
}

template <bool kEncrypt>
void xts_sectors(const sectorcrypt::XtsKeys& keys, const uint8_t* src, uint8_t* dst, size_t sector_size,
                 size_t nsectors, sectorcrypt::u128 first_tweak, uint64_t tweak_step) {
  const RoundKeys rk(kEncrypt ? keys.data.enc : keys.data.dec, keys.data.rounds);
  const RoundKeys tk(keys.tweak.enc, keys.tweak.rounds);
  const size_t nblocks = sector_size / 16;
  for (size_t s = 0; s < nsectors; s += kXtsRegs) {
    // Encrypt 8 sector tweaks together rather than one at a time.
    B t[kXtsRegs];
    for (size_t i = 0; i < kXtsRegs; i++) {
      const sectorcrypt::u128 v = first_tweak + static_cast<sectorcrypt::u128>(s + i) * tweak_step;
      t[i] = from_u64(static_cast<uint64_t>(v), static_cast<uint64_t>(v >> 64));
    }
    aes_encrypt_n<kXtsRegs>(t, tk);
    const size_t n = nsectors - s < kXtsRegs ? nsectors - s : kXtsRegs;
    for (size_t i = 0; i < n; i++) {
      const size_t off = (s + i) * sector_size;
      xts_blocks<kEncrypt, false>(rk, src + off, dst + off, nblocks, t[i]);
    }
  }
}

// One data unit of len >= 16 bytes; a partial last block steals the tail of the previous
// block's output (IEEE 1619 section 5.3.2), decryption swapping the two masks.
template <bool kEncrypt>
void xts_unit(const sectorcrypt::XtsKeys& keys, const uint8_t* tweak, const uint8_t* src, uint8_t* dst, size_t len) {
  const RoundKeys rk(kEncrypt ? keys.data.enc : keys.data.dec, keys.data.rounds);
  B t = aes_encrypt_block(load(tweak), keys.tweak);
  const size_t full = len / 16;
  const size_t rem = len % 16;
  if (rem == 0) {
    xts_blocks<kEncrypt, false>(rk, src, dst, full, t);
    return;
  }
  t = xts_blocks<kEncrypt, true>(rk, src, dst, full - 1, t);
  const B t_last = xts_mul_xk<1>(t);
  const uint8_t* in = src + 16 * (full - 1);
  uint8_t* out = dst + 16 * (full - 1);
  // Mask for the whole block this step processes first: T_{m-1} to encrypt, T_m to decrypt.
  const B first_mask = kEncrypt ? t : t_last;
  const B second_mask = kEncrypt ? t_last : t;
  B b[1] = {x(load(in), first_mask)};
  aes_crypt_n<kEncrypt>(b, rk);
  uint8_t head[16];
  store(head, x(b[0], first_mask));
  uint8_t joined[16];
  std::memcpy(joined, in + 16, rem);  // read before out + 16 is written (in place)
  std::memcpy(joined + rem, head + rem, 16 - rem);
  std::memcpy(out + 16, head, rem);
  b[0] = x(load(joined), second_mask);
  aes_crypt_n<kEncrypt>(b, rk);
  store(out, x(b[0], second_mask));
}

void xts_sectors_dispatch(const sectorcrypt::XtsKeys& keys, bool encrypt, const uint8_t* src, uint8_t* dst,
                          size_t sector_size, size_t nsectors, sectorcrypt::u128 first_tweak, uint64_t tweak_step) {
  if (encrypt) {
    xts_sectors<true>(keys, src, dst, sector_size, nsectors, first_tweak, tweak_step);
  } else {
    xts_sectors<false>(keys, src, dst, sector_size, nsectors, first_tweak, tweak_step);
  }
}

void xts_unit_dispatch(const sectorcrypt::XtsKeys& keys, bool encrypt, const uint8_t* tweak, const uint8_t* src,
                       uint8_t* dst, size_t len) {
  if (encrypt) {
    xts_unit<true>(keys, tweak, src, dst, len);
  } else {
    xts_unit<false>(keys, tweak, src, dst, len);
  }
}

// ---------------------------------------------------------------------------------------
// AES-GCM (SP 800-38D) in the representation of gcm_body.h: blocks byte-reversed, H times x,
// the 256-bit product reduced by two 64-bit folds with 0xC2 << 56, and the products of a
// group of 8 blocks with H^8..H^1 summed before one reduction. The key layout is the same
// (hpow[i] = H^(32 - i)); this kernel reads H^8..H^1.

constexpr size_t kGcmRegs = 8;  // blocks in flight per step, and per GHASH reduction
constexpr size_t kHPowers = 32;

inline B swap_halves(B v) { return vextq_u8(v, v, 8); }

// Reverses the 16 bytes (GCM blocks are big-endian).
inline B bswap(B v) { return swap_halves(vrev64q_u8(v)); }

// Carry-less 64x64 -> 128 products: low halves (PMULL), high halves (PMULL2).
inline B clmul_lo(B a, B b) {
  return vreinterpretq_u8_p128(vmull_p64(vgetq_lane_p64(vreinterpretq_p64_u8(a), 0), vgetq_lane_p64(vreinterpretq_p64_u8(b), 0)));
}
inline B clmul_hi(B a, B b) { return vreinterpretq_u8_p128(vmull_high_p64(vreinterpretq_p64_u8(a), vreinterpretq_p64_u8(b))); }

// Two 64-bit folds bring lo + hi * x^128 down to 128 bits.
inline B gf_reduce(B lo, B hi) {
  const B k = vreinterpretq_u8_u64(vdupq_n_u64(0xc200000000000000ULL));
  B t = x(swap_halves(lo), clmul_lo(lo, k));
  t = x(swap_halves(t), clmul_lo(t, k));
  return x(hi, t);
}

// Unreduced sums of products as low, high and middle 128-bit parts. Four multiplies per
// block as in gcm_body.h: Karatsuba's three need a_lo ^ a_hi and h_lo ^ h_hi (the key layout
// holds only the powers), two EXT + EOR pairs that cost about what the saved PMULL does.
struct GhashSum {
  B lo = zero(), hi = zero(), mid = zero();

  void add(B a, B h) {
    const B hs = swap_halves(h);
    lo = x(lo, clmul_lo(a, h));
    hi = x(hi, clmul_hi(a, h));
    mid = x(mid, x(clmul_lo(a, hs), clmul_hi(a, hs)));  // a_lo * h_hi + a_hi * h_lo
  }

  B finish() const {
    return gf_reduce(x(lo, vextq_u8(zero(), mid, 8)), x(hi, vextq_u8(mid, zero(), 8)));
  }
};

inline B gf_mul(B a, B b) {
  GhashSum s;
  s.add(a, b);
  return s.finish();
}

inline const uint8_t* hpow_for(const sectorcrypt::GcmKeys& keys, size_t m) { return keys.hpow[kHPowers - m]; }

// y = (y ^ X_1) * H^m ^ X_2 * H^(m-1) ^ ... ^ X_m * H, for m in 1..8 blocks at p.
inline B ghash_group(B y, const uint8_t* p, size_t m, const sectorcrypt::GcmKeys& keys) {
  const uint8_t* h = hpow_for(keys, m);
  GhashSum s;
  for (size_t b = 0; b < m; b++) {
    B v = bswap(load(p + 16 * b));
    if (b == 0) v = x(v, y);
    s.add(v, load(h + 16 * b));
  }
  return s.finish();
}

// GHASH over len bytes, the last partial block padded with zeros.
inline B ghash_bytes(B y, const uint8_t* p, size_t len, const sectorcrypt::GcmKeys& keys) {
  size_t nblocks = len / 16;
  for (; nblocks >= kGcmRegs; nblocks -= kGcmRegs, p += 16 * kGcmRegs) y = ghash_group(y, p, kGcmRegs, keys);
  if (nblocks > 0) y = ghash_group(y, p, nblocks, keys);
  p += 16 * nblocks;
  if (len % 16) {
    uint8_t pad[16] = {0};
    std::memcpy(pad, p, len % 16);
    y = ghash_group(y, pad, 1, keys);
  }
  return y;
}

// Counter blocks are kept with each 32-bit word byte-reversed (REV32), so the big-endian
// counter in the last word is a native integer that ADD increments, wrapping like inc32.
struct Counter {
  uint32x4_t next;  // REV32 of the next counter block

  explicit Counter(B first) : next(vreinterpretq_u32_u8(vrev32q_u8(first))) {}

  static uint32x4_t plus(uint32_t n) { return vsetq_lane_u32(n, vdupq_n_u32(0), 3); }

  // Counter blocks next .. next + N - 1, each from next directly (no serial chain).
  template <size_t N>
  void take(B (&b)[N]) {
    for (size_t j = 0; j < N; j++) b[j] = vrev32q_u8(vreinterpretq_u8_u32(vaddq_u32(next, plus(j))));
    next = vaddq_u32(next, plus(N));
  }
};

// XORs N blocks of keystream into src -> dst.
template <size_t N>
inline void ctr_blocks(Counter& ctr, const RoundKeys& rk, const uint8_t* src, uint8_t* dst) {
  B b[N];
  ctr.take(b);
  aes_encrypt_n<N>(b, rk);
  for (size_t j = 0; j < N; j++) store(dst + 16 * j, x(b[j], load(src + 16 * j)));
}

// CTR over the len bytes (< one group) after the main loop: blocks, then a partial block.
inline void ctr_tail(Counter& ctr, const RoundKeys& rk, const uint8_t* src, uint8_t* dst, size_t len) {
  for (; len >= 16; len -= 16, src += 16, dst += 16) ctr_blocks<1>(ctr, rk, src, dst);
  if (len > 0) {
    uint8_t buf[16] = {0};
    std::memcpy(buf, src, len);
    ctr_blocks<1>(ctr, rk, buf, buf);
    std::memcpy(dst, buf, len);
  }
}

inline B gcm_j0(const uint8_t* nonce) {
  uint8_t j0[16];
  std::memcpy(j0, nonce, 12);
  j0[12] = 0, j0[13] = 0, j0[14] = 0, j0[15] = 1;
  return load(j0);
}

// J0 + 1 with inc32.
inline B gcm_first_counter(B j0) {
  return vrev32q_u8(vreinterpretq_u8_u32(vaddq_u32(vreinterpretq_u32_u8(vrev32q_u8(j0)), Counter::plus(1))));
}

// The length block, already in reflected form: bit lengths of AAD (high) and text (low).
inline B gcm_lengths(size_t aad_len, size_t len) { return from_u64(uint64_t{len} * 8, uint64_t{aad_len} * 8); }

inline B gcm_tag(const sectorcrypt::GcmKeys& keys, B y, B j0, size_t aad_len, size_t len) {
  y = gf_mul(x(y, gcm_lengths(aad_len, len)), load(hpow_for(keys, 1)));
  return x(bswap(y), aes_encrypt_block(j0, keys.aes));
}

void gcm_init(sectorcrypt::GcmKeys& keys) {
  uint64x2_t h = vreinterpretq_u64_u8(bswap(aes_encrypt_block(zero(), keys.aes)));
  // H * x in the reflected field: shift left one bit, fold the carry back.
  const uint64x2_t carry = vshrq_n_u64(h, 63);
  h = vorrq_u64(vshlq_n_u64(h, 1), vextq_u64(vdupq_n_u64(0), carry, 1));
  // All ones when bit 127 was set: 0 - carry of the high half, in both halves.
  const uint64x2_t mask = vreinterpretq_u64_s64(vnegq_s64(vreinterpretq_s64_u64(vdupq_laneq_u64(carry, 1))));
  h = veorq_u64(h, vandq_u64(mask, vcombine_u64(vcreate_u64(1), vcreate_u64(0xc200000000000000ULL))));
  const B hb = vreinterpretq_u8_u64(h);
  B p = hb;
  for (size_t k = 1; k <= kHPowers; k++) {
    store(keys.hpow[kHPowers - k], p);
    p = gf_mul(p, hb);
  }
  sectorcrypt::secure_wipe(&p, sizeof p);
  sectorcrypt::secure_wipe(&h, sizeof h);
}

void gcm_seal(const sectorcrypt::GcmKeys& keys, const uint8_t* nonce, const uint8_t* aad, size_t aad_len,
              const uint8_t* src, size_t len, uint8_t* out) {
  constexpr size_t kGroup = kGcmRegs * 16;
  const RoundKeys rk(keys.aes.enc, keys.aes.rounds);
  const B j0 = gcm_j0(nonce);
  Counter ctr(gcm_first_counter(j0));
  B y = ghash_bytes(zero(), aad, aad_len, keys);

  // GHASH of group i-1's ciphertext sits beside the AES of group i: no data dependence, so
  // the PMULLs fill the issue slots the AES chains leave.
  size_t done = 0;
  for (; len - done >= kGroup; done += kGroup) {
    ctr_blocks<kGcmRegs>(ctr, rk, src + done, out + done);
    if (done > 0) y = ghash_group(y, out + done - kGroup, kGcmRegs, keys);
  }
  if (done > 0) y = ghash_group(y, out + done - kGroup, kGcmRegs, keys);
  ctr_tail(ctr, rk, src + done, out + done, len - done);
  y = ghash_bytes(y, out + done, len - done, keys);
  store(out + len, gcm_tag(keys, y, j0, aad_len, len));
}

bool gcm_open(const sectorcrypt::GcmKeys& keys, const uint8_t* nonce, const uint8_t* aad, size_t aad_len,
              const uint8_t* src, size_t len, const uint8_t* tag, uint8_t* out) {
  constexpr size_t kGroup = kGcmRegs * 16;
  const RoundKeys rk(keys.aes.enc, keys.aes.rounds);
  const B j0 = gcm_j0(nonce);
  Counter ctr(gcm_first_counter(j0));
  B y = ghash_bytes(zero(), aad, aad_len, keys);
  // Copy the tag first: out may overlap it when decrypting in place.
  const B expected_tag = load(tag);

  // Each group is hashed before it is decrypted, so src == out works.
  size_t done = 0;
  for (; len - done >= kGroup; done += kGroup) {
    y = ghash_group(y, src + done, kGcmRegs, keys);
    ctr_blocks<kGcmRegs>(ctr, rk, src + done, out + done);
  }
  y = ghash_bytes(y, src + done, len - done, keys);
  ctr_tail(ctr, rk, src + done, out + done, len - done);

  // Constant-time compare: the largest byte of the difference (UMAXV), no early exit.
  const B diff = x(gcm_tag(keys, y, j0, aad_len, len), expected_tag);
  const bool ok = vmaxvq_u8(diff) == 0;
  if (!ok) sectorcrypt::secure_wipe(out, len);
  return ok;
}

// ---------------------------------------------------------------------------------------
// The calibration kernel (see aes_rounds.h for the x86 one): 8 independent chains of fused
// AESE/AESMC rounds with the keys in registers and no memory traffic.

constexpr size_t kCeilingChains = 8;

template <int R>
size_t aes_ceiling_rounds(size_t bytes, uint8_t* sink) {
  constexpr size_t kStep = kCeilingChains * 16;
  B k[R + 1];
  for (int r = 0; r <= R; r++) k[r] = vdupq_n_u8(static_cast<uint8_t>(r + 1));
  B b[kCeilingChains];
  for (size_t j = 0; j < kCeilingChains; j++) b[j] = vdupq_n_u8(static_cast<uint8_t>(j));
  const size_t steps = (bytes + kStep - 1) / kStep;
  for (size_t i = 0; i < steps; i++) {
    for (int r = 0; r < R - 1; r++) {
      for (size_t j = 0; j < kCeilingChains; j++) b[j] = vaesmcq_u8(vaeseq_u8(b[j], k[r]));
    }
    for (size_t j = 0; j < kCeilingChains; j++) b[j] = x(vaeseq_u8(b[j], k[R - 1]), k[R]);
  }
  B all = b[0];
  for (size_t j = 1; j < kCeilingChains; j++) all = x(all, b[j]);
  store(sink, all);
  return steps * kStep;
}

size_t aes_ceiling(int rounds, size_t bytes, uint8_t* sink) {
  if (rounds == 10) return aes_ceiling_rounds<10>(bytes, sink);
  if (rounds == 12) return aes_ceiling_rounds<12>(bytes, sink);
  return aes_ceiling_rounds<14>(bytes, sink);
}

}  // namespace

namespace sectorcrypt {

extern const Kernel kKernelArmv8Ce = {
    "armv8-ce", xts_sectors_dispatch, xts_unit_dispatch, gcm_init, gcm_seal, gcm_open, aes_ceiling,
};

}  // namespace sectorcrypt
