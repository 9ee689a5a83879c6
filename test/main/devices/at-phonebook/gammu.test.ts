// Gammu 1.42, a real AT client, against the handset simulator run as its own process (as
// `concord sim handset` runs it): identify, read SM and ME, write, read back and delete, for
// each memory and each charset offer. ~30 s per check; the three charset variants run side
// by side (Gammu spends its time sleeping), the two memories one after the other.
import { spawn, type ChildProcess } from 'node:child_process';
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { haveGammu, haveSocat, ptyPair, tempDir, type PtyPair } from './helpers';

const run = promisify(execFile);
const CHECK = path.resolve(process.cwd(), '../shared/tools/gammu/gammu-check.sh');
const missing = !haveSocat || !haveGammu
  ? 'gammu, bc or socat is not installed (apt-get install -y gammu socat bc): Gammu checks skipped'
  : !fs.existsSync(CHECK)
    ? `${CHECK} not found: Gammu checks skipped`
    : '';

const cleanup: (() => Promise<void>)[] = [];
afterAll(async () => {
  for (const c of cleanup) await c();
});

async function simOn(pair: PtyPair, charsets: string): Promise<ChildProcess> {
  const proc = spawn(process.execPath, ['bin/run-ts.mjs', 'test/main/devices/at-phonebook/sim-cli.ts', '--link', pair.phoneEnd, '--charsets', charsets, '--fill', 'SM:30,ME:40', '--baud', '115200'], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  // Ready once it says so: it must be serving before Gammu's wake-up AT.
  await new Promise<void>((resolve, reject) => {
    proc.stderr!.on('data', (d: Buffer) => {
      if (d.toString().includes('sim handset')) resolve();
    });
    proc.once('exit', (code) => reject(new Error(`simulator exited ${code}`)));
  });
  cleanup.push(async () => {
    proc.kill('SIGTERM');
    await pair.kill();
  });
  return proc;
}

describe.skipIf(!!missing)(`gammu-check against the handset simulator ${missing}`, () => {
  it('passes for SM and ME with GSM-only, UCS2-only and mixed charsets', async () => {
    const variants = ['GSM', 'UCS2', 'GSM,UCS2'];
    const results = await Promise.all(
      variants.map(async (charsets) => {
        const pair = await ptyPair(tempDir(), 'gammu');
        await simOn(pair, charsets);
        const lines: string[] = [];
        for (const mem of ['SM', 'ME']) {
          const r = await run(CHECK, [pair.hostEnd, mem], { timeout: 200_000 }).catch((e: { stdout?: string }) => ({ stdout: e.stdout ?? String(e) }));
          lines.push(`${charsets} ${mem}: ${r.stdout.trim()}`);
        }
        return lines;
      }),
    );
    const all = results.flat();
    console.log(all.join('\n'));
    for (const l of all) expect(l).toMatch(/gammu-check OK: .* read SM=30 ME=40 entries/);
  }, 300_000);
});
