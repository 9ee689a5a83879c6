// The process-crash campaign (nothing acknowledged lost across a SIGKILL). A real data folder; `concord serve` as a
// child process with two SyncEvolution clients (A: WBXML/MD5, B: XML/basic) syncing over
// HTTP; a simulated handset (in this process, so it outlives every crash, as a phone would)
// on a socat pty pair, synced by a hub process of our own (at-hub-child.ts) on the same
// folder while serve is stopped. Each round edits one device, syncs it and SIGKILLs the hub
// process at a random moment (SyncML: a random instant of the session; the phone: during
// retrieve, right after the commit, or after a random acknowledgement), restarts it and
// syncs again until the device is done. Every few rounds and at the end all devices sync
// once more and the oracle is checked: every device equals the truth (`concord contacts
// export`), every contact any side created or changed is there with its last value, no
// duplicates.
import fs from 'node:fs';
import path from 'node:path';
import { SimHandset } from '../../../main/devices/at-phonebook/simulator';
import type { Capacity } from '../../../main/core/projection';
import { ptyPair, type PtyPair } from '../../main/devices/at-phonebook/helpers';
import { diffText, duplicates, exportTruth, folderSigs, genVcards, LineChild, phoneSigs, relTmp, rng, ROOT, runClient, sleep, truthOnPhone, truthSigs, vcardFiles } from './common';
import { pairSyncml, startServe, type Serve } from './serve';
import { freePort } from './common';

export interface CrashStats {
  kills: number;
  killsBy: Record<string, number>;
  rounds: number;
  /** Per kill round: syncs of the killed device (after the kill) until it completed. */
  syncsToConverge: number[];
  /** Client/phone syncs that ended in an error after a kill (the device retried). */
  failedSyncs: number;
  fullChecks: number;
  problems: string[];
  seed: number;
  contacts: number;
  ms: number;
}

interface Client {
  name: string;
  folder: string;
  cfg: string;
  env: Record<string, string>;
  durMs: number;
}

const CLIENT_TIMEOUT = 60_000;

