// RespURI sends the client back to the address it used: the request's Host (a port forward,
// an IPv6 literal, a host name), or the configured public URL — never an address of the
// hub's own choosing that the client may not reach.
import http from 'node:http';
import net from 'node:net';
import path from 'node:path';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHost } from '../../../../main/app/host';
import { parseServeArgs } from '../../../../main/app/serve';
import { urlFromHost } from '../../../../main/devices/syncml/http';
import { decodeMessage, encodeMessage } from '../../../../main/devices/syncml/codec';
import type { Message } from '../../../../main/devices/syncml/model';
import { Client, alertStatus, card21, finishSession, sync } from './client';
import { genVcards, hasSyncEvolution, tmpDir, runClient, startHub, truthSignatures, folderSignatures, expectSame, type TestHub } from './harness';

/** A TCP port forward on loopback (another port than the hub's), counting the HTTP requests
 *  that pass through it. */
async function startForward(targetPort: number): Promise<{ port: number; requests: () => number; close(): Promise<void> }> {
  let requests = 0;
  const sockets = new Set<net.Socket>();
  const server = net.createServer((down) => {
    const up = net.connect(targetPort, '127.0.0.1');
    sockets.add(down).add(up);
    down.on('data', (c: Buffer) => {
      requests += (c.toString('latin1').match(/^POST /gm) ?? []).length;
    });
    down.pipe(up).pipe(down);
    const end = () => {
      down.destroy();
      up.destroy();
    };
    down.on('error', end).on('close', end);
    up.on('error', end).on('close', end);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  return {
    port: (server.address() as AddressInfo).port,
    requests: () => requests,
    close: () =>
      new Promise<void>((r) => {
        for (const s of sockets) s.destroy();
        server.close(() => r());
      }),
  };
}

/** Counts the requests the hub's endpoint handles, whichever way they came. */
function countHandled(th: TestHub): () => number {
  let n = 0;
  const handle = th.ep.server.handle.bind(th.ep.server);
  th.ep.server.handle = (req) => {
    n += 1;
    return handle(req);
  };
  return () => n;
}

describe('RespURI', () => {
  let th: TestHub;
  let handled: () => number;
  beforeAll(async () => {
    th = await startHub('respuri', [['proto', 'pat', 'pw-p']]);
    handled = countHandled(th);
  });
  afterAll(async () => {
    await th?.close();
  });

  it('names the host:port of a TCP forward on another port, and the whole session stays on it', async () => {
    const hubPort = Number(new URL(th.ep.url).port);
    const fwd = await startForward(hubPort);
    try {
      const before = handled();
      const via = `http://127.0.0.1:${fwd.port}/syncml`;
      const c = new Client(via, 'pat', 'pw-p', 'f1');
      const a = await c.alert(201, undefined, 'n1');
      expect(alertStatus(a)).toBe(200);
      expect(a.hdr.respUri).toMatch(new RegExp(`^http://127\\.0\\.0\\.1:${fwd.port}/syncml\\?s=[0-9a-f]+$`));
      const r = await c.send([sync('5', [['c1', card21('Ada Lovelace', '+447700900001')]])]);
      const done = await finishSession(c, r);
      expect(done.final).toBe(true);
      expect(c.posted.slice(1).every((u) => u.startsWith(`${via}?s=`))).toBe(true);
      expect(fwd.requests()).toBe(3);
      expect(handled() - before).toBe(3);
      expect(th.hub.contacts().map((x) => x.contact.fn)).toContain('Ada Lovelace');
    } finally {
      await fwd.close();
    }
  });

  it('keeps the Host a client sent, host name included; a Host that is not host[:port] falls back to the endpoint URL', async () => {
    const port = Number(new URL(th.ep.url).port);
    const first = async (host: string): Promise<Message> => {
      const msg: Message = {
        hdr: {
          verDTD: '1.2',
          verProto: 'SyncML/1.2',
          sessionId: `h-${host.length}`,
          msgId: '1',
          target: 'http://hub/syncml',
          source: 'proto-device',
          cred: { meta: { type: 'syncml:auth-basic', format: 'b64' }, data: Buffer.from('pat:pw-p').toString('base64') },
          meta: { maxMsgSize: 100_000 },
        },
        body: [{ kind: 'Alert', cmdId: '1', data: 201, items: [{ target: 'addressbook', source: './contacts', meta: { anchor: { next: 'x' } } }] }],
        final: false,
      };
      const body = encodeMessage(msg, 'xml');
      return new Promise((resolve, reject) => {
        const req = http.request({ host: '127.0.0.1', port, path: '/syncml', method: 'POST', headers: { host, 'content-type': 'application/vnd.syncml+xml', 'content-length': body.length } }, (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => resolve(decodeMessage(new Uint8Array(Buffer.concat(chunks)), 'xml')));
        });
        req.on('error', reject);
        req.end(body);
      });
    };
    expect((await first('Hub.Home.Example:8443')).hdr.respUri).toMatch(/^http:\/\/hub\.home\.example:8443\/syncml\?s=/);
    expect((await first('laptop-hub')).hdr.respUri).toMatch(/^http:\/\/laptop-hub\/syncml\?s=/);
    expect((await first('evil.example/path?x=')).hdr.respUri).toMatch(new RegExp(`^${th.ep.url.replace(/[.?]/g, '\\$&')}\\?s=`));
  });
});

describe('RespURI over IPv6', () => {
  let th: TestHub;
  beforeAll(async () => {
    // Bound to every address: before, RespURI named the machine's first IPv4 LAN address.
    th = await startHub('respuri6', [['proto', 'pat', 'pw-p']], { host: '::' });
  });
  afterAll(async () => {
    await th?.close();
  });

  it('a client that came by [::1] is sent back to [::1]', async () => {
    const port = Number(new URL(th.ep.url).port);
    const via = `http://[::1]:${port}/syncml`;
    const c = new Client(via, 'pat', 'pw-p', 'v6');
    const a = await c.alert(201, undefined, 'n1');
    expect(a.hdr.respUri).toMatch(new RegExp(`^http://\\[::1\\]:${port}/syncml\\?s=[0-9a-f]+$`));
    const done = await finishSession(c, await c.send([sync('5', [['c1', card21('Grace Hopper', '+447700900003')]])]));
    expect(done.final).toBe(true);
  });
});

describe('RespURI with a public URL configured', () => {
  it('names the public URL whatever Host the client sent', async () => {
    const th = await startHub('respuri-pub', [['proto', 'pat', 'pw-p']], { publicUrl: 'https://sync.example.org/concord/syncml' });
    try {
      const a = await new Client(th.ep.url, 'pat', 'pw-p', 'p1').alert(201, undefined, 'n1');
      expect(a.hdr.respUri).toMatch(/^https:\/\/sync\.example\.org\/concord\/syncml\?s=[0-9a-f]+$/);
    } finally {
      await th.close();
    }
  });
});

describe('concord serve --lan-public-url', () => {
  it('is an http(s) URL, needs --lan-port, and is the SyncML URL the hub shows', async () => {
    const url = 'https://sync.example.org/concord/syncml';
    expect(parseServeArgs(['--lan-port', '8080', '--lan-public-url', url])).toMatchObject({ lanPort: 8080, lanPublicUrl: url });
    expect(parseServeArgs(['--lan-port', '8080'])).toMatchObject({ lanPublicUrl: null });
    expect(parseServeArgs(['--lan-public-url', url])).toMatch(/--lan-public-url needs --lan-port/);
    expect(parseServeArgs(['--lan-port', '8080', '--lan-public-url', 'ftp://x/syncml'])).toMatch(/--lan-public-url must be/);
    expect(parseServeArgs(['--lan-port', '8080', '--lan-public-url', 'not a url'])).toMatch(/--lan-public-url must be/);
    const dir = tmpDir('respuri-host');
    const host = await startHost({ dataDir: dir, lan: { host: '127.0.0.1', port: 0, publicUrl: url }, phones: false, log: () => undefined });
    try {
      expect(host.lanUrl).toBe(url);
    } finally {
      await host.close();
    }
  });
});

describe('urlFromHost', () => {
  it('accepts host names, IPv4 and IPv6 literals with an optional port, and nothing else', () => {
    expect(urlFromHost('192.168.1.20:9000', '/syncml')).toBe('http://192.168.1.20:9000/syncml');
    expect(urlFromHost('[fe80::1%25eth0]:9000', '/syncml')).toBe('http://[fe80::1%25eth0]:9000/syncml');
    expect(urlFromHost('[::1]', '/s')).toBe('http://[::1]/s');
    for (const bad of [undefined, '', 'a b', 'x:0', 'x:99999', 'user@host', 'host/path', '::1', '-lead.example']) {
      expect(urlFromHost(bad, '/syncml')).toBeUndefined();
    }
  });
});

const sevo = hasSyncEvolution();
describe.skipIf(!sevo)('SyncEvolution through a port forward', () => {
  it('completes a slow sync with every message through the forward', async () => {
    const th = await startHub('respuri-sevo', [['laptop', 'alice', 'secret-a']]);
    const handled = countHandled(th);
    const fwd = await startForward(Number(new URL(th.ep.url).port));
    try {
      const folder = path.join(th.dir, 'a');
      genVcards(30, folder, 3);
      const r = await runClient(th, `http://127.0.0.1:${fwd.port}/syncml`, folder, 'slow', 'a', { SYNC_USER: 'alice', SYNC_PASS: 'secret-a' });
      expect(r.rc, r.out).toBe(0);
      expect(handled()).toBeGreaterThan(2);
      expect(fwd.requests()).toBe(handled());
      expectSame(truthSignatures(th.hub), folderSignatures(folder));
    } finally {
      await fwd.close();
      await th.close();
    }
  });
});
