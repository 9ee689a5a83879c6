// Fuzz targets for what arrives over the network: SyncML bodies at the LAN endpoint (in
// process through SyncmlServer.handle, and over real keep-alive HTTP), and UI API requests
// over one WebSocket and over POST /api. A rejected input must get a 4xx, a SyncML error
// status or an error result, and must leave the DSS as it was.
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import fc from 'fast-check';
import WebSocket from 'ws';
import { Api } from '../../../main/api/handlers';
import { startServer, type RunningServer } from '../../../main/api/ws-server';
import { LoginLimiter } from '../../../main/devices/syncml/auth';
import { decodeMessage, encodingOf } from '../../../main/devices/syncml/codec';
import { startSyncmlEndpoint, type SyncmlEndpoint } from '../../../main/devices/syncml/http';
import { pairSyncmlDevice } from '../../../main/devices/syncml/pair';
import { Hub } from '../../../main/hub/hub';
import { mixed, Violation, type FuzzTarget } from './harness';
import { syncmlSamples, syncmlWbxmlTarget, syncmlXmlTarget } from './parsers';
import { type Rng } from './mutate';
import { tmpDir } from '../../lib/tmp';

export interface FuzzHub {
  hub: Hub;
  dir: string;
  ep: SyncmlEndpoint;
  api: Api;
  ui: RunningServer;
  close(): Promise<void>;
}

/** A hub with a few contacts and two paired SyncML logins, its LAN endpoint and UI server
 *  on loopback. The login limiter is lifted so every fuzzed login is really checked. */
