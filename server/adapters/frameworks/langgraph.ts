import { NonRetriableError } from "inngest";
import { BudgetExceededError, UnpricedModelError } from "@/server/governance";
import { GuardTrippedError } from "@/server/governance/guards/enforce";
import { readEnvelope } from "@/server/runs/envelope";
import { defineAdapter, UnsupportedTargetError, type AdapterContext, type FrameworkAdapter } from "../framework";

/**
 * LangGraph.js: runs an existing compiled graph (`StateGraph(...).compile()`, a prebuilt agent,
 * any Pregel graph) inside the workflow, one superstep per durable step:
 *
 * - step `langgraph:<i>` runs the graph's i-th superstep (`interruptAfter: "*"`): the first one
 *   with the input, the next ones resume from the LangGraph checkpoint the previous step
 *   returned (thread id = the wflo run id). A finished superstep is memoised, so its nodes never
 *   run again, and a retried step resumes from the last finished superstep instead of from the
 *   start: LangGraph's own durability, with Inngest's step state as the checkpoint store (each
 *   step's output carries the serialised LangGraph checkpoint; `checkpointer` lent through
 *   `configurable.__pregel_checkpointer`, so the graph needs none of its own);
 * - every chat model / LLM call in the graph is governed by a `WfloCallbackHandler`
 *   (langchain-callbacks.ts): budget reserved before the provider sees the request (a refusal
 *   stops the run), provider-reported tokens priced from the catalogue after, recorded as
 *   `langgraph:<i>:<model>:<n>`;
 * - after each superstep, `wflo.checkpoint("langgraph.node", { node, superstep, update })` for
 *   every node that ran, so the run page shows each node's output.
 *
 * Guarantee: finished supersteps are neither re-run nor re-paid. A superstep that crashed is
 * re-run as a whole, its model calls included (a callback sees a call but cannot answer it from
 * a stored result).
 *
 * The graph is driven with `graph.stream(..., { streamMode: "updates" })` (LangGraph's own
 * `invoke` is that loop keeping the values) to see each node's update. Mode `invoke` (default)
 * returns the graph's final state; mode `stream` also streams every chat model call from the
 * provider token by token (`streamMode: "messages"`) and returns `{ values, updates }`, every
 * node's update in order. Human-in-the-loop `interrupt()` is not supported: use wflo approvals.
 */

export type LangGraphOptions = {
  mode?: "invoke" | "stream";
  /** LangGraph's recursionLimit: the most supersteps a run may take (default 25, as LangGraph's). */
  recursionLimit?: number;
  /** Extra `configurable` values for the graph (thread_id and the checkpointer are wflo's). */
  configurable?: Record<string, unknown>;
};

export const NODE_CHECKPOINT = "langgraph.node";

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === "object" && v !== null && !Array.isArray(v);

/** What the adapter uses of a compiled graph (Pregel). */
export type CompiledGraphLike = {
  stream: (input: unknown, config: Obj) => Promise<AsyncIterable<unknown>>;
  invoke: (input: unknown, config?: Obj) => Promise<unknown>;
  getState: (config: Obj) => Promise<{ next: string[]; values: unknown; tasks: { interrupts?: unknown[] }[] }>;
  nodes: Obj;
  channels: Obj;
};

/** A compiled LangGraph graph, by shape: invoke/stream/getState/getGraph with node and channel maps. */
export function isCompiledGraph(v: unknown): v is CompiledGraphLike {
  return (
    isObj(v) &&
    typeof v.invoke === "function" &&
    typeof v.stream === "function" &&
    typeof v.getState === "function" &&
    typeof v.getGraph === "function" &&
    isObj(v.nodes) &&
    isObj(v.channels)
  );
}

/**
 * JSON of graph state for step outputs, checkpoints and the run's result: LangChain messages
 * become `{ type, content, tool_calls?, tool_call_id?, name? }` instead of their
 * `{ lc, type: "constructor", id, kwargs }` serialisation.
 */
