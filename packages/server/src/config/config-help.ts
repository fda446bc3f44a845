// What each setting is, read off the zod schema: its flag, environment variable, how its text is
// parsed, its unit and its default. The flags, the environment and `--help` all come from here, so
// the schema is the only list of settings.
import { z } from 'zod';
import { serverConfigSchema } from './config-schema.js';

/** How a setting's text (flag or environment) becomes a value. */
export type SettingKind = 'string' | 'number' | 'boolean' | 'list' | 'cluster';

/** One setting as `--help` shows it. */
export interface SettingDoc {
  /** Key in the config object and config files, e.g. `requestTimeoutMs`. */
  readonly key: string;
  /** e.g. `--request-timeout-ms`. */
  readonly flag: string;
  /** e.g. `QKV_REQUEST_TIMEOUT_MS`. */
  readonly env: string;
  readonly kind: SettingKind;
  /** One line, from `.describe()` / `.meta({ description })`. */
  readonly description: string;
  /** The unit of a number, the format of a string, the choices of an enum; undefined for booleans. */
  readonly unit: string | undefined;
  /** The default as text. */
  readonly defaultText: string;
}

interface SettingMeta {
  description?: string;
  unit?: string;
  defaultText?: string;
}

const kebab = (key: string): string => key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);
const envName = (key: string): string => `QKV_${key.replace(/[A-Z]/g, (c) => `_${c}`).toUpperCase()}`;

/** The schema inside `.default()` / `.optional()` wrappers. */
function inner(schema: z.ZodType): z.ZodType {
  const def = schema._zod.def as { type: string; innerType?: z.ZodType };
  return (def.type === 'default' || def.type === 'optional') && def.innerType ? inner(def.innerType) : schema;
}

function kindOf(key: string, schema: z.ZodType): SettingKind {
  const def = schema._zod.def as { type: string; element?: z.ZodType };
  switch (def.type) {
    case 'string':
    case 'enum':
      return 'string';
    case 'number':
      return 'number';
    case 'boolean':
      return 'boolean';
    case 'array':
      return def.element && (def.element._zod.def as { type: string }).type === 'object' ? 'cluster' : 'list';
    default:
      throw new Error(`config-schema: ${key} has a type (${def.type}) flags cannot carry`);
  }
}

const MIB = 1024 * 1024;

function formatDefault(key: string, value: unknown): string {
  if (Array.isArray(value)) return value.length === 0 ? 'none' : value.join(',');
  if (typeof value === 'number' && key.endsWith('Bytes') && value >= 1024) {
    const human = value >= 1024 * MIB ? `${value / (1024 * MIB)} GiB` : value >= MIB ? `${value / MIB} MiB` : `${value / 1024} KiB`;
    return `${value} (${human})`;
  }
  return String(value);
}

function unitOf(key: string, schema: z.ZodType, kind: SettingKind, meta: SettingMeta): string | undefined {
  if (meta.unit) return meta.unit;
  const def = schema._zod.def as { type: string; entries?: Record<string, string> };
  if (def.type === 'enum' && def.entries) return Object.values(def.entries).join('|');
  if (kind !== 'number') return undefined;
  if (key.endsWith('Ms')) return 'ms';
  if (key.endsWith('Bytes')) return 'bytes';
  return undefined;
}

/** Every setting of {@link serverConfigSchema}, in schema order. Throws if one lacks its help. */
export function settingDocs(): SettingDoc[] {
  return Object.entries(serverConfigSchema.shape).map(([key, schema]) => {
    const meta = (z.globalRegistry.get(schema) ?? {}) as SettingMeta;
    const base = inner(schema);
    const kind = kindOf(key, base);
    const unit = unitOf(key, base, kind, meta);
    const def = schema._zod.def as { type: string; defaultValue?: unknown };
    const defaultText = meta.defaultText ?? (def.type === 'default' ? formatDefault(key, def.defaultValue) : undefined);
    if (!meta.description) throw new Error(`config-schema: ${key} has no description`);
    if (defaultText === undefined) throw new Error(`config-schema: ${key} has neither a default nor defaultText`);
    if (unit === undefined && kind !== 'boolean') throw new Error(`config-schema: ${key} has no unit`);
    return { key, flag: `--${kebab(key)}`, env: envName(key), kind, description: meta.description, unit, defaultText };
  });
}

// Longer lists of choices go in the description, keeping the flag column narrow.
const MAX_PLACEHOLDER = 20;

/** The flag as `--help` shows it, with its unit as the placeholder: `--request-timeout-ms <ms>`. */
export function settingFlag(s: SettingDoc): string {
  if (s.kind === 'boolean') return `${s.flag} [bool]`;
  return `${s.flag} <${s.unit!.length <= MAX_PLACEHOLDER ? s.unit : 'choice'}>`;
}

/** The help text of one setting: description, default and environment variable. */
export function settingHelp(s: SettingDoc): string {
  const choices = s.unit && s.unit.length > MAX_PLACEHOLDER ? `one of ${s.unit}; ` : '';
  return `${s.description} (${choices}default: ${s.defaultText}; env: ${s.env})`;
}
