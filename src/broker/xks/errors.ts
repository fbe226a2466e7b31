/**
 * The XKS proxy's error answers: `{errorName, errorMessage}` with the status of the spec's table
 * (xks_proxy_api_spec.md "Error codes"). The spec has no KeyDisabledException: a disabled key or
 * keystore is its InvalidStateException (400), as docs/xks.md says.
 */

/** Every error name of "Error codes", with its HTTP status. */
export const XKS_ERRORS = {
  ValidationException: 400,
  InvalidStateException: 400,
  InvalidCiphertextException: 400,
  InvalidKeyUsageException: 400,
  AuthenticationFailedException: 401,
  AccessDeniedException: 403,
  KeyNotFoundException: 404,
  InvalidUriPathException: 404,
  ThrottlingException: 429,
  UnsupportedOperationException: 501,
  DependencyTimeoutException: 503,
  InternalException: 500,
} as const;

export type XksErrorName = keyof typeof XKS_ERRORS;

/** "Error codes": the optional errorMessage is under 512 characters of printable ASCII. */
const MAX_MESSAGE = 511;

export function xksMessage(s: string): string {
  return s.replace(/[^\x20-\x7e]/g, '?').slice(0, MAX_MESSAGE);
}

/** An XKS API refusal; the HTTP layer answers it in the spec's shape (http/errors.ts). */
export class XksError extends Error {
  readonly errorName: XksErrorName;
  readonly status: number;
  constructor(errorName: XksErrorName, message: string) {
    super(xksMessage(message));
    this.name = 'XksError';
    this.errorName = errorName;
    this.status = XKS_ERRORS[errorName];
  }

  get body(): { errorName: XksErrorName; errorMessage: string } {
    return { errorName: this.errorName, errorMessage: this.message };
  }
}

/**
 * A call refused by a keystore's mutual TLS (xks/mtls.ts): the spec's "terminate", so the
 * HTTP layer destroys the connection without an answer (http/errors.ts).
 */
export class XksMtlsRefused extends Error {
  constructor() {
    super('refused by the keystore mutual TLS');
    this.name = 'XksMtlsRefused';
  }
}
