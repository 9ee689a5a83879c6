// `concord serve` as a real child process on a real data folder, killed only by its PID.
import path from 'node:path';
import { LineChild, ROOT } from './common';

export interface Serve {
  child: LineChild;
  syncmlUrl: string;
}

/** Starts `concord serve --data DIR --port 0 --lan-port PORT --lan-host HOST --no-phones`
 *  (optionally under `ip netns exec NS`) and waits for its `SyncML URL:` line. */
export async function startServe(dataDir: string, lanPort: number, o: { host?: string; netns?: string; timeoutMs?: number } = {}): Promise<Serve> {
  const args = [path.join(ROOT, 'bin/concord.mjs'), 'serve', '--data', dataDir, '--port', '0', '--lan-port', String(lanPort), '--lan-host', o.host ?? '127.0.0.1', '--no-phones'];
  const child = o.netns ? LineChild.spawn('ip', ['netns', 'exec', o.netns, process.execPath, ...args]) : LineChild.spawn(process.execPath, args);
  try {
    const line = await child.waitLine((l) => l.startsWith('SyncML URL:'), o.timeoutMs ?? 30_000, 'concord serve to listen');
    return { child, syncmlUrl: /SyncML URL: (\S+)/.exec(line)![1]! };
  } catch (e) {
    await child.kill();
    throw e;
  }
}

/** `concord device pair syncml NAME --user U --password P --data DIR`. */
export async function pairSyncml(dataDir: string, name: string, user: string, pass: string): Promise<void> {
  const c = LineChild.spawn(process.execPath, [path.join(ROOT, 'bin/concord.mjs'), 'device', 'pair', 'syncml', name, '--user', user, '--password', pass, '--data', dataDir]);
  const r = await c.exited;
  if (r.code !== 0) throw new Error(`pairing ${name} failed: ${c.stderr}`);
}
