// A minimal hand-driven SyncML client (XML, basic auth) for protocol-level tests over
// loopback HTTP: it follows RespURI as a real client does, and records each reply.
import { expect } from 'vitest';
import { decodeMessage, encodeMessage } from '../../../../main/devices/syncml/codec';
import type { Command, Message } from '../../../../main/devices/syncml/model';

export type Status = Extract<Command, { kind: 'Status' }>;
export type SyncCmd = Extract<Command, { kind: 'Sync' }>;

export class Client {
  /** Every URL a message was posted to, in order. */
  readonly posted: string[] = [];
  private msgId = 0;
  private url: string;
  constructor(
    base: string,
    private readonly user: string,
    private readonly pass: string,
    private readonly session: string,
    private readonly maxObjSize?: number,
  ) {
    this.url = base;
  }

  async send(body: Command[], final = true): Promise<Message> {
    const id = String(++this.msgId);
    const msg: Message = {
      hdr: {
        verDTD: '1.2',
        verProto: 'SyncML/1.2',
        sessionId: this.session,
        msgId: id,
        target: 'http://hub/syncml',
        source: 'proto-device',
        ...(id === '1' ? { cred: { meta: { type: 'syncml:auth-basic', format: 'b64' }, data: Buffer.from(`${this.user}:${this.pass}`).toString('base64') } } : {}),
        meta: { maxMsgSize: 100_000, ...(this.maxObjSize ? { maxObjSize: this.maxObjSize } : {}) },
      },
      body,
      final,
    };
    this.posted.push(this.url);
    const r = await fetch(this.url, { method: 'POST', headers: { 'content-type': 'application/vnd.syncml+xml' }, body: new Uint8Array(encodeMessage(msg, 'xml')).buffer });
    expect(r.status).toBe(200);
    const reply = decodeMessage(new Uint8Array(await r.arrayBuffer()), 'xml');
    if (reply.hdr.respUri) this.url = reply.hdr.respUri;
    return reply;
  }

  alert(code: number, last: string | undefined, next: string): Promise<Message> {
    return this.send([{ kind: 'Alert', cmdId: '1', data: code, items: [{ target: 'addressbook', source: './contacts', meta: { anchor: { ...(last ? { last } : {}), next } } }] }]);
  }
}

export const alertStatus = (m: Message) => m.body.find((c): c is Status => c.kind === 'Status' && c.cmd === 'Alert')?.data;
export const serverAlert = (m: Message) => m.body.find((c) => c.kind === 'Alert') as Extract<Command, { kind: 'Alert' }> | undefined;
export const serverSync = (m: Message) => m.body.find((c): c is SyncCmd => c.kind === 'Sync');

export function card21(fn: string, tel: string): string {
  const [given, family] = fn.split(' ');
  return `BEGIN:VCARD\r\nVERSION:2.1\r\nN:${family};${given}\r\nFN:${fn}\r\nTEL;CELL:${tel}\r\nX-CUSTOM-FIELD:keep me\r\nEND:VCARD\r\n`;
}

export function sync(cmdId: string, adds: [luid: string, vcard: string][]): SyncCmd {
  return {
    kind: 'Sync',
    cmdId,
    target: 'addressbook',
    source: './contacts',
    commands: adds.map(([luid, data], i) => ({ kind: 'Add', cmdId: `${cmdId}${i}`, meta: { type: 'text/x-vcard' }, items: [{ source: luid, data }] })),
  };
}

/** Answers every command of the server's Sync (201 for Adds, with a Map) and finishes. */
export async function finishSession(c: Client, reply: Message): Promise<Message> {
  const s = serverSync(reply);
  const statuses: Command[] = [];
  const map: { target: string; source: string }[] = [];
  for (const [i, cmd] of (s?.commands ?? []).entries()) {
    statuses.push({ kind: 'Status', cmdId: `s${i}`, msgRef: reply.hdr.msgId, cmdRef: cmd.cmdId, cmd: cmd.kind, data: cmd.kind === 'Add' ? 201 : 200 });
    if (cmd.kind === 'Add') map.push({ target: cmd.items[0]?.source as string, source: `dev-${i}-${cmd.items[0]?.source}` });
  }
  const body: Command[] = [...statuses];
  if (map.length) body.push({ kind: 'Map', cmdId: 'm1', target: './contacts', source: 'addressbook', items: map });
  return c.send(body);
}
