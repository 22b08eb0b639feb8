import { createHash, timingSafeEqual } from "node:crypto";
import { env } from "@/server/env";

/**
 * Who may scrape /api/metrics. With `WFLO_METRICS_TOKEN` set: only a request carrying
 * `Authorization: Bearer <token>`. Without it the endpoint is closed, unless
 * `WFLO_METRICS_PUBLIC=true` says the network already restricts it (a scrape-only port, a
 * private network): metrics name workflows and budgets, so open is never the default.
 */
export function checkMetricsAccess(
  req: Request,
  access: { token?: string; public?: string } = {
    token: env.WFLO_METRICS_TOKEN,
    public: String(env.WFLO_METRICS_PUBLIC),
  },
): { ok: true } | { ok: false; status: 401 | 403; message: string } {
  const token = access.token?.trim();
  if (!token) {
    if (access.public === "true") return { ok: true };
    return {
      ok: false,
      status: 403,
      message:
        "metrics are disabled: set WFLO_METRICS_TOKEN (and scrape with Authorization: Bearer <token>) or WFLO_METRICS_PUBLIC=true behind a restricted network",
    };
  }
  const m = /^Bearer\s+(\S+)$/i.exec((req.headers.get("authorization") ?? "").trim());
  // Compare digests so the comparison takes the same time whatever the lengths.
  const digest = (s: string) => createHash("sha256").update(s).digest();
  if (!m?.[1] || !timingSafeEqual(digest(m[1]), digest(token)))
    return {
      ok: false,
      status: 401,
      message: "missing or wrong metrics token (send Authorization: Bearer <WFLO_METRICS_TOKEN>)",
    };
  return { ok: true };
}
