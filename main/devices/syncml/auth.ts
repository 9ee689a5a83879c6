// SyncML authentication (OMA DS 1.2 representation protocol §5.6): basic and MD5 with a
// server-issued nonce. The hub keeps b64(md5(user:password)) per device — what MD5 needs to
// check a digest — never the password itself; basic credentials are checked by computing
// the same digest from what the client sent.
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

export interface StoredCredentials {
  user: string;
  /** b64(md5("user:password")): the SyncML 1.1+ MD5 credential's inner digest. */
  digest: string;
}

export function md5b64(s: string | Buffer): string {
  return createHash('md5').update(s).digest('base64');
}

export function credentialDigest(user: string, password: string): string {
  return md5b64(Buffer.from(`${user}:${password}`, 'utf8'));
}

/** The nonce itself is plain text; it travels b64-encoded (Chal Format b64), and the
 *  client hashes the decoded text. */
export function newNonce(): string {
  return randomBytes(12).toString('hex');
}

export function nonceOnWire(nonce: string): string {
  return Buffer.from(nonce, 'utf8').toString('base64');
}

function same(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

export type CredKind = 'basic' | 'md5';

export interface PresentedCred {
  kind: CredKind;
  /** Basic carries the user inside the credential; MD5 names it in SyncHdr/Source/LocName. */
  user: string;
  data: string;
}

/** Reads what a client presented. `locName` is SyncHdr/Source/LocName. */
export function readCred(type: string | undefined, data: string, locName: string | undefined): PresentedCred | null {
  const t = (type ?? 'syncml:auth-basic').toLowerCase();
  if (t === 'syncml:auth-basic') {
    const plain = Buffer.from(data, 'base64').toString('utf8');
    const colon = plain.indexOf(':');
    if (colon < 0) return null;
    return { kind: 'basic', user: plain.slice(0, colon), data: plain.slice(colon + 1) };
  }
  if (t === 'syncml:auth-md5') return { kind: 'md5', user: locName ?? '', data };
  return null;
}

/** Checks a credential against the stored digest. MD5: b64(md5(digest ":" nonce)). */
export function verifyCred(c: PresentedCred, stored: StoredCredentials, nonce: string | undefined): boolean {
  if (c.user !== stored.user) return false;
  if (c.kind === 'basic') return same(credentialDigest(c.user, c.data), stored.digest);
  if (nonce === undefined) return false;
  return same(md5b64(Buffer.from(`${stored.digest}:${nonce}`, 'utf8')), c.data);
}

/** Failed logins per (address, user): after `max` failures within `windowMs` further
 *  attempts are refused without checking until the window has passed. */
export class LoginLimiter {
  private readonly fails = new Map<string, { count: number; since: number }>();
  constructor(
    private readonly max = 8,
    private readonly windowMs = 60_000,
    private readonly now: () => number = Date.now,
  ) {}
  blocked(key: string): boolean {
    const f = this.fails.get(key);
    if (!f) return false;
    if (this.now() - f.since > this.windowMs) {
      this.fails.delete(key);
      return false;
    }
    return f.count >= this.max;
  }
  failed(key: string): void {
    const f = this.fails.get(key);
    if (!f || this.now() - f.since > this.windowMs) this.fails.set(key, { count: 1, since: this.now() });
    else f.count += 1;
    if (this.fails.size > 10_000) this.fails.clear(); // bounded memory under a flood
  }
  succeeded(key: string): void {
    this.fails.delete(key);
  }
}
