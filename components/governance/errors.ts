import { errorCode } from "@/components/trpc/errors";

/** A governance save lost a race (optimistic version): the form offers a reload. */
export function isConflict(err: unknown): boolean {
  return errorCode(err) === "CONFLICT";
}
