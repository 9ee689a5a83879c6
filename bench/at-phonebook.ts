// Reading 250 SIM entries from the handset simulator paced at 115200 baud, against the wire
// time of the bytes actually exchanged and against `gammu getallmemory SM` on the same
// simulator; and a no-change full sync of a 250-entry phone through the Hub. Prints figures,
// fails nothing (style.md: a benchmark is not a test).
import { execFile, spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { promisify } from 'node:util';
import { openSerialLink } from '../native/serial';
import { AtPhonebookSyncPoint } from '../main/devices/at-phonebook/sync-point';
import { SimHandset } from '../main/devices/at-phonebook/simulator';
import { Hub } from '../main/hub/hub';

const BAUD = 115200;
const BYTES_PER_S = BAUD / 10;
const execFileP = promisify(execFile);

async function ptyPair(dir: string, name: string) {
  const phoneEnd = path.join(dir, `${name}-phone`);
  const hostEnd = path.join(dir, `${name}-host`);
  const proc = spawn('socat', [`pty,raw,echo=0,link=${phoneEnd}`, `pty,raw,echo=0,link=${hostEnd}`], { stdio: 'ignore' });
  for (let i = 0; i < 250 && !(fs.existsSync(phoneEnd) && fs.existsSync(hostEnd)); i++) await new Promise((r) => setTimeout(r, 20));
  return { phoneEnd, hostEnd, kill: () => proc.kill('SIGTERM') };
}


export async function runBench(): Promise<Record<string, number | string>> {
  const out: Record<string, number | string> = {};
  if (spawnSync('sh', ['-c', 'command -v socat']).status !== 0) return { skipped: 'socat not installed' };
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'atpb-bench-'));
  const sim = new SimHandset({ baud: BAUD, charsets: ['GSM', 'UCS2'], fill: { SM: 250 }, storages: [{ name: 'SM', size: 250, nameLength: 14, numberLength: 40 }] });
  const pair = await ptyPair(dir, 'bench');
  sim.serve(pair.phoneEnd);
  try {
    // 1. The driver: open (init, identity, limits), then read 250 SIM entries.
    const link = await openSerialLink(pair.hostEnd, BAUD);
    const t0 = performance.now();
    const sp = await AtPhonebookSyncPoint.open(link, { spid: 'bench', storages: ['SM'] });
    const t1 = performance.now();
    const before = { ...link.counts };
    const t2 = performance.now();
    await sp.retrieve();
    const t3 = performance.now();
    const inB = link.counts.in - before.in;
    const outB = link.counts.out - before.out;
    const wireDuplex = Math.max(inB, outB) / BYTES_PER_S;
    const wireSerial = (inB + outB) / BYTES_PER_S;
    out['driver open s'] = round(( t1 - t0) / 1000);
    out['driver read 250 SM s'] = round((t3 - t2) / 1000);
    out['read bytes phone->host'] = inB;
    out['read bytes host->phone'] = outB;
    out['wire time (full duplex) s'] = round(wireDuplex);
    out['wire time (all bytes serial) s'] = round(wireSerial);
    out['read / wire (full duplex)'] = round((t3 - t2) / 1000 / wireDuplex);
    out['read / wire (serial)'] = round((t3 - t2) / 1000 / wireSerial);
    await sp.close();

    // 2. Gammu on the same simulator.
    if (spawnSync('sh', ['-c', 'command -v gammu']).status === 0) {
      const rc = path.join(dir, 'gammurc');
      fs.writeFileSync(rc, `[gammu]\ndevice = ${pair.hostEnd}\nconnection = at\n`);
      const g0 = performance.now();
      const r = await execFileP('gammu', ['-c', rc, 'getallmemory', 'SM'], { timeout: 120_000 }).catch((e: { stdout?: string }) => ({ stdout: e.stdout ?? '' }));
      out['gammu getallmemory SM s'] = round((performance.now() - g0) / 1000);
      out['gammu entries'] = (r.stdout.match(/^Memory SM, Location/gm) ?? []).length;
      out['driver open+read vs gammu'] = round((t3 - t0) / 1000 / (out['gammu getallmemory SM s'] as number));
    } else out['gammu'] = 'not installed';

    // 3. A no-change full sync of the 250-entry phone through the Hub (after a first sync).
    const hubDir = fs.mkdtempSync(path.join(dir, 'hub-'));
    const hub = Hub.open({ dataDir: hubDir, region: 'GB' });
    const link2 = await openSerialLink(pair.hostEnd, BAUD);
    const s0 = performance.now();
    const sp2 = await AtPhonebookSyncPoint.open(link2, { spid: 'phone', storages: ['SM'] });
    hub.pairDevice({ spid: 'phone', name: 'bench', kind: 'at-phonebook', link: 'usb', changeTracking: 'snapshot', capacity: sp2.capacity, config: sp2.config() });
    hub.attach(sp2);
    await hub.sync();
    const s1 = performance.now();
    const summary = await hub.sync();
    const s2 = performance.now();
    out['first sync (open + 250 in) s'] = round((s1 - s0) / 1000);
    out['no-change sync 250 s'] = round((s2 - s1) / 1000);
    out['no-change sync outcome'] = summary.outcome;
    await hub.close();
    await sp2.close();
  } finally {
    pair.kill();
    await sim.whenDetached();
    fs.rmSync(dir, { recursive: true, force: true });
  }
  return out;
}

function round(x: number): number {
  return Math.round(x * 1000) / 1000;
}

/** Measures, prints the figures, and returns them. */
export async function run(): Promise<Record<string, number | string>> {
  console.log('\nAT phonebook (simulated handset on a socat pty pair, 115200 baud)');
  const r = await runBench();
  for (const [k, v] of Object.entries(r)) console.log(`  ${k.padEnd(34)} ${v}`);
  return r;
}

if (import.meta.url === `file://${process.argv[1]}`) await run();
