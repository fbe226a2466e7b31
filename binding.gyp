{
  "variables": {
    # SECTORCRYPT_SANITIZE=1 builds with AddressSanitizer and UBSan (npm run test:asan).
    "sanitize%": "<!(node -p \"process.env.SECTORCRYPT_SANITIZE || 0\")"
  },
  "targets": [
    {
      "target_name": "sectorcrypt",
      "sources": [
        "native/addon.cc",
        "native/malloc_tuning.cc",
        "native/cpu.cc",
        "native/kernels.cc",
        "native/xts_key.cc",
        "native/gcm_key.cc"
      ],
      "dependencies": ["<!(node -p \"require('node-addon-api').targets\"):node_addon_api_except"],
      "defines": ["NAPI_VERSION=8"],
      "cflags_cc": ["-std=c++17", "-O3", "-Wall", "-Wextra", "-fvisibility=hidden"],
      "conditions": [
        ["target_arch == 'x64'", {
          "sources": [
            "native/aes_schedule.cc",
            "native/kernel_aesni.cc",
            "native/kernel_vaes_avx2.cc",
            "native/kernel_vaes_avx512.cc"
          ]
        }],
        # AArch64: the armv8-ce kernel (cross-built by scripts/build-arm64.sh).
        ["target_arch == 'arm64'", {
          "sources": [
            "native/aes_schedule.cc",
            "native/kernel_armv8.cc"
          ]
        }],
        ["sanitize == 1", {
          "cflags_cc": ["-fsanitize=address,undefined", "-fno-omit-frame-pointer", "-fno-sanitize-recover=undefined", "-O1", "-g"],
          "defines": ["SECTORCRYPT_DEBUG_ASSERTS"],
          "ldflags": ["-fsanitize=address,undefined"]
        }]
      ]
    }
  ]
}
