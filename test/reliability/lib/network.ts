// Lossy, slow and broken networks (a run over a bad link converges, nothing lost or doubled).
// - netns: `concord serve` in one network namespace, SyncEvolution in another, joined by a
//   veth pair with nftables random loss (5/10/30 %) and tbf bandwidth.
// - proxy: the hub's SyncML endpoint behind our TCP proxy on 127.0.0.1: delay with jitter,
//   resets after N bytes up or down, refused connections, a stalled peer (which the hub's own
//   session timeout must notice).
// Every sync completes or fails cleanly and a later one completes; nothing lost or doubled.
import fs from 'node:fs';
import path from 'node:path';
import { contactOf } from '../../../main/core/contact';
import { startSyncmlEndpoint } from '../../../main/devices/syncml/http';
import { pairSyncmlDevice } from '../../../main/devices/syncml/pair';
import { Hub } from '../../../main/hub/hub';
import { diffText, duplicates, exportTruth, folderSigs, freePort, genVcards, relTmp, rng, runClient, signature, sleep, truthSigs, vcardFiles } from './common';
import { dropped, HUB_IP, NS_CLI, NS_HUB, setBandwidth, setLoss } from './netns';
import { startProxy, type ProxyFaults } from './proxy';
import { pairSyncml, startServe } from './serve';

export interface FaultRow {
  fault: string;
  injected: number;
  attempted: number;
  completed: number;
  failedCleanly: number;
  /** Syncs after the faulted one until one completed (max over the injections). */
  maxSyncsToConverge: number;
  /** HTTP requests beyond what the same syncs cost on a clean line (proxy only). */
  extraMessages?: number;
  droppedPackets?: number;
  stallDetectMs?: number[];
  ms: number;
}

export interface NetStats {
  rows: FaultRow[];
  problems: string[];
  seed: number;
}

/** The expected truth by FN; edits keep every FN unique. */
class Model {
  readonly fns = new Map<string, number>();
  bump(fn: string, d: number): void {
    const n = (this.fns.get(fn) ?? 0) + d;
    if (n === 0) this.fns.delete(fn);
    else this.fns.set(fn, n);
  }
  list(): string[] {
    return [...this.fns.entries()].flatMap(([fn, n]) => Array<string>(n).fill(fn)).sort();
  }
  loadFolder(folder: string): void {
    for (const f of vcardFiles(folder)) this.bump(fnOf(path.join(folder, f))!, 1);
  }
}

function fnOf(file: string): string | undefined {
  return /^FN:(.*)$/m.exec(fs.readFileSync(file, 'utf8'))?.[1]?.trim();
}

/** Two adds and one change on the client. */
function editClient(folder: string, model: Model, tag: string, random: () => number): void {
  for (let i = 0; i < 2; i++) {
    const fn = `Net ${tag} ${i}`;
    fs.writeFileSync(path.join(folder, `net-${tag}-${i}.vcf`), `BEGIN:VCARD\r\nVERSION:3.0\r\nN:${i};Net ${tag}\r\nFN:${fn}\r\nEMAIL:net.${tag}.${i}@example.org\r\nEND:VCARD\r\n`);
    model.bump(fn, 1);
  }
  const files = vcardFiles(folder);
  const f = path.join(folder, files[Math.floor(random() * files.length)]!);
  const old = fnOf(f);
  if (old) {
    const fn = `${old.replace(/ x\S+$/, '')} x${tag}`;
    fs.writeFileSync(f, fs.readFileSync(f, 'utf8').replace(/^FN:.*$/m, `FN:${fn}`));
    model.bump(old, -1);
    model.bump(fn, 1);
  }
}

function oracle(label: string, truthFns: string[], truth: string[], model: Model, folder: string): string[] {
  return [
    diffText(`${label}: truth vs every edit (lost or doubled)`, truthFns.sort(), model.list()),
    duplicates(truth).length ? `${label}: duplicates in the truth` : null,
    diffText(`${label}: client vs truth`, folderSigs(folder), truth),
  ].filter((p): p is string => p !== null);
}

