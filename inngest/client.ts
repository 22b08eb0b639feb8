import { Inngest } from "inngest";
import { appClientOptions } from "@/server/events/connection";
import { wfloMiddleware } from "./middleware";

/**
 * The serving Inngest client: the one that defines and serves wflo's functions, with wflo's
 * middlewares. Embedded mode is cloud mode against the engine with its signing key; with a real
 * server configured, the SDK's own environment handling applies unchanged (server/events/connection.ts).
 * Services never import it: they send events with server/events/client.ts.
 */
export const inngest = new Inngest(appClientOptions({ middleware: wfloMiddleware }));
