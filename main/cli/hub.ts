// Opening the hub for one command: the data folder (`--data DIR`, else the one rule of
// main/app/paths.ts), closed again whatever happens.
import { dataDirOf } from '../app/paths';
import { Hub } from '../hub/hub';

export async function withHub<T>(data: string | undefined, fn: (hub: Hub, dataDir: string) => T | Promise<T>): Promise<T> {
  const dataDir = dataDirOf(data);
  const hub = Hub.open({ dataDir });
  try {
    return await fn(hub, dataDir);
  } finally {
    await hub.close();
  }
}
