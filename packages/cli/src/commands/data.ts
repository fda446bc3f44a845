// quorumkv put | get | delete | keys
import { readFile } from 'node:fs/promises';
import type { Command } from 'commander';
import { bytesToString, toBase64 } from '@quorumkv/client/node';
import { emit, withClient } from '../context.js';
import { CliExit, ExitCode, UsageError } from '../exit-codes.js';
import { displayBytes, receiptLine, siblingJson, table, time, type Output } from '../output.js';
import { context as parseContext, durationMs, positiveInt } from '../parse.js';

interface PutFlags {
  bucket?: string;
  w?: number;
  ttl?: number;
  context?: Uint8Array;
  file?: string;
}

async function readStdin(): Promise<Uint8Array> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

/** The value of `put`: the argument, else --file, else stdin (when it is not a terminal). */
async function valueOf(arg: string | undefined, flags: PutFlags): Promise<Uint8Array> {
  if (arg !== undefined && flags.file !== undefined) throw new UsageError('give the value as an argument or with --file, not both');
  if (arg !== undefined) return new TextEncoder().encode(arg);
  if (flags.file !== undefined) {
    try {
      return await readFile(flags.file);
    } catch (err) {
      throw new UsageError(`cannot read --file ${flags.file}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`);
    }
  }
  if (process.stdin.isTTY) throw new UsageError('missing VALUE: give it as an argument, with --file, or on stdin');
  return readStdin();
}

/** Adds the data commands to `program`. */
export function registerDataCommands(program: Command, out: Output): void {
  program
    .command('put')
    .description('write a value (from the argument, --file or stdin)')
    .argument('<key>', 'the key (UTF-8)')
    .argument('[value]', 'the value (UTF-8); omit to use --file or stdin')
    .option('-b, --bucket <name>', 'bucket of the key', 'default')
    .option('--w <n>', 'write quorum (default: the bucket\'s)', positiveInt)
    .option('--ttl <duration>', 'time to live, e.g. 30s, 5m, 1h (default: the bucket\'s)', durationMs)
    .option('--context <base64>', 'context from a previous get: supersede what it saw (default: none, a blind write)', parseContext)
    .option('-f, --file <path>', 'read the value from a file (default: none, the argument or stdin)')
    .action(async (key: string, value: string | undefined, flags: PutFlags, cmd: Command) => {
      const bytes = await valueOf(value, flags);
      await withClient(cmd, async (client, g) => {
        const res = await client.put(key, bytes, {
          bucket: flags.bucket ?? 'default',
          ...(flags.w !== undefined ? { w: flags.w } : {}),
          ...(flags.ttl !== undefined ? { ttlMs: flags.ttl } : {}),
          ...(flags.context ? { context: flags.context } : {}),
        });
        emit(out, g, { ok: true, bucket: flags.bucket, key, bytes: bytes.length, context: toBase64(res.context), receipt: res.receipt }, () =>
          [`ok: wrote ${bytes.length} bytes to ${key}`, `receipt: ${receiptLine(res.receipt)}`, `context: ${toBase64(res.context)}`].join('\n'),
        );
      });
    });

  program
    .command('get')
    .description('read a key: every sibling and the context (exit code 1 when not found)')
    .argument('<key>', 'the key (UTF-8)')
    .option('-b, --bucket <name>', 'bucket of the key', 'default')
    .option('--r <n>', 'read quorum (default: the bucket\'s)', positiveInt)
    .action(async (key: string, flags: { bucket: string; r?: number }, cmd: Command) => {
      await withClient(cmd, async (client, g) => {
        const res = await client.get(key, { bucket: flags.bucket, ...(flags.r !== undefined ? { r: flags.r } : {}), resolve: null });
        if (!res.found) {
          if (g.json) out.out(JSON.stringify({ found: false, bucket: flags.bucket, key, receipt: res.receipt }, null, 2));
          throw new CliExit(`not found: ${key}`, ExitCode.NotFound);
        }
        emit(
          out,
          g,
          { found: true, bucket: flags.bucket, key, values: res.values.map((v) => bytesToString(v)), siblings: res.siblings.map(siblingJson), context: toBase64(res.context), receipt: res.receipt },
          () => {
            const head = res.siblings.length > 1 ? `${res.siblings.length} siblings (concurrent writes; put with --context to resolve)\n` : '';
            const rows = res.siblings.map((s, i) => [String(i + 1), displayBytes(s.value), s.writtenBy, time(s.timestampMs)]);
            return `${head}${table(['#', 'value', 'written by', 'written at'], rows)}\ncontext: ${toBase64(res.context)}\nreceipt: ${receiptLine(res.receipt)}`;
          },
        );
      });
    });

  program
    .command('delete')
    .description('delete a key')
    .argument('<key>', 'the key (UTF-8)')
    .option('-b, --bucket <name>', 'bucket of the key', 'default')
    .option('--w <n>', 'write quorum (default: the bucket\'s)', positiveInt)
    .option('--context <base64>', 'context from a previous get: delete what it saw (default: none, whatever the replicas hold)', parseContext)
    .action(async (key: string, flags: { bucket: string; w?: number; context?: Uint8Array }, cmd: Command) => {
      await withClient(cmd, async (client, g) => {
        const res = await client.delete(key, {
          bucket: flags.bucket,
          ...(flags.w !== undefined ? { w: flags.w } : {}),
          ...(flags.context ? { context: flags.context } : {}),
        });
        emit(out, g, { ok: true, bucket: flags.bucket, key, receipt: res.receipt }, () => `ok: deleted ${key}\nreceipt: ${receiptLine(res.receipt)}`);
      });
    });

  program
    .command('keys')
    .description('list the keys of a bucket (costly: asks every partition)')
    .option('-b, --bucket <name>', 'bucket to list', 'default')
    .option('-p, --prefix <prefix>', 'only keys starting with this (default: none, every key)')
    .option('--limit <n>', 'stop after this many keys (default: no limit)', positiveInt)
    .action(async (flags: { bucket: string; prefix?: string; limit?: number }, cmd: Command) => {
      await withClient(cmd, async (client, g) => {
        const keys: Uint8Array[] = [];
        const limit = flags.limit ?? Infinity;
        for await (const page of client.listKeys({ bucket: flags.bucket, ...(flags.prefix !== undefined ? { prefix: flags.prefix } : {}) })) {
          keys.push(...page.keys.slice(0, limit - keys.length));
          if (keys.length >= limit) break;
        }
        emit(out, g, { bucket: flags.bucket, prefix: flags.prefix ?? '', count: keys.length, keys: keys.map((k) => bytesToString(k)) }, () =>
          keys.length === 0 ? '(no keys)' : keys.map(displayBytes).join('\n'),
        );
      });
    });
}
