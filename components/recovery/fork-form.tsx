import { useMutation } from "@tanstack/react-query";
import { useState } from "react";
import { useOpenRunForEvent } from "@/components/runs/use-open-run";
import { useTRPC } from "@/components/trpc/client";
import { errorMessage } from "@/components/trpc/errors";
import { Button } from "@/components/ui/button";
import { Card, CardHeader } from "@/components/ui/card";
import { cn } from "@/components/ui/cn";
import { Label, Textarea } from "@/components/ui/form";
import type { ForkFrom } from "./types";

/** Starts a fork from a checkpoint (its state editable) or a step, optionally with edited input. */
export function ForkForm({ runId, from, onClose }: { runId: string; from: ForkFrom; onClose: () => void }) {
  const trpc = useTRPC();
  const opener = useOpenRunForEvent();
  const [state, setState] = useState(from.kind === "checkpoint" ? JSON.stringify(from.state, null, 2) : "");
  const [input, setInput] = useState("");
  const [error, setError] = useState<string | null>(null);
  const fork = useMutation(
    trpc.recovery.fork.mutationOptions({
      onSuccess: (r) => opener.open(r.eventId),
      onError: (e) => setError(errorMessage(e)),
    }),
  );
  const original = from.kind === "checkpoint" ? JSON.stringify(from.state, null, 2) : "";

  const submit = (e: React.FormEvent) => {
    e.preventDefault();
    setError(null);
    let editedState: unknown;
    let editedInput: Record<string, unknown> | undefined;
    try {
      if (from.kind === "checkpoint" && state.trim() !== original.trim()) editedState = JSON.parse(state) as unknown;
    } catch {
      return setError("state: is not valid JSON");
    }
    try {
      if (input.trim()) {
        const v = JSON.parse(input) as unknown;
        if (!v || typeof v !== "object" || Array.isArray(v)) return setError("input: must be a JSON object");
        editedInput = v as Record<string, unknown>;
      }
    } catch {
      return setError("input: is not valid JSON");
    }
    fork.mutate({
      runId,
      from:
        from.kind === "checkpoint"
          ? { kind: "checkpoint", name: from.name, version: from.version }
          : { kind: "step", position: from.position },
      ...(editedState !== undefined ? { state: editedState } : {}),
      ...(editedInput ? { input: editedInput } : {}),
    });
  };

  return (
    <Card data-testid="fork-form">
      <CardHeader
        title={
          from.kind === "checkpoint"
            ? `Fork from checkpoint ${from.name} v${from.version}`
            : `Fork from step ${from.stepId}`
        }
        description="A new run reuses every recorded result up to here (no LLM call is made or billed again) and continues with today's code."
      />
      <form className="space-y-3 px-5 py-4" onSubmit={submit}>
        {from.kind === "checkpoint" ? (
          <div>
            <Label htmlFor="fork-state">State (edit to continue with different values)</Label>
            <Textarea
              id="fork-state"
              rows={8}
              className="font-mono text-xs"
              value={state}
              onChange={(e) => setState(e.target.value)}
            />
          </div>
        ) : null}
        <div>
          <Label htmlFor="fork-input">Input (optional JSON object; empty keeps the run's input)</Label>
          <Textarea
            id="fork-input"
            rows={3}
            className="font-mono text-xs"
            value={input}
            onChange={(e) => setInput(e.target.value)}
          />
        </div>
        {error || opener.message ? (
          <p role="alert" className={cn("text-sm text-rose-600")}>
            {error ?? opener.message}
          </p>
        ) : null}
        <div className="flex gap-2">
          <Button type="submit" disabled={fork.isPending || opener.waiting}>
            {fork.isPending || opener.waiting ? "Starting…" : "Start fork"}
          </Button>
          <Button type="button" variant="secondary" onClick={onClose}>
            Close
          </Button>
        </div>
      </form>
    </Card>
  );
}
