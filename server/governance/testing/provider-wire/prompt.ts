/**
 * How the local provider server reads a request: the prompt as turns (in any of the three
 * providers' shapes), the last user message, tool results after it, and the tool-call convention.
 */
export type Obj = Record<string, unknown>;
export const isObj = (v: unknown): v is Obj => typeof v === "object" && v !== null && !Array.isArray(v);

/** Text of a content value in any of the three providers' shapes. */
export function textOf(content: unknown): string {
  if (typeof content === "string") return content;
  if (Array.isArray(content)) return content.map(textOf).join("\n");
  if (isObj(content)) {
    if (typeof content.text === "string") return content.text;
    if (content.parts !== undefined) return textOf(content.parts);
    if (content.content !== undefined) return textOf(content.content);
  }
  return "";
}

/** `toolResult`: a tool's output sent back (OpenAI role "tool", responses function_call_output, Anthropic tool_result blocks). */
export type Turn = { role: string; text: string; cacheMark: boolean; toolResult?: boolean };

export function hasCacheMark(content: unknown): boolean {
  return Array.isArray(content) && content.some((b) => isObj(b) && b.cache_control !== undefined);
}

/** `toolResults`: outputs of tools sent after the last user message (the tool-call convention). */
export type Prompt = { turns: Turn[]; lastUser: string; toolResults: string[] };

export function prompt(turns: Turn[]): Prompt {
  let at = -1;
  for (let i = turns.length - 1; i >= 0; i--) {
    if (turns[i]!.role === "user" && !turns[i]!.toolResult) {
      at = i;
      break;
    }
  }
  const lastUser = at >= 0 ? turns[at]!.text : "";
  const toolResults = turns
    .slice(at + 1)
    .filter((t) => t.toolResult)
    .map((t) => t.text);
  return { turns, lastUser, toolResults };
}

/** A tool call the convention asks for: `call tool <name> with <json-object>` in the last user message. */
export type ToolCall = { name: string; args: string };

export function requestedTool(p: Prompt, offersTools: boolean): ToolCall | undefined {
  if (!offersTools || p.toolResults.length > 0) return undefined;
  const m = /call tool ([A-Za-z0-9_.-]+) with (\{[\s\S]*\})/.exec(p.lastUser);
  if (!m) return undefined;
  try {
    const parsed: unknown = JSON.parse(m[2]!);
    if (!isObj(parsed)) return undefined;
    return { name: m[1]!, args: JSON.stringify(parsed) };
  } catch {
    return undefined;
  }
}

export const offers = (tools: unknown) => Array.isArray(tools) && tools.length > 0;

export function num(v: unknown): number | undefined {
  return typeof v === "number" && Number.isFinite(v) ? v : undefined;
}
