/** The engine API's request and reply plumbing: bodies read under a size limit, JSON parsed with a reason, JSON replies. */

import type { IncomingMessage, ServerResponse } from "node:http";

export type Reply = { status: number; body: unknown };
export const ok = (body: unknown): Reply => ({ status: 200, body });
export const err = (status: number, message: string): Reply => ({ status, body: { error: message, status } });

export class BodyTooLarge extends Error {}

const limitText = (limit: number) =>
  limit % (1024 * 1024) === 0 ? `${limit / (1024 * 1024)} MiB` : `${Math.round(limit / 1024)} KiB`;

export function readBody(req: IncomingMessage, limit: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const tooLarge = () => new BodyTooLarge(`request body is over the ${limitText(limit)} limit (${limit} bytes)`);
    // A declared length over the limit is refused before any of the body is read.
    if (Number(req.headers["content-length"] ?? 0) > limit) {
      reject(tooLarge());
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    req.on("data", (buf: Buffer) => {
      size += buf.length;
      if (size > limit) {
        req.removeAllListeners("data");
        req.pause();
        reject(tooLarge());
        return;
      }
      chunks.push(buf);
    });
    req.once("end", () =>
      resolve(chunks.length === 1 ? chunks[0]!.toString("utf8") : Buffer.concat(chunks).toString("utf8")),
    );
    req.once("error", reject);
  });
}

export function parseJson(text: string): { ok: true; value: unknown } | { ok: false; message: string } {
  try {
    return { ok: true, value: JSON.parse(text) as unknown };
  } catch (e) {
    return { ok: false, message: `body is not valid JSON: ${e instanceof Error ? e.message : String(e)}` };
  }
}

export function send(res: ServerResponse, reply: Reply): void {
  const text = JSON.stringify(reply.body);
  res.writeHead(reply.status, { "content-type": "application/json", "content-length": Buffer.byteLength(text) });
  res.end(text);
}
