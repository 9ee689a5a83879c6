// A promise settled from outside, at most once: what a session and the hub wait on.
export class Deferred<T> {
  promise: Promise<T>;
  resolve!: (v: T) => void;
  reject!: (e: unknown) => void;
  settled = false;
  constructor() {
    this.promise = new Promise<T>((res, rej) => {
      this.resolve = (v) => {
        if (this.settled) return;
        this.settled = true;
        res(v);
      };
      this.reject = (e) => {
        if (this.settled) return;
        this.settled = true;
        rej(e);
      };
    });
    // A rejection nobody waits for (the hub never asked) must not crash the process.
    this.promise.catch(() => undefined);
  }
}
