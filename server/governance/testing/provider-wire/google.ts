/** Google GenAI generateContent / streamGenerateContent as the local provider server answers it. */
import type { ServerResponse } from "node:http";
import type { ProviderContext } from "./context";
import { json, pieces } from "./http";
import { isObj, num, type Obj, type Prompt, prompt, textOf, type Turn } from "./prompt";

function googleTurns(body: Obj): Prompt {
  const turns: Turn[] = [];
  if (body.systemInstruction !== undefined)
    turns.push({ role: "system", text: textOf(body.systemInstruction), cacheMark: false });
  for (const c of (Array.isArray(body.contents) ? body.contents : []).filter(isObj)) {
    turns.push({ role: c.role === "model" ? "model" : "user", text: textOf(c.parts), cacheMark: false });
  }
  return prompt(turns);
}

export async function googleGenerate(
  ctx: ProviderContext,
  model: string,
  body: Obj,
  stream: boolean,
  res: ServerResponse,
) {
  const p = googleTurns(body);
  const config = isObj(body.generationConfig) ? body.generationConfig : {};
  const a = ctx.answer(model, p, num(config.maxOutputTokens), false);
  const promptTokens = ctx.inputTokens(p);
  const usageMetadata: Obj = {
    promptTokenCount: promptTokens,
    candidatesTokenCount: a.visible,
    totalTokenCount: promptTokens + a.visible + a.reasoning,
    promptTokensDetails: [{ modality: "TEXT", tokenCount: promptTokens }],
    ...(a.reasoning ? { thoughtsTokenCount: a.reasoning } : {}),
  };
  const responseId = ctx.nextId("gresp");
  const finishReason = a.finished ? "STOP" : "MAX_TOKENS";
  const candidate = (text: string, finish: string | undefined) => ({
    content: { parts: [{ text }], role: "model" },
    ...(finish ? { finishReason: finish } : {}),
    index: 0,
  });
  if (stream) {
    const parts = pieces(a.text);
    return ctx.streamOut(
      res,
      parts.map((text, i) => {
        const last = i === parts.length - 1;
        return {
          data: {
            candidates: [candidate(text, last ? finishReason : undefined)],
            ...(last ? { usageMetadata } : {}),
            modelVersion: model,
            responseId,
          },
        };
      }),
    );
  }
  json(res, 200, { candidates: [candidate(a.text, finishReason)], usageMetadata, modelVersion: model, responseId });
}
