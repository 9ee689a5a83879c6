// The hub in an Electron utility process (off the UI thread: a 100,000-contact sync never
// freezes a window), with the phones plugged in (sync on connect) and, when the user turned
// LAN sync on (`--lan-port N [--lan-host ADDR]`), the SyncML endpoint. It speaks to the main
// process over parentPort with the same framing as the WebSocket: {type:'call', id, channel,
// args} in, {type:'reply', id, result} and {type:'event', event, payload} out.
import { parseCommandArgs, portValue } from '../cli/args';
import { startHost, type HubHost } from './host';

export type HostIn = { type: 'call'; id: number; channel: string; args: unknown } | { type: 'shutdown' };
export type HostOut =
  | { type: 'ready' }
  | { type: 'reply'; id: number; result: unknown }
  | { type: 'event'; event: string; payload: unknown }
  | { type: 'closed' }
  | { type: 'fatal'; message: string };

interface Port {
  on(event: 'message', fn: (e: { data: unknown }) => void): void;
  postMessage(m: unknown): void;
}

async function main(): Promise<void> {
  const port = (process as unknown as { parentPort?: Port }).parentPort;
  if (!port) throw new Error('hub-host runs only as an Electron utility process');
  const post = (m: HostOut) => port.postMessage(m);
  // Passed by electron-main.ts: DATA_DIR [--demo [--demo-phone]] [--lan-port N [--lan-host ADDR]].
  const { values: v, positionals } = parseCommandArgs(
    process.argv.slice(2),
    { demo: { type: 'boolean' }, 'demo-phone': { type: 'boolean' }, 'lan-port': { type: 'string' }, 'lan-host': { type: 'string' } },
    { min: 1, max: 1, names: 'the data folder' },
  );
  const dataDir = positionals[0]!;
  const lanPort = v['lan-port'] !== undefined ? portValue('--lan-port', v['lan-port']) : undefined;
  let host: HubHost;
  try {
    host = await startHost({
      dataDir,
      demo: !!v.demo,
      demoPhone: !!v['demo-phone'],
      ...(lanPort !== undefined ? { lan: { host: v['lan-host'] ?? '0.0.0.0', port: lanPort } } : {}),
    });
  } catch (e) {
    post({ type: 'fatal', message: (e as Error).message });
    return;
  }
  const { api } = host;
  api.on((event, payload) => post({ type: 'event', event, payload }));
  port.on('message', (e) => {
    const m = e.data as HostIn;
    if (m?.type === 'call') void api.call(m.channel, m.args).then((result) => post({ type: 'reply', id: m.id, result }));
    else if (m?.type === 'shutdown') {
      void (async () => {
        await host.close(); // a run in progress stops at its next acknowledgement
        post({ type: 'closed' });
        process.exit(0);
      })();
    }
  });
  post({ type: 'ready' });
}

void main().catch((e) => {
  console.error('concord hub-host:', e);
  process.exit(1);
});
