// The preload: the page's only door to the hub. It exposes `window.concord` with one
// function per request of the contract (each bound to its own channel) and a listener for
// the declared events — never ipcRenderer itself, never a generic send. Runs sandboxed, so
// it is bundled (build.ts) and requires nothing but electron.
import { contextBridge, ipcRenderer } from 'electron';
import { EVENT_NAMES, REQUEST_NAMES, type EventName } from '../api/contract';

const bridge: Record<string, unknown> = {};
for (const name of REQUEST_NAMES) {
  bridge[name] = (args: unknown) => ipcRenderer.invoke(name, args);
}
bridge.on = (event: EventName, listener: (payload: unknown) => void) => {
  if (!EVENT_NAMES.includes(event)) throw new Error(`Unknown event ${String(event)}`);
  if (typeof listener !== 'function') throw new Error('A listener must be a function');
  const channel = `event:${event}`;
  const handler = (_e: unknown, payload: unknown) => listener(payload);
  ipcRenderer.on(channel, handler);
  return () => {
    ipcRenderer.removeListener(channel, handler);
  };
};

contextBridge.exposeInMainWorld('concord', bridge);
