// Shared pieces of the reliability harness: temp folders, a seeded RNG, real
// SyncEvolution runs (optionally inside a network namespace), the truth as
// `concord contacts export --format json` prints it, and the comparisons of the oracle
// (design/sync-method.md, "What must always hold").
import { execFile, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { normalizePhone, type Contact } from '../../../main/core/contact';
import { project, type Capacity } from '../../../main/core/projection';
import { entriesToContacts } from '../../../main/devices/at-phonebook/mapping';
import type { SimHandset } from '../../../main/devices/at-phonebook/simulator';
import { toContact, type ScenarioContact } from '../../../main/scenario/format';
import { vcardToContact } from '../../../main/devices/syncml/vcard';
import { hasSyncEvolution, signature, sigDiff, TOOLS } from '../../main/devices/syncml/harness';

import { freePort, killAll, LineChild, live, sleep } from '../../lib/process';
import { rng } from '../../lib/random';
import { tmpDir } from '../../lib/tmp';

export { freePort, hasSyncEvolution, killAll, LineChild, live, rng, signature, sigDiff, sleep, TOOLS };

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
export const REGION = 'GB';

/** A fresh folder under the system temp dir, always prefixed `concord-rel-`. */
export function relTmp(tag: string): string {
  return tmpDir(`rel-${tag}`);
}





export interface ClientRun {
  rc: number;
  out: string;
  ms: number;
}

export interface ClientOptions {
  /** CLIENT_ROOT of client-sync.sh. */
  root: string;
  env?: Record<string, string>;
  /** Run inside this network namespace (`ip netns exec NS …`). */
  netns?: string;
  timeoutMs?: number;
}

/** One SyncEvolution session through the shared client-sync.sh. */
export function runClient(url: string, folder: string, mode: string, cfg: string, o: ClientOptions): Promise<ClientRun> {
  const script = path.join(TOOLS, 'client-sync.sh');
  const [cmd, args] = o.netns ? ['ip', ['netns', 'exec', o.netns, script, url, folder, mode, cfg]] : [script, [url, folder, mode, cfg]];
  const started = Date.now();
  return new Promise((resolve) => {
    const child = execFile(
      cmd,
      args,
      {
        env: { ...process.env, CLIENT_ROOT: o.root, RETRY_INTERVAL: '0', PRINTCHANGES: '0', CLIENT_LOGDIR: 'none', ...o.env },
        maxBuffer: 64 * 1024 * 1024,
        timeout: o.timeoutMs ?? 120_000,
        killSignal: 'SIGKILL',
      },
      (err, stdout, stderr) => {
        live.delete(child);
        const m = /RC=(\d+)/.exec(stdout);
        resolve({ rc: m ? Number(m[1]) : ((err as { code?: number } | null)?.code ?? 1) || 1, out: stdout + stderr, ms: Date.now() - started });
      },
    );
    live.add(child);
  });
}

export function genVcards(n: number, folder: string, seed: number): void {
  fs.mkdirSync(folder, { recursive: true });
  const r = spawnSync('python3', [path.join(TOOLS, 'gen-vcards.py'), String(n), folder, '--seed', String(seed), '--unique'], { stdio: 'ignore' });
  if (r.status !== 0) throw new Error('gen-vcards.py failed');
}

export function vcardFiles(folder: string): string[] {
  return fs
    .readdirSync(folder)
    .filter((f) => !f.startsWith('.'))
    .sort();
}

/** A client's vCard folder as comparison signatures. */
export function folderSigs(folder: string): string[] {
  return vcardFiles(folder)
    .map((f) => signature(vcardToContact(fs.readFileSync(path.join(folder, f), 'utf8'))))
    .sort();
}

/** The truth, read the way a user would: `concord contacts export --format json`. */
export async function exportTruth(dataDir: string): Promise<Contact[]> {
  const out = await new Promise<string>((resolve, reject) => {
    execFile(process.execPath, [path.join(ROOT, 'bin/concord.mjs'), 'contacts', 'export', '--format', 'json', '--data', dataDir], { maxBuffer: 256 * 1024 * 1024 }, (err, stdout, stderr) => {
      if (err) reject(new Error(`contacts export failed: ${stderr}`));
      else resolve(stdout);
    });
  });
  return (JSON.parse(out) as ScenarioContact[]).map(toContact);
}

/** The export carries no type labels; the signature ignores them too. */
export function truthSigs(truth: Contact[]): string[] {
  return truth.map((c) => signature(c, true)).sort();
}

/** What the handset holds, grouped back into contacts, as the hub would compare them. */
export function phoneSigs(sim: SimHandset): string[] {
  const out: string[] = [];
  for (const st of sim.storages.keys()) {
    const groups = entriesToContacts([...sim.entries(st)].map(([index, e]) => ({ index, name: e.name, number: e.number })));
    for (const g of groups) out.push(phoneKey(g.contact));
  }
  return out.sort();
}

/** Name and numbers only (what a handset keeps), type labels aside (the export has none). */
function phoneKey(c: Contact): string {
  // The phone holds dialable characters only; a number the hub could not normalize
  // keeps its spaces in the truth.
  const tel = (v: string) => normalizePhone(v.replace(/[^\d+]/g, ''), REGION).replace(/\D/g, '');
  // White space folded, as the hub compares names (a phone may hold a name typed with two
  // spaces; the truth keeps one, and the two are the same value).
  return JSON.stringify([c.fn.replace(/\s+/g, ' ').trim(), c.tel.map((t) => tel(t.value)).sort()]);
}

/** The truth as the phone must hold it (its projection). */
export function truthOnPhone(truth: Contact[], capacity: Capacity): string[] {
  return truth
    .map((c) => project(c, capacity))
    .filter((c) => c.fn !== '' || c.tel.length > 0)
    .map(phoneKey)
    .sort();
}

export function diffText(what: string, left: string[], right: string[]): string | null {
  const d = sigDiff(left, right);
  if (d.onlyLeft.length === 0 && d.onlyRight.length === 0) return null;
  return `${what}: ${JSON.stringify(d, null, 1)}`;
}

export function duplicates(sigs: string[]): string[] {
  const seen = new Set<string>();
  const dup: string[] = [];
  for (const s of sigs) {
    if (seen.has(s)) dup.push(s);
    seen.add(s);
  }
  return dup;
}
