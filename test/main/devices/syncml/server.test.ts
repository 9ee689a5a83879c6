// The endpoint over real HTTP on loopback: hostile and out-of-order input gets an HTTP 4xx
// or a SyncML error status, never a crash, and leaves the DSS as it was.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LoginLimiter } from '../../../../main/devices/syncml/auth';
import { decodeMessage, encodeMessage, type Encoding } from '../../../../main/devices/syncml/codec';
import type { Message } from '../../../../main/devices/syncml/model';
import { startHub, type TestHub } from './harness';

async function post(url: string, body: Uint8Array | string, type = 'application/vnd.syncml+xml'): Promise<{ status: number; body: Uint8Array }> {
  const r = await fetch(url, { method: 'POST', headers: { 'content-type': type }, body: typeof body === 'string' ? body : new Uint8Array(body).buffer });
  return { status: r.status, body: new Uint8Array(await r.arrayBuffer()) };
}

function first(user: string, pass: string, opts: { msgId?: string; session?: string; device?: string; final?: boolean } = {}): Message {
  return {
    hdr: {
      verDTD: '1.2',
      verProto: 'SyncML/1.2',
      sessionId: opts.session ?? '1',
      msgId: opts.msgId ?? '1',
      target: 'http://hub/syncml',
      source: opts.device ?? 'test-device',
      cred: { meta: { type: 'syncml:auth-basic', format: 'b64' }, data: Buffer.from(`${user}:${pass}`).toString('base64') },
      meta: { maxMsgSize: 100_000 },
    },
    body: [{ kind: 'Alert', cmdId: '1', data: 201, items: [{ target: 'addressbook', source: './contacts', meta: { anchor: { next: 'n1' } } }] }],
    final: opts.final ?? true,
  };
}

describe('SyncML endpoint over HTTP', () => {
  let th: TestHub;
  const snapshot = () => JSON.stringify({ c: th.hub.contacts(), h: th.hub.history().length });

  beforeAll(async () => {
    th = await startHub('http', [['dev', 'dave', 'pw-d']]);
  });
  afterAll(async () => {
    await th?.close();
  });

  const malformed: [string, Uint8Array | string, string][] = [
    ['XML garbage', '<SyncML><SyncHdr>', 'application/vnd.syncml+xml'],
    ['not UTF-8', Uint8Array.from([0x3c, 0xff, 0xfe, 0x3e]), 'application/vnd.syncml+xml'],
    ['WBXML garbage', Uint8Array.from([2, 0, 0, 106, 0, 0x6d, 0x6c, 0x99]), 'application/vnd.syncml+wbxml'],
    ['empty WBXML', new Uint8Array(0), 'application/vnd.syncml+wbxml'],
    ['XML entity bomb', '<!DOCTYPE a [<!ENTITY x "xx">]><SyncML>&x;</SyncML>', 'application/vnd.syncml+xml'],
  ];
  for (const [name, body, type] of malformed) {
    it(`answers 400 to ${name} and changes nothing`, async () => {
      const before = snapshot();
      const r = await post(th.ep.url, body, type);
      expect(r.status).toBe(400);
      expect(snapshot()).toBe(before);
    });
  }

  it('refuses other content types (415), oversized bodies (413) and other methods', async () => {
    expect((await post(th.ep.url, '<x/>', 'text/plain')).status).toBe(415);
    expect((await post(th.ep.url, 'x'.repeat(1_100_000))).status).toBe(413);
    expect((await fetch(th.ep.url, { method: 'PUT' })).status).toBe(405);
  });

  for (const enc of ['xml', 'wbxml'] as Encoding[]) {
    it(`refuses unknown users and wrong passwords with SyncML 401 (${enc})`, async () => {
      const before = snapshot();
      for (const [u, p] of [
        ['mallory', 'pw'],
        ['dave', 'wrong'],
      ]) {
        const r = await post(th.ep.url, encodeMessage(first(u!, p!, { session: `s-${enc}-${u}` }), enc), `application/vnd.syncml+${enc}`);
        expect(r.status).toBe(200);
        const m = decodeMessage(r.body, enc);
        expect(m.body[0]).toMatchObject({ kind: 'Status', cmd: 'SyncHdr', data: 401 });
        expect(m.hdr.respUri).toBeUndefined();
      }
      expect(snapshot()).toBe(before);
    });
  }

  it('wrong session tokens, foreign session ids and out-of-order messages are refused', async () => {
    const r = await post(th.ep.url, encodeMessage(first('dave', 'pw-d', { session: '77', final: false }), 'xml'));
    const m = decodeMessage(r.body, 'xml');
    expect(m.body[0]).toMatchObject({ kind: 'Status', cmd: 'SyncHdr', data: 212 });
    const resp = m.hdr.respUri as string;
    expect(resp).toContain('?s=');
    const next = (msgId: string, session = '77'): Message => ({ ...first('dave', 'pw-d', { session, msgId }), body: [] });
    expect((await post(th.ep.url + '?s=deadbeef', encodeMessage(next('2'), 'xml'))).status).toBe(404);
    expect((await post(resp, encodeMessage(next('2', '78'), 'xml'))).status).toBe(400);
    expect((await post(resp, encodeMessage(next('5'), 'xml'))).status).toBe(400);
    // a Sync for a database never alerted in this session: a SyncML error status
    const stray: Message = {
      ...next('2'),
      body: [{ kind: 'Sync', cmdId: '9', target: 'calendar', commands: [{ kind: 'Add', cmdId: '10', items: [{ source: '1', data: 'BEGIN:VCARD\r\nFN:X\r\nEND:VCARD\r\n' }] }] }],
      final: false,
    };
    const sr = decodeMessage((await post(resp, encodeMessage(stray, 'xml'))).body, 'xml');
    expect(sr.body.find((c) => c.kind === 'Status' && c.cmd === 'Sync')).toMatchObject({ data: 404 });
    // the same message again is a resend: the same answer, byte for byte
    const again = await post(resp, encodeMessage(stray, 'xml'));
    expect(decodeMessage(again.body, 'xml')).toEqual(sr);
  });

  it('limits failed logins per address and user (429)', async () => {
    const limited = await startHub('limit', [['dev', 'erin', 'pw-e']], { limiter: new LoginLimiter(3, 60_000) });
    try {
      const codes: number[] = [];
      for (let i = 0; i < 5; i++) codes.push((await post(limited.ep.url, encodeMessage(first('erin', 'bad', { session: String(i) }), 'xml'))).status);
      expect(codes.slice(0, 3)).toEqual([200, 200, 200]);
      expect(codes.slice(3)).toEqual([429, 429]);
    } finally {
      await limited.close();
    }
  });
});
