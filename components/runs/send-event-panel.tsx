"use client";

import { useMutation } from "@tanstack/react-query";
import { useState } from "react";
import { useTRPC } from "@/components/trpc/client";
import { errorMessage, fieldErrors } from "@/components/trpc/errors";
import { Button } from "@/components/ui/button";
import { Card, CardHeader } from "@/components/ui/card";
import { FieldError, Label, Textarea } from "@/components/ui/form";
import { prefillFromWait } from "./wait-prefill";

type Wait = { stepName: string; event: string; if?: string; timeout?: string };

/** JSON text to event data; the message names what is wrong, as the server's would. */
function parseData(text: string): { data: Record<string, unknown> } | { error: string } {
  let value: unknown;
  try {
    value = text.trim() ? JSON.parse(text) : {};
  } catch (e) {
    return { error: `data is not valid JSON: ${e instanceof Error ? e.message : String(e)}` };
  }
  if (!value || typeof value !== "object" || Array.isArray(value)) return { error: "data must be a JSON object" };
  return { data: value as Record<string, unknown> };
}

/**
 * "Send <event>" for a step waiting in `waitForEvent`: the event data prefilled from the wait's
 * simple equality conditions, so the event matches this run. The run page polls, so the wait
 * completing and the run continuing show up on their own after sending.
 */
export function SendEventPanel({
  runId,
  wait,
  triggerInput,
  onSent,
}: {
  runId: string;
  wait: Wait;
  triggerInput: unknown;
  onSent: () => void;
}) {
  const trpc = useTRPC();
  const [text, setText] = useState(() => JSON.stringify(prefillFromWait(wait.if, triggerInput), null, 2));
  const [localError, setLocalError] = useState<string | null>(null);
  const send = useMutation(trpc.runs.sendEvent.mutationOptions({ onSuccess: onSent }));
  const serverErrors = fieldErrors(send.error);
  const dataError = localError ?? serverErrors.data ?? null;
  const general = send.error && !serverErrors.data ? errorMessage(send.error) : null;
  const id = `send-${wait.event.replace(/\W+/g, "-")}`;

  return (
    <Card data-testid="send-event-panel">
      <CardHeader
        title={`Send ${wait.event}`}
        description={`Step “${wait.stepName}” is waiting for this event${wait.timeout ? ` (timeout ${wait.timeout})` : ""}.`}
      />
      <form
        noValidate
        className="space-y-3 px-5 py-4"
        onSubmit={(e) => {
          e.preventDefault();
          const parsed = parseData(text);
          if ("error" in parsed) return setLocalError(parsed.error);
          setLocalError(null);
          send.mutate({ runId, name: wait.event, data: parsed.data });
        }}
      >
        {wait.if ? (
          <p
            className="break-all font-mono text-xs text-slate-500 dark:text-slate-400"
            title="The wait's match condition"
          >
            where {wait.if}
          </p>
        ) : null}
        <div>
          <Label htmlFor={id}>Event data (JSON)</Label>
          <Textarea
            id={id}
            rows={6}
            spellCheck={false}
            className="font-mono text-xs"
            aria-invalid={Boolean(dataError) || undefined}
            aria-describedby={dataError ? `${id}-error` : undefined}
            disabled={send.isPending}
            value={text}
            onChange={(e) => setText(e.target.value)}
          />
          <FieldError id={`${id}-error`} message={dataError} />
        </div>
        {general ? (
          <p
            role="alert"
            className="rounded-md border border-rose-200 bg-rose-50 px-3 py-2 text-sm text-rose-700 dark:border-rose-900 dark:bg-rose-950/40 dark:text-rose-300"
          >
            {general}
          </p>
        ) : null}
        <div className="flex items-center gap-3">
          <Button type="submit" disabled={send.isPending}>
            {send.isPending ? "Sending…" : "Send"}
          </Button>
          {send.isSuccess ? (
            <span role="status" className="text-sm text-slate-500">
              Sent; the run picks it up in a moment.
            </span>
          ) : null}
        </div>
      </form>
    </Card>
  );
}
