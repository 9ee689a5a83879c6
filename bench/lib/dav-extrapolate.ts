// An upload that cannot finish in the time there is (Radicale's 10,000 cards): how far it got,
// and an EXTRAPOLATION of its total, printed as such. `node bin/run-ts.mjs
// bench/lib/dav-extrapolate.ts RADICALE_LOG N`. The server's time per PUT is fitted as a
// straight line in the number of cards already in the book (Radicale scans its book on every
// new card), least squares over the PUTs logged; the client's share per PUT (wall time between
// PUTs minus the server's) is taken as its mean so far. Total = time so far + the fitted server
// time of the PUTs still to come + the client's mean share for each.
import fs from 'node:fs';
import { parseRadicaleLog } from './dav';

const [log, nArg] = process.argv.slice(2);
if (!log || !nArg) {
  console.error('usage: dav-extrapolate.ts RADICALE_LOG N');
  process.exit(2);
}
const n = Number(nArg);
const reqs = parseRadicaleLog(fs.readFileSync(log, 'utf8'));
const puts = reqs.filter((r) => r.method === 'PUT');
if (puts.length < 200) throw new Error(`only ${puts.length} PUTs logged`);
// The upload starts with the client's listing of the (empty) book, right before the first PUT.
const firstPut = reqs.indexOf(puts[0]!);
const start = (reqs[firstPut - 1] ?? puts[0]!).at;
const last = puts.at(-1)!;
const elapsedS = (last.at - start) / 1000;
const k = puts.length;
let sx = 0;
let sy = 0;
let sxx = 0;
let sxy = 0;
puts.forEach((p, i) => {
  sx += i;
  sy += p.ms;
  sxx += i * i;
  sxy += i * p.ms;
});
const b = (k * sxy - sx * sy) / (k * sxx - sx * sx);
const a = (sy - b * sx) / k;
const serverSoFarS = sy / 1000;
const clientPerPutMs = ((elapsedS - serverSoFarS) * 1000) / k;
let restServerMs = 0;
for (let i = k; i < n; i++) restServerMs += a + b * i;
const mean = (xs: typeof puts) => xs.reduce((s, r) => s + r.ms, 0) / xs.length;
const perMin = (xs: typeof puts) => (xs.length - 1) / ((xs.at(-1)!.at - xs[0]!.at) / 60_000);
console.log(`measured: ${k}/${n} PUTs in ${(elapsedS / 60).toFixed(1)} min (log timestamps, 1 s resolution)`);
console.log(`measured: server time per PUT, first 100 ${mean(puts.slice(0, 100)).toFixed(1)} ms, last 100 ${mean(puts.slice(-100)).toFixed(1)} ms; cards per minute, first 500 ${perMin(puts.slice(0, 500)).toFixed(0)}, last 500 ${perMin(puts.slice(-500)).toFixed(0)}`);
console.log(`fit: server ms per PUT ≈ ${a.toFixed(1)} + ${b.toFixed(4)} × cards in the book; client share ${clientPerPutMs.toFixed(1)} ms per PUT`);
console.log(`EXTRAPOLATED (not measured): PUT #${n} ≈ ${(a + b * (n - 1)).toFixed(0)} ms on the server; whole upload of ${n} ≈ ${((elapsedS * 1000 + restServerMs + clientPerPutMs * (n - k)) / 60_000).toFixed(0)} min at this run's load`);
