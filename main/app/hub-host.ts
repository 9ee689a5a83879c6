// The hub in an Electron utility process (off the UI thread: a 100,000-contact sync never
// freezes a window). It speaks to the main process over parentPort with the same framing as
// the WebSocket: {type:'call', id, channel, args} in, {type:'reply', id, result} and
// {type:'event', event, payload} out.
import { Api } from '../api/handlers';
import { Hub } from '../hub/hub';
import { setUpDemo, type Demo } from './demo';

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
  const dataDir = process.argv[2];
  if (!dataDir) throw new Error('hub-host needs the data folder as its first argument');
  let hub: Hub;
  try {
    hub = Hub.open({ dataDir, autoReconcileEdits: true });
  } catch (e) {
    post({ type: 'fatal', message: (e as Error).message });
    return;
  }
  let demo: Demo | undefined;
  if (process.argv.includes('--demo')) demo = await setUpDemo(hub);
  const api = new Api({ hub, dataDir, demo: !!demo });
  api.on((event, payload) => post({ type: 'event', event, payload }));
  port.on('message', (e) => {
    const m = e.data as HostIn;
    if (m?.type === 'call') void api.call(m.channel, m.args).then((result) => post({ type: 'reply', id: m.id, result }));
    else if (m?.type === 'shutdown') {
      void (async () => {
        demo?.dispose();
        api.dispose();
        await hub.close(); // a run in progress stops at its next acknowledgement
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
