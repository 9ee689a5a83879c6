// The renderer's one way to the hub, transport-agnostic (style.md, "two transports"): the
// Electron preload's `window.concord` when present, else the headless hub's WebSocket.
// Screens call `client.call('contacts:list', {...})` and cannot tell which one answered.
import type {
  ArgsOf,
  ConcordBridge,
  EventName,
  Events,
  RequestName,
  Result,
  ResultOf,
  WsMessage,
} from '../main/api/contract';

/** `closed`: the link dropped, trying again; `stopped`: the hub does not answer at all (it
 *  is not running), trying again; `unauthorized`: the hub refuses this page's access token
 *  (an old bookmark, or a new token was made), which trying again cannot mend. */
export type ConnectionState = 'connecting' | 'open' | 'closed' | 'stopped' | 'unauthorized';

export interface Client {
  call<K extends RequestName>(name: K, args: ArgsOf<K>): Promise<Result<ResultOf<K>>>;
  on<E extends EventName>(event: E, listener: (payload: Events[E]) => void): () => void;
  onConnection(listener: (s: ConnectionState) => void): () => void;
  readonly transport: 'electron' | 'websocket';
}

declare global {
  interface Window {
    concord?: ConcordBridge;
  }
}

function electronClient(bridge: ConcordBridge): Client {
  return {
    transport: 'electron',
    call: (name, args) => (bridge[name] as (a: unknown) => Promise<Result<never>>)(args),
    on: (event, listener) => bridge.on(event, listener),
    onConnection: (l) => {
      l('open');
      return () => undefined;
    },
  };
}

/** Reads the access token from the page URL once, keeps it for this tab only, and takes it
 *  out of the address bar (so it is not in screenshots, history entries or bookmarks). */
function takeToken(): string {
  const url = new URL(window.location.href);
  const fromUrl = url.searchParams.get('token');
  if (fromUrl) {
    sessionStorage.setItem('concord.token', fromUrl);
    url.searchParams.delete('token');
    window.history.replaceState(null, '', url.pathname + url.search + url.hash);
    return fromUrl;
  }
  return sessionStorage.getItem('concord.token') ?? '';
}

function wsClient(): Client {
  const token = takeToken();
  const listeners = new Map<EventName, Set<(p: unknown) => void>>();
  const connListeners = new Set<(s: ConnectionState) => void>();
  const pending = new Map<number, (r: Result<never>) => void>();
  let queue: string[] = [];
  let ws: WebSocket | null = null;
  let nextId = 1;
  let state: ConnectionState = 'connecting';
  let retry = 250;

  const setState = (s: ConnectionState) => {
    state = s;
    for (const l of connListeners) l(s);
  };

  /** Why the WebSocket closed: the same hub over plain HTTP says whether it is there and
   *  takes the token (a refused WebSocket upgrade looks the same as a stopped hub). */
  const diagnose = async (): Promise<ConnectionState> => {
    try {
      const r = await fetch('/api/app:info', { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: '{}', cache: 'no-store' });
      return r.status === 401 ? 'unauthorized' : 'closed';
    } catch {
      return 'stopped';
    }
  };

  const connect = () => {
    const proto = window.location.protocol === 'https:' ? 'wss:' : 'ws:';
    const socket = new WebSocket(`${proto}//${window.location.host}/ws?token=${encodeURIComponent(token)}`);
    ws = socket;
    setState('connecting');
    socket.onopen = () => {
      retry = 250;
      setState('open');
      for (const m of queue) socket.send(m);
      queue = [];
      // Whatever changed while we were away: let every screen reload.
      for (const kind of ['contacts', 'devices', 'conflicts', 'history'] as const) {
        for (const l of listeners.get('hub:changed') ?? []) l(kind);
      }
    };
    socket.onmessage = (e) => {
      let msg: WsMessage;
      try {
        msg = JSON.parse(String(e.data)) as WsMessage;
      } catch {
        return;
      }
      if (msg.type === 'reply') {
        if (msg.id === null) {
          console.warn('concord: the hub could not read a request', msg.result);
          return;
        }
        const done = pending.get(msg.id);
        pending.delete(msg.id);
        done?.(msg.result as Result<never>);
      } else if (msg.type === 'event') {
        for (const l of listeners.get(msg.event) ?? []) l(msg.payload);
      }
    };
    socket.onclose = () => {
      for (const [id, done] of pending) {
        pending.delete(id);
        done({ ok: false, error: { code: 'closed', message: 'The connection to the hub was lost. Trying again…' } });
      }
      void diagnose().then((why) => {
        setState(why);
        if (why === 'unauthorized') {
          for (const m of queue) failQueued(m, why);
          queue = [];
          return;
        }
        if (why === 'stopped') {
          for (const m of queue) failQueued(m, why);
          queue = [];
        }
        setTimeout(connect, retry);
        retry = Math.min(retry * 2, 5000);
      });
    };
  };
  /** What a request says when the hub cannot take it now. */
  const refusal = (why: 'stopped' | 'unauthorized'): Result<never> => ({
    ok: false,
    error: {
      code: why === 'stopped' ? 'closed' : 'unauthorized',
      message:
        why === 'stopped'
          ? 'The Concord hub is not running, so nothing can be changed now. Start it again; this page reconnects by itself.'
          : 'The hub refused this page\'s access key. Open Concord again with `concord open`.',
    },
  });
  const failQueued = (text: string, why: 'stopped' | 'unauthorized') => {
    const id = (JSON.parse(text) as { id: number }).id;
    const done = pending.get(id);
    pending.delete(id);
    done?.(refusal(why));
  };
  connect();

  return {
    transport: 'websocket',
    call: (name, args) =>
      new Promise((resolve) => {
        // Read-only while the hub is away: a request fails at once, in plain words.
        if (state === 'stopped' || state === 'unauthorized') return resolve(refusal(state));
        const id = nextId++;
        pending.set(id, resolve as (r: Result<never>) => void);
        const text = JSON.stringify({ id, channel: name, args });
        if (ws && ws.readyState === WebSocket.OPEN) ws.send(text);
        else queue.push(text);
      }),
    on: (event, listener) => {
      let set = listeners.get(event);
      if (!set) listeners.set(event, (set = new Set()));
      set.add(listener as (p: unknown) => void);
      return () => set.delete(listener as (p: unknown) => void);
    },
    onConnection: (l) => {
      connListeners.add(l);
      l(state);
      return () => connListeners.delete(l);
    },
  };
}

export const client: Client = window.concord ? electronClient(window.concord) : wsClient();

/** For screens: the value, or throws an Error whose message is already in plain words. */
export async function request<K extends RequestName>(name: K, args: ArgsOf<K>): Promise<ResultOf<K>> {
  const r = await client.call(name, args);
  if (!r.ok) throw new Error(r.error.message);
  return r.value;
}
