// Child process for net.test.ts: starts the UI server, sends one authenticated POST to a
// path given on the command line, prints `status N` and exits 0 — or dies if the request
// crashes the process (the test then sees a non-zero exit and the uncaught error).
import fs from 'node:fs';
import http from 'node:http';
import { Api } from '../../../main/api/handlers';
import { startServer } from '../../../main/api/ws-server';
import { Hub } from '../../../main/hub/hub';
import { tmpDir } from '../../lib/tmp';

const dir = tmpDir('fuzz-child');
try {
  const hub = Hub.open({ dataDir: dir, region: 'GB' });
  const api = new Api({ hub, dataDir: dir });
  const s = await startServer({ api, staticDir: dir, port: 0 });
  const status = await new Promise<number>((resolve) => {
    const req = http.request({ host: '127.0.0.1', port: s.port, path: process.argv[2] ?? '/api/app:info', method: 'POST', headers: { Authorization: `Bearer ${s.token}` } }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on('error', () => resolve(-1));
    req.end('{}');
  });
  console.log(`status ${status}`);
  await s.close();
  api.dispose();
  await hub.close();
} finally {
  fs.rmSync(dir, { recursive: true, force: true });
}
