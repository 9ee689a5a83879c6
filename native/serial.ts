// Serial ports: the only code that opens them. A `SerialLink` is a duplex byte stream with
// open/close/error; nothing here knows about AT commands or contacts (style.md, layers).
//
// Where serial devices appear, per platform:
// - Linux: USB CDC-ACM phones are /dev/ttyACM*, USB-serial cables /dev/ttyUSB*, Bluetooth
//   phones bound with `rfcomm bind` (or BlueZ's serial profile) are /dev/rfcomm*.
//   serialport's list() reads udev (`udevadm info -e`) and never lists ptys or unbound
//   RFCOMM channels, so we add what /dev holds.
// - Windows: every port, Bluetooth ones included, is a COM port ("Standard Serial over
//   Bluetooth link", one outgoing COM port per paired phone); serialport's list() reports
//   them with a pnpId starting `BTHENUM\`.
// - macOS: a paired phone's serial service appears as /dev/tty.<name>-<service> (and its
//   /dev/cu.* twin); serialport's list() reports them; we add /dev/tty.* entries it missed.
import { EventEmitter } from 'node:events';
import fs from 'node:fs';
import path from 'node:path';
import tty from 'node:tty';
import { SerialPort } from 'serialport';

export interface LinkClosed {
  /** The far end went away (cable pulled, socat killed), not a close we asked for. */
  disconnected: boolean;
  error?: Error;
}

export interface SerialLink {
  readonly path: string;
  readonly isOpen: boolean;
  /** Resolves once the bytes are handed to the OS. Rejects if the link is closed. */
  write(data: Uint8Array | string): Promise<void>;
  close(): Promise<void>;
  on(event: 'data', listener: (chunk: Buffer) => void): this;
  on(event: 'close', listener: (info: LinkClosed) => void): this;
  on(event: 'error', listener: (err: Error) => void): this;
  off(event: 'data', listener: (chunk: Buffer) => void): this;
  off(event: 'close', listener: (info: LinkClosed) => void): this;
  off(event: 'error', listener: (err: Error) => void): this;
}

export type PortKind = 'usb' | 'bluetooth' | 'serial' | 'pty';

export interface SerialPortInfo {
  path: string;
  kind: PortKind;
  manufacturer?: string;
  serialNumber?: string;
  vendorId?: string;
  productId?: string;
}

/** Counts bytes both ways: the benchmark compares elapsed time with wire time. */
export interface ByteCounts {
  in: number;
  out: number;
}

class SerialPortLink extends EventEmitter implements SerialLink {
  readonly counts: ByteCounts = { in: 0, out: 0 };
  private closedInfo: LinkClosed | null = null;

  constructor(
    readonly path: string,
    private readonly port: SerialPort,
  ) {
    super();
    port.on('data', (chunk: Buffer) => {
      this.counts.in += chunk.length;
      this.emit('data', chunk);
    });
    port.on('error', (err: Error) => {
      if (this.listenerCount('error') > 0) this.emit('error', err);
    });
    port.on('close', (err?: Error & { disconnected?: boolean }) => this.finish({ disconnected: !!err?.disconnected, error: err ?? undefined }));
  }

  get isOpen(): boolean {
    return this.closedInfo === null && this.port.isOpen;
  }

  private finish(info: LinkClosed): void {
    if (this.closedInfo) return;
    this.closedInfo = info;
    this.emit('close', info);
  }

  write(data: Uint8Array | string): Promise<void> {
    const buf = typeof data === 'string' ? Buffer.from(data, 'latin1') : Buffer.from(data);
    if (!this.isOpen) return Promise.reject(new Error(`${this.path} is closed`));
    this.counts.out += buf.length;
    return new Promise((resolve, reject) => {
      this.port.write(buf, (err) => (err ? reject(err) : resolve()));
    });
  }

  close(): Promise<void> {
    if (!this.port.isOpen) {
      this.finish({ disconnected: false });
      return Promise.resolve();
    }
    return new Promise((resolve) => {
      this.port.close(() => {
        this.finish({ disconnected: false });
        resolve();
      });
    });
  }
}

/** Opens a serial port through serialport (raw, 8N1, no flow control). */
export function openSerialLink(portPath: string, baudRate = 115200): Promise<SerialLink & { counts: ByteCounts }> {
  return new Promise((resolve, reject) => {
    const port = new SerialPort({ path: portPath, baudRate, autoOpen: false, hupcl: false });
    port.open((err) => {
      if (err) reject(err);
      else resolve(new SerialPortLink(portPath, port));
    });
  });
}

