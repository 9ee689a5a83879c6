// Serial port profiles over Bluetooth without root (Linux, BlueZ): Concord registers a
// profile for the serial port (or dial-up networking) UUID, asks BlueZ to connect it on the
// phone (Device1.ConnectProfile), and BlueZ hands the connected RFCOMM socket to the
// profile (Profile1.NewConnection). The result is the same SerialLink a serial port gives,
// so the AT driver cannot tell the difference; the channel closing is a cut link.
//
// The descriptor is received by a small helper process (bluez-rfcomm.py, python3-dbus):
// dbus-next, being pure JavaScript, cannot receive file descriptors, and Node has no API to
// take one from a socket message. The helper relays the channel's bytes to a private unix
// socket (mode 0600 in a 0700 folder) that this module connects to.
import { spawn, type ChildProcess } from 'node:child_process';
import { EventEmitter } from 'node:events';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ByteCounts, SerialLink } from './serial';
import { StreamLink } from './stream-link';

/** A SerialLink over a connected stream socket. */
export class SocketLink extends StreamLink {
  private closing = false;

  constructor(
    path: string,
    private readonly socket: net.Socket,
  ) {
    super(path, socket);
    socket.on('error', (err) => {
      this.passError(err);
      this.finish({ disconnected: !this.closing, error: err });
    });
    socket.on('close', () => this.finish({ disconnected: !this.closing }));
  }

  protected streamOpen(): boolean {
    return !this.socket.destroyed;
  }

  close(): Promise<void> {
    this.closing = true;
    if (this.socket.destroyed) {
      this.finish({ disconnected: false });
      return Promise.resolve();
    }
    return new Promise((resolve) => {
      this.socket.once('close', () => resolve());
      this.socket.destroy();
    });
  }
}

/** Where the helper is: beside the bundle in the packaged app (unpacked from the asar archive,
 *  where python3 can read it), else in native/. */
function helperPath(): string {
  const bundle = typeof __dirname === 'string' ? __dirname : path.dirname(fileURLToPath(import.meta.url));
  const here = bundle.replace(/app\.asar(?=[\\/]|$)/, 'app.asar.unpacked');
  for (const p of [path.join(here, 'bluez-rfcomm.py'), path.join(here, '..', '..', 'native', 'bluez-rfcomm.py')]) if (fs.existsSync(p)) return p;
  return path.join(here, 'bluez-rfcomm.py');
}

export interface RfcommOptions {
  /** The system bus BlueZ is on (default: DBUS_SYSTEM_BUS_ADDRESS, else the standard one). */
  busAddress?: string;
  /** Connects the profile on the device (Bluez.connectProfile). */
  connectProfile(devicePath: string, uuid: string): Promise<void>;
  python?: string;
  /** How long BlueZ may take to connect the channel; default 20 s. */
  timeoutMs?: number;
}

type HelperMsg =
  | { op: 'ready' }
  | { op: 'registered'; uuid: string }
  | { op: 'error'; uuid: string; message: string }
  | { op: 'connection'; device: string; uuid: string; socket: string }
  | { op: 'closed'; device: string };

export class RfcommProfiles {
  private helper: ChildProcess | null = null;
  private starting: Promise<ChildProcess> | null = null;
  private readonly events = new EventEmitter();
  private readonly registered = new Map<string, Promise<void>>();
  private stderr = '';

  constructor(private readonly opts: RfcommOptions) {}