export async function startFuzzHub(): Promise<FuzzHub> {
  const dir = tmpDir('fuzz');
  const hub = Hub.open({ dataDir: path.join(dir, 'hub'), region: 'GB' });
  hub.editor.add({ fn: 'Anna Berg', tel: [{ type: 'cell', value: '07700 900123' }] });
  hub.editor.add({ fn: 'Zoë Müller', email: [{ type: 'home', value: 'zoe@example.org' }] });
  await hub.sync([]);
  pairSyncmlDevice(hub, 'Laptop', 'fuzz', 'right-password');
  pairSyncmlDevice(hub, 'SyncEvolution', 'test', 'another-password');
  const ep = await startSyncmlEndpoint(hub, { host: '127.0.0.1', port: 0, limiter: new LoginLimiter(1e9), maxBodyBytes: 256 * 1024 });
  const staticDir = path.join(dir, 'static');
  fs.mkdirSync(staticDir);
  fs.writeFileSync(path.join(staticDir, 'index.html'), '<!doctype html><title>Concord</title>');
  const api = new Api({ hub, dataDir: dir });
  const ui = await startServer({ api, staticDir, port: 0, maxMessageBytes: 1024 * 1024 });
  return {
    hub,
    dir,
    ep,
    api,
    ui,
    close: async () => {
      await ui.close();
      api.dispose();
      await ep.close();
      await hub.close();
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

export interface SyncmlBody {
  body: Uint8Array;
  contentType: string;
}

const CT_XML = 'application/vnd.syncml+xml';
const CT_WBXML = 'application/vnd.syncml+wbxml';
const ODD_TYPES = ['', 'text/plain', 'application/vnd.syncml+xml; charset=utf-8', 'APPLICATION/VND.SYNCML+WBXML', 'application/xml', 'multipart/form-data; boundary=x', 'application/vnd.syncml+xml;;;'];

/** SyncML bodies: the codec fuzzers' inputs, each with its content type (now and then a
 *  wrong one, or the other encoding's). */
export function syncmlBodies(): (rng: Rng, i: number) => SyncmlBody {
  const xml = syncmlXmlTarget().gen;
  const wbxml = syncmlWbxmlTarget().gen;
  return (rng, i) => {
    const isXml = rng.chance(0.5);
    const body = (isXml ? xml : wbxml)(rng, i);
    const r = rng.next();
    const contentType = r < 0.85 ? (isXml ? CT_XML : CT_WBXML) : r < 0.92 ? (isXml ? CT_WBXML : CT_XML) : rng.pick(ODD_TYPES);
    return { body, contentType };
  };
}

/** What a refusal looks like: an HTTP 4xx, or a SyncML reply whose SyncHdr status is an
 *  error (401/407 for a login that failed). */
function checkSyncmlReply(status: number, contentType: string, body: Uint8Array): void {
  if (status >= 500) throw new Violation(`HTTP ${status}: ${Buffer.from(body).toString('utf8').slice(0, 200)}`);
  if (status >= 400) {
    if (!body.length) throw new Violation(`HTTP ${status} without a message`);
    return;
  }
  if (status !== 200) throw new Violation(`unexpected HTTP ${status}`);
  const enc = encodingOf(contentType);
  if (!enc) throw new Violation(`HTTP 200 with content type ${contentType}`);
  const reply = decodeMessage(body, enc);
  const hdrStatus = reply.body.find((c) => c.kind === 'Status' && c.cmdRef === '0');
  if (!hdrStatus || hdrStatus.kind !== 'Status') throw new Violation('a SyncML reply without a status for the header');
  if (hdrStatus.data < 400) throw new Violation(`a fuzzed, unauthenticated message was accepted (SyncHdr status ${hdrStatus.data})`);
}

/** Through SyncmlServer.handle: the endpoint's whole request path minus the socket. */
export function syncmlServerTarget(h: FuzzHub): FuzzTarget<SyncmlBody> {
  const gen = syncmlBodies();
  return {
    name: 'syncml-server',
    gen,
    show: (x) => `${x.contentType} ${JSON.stringify(Buffer.from(x.body).toString('latin1')).slice(0, 600)}`,
    shrink: function* (x) {
      for (let size = x.body.length >> 1; size >= 1; size >>= 1) {
        for (let at = 0; at + size <= x.body.length; at += size) yield { ...x, body: Uint8Array.from([...x.body.subarray(0, at), ...x.body.subarray(at + size)]) };
      }
    },
    exec: async (x) => {
      const r = await h.ep.server.handle({ body: x.body, contentType: x.contentType, token: undefined, remote: '127.0.0.1' });
      checkSyncmlReply(r.status, r.contentType, r.body);
    },
  };
}

/** One keep-alive connection (maxSockets 1) for a batch of POSTs. */
export function keepAliveClient(port: number) {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  const request = (opts: { path: string; method?: string; headers?: Record<string, string>; body?: Uint8Array | string }): Promise<{ status: number; type: string; body: Buffer }> =>
    new Promise((resolve, reject) => {
      const req = http.request({ host: '127.0.0.1', port, agent, method: opts.method ?? 'POST', path: opts.path, headers: opts.headers }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, type: String(res.headers['content-type'] ?? ''), body: Buffer.concat(chunks) }));
        res.on('error', reject);
      });
      req.setTimeout(5000, () => req.destroy(new Error('no answer within 5 s')));
      req.on('error', reject);
      req.end(opts.body);
    });
  return { request, close: () => agent.destroy() };
}

export function syncmlHttpTarget(h: FuzzHub, client: ReturnType<typeof keepAliveClient>): FuzzTarget<SyncmlBody> {
  const base = syncmlServerTarget(h);
  const pathName = new URL(h.ep.url).pathname;
  return {
    ...base,
    name: 'syncml-http',
    exec: async (x) => {
      const r = await client.request({ path: pathName, headers: x.contentType ? { 'content-type': x.contentType } : {}, body: x.body });
      checkSyncmlReply(r.status, r.type, r.body);
    },
  };
}

// ---- the UI API -------------------------------------------------------------------------

/** Channels that change nothing; any other accepted request is counted, never expected. */
const READ_ONLY = new Set(['app:info', 'contacts:list', 'contacts:get', 'contacts:importPreview', 'contacts:export', 'devices:list', 'devices:pending', 'conflicts:list', 'sync:history']);
const CHANNELS = ['app:info', 'contacts:list', 'contacts:get', 'contacts:add', 'contacts:update', 'contacts:delete', 'contacts:importPreview', 'contacts:import', 'contacts:export', 'devices:list', 'devices:pending', 'devices:rename', 'devices:forget', 'devices:setPriority', 'conflicts:list', 'conflicts:resolve', 'sync:history'];

