/**
 * @quorumkv/server — a QuorumKV node. Most users run the `quorumkv-server` binary; embedders can
 * start a node in-process.
 *
 * @packageDocumentation
 */
export { QuorumNode, DataDirMismatchError, SERVER_VERSION } from './node.js';
export { loadConfig, validateConfig, ConfigError, type LoadedConfig } from './config/load-config.js';
export { serverConfigSchema, type ServerConfig, type ServerConfigInput } from './config/config-schema.js';
export {
  NodeError,
  NodeArgumentError,
  NodeMalformedRequestError,
  NodeQuorumNotMetError,
  NodeOverloadedError,
  NodeTooManySiblingsError,
  NodeStorageFullError,
  NodeForeignClusterError,
  NodeNotReadyError,
  type QuorumFacts,
} from './errors/errors.js';
