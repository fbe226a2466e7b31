// The `vaes-avx2` kernel: VAES and VPCLMULQDQ on 256-bit registers (Zen 3, Alder Lake).
#pragma GCC target("aes,pclmul,ssse3,sse4.1,avx,avx2,vaes,vpclmulqdq")

#include "vec128.h"
#include "vec256.h"
#include "gcm_body.h"
#include "xts_body.h"

namespace sectorcrypt {

extern const Kernel kKernelVaesAvx2 = {
    "vaes-avx2", xts_sectors_dispatch<V256>, xts_unit_dispatch<V256>, gcm_init<V256>, gcm_seal<V256>, gcm_open<V256>, aes_ceiling<V256>,
};

}  // namespace sectorcrypt
