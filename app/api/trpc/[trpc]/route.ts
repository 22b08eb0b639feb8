import { getDb } from "@/db/client";
import { handleTrpcHttp } from "@/server/api/http";
import { currentUser } from "@/server/auth/session";
import { requestIdOf, withLogContext } from "@/server/log";

function handler(req: Request) {
  // One correlation id per request on every log line it causes.
  return withLogContext({ requestId: requestIdOf(req) }, () => handleTrpcHttp(req, { db: getDb(), user: currentUser }));
}

export { handler as GET, handler as POST };
