import { TRPCClientError } from "@trpc/client";

/** What server/api/trpc.ts's error formatter puts in `error.data` about the fields at fault. */
export type FieldIssue = { field: string; message: string };
type FieldData = {
  code?: string;
  field?: string | null;
  fieldErrors?: Record<string, string[] | undefined>;
  issues?: FieldIssue[];
};

function fieldData(err: unknown): FieldData | undefined {
  return err instanceof TRPCClientError ? (err.data as FieldData | undefined) : undefined;
}

/** The first rule per top-level field from a refused tRPC call (its input schema or the service's DomainError). */
export function fieldErrors(err: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(fieldData(err)?.fieldErrors ?? {})) if (v?.[0]) out[k] = v[0];
  return out;
}

/** Every issue of a refused call with its full field path ("defaults.timeoutMs"; "" for the whole input). */
export function fieldIssues(err: unknown): FieldIssue[] {
  return fieldData(err)?.issues ?? [];
}

/** The tRPC code of a refused call ("BAD_REQUEST", "CONFLICT", ...), if it is one. */
export function errorCode(err: unknown): string | undefined {
  return fieldData(err)?.code;
}

export function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : "Something went wrong";
}
