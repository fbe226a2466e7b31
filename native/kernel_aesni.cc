// The `aesni` kernel: 128-bit registers, AES-NI and PCLMULQDQ (x86-64 since about 2010).
#pragma GCC target("aes,pclmul,ssse3,sse4.1")

#include "vec128.h"
#include "gcm_body.h"
#include "xts_body.h"

namespace sectorcrypt {

extern const Kernel kKernelAesni = {
    "aesni", xts_sectors_dispatch<V128>, xts_unit_dispatch<V128>, gcm_init<V128>, gcm_seal<V128>, gcm_open<V128>, aes_ceiling<V128>,
};

}  // namespace sectorcrypt
