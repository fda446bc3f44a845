/**
 * Byte-level helpers shared by QuorumKV's binary codecs (ring, gossip, vclock and the protocol's
 * hot-path codecs): unsigned varints (numbers up to 2^53 - 1 and 64-bit bigints), strict UTF-8 that
 * refuses lone surrogates, and a reader and writer whose every failure is a {@link BytesError} with
 * a closed `reason`. Pure: no Node built-ins, no allocation per read or write beyond the values
 * returned. Base64 is not here: use `base64Encode`/`base64Decode` from `@bufbuild/protobuf/wire`.
 *
 * @packageDocumentation
 */
export { BytesError, type BytesErrorReason } from './bytes-error.js';
export { ByteReader } from './byte-reader.js';
export { ByteWriter, prefixedBytesSize, prefixedUtf8Size } from './byte-writer.js';
export { decodeUtf8, encodeUtf8, maxUtf8Length, utf8Length, writeUtf8 } from './utf8.js';
export {
  MAX_UVARINT,
  MAX_UVARINT_BYTES,
  MAX_VARINT64_BYTES,
  varint64Size,
  varintSize,
  writeVarint,
  writeVarint64,
} from './varint.js';
