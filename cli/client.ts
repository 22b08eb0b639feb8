import type { Config } from "./config";
import { CliError, EXIT, exitForStatus } from "./errors";

type Json = Record<string, unknown>;

/** The REST API over fetch; every failure becomes a one-line CliError with its exit code. */
export class Client {
  constructor(private readonly config: Config) {}

  get<T = Json>(path: string, query?: Record<string, string | undefined>): Promise<T> {
    const q = query ? Object.entries(query).filter((e): e is [string, string] => e[1] !== undefined) : [];
    return this.request<T>("GET", q.length ? `${path}?${new URLSearchParams(q)}` : path);
  }

  post<T = Json>(path: string, body: unknown): Promise<T> {
    return this.request<T>("POST", path, body);
  }

  private async request<T>(method: string, path: string, body?: unknown): Promise<T> {
    const url = `${this.config.url}/api/v1${path}`;
    let res: Response;
    try {
      res = await fetch(url, {
        method,
        headers: { authorization: `Bearer ${this.config.apiKey}`, ...(body !== undefined && { "content-type": "application/json" }) },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
    } catch (e) {
      const cause = (e as { cause?: { code?: string; message?: string } }).cause;
      throw new CliError(EXIT.unreachable, `cannot reach ${this.config.url}: ${cause?.code ?? cause?.message ?? (e as Error).message}`);
    }
    const text = await res.text();
    let data: unknown;
    try {
      data = text ? JSON.parse(text) : {};
    } catch {
      throw new CliError(EXIT.unreachable, `${this.config.url} answered ${res.status} with something other than JSON: is WFLO_URL a wflo control panel?`);
    }
    if (!res.ok) {
      const err = data as { error?: unknown; code?: unknown };
      const message = typeof err.error === "string" ? err.error : `HTTP ${res.status}`;
      const code = typeof err.code === "string" ? err.code : undefined;
      throw new CliError(exitForStatus(res.status, code), res.status === 401 ? `not authorised: ${message}` : message);
    }
    return data as T;
  }
}
