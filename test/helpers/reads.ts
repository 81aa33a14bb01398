/**
 * An upstream body cut into reads: `bytes` split at `cuts` (taken modulo its length, in
 * any order), each read a copy, as a socket would hand them over.
 */
export async function* reads(bytes: Buffer, cuts: number[]): AsyncGenerator<Uint8Array> {
  let at = 0;
  for (const cut of [...cuts.map((c) => c % (bytes.length + 1))].sort((a, b) => a - b)) {
    if (cut > at) yield Buffer.from(bytes.subarray(at, cut));
    at = Math.max(at, cut);
  }
  if (at < bytes.length) yield Buffer.from(bytes.subarray(at));
}
