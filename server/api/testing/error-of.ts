import { TRPCError } from "@trpc/server";
import { publicErrorMessage } from "@/server/api/trpc";

/**
 * What a refused tRPC call tells its caller: the code and the message a client would see.
 * Fails the test when the call succeeds, and rethrows anything that is not a TRPCError.
 */
export async function errorOf(p: Promise<unknown>): Promise<{ code: string; message: string }> {
  try {
    await p;
  } catch (e) {
    if (e instanceof TRPCError) return { code: e.code, message: publicErrorMessage(e) };
    throw e;
  }
  throw new Error("expected an error");
}
