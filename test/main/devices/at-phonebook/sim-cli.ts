// Runs the handset simulator as its own process, as `concord sim handset` will once the CLI
// wires it: `node bin/run-ts.mjs test/main/devices/at-phonebook/sim-cli.ts --link PATH …`.
import { runSimHandset } from '../../../../main/devices/at-phonebook/simulator';

process.exitCode = await runSimHandset(process.argv.slice(2));
