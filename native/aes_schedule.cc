#pragma GCC target("aes,sse4.1")

#include "aes_schedule.h"

#include <immintrin.h>

#include "wipe.h"

namespace sectorcrypt {

namespace {

// SubWord of one 32-bit word through the AES S-box inside AESKEYGENASSIST: no tables,
// so no secret-dependent memory access.
uint32_t sub_word(uint32_t w) {
  const __m128i x = _mm_shuffle_epi32(_mm_cvtsi32_si128(static_cast<int>(w)), 0x00);
  return static_cast<uint32_t>(_mm_cvtsi128_si32(_mm_aeskeygenassist_si128(x, 0)));
}

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
  _mm_storeu_si128(reinterpret_cast<__m128i*>(s->dec[0]), _mm_loadu_si128(reinterpret_cast<const __m128i*>(s->enc[rounds])));
  for (int r = 1; r < rounds; r++) {
    const __m128i k = _mm_loadu_si128(reinterpret_cast<const __m128i*>(s->enc[rounds - r]));
    _mm_storeu_si128(reinterpret_cast<__m128i*>(s->dec[r]), _mm_aesimc_si128(k));
  }
  _mm_storeu_si128(reinterpret_cast<__m128i*>(s->dec[rounds]), _mm_loadu_si128(reinterpret_cast<const __m128i*>(s->enc[0])));
  s->rounds = rounds;
  secure_wipe(w, sizeof w);
}

}  // namespace sectorcrypt