export function toJson(value: unknown): unknown {
  const text = JSON.stringify(value ?? null, (_k, v: unknown) => {
    if (isObj(v) && v.lc === 1 && v.type === "constructor" && Array.isArray(v.id) && isObj(v.kwargs)) {
      const cls = String(v.id[v.id.length - 1]);
      if (cls.endsWith("Message") || cls.endsWith("MessageChunk")) {
        const k = v.kwargs;
        return {
          type: cls.replace(/Chunk$/, ""),
          content: k.content,
          ...(Array.isArray(k.tool_calls) && k.tool_calls.length ? { tool_calls: k.tool_calls } : {}),
          ...(typeof k.tool_call_id === "string" ? { tool_call_id: k.tool_call_id } : {}),
          ...(typeof k.name === "string" ? { name: k.name } : {}),
        };
      }
    }
    return v;
  });
  return JSON.parse(text) as unknown;
}

/** A LangGraph checkpoint as a step output carries it: serde type + base64 bytes. */
type Blob = { type: string; data: string };
type Snapshot = { checkpoint: Blob; metadata: Blob; writes: { taskId: string; blob: Blob }[] };

type Serde = {
  dumpsTyped: (v: unknown) => Promise<[string, Uint8Array]>;
  loadsTyped: (t: string, d: Uint8Array | string) => Promise<unknown>;
};
const dump = async (serde: Serde, v: unknown): Promise<Blob> => {
  const [type, bytes] = await serde.dumpsTyped(v);
  return { type, data: Buffer.from(bytes).toString("base64") };
};
const load = (serde: Serde, b: Blob) => serde.loadsTyped(b.type, new Uint8Array(Buffer.from(b.data, "base64")));

type SuperstepResult = {
  snapshot: Snapshot | null;
  next: string[];
  updates: { node: string; update: unknown }[];
  values?: unknown;
  interrupted: boolean;
};

/** Finds a governance refusal anywhere in the error's cause chain (LangGraph may wrap node errors). */
function governanceError(e: unknown): unknown {
  for (let cur = e, depth = 0; cur && depth < 5; cur = (cur as { cause?: unknown }).cause, depth++) {
    if (cur instanceof BudgetExceededError || cur instanceof GuardTrippedError || cur instanceof UnpricedModelError)
      return cur;
  }
  return undefined;
}

