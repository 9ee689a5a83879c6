// The SyncML session at the protocol level, over loopback HTTP with hand-made messages:
// resume (Alert 225) accepted with what the interrupted session received, or refused with
// 509 (normal sync) / 508 (slow sync); the device's vCard version and extra properties
// written back; an object over the client's MaxObjSize refused, the rest sent.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { contactOf } from '../../../../main/core/contact';
import { Client, alertStatus, card21, finishSession, serverAlert, serverSync, sync, type Status } from './client';
import { startHub, type TestHub } from './harness';

describe('SyncML protocol details', () => {
  let th: TestHub;
  beforeAll(async () => {
    th = await startHub('proto', [['proto', 'pat', 'pw-p']]);
  });
  afterAll(async () => {
    await th?.close();
  });
  const spid = () => th.hub.devices().find((d) => d.name === 'proto')!.spid;

  it('resumes an interrupted slow sync with what it had received (225 → 200), then refuses resumes it cannot honour', async () => {
    th.hub.editor.add(contactOf({ fn: 'Editor Person', n: ['Person', 'Editor'], email: [{ type: '', value: 'editor@example.org' }] }));
    await th.hub.sync([]);
    // Session 1: slow sync; the client's first Sync message arrives, then the link dies.
    const c1 = new Client(th.ep.url, 'pat', 'pw-p', '1');
    expect(alertStatus(await c1.alert(201, undefined, 'n1'))).toBe(200);
    const r1 = await c1.send([sync('5', [['c1', card21('Ada Lovelace', '+447700900001')], ['c2', card21('Alan Turing', '+447700900002')]])], false);
    expect(r1.body.filter((c) => c.kind === 'Status' && c.cmd === 'Add').map((c) => (c as Status).data)).toEqual([201, 201]);
    expect(th.hub.contacts()).toHaveLength(1);

    // Session 2: the client asks to resume and sends only the rest.
    const c2 = new Client(th.ep.url, 'pat', 'pw-p', '2');
    const a2 = await c2.alert(225, undefined, 'n2');
    expect(alertStatus(a2)).toBe(200);
    expect(serverAlert(a2)?.data).toBe(201); // the resumed session's mode
    const r2 = await c2.send([sync('5', [['c3', card21('Grace Hopper', '+447700900003')]])]);
    const names = th.hub.contacts().map((r) => r.contact.fn).sort();
    expect(names).toEqual(['Ada Lovelace', 'Alan Turing', 'Editor Person', 'Grace Hopper']);
    // vCard 2.1 in, 2.1 out (text/x-vcard); the unknown property is kept in the truth
    const add = serverSync(r2)?.commands.find((c) => c.kind === 'Add');
    expect(add?.meta?.type).toBe('text/x-vcard');
    expect(add?.items[0]?.data).toMatch(/VERSION:2\.1/);
    expect(th.hub.contacts().find((r) => r.contact.fn === 'Ada Lovelace')?.contact.extra).toEqual([expect.objectContaining({ name: 'X-CUSTOM-FIELD', value: 'keep me' })]);
    const done = await finishSession(c2, r2);
    expect(done.final).toBe(true);
    expect(th.hub.pendingOf(spid())).toHaveLength(0);

    // A resume with a Last anchor we never saw: 508 (slow sync).
    const c3 = new Client(th.ep.url, 'pat', 'pw-p', '3');
    const a3 = await c3.alert(225, 'never-seen', 'n3');
    expect(alertStatus(a3)).toBe(508);
    expect(serverAlert(a3)?.data).toBe(201);
  });

  it('a resume the hub cannot honour but whose anchors match gets 509 and a normal sync; the version and extras go back to the device', async () => {
    // The session above ended with anchors n2; an abandoned slow-sync alert (c3) replaced
    // the kept session. The client now asks to resume a session the hub knows nothing of.
    const c = new Client(th.ep.url, 'pat', 'pw-p', '4');
    const a = await c.alert(225, 'n2', 'n4');
    expect(alertStatus(a)).toBe(509);
    expect(serverAlert(a)?.data).toBe(200);
    // An edit in the hub comes back in the device's version, extra property included.
    const ada = th.hub.contacts().find((r) => r.contact.fn === 'Ada Lovelace')!;
    th.hub.editor.update(ada.guid, { ...ada.contact, org: 'Analytical Engines' });
    const r = await c.send([sync('5', [])]);
    const rep = serverSync(r)?.commands.find((x) => x.kind === 'Replace');
    expect(rep?.items[0]?.target).toBe('c1');
    expect(rep?.items[0]?.data).toMatch(/VERSION:2\.1/);
    expect(rep?.items[0]?.data).toMatch(/X-CUSTOM-FIELD:keep me/);
    expect(rep?.items[0]?.data).toMatch(/ORG:Analytical Engines/);
    await finishSession(c, r);
    expect(th.hub.pendingOf(spid())).toHaveLength(0);
  });

  it('an object over the client MaxObjSize is refused (stays pending); the rest is sent', async () => {
    th.hub.editor.add(contactOf({ fn: 'Huge Note', n: ['Note', 'Huge'], note: 'x'.repeat(5_000) }));
    th.hub.editor.add(contactOf({ fn: 'Small One', n: ['One', 'Small'], tel: [{ type: 'cell', value: '+447700900009' }] }));
    const c = new Client(th.ep.url, 'pat', 'pw-p', '5', 2_000);
    expect(alertStatus(await c.alert(200, 'n4', 'n5'))).toBe(200);
    const r = await c.send([sync('5', [])]);
    const adds = serverSync(r)?.commands.filter((x) => x.kind === 'Add') ?? [];
    expect(adds.map((x) => x.items[0]?.data).join('')).toMatch(/FN:Small One/);
    expect(adds.map((x) => x.items[0]?.data).join('')).not.toMatch(/Huge Note/);
    await finishSession(c, r);
    expect(th.hub.pendingOf(spid()).map((p) => p.name)).toEqual(['Huge Note']);
  });
});
