// The WebSocket transport over a real loopback socket: the access token is required, a
// malformed message gets a clear error, and the hub keeps answering afterwards.
import { mkdtempSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import type { WsMessage } from '../../../main/api/contract';
import { Api } from '../../../main/api/handlers';
import { startServer, tokenMatches, type RunningServer } from '../../../main/api/ws-server';
import { Hub } from '../../../main/hub/hub';

let hub: Hub;
let api: Api;
let server: RunningServer;
const MAX = 64 * 1024;

beforeAll(async () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'concord-ws-'));
  const staticDir = mkdtempSync(path.join(os.tmpdir(), 'concord-static-'));
  writeFileSync(path.join(staticDir, 'index.html'), '<!doctype html><title>Concord</title>');
  hub = Hub.open({ dataDir: dir, region: 'GB' });
  hub.editor.add({ fn: 'Anna Berg', tel: [{ type: 'cell', value: '07700 900123' }] });
  await hub.sync([]);
  api = new Api({ hub, dataDir: dir });
  server = await startServer({ api, staticDir, port: 0, maxMessageBytes: MAX });
});

afterAll(async () => {
  await server.close();
  api.dispose();
  await hub.close();
});

function wsUrl(token: string | null): string {
  return `ws://127.0.0.1:${server.port}/ws${token === null ? '' : `?token=${encodeURIComponent(token)}`}`;
}

