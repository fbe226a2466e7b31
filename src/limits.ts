/** Sizes the cipher layer and the formats above it share; native/kernel.h holds the same. */

/**
 * The largest sector, XTS data unit or GCM chunk one call takes. IEEE 1619 caps an XTS data
 * unit at 2^20 blocks (16 MiB), and OpenSSL refuses more too; the addon's kMaxUnitBytes.
 */
export const MAX_UNIT_BYTES = 16 * 1024 * 1024;

/** AES-GCM tags are always the full 16 bytes here (SP 800-38D allows shorter; we do not). */
export const GCM_TAG_BYTES = 16;
