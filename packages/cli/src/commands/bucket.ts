// quorumkv bucket create | show | list
import type { Command } from 'commander';
import type { BucketInfo } from '@quorumkv/client/node';
import { emit, withClient } from '../context.js';
import { CliExit, ExitCode } from '../exit-codes.js';
import { duration, fields, table, type Output } from '../output.js';
import { conflicts, durationMs, positiveInt } from '../parse.js';

function describe(b: BucketInfo): string {
  return fields([
    ['bucket', b.name],
    ['n', b.n],
    ['r', b.r],
    ['w', b.w],
    ['conflicts', b.conflicts],
    ['default ttl', duration(b.defaultTtlMs)],
    ['version', b.version],
  ]);
}

/** Adds `bucket create|show|list` to `program`. */
export function registerBucketCommands(program: Command, out: Output): void {
  const bucket = program.command('bucket').description('create and inspect buckets');

  bucket
    .command('create')
    .description('create a bucket, or update its properties')
    .argument('<name>', 'bucket name')
    .option('--n <n>', "replicas per key (default: the node's n)", positiveInt)
    .option('--r <n>', "read quorum (default: the node's r, at most n)", positiveInt)
    .option('--w <n>', "write quorum (default: the node's w, at most n)", positiveInt)
    .option('--conflicts <mode>', 'siblings or lww (default: siblings)', conflicts)
    .option('--ttl <duration>', 'time to live of each write, e.g. 1h (default: none)', durationMs)
    .action(async (name: string, f: { n?: number; r?: number; w?: number; conflicts?: 'siblings' | 'lww'; ttl?: number }, cmd: Command) => {
      await withClient(cmd, async (client, g) => {
        const b = await client.admin.createBucket({
          name,
          ...(f.n !== undefined ? { n: f.n } : {}),
          ...(f.r !== undefined ? { r: f.r } : {}),
          ...(f.w !== undefined ? { w: f.w } : {}),
          ...(f.conflicts !== undefined ? { conflicts: f.conflicts } : {}),
          ...(f.ttl !== undefined ? { defaultTtlMs: f.ttl } : {}),
        });
        emit(out, g, { ok: true, bucket: b }, () => `ok: bucket ${b.name} saved\n${describe(b)}`);
      });
    });

  bucket
    .command('show')
    .description("a bucket's properties (exit code 1 when it does not exist)")
    .argument('<name>', 'bucket name')
    .action(async (name: string, _f: unknown, cmd: Command) => {
      await withClient(cmd, async (client, g) => {
        const b = await client.admin.getBucket(name);
        if (!b) {
          if (g.json) out.out(JSON.stringify({ found: false, name }, null, 2));
          throw new CliExit(`not found: bucket ${name}`, ExitCode.NotFound);
        }
        emit(out, g, { found: true, bucket: b }, () => describe(b));
      });
    });

  bucket
    .command('list')
    .description('every bucket')
    .action(async (_f: unknown, cmd: Command) => {
      await withClient(cmd, async (client, g) => {
        const list = await client.admin.listBuckets();
        emit(out, g, { buckets: list }, () =>
          table(
            ['name', 'n', 'r', 'w', 'conflicts', 'ttl'],
            list.map((b) => [b.name, b.n, b.r, b.w, b.conflicts, duration(b.defaultTtlMs)]),
          ),
        );
      });
    });
}
