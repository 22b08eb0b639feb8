import { serve } from "inngest/next";
import { inngest } from "@/inngest/client";
import { serveHandlerOptions } from "@/server/events/connection";
import { servedFunctions } from "@/inngest/registry";

// The SDK keeps step state in memory for the length of a request; never pre-render or cache this.
export const dynamic = "force-dynamic";

export const { GET, POST, PUT } = serve({ client: inngest, functions: servedFunctions, ...serveHandlerOptions() });
