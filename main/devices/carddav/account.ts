// A CardDAV account: its login (kept as a salted scrypt hash, never the password) and the
// URLs of its principal and its one address book.
import { randomBytes, scryptSync, timingSafeEqual } from 'node:crypto';
import type { DeviceRecord } from '../../hub/types';

export interface CarddavConfig {
  user: string;
  /** `scrypt$N$salt$hash`, salt and hash base64url. */
  secret: string;
  /** The vCard version a client of this account last wrote: what the hub writes new cards in. */
  version?: '3.0' | '4.0';
}

const N = 16384;

export function hashSecret(password: string): string {
  const salt = randomBytes(16);
  const hash = scryptSync(password, salt, 32, { N });
  return `scrypt$${N}$${salt.toString('base64url')}$${hash.toString('base64url')}`;
}

export function checkSecret(password: string, secret: string): boolean {
  const [kind, n, salt, hash] = secret.split('$');
  if (kind !== 'scrypt' || !n || !salt || !hash) return false;
  const want = Buffer.from(hash, 'base64url');
  const got = scryptSync(password, Buffer.from(salt, 'base64url'), want.length, { N: Number(n) });
  return got.length === want.length && timingSafeEqual(got, want);
}

export function carddavConfigOf(d: DeviceRecord | undefined): CarddavConfig | undefined {
  const c = d?.kind === 'carddav' ? (d.config as { carddav?: CarddavConfig }).carddav : undefined;
  return c && typeof c.user === 'string' && typeof c.secret === 'string' ? c : undefined;
}

export const USER_RE = /^[A-Za-z0-9][A-Za-z0-9._@-]{0,63}$/;

export const ROOT = '/dav/';
export const principalPath = (user: string): string => `${ROOT}${encodeURIComponent(user)}/`;
export const bookPath = (user: string): string => `${principalPath(user)}contacts/`;
