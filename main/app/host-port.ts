// The hub's side of the link to the server thread of `concord serve`. The hub, the phones
// and the LAN endpoint stay on the main thread (serialport's native poller is not safe in a
// worker thread: it aborts the process when data arrives), and the HTTP/WebSocket server
// runs in a worker (server-worker.ts) that answers the contacts list, search and cached
// reads by itself, so the UI stays answered while a sync keeps this thread busy.
import type { ContactRow } from '../hub/types';
import type { HubHost } from './host';

/** Server thread → hub. */
export type ToHub =
  | { type: 'call'; id: number; channel: string; args: unknown }
  | { type: 'contacts'; id: number }
  | { type: 'listening'; url: string }
  | { type: 'closed' }
  | { type: 'fatal'; message: string };
/** Hub → server thread. */
export type ToServer =
  | { type: 'reply'; id: number; result: unknown }
  | { type: 'contacts'; id: number; rows: ContactRow[] }
  | { type: 'event'; event: string; payload: unknown }
  | { type: 'set-token'; token: string }
  | { type: 'shutdown' };

export interface MessagePortLike {
  postMessage(m: unknown): void;
  on(event: 'message', fn: (m: unknown) => void): unknown;
  off(event: 'message', fn: (m: unknown) => void): unknown;
}

/** Answers the server thread's calls with the host's Api and forwards its events. */
export function bindHost(host: HubHost, port: MessagePortLike): () => void {
  const post = (m: ToServer) => port.postMessage(m);
  const offEvents = host.api.on((event, payload) => post({ type: 'event', event, payload }));
  const onMessage = (raw: unknown) => {
    const m = raw as ToHub;
    if (m.type === 'call') void host.api.call(m.channel, m.args).then((result) => post({ type: 'reply', id: m.id, result }));
    else if (m.type === 'contacts') {
      let rows: ContactRow[] = [];
      try {
        rows = host.hub.contacts();
      } catch {
        // the hub is closing: nothing to list
      }
      post({ type: 'contacts', id: m.id, rows });
    }
  };
  port.on('message', onMessage);
  return () => {
    offEvents();
    port.off('message', onMessage);
  };
}
