// What a user may save as a contact: the rules (numbers that can be dialled in the hub's
// region, field lengths, dates, e-mails, web addresses), the devices a contact will not fit
// on, and the contract refusing an edit with the field and the reason.
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ContactCheck, DeviceStatus, Result } from '../../../main/api/contract';
import { Api } from '../../../main/api/handlers';
import { contactProblems, fitWarnings, phoneProblem } from '../../../main/api/validate';
import { contactOf } from '../../../main/core/contact';
import { Hub } from '../../../main/hub/hub';

const tel = (...values: string[]) => values.map((value) => ({ type: 'cell', value }));
const fields = (c: Parameters<typeof contactProblems>[0], before?: Parameters<typeof contactProblems>[2]) => contactProblems(c, 'GB', before).map((p) => p.field);

describe('phone numbers', () => {
  it('refuses text and numbers too short or too long to dial', () => {
    expect(phoneProblem('abc-not-a-number!!', 'GB')).toMatch(/not a phone number/);
    expect(phoneProblem('12', 'GB')).toMatch(/too short/);
    expect(phoneProblem('1-800-FLOWERS', 'GB')).toMatch(/not a phone number/);
    expect(phoneProblem('+44 7700 900123 4567 8901', 'GB')).toMatch(/too many digits|cannot be a phone number/);
    expect(phoneProblem('   ', 'GB')).toMatch(/empty/);
  });

  it('accepts national numbers of the region, international ones, and extensions', () => {
    for (const ok of ['07700 900123', '+447700900123', '(020) 7946 0018', '+49 30 901820', '0049 30 901820', '07700 900123 ext 12', '+1 (415) 555-0100']) {
      expect(phoneProblem(ok, 'GB'), ok).toBeNull();
    }
  });

  it('reads a national number with the hub\'s region', () => {
    expect(phoneProblem('030 901820', 'DE')).toBeNull();
    expect(phoneProblem('12', 'DE')).toMatch(/too short/);
  });
});

describe('contactProblems', () => {
  it('names the field of each problem', () => {
    const problems = contactProblems({ fn: 'Anna', tel: tel('07700 900123', 'abc-not-a-number!!', '12') }, 'GB');
    expect(problems.map((p) => p.field)).toEqual(['tel[1]', 'tel[2]']);
    expect(problems[0]!.message).toMatch(/^Phone number 2 is not a phone number/);
    expect(problems[1]!.message).toMatch(/^Phone number 3 is too short/);
  });

  it('refuses a 10,000-character name and says how long it may be', () => {
    const [p] = contactProblems({ fn: 'x'.repeat(10_000) }, 'GB');
    expect(p).toEqual({ field: 'fn', message: 'Name is too long: 10,000 characters, at most 200.' });
    expect(fields({ fn: 'é'.repeat(200) })).toEqual([]);
    // Characters as a person counts them: 200 emoji are 400 UTF-16 units.
    expect(fields({ fn: '😀'.repeat(200) })).toEqual([]);
    expect(fields({ fn: 'A', org: 'o'.repeat(201), title: 't'.repeat(201), note: 'n'.repeat(10_001) })).toEqual(['org', 'title', 'note']);
  });

  it('checks e-mails, web addresses, birthdays and address lines', () => {
    expect(fields({ fn: 'A', email: [{ type: '', value: 'anna@example.org' }, { type: '', value: 'anna at example' }] })).toEqual(['email[1]']);
    expect(fields({ fn: 'A', url: [{ type: '', value: 'example.org/anna' }, { type: '', value: 'https://example.org' }, { type: '', value: 'not a site' }] })).toEqual(['url[2]']);
    expect(fields({ fn: 'A', bday: '1985-04-23' })).toEqual([]);
    expect(fields({ fn: 'A', bday: '--04-23' })).toEqual([]);
    expect(fields({ fn: 'A', bday: '1985-02-30' })).toEqual(['bday']);
    expect(fields({ fn: 'A', bday: 'next tuesday' })).toEqual(['bday']);
    expect(fields({ fn: 'A', adr: [{ type: 'home', value: `;;${'s'.repeat(201)};London;;;` }] })).toEqual(['adr[0]']);
  });

  it('needs a name, a number or an e-mail', () => {
    expect(contactProblems({ fn: '  ' }, 'GB')).toEqual([{ field: 'fn', message: 'A contact needs a name, a number or an e-mail.' }]);
    expect(fields({ email: [{ type: '', value: 'a@example.org' }] })).toEqual([]);
  });

  it('leaves values the edited contact already held unchecked', () => {
    const before = contactOf({ fn: 'Voicemail', tel: tel('Voicemail 121') });
    expect(fields({ fn: 'Voicemail box', tel: tel('Voicemail 121') }, before)).toEqual([]);
    expect(fields({ fn: 'Voicemail box', tel: tel('Voicemail 121', 'Voicemail 122') }, before)).toEqual(['tel[1]']);
  });
});