export async function runLangGraph(
  graph: CompiledGraphLike,
  input: unknown,
  ctx: AdapterContext,
  opts: LangGraphOptions = {},
): Promise<unknown> {
  const [{ MemorySaver }, { WfloCallbackHandler }, { stopOrRethrow }] = await Promise.all([
    import("@langchain/langgraph"),
    import("./langchain-callbacks"),
    import("@/server/llm/provider"),
  ]);
  const { envelope } = readEnvelope(ctx.event);
  const limit = opts.recursionLimit ?? 25;
  const threadId = ctx.runId;
  const updates: { node: string; update: unknown }[] = [];
  let snapshot: Snapshot | null = null;

  for (let i = 1; ; i++) {
    if (i > limit)
      throw new NonRetriableError(
        `LangGraph: the graph took more than ${limit} supersteps (recursionLimit); raise it in the adapter options if that is expected`,
      );
    const stepId = `langgraph:${i}`;
    const previous: Snapshot | null = snapshot;
    const r = (await ctx.step.run(stepId, async (): Promise<SuperstepResult> => {
      const saver = new MemorySaver();
      const serde = saver.serde as unknown as Serde;
      const root = { configurable: { thread_id: threadId, checkpoint_ns: "" } };
      if (previous) {
        const cp = (await load(serde, previous.checkpoint)) as Parameters<typeof saver.put>[1];
        const md = (await load(serde, previous.metadata)) as Parameters<typeof saver.put>[2];
        const saved = await saver.put(root, cp, md);
        for (const w of previous.writes)
          await saver.putWrites(saved, (await load(serde, w.blob)) as Parameters<typeof saver.putWrites>[1], w.taskId);
      }
      const handler = new WfloCallbackHandler({
        runId: ctx.runId,
        workflow: ctx.wflo.workflowId,
        stepPrefix: stepId,
        userId: envelope.triggeredBy?.id ?? null,
        perRunLimitNano: envelope.budgetNano ? BigInt(envelope.budgetNano) : undefined,
      });
      const config = {
        configurable: { ...opts.configurable, thread_id: threadId, __pregel_checkpointer: saver },
        callbacks: [handler],
        interruptAfter: "*",
        // Stream mode also asks for "messages": LangGraph then streams every chat model call
        // token by token from the provider (its usage arrives in the stream's last chunk).
        streamMode: opts.mode === "stream" ? ["updates", "messages"] : "updates",
        recursionLimit: limit,
      };
      const got: { node: string; update: unknown }[] = [];
      try {
        for await (const chunk of await graph.stream(previous ? null : input, config)) {
          // With several stream modes a chunk is [mode, payload].
          const [mode, payload] =
            Array.isArray(chunk) && chunk.length === 2 && typeof chunk[0] === "string"
              ? (chunk as [string, unknown])
              : ["updates", chunk];
          if (mode !== "updates" || !isObj(payload)) continue;
          for (const [node, update] of Object.entries(payload))
            if (!node.startsWith("__")) got.push({ node, update: toJson(update) });
        }
      } catch (e) {
        const refusal = governanceError(e);
        if (refusal) stopOrRethrow(refusal);
        throw e;
      }
      const state = await graph.getState({ configurable: { thread_id: threadId, __pregel_checkpointer: saver } });
      const tuple = await saver.getTuple(root);
      const interrupted = state.tasks.some((t) => (t.interrupts?.length ?? 0) > 0);
      const byTask = new Map<string, [string, unknown][]>();
      for (const [taskId, channel, value] of tuple?.pendingWrites ?? [])
        byTask.set(taskId, [...(byTask.get(taskId) ?? []), [channel, value]]);
      return {
        snapshot: tuple
          ? {
              checkpoint: await dump(serde, tuple.checkpoint),
              metadata: await dump(serde, tuple.metadata),
              writes: await Promise.all(
                [...byTask].map(async ([taskId, w]) => ({ taskId, blob: await dump(serde, w) })),
              ),
            }
          : null,
        next: [...state.next],
        updates: got,
        values: state.next.length === 0 ? toJson(state.values) : undefined,
        interrupted,
      };
    })) as SuperstepResult;

    for (const u of r.updates)
      await ctx.wflo.checkpoint(NODE_CHECKPOINT, { node: u.node, superstep: i, update: u.update });
    updates.push(...r.updates);
    snapshot = r.snapshot;
    if (r.interrupted)
      throw new NonRetriableError(
        "LangGraph: the graph called interrupt() (human in the loop), which wflo does not resume; use wflo approvals (ctx.wflo.approval) instead",
      );
    if (r.next.length === 0) return opts.mode === "stream" ? { values: r.values ?? null, updates } : (r.values ?? null);
  }
}

/** An adapter with fixed options; the registry's runs graphs in `invoke` mode. */
export function langGraphAdapter(opts: LangGraphOptions = {}): FrameworkAdapter<unknown> {
  return defineAdapter<CompiledGraphLike>({
    id: "langgraph",
    label: "a LangGraph.js compiled graph",
    detect: isCompiledGraph,
    run: async (graph, input, ctx) => {
      if (input === undefined)
        throw new UnsupportedTargetError("the LangGraph adapter needs the graph's input (e.g. { messages: [...] })");
      return runLangGraph(graph, input, ctx, opts);
    },
  });
}

export const langGraph = langGraphAdapter();
