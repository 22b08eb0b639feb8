/** The local provider server's HTTP plumbing: request bodies, JSON answers, SSE streams. */
import type { IncomingMessage, ServerResponse } from "node:http";

/** Splits a reply into word-sized stream deltas. */
export function pieces(text: string): string[] {
  const out = text.match(/\S+\s*|\s+/g) ?? [];
  return out.length ? out : [""];
}

export function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => resolve(Buffer.concat(chunks).toString("utf8")));
    req.on("error", reject);
  });
}

export function json(res: ServerResponse, status: number, body: unknown) {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    "content-type": "application/json",
    "content-length": Buffer.byteLength(text),
    "x-request-id": "req_wflo_local",
  });
  res.end(text);
}

export async function sse(
  res: ServerResponse,
  events: { event?: string; data: unknown }[],
  done: string | undefined,
  gapMs: number,
) {
  res.writeHead(200, { "content-type": "text/event-stream", "cache-control": "no-cache", connection: "keep-alive" });
  for (const [i, e] of events.entries()) {
    if (gapMs > 0 && i > 0) {
      await new Promise((r) => setTimeout(r, gapMs));
      // The client hung up (a stream cut short): nothing more to send.
      if (res.destroyed) return;
    }
    res.write(`${e.event ? `event: ${e.event}\n` : ""}data: ${JSON.stringify(e.data)}\n\n`);
  }
  if (done) res.write(`data: ${done}\n\n`);
  res.end();
}
