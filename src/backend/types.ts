/**
 * The backend interface: what the cipher layer (src/xts.ts, src/gcm.ts) hands down.
 *
 * Every call is batch-shaped: many sectors or one whole message per call. Arguments
 * arrive already validated by the cipher layer; backends still must not read or write
 * out of bounds if they are not (the native side checks again).
 */

/** An expanded XTS key (both halves). */
export interface XtsKeyHandle {
  /**
   * Encrypts `src.length / sectorSize` consecutive sectors into `dst` (same length,
   * may be `src` itself). Sector i uses the tweak `firstTweak + i * tweakStep`, a
   * 128-bit little-endian integer; `firstTweak` is 16 bytes.
   */
  encryptSectors(src: Uint8Array, dst: Uint8Array, sectorSize: number, firstTweak: Uint8Array, tweakStep: number): void;
  decryptSectors(src: Uint8Array, dst: Uint8Array, sectorSize: number, firstTweak: Uint8Array, tweakStep: number): void;
  /** Same as the sync calls, off the event loop where the backend can. */
  encryptSectorsAsync(src: Uint8Array, dst: Uint8Array, sectorSize: number, firstTweak: Uint8Array, tweakStep: number): Promise<void>;
  decryptSectorsAsync(src: Uint8Array, dst: Uint8Array, sectorSize: number, firstTweak: Uint8Array, tweakStep: number): Promise<void>;
  /** One data unit of any length >= 16 under a raw 16-byte tweak, with ciphertext stealing. */
  encryptUnit(tweak: Uint8Array, src: Uint8Array, dst: Uint8Array): void;
  decryptUnit(tweak: Uint8Array, src: Uint8Array, dst: Uint8Array): void;
  /** Overwrites the key schedules. Later calls are a programming error. */
  destroy(): void;
}

/** An expanded AES-GCM key. */
export interface GcmKeyHandle {
  /**
   * Writes ciphertext || 16-byte tag into dst (length plaintext.length + 16). dst may share
   * memory with any input, in any way: the backend reads from copies where it must.
   */
  seal(nonce: Uint8Array, plaintext: Uint8Array, aad: Uint8Array, dst: Uint8Array): void;
  /**
   * Verifies and decrypts `sealed` (ciphertext || tag) into dst (length sealed.length - 16).
   * Returns false on a bad tag, and then dst holds zeros only. dst may share memory with
   * any input, as for seal.
   */
  open(nonce: Uint8Array, sealed: Uint8Array, aad: Uint8Array, dst: Uint8Array): boolean;
  /**
   * Seals src.length / chunkSize chunks of chunkSize bytes; chunk i uses the nonce
   * baseNonce XOR (firstIndex + i) as a big-endian integer and empty AAD, and is written
   * to dst as ciphertext || tag (chunkSize + 16 bytes).
   */
  sealChunks(baseNonce: Uint8Array, src: Uint8Array, chunkSize: number, firstIndex: number, dst: Uint8Array): void;
  /**
   * Opens src.length / (chunkSize + 16) sealed chunks the same way into dst. Returns how
   * many leading chunks authenticated; from the first that did not, dst is zeroed.
   */
  openChunks(baseNonce: Uint8Array, src: Uint8Array, chunkSize: number, firstIndex: number, dst: Uint8Array): number;
  sealChunksAsync(baseNonce: Uint8Array, src: Uint8Array, chunkSize: number, firstIndex: number, dst: Uint8Array): Promise<void>;
  openChunksAsync(baseNonce: Uint8Array, src: Uint8Array, chunkSize: number, firstIndex: number, dst: Uint8Array): Promise<number>;
  destroy(): void;
}

export interface Backend {
  readonly name: 'native' | 'portable';
  /** Kernel in use: 'aesni', 'vaes-avx2', 'vaes-avx512', 'armv8-ce' or 'portable'. */
  readonly kernel: string;
  /** key: 32, 48 or 64 bytes (both halves, data key first). Halves already checked unequal. */
  xtsKey(key: Uint8Array): XtsKeyHandle;
  /** key: 16, 24 or 32 bytes. */
  gcmKey(key: Uint8Array): GcmKeyHandle;
}
