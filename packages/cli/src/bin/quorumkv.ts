#!/usr/bin/env node
// The `quorumkv` executable.
import { main } from '../program.js';

const code = await main(process.argv);
process.exitCode = code;
// Normally nothing is left running; should a handle linger, do not hang a script.
setTimeout(() => process.exit(code), 2000).unref();