/**
 * Opens a tty as a plain file, without the flush serialport does on open (it calls
 * tcflush(TCIOFLUSH)). The handset simulator serves one end of a pty pair this way: a real
 * phone never discards what the host sent before it looked, and Gammu's wake-up `AT` is
 * lost otherwise (README of tools/gammu). The line settings are those socat gave the pty.
 */
export function openTtyLink(ttyPath: string): SerialLink & { counts: ByteCounts } {
  const fd = fs.openSync(ttyPath, fs.constants.O_RDWR | fs.constants.O_NOCTTY | fs.constants.O_NONBLOCK);
  return new TtyLink(ttyPath, fd);
}

class TtyLink extends EventEmitter implements SerialLink {
  readonly counts: ByteCounts = { in: 0, out: 0 };
  private readonly input: tty.ReadStream;
  private closed = false;
  private writing: Promise<void> = Promise.resolve();

  constructor(
    readonly path: string,
    private readonly fd: number,
  ) {
    super();
    // tty.ReadStream reads without blocking a thread-pool thread and leaves termios alone
    // (no setRawMode call: socat already made the pty raw).
    this.input = new tty.ReadStream(fd);
    this.input.on('data', (chunk: Buffer) => {
      this.counts.in += chunk.length;
      this.emit('data', chunk);
    });
    // EIO: the other side of the pty pair is gone (socat killed).
    this.input.on('error', (err) => this.finish(true, err));
    this.input.on('close', () => this.finish(true));
  }

  get isOpen(): boolean {
    return !this.closed;
  }

  private finish(disconnected: boolean, error?: Error): void {
    if (this.closed) return;
    this.closed = true;
    try {
      fs.closeSync(this.fd);
    } catch {
      // already closed by the read stream
    }
    this.emit('close', { disconnected, error });
  }

  write(data: Uint8Array | string): Promise<void> {
    const buf = typeof data === 'string' ? Buffer.from(data, 'latin1') : Buffer.from(data);
    this.counts.out += buf.length;
    // Writes are chained so bytes never overtake each other; EAGAIN (pty buffer full, e.g.
    // the other side stopped reading) is retried rather than dropping bytes.
    const next = this.writing.then(() => this.writeAll(buf));
    this.writing = next.catch(() => undefined);
    return next;
  }

  private async writeAll(buf: Buffer): Promise<void> {
    let off = 0;
    while (off < buf.length) {
      if (this.closed) throw new Error(`${this.path} is closed`);
      try {
        off += fs.writeSync(this.fd, buf, off, buf.length - off);
      } catch (err) {
        const code = (err as NodeJS.ErrnoException).code;
        if (code !== 'EAGAIN') {
          this.finish(true, err as Error);
          throw err;
        }
        await new Promise((r) => setTimeout(r, 5));
      }
    }
  }

  close(): Promise<void> {
    this.input.destroy();
    this.finish(false);
    return Promise.resolve();
  }
}

function kindOfPath(p: string, pnpId?: string): PortKind {
  const base = path.basename(p);
  if (/^rfcomm/.test(base) || /^BTHENUM\\/i.test(pnpId ?? '') || /^(tty|cu)\..*-/.test(base)) return 'bluetooth';
  if (/^tty(ACM|USB)/.test(base) || /^usb-/.test(pnpId ?? '')) return 'usb';
  if (/^pts|^pty/.test(base)) return 'pty';
  return 'serial';
}

/** The /dev entries where phones show up, for platforms where serialport's list misses them. */
export function devSerialCandidates(devDir = '/dev'): string[] {
  let names: string[];
  try {
    names = fs.readdirSync(devDir);
  } catch {
    return [];
  }
  const wanted = process.platform === 'darwin' ? /^tty\..+/ : /^(ttyACM|ttyUSB|rfcomm)\d+$/;
  return names.filter((n) => wanted.test(n)).map((n) => path.join(devDir, n)).sort();
}

/** serialport's list (udev on Linux) plus the /dev entries it does not report. */
export async function listSerialPorts(): Promise<SerialPortInfo[]> {
  const out = new Map<string, SerialPortInfo>();
  try {
    for (const p of await SerialPort.list()) {
      out.set(p.path, {
        path: p.path,
        kind: kindOfPath(p.path, p.pnpId),
        manufacturer: p.manufacturer,
        serialNumber: p.serialNumber,
        vendorId: p.vendorId,
        productId: p.productId,
      });
    }
  } catch {
    // Linux without udevadm: `spawn udevadm ENOENT`. /dev below still finds the phones.
  }
  if (process.platform !== 'win32') {
    for (const p of devSerialCandidates()) if (!out.has(p)) out.set(p, { path: p, kind: kindOfPath(p) });
  }
  return [...out.values()].sort((a, b) => a.path.localeCompare(b.path));
}
