import type { StepResult } from "./runs";

/**
 * Steps the server performs for the SDK: `step.fetch` (Gateway op) and `step.ai.infer`
 * (AIGateway op). The request runs here, not in the app, and its answer is memoized like any
 * step result. A network failure is retriable; an HTTP answer is final.
 */
export type GatewayOutcome = { type: "result"; result: StepResult } | { type: "retry"; message: string };

type Opts = Record<string, unknown>;

const str = (v: unknown): string | undefined => (typeof v === "string" ? v : undefined);
const headersOf = (v: unknown): Record<string, string> =>
  v && typeof v === "object"
    ? Object.fromEntries(Object.entries(v).filter((e): e is [string, string] => typeof e[1] === "string"))
    : {};

export async function performGateway(op: string, opts: Opts, timeoutMs: number): Promise<GatewayOutcome> {
  const url = str(opts.url);
  if (!url) return { type: "result", result: { error: { name: "GatewayError", message: `${op}: no url to call` } } };
  const ai = op === "AIGateway";
  const headers = headersOf(opts.headers);
  let body: string | undefined;
  let method = "POST";
  if (ai) {
    headers["content-type"] ??= "application/json";
    const key = str(opts.auth_key);
    const format = str(opts.format) ?? "";
    // Each provider format carries the key its own way (Gemini's is already in the URL).
    if (key && format === "anthropic") headers["x-api-key"] ??= key;
    else if (key && format === "azure-openai") headers["api-key"] ??= key;
    else if (key && format !== "gemini") headers.authorization ??= `Bearer ${key}`;
    body = JSON.stringify(opts.body ?? {});
  } else {
    method = (str(opts.method) ?? "GET").toUpperCase();
    body = method === "GET" || method === "HEAD" ? undefined : str(opts.body);
  }
  let res: Response;
  let text: string;
  try {
    res = await fetch(url, { method, headers, body, signal: AbortSignal.timeout(timeoutMs) });
    text = await res.text();
  } catch (e) {
    return {
      type: "retry",
      message: `${op} request to ${new URL(url).origin} failed: ${e instanceof Error ? e.message : String(e)}`,
    };
  }
  if (!ai) {
    const h: Record<string, string> = {};
    res.headers.forEach((v, k) => {
      h[k] = v;
    });
    return { type: "result", result: { data: { status_code: res.status, headers: h, body: text } } };
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    parsed = undefined;
  }
  if (!res.ok || parsed === undefined) {
    const snippet = text.length > 300 ? `${text.slice(0, 300)}...` : text;
    return {
      type: "result",
      result: {
        error: {
          name: "AIGatewayError",
          message: `step.ai.infer: the provider answered HTTP ${res.status}: ${snippet}`,
        },
      },
    };
  }
  return { type: "result", result: { data: parsed } };
}
