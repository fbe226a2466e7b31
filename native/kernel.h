// A kernel: one implementation of the XTS and GCM bulk operations for one class of CPU.
// The addon picks one at load (the best the CPU and OS allow) or as SECTORCRYPT_KERNEL says.
#pragma once

#include <cassert>
#include <cstddef>
#include <cstdint>

#include "aes_schedule.h"

namespace sectorcrypt {

using u128 = unsigned __int128;

struct Kernel {
  const char* name;
  // nsectors sectors of sector_size bytes (a multiple of 16); sector i's tweak is the
  // 128-bit little-endian integer first_tweak + i * tweak_step, encrypted under keys.tweak.
  void (*xts_sectors)(const XtsKeys& keys, bool encrypt, const uint8_t* src, uint8_t* dst,
                      size_t sector_size, size_t nsectors, u128 first_tweak, uint64_t tweak_step);
  // One data unit of len >= 16 bytes with ciphertext stealing; tweak is the raw 16 bytes.
  void (*xts_unit)(const XtsKeys& keys, bool encrypt, const uint8_t* tweak, const uint8_t* src,
                   uint8_t* dst, size_t len);
  // Fills keys.hpow from keys.aes.
  void (*gcm_init)(GcmKeys& keys);
  // Writes len bytes of ciphertext and then the 16-byte tag to out.
  void (*gcm_seal)(const GcmKeys& keys, const uint8_t* nonce, const uint8_t* aad, size_t aad_len,
                   const uint8_t* src, size_t len, uint8_t* out);
  // Decrypts len bytes to out and returns whether tag matched; out is zeroed when not.
  bool (*gcm_open)(const GcmKeys& keys, const uint8_t* nonce, const uint8_t* aad, size_t aad_len,
                   const uint8_t* src, size_t len, const uint8_t* tag, uint8_t* out);
  // The calibration kernel (bench): at least bytes of AES with rounds rounds (10, 12 or 14)
  // in independent register chains, no memory traffic; returns the bytes done. sink gets
  // 16 bytes that depend on every chain.
  size_t (*aes_ceiling)(int rounds, size_t bytes, uint8_t* sink);
};

// Kernels this CPU and OS can run, best first. Empty where AES-NI (x86-64) or the AES and
// PMULL instructions (AArch64) are missing.
// Each entry is a static object; the list is fixed after the first call.
const Kernel* const* available_kernels(size_t* count);

// The kernel named name, or nullptr if unknown or not runnable here.
const Kernel* find_kernel(const char* name);

// The largest sector, XTS data unit or GCM chunk one call takes (the JS layer's limit too).
constexpr uint64_t kMaxUnitBytes = uint64_t{16} << 20;

// Checks of the documented kernel contracts, compiled in by debug and sanitizer builds
// (SECTORCRYPT_DEBUG_ASSERTS); the addon's argument checks already guarantee them.
#ifdef SECTORCRYPT_DEBUG_ASSERTS
#define SC_DEBUG_ASSERT(cond) assert(cond)
#else
#define SC_DEBUG_ASSERT(cond) ((void)0)
#endif

// GCM limits (SP 800-38D): at most 2^32 - 2 blocks of text per nonce.
constexpr uint64_t kGcmMaxTextBytes = ((uint64_t{1} << 32) - 2) * 16;

}  // namespace sectorcrypt
