import { readFileSync } from 'node:fs';
import { extname } from 'node:path';
import { Command, Option } from 'commander';
import { parse as parseYaml } from 'yaml';
import { ZodError } from 'zod';
import { settingDocs, settingFlag, settingHelp, type SettingKind } from './config-help.js';
import { serverConfigSchema, type ServerConfig } from './config-schema.js';

/** A configuration that cannot be used; `field` names the offending setting. */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
  constructor(
    readonly field: string,
    message: string,
  ) {
    super(`invalid config: ${field}: ${message}`);
  }
}

function parseText(key: string, kind: SettingKind, text: string, source: string): unknown {
  switch (kind) {
    case 'string':
      return text;
    case 'number': {
      const value = Number(text);
      if (text.trim() === '' || !Number.isFinite(value)) throw new ConfigError(key, `${source}: not a number: "${text}"`);
      return value;
    }
    case 'boolean':
      if (/^(true|1|yes|on)$/i.test(text)) return true;
      if (/^(false|0|no|off)$/i.test(text)) return false;
      throw new ConfigError(key, `${source}: not a boolean: "${text}"`);
    case 'list':
      return text.split(',').map((s) => s.trim()).filter(Boolean);
    case 'cluster':
      return text
        .split(',')
        .map((s) => s.trim())
        .filter(Boolean)
        .map((entry) => parseFounder(key, entry, source));
  }
}

/** One `--initial-cluster` entry: `id=host:port[;zone=NAME][;weight=N]`. */
function parseFounder(key: string, entry: string, source: string): Record<string, unknown> {
  const [head = '', ...attributes] = entry.split(';').map((s) => s.trim());
  const eq = head.indexOf('=');
  if (eq <= 0) throw new ConfigError(key, `${source}: expected id=host:port[;zone=NAME][;weight=N], got "${entry}"`);
  const founder: Record<string, unknown> = { id: head.slice(0, eq), address: head.slice(eq + 1) };
  for (const attribute of attributes) {
    const [name, value] = attribute.split('=', 2).map((s) => s.trim());
    if (name === 'zone' && value) founder['zone'] = value;
    else if (name === 'weight' && value) founder['weight'] = parseText(key, 'number', value, source);
    else throw new ConfigError(key, `${source}: unknown attribute "${attribute}" in "${entry}" (zone=NAME or weight=N)`);
  }
  return founder;
}

function readConfigFile(path: string): Record<string, unknown> {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new ConfigError('config', `cannot read ${path}: ${(err as Error).message}`);
  }
  let parsed: unknown;
  try {
    parsed = extname(path) === '.json' ? JSON.parse(text) : parseYaml(text);
  } catch (err) {
    throw new ConfigError('config', `cannot parse ${path}: ${(err as Error).message.split('\n')[0]}`);
  }
  if (parsed === null || parsed === undefined) return {};
  if (typeof parsed !== 'object' || Array.isArray(parsed))
    throw new ConfigError('config', `${path} must hold a mapping of settings`);
  const out = { ...(parsed as Record<string, unknown>) };
  // A file may spell the cluster the way the flag does.
  if (typeof out['initialCluster'] === 'string') out['initialCluster'] = parseText('initialCluster', 'cluster', out['initialCluster'], path);
  if (typeof out['seeds'] === 'string') out['seeds'] = parseText('seeds', 'list', out['seeds'], path);
  return out;
}

/** What `loadConfig` found: the validated config and whether `--print-config` was asked for. */
export interface LoadedConfig {
  config: ServerConfig;
  printConfig: boolean;
}

/**
 * Builds the node's config from defaults, a file (`--config` or QKV_CONFIG), the environment and
 * flags, later ones winning, and validates it once. Throws {@link ConfigError} naming the bad field.
 */
export function loadConfig(argv: string[], env: NodeJS.ProcessEnv = process.env): LoadedConfig {
  const settings = settingDocs();
  const program = new Command('quorumkv-server')
    .description('Run a QuorumKV node. With no settings it serves alone on 127.0.0.1:7070 with data in ./data.')
    .option('--config <file>', 'YAML or JSON config file with any of the settings below (env: QKV_CONFIG)')
    .option('--print-config', 'print the resulting config as JSON and exit')
    .helpOption('-h, --help', 'print this help and exit')
    .addHelpText('after', '\nSources, later ones winning: defaults, the config file, QKV_* environment variables, flags.')
    .exitOverride()
    .configureOutput({ writeErr: (s) => process.stderr.write(s) })
    .allowExcessArguments(false);
  for (const s of settings) {
    program.addOption(new Option(settingFlag(s), settingHelp(s)));
    if (s.kind === 'boolean') program.addOption(new Option(`--no-${s.flag.slice(2)}`).hideHelp());
  }
  program.parse(argv, { from: 'user' });
  const opts = program.opts<Record<string, string | boolean | undefined>>();

  const merged: Record<string, unknown> = {};
  const file = (opts['config'] as string | undefined) ?? env['QKV_CONFIG'];
  if (file) Object.assign(merged, readConfigFile(file));
  for (const { key, kind, env: name } of settings) {
    const fromEnv = env[name];
    if (fromEnv !== undefined && fromEnv !== '') merged[key] = parseText(key, kind, fromEnv, name);
  }
  for (const { key, kind, flag: name } of settings) {
    const flag = opts[key];
    if (flag === undefined) continue;
    merged[key] = typeof flag === 'boolean' ? flag : parseText(key, kind, flag, name);
  }
  return { config: validateConfig(merged), printConfig: opts['printConfig'] === true };
}

/** Validates a config object, throwing {@link ConfigError} for the first bad field. */
export function validateConfig(input: Record<string, unknown>): ServerConfig {
  try {
    return serverConfigSchema.parse(input);
  } catch (err) {
    if (err instanceof ZodError) {
      const issue = err.issues[0]!;
      const field = issue.path.length > 0 ? issue.path.join('.') : 'config';
      const message = issue.code === 'unrecognized_keys' ? `unknown setting(s): ${issue.keys.join(', ')}` : issue.message;
      throw new ConfigError(field, message);
    }
    throw err;
  }
}
