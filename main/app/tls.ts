// The LAN endpoint's own certificate: self-signed, made at first start and kept in the data
// folder (<data>/tls/cert.pem and key.pem, the key readable by its owner only), so its
// fingerprint stays the same across restarts and a client that pinned it keeps trusting it.
// Its subjectAltName names the machine's host name and LAN addresses, so a client that
// checks names finds the one it typed. Clients verify it by its SHA-256 fingerprint, shown
// in the pairing flow and printed by `concord serve`.
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { generate } from 'selfsigned';

export interface LanCertificate {
  cert: string;
  key: string;
  /** SHA-256 of the DER certificate, as colon-separated upper-case hex (AB:CD:…). */
  fingerprint: string;
  certPath: string;
  keyPath: string;
}

/** A certificate this close to its end is replaced at start (and its new fingerprint shown). */
const RENEW_BEFORE_MS = 30 * 24 * 3600 * 1000;
/** 825 days: the longest validity Apple's clients accept for a TLS server certificate. */
const VALID_DAYS = 825;

export function fingerprintOf(certPem: string): string {
  return new crypto.X509Certificate(certPem).fingerprint256;
}

/** The names a client on the home network may use for this machine. */
export function machineNames(): { dns: string[]; ips: string[] } {
  const host = os.hostname().toLowerCase();
  const dns = new Set<string>(['localhost']);
  if (host) {
    dns.add(host);
    const short = host.split('.')[0]!;
    dns.add(short);
    dns.add(`${short}.local`); // the name mDNS answers for
  }
  const ips = new Set<string>(['127.0.0.1', '::1']);
  for (const list of Object.values(os.networkInterfaces())) {
    for (const a of list ?? []) if (!a.internal && !a.address.startsWith('fe80:')) ips.add(a.address);
  }
  return { dns: [...dns], ips: [...ips] };
}

/** The certificate kept in `<dataDir>/tls`, made now if there is none (or it is unreadable,
 *  or about to expire). */
export async function loadOrCreateCertificate(dataDir: string, now = new Date()): Promise<LanCertificate> {
  const dir = path.join(dataDir, 'tls');
  const certPath = path.join(dir, 'cert.pem');
  const keyPath = path.join(dir, 'key.pem');
  const kept = readKept(certPath, keyPath, now);
  if (kept) return kept;
  fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  const names = machineNames();
  const notAfter = new Date(now.getTime() + VALID_DAYS * 24 * 3600 * 1000);
  const made = await generate([{ name: 'commonName', value: `Concord on ${os.hostname() || 'this computer'}` }], {
    keyType: 'ec',
    curve: 'P-256',
    algorithm: 'sha256',
    notBeforeDate: new Date(now.getTime() - 60_000),
    notAfterDate: notAfter,
    extensions: [
      { name: 'basicConstraints', cA: false },
      { name: 'keyUsage', digitalSignature: true, keyEncipherment: true },
      { name: 'extKeyUsage', serverAuth: true },
      { name: 'subjectAltName', altNames: [...names.dns.map((value) => ({ type: 2 as const, value })), ...names.ips.map((ip) => ({ type: 7 as const, ip }))] },
    ],
  });
  // Key first, then certificate, each by rename: a crash between leaves no certificate
  // without its key (the next start makes a new pair).
  writeAtomic(keyPath, made.private, 0o600);
  writeAtomic(certPath, made.cert, 0o644);
  return { cert: made.cert, key: made.private, fingerprint: fingerprintOf(made.cert), certPath, keyPath };
}

function readKept(certPath: string, keyPath: string, now: Date): LanCertificate | null {
  try {
    const cert = fs.readFileSync(certPath, 'utf8');
    const key = fs.readFileSync(keyPath, 'utf8');
    const x = new crypto.X509Certificate(cert);
    if (!x.checkPrivateKey(crypto.createPrivateKey(key))) return null;
    if (new Date(x.validTo).getTime() - now.getTime() < RENEW_BEFORE_MS) return null;
    // A key left readable by others (copied in by hand, a restore) is made private again.
    if ((fs.statSync(keyPath).mode & 0o077) !== 0) fs.chmodSync(keyPath, 0o600);
    return { cert, key, fingerprint: x.fingerprint256, certPath, keyPath };
  } catch {
    return null;
  }
}

function writeAtomic(file: string, text: string, mode: number): void {
  const tmp = `${file}.${process.pid}.tmp`;
  fs.writeFileSync(tmp, text, { mode });
  fs.chmodSync(tmp, mode);
  fs.renameSync(tmp, file);
}
