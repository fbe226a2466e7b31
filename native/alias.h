// Inputs that share memory with the output. A kernel reads its inputs while it writes the
// output, so an input that overlaps the output (other than the exact in-place case the
// kernels support) is read from a private copy, wiped when the call ends. The check is two
// pointer comparisons: the JavaScript layer no longer has to compare ArrayBuffers per call.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <vector>

#include "args.h"
#include "wipe.h"

namespace sectorcrypt {

inline bool overlaps(const Bytes& a, const Bytes& b) {
  if (a.size == 0 || b.size == 0) return false;
  const uintptr_t a0 = reinterpret_cast<uintptr_t>(a.data), b0 = reinterpret_cast<uintptr_t>(b.data);
  return a0 < b0 + b.size && b0 < a0 + a.size;
}

// `input`, or a private copy of it when it overlaps `out` (and, with in_place_ok, does not
// start at the same byte).
class Detached {
 public:
  Detached(const Bytes& input, const Bytes& out, bool in_place_ok) : data_(input.data) {
    if (overlaps(input, out) && !(in_place_ok && input.data == out.data)) {
      copy_.assign(input.data, input.data + input.size);
      data_ = copy_.data();
    }
  }
  ~Detached() { secure_wipe(copy_.data(), copy_.size()); }
  Detached(const Detached&) = delete;
  Detached& operator=(const Detached&) = delete;

  const uint8_t* data() const { return data_; }

 private:
  std::vector<uint8_t> copy_;
  const uint8_t* data_;
};

}  // namespace sectorcrypt