/** `concord serve` in NS_HUB, SyncEvolution in NS_CLI, random loss on the veth. */
export async function netnsCampaign(o: { syncsPerRate: number; rates?: { loss: number; kbit?: number }[]; seed: number; log?: (s: string) => void }): Promise<NetStats> {
  const log = o.log ?? (() => undefined);
  const random = rng(o.seed);
  const stats: NetStats = { rows: [], problems: [], seed: o.seed };
  const dir = relTmp('netns');
  const data = path.join(dir, 'hub');
  const folder = path.join(dir, 'c');
  const model = new Model();
  await pairSyncml(data, 'laptop', 'nina', 'pw-n');
  genVcards(40, folder, o.seed % 1000);
  model.loadFolder(folder);
  const serve = await startServe(data, 8080, { host: HUB_IP, netns: NS_HUB });
  // A lost reply is re-sent after RetryInterval (the hub must answer a resend idempotently).
  const env = { SYNC_USER: 'nina', SYNC_PASS: 'pw-n', MAXMSGSIZE: '20000', RETRY_INTERVAL: '5', RETRY_DURATION: '40' };
  const sync = () => runClient(serve.syncmlUrl, folder, 'two-way', 'n', { root: path.join(dir, 'clients'), env, netns: NS_CLI, timeoutMs: 90_000 });
  try {
    setLoss(0);
    const first = await sync();
    if (first.rc !== 0) stats.problems.push(`the first sync on a clean line failed: ${first.out.slice(-1500)}`);
    for (const rate of o.rates ?? [{ loss: 5 }, { loss: 10 }, { loss: 30 }, { loss: 5, kbit: 256 }]) {
      const name = `${rate.loss}% loss${rate.kbit ? `, ${rate.kbit} kbit/s` : ''} (netns)`;
      setLoss(rate.loss);
      setBandwidth(rate.kbit ?? 0);
      const row: FaultRow = { fault: name, injected: 0, attempted: 0, completed: 0, failedCleanly: 0, maxSyncsToConverge: 0, droppedPackets: 0, ms: 0 };
      const t0 = Date.now();
      for (let i = 0; i < o.syncsPerRate; i++) {
        editClient(folder, model, `l${rate.loss}k${rate.kbit ?? 0}s${i}`, random);
        let n = 0;
        for (;;) {
          n++;
          row.attempted++;
          const r = await sync();
          if (r.rc === 0) {
            row.completed++;
            break;
          }
          row.failedCleanly++;
          if (n >= 8) {
            stats.problems.push(`${name}: no sync completed in 8 attempts`);
            break;
          }
        }
        row.injected++;
        row.maxSyncsToConverge = Math.max(row.maxSyncsToConverge, n);
      }
      row.droppedPackets = dropped();
      row.ms = Date.now() - t0;
      setLoss(0);
      setBandwidth(0);
      const truth = await exportTruth(data);
      const problems = oracle(name, truth.map((c) => c.fn), truthSigs(truth), model, folder);
      stats.problems.push(...problems);
      stats.rows.push(row);
      log(`${name}: ${row.completed}/${row.attempted} syncs completed, ${row.droppedPackets} packets dropped, ${(row.ms / 1000).toFixed(1)} s; ${problems.length ? problems.join('\n') : 'nothing lost or doubled'}`);
      if (problems.length) break;
    }
  } finally {
    await serve.child.stop();
  }
  if (stats.problems.length === 0) fs.rmSync(dir, { recursive: true, force: true });
  else stats.problems.push(`(data kept in ${dir})`);
  return stats;
}

