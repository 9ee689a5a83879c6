// Edits made in Concord, in words for the Activity screen.
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { EditNote } from '../../../main/api/contract';
import { describeImport, describeUpdate } from '../../../main/api/edits';
import { Api } from '../../../main/api/handlers';
import { contactOf } from '../../../main/core/contact';
import { Hub } from '../../../main/hub/hub';

const anna = contactOf({ fn: 'Anna Berg', tel: [{ type: 'cell', value: '+447700900123' }] });

describe('describeUpdate', () => {
  it('names the contact and each kind of field that changed', () => {
    const after = contactOf({ ...anna, tel: [{ type: 'cell', value: '07700 900999' }], email: [{ type: '', value: 'anna@example.org' }], bday: '1985-04-23' });
    expect(describeUpdate(anna, after, 'GB')).toBe('Changed Anna Berg: phone number, e-mail, birthday');
  });

  it('says a rename with the old and the new name', () => {
    expect(describeUpdate(anna, contactOf({ ...anna, fn: 'Anna Berg-Smith' }), 'GB')).toBe('Renamed Anna Berg to Anna Berg-Smith');
    expect(describeUpdate(anna, contactOf({ ...anna, fn: 'Anna B', note: 'hi' }), 'GB')).toBe('Renamed Anna Berg to Anna B; changed note');
  });

  it('has nothing to say when only the spelling of a number changed', () => {
    expect(describeUpdate(anna, contactOf({ ...anna, tel: [{ type: 'cell', value: '07700 900123' }] }), 'GB')).toBeNull();
  });
});

describe('describeImport', () => {
  it('names what was added and updated, the first five of each', () => {
    expect(describeImport(['Imogen Newperson'], ['Hannah Schmidt'])).toBe('Imported 2 contacts from a vCard file: added Imogen Newperson; updated Hannah Schmidt');
    const many = Array.from({ length: 8 }, (_, i) => `P${i}`);
    expect(describeImport(many, [])).toBe('Imported 8 contacts from a vCard file: added P0, P1, P2, P3, P4 and 3 more');
    expect(describeImport([], [])).toBeNull();
  });
});

describe('activity:edits', () => {
  it('lists the edits made through the contract, newest first, and keeps them across a restart', async () => {
    const dataDir = mkdtempSync(path.join(os.tmpdir(), 'concord-edits-'));
    let hub = Hub.open({ dataDir, region: 'GB' });
    let api = new Api({ hub, dataDir });
    const added = await api.call('contacts:add', { contact: { fn: 'Anna Berg', tel: [{ type: 'cell', value: '07700 900123' }] } });
    const guid = added.ok ? (added.value as { queued: string }).queued : '';
    await hub.sync([]);
    expect((await api.call('contacts:update', { guid, contact: { fn: 'Anna Berg', tel: [{ type: 'cell', value: '07700 900124' }] } })).ok).toBe(true);
    // Saving what is already there says nothing.
    expect((await api.call('contacts:update', { guid, contact: { fn: 'Anna Berg', tel: [{ type: 'cell', value: '07700 900124' }] } })).ok).toBe(true);
    await api.call('contacts:import', { text: 'BEGIN:VCARD\r\nVERSION:3.0\r\nFN:Ben Carter\r\nEND:VCARD\r\n' });
    await hub.sync([]);
    expect((await api.call('contacts:delete', { guid })).ok).toBe(true);
    await hub.sync([]);
    api.dispose();
    await hub.close();

    hub = Hub.open({ dataDir, region: 'GB' });
    api = new Api({ hub, dataDir });
    const r = await api.call('activity:edits', {});
    const notes = (r.ok ? r.value : []) as EditNote[];
    expect(notes.map((n) => n.text)).toEqual([
      'Deleted Anna Berg',
      'Imported 1 contact from a vCard file: added Ben Carter',
      'Changed Anna Berg: phone number',
      'Added Anna Berg',
    ]);
    expect(notes[0]!.guid).toBe(guid);
    api.dispose();
    await hub.close();
  });
});
