// A hub with its LAN endpoint (CardDAV) in a process of its own, so a test can SIGKILL it in
// the middle of an upload or of a run.
// Usage: tsx hub-child.ts DATA_DIR PORT USER PASS [USER PASS]...  (one CardDAV account per pair)
// Prints "READY <base url>" once listening. Commands on stdin, one a line:
//   export  → "TRUTH <json: every contact's fn>" once no client change waits and no run runs
//             (after one more run).
//   online  → "ONLINE" once every account's book is online (its first client was heard).
//   state   → "STATE <json>" at once, no run: the truth's contacts, each account's book
//             (href, etag, body) and its pending actions (action, guid).
// Environment:
//   CONCORD_FIRST_CONTACT_MS, CONCORD_DEBOUNCE_MS, CONCORD_MAX_DELAY_MS  the CardDAV
//     service's options.
//   CONCORD_HALT_AT  stop dead (print "AT <where>", then block until killed) at a moment of
//     the first run that carries a client's change:
//       retrieve  a CardDAV book's changes were read, nothing committed;
//       commit    the run's commit (truth and action tables) is done, nothing pushed;
//       push      inside a book's push transaction: cards and acknowledgements written,
//                 not committed;
//       push2     likewise in the second transaction of a push (the first is committed);
//       finish    the push to a book is committed, its change log not yet forgotten.
import fs from 'node:fs';
import { Hub } from '../../../../main/hub/hub';
import { startSyncmlEndpoint } from '../../../../main/devices/syncml/http';
import { pairCarddavAccount } from '../../../../main/devices/carddav/pair';
import { carddavConfigOf } from '../../../../main/devices/carddav/account';
import { CarddavStore } from '../../../../main/dss/carddav-store';
import type { SyncPoint } from '../../../../main/hub/sync-point';

const [dataDir, port, ...logins] = process.argv.slice(2) as [string, string, ...string[]];
const hub = Hub.open({ dataDir, region: 'GB' });
const users: string[] = [];
for (let i = 0; i + 1 < logins.length; i += 2) {
  const user = logins[i]!;
  users.push(user);
  if (!hub.devices().some((d) => carddavConfigOf(d)?.user === user)) pairCarddavAccount(hub, `Book of ${user}`, user, logins[i + 1]!);
}
const spidOf = (user: string) => hub.devices().find((d) => carddavConfigOf(d)?.user === user)!.spid;

const haltAt = process.env.CONCORD_HALT_AT;
let halted = false;
let runHasChange = false;
let batches = 0;
/** Stops the process dead where it is: no await returns, no transaction ends. */
function halt(where: string): void {
  if (halted || haltAt !== where || !runHasChange) return;
  halted = true;
  fs.writeSync(1, `AT ${where}\n`);
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0);
}
if (haltAt) {
  // Every book's sync point passes through here (the service attaches one per account).
  const attach = hub.attach.bind(hub);
  hub.attach = (p: SyncPoint) => {
    const w: SyncPoint = Object.create(p) as SyncPoint;
    Object.assign(w, {
      retrieve: async () => {
        const r = await p.retrieve();
        if ('records' in r && r.records.length > 0) runHasChange = true;
        halt('retrieve');
        return r;
      },
      push: (ops: Parameters<SyncPoint['push']>[0], onAcks: Parameters<SyncPoint['push']>[1]) =>
        p.push(ops, (results) => {
          onAcks(results);
          halt(++batches === 1 ? 'push' : 'push2');
        }),
      finish: async (completed: boolean) => {
        halt('finish');
        return p.finish(completed);
      },
    });
    attach(w);
  };
  hub.on('progress', (e) => {
    if ((e as { type: string }).type === 'committed') halt('commit');
  });
}

const options: Record<string, number> = {};
for (const [name, option] of [
  ['CONCORD_FIRST_CONTACT_MS', 'firstContactMs'],
  ['CONCORD_DEBOUNCE_MS', 'debounceMs'],
  ['CONCORD_MAX_DELAY_MS', 'maxDelayMs'],
] as const) {
  if (process.env[name]) options[option] = Number(process.env[name]);
}
const ep = await startSyncmlEndpoint(hub, { host: '127.0.0.1', port: Number(port), carddav: options });
process.stdout.write(`READY ${ep.url.replace(/\/syncml$/, '')}\n`);

let buf = '';
process.stdin.setEncoding('utf8');
process.stdin.on('data', (chunk: string) => {
  buf += chunk;
  let nl: number;
  while ((nl = buf.indexOf('\n')) >= 0) {
    const line = buf.slice(0, nl).trim();
    buf = buf.slice(nl + 1);
    if (line === 'export') void exportTruth();
    else if (line === 'online') void online();
    else if (line === 'state') state();
  }
});

const settled = () => users.every((u) => ep.carddav!.pendingChanges(spidOf(u)) === 0) && !hub.running();

async function exportTruth(): Promise<void> {
  // A change logged before a restart waits for a run nobody scheduled: start one.
  for (;;) {
    while (hub.running()) await new Promise((r) => setTimeout(r, 50));
    await hub.sync();
    if (settled()) break;
    await new Promise((r) => setTimeout(r, 50));
  }
  process.stdout.write(`TRUTH ${JSON.stringify(hub.contacts().map((r) => r.contact.fn))}\n`);
}

async function online(): Promise<void> {
  while (!users.every((u) => ep.carddav!.isOnline(spidOf(u)))) await new Promise((r) => setTimeout(r, 50));
  process.stdout.write('ONLINE\n');
}

function state(): void {
  const store = new CarddavStore(hub.dss.db);
  const books: Record<string, { href: string; etag: string; body: string }[]> = {};
  const pending: Record<string, { action: string; guid: string }[]> = {};
  for (const u of users) {
    books[u] = store.liveCards(spidOf(u)).map((c) => ({ href: c.href, etag: c.etag, body: c.body! }));
    pending[u] = hub.pendingOf(spidOf(u)).map((p) => ({ action: p.action, guid: p.guid }));
  }
  const truth = hub.contacts().map((r) => ({ guid: r.guid, contact: r.contact }));
  process.stdout.write(`STATE ${JSON.stringify({ truth, books, pending })}\n`);
}