/** The hub in this process behind our TCP proxy on 127.0.0.1. */
export async function proxyCampaign(o: { reps: number; seed: number; log?: (s: string) => void }): Promise<NetStats> {
  const log = o.log ?? (() => undefined);
  const random = rng(o.seed);
  const stats: NetStats = { rows: [], problems: [], seed: o.seed };
  const dir = relTmp('proxy');
  const hub = Hub.open({ dataDir: path.join(dir, 'hub'), region: 'GB' });
  pairSyncmlDevice(hub, 'laptop', 'pat', 'pw-p');
  const hubPort = await freePort();
  const proxy = await startProxy('127.0.0.1', hubPort);
  const SESSION_TIMEOUT = 3000;
  const ep = await startSyncmlEndpoint(hub, { host: '127.0.0.1', port: hubPort, publicUrl: `http://127.0.0.1:${proxy.port}/syncml`, sessionTimeoutMs: SESSION_TIMEOUT, stateDir: path.join(dir, 'hub', 'syncml') });
  const url = `http://127.0.0.1:${proxy.port}/syncml`;
  const folder = path.join(dir, 'c');
  const model = new Model();
  genVcards(60, folder, o.seed % 1000);
  model.loadFolder(folder);
  const env = { SYNC_USER: 'pat', SYNC_PASS: 'pw-p', MAXMSGSIZE: '8000' };
  const sync = (timeoutMs = 60_000) => runClient(url, folder, 'two-way', 'p', { root: path.join(dir, 'clients'), env, timeoutMs });
  let hubSerial = 0;
  const editBoth = (tag: string) => {
    editClient(folder, model, tag, random);
    for (let i = 0; i < 5; i++) {
      const fn = `Hub ${tag} ${i} ${++hubSerial}`;
      hub.editor.add(contactOf({ fn, email: [{ type: '', value: `hub.${hubSerial}@example.org` }] }));
      model.bump(fn, 1);
    }
  };
  try {
    if ((await sync()).rc !== 0) stats.problems.push('the first sync failed');
    // What a clean sync with the same amount of work costs, in requests.
    editBoth('base');
    const before = proxy.stats.requests;
    if ((await sync()).rc !== 0) stats.problems.push('the clean baseline sync failed');
    const cleanCost = proxy.stats.requests - before;
    const kinds: { name: string; faults: () => ProxyFaults }[] = [
      { name: 'delay 150 ms ± 100 ms jitter (proxy)', faults: () => ({ delayMs: 150, jitterMs: 100 }) },
      { name: 'reset after N bytes up (proxy)', faults: () => ({ resetAfter: { dir: 'up', bytes: 100 + Math.floor(random() * 12_000) } }) },
      { name: 'reset after N bytes down (proxy)', faults: () => ({ resetAfter: { dir: 'down', bytes: 100 + Math.floor(random() * 12_000) } }) },
      { name: 'connection refused (proxy)', faults: () => ({ refuse: true }) },
      { name: 'peer stalls after N bytes up (proxy)', faults: () => ({ stallAfterUp: 2000 + Math.floor(random() * 10_000) }) },
    ];
    for (const [ki, kind] of kinds.entries()) {
      const row: FaultRow = { fault: kind.name, injected: 0, attempted: 0, completed: 0, failedCleanly: 0, maxSyncsToConverge: 0, extraMessages: 0, ms: 0, ...(kind.name.includes('stall') ? { stallDetectMs: [] } : {}) };
      const t0 = Date.now();
      for (let i = 0; i < o.reps; i++) {
        editBoth(`k${ki}r${i}`);
        const req0 = proxy.stats.requests;
        const hit0 = proxy.stats.resets + proxy.stats.stalls;
        proxy.faults = kind.faults();
        await proxy.apply();
        row.attempted++;
        const stalled = kind.name.includes('stall');
        const r = await sync(stalled ? 6000 : 60_000);
        if (stalled && row.stallDetectMs) {
          // The client gave up (killed at 6 s); the hub must drop the session on its own.
          const t = Date.now();
          while (hub.running() && Date.now() - t < 4 * SESSION_TIMEOUT) await sleep(50);
          if (hub.running()) stats.problems.push(`${kind.name}: the hub still waits on a stalled peer ${4 * SESSION_TIMEOUT} ms later`);
          row.stallDetectMs.push(Date.now() - t);
        }
        proxy.faults = {};
        await proxy.apply();
        // A reset or stall past the end of the session's traffic injected nothing.
        if (/reset|stall/.test(kind.name) ? proxy.stats.resets + proxy.stats.stalls > hit0 : true) row.injected++;
        if (r.rc === 0) row.completed++;
        else row.failedCleanly++;
        let n = 0;
        if (r.rc !== 0) {
          for (;;) {
            n++;
            row.attempted++;
            const again = await sync();
            if (again.rc === 0) {
              row.completed++;
              break;
            }
            row.failedCleanly++;
            if (n >= 5) {
              stats.problems.push(`${kind.name}: no sync completed in 5 attempts: ${again.out.slice(-1200)}`);
              break;
            }
          }
        }
        row.maxSyncsToConverge = Math.max(row.maxSyncsToConverge, n);
        row.extraMessages! += proxy.stats.requests - req0 - cleanCost;
        // The hub finishes its run after the last reply went out.
        for (const t = Date.now(); hub.running() && Date.now() - t < 10_000; ) await sleep(50);
        const truth = hub.contacts();
        const problems = oracle(`${kind.name} #${i + 1}`, truth.map((c) => c.contact.fn), truth.map((c) => signature(c.contact, true)).sort(), model, folder);
        stats.problems.push(...problems);
        if (problems.length) break;
      }
      row.ms = Date.now() - t0;
      stats.rows.push(row);
      log(`${kind.name}: ${row.injected} injected, ${row.completed}/${row.attempted} syncs completed, ${row.extraMessages} extra requests${row.stallDetectMs ? `, hub idle ${row.stallDetectMs.join('/')} ms after the client gave up` : ''}`);
      if (stats.problems.length) break;
    }
  } finally {
    await proxy.close();
    await ep.close();
    await hub.close();
  }
  if (stats.problems.length === 0) fs.rmSync(dir, { recursive: true, force: true });
  else stats.problems.push(`(data kept in ${dir})`);
  return stats;
}
