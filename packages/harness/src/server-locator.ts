// Finds the quorumkv-server executable without importing @quorumkv/server: QKV_SERVER_BIN, then
// node_modules next to (or above) this file, then PATH.
import { accessSync, constants, realpathSync, statSync } from 'node:fs';
import { delimiter, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** How to start the server: the program and the arguments before the server's own. */
export interface ServerCommand {
  readonly command: string;
  readonly args: readonly string[];
  /** Where it was found, for messages. */
  readonly path: string;
}

function isFile(p: string): boolean {
  try {
    return statSync(p).isFile();
  } catch {
    return false;
  }
}

function isExecutable(p: string): boolean {
  try {
    accessSync(p, constants.X_OK);
    return isFile(p);
  } catch {
    return false;
  }
}

/** JS files run under this Node (npm's bin links may point at files without the executable bit). */
function commandFor(path: string): ServerCommand {
  const real = realpathSync(path);
  if (/\.[cm]?js$/.test(real)) return { command: process.execPath, args: [real], path: real };
  return { command: real, args: [], path: real };
}

/**
 * Locates `quorumkv-server`.
 * @param env - environment (QKV_SERVER_BIN, PATH)
 * @param from - directory to walk up from; default this file's
 * @returns undefined when it cannot be found
 */
export function locateServer(env: NodeJS.ProcessEnv = process.env, from = dirname(fileURLToPath(import.meta.url))): ServerCommand | undefined {
  const explicit = env['QKV_SERVER_BIN'];
  if (explicit) return isFile(explicit) ? commandFor(explicit) : undefined;
  for (let dir = from; ; dir = dirname(dir)) {
    const bin = join(dir, 'node_modules', '.bin', 'quorumkv-server');
    if (isFile(bin)) return commandFor(bin);
    // The package's own bin file, for installs where npm linked the bin before it was built.
    const pkgBin = join(dir, 'node_modules', '@quorumkv', 'server', 'dist', 'bin', 'quorumkv-server.js');
    if (isFile(pkgBin)) return commandFor(pkgBin);
    if (dirname(dir) === dir) break;
  }
  for (const dir of (env['PATH'] ?? '').split(delimiter)) {
    if (!dir) continue;
    const candidate = join(dir, 'quorumkv-server');
    if (isExecutable(candidate)) return commandFor(candidate);
  }
  return undefined;
}
