/**
 * The two object checksums GCS reports: MD5 and CRC32C, both base64 (CRC32C as 4 big-endian bytes). The one CRC32C of
 * the repo: `egress sync` compares with it (composite objects carry only a crc32c), the fake GCS and the in-memory
 * store report it.
 */
import { createHash } from 'node:crypto';

// Castagnoli polynomial, reflected (0x1EDC6F41 bit-reversed); a 256-entry table is plenty for manifest-sized objects.
const TABLE = (() => {
  const t = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ 0x82f63b78 : c >>> 1;
    t[n] = c >>> 0;
  }
  return t;
})();

/** CRC32C of `data` as an unsigned 32-bit integer. */
export function crc32cValue(data: Uint8Array): number {
  let crc = 0xffffffff;
  for (let i = 0; i < data.length; i++) crc = (TABLE[(crc ^ data[i]!) & 0xff]! ^ (crc >>> 8)) >>> 0;
  return (crc ^ 0xffffffff) >>> 0;
}

/** CRC32C as GCS prints it: base64 of the 4 big-endian bytes (e.g. `AAAAAA==` for empty content). */
export function crc32cBase64(data: Uint8Array): string {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(crc32cValue(data), 0);
  return b.toString('base64');
}

/** MD5 as GCS prints it: base64 of the 16-byte digest. */
export function md5Base64(data: Uint8Array): string {
  return createHash('md5').update(data).digest('base64');
}
