/**
 * TPM2_MakeCredential on the broker (TPM 2.0 Part 3 §12.6, Part 1 §24 "Credential
 * Protection"): a secret only the TPM that holds the EK can open, and only for the object
 * whose Name it was made for (TPM2_ActivateCredential checks the Name of a key loaded in that
 * TPM). The broker sends it to an agent with a new AK; the secret coming back proves the AK is
 * in the same TPM as the certified EK.
 *
 * Steps (Part 1 §24.4, with the secret sharing of Annex B.10.3 / C.6.4):
 *   seed             random, as long as the EK's nameAlg digest, shared with the EK:
 *                    RSA: OAEP(nameAlg) with label "IDENTITY\0";
 *                    ECC: ephemeral ECDH, seed = KDFe(nameAlg, Z, "IDENTITY", Qe.x, Qek.x)
 *   symKey           KDFa(nameAlg, seed, "STORAGE", Name, "", EK symmetric keyBits)
 *   encIdentity      AES-CFB(symKey, IV = 0, TPM2B_DIGEST(secret))
 *   HMACkey          KDFa(nameAlg, seed, "INTEGRITY", "", "", digest bits)
 *   outerHMAC        HMAC_nameAlg(HMACkey, encIdentity || Name)
 *   credentialBlob   TPM2B_ID_OBJECT = TPM2B_DIGEST(outerHMAC) || encIdentity
 */
import { constants, createCipheriv, createHmac, diffieHellman, generateKeyPairSync, publicEncrypt, randomBytes } from 'node:crypto';
import { SectorCryptError } from '../../../errors.js';
import { CURVES, HASHES, TPM_ALG } from './alg.js';
import { kdfa, kdfe } from './kdf.js';
import { missingAttributes, publicKeyObject, type TpmPublic } from './public.js';
import { concatBytes, u16be } from './reader.js';

export interface MadeCredential {
  /** The contents of TPM2B_ID_OBJECT (without its own size): TPM2B_DIGEST(outerHMAC) || encIdentity. */
  idObject: Uint8Array;
  /** The contents of TPM2B_ENCRYPTED_SECRET: the OAEP ciphertext, or the marshaled ephemeral TPMS_ECC_POINT. */
  encryptedSecret: Uint8Array;
}

function shareSeed(ek: TpmPublic): { seed: Uint8Array; encryptedSecret: Uint8Array } {
  const hash = HASHES[ek.nameAlg]!;
  if (ek.type === 'rsa') {
    const seed = new Uint8Array(randomBytes(hash.size));
    const encryptedSecret = publicEncrypt(
      {
        key: publicKeyObject(ek),
        padding: constants.RSA_PKCS1_OAEP_PADDING,
        oaepHash: hash.name,
        oaepLabel: Buffer.from('IDENTITY\0', 'latin1'),
      },
      seed,
    );
    return { seed, encryptedSecret: new Uint8Array(encryptedSecret) };
  }
  const curve = CURVES[ek.curve]!;
  const eph = generateKeyPairSync('ec', { namedCurve: curve.jwk });
  const jwk = eph.publicKey.export({ format: 'jwk' });
  const ex = new Uint8Array(Buffer.from(jwk.x!, 'base64url'));
  const ey = new Uint8Array(Buffer.from(jwk.y!, 'base64url'));
  // Z: the x coordinate of d_e * Q_ek (SP 800-56A §5.7.1.2), as node:crypto's ECDH returns it.
  const z = new Uint8Array(diffieHellman({ privateKey: eph.privateKey, publicKey: publicKeyObject(ek) }));
  const seed = kdfe(ek.nameAlg, z, 'IDENTITY', ex, ek.x, hash.size * 8);
  z.fill(0);
  return { seed, encryptedSecret: concatBytes(u16be(ex.length), ex, u16be(ey.length), ey) };
}

/** An EK that can protect a credential: a restricted decryption key with an AES-CFB symmetric. */
export function checkEkForCredential(ek: TpmPublic): string | undefined {
  const missing = missingAttributes(ek, ['restricted', 'decrypt', 'fixedTPM', 'fixedParent']);
  if (missing.length) return `the EK lacks ${missing.join(', ')}`;
  if (ek.symmetric.algorithm !== TPM_ALG.AES || ek.symmetric.mode !== TPM_ALG.CFB || ![128, 192, 256].includes(ek.symmetric.keyBits))
    return 'the EK has no AES-CFB symmetric definition';
  return undefined;
}

/** MakeCredential(ek, objectName, secret). */
export function makeCredential(ek: TpmPublic, objectName: Uint8Array, secret: Uint8Array): MadeCredential {
  const bad = checkEkForCredential(ek);
  if (bad) throw new SectorCryptError('ERR_ARGUMENT', `cannot make a credential: ${bad}`);
  const hash = HASHES[ek.nameAlg]!;
  if (secret.length < 1 || secret.length > hash.size)
    throw new SectorCryptError('ERR_ARGUMENT', `a credential secret is 1 to ${hash.size} bytes`);
  const { seed, encryptedSecret } = shareSeed(ek);
  const symKey = kdfa(ek.nameAlg, seed, 'STORAGE', objectName, new Uint8Array(0), ek.symmetric.keyBits);
  const hmacKey = kdfa(ek.nameAlg, seed, 'INTEGRITY', new Uint8Array(0), new Uint8Array(0), hash.size * 8);
  try {
    const cipher = createCipheriv(`aes-${ek.symmetric.keyBits}-cfb`, symKey, Buffer.alloc(16));
    const plain = concatBytes(u16be(secret.length), secret);
    const encIdentity = new Uint8Array(Buffer.concat([cipher.update(plain), cipher.final()]));
    plain.fill(0);
    const outerHmac = createHmac(hash.name, hmacKey).update(encIdentity).update(objectName).digest();
    return { idObject: concatBytes(u16be(outerHmac.length), outerHmac, encIdentity), encryptedSecret };
  } finally {
    seed.fill(0);
    symKey.fill(0);
    hmacKey.fill(0);
  }
}
