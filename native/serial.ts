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
import fs from 'node:fs';
import path from 'node:path';
import tty from 'node:tty';
import { SerialPort } from 'serialport';
import { StreamLink } from './stream-link';

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

class SerialPortLink extends StreamLink {
  constructor(
    path: string,
    private readonly port: SerialPort,
  ) {
    super(path, port);
    port.on('error', (err: Error) => this.passError(err));
    port.on('close', (err?: Error & { disconnected?: boolean }) => this.finish({ disconnected: !!err?.disconnected, error: err ?? undefined }));
  }

  protected streamOpen(): boolean {
    return this.port.isOpen;
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

class TtyLink extends StreamLink {
  private writing: Promise<void> = Promise.resolve();

  constructor(
    path: string,
    private readonly fd: number,
  ) {
    // tty.ReadStream reads without blocking a thread-pool thread and leaves termios alone
    // (no setRawMode call: socat already made the pty raw).
    const input = new tty.ReadStream(fd);
    super(path, input);
    // EIO: the other side of the pty pair is gone (socat killed).
    input.on('error', (err) => this.finish({ disconnected: true, error: err }));
    input.on('close', () => this.finish({ disconnected: true }));
  }

  protected streamOpen(): boolean {
    return true;
  }

  protected override finish(info: LinkClosed): void {
    if (!this.isOpen) return;
    try {
      fs.closeSync(this.fd);
    } catch {
      // already closed by the read stream
    }
    super.finish(info);
  }

  protected override send(buf: Buffer): Promise<void> {
    // Writes are chained so bytes never overtake each other; EAGAIN (pty buffer full, e.g.
    // the other side stopped reading) is retried rather than dropping bytes.
    const next = this.writing.then(() => this.writeAll(buf));
    this.writing = next.catch(() => undefined);
    return next;
  }

  private async writeAll(buf: Buffer): Promise<void> {
    let off = 0;
    while (off < buf.length) {
      if (!this.isOpen) throw new Error(`${this.path} is closed`);
      try {
        off += fs.writeSync(this.fd, buf, off, buf.length - off);
      } catch (err) {
        const code = (err as NodeJS.ErrnoException).code;
        if (code !== 'EAGAIN') {
          this.finish({ disconnected: true, error: err as Error });
          throw err;
        }
        await new Promise((r) => setTimeout(r, 5));
      }
    }
  }

  close(): Promise<void> {
    (this.stream as tty.ReadStream).destroy();
    this.finish({ disconnected: false });
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