  /** Opens the device's serial profile `uuid` as a link named `bluetooth:<address>`. */
  async open(device: { path: string; address: string }, uuid: string): Promise<SerialLink & { counts: ByteCounts }> {
    await this.register(uuid);
    const timeoutMs = this.opts.timeoutMs ?? 20_000;
    const arrived = new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.events.off('connection', on);
        reject(new Error('The phone did not open its serial port profile in time.'));
      }, timeoutMs);
      const on = (m: Extract<HelperMsg, { op: 'connection' }>) => {
        if (m.device !== device.path || m.uuid !== uuid) return;
        clearTimeout(timer);
        this.events.off('connection', on);
        resolve(m.socket);
      };
      this.events.on('connection', on);
    });
    arrived.catch(() => undefined);
    await this.opts.connectProfile(device.path, uuid);
    const socketPath = await arrived;
    const socket = await new Promise<net.Socket>((resolve, reject) => {
      const s = net.connect(socketPath);
      s.once('connect', () => resolve(s));
      s.once('error', reject);
    });
    return new SocketLink(`bluetooth:${device.address}`, socket);
  }

  async close(): Promise<void> {
    const h = this.helper;
    this.helper = null;
    this.starting = null;
    if (!h || h.exitCode !== null || h.signalCode !== null) return;
    const gone = new Promise((r) => h.once('exit', r));
    h.stdin?.end(); // the helper unregisters its profiles and exits
    const timer = setTimeout(() => h.kill('SIGTERM'), 2000);
    await gone;
    clearTimeout(timer);
  }

  private register(uuid: string): Promise<void> {
    let job = this.registered.get(uuid);
    if (!job) {
      job = (async () => {
        const h = await this.start();
        await new Promise<void>((resolve, reject) => {
          const on = (m: HelperMsg) => {
            if (!('uuid' in m) || m.uuid !== uuid || (m.op !== 'registered' && m.op !== 'error')) return;
            this.events.off('message', on);
            if (m.op === 'registered') resolve();
            else reject(new Error(`BlueZ refused the serial profile: ${m.message}`));
          };
          this.events.on('message', on);
          h.stdin!.write(`${JSON.stringify({ op: 'register', uuid })}\n`);
        });
      })();
      job.catch(() => this.registered.delete(uuid));
      this.registered.set(uuid, job);
    }
    return job;
  }

  private start(): Promise<ChildProcess> {
    if (this.starting) return this.starting;
    this.starting = new Promise<ChildProcess>((resolve, reject) => {
      const env = { ...process.env };
      if (this.opts.busAddress) env.CONCORD_SYSTEM_BUS = this.opts.busAddress;
      // The distribution's python3 is the one with its python3-dbus and python3-gi.
      const python = this.opts.python ?? (fs.existsSync('/usr/bin/python3') ? '/usr/bin/python3' : 'python3');
      const h = spawn(python, [helperPath()], { stdio: ['pipe', 'pipe', 'pipe'], env });
      this.helper = h;
      let buf = '';
      h.stdout!.on('data', (c: Buffer) => {
        buf += c.toString('utf8');
        let nl: number;
        while ((nl = buf.indexOf('\n')) >= 0) {
          const line = buf.slice(0, nl);
          buf = buf.slice(nl + 1);
          let m: HelperMsg;
          try {
            m = JSON.parse(line) as HelperMsg;
          } catch {
            continue;
          }
          if (m.op === 'ready') resolve(h);
          this.events.emit('message', m);
          if (m.op === 'connection') this.events.emit('connection', m);
        }
      });
      h.stderr!.on('data', (c: Buffer) => (this.stderr = (this.stderr + c.toString()).slice(-2000)));
      h.on('error', () => undefined);
      h.on('exit', () => {
        if (this.helper === h) {
          this.helper = null;
          this.starting = null;
          this.registered.clear();
        }
        const why = /No module named '?(\w+)/.exec(this.stderr)?.[1];
        reject(
          new Error(
            why
              ? `Serial profiles need python3 with its ${why === 'gi' ? 'GObject (python3-gi)' : 'D-Bus (python3-dbus)'} module.`
              : `The Bluetooth serial profile helper stopped${this.stderr ? `: ${this.stderr.trim().split('\n').pop()}` : ''}.`,
          ),
        );
      });
    });
    this.starting.catch(() => undefined);
    return this.starting;
  }
}
