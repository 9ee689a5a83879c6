// The duplicate detector's batch read (knownKeys, used when a device reports many new
// records at once, e.g. a first sync) must offer exactly the candidates the per-record
// look-up offers (Dss.candidates), whatever the mix: common names held by many records,
// records with no number or e-mail, records with no name, numbers shared by two people.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { contactOf, normalizeContact, type Contact } from '../../../main/core/contact';
import { candidatesOf, indexKeys } from '../../../main/core/duplicates';
import { knownKeys } from '../../../main/core/match';
import { Overlay } from '../../../main/core/overlay';
import { SimulatedDevice } from '../../../main/devices/simulated/device';
import { Hub } from '../../../main/hub/hub';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
});

const NAMES = ['Anna Smith', 'Ben Jones', 'Chloé Martin', 'Δημήτρης Παππάς', 'Smith, Anna'];
const tel = (i: number) => `+4477009${String(i).padStart(5, '0')}`;

function person(i: number): Partial<Contact> {
  const name = NAMES[i % NAMES.length]!;
  switch (i % 7) {
    case 0:
      return { fn: name }; // a name only
    case 1:
      return { tel: [{ type: 'cell', value: tel(i) }] }; // a number only
    case 2:
      return { fn: name, email: [{ type: 'home', value: `p${i}@example.org` }] };
    case 3:
      return { fn: name, tel: [{ type: 'cell', value: tel(i) }, { type: 'work', value: tel(i + 1) }] }; // shares a number with i + 1
    default:
      return { fn: name, tel: [{ type: 'cell', value: tel(i) }] };
  }
}

describe('knownKeys, the batch read of the duplicate detector', () => {
  it('offers the same candidates as one look-up per record', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'concord-knownkeys-'));
    dirs.push(dir);
    const hub = Hub.open({ dataDir: dir, region: 'GB' });
    const laptop = new SimulatedDevice({ spid: 'laptop', initial: Array.from({ length: 140 }, (_, i) => person(i)) });
    hub.pairDevice({ spid: 'laptop', name: 'laptop', kind: 'simulated', link: 'simulated', changeTracking: 'log' });
    hub.attach(laptop);
    expect((await hub.sync()).outcome).toBe('ok');

    // Incoming: copies, the same people with other numbers, known numbers under other
    // names, names nobody has, records without a name or without a number.
    const incoming: Contact[] = [];
    for (let i = 0; i < 140; i += 3) incoming.push(contactOf(person(i)));
    for (let i = 0; i < 40; i++) incoming.push(contactOf({ fn: NAMES[i % NAMES.length], tel: [{ type: 'cell', value: tel(500 + i) }] }));
    for (let i = 0; i < 40; i++) incoming.push(contactOf({ fn: `Nobody ${i}`, tel: [{ type: 'cell', value: tel(i) }] }));
    for (let i = 0; i < 20; i++) incoming.push(contactOf({ tel: [{ type: 'cell', value: tel(i * 2) }] }));
    for (let i = 0; i < 10; i++) incoming.push(contactOf({ fn: NAMES[i % NAMES.length] }));
    const keyLists = incoming.map((c) => indexKeys(normalizeContact(c, 'GB')));

    const known = knownKeys(new Overlay(hub.dss), keyLists);
    let nonEmpty = 0;
    for (const [i, keys] of keyLists.entries()) {
      const batch = candidatesOf(keys, (k) => known.get(k) ?? []).sort();
      const single = hub.dss.candidates(keys).sort();
      expect(batch, `incoming record ${i}: ${keys.join(' ')}`).toEqual(single);
      if (single.length > 0) nonEmpty++;
    }
    // The comparison means something only if many records have candidates.
    expect(nonEmpty).toBeGreaterThan(60);
    await hub.close();
  });
});
