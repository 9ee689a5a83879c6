// Arrival and removal of serial devices. Nothing here knows about phones: a port appears,
// a port goes.
//
// usb 2.x is used on purpose: it keeps the `attach`/`detach` events (usb 3 is a WebUSB-style
// rewrite whose `connect` listener throws where /sys/bus/usb is missing). Both versions hear
// hotplug only through the udev daemon's netlink group, so where no udev daemon runs
// (containers, this build machine) USB events never come: we always poll the port folders
// as well, and a USB event only makes the next poll happen at once.
import { EventEmitter } from 'node:events';
import fs from 'node:fs';
import path from 'node:path';
import { devSerialCandidates, listSerialPorts, type SerialPortInfo } from './serial';

export interface HotplugOptions {
  /** Poll period; default 1000 ms. */
  intervalMs?: number;
  /** Also watch these paths (e.g. socat pty links in tests); they need not exist yet. */
  extraPaths?: readonly string[];
  /** Use serialport's list (udev) as well as /dev; default true. */
  useSerialportList?: boolean;
  /** Listen to usb attach/detach where a udev daemon runs; default true. */
  useUsbEvents?: boolean;
}

export interface SerialWatcher {
  on(event: 'add', listener: (port: SerialPortInfo) => void): this;
  on(event: 'remove', listener: (portPath: string) => void): this;
  on(event: 'error', listener: (err: Error) => void): this;
  /** Ports present now. */
  current(): SerialPortInfo[];
  /** Scans at once (also done on every tick). */
  rescan(): Promise<void>;
  stop(): void;
}

function udevDaemonRuns(): boolean {
  return fs.existsSync('/run/udev/control');
}

class PollingWatcher extends EventEmitter implements SerialWatcher {
  private known = new Map<string, SerialPortInfo>();
  private timer: NodeJS.Timeout | null = null;
  private scanning: Promise<void> | null = null;
  private stopUsb: (() => void) | null = null;
  private stopped = false;

  constructor(private readonly opts: HotplugOptions) {
    super();
  }

  start(): void {
    // The first scan waits a tick, so that a listener subscribed right after start() also
    // hears of the ports that are already there.
    setImmediate(() => void this.rescan());
    this.timer = setInterval(() => void this.rescan(), this.opts.intervalMs ?? 1000);
    this.timer.unref();
    if ((this.opts.useUsbEvents ?? true) && udevDaemonRuns()) void this.listenUsb();
  }

  private async listenUsb(): Promise<void> {
    try {
      const { usb } = await import('usb');
      // A new USB device needs a moment before its tty node exists.
      const kick = () => setTimeout(() => void this.rescan(), 300).unref();
      usb.on('attach', kick);
      usb.on('detach', kick);
      usb.unrefHotplugEvents();
      this.stopUsb = () => {
        usb.off('attach', kick);
        usb.off('detach', kick);
      };
      if (this.stopped) this.stopUsb();
    } catch (err) {
      this.emit('error', err as Error);
    }
  }

  current(): SerialPortInfo[] {
    return [...this.known.values()];
  }

  rescan(): Promise<void> {
    if (this.scanning) return this.scanning;
    this.scanning = this.scan().finally(() => {
      this.scanning = null;
    });
    return this.scanning;
  }

  private async scan(): Promise<void> {
    const found = new Map<string, SerialPortInfo>();
    if (this.opts.useSerialportList ?? true) {
      for (const p of await listSerialPorts()) found.set(p.path, p);
    } else {
      for (const p of devSerialCandidates()) found.set(p, { path: p, kind: /rfcomm/.test(p) ? 'bluetooth' : 'usb' });
    }
    for (const p of this.opts.extraPaths ?? []) {
      if (fs.existsSync(p)) found.set(p, { path: p, kind: 'pty' });
    }
    if (this.stopped) return;
    for (const [p, info] of found) {
      if (!this.known.has(p)) {
        this.known.set(p, info);
        this.emit('add', info);
      }
    }
    for (const p of [...this.known.keys()]) {
      if (!found.has(p)) {
        this.known.delete(p);
        this.emit('remove', p);
      }
    }
  }

  stop(): void {
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    this.stopUsb?.();
  }
}

/** Watches serial ports; emits `add` for every port present at start and on arrival. */
export function watchSerialPorts(opts: HotplugOptions = {}): SerialWatcher {
  const w = new PollingWatcher({ ...opts, extraPaths: opts.extraPaths?.map((p) => path.resolve(p)) });
  w.start();
  return w;
}
