// The hub's process killed (SIGKILL) in the middle of a SyncML session, after each message
// in turn: restarted on the same data, the next sync converges with nothing lost, nothing
// duplicated and no slow sync.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import type { Contact } from '../../../../main/core/contact';
import { freePort, LineChild } from '../../../lib/process';
import { expectSame, folderSignatures, genVcards, hasSyncEvolution, runClient, signature, startCuttingProxy, tmpDir } from './harness';

const CHILD = path.join(path.dirname(fileURLToPath(import.meta.url)), 'hub-child.ts');

/** The hub in its own process, driven over stdin/stdout. */
class HubProcess {
  private constructor(private readonly child: LineChild) {}

  get exited(): Promise<unknown> {
    return this.child.exited;
  }

  static async start(args: string[]): Promise<HubProcess> {
    const child = LineChild.spawn(process.execPath, ['--import', 'tsx', CHILD, ...args]);
    // What the hub process says on stderr goes to ours, so a crash is not silent.
    child.proc.stderr?.on('data', (c: string) => process.stderr.write(`[hub process] ${c}`));
    const ready = await child.nextLine(60_000, 'READY').catch((e: Error) => `EXITED ${e.message}`);
    if (!ready.startsWith('READY')) throw new Error(`the hub process did not start: ${ready}`);
    return new HubProcess(child);
  }

  ask(cmd: string): Promise<string> {
    this.child.proc.stdin?.write(cmd + '\n');
    return this.child.nextLine(60_000, `the answer to ${cmd}`);
  }

  async truth(): Promise<string[]> {
    const l = await this.ask('export');
    return (JSON.parse(l.slice('TRUTH '.length)) as Contact[]).map((c) => signature(c, true)).sort();
  }

  kill(): void {
    void this.child.kill();
  }

  stop(): Promise<void> {
    return this.child.stop(5_000);
  }
}

function files(folder: string): string[] {
  return fs.readdirSync(folder).filter((f) => !f.startsWith('.')).sort();
}

describe.skipIf(!hasSyncEvolution())('the hub killed in the middle of a SyncML session', () => {
  it('after each message in turn: restarted, the next sync converges without a slow sync', async () => {
    const dir = tmpDir('kill');
    const port = await freePort();
    const proxy = await startCuttingProxy();
    proxy.setTarget(`http://127.0.0.1:${port}/syncml`);
    const args = [path.join(dir, 'hub'), String(port), proxy.url, 'erin', 'pw-e'];
    let hub = await HubProcess.start(args);
    const E = { SYNC_USER: 'erin', SYNC_PASS: 'pw-e', MAXMSGSIZE: '20000' };
    const th = { dir };
    const c = path.join(dir, 'c');
    try {
      genVcards(150, c, 31);
      expect((await runClient(th, proxy.url, c, 'slow', 'e', E)).rc).toBe(0);
      let expected = 150;
      let resumed = 0;
      for (let cutAt = 1; cutAt <= 5; cutAt++) {
        const fc = files(c);
        fs.writeFileSync(path.join(c, fc[cutAt]!), fs.readFileSync(path.join(c, fc[cutAt]!), 'utf8').replace(/^FN:(.*)$/m, `FN:$1 k${cutAt}`));
        for (let i = 0; i < 30; i++) {
          fs.writeFileSync(path.join(c, `kill-${cutAt}-${i}.vcf`), `BEGIN:VCARD\r\nVERSION:3.0\r\nN:Kill${i};Round${cutAt}\r\nFN:Round${cutAt} Kill${i}\r\nTEL:+44207946${cutAt}${String(i).padStart(3, '0')}\r\nEND:VCARD\r\n`);
        }
        expect(await hub.ask(`add K${cutAt} 30`)).toBe('OK');
        expected += 60;
        const victim = hub;
        proxy.cut.clear();
        proxy.cut.add(proxy.count() + cutAt);
        proxy.onCut = () => victim.kill();
        await runClient(th, proxy.url, c, 'two-way', 'e', E);
        proxy.cut.clear();
        proxy.onCut = null;
        victim.kill(); // the session may have had fewer messages than cutAt
        await victim.exited;
        hub = await HubProcess.start(args);
        const ok = await runClient(th, proxy.url, c, 'two-way', 'e', E);
        expect(ok.rc, `killed after message ${cutAt}: ${ok.out}`).toBe(0);
        expect(ok.out, `killed after message ${cutAt}`).not.toMatch(/starting slow sync/);
        if (/resum(ing|ed)/.test(ok.out)) resumed++;
        const truth = await hub.truth();
        expect(truth, `killed after message ${cutAt}`).toHaveLength(expected);
        expect(new Set(truth).size).toBe(truth.length);
        expectSame(folderSignatures(c), truth);
        expect(truth.some((s) => s.includes(`k${cutAt}`))).toBe(true);
      }
      // What the killed session had received was kept in the DSS: the client resumed.
      expect(resumed).toBeGreaterThanOrEqual(2);
    } finally {
      await hub.stop();
      await proxy.close();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  }, 180_000);
});
