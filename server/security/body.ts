/**
 * Reading a request body under a size cap. A declared Content-Length over the cap is refused
 * before a byte is read; otherwise the stream is read chunk by chunk and cancelled as soon as it
 * passes the cap, so a 30 MB body costs at most `max` bytes of memory, not 30 MB.
 */

export type CappedBody = { ok: true; bytes: Uint8Array<ArrayBuffer> } | { ok: false };

export async function readBodyCapped(req: Request, max: number): Promise<CappedBody> {
  const declared = Number(req.headers.get("content-length") ?? NaN);
  if (Number.isFinite(declared) && declared > max) {
    // Do not read it; cancelling tells the sender to stop rather than to keep uploading.
    await req.body?.cancel().catch(() => undefined);
    return { ok: false };
  }
  if (!req.body) return { ok: true, bytes: new Uint8Array() };
  const reader = req.body.getReader();
  const parts: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > max) {
      await reader.cancel().catch(() => undefined);
      return { ok: false };
    }
    parts.push(value);
  }
  return { ok: true, bytes: Buffer.concat(parts) };
}
