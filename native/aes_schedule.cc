// The key expansion is plain C++; the two steps that need the S-box or InvMixColumns use
// the CPU's AES instructions (no tables, so no secret-dependent memory access).
#if defined(__x86_64__)
#pragma GCC target("aes,sse4.1")
#include <immintrin.h>
#elif defined(__aarch64__)
#pragma GCC target("+crypto")
#include <arm_neon.h>
#endif

#include "aes_schedule.h"

#include <cstring>

#include "wipe.h"

namespace sectorcrypt {

namespace {

#if defined(__x86_64__)
// SubWord of one 32-bit word through the AES S-box inside AESKEYGENASSIST.
uint32_t sub_word(uint32_t w) {
  const __m128i x = _mm_shuffle_epi32(_mm_cvtsi32_si128(static_cast<int>(w)), 0x00);
  return static_cast<uint32_t>(_mm_cvtsi128_si32(_mm_aeskeygenassist_si128(x, 0)));
}

void inv_mix_columns(uint8_t* dst, const uint8_t* src) {
  _mm_storeu_si128(reinterpret_cast<__m128i*>(dst), _mm_aesimc_si128(_mm_loadu_si128(reinterpret_cast<const __m128i*>(src))));
}
#elif defined(__aarch64__)
// SubWord through AESE with a zero round key: with the word in all four columns,
// ShiftRows only moves equal bytes, so any column holds SubWord(w).
uint32_t sub_word(uint32_t w) {
  return vgetq_lane_u32(vreinterpretq_u32_u8(vaeseq_u8(vreinterpretq_u8_u32(vdupq_n_u32(w)), vdupq_n_u8(0))), 0);
}

void inv_mix_columns(uint8_t* dst, const uint8_t* src) { vst1q_u8(dst, vaesimcq_u8(vld1q_u8(src))); }
#else
#error "aes_schedule.cc needs x86-64 (AES-NI) or AArch64 (ARMv8 Crypto Extensions)"
#endif

uint32_t load_le32(const uint8_t* p) {
  return p[0] | (p[1] << 8) | (p[2] << 16) | (static_cast<uint32_t>(p[3]) << 24);
}

}  // namespace

void aes_expand(AesSchedule* s, const uint8_t* key, size_t key_len) {
  const int nk = static_cast<int>(key_len / 4);
  const int rounds = nk + 6;
  const int total = 4 * (rounds + 1);
  uint32_t w[60];
  for (int i = 0; i < nk; i++) w[i] = load_le32(key + 4 * i);
  uint8_t rcon = 1;
  for (int i = nk; i < total; i++) {
    uint32_t t = w[i - 1];
    if (i % nk == 0) {
      // RotWord then SubWord; a byte rotation right in the little-endian word.
      t = sub_word((t >> 8) | (t << 24)) ^ rcon;
      rcon = static_cast<uint8_t>((rcon << 1) ^ ((rcon >> 7) * 0x1b));
    } else if (nk > 6 && i % nk == 4) {
      t = sub_word(t);
    }
    w[i] = w[i - nk] ^ t;
  }
  for (int i = 0; i < total; i++) {
    for (int b = 0; b < 4; b++) s->enc[i / 4][4 * (i % 4) + b] = static_cast<uint8_t>(w[i] >> (8 * b));
  }
  // Decryption keys for the equivalent inverse cipher: reversed, InvMixColumns inside.
  std::memcpy(s->dec[0], s->enc[rounds], 16);
  for (int r = 1; r < rounds; r++) inv_mix_columns(s->dec[r], s->enc[rounds - r]);
  std::memcpy(s->dec[rounds], s->enc[0], 16);
  s->rounds = rounds;
  secure_wipe(w, sizeof w);
}

}  // namespace sectorcrypt
