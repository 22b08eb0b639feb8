import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { openai } from "inngest";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { fnId, startHarness, type Harness } from "./testing/harness";

/** step.fetch and step.ai.infer: the engine makes the HTTP call and memoizes the answer. */
let h: Harness;
let provider: Server;
let base = "";
const seen: { path: string; auth: string | undefined; body: string }[] = [];

beforeAll(async () => {
  provider = createServer((req, res) => {
    let body = "";
    req.on("data", (d: Buffer) => (body += d.toString()));
    req.on("end", () => {
      seen.push({ path: req.url ?? "", auth: req.headers.authorization, body });
      if (req.url?.startsWith("/v1/chat/completions")) {
        res.writeHead(200, { "content-type": "application/json" });
        res.end(
          JSON.stringify({
            id: "cmpl-1",
            choices: [{ message: { role: "assistant", content: "hello from the provider" } }],
            usage: { prompt_tokens: 3, completion_tokens: 4 },
          }),
        );
      } else {
        res.writeHead(201, { "content-type": "text/plain", "x-thing": "yes" });
        res.end(`fetched ${req.method} ${req.url}`);
      }
    });
  });
  await new Promise<void>((r) => provider.listen(0, "127.0.0.1", () => r()));
  base = `http://127.0.0.1:${(provider.address() as AddressInfo).port}`;
  h = await startHarness();
  const { client } = h;
  await h.serveFunctions([
    client.createFunction({ id: "infer", triggers: [{ event: "g/infer" }] }, async ({ step }) => {
      const res = await step.ai.infer("ask", {
        model: openai({ model: "gpt-test", baseUrl: `${base}/v1/`, apiKey: "sk-test" }),
        body: { messages: [{ role: "user", content: "hi" }] },
      });
      return (res as { choices: { message: { content: string } }[] }).choices[0]?.message.content;
    }),
    client.createFunction({ id: "fetcher", triggers: [{ event: "g/fetch" }] }, async ({ step }) => {
      const res = await step.fetch(`${base}/thing?x=1`, { method: "POST", body: "payload" });
      return { status: res.status, text: await res.text(), header: res.headers.get("x-thing") };
    }),
  ]);
});
afterAll(async () => {
  provider?.closeAllConnections();
  provider?.close();
  await h?.close();
});

describe("server-side HTTP steps", () => {
  it("performs step.ai.infer with the provider's auth and returns its JSON", async () => {
    await h.engine.sendEvent({ name: "g/infer" });
    const run = await h.waitForRun((r) => r.functionId === fnId("infer"));
    expect(run.status).toBe("completed");
    expect(run.output).toBe("hello from the provider");
    const call = seen.find((s) => s.path.startsWith("/v1/chat/completions"));
    expect(call?.auth).toBe("Bearer sk-test");
    expect(JSON.parse(call!.body)).toMatchObject({ model: "gpt-test", messages: [{ role: "user", content: "hi" }] });
  });

  it("performs step.fetch and hands back status, headers and body", async () => {
    await h.engine.sendEvent({ name: "g/fetch" });
    const run = await h.waitForRun((r) => r.functionId === fnId("fetcher"));
    expect(run.status).toBe("completed");
    expect(run.output).toEqual({ status: 201, text: "fetched POST /thing?x=1", header: "yes" });
  });
});