/** Opens a socket; resolves with the HTTP status of a refused upgrade, or the socket. */
function connect(token: string | null, headers: Record<string, string> = {}): Promise<WebSocket | number> {
  return new Promise((resolve) => {
    const ws = new WebSocket(wsUrl(token), { headers });
    ws.once('open', () => resolve(ws));
    ws.once('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0));
    ws.once('error', () => resolve(-1));
  });
}

class Conn {
  private queue: WsMessage[] = [];
  private waiters: ((m: WsMessage) => void)[] = [];
  closed: { code: number } | null = null;
  constructor(readonly ws: WebSocket) {
    ws.on('message', (d) => {
      const m = JSON.parse(d.toString()) as WsMessage;
      if (m.type !== 'reply') return;
      const w = this.waiters.shift();
      if (w) w(m);
      else this.queue.push(m);
    });
    ws.on('close', (code) => (this.closed = { code }));
  }
  next(): Promise<WsMessage> {
    const m = this.queue.shift();
    if (m) return Promise.resolve(m);
    return new Promise((r) => this.waiters.push(r));
  }
  async sendRaw(data: string | Buffer, binary = false): Promise<WsMessage> {
    this.ws.send(data, { binary });
    return this.next();
  }
  request(channel: string, args: unknown, id = 1): Promise<WsMessage> {
    return this.sendRaw(JSON.stringify({ id, channel, args }));
  }
}

async function open(): Promise<Conn> {
  const ws = await connect(server.token);
  if (typeof ws === 'number') throw new Error(`refused: ${ws}`);
  return new Conn(ws);
}

function errorOf(m: WsMessage): { code: string; message: string } {
  if (m.type !== 'reply' || m.result.ok) throw new Error(`expected an error, got ${JSON.stringify(m)}`);
  return m.result.error;
}

async function stillWorks(c: Conn): Promise<void> {
  const m = await c.request('contacts:list', { offset: 0, limit: 10, query: 'anna' }, 99);
  expect(m).toMatchObject({ type: 'reply', id: 99, result: { ok: true, value: { total: 1 } } });
}

describe('access token', () => {
  it('is compared exactly', () => {
    expect(tokenMatches(server.token, server.token)).toBe(true);
    expect(tokenMatches(server.token.slice(0, -1), server.token)).toBe(false);
    expect(tokenMatches('', server.token)).toBe(false);
    expect(tokenMatches(undefined, server.token)).toBe(false);
  });

  it('a WebSocket without the token, or with a wrong one, is refused', async () => {
    expect(await connect(null)).toBe(401);
    expect(await connect('nope')).toBe(401);
    expect(await connect(`${server.token}x`)).toBe(401);
  });

  it('a WebSocket from another web site is refused even with the token', async () => {
    expect(await connect(server.token, { Origin: 'https://evil.example' })).toBe(403);
  });

  it('the HTTP API needs the token too', async () => {
    const post = (auth: string | null) =>
      new Promise<number>((resolve, reject) => {
        const req = http.request(
          { host: '127.0.0.1', port: server.port, path: '/api/devices:list', method: 'POST', headers: auth ? { Authorization: `Bearer ${auth}`, 'Content-Type': 'application/json' } : {} },
          (res) => {
            res.resume();
            resolve(res.statusCode ?? 0);
          },
        );
        req.on('error', reject);
        req.end('{}');
      });
    expect(await post(null)).toBe(401);
    expect(await post('wrong')).toBe(401);
    expect(await post(server.token)).toBe(200);
  });

  it('a request with a foreign Host header is refused (DNS rebinding)', async () => {
    const status = await new Promise<number>((resolve) => {
      http.get({ host: '127.0.0.1', port: server.port, path: '/', headers: { Host: 'evil.example' } }, (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      });
    });
    expect(status).toBe(421);
  });

  it('the printed URL carries the token and the page is served with a CSP', async () => {
    expect(server.url).toBe(`http://127.0.0.1:${server.port}/?token=${server.token}`);
    const csp = await new Promise<string>((resolve) => {
      http.get(server.url, (res) => {
        res.resume();
        resolve(String(res.headers['content-security-policy']));
      });
    });
    expect(csp).toContain("script-src 'self'");
  });
});

describe('malformed messages get clear errors and the hub keeps working', () => {
  it('not JSON, not an object, no id', async () => {
    const c = await open();
    expect(errorOf(await c.sendRaw('{not json'))).toEqual({ code: 'bad-request', message: 'The message is not JSON.' });
    expect(errorOf(await c.sendRaw('[1,2]')).code).toBe('bad-request');
    expect(errorOf(await c.sendRaw('"hello"')).code).toBe('bad-request');
    expect(errorOf(await c.sendRaw(JSON.stringify({ channel: 'devices:list', args: {} }))).message).toMatch(/id/);
    expect(errorOf(await c.sendRaw(Buffer.from([1, 2, 3]), true)).message).toMatch(/binary/);
    await stillWorks(c);
    c.ws.close();
  });

  it('unknown channels and wrong arguments name what is wrong', async () => {
    const c = await open();
    expect(errorOf(await c.request('contacts:drop', {}))).toMatchObject({ code: 'unknown-channel' });
    expect(errorOf(await c.request('__proto__', {}))).toMatchObject({ code: 'unknown-channel' });
    const cases: [string, unknown, RegExp][] = [
      ['contacts:list', { offset: -1, limit: 10 }, /offset must be between/],
      ['contacts:list', { offset: 0, limit: '10' }, /limit must be a whole number/],
      ['contacts:list', { offset: 0, limit: 5000 }, /limit must be between 1 and 1000/],
      ['contacts:list', { offset: 0, limit: 10, sort: 'name' }, /sort is not a known argument/],
      ['contacts:list', 'everything', /must be an object/],
      ['contacts:get', {}, /guid must be text/],
      ['contacts:add', { contact: 'Anna' }, /contact is not a valid contact/],
      ['contacts:add', { contact: { fn: 42 } }, /field fn is not text/],
      ['contacts:add', { contact: { tel: [{ value: 1 }] } }, /tel/],
      ['devices:setPriority', { order: 'hub' }, /order must be a list/],
      ['contacts:export', { version: '5.0' }, /version must be one of 2.1, 3.0, 4.0/],
      ['conflicts:resolve', { id: 1.5, spid: 'x' }, /id must be a whole number/],
    ];
    for (const [channel, args, message] of cases) {
      const e = errorOf(await c.request(channel, args));
      expect(e.code, `${channel} ${JSON.stringify(args)}`).toBe('bad-request');
      expect(e.message).toMatch(message);
    }
    await stillWorks(c);
    c.ws.close();
  });

  it('the hub refuses what it cannot do, in words', async () => {
    const c = await open();
    expect(errorOf(await c.request('contacts:get', { guid: 'no-such-guid' }))).toMatchObject({ code: 'not-found' });
    expect(errorOf(await c.request('devices:forget', { spid: 'hub' }))).toMatchObject({ code: 'invalid' });
    expect(errorOf(await c.request('devices:setPriority', { order: ['hub', 'ghost'] }))).toMatchObject({ code: 'invalid' });
    expect(errorOf(await c.request('contacts:add', { contact: {} }))).toMatchObject({ code: 'invalid', message: 'A contact needs a name, a number or an e-mail.' });
    await stillWorks(c);
    c.ws.close();
  });

  it('an oversized message closes that connection only', async () => {
    const c = await open();
    c.ws.send('x'.repeat(MAX + 1));
    await new Promise((r) => c.ws.once('close', r));
    expect(c.closed?.code).toBe(1009);
    const d = await open();
    await stillWorks(d);
    d.ws.close();
  });
});

describe('events', () => {
  it('a run sends progress and change events to every connection', async () => {
    const c = await open();
    const events: WsMessage[] = [];
    c.ws.on('message', (d) => events.push(JSON.parse(d.toString()) as WsMessage));
    const m = await c.request('sync:run', {});
    expect(m).toMatchObject({ type: 'reply', result: { ok: true, value: { outcome: 'ok' } } });
    await new Promise((r) => setTimeout(r, 50));
    const kinds = events.filter((e) => e.type === 'event').map((e) => (e.type === 'event' ? e.event : ''));
    expect(kinds).toContain('sync:progress');
    expect(kinds).toContain('hub:changed');
    c.ws.close();
  });
});
