// Runs the handset simulator as its own process, as `concord sim handset` does:
// `node bin/run-ts.mjs test/main/devices/at-phonebook/sim-cli.ts --link PATH …`.
import { runSimHandset } from '../../../../main/cli/sim';

process.exitCode = await runSimHandset(process.argv.slice(2));
