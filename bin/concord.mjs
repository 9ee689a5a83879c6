#!/usr/bin/env node
// The `concord` command. Loads the TypeScript CLI through tsx so that a fresh clone
// runs after `npm ci` without a build step.
import { register } from 'tsx/esm/api';
import { fileURLToPath, pathToFileURL } from 'node:url';
import path from 'node:path';

register();
const here = path.dirname(fileURLToPath(import.meta.url));
const { main } = await import(pathToFileURL(path.join(here, '..', 'main', 'cli', 'main.ts')).href);
process.exitCode = await main(process.argv.slice(2));
