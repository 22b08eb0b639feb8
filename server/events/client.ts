import { Inngest } from "inngest";
import { appClientOptions } from "./connection";

/**
 * The services' event-sending client: the same app id, engine options and keys as the serving
 * client (inngest/client.ts), but no middleware and no functions, so the domain can send events
 * (trigger, re-run, a decision's wake-up, a rollback request) without importing the workflows
 * that run them. Send through `sendEvent` (server/runs/dispatch.ts), which signs wflo's envelope.
 */
export const events = new Inngest(appClientOptions());
