/**
 * Constants of the envelope format (docs/envelope.md "How it works"): the lines that
 * frame a header, the labels its keys are derived with, and the limits a decoder enforces
 * before any key derivation.
 */
export const VERSION_LINE = 'sectorcrypt-envelope/v1';
/** The 23 ASCII bytes of the Cobblestone-256 context, and the prefix of every label. */
export const LABEL = 'sectorcrypt-envelope/v1';
export const STANZA_PREFIX = '-> ';
export const MAC_PREFIX = '---';

/** A whole header, version line through the mac line's LF. */
export const MAX_HEADER_BYTES = 1024 * 1024;
export const MAX_STANZAS = 256;
export const MAX_ARGS = 8;
export const MAX_TYPE_CHARS = 64;
export const MAX_ARG_CHARS = 2048;
/** Body lines hold 64 base64 characters (48 bytes), the last one fewer. */
export const BODY_LINE_CHARS = 64;
/** The longest stanza line: "-> " type, then 8 times " " arg. A longer line is refused unread. */
export const MAX_LINE_BYTES = STANZA_PREFIX.length + MAX_TYPE_CHARS + MAX_ARGS * (1 + MAX_ARG_CHARS);

export const FILE_KEY_BYTES = 32;
export const MAC_BYTES = 32;
/** The Cobblestone salt: the first 24 payload bytes, which name the envelope to the broker. */
export const PAYLOAD_SALT_BYTES = 24;
