// Small data hooks over the client: load a request's value, reload it when the hub says the
// matching kind of data changed.
import { useCallback, useEffect, useRef, useState } from 'react';
import type { ArgsOf, DeviceStatus, HubChangeKind, RequestName, ResultOf, SyncProgress } from '../../main/api/contract';
import { client, request } from '../api';

export function useHub<K extends RequestName>(
  name: K,
  args: ArgsOf<K>,
  reloadOn: HubChangeKind[],
): { value: ResultOf<K> | undefined; error: string | null; reload: () => void } {
  const [value, setValue] = useState<ResultOf<K>>();
  const [error, setError] = useState<string | null>(null);
  const key = JSON.stringify(args);
  const gen = useRef(0);
  const load = useCallback(() => {
    const mine = ++gen.current;
    request(name, JSON.parse(key) as ArgsOf<K>).then(
      (v) => {
        if (mine === gen.current) {
          setValue(v);
          setError(null);
        }
      },
      (e: Error) => mine === gen.current && setError(e.message),
    );
  }, [name, key]);
  useEffect(() => {
    load();
    const kinds = new Set(reloadOn);
    return client.on('hub:changed', (k) => kinds.has(k) && load());
  }, [load, reloadOn.join()]);
  return { value, error, reload: load };
}

export function useDevices(): DeviceStatus[] {
  return useHub('devices:list', {}, ['devices']).value ?? [];
}

export interface DeviceProgress {
  phase: 'waiting' | 'retrieving' | 'retrieved' | 'pushing' | 'done' | 'failed';
  done: number;
  total: number;
  error?: string;
}

export interface RunProgress {
  runId: number;
  devices: string[];
  step: string;
  per: Record<string, DeviceProgress>;
  finished: boolean;
}

/** The run in progress (or the last one), from the `sync:progress` events. */
export function useRunProgress(): RunProgress | null {
  const [run, setRun] = useState<RunProgress | null>(null);
  useEffect(
    () =>
      client.on('sync:progress', (p: SyncProgress) =>
        setRun((prev) => {
          if (p.type === 'run-started') {
            return { runId: p.runId, devices: p.devices, step: 'Reading the devices', per: Object.fromEntries(p.devices.map((s) => [s, { phase: 'waiting', done: 0, total: 0 }])), finished: false };
          }
          if (!prev || prev.runId !== p.runId) return prev;
          const per = { ...prev.per };
          switch (p.type) {
            case 'device-retrieving':
              per[p.spid] = { phase: 'retrieving', done: 0, total: 0 };
              return { ...prev, per, step: 'Reading the devices' };
            case 'device-retrieved':
              per[p.spid] = { phase: 'retrieved', done: 0, total: 0 };
              return { ...prev, per };
            case 'committed':
              return { ...prev, step: 'Working out the changes and saving them' };
            case 'device-pushing':
              per[p.spid] = { phase: 'pushing', done: p.done, total: p.total };
              return { ...prev, per, step: 'Sending changes to the devices' };
            case 'device-done':
              per[p.spid] = { ...(per[p.spid] ?? { done: 0, total: 0 }), phase: p.completed ? 'done' : 'failed', ...(p.error ? { error: p.error } : {}) };
              return { ...prev, per };
            case 'run-finished':
              return { ...prev, step: 'Finished', finished: true };
            case 'run-failed':
              return { ...prev, step: `Failed: ${p.reason}`, finished: true };
          }
          return prev;
        }),
      ),
    [],
  );
  return run;
}

/** Announces a message to screen readers through the app's live region. */
export function announce(text: string): void {
  const el = document.getElementById('announcer');
  if (!el) return;
  el.textContent = '';
  // A fresh text node in the next frame is announced even when the text repeats.
  requestAnimationFrame(() => (el.textContent = text));
}

/** A button's action: busy while it runs, its failure in plain words for the card. */
export function useAction(): { busy: boolean; error: string | null; act: (what: () => Promise<unknown>) => Promise<void> } {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const act = async (what: () => Promise<unknown>) => {
    setError(null);
    setBusy(true);
    try {
      await what();
    } catch (e) {
      setError((e as Error).message);
    } finally {
      setBusy(false);
    }
  };
  return { busy, error, act };
}
