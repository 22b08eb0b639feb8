import { DomainError } from "@/server/errors";

/**
 * Drizzle's error for a failed query carries the SQL and every parameter, in its message and
 * its fields; for the users table that means a password hash. Whatever fails inside `work` is
 * rethrown as an error that names the PostgreSQL error code and nothing else, so neither a log
 * line nor an error report can carry the hash. Domain errors (DomainError) pass through as thrown.
 */
export async function hidingParameters<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (err) {
    if (err instanceof DomainError) throw err;
    const code = pgCodeOf(err);
    throw new Error(`writing the user failed${code ? ` (PostgreSQL error ${code})` : ""}`);
  }
}

function pgCodeOf(err: unknown): string | undefined {
  for (
    let e: unknown = err, depth = 0;
    e && typeof e === "object" && depth < 5;
    e = (e as { cause?: unknown }).cause, depth++
  ) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === "string" && /^[0-9A-Z]{5}$/.test(code)) return code;
  }
  return undefined;
}
