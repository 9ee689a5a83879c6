// The hub SIGKILLed during a run (the debounced run after a client's PUTs, which writes the
// other account's book in its own transaction), stopped dead at each moment in turn: after
// the book's changes were read, after the run's commit, inside the book's push transaction,
// and after the push committed but before the change log was forgotten; and in the second
// transaction of a push too large for one (the first stays committed). After a restart the
// DSS is consistent (the run all or nothing, the book plus its pending actions is the
// truth); the next run and the next vdirsyncer sync converge with no duplicates; a stale
// If-Match gets 412.
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Contact } from '../../../../main/core/contact';
import { parseVCard } from '../../../../main/core/vcard';
import { tmpDir } from '../../../lib/tmp';
import { freePort } from '../../../lib/process';
import { startChild, type HubChild } from './child';
import { basic, card, dav } from './harness';
import { fieldsOf, folderFields, genCards, has, vdirsyncer, vdirsyncerAgain } from './real-clients';

interface State {
  truth: { guid: string; contact: Contact }[];
  books: Record<string, { href: string; etag: string; body: string }[]>;
  pending: Record<string, { action: string; guid: string }[]>;
}

const A = basic('alice', 'secret1');
const B = basic('bob', 'secret2');
const LOGINS: [string, string][] = [
  ['alice', 'secret1'],
  ['bob', 'secret2'],
];
const ENV = { CONCORD_FIRST_CONTACT_MS: '200', CONCORD_DEBOUNCE_MS: '800', CONCORD_MAX_DELAY_MS: '20000' };
/** Where the hub stops dead, and what of the run must be there after the restart. */
const MOMENTS = [
  { at: 'retrieve', inTruth: false, inBook: false },
  { at: 'commit', inTruth: true, inBook: false },
  { at: 'push', inTruth: true, inBook: false },
  { at: 'finish', inTruth: true, inBook: true },
] as const;

const dir = tmpDir('carddav-kill-run');
let h: HubChild | null = null;
afterAll(async () => {
  await h?.kill();
  fs.rmSync(dir, { recursive: true, force: true });
});

const fieldsOfCard = (body: string) => fieldsOf(parseVCard(body).contact);
const bookFields = (s: State, user: string) => s.books[user]!.map((c) => fieldsOfCard(c.body)).sort();
const truthFields = (s: State) => s.truth.map((r) => fieldsOf(r.contact)).sort();
const state = async (c: HubChild) => JSON.parse(await c.ask('state', 'STATE')) as State;

