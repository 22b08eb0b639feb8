import { WfloClient } from "../sdk/client";
import type { Config } from "./config";

/** The CLI talks to the server only through the SDK's WfloClient; this is the config glue. */
export const clientFor = (c: Config) => new WfloClient({ baseUrl: c.url, apiKey: c.apiKey });
