import { TRPCClientError } from "@trpc/client";

type Flattened = { fieldErrors?: Record<string, string[] | undefined>; formErrors?: string[] };

/** The field-level messages from a tRPC BAD_REQUEST, keyed by field name. */
export function fieldErrors(err: unknown): Record<string, string> {
  if (!(err instanceof TRPCClientError)) return {};
  const z = (err.data as { zodError?: Flattened | null } | undefined)?.zodError;
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(z?.fieldErrors ?? {})) if (v?.[0]) out[k] = v[0];
  return out;
}

export function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : "Something went wrong";
}
