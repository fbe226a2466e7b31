// AES key schedules (FIPS 197), expanded once per key with the CPU's AES instructions.
#pragma once

#include <cstddef>
#include <cstdint>

namespace sectorcrypt {

struct alignas(64) AesSchedule {
  uint8_t enc[15][16];  // round keys 0..rounds for encryption
  uint8_t dec[15][16];  // the equivalent inverse cipher's keys for AESDEC
  int rounds;           // 10, 12 or 14
};

// key_len is 16, 24 or 32. Needs AES-NI or the ARMv8 AES instructions (every kernel does).
void aes_expand(AesSchedule* s, const uint8_t* key, size_t key_len);

// Both halves of an XTS key: data key (Key1) and tweak key (Key2).
struct XtsKeys {
  AesSchedule data;
  AesSchedule tweak;
};

// Powers of H kept per GCM key: the widest GHASH group (8 registers of 4 lanes) needs all 32.
constexpr size_t kGcmHPowers = 32;

// An AES-GCM key: the schedule and H^32..H^1 in the GHASH form the kernels use.
struct GcmKeys {
  AesSchedule aes;
  alignas(64) uint8_t hpow[kGcmHPowers][16];  // hpow[i] = H^(32 - i), bit-reflected, times x
};

}  // namespace sectorcrypt
