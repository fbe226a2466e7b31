// The armv8-ce kernel on its own, without Node: reads the cases test/arm64-cases.ts wrote
// (known answers and x86 kernel outputs) and checks every direction, in place and out of
// place. Built for arm64 and run under qemu by scripts/test-arm64.sh:
//   arm64-kernel CASES_FILE
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "../native/cpu.h"
#include "../native/kernel.h"

using sectorcrypt::Kernel;
using Bytes = std::vector<uint8_t>;

namespace {

int nibble(char c) { return c <= '9' ? c - '0' : (c | 0x20) - 'a' + 10; }

Bytes from_hex(const std::string& s) {
  Bytes out;
  if (s == "-") return out;
  out.resize(s.size() / 2);
  for (size_t i = 0; i < out.size(); i++) out[i] = static_cast<uint8_t>(nibble(s[2 * i]) << 4 | nibble(s[2 * i + 1]));
  return out;
}

sectorcrypt::u128 parse_u128(const std::string& s) {
  sectorcrypt::u128 v = 0;
  for (char c : s) v = v * 10 + static_cast<unsigned>(c - '0');
  return v;
}

bool same(const uint8_t* a, const Bytes& b) { return b.empty() || std::memcmp(a, b.data(), b.size()) == 0; }

bool all_zero(const uint8_t* p, size_t n) {
  for (size_t i = 0; i < n; i++) {
    if (p[i] != 0) return false;
  }
  return true;
}

struct Xts {
  sectorcrypt::XtsKeys keys;
  explicit Xts(const Bytes& key) {
    const size_t half = key.size() / 2;
    sectorcrypt::aes_expand(&keys.data, key.data(), half);
    sectorcrypt::aes_expand(&keys.tweak, key.data() + half, half);
  }
};

struct Gcm {
  sectorcrypt::GcmKeys keys;
  Gcm(const Kernel& k, const Bytes& key) {
    sectorcrypt::aes_expand(&keys.aes, key.data(), key.size());
    k.gcm_init(keys);
  }
};

// A copy of the bytes with room after them, so an overrun shows up as a changed guard.
constexpr uint8_t kGuard = 0xa5;
Bytes guarded(const Bytes& b, size_t len) {
  Bytes out(b);
  out.resize(len + 16, kGuard);
  return out;
}
bool guard_ok(const Bytes& b, size_t len) {
  for (size_t i = len; i < b.size(); i++) {
    if (b[i] != kGuard) return false;
  }
  return true;
}

bool xts_unit(const Kernel& k, std::istringstream& in) {
  std::string key, tweak, pt, ct;
  in >> key >> tweak >> pt >> ct;
  const Xts x(from_hex(key));
  const Bytes t = from_hex(tweak), p = from_hex(pt), c = from_hex(ct);
  Bytes out = guarded({}, p.size());
  k.xts_unit(x.keys, true, t.data(), p.data(), out.data(), p.size());
  bool ok = same(out.data(), c) && guard_ok(out, p.size());
  k.xts_unit(x.keys, false, t.data(), c.data(), out.data(), c.size());
  ok = ok && same(out.data(), p) && guard_ok(out, p.size());
  Bytes inplace = guarded(p, p.size());
  k.xts_unit(x.keys, true, t.data(), inplace.data(), inplace.data(), p.size());
  return ok && same(inplace.data(), c) && guard_ok(inplace, p.size());
}

bool xts_sectors(const Kernel& k, std::istringstream& in) {
  std::string key, size, step, first, pt, ct;
  in >> key >> size >> step >> first >> pt >> ct;
  const Xts x(from_hex(key));
  const Bytes p = from_hex(pt), c = from_hex(ct);
  const size_t sector_size = std::stoul(size);
  const uint64_t tweak_step = std::stoull(step);
  const sectorcrypt::u128 first_tweak = parse_u128(first) * tweak_step;
  const size_t n = p.size() / sector_size;
  Bytes out = guarded({}, p.size());
  k.xts_sectors(x.keys, true, p.data(), out.data(), sector_size, n, first_tweak, tweak_step);
  bool ok = same(out.data(), c) && guard_ok(out, p.size());
  k.xts_sectors(x.keys, false, c.data(), out.data(), sector_size, n, first_tweak, tweak_step);
  ok = ok && same(out.data(), p);
  Bytes inplace = guarded(c, c.size());
  k.xts_sectors(x.keys, false, inplace.data(), inplace.data(), sector_size, n, first_tweak, tweak_step);
  return ok && same(inplace.data(), p) && guard_ok(inplace, p.size());
}

bool gcm(const Kernel& k, std::istringstream& in) {
  std::string key, nonce, aad, pt, sealed;
  in >> key >> nonce >> aad >> pt >> sealed;
  const Gcm g(k, from_hex(key));
  const Bytes iv = from_hex(nonce), a = from_hex(aad), p = from_hex(pt), s = from_hex(sealed);
  Bytes out = guarded({}, s.size());
  k.gcm_seal(g.keys, iv.data(), a.data(), a.size(), p.data(), p.size(), out.data());
  bool ok = same(out.data(), s) && guard_ok(out, s.size());
  Bytes opened = guarded({}, p.size());
  ok = ok && k.gcm_open(g.keys, iv.data(), a.data(), a.size(), s.data(), p.size(), s.data() + p.size(), opened.data());
  ok = ok && same(opened.data(), p) && guard_ok(opened, p.size());
  // In place both ways: seal over the plaintext, open over the sealed text.
  Bytes inplace = guarded(p, s.size());
  k.gcm_seal(g.keys, iv.data(), a.data(), a.size(), inplace.data(), p.size(), inplace.data());
  ok = ok && same(inplace.data(), s);
  ok = ok && k.gcm_open(g.keys, iv.data(), a.data(), a.size(), inplace.data(), p.size(), inplace.data() + p.size(), inplace.data());
  return ok && same(inplace.data(), p);
}

bool gcm_fail(const Kernel& k, std::istringstream& in) {
  std::string key, nonce, aad, sealed;
  in >> key >> nonce >> aad >> sealed;
  const Gcm g(k, from_hex(key));
  const Bytes iv = from_hex(nonce), a = from_hex(aad), s = from_hex(sealed);
  const size_t len = s.size() - 16;
  Bytes out(len + 1, 0xff);
  const bool opened = k.gcm_open(g.keys, iv.data(), a.data(), a.size(), s.data(), len, s.data() + len, out.data());
  return !opened && all_zero(out.data(), len) && out[len] == 0xff;
}

// The chunk batch: chunk i under nonce = base XOR (first + i), big-endian, no AAD.
bool gcm_chunks(const Kernel& k, std::istringstream& in) {
  std::string key, base, size, first, pt, sealed;
  in >> key >> base >> size >> first >> pt >> sealed;
  const Gcm g(k, from_hex(key));
  const Bytes b = from_hex(base), p = from_hex(pt), s = from_hex(sealed);
  const size_t chunk = std::stoul(size);
  const uint64_t index = std::stoull(first);
  bool ok = true;
  for (size_t i = 0; i < p.size() / chunk; i++) {
    uint8_t nonce[12];
    std::memcpy(nonce, b.data(), 12);
    for (int j = 0; j < 8; j++) nonce[11 - j] ^= static_cast<uint8_t>((index + i) >> (8 * j));
    Bytes out(chunk + 16);
    k.gcm_seal(g.keys, nonce, nullptr, 0, p.data() + i * chunk, chunk, out.data());
    ok = ok && std::memcmp(out.data(), s.data() + i * (chunk + 16), chunk + 16) == 0;
    ok = ok && k.gcm_open(g.keys, nonce, nullptr, 0, out.data(), chunk, out.data() + chunk, out.data());
    ok = ok && std::memcmp(out.data(), p.data() + i * chunk, chunk) == 0;
  }
  return ok;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: %s CASES_FILE\n", argv[0]);
    return 2;
  }
  const sectorcrypt::CpuFeatures& f = sectorcrypt::cpu_features();
  std::printf("HWCAP: aes=%d pmull=%d\n", f.aes, f.pmull);
  const Kernel* k = sectorcrypt::find_kernel("armv8-ce");
  if (k == nullptr) {
    std::fprintf(stderr, "kernel armv8-ce is not available here\n");
    return 1;
  }
  std::ifstream file(argv[1]);
  if (!file) {
    std::fprintf(stderr, "cannot read %s\n", argv[1]);
    return 2;
  }
  std::string line;
  size_t lineno = 0, checked = 0, failed = 0;
  while (std::getline(file, line)) {
    lineno++;
    if (line.empty()) continue;
    std::istringstream in(line);
    std::string kind;
    in >> kind;
    bool ok;
    if (kind == "xts-unit") ok = xts_unit(*k, in);
    else if (kind == "xts-sectors") ok = xts_sectors(*k, in);
    else if (kind == "gcm") ok = gcm(*k, in);
    else if (kind == "gcm-fail") ok = gcm_fail(*k, in);
    else if (kind == "gcm-chunks") ok = gcm_chunks(*k, in);
    else {
      std::fprintf(stderr, "line %zu: unknown case %s\n", lineno, kind.c_str());
      return 2;
    }
    checked++;
    if (!ok) {
      if (failed < 20) std::fprintf(stderr, "FAIL line %zu: %s\n", lineno, line.substr(0, 160).c_str());
      failed++;
    }
  }
  std::printf("armv8-ce: %zu cases, %zu failed\n", checked, failed);
  return failed == 0 && checked > 0 ? 0 : 1;
}
