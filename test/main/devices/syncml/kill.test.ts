// The hub's process killed (SIGKILL) in the middle of a SyncML session, after each message
// in turn: restarted on the same data, the next sync converges with nothing lost, nothing
// duplicated and no slow sync.
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import type { Contact } from '../../../../main/core/contact';
import { expectSame, folderSignatures, genVcards, hasSyncEvolution, runClient, signature, startCuttingProxy, tmpDir } from './harness';

const CHILD = path.join(path.dirname(fileURLToPath(import.meta.url)), 'hub-child.ts');

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(port));
    });
  });
}

/** The hub in its own process, driven over stdin/stdout. */
class HubProcess {
  private lines: string[] = [];
  private waiters: ((l: string) => void)[] = [];
  readonly exited: Promise<void>;
  private constructor(readonly child: ChildProcess) {
    let buf = '';
    child.stdout?.setEncoding('utf8');
    child.stdout?.on('data', (c: string) => {
      buf += c;
      let nl: number;
      while ((nl = buf.indexOf('\n')) >= 0) {
        const line = buf.slice(0, nl);
        buf = buf.slice(nl + 1);
        const w = this.waiters.shift();
        if (w) w(line);
        else this.lines.push(line);
      }
    });
    this.exited = new Promise((r) => child.once('exit', () => r()));
  }

  static async start(args: string[]): Promise<HubProcess> {
    const child = spawn(process.execPath, ['--import', 'tsx', CHILD, ...args], { stdio: ['pipe', 'pipe', 'pipe'] });
    // What the hub process says on stderr goes to ours, so a crash is not silent.
    child.stderr?.on('data', (c: Buffer) => process.stderr.write(`[hub process] ${c.toString()}`));
    const p = new HubProcess(child);
    const ready = await Promise.race([p.line(), p.exited.then(() => 'EXITED')]);
    if (!ready.startsWith('READY')) throw new Error(`the hub process did not start: ${ready}`);
    return p;
  }

  line(): Promise<string> {
    const l = this.lines.shift();
    if (l !== undefined) return Promise.resolve(l);
    return new Promise((r) => this.waiters.push(r));
  }

  async ask(cmd: string): Promise<string> {
    this.child.stdin?.write(cmd + '\n');
    return this.line();
  }

  async truth(): Promise<string[]> {
    const l = await this.ask('export');
    return (JSON.parse(l.slice('TRUTH '.length)) as Contact[]).map((c) => signature(c, true)).sort();
  }

  private alive(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null && this.child.pid !== undefined;
  }

  private signal(sig: NodeJS.Signals): void {
    try {
      if (this.alive()) process.kill(this.child.pid as number, sig);
    } catch {
      // already gone
    }
  }

  kill(): void {
    this.signal('SIGKILL');
  }

  async stop(): Promise<void> {
    this.signal('SIGTERM');
    await Promise.race([this.exited, new Promise((r) => setTimeout(r, 5_000))]);
    this.kill();
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