/** Real requests the UI sends; those that would change something carry wrong arguments. */
const WS_SEEDS = [
  { id: 1, channel: 'contacts:list', args: { offset: 0, limit: 50, query: 'an' } },
  { id: 2, channel: 'contacts:get', args: { guid: 'no-such-guid' } },
  { id: 3, channel: 'contacts:add', args: { contact: { fn: 42, tel: 'x' } } },
  { id: 4, channel: 'contacts:update', args: { guid: '', contact: {} } },
  { id: 5, channel: 'contacts:delete', args: { guid: '' } },
  { id: 6, channel: 'contacts:importPreview', args: { text: 'BEGIN:VCARD\r\nVERSION:3.0\r\nFN:Eve\r\nEND:VCARD\r\n' } },
  { id: 7, channel: 'contacts:import', args: { text: 'BEGIN:VCARD\r\nVERSION:3.0\r\nFN:Eve\r\nEND:VCARD\r\n', skip: [0], extra: true } },
  { id: 8, channel: 'contacts:export', args: { version: '5.0' } },
  { id: 9, channel: 'devices:setPriority', args: { order: [1, 2] } },
  { id: 10, channel: 'devices:rename', args: { spid: '', name: '' } },
  { id: 11, channel: 'devices:forget', args: { spid: 7 } },
  { id: 12, channel: 'conflicts:resolve', args: { id: -1, spid: 'x' } },
  { id: 13, channel: 'conflicts:list', args: { limit: 10 } },
  { id: 14, channel: 'sync:history', args: { limit: 0 } },
  { id: 15, channel: 'app:info', args: {} },
].map((m) => JSON.stringify(m));

/** Structured but wrong requests: known and unknown channels, ids of every JSON type,
 *  arguments of any shape. */
export const wsArb: fc.Arbitrary<string> = fc.oneof(
  fc
    .record(
      {
        id: fc.oneof(fc.integer(), fc.double(), fc.string(), fc.constant(null), fc.constant(2 ** 53), fc.constant(-0)),
        channel: fc.oneof(fc.constantFrom(...CHANNELS), fc.string(), fc.constantFrom('__proto__', 'constructor', 'toString', 'contacts:', ':', 'sync:run ')),
        args: fc.oneof(fc.anything({ maxDepth: 3 }), fc.record({ guid: fc.anything({ maxDepth: 1 }), contact: fc.anything({ maxDepth: 2 }), offset: fc.anything({ maxDepth: 0 }), limit: fc.anything({ maxDepth: 0 }), text: fc.string() }, { requiredKeys: [] })),
      },
      { requiredKeys: [] },
    )
    .map((o) => JSON.stringify(o) ?? 'null'),
  fc.json({ maxDepth: 3 }),
  fc.string({ maxLength: 60 }),
  fc.constantFrom('{"id":1,"channel":"app:info","args":{"__proto__":{"x":1}}}', '{"id":1,"channel":"contacts:list","args":{"offset":0,"limit":1e308}}', '[', '{', '"\\ud800"', '{"id":1e400}', 'null', '[]', '{"id":1,"channel":"contacts:list","args":{"offset":0,"limit":1,"query":"' + '(a+)+'.repeat(20) + '"}}'),
);

interface Reply {
  type: string;
  id: number | null;
  result: { ok: boolean; value?: unknown; error?: { code: string; message: string } };
}

