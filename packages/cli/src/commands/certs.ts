// quorumkv certs create: what a secure cluster needs, in one directory: a cluster CA, a certificate
// per node (signed by it, for the given host names and addresses), a gossip key, and a token file
// with one admin token (the file holds its SHA-256; the token itself is written to admin.token).
import { existsSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { createClusterCerts, issueTokens, newGossipKeyFile, writeClusterCerts } from '@quorumkv/harness';
import { InvalidArgumentError, type Command } from 'commander';
import { globals } from '../context.js';
import { CliExit, ExitCode } from '../exit-codes.js';
import { fields, toJson, type Output } from '../output.js';
import { positiveInt } from '../parse.js';

interface CertsFlags {
  out: string;
  nodes: string[];
  hosts: string[];
  days: number;
}

const list = (value: string): string[] => {
  const items = value.split(',').map((s) => s.trim()).filter(Boolean);
  if (items.length === 0) throw new InvalidArgumentError('must name at least one');
  return items;
};

/** The hosts of `quorumkv dev` and the compose example's node names. */
const DEFAULT_HOSTS = ['localhost', '127.0.0.1', 'node-1', 'node-2', 'node-3'];

/** Adds `certs create` to `program`. */
export function registerCertsCommands(program: Command, out: Output): void {
  const certs = program.command('certs').description('make the certificates and tokens of a secure cluster');
  certs
    .command('create')
    .description('write a cluster CA, a certificate per node, a gossip key and a token file with an admin token')
    .option('--out <dir>', 'directory to write to (created)', './certs')
    .option('--nodes <ids>', 'node ids, comma-separated: one certificate each', list, ['node-1', 'node-2', 'node-3'])
    .option('--hosts <names>', 'host names and IP addresses every node certificate is valid for, comma-separated', list, DEFAULT_HOSTS)
    .option('--days <n>', 'validity of the certificates in days', positiveInt, 365)
    .action(async (f: CertsFlags, cmd: Command) => {
      const g = globals(cmd);
      const dir = resolve(f.out);
      if (existsSync(join(dir, 'ca.pem'))) throw new CliExit(`${join(dir, 'ca.pem')} exists: refusing to replace a cluster's CA (choose another --out)`, ExitCode.Usage);
      const files = writeClusterCerts(dir, await createClusterCerts({ nodes: f.nodes, hosts: f.hosts, days: f.days }));
      const issued = issueTokens([{ name: 'admin', scopes: ['read', 'write', 'admin'] }]);
      const tokenFile = join(dir, 'tokens.json');
      const adminToken = join(dir, 'admin.token');
      writeFileSync(tokenFile, issued.fileText, { mode: 0o600 });
      writeFileSync(adminToken, `${issued.tokens['admin']!}\n`, { mode: 0o600 });
      const gossipKeys = join(dir, 'gossip.keys');
      writeFileSync(gossipKeys, newGossipKeyFile(), { mode: 0o600 });
      if (g.json) {
        out.out(toJson({ dir, ca: files.caFile, caKey: files.caKeyFile, nodes: files.nodes, tokenFile, adminToken, gossipKeys }));
        return;
      }
      out.out(fields([
        ['ca', files.caFile],
        ['ca key', `${files.caKeyFile} (keep it off the nodes)`],
        ...Object.entries(files.nodes).map(([id, n]): [string, string] => [id, `${n.certFile} ${n.keyFile}`]),
        ['gossip keys', gossipKeys],
        ['token file', tokenFile],
        ['admin token', adminToken],
      ]));
      out.out(`each node: --tls-cert <id>.pem --tls-key <id>-key.pem --tls-ca ca.pem --gossip-key-file gossip.keys --token-file tokens.json\nclients:   quorumkv --ca ${files.caFile} --token "$(cat ${adminToken})" cluster status`);
    });
}
