// The `vaes-avx512` kernel: VAES and VPCLMULQDQ on 512-bit registers (Ice Lake, Zen 4 and later).
// GCC 12's AVX-512 intrinsics start from a self-initialised "undefined" register and
// warn about it wherever they inline (GCC bug 105593, fixed in GCC 13).
#pragma GCC diagnostic ignored "-Wuninitialized"
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#pragma GCC target("aes,pclmul,ssse3,sse4.1,avx,avx2,avx512f,avx512vl,avx512bw,vaes,vpclmulqdq")

#include "vec128.h"
#include "vec512.h"
#include "gcm_body.h"
#include "xts_body.h"

namespace sectorcrypt {

extern const Kernel kKernelVaesAvx512 = {
    "vaes-avx512", xts_sectors_dispatch<V512>, xts_unit_dispatch<V512>, gcm_init<V512>, gcm_seal<V512>, gcm_open<V512>, aes_ceiling<V512>,
};

}  // namespace sectorcrypt