describe.skipIf(!has('vdirsyncer'))('the hub SIGKILLed during a run', () => {
  const data = path.join(dir, 'hub');
  const local = path.join(dir, 'alice', 'contacts');
  const vds = path.join(dir, 'vds');
  let port = 0;
  let expected = 12;

  beforeAll(async () => {
    port = await freePort();
    h = await startChild(data, LOGINS, ENV, port);
    // Both accounts reached by their clients; alice's vdirsyncer uploads 12 cards.
    await dav(h.base, 'PROPFIND', '/dav/bob/contacts/', { auth: B, headers: { depth: '0' } });
    genCards(12, local, 3);
    const up = await vdirsyncer(h.base, 'alice', 'secret1', local, vds);
    expect(up.rc, up.out).toBe(0);
    await h.ask('online', 'ONLINE');
    await h.ask('export', 'TRUTH');
  }, 60_000);

  it.each(MOMENTS.map((m, k) => ({ ...m, k })))('stopped dead at $at: all or nothing, and the next run and sync converge', async (m) => {
    const { k } = m;
    await h!.kill();
    h = await startChild(data, LOGINS, { ...ENV, CONCORD_HALT_AT: m.at }, port);
    const before = await state(h);
    expect(bookFields(before, 'bob')).toEqual(truthFields(before));
    // bob: six new cards, two edited, one deleted; then the run starts and stops dead.
    const bobs = [...before.books.bob!].sort((x, y) => x.href.localeCompare(y.href));
    const edited = bobs.slice(0, 2);
    const gone = bobs[2]!;
    // alice's ETag of the first edited card, from before the run.
    const stale = before.books.alice!.find((c) => fieldsOfCard(c.body) === fieldsOfCard(edited[0]!.body))!;
    expect(stale).toBeDefined();
    const names = Array.from({ length: 6 }, (_, i) => `Run${k}x${i} Killed`);
    for (const [i, fn] of names.entries()) {
      const r = await dav(h.base, 'PUT', `/dav/bob/contacts/r${k}-${i}.vcf`, { auth: B, body: card(`r${k}-${i}`, fn, `+44 20 7946 ${String(5000 + 10 * k + i)}`), headers: { 'if-none-match': '*' } });
      expect(r.status).toBe(201);
    }
    for (const c of edited) {
      const body = c.body.replace(/^TITLE:.*\r\n/m, '').replace(/^END:VCARD/m, `TITLE:Edited in run ${k}\r\nEND:VCARD`);
      expect((await dav(h.base, 'PUT', `/dav/bob/contacts/${c.href}`, { auth: B, body, headers: { 'if-match': c.etag } })).status).toBe(204);
    }
    expect((await dav(h.base, 'DELETE', `/dav/bob/contacts/${gone.href}`, { auth: B, headers: { 'if-match': gone.etag } })).status).toBe(204);
    expect(await h.line()).toBe(`AT ${m.at}`);
    await h.kill();

    h = await startChild(data, LOGINS, ENV, port);
    const after = await state(h);
    // The run is all or nothing: none of bob's new contacts or all of them.
    const newIn = (list: string[]) => list.filter((f) => names.some((n) => f.includes(`"${n}"`))).length;
    expect(newIn(truthFields(after)), m.at).toBe(m.inTruth ? 6 : 0);
    expect(newIn(bookFields(after, 'alice')), m.at).toBe(m.inBook ? 6 : 0);
    // Every PUT bob was answered is in his book.
    expect(newIn(bookFields(after, 'bob'))).toBe(6);
    // alice's book and her pending actions make up the truth.
    const pending = new Set(after.pending.alice!.map((p) => p.guid));
    const aliceHas = new Set(bookFields(after, 'alice'));
    for (const r of after.truth) if (!pending.has(r.guid)) expect(aliceHas.has(fieldsOf(r.contact)), r.contact.fn).toBe(true);
    const count = (a: string) => after.pending.alice!.filter((p) => p.action === a).length;
    expect(after.books.alice!.length).toBe(after.truth.length - count('ADD') + count('DELETE'));

    // The next run and alice's next sync converge, nothing doubled.
    await h.ask('export', 'TRUTH');
    const sync = await vdirsyncerAgain(vds);
    expect(sync.rc, sync.out).toBe(0);
    const fin = await state(h);
    expected += 6 - 1;
    expect(fin.truth).toHaveLength(expected);
    const truth = truthFields(fin);
    expect(new Set(truth).size).toBe(truth.length);
    expect(bookFields(fin, 'alice')).toEqual(truth);
    expect(bookFields(fin, 'bob')).toEqual(truth);
    expect(folderFields(local)).toEqual(truth);
    expect(truth.filter((f) => f.includes(`Edited in run ${k}`))).toHaveLength(2);
    expect(fin.pending.alice).toHaveLength(0);
    expect(fin.pending.bob).toHaveLength(0);

    // A client still holding the ETag from before the run: 412, nothing changed.
    const r = await dav(h.base, 'PUT', `/dav/alice/contacts/${stale.href}`, { auth: A, body: stale.body.replace(/^FN:.*$/m, 'FN:Stale Write'), headers: { 'if-match': stale.etag } });
    expect(r.status).toBe(412);
    expect((await state(h)).books.alice!.some((c) => c.body.includes('Stale Write'))).toBe(false);
  }, 60_000);

  it('stopped dead in the second transaction of a large push: the first stays, the rest is pending, then converges', async () => {
    await h!.kill();
    h = await startChild(data, LOGINS, { ...ENV, CONCORD_HALT_AT: 'push2' }, port);
    // bob uploads more cards than one push transaction holds (four connections at once).
    const N = 520;
    let next = 0;
    const worker = async (c: HubChild) => {
      while (next < N) {
        const i = next++;
        const r = await dav(c.base, 'PUT', `/dav/bob/contacts/big${i}.vcf`, { auth: B, body: card(`big${i}`, `Big${i} Batch`, `+44 20 7946 ${String(6000 + i)}`), headers: { 'if-none-match': '*' } });
        expect(r.status).toBe(201);
      }
    };
    await Promise.all([worker(h), worker(h), worker(h), worker(h)]);
    expect(await h.line()).toBe('AT push2');
    await h.kill();

    h = await startChild(data, LOGINS, ENV, port);
    const after = await state(h);
    const big = (list: string[]) => list.filter((f) => /"Big\d+ Batch"/.test(f)).length;
    expect(big(truthFields(after))).toBe(N);
    expect(big(bookFields(after, 'bob'))).toBe(N);
    // The first transaction's cards and acknowledgements are there, the second's are not:
    // what it held is still pending for alice.
    const onAlice = big(bookFields(after, 'alice'));
    expect(onAlice).toBeGreaterThan(0);
    expect(onAlice).toBeLessThan(N);
    const adds = after.pending.alice!.filter((p) => p.action === 'ADD').length;
    expect(onAlice + adds).toBe(N);
    expect(after.books.alice!.length).toBe(after.truth.length - adds);

    await h.ask('export', 'TRUTH');
    const sync = await vdirsyncerAgain(vds);
    expect(sync.rc, sync.out).toBe(0);
    const fin = await state(h);
    expected += N;
    expect(fin.truth).toHaveLength(expected);
    const truth = truthFields(fin);
    expect(new Set(truth).size).toBe(truth.length);
    expect(bookFields(fin, 'alice')).toEqual(truth);
    expect(bookFields(fin, 'bob')).toEqual(truth);
    expect(folderFields(local)).toEqual(truth);
    expect(fin.pending.alice).toHaveLength(0);
  }, 60_000);
});
