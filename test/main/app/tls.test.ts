// LAN sync over HTTPS on a real hub and real sockets on loopback: the certificate is made at
// first start and kept (same fingerprint after a restart, key private), and a client that
// pins that fingerprint reaches the SyncML endpoint over TLS; plain HTTP still answers.
import crypto from 'node:crypto';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import https from 'node:https';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import tls from 'node:tls';
import { afterEach, expect, it } from 'vitest';
import type { Settings } from '../../../main/api/contract';
import { startHost, type HubHost } from '../../../main/app/host';
import { loadOrCreateCertificate } from '../../../main/app/tls';
import { decodeMessage, encodeMessage } from '../../../main/devices/syncml/codec';
import type { Message } from '../../../main/devices/syncml/model';

const dirs: string[] = [];
let host: HubHost | null = null;
afterEach(async () => {
  await host?.close();
  host = null;
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

const start = (dataDir: string) => startHost({ dataDir, phones: false, bluetooth: false, lanHost: '127.0.0.1', lanHttpsPort: 0, log: () => undefined });

async function settings(h: HubHost, channel: 'settings:get' | 'settings:setLan', args: unknown = {}): Promise<Settings> {
  const r = await h.api.call(channel, args);
  if (!r.ok) throw new Error(r.error.message);
  return r.value as Settings;
}

async function freePort(): Promise<number> {
  const s = net.createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', () => r()));
  const port = (s.address() as net.AddressInfo).port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

/** A GET over HTTPS that trusts the server only if its certificate has `fingerprint`: the
 *  certificate is self-signed, so trust comes from the pinned fingerprint alone, checked
 *  before a byte of the request is sent. */
function pinnedGet(url: string, fingerprint: string, post?: Uint8Array): Promise<{ status: number; body: string; seen: string; raw: Buffer }> {
  return new Promise((resolve, reject) => {
    let seen = '';
    const u = new URL(url);
    const req = https.request(url, {
      method: post ? 'POST' : 'GET',
      ...(post ? { headers: { 'content-type': 'application/vnd.syncml+xml', 'content-length': post.length } } : {}),
      createConnection: (_opts: unknown, done: (err: Error | null, s?: tls.TLSSocket) => void) => {
        const s = tls.connect({ host: u.hostname, port: Number(u.port), servername: 'localhost', rejectUnauthorized: false });
        s.once('secureConnect', () => {
          seen = s.getPeerCertificate().fingerprint256;
          if (seen === fingerprint) return done(null, s);
          s.destroy();
          done(new Error(`fingerprint ${seen} is not the pinned one`));
        });
        s.once('error', (e) => done(e));
        return undefined;
      },
    } as https.RequestOptions, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const raw = Buffer.concat(chunks);
        resolve({ status: res.statusCode ?? 0, body: raw.toString('utf8'), seen, raw });
      });
    });
    req.on('error', reject);
    req.end(post);
  });
}

it('serves the SyncML endpoint over HTTPS with a certificate kept across restarts', async () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'concord-tls-'));
  dirs.push(dir);
  const port = await freePort();
  host = await start(dir);
  const lan = (await settings(host, 'settings:setLan', { on: true, port })).lan;
  expect(lan).toMatchObject({ on: true, url: `http://127.0.0.1:${port}/syncml`, problem: null });
  expect(lan.httpsUrl).toMatch(/^https:\/\/127\.0\.0\.1:\d+\/syncml$/);
  expect(lan.fingerprint).toMatch(/^([0-9A-F]{2}:){31}[0-9A-F]{2}$/);

  const got = await pinnedGet(lan.httpsUrl!, lan.fingerprint!);
  expect(got).toMatchObject({ status: 200, body: 'Concord SyncML server\n', seen: lan.fingerprint });
  // The same routes as plain HTTP, which stays on.
  expect((await pinnedGet(lan.httpsUrl!.replace(/syncml$/, 'nothing'), lan.fingerprint!)).status).toBe(404);
  expect(await (await fetch(lan.url!)).text()).toBe('Concord SyncML server\n');
  // The CardDAV server on the same endpoint, over HTTPS too (RFC 6764 discovery).
  const wellKnown = await pinnedGet(`${new URL(lan.httpsUrl!).origin}/.well-known/carddav`, lan.fingerprint!);
  expect({ status: wellKnown.status, body: wellKnown.body }).toEqual({ status: 301, body: '/dav/\n' });
  // A client pinning another certificate refuses this one.
  const other = crypto.createHash('sha256').update('other').digest('hex').toUpperCase().match(/../g)!.join(':');
  await expect(pinnedGet(lan.httpsUrl!, other)).rejects.toThrow(/not the pinned one/);

  // The certificate is in the data folder, the key readable by its owner only, and it names
  // this machine.
  expect(statSync(path.join(dir, 'tls', 'key.pem')).mode & 0o777).toBe(0o600);
  const cert = await loadOrCreateCertificate(dir);
  expect(cert.fingerprint).toBe(lan.fingerprint);
  const x = new crypto.X509Certificate(cert.cert);
  expect(x.subjectAltName).toContain(`DNS:${os.hostname().toLowerCase()}`);
  expect(x.subjectAltName).toContain('IP Address:127.0.0.1');
  expect(x.checkHost('localhost')).toBe('localhost');

  // A restart keeps the certificate: the pinned fingerprint still holds.
  await host.close();
  host = await start(dir);
  const again = (await settings(host, 'settings:get')).lan;
  expect(again.fingerprint).toBe(lan.fingerprint);
  expect((await pinnedGet(again.httpsUrl!, lan.fingerprint!)).body).toBe('Concord SyncML server\n');

  // Off: neither port answers, and nothing is offered.
  const off = (await settings(host, 'settings:setLan', { on: false })).lan;
  expect(off).toMatchObject({ on: false, url: null, httpsUrl: null, fingerprint: null });
  await expect(pinnedGet(again.httpsUrl!, lan.fingerprint!)).rejects.toThrow(/ECONNREFUSED/);
});

it('answers a SyncML session over TLS with a RespURI that stays on HTTPS', async () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'concord-tls-'));
  dirs.push(dir);
  host = await start(dir);
  const lan = (await settings(host, 'settings:setLan', { on: true, port: await freePort() })).lan;
  expect(await host.api.call('devices:pairSyncml', { name: 'Laptop', user: 'ann', password: 'pw-ann' })).toMatchObject({ ok: true });
  const msg: Message = {
    hdr: {
      verDTD: '1.2',
      verProto: 'SyncML/1.2',
      sessionId: 's1',
      msgId: '1',
      target: lan.httpsUrl!,
      source: 'tls-device',
      cred: { meta: { type: 'syncml:auth-basic', format: 'b64' }, data: Buffer.from('ann:pw-ann').toString('base64') },
      meta: { maxMsgSize: 100_000 },
    },
    body: [{ kind: 'Alert', cmdId: '1', data: 201, items: [{ target: 'addressbook', source: './contacts', meta: { anchor: { next: 'n1' } } }] }],
    final: true,
  };
  const r = await pinnedGet(lan.httpsUrl!, lan.fingerprint!, encodeMessage(msg, 'xml'));
  expect(r.status).toBe(200);
  const reply = decodeMessage(new Uint8Array(r.raw), 'xml');
  expect(reply.body.find((c) => c.kind === 'Status' && c.cmd === 'Alert')).toMatchObject({ data: 200 });
  // The client is sent back to the HTTPS port it came in on, never to plain HTTP.
  expect(reply.hdr.respUri).toMatch(new RegExp(`^${lan.httpsUrl!.replace(/[.]/g, '\\.')}\\?s=[0-9a-f]+$`));
});