export async function crashCampaign(o: { kills: number; seed: number; log?: (s: string) => void; checkEvery?: number }): Promise<CrashStats> {
  const log = o.log ?? (() => undefined);
  const started = Date.now();
  const random = rng(o.seed);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(random() * xs.length)]!;
  const dir = relTmp('crash');
  const data = path.join(dir, 'hub');
  const root = path.join(dir, 'clients');
  const stats: CrashStats = { kills: 0, killsBy: {}, rounds: 0, syncsToConverge: [], failedSyncs: 0, fullChecks: 0, problems: [], seed: o.seed, contacts: 0, ms: 0 };
  const countKill = (k: string) => {
    stats.kills++;
    stats.killsBy[k] = (stats.killsBy[k] ?? 0) + 1;
  };
  const clients: Client[] = [
    { name: 'A', folder: path.join(dir, 'a'), cfg: 'a', env: { SYNC_USER: 'alice', SYNC_PASS: 'pw-a', MAXMSGSIZE: '20000' }, durMs: 1500 },
    { name: 'B', folder: path.join(dir, 'b'), cfg: 'b', env: { SYNC_USER: 'bob', SYNC_PASS: 'pw-b', ENCODING: 'xml', AUTHTYPE: 'basic', MAXMSGSIZE: '20000' }, durMs: 1500 },
  ];
  await pairSyncml(data, 'laptop A', 'alice', 'pw-a');
  await pairSyncml(data, 'laptop B', 'bob', 'pw-b');
  genVcards(60, clients[0]!.folder, o.seed % 1000);
  fs.mkdirSync(clients[1]!.folder, { recursive: true });
  const lanPort = await freePort();

  /** The expected truth: FN → how many contacts carry it (all unique by construction). */
  const expected = new Map<string, number>();
  const bump = (raw: string, d: number) => {
    // Names as the hub compares and stores them: white space folded.
    const fn = raw.replace(/\s+/g, ' ').trim();
    const n = (expected.get(fn) ?? 0) + d;
    if (n < 0) stats.problems.push(`model: ${fn} removed more often than it was added`);
    if (n <= 0) expected.delete(fn);
    else expected.set(fn, n);
  };
  for (const f of vcardFiles(clients[0]!.folder)) bump(/^FN:(.*)$/m.exec(fs.readFileSync(path.join(clients[0]!.folder, f), 'utf8'))![1]!.trim(), 1);

  // The handset: SM 250 + ME 1000, 14-character names; 20 entries of its own.
  const sim = new SimHandset({ baud: 115200, charsets: ['GSM', 'UCS2'] });
  let phoneSerial = 0;
  const phoneAdd = (name: string) => {
    const me = sim.entries('ME');
    let idx = 1;
    while (me.has(idx)) idx++;
    me.set(idx, { name, number: `+4477009${String(++phoneSerial).padStart(5, '0')}`, type: 145 });
    bump(name, 1);
  };
  for (let i = 0; i < 20; i++) phoneAdd(`Ph ${i}`);
  let capacity: Capacity | null = null;

  let serve: Serve | null = null;
  const ensureServe = async () => {
    if (!serve || !serve.child.alive()) serve = await startServe(data, lanPort);
    return serve;
  };
  const stopServe = async () => {
    if (serve) await serve.child.stop();
    serve = null;
  };

  /** One client session; with `killAt`, SIGKILLs serve that many ms into it. */
  const clientSync = async (c: Client, killAt: number | null): Promise<{ ok: boolean; killed: boolean }> => {
    const s = await ensureServe();
    let killed = false;
    let finished = false;
    const t0 = Date.now();
    const timer =
      killAt === null
        ? null
        : setTimeout(() => {
            if (finished) return;
            killed = true;
            s.child.signal('SIGKILL');
          }, killAt);
    const r = await runClient(s.syncmlUrl, c.folder, 'two-way', c.cfg, { root, env: c.env, timeoutMs: CLIENT_TIMEOUT });
    finished = true;
    if (timer) clearTimeout(timer);
    if (killed) {
      await s.child.exited;
      serve = null;
    }
    if (r.rc === 0 && !killed) c.durMs = 0.7 * c.durMs + 0.3 * (Date.now() - t0);
    if (r.rc !== 0 && !killed) log(`client ${c.name} failed without a kill (rc ${r.rc}): ${r.out.slice(-1500)}`);
    return { ok: r.rc === 0, killed };
  };

  type Phase = 'retrieve' | 'commit' | 'ack';
  /** One phone run in a fresh hub process on a fresh pty pair; with `phase`, SIGKILLs it there. */
  let linkNo = 0;
  const phoneSync = async (phase: Phase | null): Promise<{ ok: boolean; killed: boolean }> => {
    await stopServe();
    const pair: PtyPair = await ptyPair(dir, `l${linkNo++}`);
    sim.serve(pair.phoneEnd);
    const child = LineChild.spawn(process.execPath, [path.join(ROOT, 'bin/run-ts.mjs'), path.join(ROOT, 'test/reliability/lib/at-hub-child.ts'), data, pair.hostEnd, '2000']);
    let killed = false;
    let acks = 0;
    const ackTarget = 1 + Math.floor(random() * 6);
    const killSoon = (ms: number) =>
      setTimeout(() => {
        if (child.alive() && !child.lines.some((l) => l.startsWith('DONE'))) {
          killed = true;
          child.signal('SIGKILL');
        }
      }, ms);
    child.onLine = (line) => {
      if (line.startsWith('OPEN ')) capacity ??= JSON.parse(line.slice(5)) as Capacity;
      if (killed || !phase) return;
      if (phase === 'retrieve' && line.startsWith('P device-retrieving')) killSoon(random() * 400);
      else if (phase === 'commit' && line.startsWith('P committed')) killSoon(random() * 5);
      else if (phase === 'ack' && line.startsWith('P device-pushing') && !line.endsWith(' 0/0') && ++acks === ackTarget) killSoon(random() * 20);
    };
    const timer = setTimeout(() => child.signal('SIGKILL'), 90_000);
    await child.exited;
    clearTimeout(timer);
    await pair.kill();
    await sim.whenDetached();
    const done = child.lines.find((l) => l.startsWith('DONE'));
    if (!killed && !done) log(`phone run ended without DONE: ${child.stderr.slice(-1500)}`);
    return { ok: !!done && done.includes('completed'), killed };
  };

  /** Syncs a device until a session completes; returns how many it took. */
  const untilDone = async (f: () => Promise<{ ok: boolean }>, what: string): Promise<number> => {
    for (let n = 1; n <= 6; n++) {
      if ((await f()).ok) return n;
      stats.failedSyncs++;
    }
    stats.problems.push(`${what} did not complete in 6 syncs`);
    return 6;
  };

  const checkAll = async (label: string) => {
    // Every device completes one run with no failure: A, B, the phone, then A and B again
    // (they hear of the phone's changes).
    for (const c of clients) await untilDone(() => clientSync(c, null), `${label}: ${c.name}`);
    await untilDone(() => phoneSync(null), `${label}: phone`);
    for (const c of clients) await untilDone(() => clientSync(c, null), `${label}: ${c.name}`);
    await stopServe();
    const truth = await exportTruth(data);
    stats.contacts = truth.length;
    const t = truthSigs(truth);
    const fns = truth.map((c) => c.fn).sort();
    const want = [...expected.entries()].flatMap(([fn, n]) => Array<string>(n).fill(fn)).sort();
    const problems = [
      diffText(`${label}: truth vs every edit made (lost or doubled)`, fns, want),
      duplicates(t).length ? `${label}: duplicates in the truth: ${duplicates(t).slice(0, 5).join(' | ')}` : null,
      ...clients.map((c) => diffText(`${label}: client ${c.name} vs truth`, folderSigs(c.folder), t)),
      capacity ? diffText(`${label}: phone vs truth`, phoneSigs(sim), truthOnPhone(truth, capacity)) : `${label}: phone never opened`,
    ].filter((p): p is string => p !== null);
    stats.problems.push(...problems);
    stats.fullChecks++;
    log(`${label}: ${truth.length} contacts; ${problems.length ? `PROBLEMS ${problems.join('\n')}` : 'converged, nothing lost or doubled'}`);
  };

  // Each side changes and deletes only what it created itself: a client's folder may be a
  // few rounds behind, and a change there to what another device changed meanwhile is a
  // conflict whose winner this model does not predict.
  const owns = (c: Client, fn: string) => (c.name === 'B' ? fn.startsWith('Cl B ') : !fn.startsWith('Ph ') && !fn.startsWith('Cl B '));
  const fnIn = (c: Client, f: string) => /^FN:(.*)$/m.exec(fs.readFileSync(path.join(c.folder, f), 'utf8'))?.[1]?.trim() ?? '';
  const editClient = (c: Client, r: number) => {
    const files = vcardFiles(c.folder).filter((f) => owns(c, fnIn(c, f)));
    for (let i = 0; i < 3; i++) {
      const fn = `Cl ${c.name} r${r} n${i}`;
      fs.writeFileSync(path.join(c.folder, `rel-${r}-${i}.vcf`), `BEGIN:VCARD\r\nVERSION:3.0\r\nN:n${i};Cl ${c.name} r${r}\r\nFN:${fn}\r\nTEL;TYPE=CELL:+44 20 7946 ${String((r * 10 + i) % 10000).padStart(4, '0')}\r\nEMAIL:cl.${c.name}.${r}.${i}@example.org\r\nEND:VCARD\r\n`);
      bump(fn, 1);
    }
    const victims = files.length > 4 ? [pick(files), pick(files)] : [];
    const [upd, del] = [victims[0], victims[1] !== victims[0] ? victims[1] : undefined];
    if (upd) {
      const p = path.join(c.folder, upd);
      const text = fs.readFileSync(p, 'utf8');
      const old = /^FN:(.*)$/m.exec(text)?.[1]?.trim();
      if (old !== undefined) {
        const fn = `${old.replace(/ e\d+$/, '')} e${r}`;
        fs.writeFileSync(p, text.replace(/^FN:.*$/m, `FN:${fn}`));
        bump(old, -1);
        bump(fn, 1);
      }
    }
    if (del) {
      const old = /^FN:(.*)$/m.exec(fs.readFileSync(path.join(c.folder, del), 'utf8'))?.[1]?.trim();
      if (old !== undefined) {
        fs.rmSync(path.join(c.folder, del));
        bump(old, -1);
      }
    }
  };

  const editPhone = (r: number) => {
    for (let i = 0; i < 2; i++) phoneAdd(`Ph r${r} ${i}`);
    const own = [...sim.entries('ME')].filter(([, e]) => /^Ph [\w ]+$/.test(e.name) && !e.name.includes('/'));
    if (own.length > 3) {
      const [ui, ue] = pick(own);
      // (trimEnd: from round 100 on, "Ph r123 0" cut to 8 is "Ph r123 ", and a double space
      // is not a name the hub keeps: it folds white space.)
      const fn = `${ue.name.replace(/ e\d+$/, '').slice(0, 8).trimEnd()} e${r % 100}`;
      if (!expected.has(fn)) {
        sim.entries('ME').set(ui, { ...ue, name: fn });
        bump(ue.name, -1);
        bump(fn, 1);
      }
      const [di, de] = pick(own);
      if (di !== ui) {
        sim.entries('ME').delete(di);
        bump(de.name, -1);
      }
    }
  };

  try {
    // Everyone in: A's 60 contacts, the phone's 20.
    await untilDone(() => clientSync(clients[0]!, null), 'initial A');
    await untilDone(() => phoneSync(null), 'initial phone');
    for (const c of clients) await untilDone(() => clientSync(c, null), `initial ${c.name}`);
    await checkAll('initial');
    const every = o.checkEvery ?? 5;
    let r = 0;
    while (stats.kills < o.kills) {
      r++;
      stats.rounds++;
      const kind = r % 3 === 0 ? 'phone' : r % 3 === 1 ? 'A' : 'B';
      let killsThisRound = 0;
      let syncs = 0;
      if (kind === 'phone') {
        editPhone(r);
        const phase = pick(['retrieve', 'commit', 'ack'] as const);
        // The first attempt is killed in `phase`; a retry is killed again half the time.
        let attempt: Phase | null = phase;
        for (;;) {
          const res = await phoneSync(attempt);
          if (res.killed) {
            killsThisRound++;
            countKill(`phone:${attempt}`);
          } else syncs++;
          if (res.ok) break;
          if (!res.killed) stats.failedSyncs++;
          attempt = killsThisRound < 2 && random() < 0.5 ? pick(['retrieve', 'commit', 'ack'] as const) : null;
          if (syncs > 6) {
            stats.problems.push(`round ${r}: the phone did not complete`);
            break;
          }
        }
      } else {
        const c = kind === 'A' ? clients[0]! : clients[1]!;
        editClient(c, r);
        let killAt: number | null = 50 + random() * c.durMs;
        for (;;) {
          const res = await clientSync(c, killAt);
          if (res.killed) {
            killsThisRound++;
            countKill(`syncml:${c.name}`);
          } else syncs++;
          if (res.ok && !res.killed) break;
          if (!res.killed) stats.failedSyncs++;
          killAt = killsThisRound < 2 && random() < 0.5 ? 50 + random() * c.durMs : null;
          if (syncs > 6) {
            stats.problems.push(`round ${r}: client ${c.name} did not complete`);
            break;
          }
        }
      }
      if (killsThisRound > 0) stats.syncsToConverge.push(syncs);
      log(`round ${r} (${kind}): ${killsThisRound} kill(s), done after ${syncs} more sync(s); ${stats.kills} kills so far`);
      if (r % every === 0 || stats.kills >= o.kills) await checkAll(`after round ${r}`);
      if (stats.problems.length > 0) break;
    }
  } finally {
    await stopServe();
    if (sim.serving) await sleep(10);
    stats.ms = Date.now() - started;
  }
  if (stats.problems.length === 0) fs.rmSync(dir, { recursive: true, force: true });
  else stats.problems.push(`(data kept in ${dir})`);
  return stats;
}
