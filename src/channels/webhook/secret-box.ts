import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from 'node:crypto';

/**
 * A webhook's signing secret, encrypted at rest: AES-256-GCM under a key derived (HKDF-SHA256)
 * from the deployment's SECRET_KEY, the column's name as associated data. Stored as
 * `v1.<base64url of iv (12 bytes) | ciphertext | tag (16 bytes)>`. A copy of the database alone
 * does not give the secrets away (nor let anyone sign as dondoc).
 *
 * src/services/secret-key.ts keeps the signing key only, and offers no encryption: this is the
 * channel's own. Changing SECRET_KEY makes every stored webhook secret unreadable: each address
 * then fails for good (the channel is disabled for its contact, the digest says so) until an
 * administrator sets it again, which makes a new secret.
 */
const VERSION = 'v1';
const IV = 12;
const TAG = 16;
const AAD = Buffer.from('contacts.webhook_secret', 'utf8');

const keyOf = (secretKey: string): Buffer =>
  Buffer.from(hkdfSync('sha256', secretKey, 'dondoc', 'dondoc webhook secret v1', 32));

export function sealWebhookSecret(secret: string, secretKey: string): string {
  const iv = randomBytes(IV);
  const cipher = createCipheriv('aes-256-gcm', keyOf(secretKey), iv, { authTagLength: TAG });
  cipher.setAAD(AAD);
  const sealed = Buffer.concat([iv, cipher.update(secret, 'utf8'), cipher.final(), cipher.getAuthTag()]);
  return `${VERSION}.${sealed.toString('base64url')}`;
}

/** The secret in clear, or undefined when it cannot be opened (another key, damaged). */
export function openWebhookSecret(stored: string, secretKey: string): string | undefined {
  const [version, data, ...rest] = stored.split('.');
  if (version !== VERSION || data === undefined || rest.length) return undefined;
  const raw = Buffer.from(data, 'base64url');
  if (raw.length <= IV + TAG) return undefined;
  try {
    const decipher = createDecipheriv('aes-256-gcm', keyOf(secretKey), raw.subarray(0, IV), { authTagLength: TAG });
    decipher.setAAD(AAD);
    decipher.setAuthTag(raw.subarray(raw.length - TAG));
    return Buffer.concat([decipher.update(raw.subarray(IV, raw.length - TAG)), decipher.final()]).toString('utf8');
  } catch {
    return undefined;
  }
}
