import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { decodeMessage, encodeMessage, SyncmlCodecError } from '../../../../main/devices/syncml/codec';
import type { Message } from '../../../../main/devices/syncml/model';
import { decodeWbxml } from '../../../../main/devices/syncml/wbxml';
import { parseXml } from '../../../../main/devices/syncml/xml';
import { sampleMessage } from '../../../lib/syncml-sample';

const here = path.dirname(new URL(import.meta.url).pathname);

const sample = sampleMessage;

describe('SyncML codec', () => {
  for (const enc of ['xml', 'wbxml'] as const) {
    it(`round-trips a message through ${enc}`, () => {
      const m = sample();
      const back = decodeMessage(encodeMessage(m, enc), enc);
      expect(back.hdr).toEqual(m.hdr);
      expect(back.final).toBe(true);
      expect(back.body.map((c) => c.kind)).toEqual(['Status', 'Status', 'Alert', 'Sync', 'Map', 'Results']);
      const sync = back.body[3] as Extract<Message['body'][number], { kind: 'Sync' }>;
      expect(sync.numberOfChanges).toBe(2);
      expect(sync.commands[0]?.items[0]?.data).toBe('BEGIN:VCARD\r\nFN:Zoë <&> "Ω"\r\nEND:VCARD\r\n');
      expect(sync.commands[1]).toMatchObject({ kind: 'Replace', items: [{ source: 'g3' }] });
      expect(sync.commands[2]).toMatchObject({ kind: 'Delete', items: [{ target: '17', source: 'g2' }] });
      const st = back.body[0] as Extract<Message['body'][number], { kind: 'Status' }>;
      expect(st.chal?.nextNonce).toBe('bm9uY2U=');
      const res = back.body[5] as Extract<Message['body'][number], { kind: 'Results' }>;
      expect(res.items[0]?.dataTree?.tag).toBe('DevInf');
      expect(res.items[0]?.dataTree?.kids.find((k) => k.tag === 'DataStore')).toBeTruthy();
      const alert = back.body[2] as Extract<Message['body'][number], { kind: 'Alert' }>;
      expect(alert.items[0]?.meta?.anchor).toEqual({ last: '1', next: '2' });
    });
  }

  it('reads a real SyncEvolution first message (WBXML, embedded DevInf)', () => {
    const m = decodeMessage(fs.readFileSync(path.join(here, 'sevo-msg1.wbxml')), 'wbxml');
    expect(m.hdr).toMatchObject({ verDTD: '1.2', source: 'sc-hubtest-c1', sourceName: 'test', meta: { maxMsgSize: 150000 } });
    expect(m.hdr.cred?.meta?.type).toBe('syncml:auth-md5');
    const put = m.body[0] as Extract<Message['body'][number], { kind: 'Put' | 'Get' }>;
    expect(put.items[0]?.dataTree?.tag).toBe('DevInf');
    const alert = m.body.find((c) => c.kind === 'Alert') as Extract<Message['body'][number], { kind: 'Alert' }>;
    expect(alert.data).toBe(201);
    expect(alert.items[0]).toMatchObject({ target: 'addressbook', source: './addressbook' });
    expect(alert.items[0]?.meta?.anchor?.next).toMatch(/^\d{8}T\d{6}Z$/);
  });

  it('accepts CDATA, entities, comments and prefixed namespaces in XML', () => {
    const xml = `<?xml version="1.0"?><!-- hi --><SyncML xmlns="SYNCML:SYNCML1.1"><SyncHdr><VerDTD>1.1</VerDTD><VerProto>SyncML/1.1</VerProto>
      <SessionID>1</SessionID><MsgID>1</MsgID><Target><LocURI>srv</LocURI></Target><Source><LocURI>dev&amp;1</LocURI></Source></SyncHdr>
      <SyncBody><Alert><CmdID>1</CmdID><Data>200</Data><Item><Target><LocURI>contacts</LocURI></Target><Meta><m:Anchor xmlns:m="syncml:metinf"><m:Last>a</m:Last></m:Anchor></Meta></Item></Alert>
      <Sync><CmdID>2</CmdID><Replace><CmdID>3</CmdID><Item><Source><LocURI>5</LocURI></Source><Data><![CDATA[BEGIN:VCARD
FN:A <b>
END:VCARD]]></Data></Item></Replace></Sync><Final/></SyncBody></SyncML>`;
    const m = decodeMessage(new TextEncoder().encode(xml), 'xml');
    expect(m.hdr.source).toBe('dev&1');
    expect(m.hdr.verDTD).toBe('1.1');
    expect((m.body[0] as Extract<Message['body'][number], { kind: 'Alert' }>).items[0]?.meta?.anchor).toEqual({ last: 'a' });
    const sync = m.body[1] as Extract<Message['body'][number], { kind: 'Sync' }>;
    expect(sync.commands[0]?.items[0]?.data).toContain('FN:A <b>');
  });

  const bad: [string, string][] = [
    ['unclosed', '<SyncML><SyncHdr>'],
    ['mismatched', '<SyncML></SyncHdr>'],
    ['entity bomb', '<!DOCTYPE x [<!ENTITY a "aaaa">]><SyncML>&a;</SyncML>'],
    ['unknown entity', '<SyncML>&foo;</SyncML>'],
    ['not SyncML', '<html></html>'],
    ['no header', '<SyncML><SyncBody/></SyncML>'],
    ['two roots', '<SyncML/><SyncML/>'],
    ['deep', '<a>'.repeat(5000) + '</a>'.repeat(5000)],
    ['garbage', '\u0000\u0001\u0002'],
  ];
  for (const [name, text] of bad) {
    it(`rejects malformed XML: ${name}`, () => {
      expect(() => decodeMessage(new TextEncoder().encode(text), 'xml')).toThrow(SyncmlCodecError);
    });
  }

  it('rejects malformed and truncated WBXML without crashing', () => {
    const good = encodeMessage(sample(), 'wbxml');
    for (let cut = 0; cut < good.length; cut += 7) {
      expect(() => decodeMessage(good.subarray(0, cut), 'wbxml')).toThrow(SyncmlCodecError);
    }
    // random corruption: must either decode or throw the codec's error, never anything else
    let seed = 7;
    const rnd = () => ((seed = (seed * 1103515245 + 12345) >>> 0) / 2 ** 32);
    for (let n = 0; n < 300; n++) {
      const b = Uint8Array.from(good);
      for (let k = 0; k < 3; k++) b[Math.floor(rnd() * b.length)] = Math.floor(rnd() * 256);
      try {
        decodeMessage(b, 'wbxml');
      } catch (e) {
        expect(e).toBeInstanceOf(SyncmlCodecError);
      }
    }
    // huge declared lengths and deep nesting are bounded
    expect(() => decodeWbxml(Uint8Array.from([2, 0, 0, 106, 0x8f, 0xff, 0xff, 0xff, 0x7f]))).toThrow(SyncmlCodecError);
    const deep = [2, 1, 106, 0, ...Array(1000).fill(0x6d), ...Array(1000).fill(1)];
    expect(() => decodeWbxml(Uint8Array.from(deep))).toThrow(/too deep/);
  });

  it('keeps parser work bounded on many elements', () => {
    expect(() => parseXml('<SyncML>' + '<a/>'.repeat(500_000) + '</SyncML>')).toThrow(/too many/);
  });
});
