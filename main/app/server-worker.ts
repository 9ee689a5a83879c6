// The server thread of `concord serve`: the UI's files and the WebSocket API, with the hub
// on the main thread behind a RemoteApi (host-port.ts explains the split).
import { parentPort, workerData } from 'node:worker_threads';
import { startServer, type ServerOptions } from '../api/ws-server';
import type { ToHub, ToServer } from './host-port';
import { RemoteApi } from './remote-api';

export interface ServerWorkerData {
  entry: string;
  server: Omit<ServerOptions, 'api'>;
}

async function main(): Promise<void> {
  const port = parentPort;
  if (!port) throw new Error('server-worker runs only as a worker thread');
  const post = (m: ToHub) => port.postMessage(m);
  const data = workerData as ServerWorkerData;
  const api = new RemoteApi(port);
  let server;
  try {
    server = await startServer({ ...data.server, api });
  } catch (e) {
    post({ type: 'fatal', message: (e as Error).message });
    return;
  }
  const s = server;
  port.on('message', (m: ToServer) => {
    if (m.type === 'set-token') s.setToken(m.token);
    if (m.type !== 'shutdown') return;
    void s.close().finally(() => {
      api.dispose();
      post({ type: 'closed' });
      process.exit(0); // ends this thread only
    });
  });
  post({ type: 'listening', url: s.url });
}

void main();