export class WsClient {
  private waiters: ((m: Reply) => void)[] = [];
  private queue: Reply[] = [];
  accepted: Record<string, number> = {};
  private constructor(readonly ws: WebSocket) {
    ws.on('message', (d) => {
      const m = JSON.parse(d.toString()) as Reply;
      if (m.type !== 'reply') return;
      const w = this.waiters.shift();
      if (w) w(m);
      else this.queue.push(m);
    });
  }
  static open(url: string): Promise<WsClient> {
    return new Promise((resolve, reject) => {
      const ws = new WebSocket(url);
      ws.once('open', () => resolve(new WsClient(ws)));
      ws.once('error', reject);
      ws.once('unexpected-response', (_q, res) => reject(new Error(`refused: HTTP ${res.statusCode}`)));
    });
  }
  send(data: string | Buffer, binary = false): Promise<Reply> {
    if (this.ws.readyState !== WebSocket.OPEN) return Promise.reject(new Violation('the connection was closed by the server'));
    this.ws.send(data, { binary });
    const m = this.queue.shift();
    if (m) return Promise.resolve(m);
    return new Promise((resolve, reject) => {
      const t = setTimeout(() => reject(new Violation('no reply within 5 s')), 5000);
      this.waiters.push((r) => {
        clearTimeout(t);
        resolve(r);
      });
    });
  }
  close(): void {
    this.ws.close();
  }
}

function channelOf(text: string): string {
  try {
    const m = JSON.parse(text) as { channel?: unknown };
    return typeof m?.channel === 'string' ? m.channel : '';
  } catch {
    return '';
  }
}

function checkResult(channel: string, r: Reply['result'], accepted: Record<string, number>): void {
  if (typeof r?.ok !== 'boolean') throw new Violation('a reply without a result');
  if (!r.ok) {
    if (!r.error || typeof r.error.code !== 'string' || !r.error.message) throw new Violation('an error result without a code and message');
    if (r.error.code === 'internal') throw new Violation(`internal error: ${r.error.message}`);
    return;
  }
  if (!READ_ONLY.has(channel)) accepted[channel] = (accepted[channel] ?? 0) + 1;
}

export function wsTarget(client: WsClient): FuzzTarget<{ text: string; binary: boolean }> {
  const enc = new TextEncoder();
  const gen = mixed<string>({ structured: wsArb, seeds: WS_SEEDS, toBytes: (s) => enc.encode(s), fromBytes: (b) => Buffer.from(b).toString('utf8') });
  return {
    name: 'ws-api',
    gen: (rng, i) => ({ text: gen(rng, i), binary: rng.chance(0.02) }),
    show: (x) => `${x.binary ? 'binary ' : ''}${JSON.stringify(x.text).slice(0, 600)}`,
    shrink: () => [],
    exec: async (x) => {
      const r = await client.send(x.binary ? Buffer.from(x.text) : x.text, x.binary);
      if (x.binary && r.result.ok) throw new Violation('a binary frame was accepted');
      checkResult(x.binary ? '' : channelOf(x.text), r.result, client.accepted);
    },
  };
}

/** POST /api/<channel> with the token and a fuzzed JSON body, over keep-alive. */
export function apiHttpTarget(h: FuzzHub, client: ReturnType<typeof keepAliveClient>, accepted: Record<string, number>): FuzzTarget<{ channel: string; body: string }> {
  const enc = new TextEncoder();
  const gen = mixed<string>({
    structured: wsArb,
    seeds: WS_SEEDS.map((s) => JSON.stringify((JSON.parse(s) as { args: unknown }).args)),
    toBytes: (s) => enc.encode(s),
    fromBytes: (b) => Buffer.from(b).toString('utf8'),
  });
  return {
    name: 'api-http',
    gen: (rng, i) => ({ channel: rng.pick([...CHANNELS, 'nope', 'sync:run%20']), body: gen(rng, i) }),
    show: (x) => JSON.stringify(x).slice(0, 600),
    shrink: () => [],
    exec: async (x) => {
      const r = await client.request({ path: `/api/${x.channel}`, headers: { authorization: `Bearer ${h.ui.token}`, 'content-type': 'application/json' }, body: x.body });
      if (r.status >= 500) throw new Violation(`HTTP ${r.status}: ${r.body.toString().slice(0, 200)}`);
      const res = JSON.parse(r.body.toString()) as Reply['result'];
      if (r.status === 200 !== res.ok) throw new Violation(`HTTP ${r.status} with ok=${res.ok}`);
      checkResult(x.channel, res, accepted);
    },
  };
}

export { syncmlSamples };
