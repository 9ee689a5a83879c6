// SyncML authentication (OMA DS 1.2 representation protocol §5.6): basic and MD5 with a
// server-issued nonce. The hub keeps b64(md5(user:password)) per device — what MD5 needs to
// check a digest — never the password itself; basic credentials are checked by computing
// the same digest from what the client sent.
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { DeviceRecord } from '../../hub/types';
import { CONTENT_TYPE, encodeMessage, versionOf, type Encoding } from './codec';
import { syncmlConfigOf, type StoredCredentials, type SyncmlHub } from './device-config';
import type { Command, Message } from './model';
import { HttpError, hdrStatus, plain, type Reply } from './wire';

export type { StoredCredentials };

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

/** The outcome of a session's first message: refused (the reply says why and, for MD5,
 *  carries the nonce to use), or the paired device it logged in as, with the SyncHdr
 *  Status (212, and the next nonce) that opens the session. */
export type LoginOutcome = { refused: Reply } | { device: DeviceRecord; authStatus: Command };

/** Checks the credential of a session's first message against the paired devices. Every
 *  attempt, good or bad, moves the device's nonce on; failures count against (address,
 *  user) in `limiter`. */
export function login(hub: SyncmlHub, limiter: LoginLimiter, remote: string, msg: Message, encoding: Encoding): LoginOutcome {
  const version = versionOf(msg);
  const cred = msg.hdr.cred ? readCred(msg.hdr.cred.meta?.type, msg.hdr.cred.data, msg.hdr.sourceName) : null;
  const user = cred?.user ?? msg.hdr.sourceName ?? '';
  const limitKey = `${remote}\u0000${user}`;
  const device = hub.devices().find((d) => d.kind === 'syncml' && syncmlConfigOf(d)?.user === user && user !== '');
  const conf = syncmlConfigOf(device);
  const md5 = cred ? cred.kind === 'md5' : true;
  const refuse = (code: 401 | 407, nonce?: string): LoginOutcome => {
    const body: Command[] = [
      hdrStatus(
        msg,
        code,
        nonce !== undefined || !md5
          ? md5
            ? { type: 'syncml:auth-md5', format: 'b64', nextNonce: nonceOnWire(nonce as string) }
            : { type: 'syncml:auth-basic', format: 'b64' }
          : undefined,
      ),
    ];
    const out: Message = {
      hdr: {
        verDTD: version,
        verProto: `SyncML/${version}`,
        sessionId: msg.hdr.sessionId,
        msgId: '1',
        target: msg.hdr.source,
        source: msg.hdr.target,
      },
      body,
      final: true,
    };
    return { refused: { status: 200, contentType: CONTENT_TYPE[encoding], body: encodeMessage(out, encoding, version) } };
  };
  if (limiter.blocked(limitKey)) return { refused: plain(429, 'too many failed logins; try again later') };
  if (!device || !conf || !cred) {
    if (cred) limiter.failed(limitKey);
    // Unknown devices are refused; a client that sent nothing is told how to log in.
    return refuse(cred ? 401 : 407, newNonce());
  }
  if (!verifyCred(cred, conf, conf.nonce)) {
    limiter.failed(limitKey);
    const nonce = newNonce();
    hub.updateDeviceConfig(device.spid, { syncml: { ...conf, nonce } });
    return refuse(401, nonce);
  }
  limiter.succeeded(limitKey);
  // Authenticated. The next session's MD5 credential uses a fresh nonce (212 + Chal).
  const nonce = newNonce();
  const cur = syncmlConfigOf(hub.device(device.spid)) ?? conf;
  const idChanged = cur.deviceId !== undefined && cur.deviceId !== msg.hdr.source;
  hub.updateDeviceConfig(device.spid, {
    syncml: {
      ...cur,
      nonce,
      deviceId: msg.hdr.source,
      // Another client installation under the same login: its anchors mean nothing here.
      ...(idChanged ? { anchors: {} } : {}),
    },
  });
  const authStatus = hdrStatus(msg, 212, cred.kind === 'md5' ? { type: 'syncml:auth-md5', format: 'b64', nextNonce: nonceOnWire(nonce) } : undefined);
  // A session may start at a later message: after a 401 the client retries within the
  // same SyncML session with its next MsgID.
  const firstId = Number(msg.hdr.msgId);
  if (!Number.isSafeInteger(firstId) || firstId < 1) throw new HttpError(400, 'bad MsgID');
  return { device, authStatus };
}
