// What every SerialLink over a byte stream does alike — a serial port and a tty (serial.ts),
// a connected socket (rfcomm-link.ts): the bytes counted both ways, 'data' passed on, 'close'
// said once with why, writes refused once closed. Each kind says how its bytes are written,
// how it is closed, and when it has closed (`finish`).
import { EventEmitter } from 'node:events';
import type { ByteCounts, LinkClosed, SerialLink } from './serial';

/** A stream that hands over bytes, and takes them through a completion callback. */
export interface ByteStream {
  on(event: 'data', listener: (chunk: Buffer) => void): unknown;
  write(chunk: Buffer, callback: (err?: Error | null) => void): unknown;
}

export abstract class StreamLink extends EventEmitter implements SerialLink {
  readonly counts: ByteCounts = { in: 0, out: 0 };
  private closedInfo: LinkClosed | null = null;

  constructor(
    readonly path: string,
    protected readonly stream: ByteStream,
  ) {
    super();
    stream.on('data', (chunk: Buffer) => {
      this.counts.in += chunk.length;
      this.emit('data', chunk);
    });
  }

  /** Whether the stream itself is still open (the link is also closed once `finish`ed). */
  protected abstract streamOpen(): boolean;

  abstract close(): Promise<void>;

  get isOpen(): boolean {
    return this.closedInfo === null && this.streamOpen();
  }

  /** The link has closed: says so once, with why. */
  protected finish(info: LinkClosed): void {
    if (this.closedInfo) return;
    this.closedInfo = info;
    this.emit('close', info);
  }

  /** A stream error, for whoever listens (an 'error' nobody listens to would throw). */
  protected passError(err: Error): void {
    if (this.listenerCount('error') > 0) this.emit('error', err);
  }

  write(data: Uint8Array | string): Promise<void> {
    const buf = typeof data === 'string' ? Buffer.from(data, 'latin1') : Buffer.from(data);
    if (!this.isOpen) return Promise.reject(new Error(`${this.path} is closed`));
    this.counts.out += buf.length;
    return this.send(buf);
  }

  /** Hands the bytes to the OS (the stream's own write, by default). */
  protected send(buf: Buffer): Promise<void> {
    return new Promise((resolve, reject) => {
      this.stream.write(buf, (err) => (err ? reject(err) : resolve()));
    });
  }
}