describe('fitWarnings', () => {
  const sim = { spid: 'sim', name: 'Old phone', kind: 'at-phonebook', capacity: { fields: ['fn', 'tel'], maxNameLength: 14, maxValues: { tel: 1 }, maxEntries: 250 } } as Pick<DeviceStatus, 'spid' | 'name' | 'kind' | 'capacity'>;
  const laptop = { spid: 'lap', name: 'Laptop', kind: 'syncml', capacity: {} } as Pick<DeviceStatus, 'spid' | 'name' | 'kind' | 'capacity'>;

  it('says what a SIM will cut: the name, the second number, the e-mail', () => {
    const w = fitWarnings({ fn: 'Alexandra Konstantinou', tel: tel('07700 900123', '07700 900124'), email: [{ type: '', value: 'a@example.org' }] }, [sim, laptop], 10, true);
    expect(w.map((x) => [x.spid, x.field])).toEqual([
      ['sim', 'fn'],
      ['sim', 'tel[1]'],
      ['sim', 'email[0]'],
    ]);
    expect(w[0]!.message).toBe('Old phone keeps names of up to 14 characters: it will show "Alexandra Kons".');
    expect(w[1]!.message).toBe('Old phone keeps only the first number.');
  });

  it('says when a device has no free entry for a new contact', () => {
    expect(fitWarnings({ fn: 'Anna' }, [sim], 249, true)).toEqual([]);
    const [full] = fitWarnings({ fn: 'Anna' }, [sim], 250, true);
    expect(full).toMatchObject({ spid: 'sim', message: 'Old phone is full (250 entries, all used): this contact will not be copied to it.' });
    // An edit of a contact already there takes no new entry.
    expect(fitWarnings({ fn: 'Anna' }, [sim], 250, false)).toEqual([]);
  });

  it('has nothing to say about a contact that fits everywhere', () => {
    expect(fitWarnings({ fn: 'Anna Berg', tel: tel('07700 900123') }, [sim, laptop], 10, true)).toEqual([]);
  });
});

describe('the contract refuses an edit with the field and the reason', () => {
  let hub: Hub;
  let api: Api;
  beforeAll(async () => {
    hub = Hub.open({ dataDir: mkdtempSync(path.join(os.tmpdir(), 'concord-validate-')), region: 'GB' });
    hub.pairDevice({ spid: 'sim', name: 'Old phone', kind: 'simulated', link: 'simulated', changeTracking: 'snapshot', capacity: { fields: ['fn', 'tel'], maxNameLength: 14, maxEntries: 1 } });
    hub.editor.add({ fn: 'Anna Berg', tel: tel('07700 900123') });
    await hub.sync([]);
    api = new Api({ hub, dataDir: 'x' });
  });
  afterAll(async () => {
    api.dispose();
    await hub.close();
  });

  it('contacts:add with a number that cannot be one', async () => {
    const r = await api.call('contacts:add', { contact: { fn: 'Bad Number', tel: tel('abc-not-a-number!!') } });
    expect(r).toMatchObject({ ok: false, error: { code: 'invalid', message: expect.stringMatching(/^Phone number 1 is not a phone number/), problems: [{ field: 'tel[0]' }] } });
    expect(hub.contacts().map((c) => c.contact.fn)).toEqual(['Anna Berg']);
  });

  it('contacts:update with a 10,000-character name', async () => {
    const guid = hub.contacts()[0]!.guid;
    const r = await api.call('contacts:update', { guid, contact: { fn: 'x'.repeat(10_000), tel: tel('+447700900123') } });
    expect(r).toMatchObject({ ok: false, error: { code: 'invalid', problems: [{ field: 'fn', message: 'Name is too long: 10,000 characters, at most 200.' }] } });
    expect((await api.call('contacts:update', { guid, contact: { fn: 'Anna Berg-Smith', tel: tel('+447700900123') } })).ok).toBe(true);
  });

  it('contacts:check gives problems and the devices a contact will not fit on', async () => {
    const r = (await api.call('contacts:check', { contact: { fn: 'Alexandra Konstantinou', tel: tel('12') } })) as Result<ContactCheck>;
    expect(r.ok && r.value.problems.map((p) => p.field)).toEqual(['tel[0]']);
    // The device holds one entry and the hub already has one contact: no room.
    expect(r.ok && r.value.warnings).toEqual([{ spid: 'sim', device: 'Old phone', message: 'Old phone is full (1 entries, all used): this contact will not be copied to it.' }]);
  });
});
