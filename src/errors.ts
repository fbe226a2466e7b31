/** Stable error codes. Callers branch on `code`, never on `message`. */
export type SectorCryptErrorCode =
  | 'ERR_KEY_LENGTH'
  | 'ERR_XTS_WEAK_KEY'
  | 'ERR_NONCE_LENGTH'
  | 'ERR_SECTOR_ALIGNMENT'
  | 'ERR_DATA_LENGTH'
  | 'ERR_AUTH'
  | 'ERR_TRUNCATED'
  | 'ERR_TRAILING_DATA'
  | 'ERR_BACKEND_UNAVAILABLE'
  | 'ERR_ARGUMENT'
  | 'ERR_UNSUPPORTED'
  | 'ERR_CORRUPT_HEADER'
  | 'ERR_NO_KEYSLOT'
  | 'ERR_OUT_OF_RANGE'
  | 'ERR_CLOSED'
  // File system: a missing path, data that would be replaced, any other OS failure.
  | 'ERR_EXISTS'
  | 'ERR_NOT_FOUND'
  | 'ERR_IO'
  // Key custody (envelope, broker, agent, audit log).
  | 'ERR_NO_IDENTITY'
  // Fewer than k members of an envelope's threshold group gave their share (each one named).
  | 'ERR_THRESHOLD'
  | 'ERR_DENIED'
  | 'ERR_PENDING'
  | 'ERR_EXPIRED'
  | 'ERR_UNAUTHENTICATED'
  | 'ERR_FORBIDDEN'
  // An approver's vote needs a fresher sign-in, or one with a second factor (step-up).
  | 'ERR_STEP_UP'
  | 'ERR_REPLAY'
  | 'ERR_CONFLICT'
  | 'ERR_POLICY_INVALID'
  | 'ERR_AUDIT_TAMPERED'
  // The broker's 429 (too many requests; see Retry-After).
  | 'ERR_RATE_LIMITED'
  // The broker's root.key is not the one the database's secrets are sealed under (rotated).
  | 'ERR_ROOT_KEY_MISMATCH'
  // The TPM (through tpm2-tools) refused or failed an operation the agent asked of it.
  | 'ERR_TPM';

/** The one error class the library throws. Messages never contain key material. */
export class SectorCryptError extends Error {
  readonly code: SectorCryptErrorCode;

  constructor(code: SectorCryptErrorCode, message: string, options?: { cause?: unknown }) {
    super(`${message} (${code})`, options);
    this.name = 'SectorCryptError';
    this.code = code;
  }
}
