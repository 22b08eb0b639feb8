import { useMutation } from "@tanstack/react-query";
import { useState } from "react";
import { JsonView } from "@/components/runs/json-view";
import { useTRPC } from "@/components/trpc/client";
import { errorMessage } from "@/components/trpc/errors";
import { Badge } from "@/components/ui/badge";
import { Button } from "@/components/ui/button";
import { Card, CardHeader } from "@/components/ui/card";
import { FieldError, Label, Textarea } from "@/components/ui/form";
import type { PolicyRule } from "@/server/policies/schemas";
import { OUTCOME_LABEL, outcomeText, outcomeTone } from "./outcomes";

const SAMPLE = JSON.stringify(
  {
    workflow: "cleanup-records",
    gate: "delete-old-records",
    action: "Delete rows",
    risk: "high",
    amountUsd: 0,
    costUsd: 0.02,
    role: "operator",
    hour: 14,
    payload: { table: "audit_exports" },
  },
  null,
  2,
);

/** The test box: evaluates the rules shown (unsaved changes included) against a sample request; saves nothing. */
export function PolicyTestBox({ rules }: { rules: PolicyRule[] }) {
  const trpc = useTRPC();
  const [sample, setSample] = useState(SAMPLE);
  const [sampleError, setSampleError] = useState<string | null>(null);
  const test = useMutation(trpc.policies.test.mutationOptions());

  const runTest = () => {
    setSampleError(null);
    try {
      const request = JSON.parse(sample) as Record<string, unknown>;
      test.mutate({ rules, request: request as Parameters<typeof test.mutate>[0]["request"] });
    } catch (e) {
      setSampleError(`sample request is not valid JSON: ${(e as Error).message}`);
    }
  };

  return (
    <Card>
      <CardHeader
        title="Test against a sample request"
        description="Evaluates the rules shown (including unsaved changes). Nothing is saved."
      />
      <div className="space-y-3 px-5 py-4">
        <Label htmlFor="policy-sample">Sample request (JSON)</Label>
        <Textarea
          id="policy-sample"
          rows={10}
          className="font-mono text-xs"
          value={sample}
          onChange={(e) => setSample(e.target.value)}
        />
        <FieldError message={sampleError ?? (test.error ? errorMessage(test.error) : null)} />
        <Button variant="secondary" onClick={runTest} disabled={test.isPending}>
          Test policy
        </Button>
        {test.data ? (
          <div className="space-y-2 text-sm" data-testid="policy-test-result">
            <div className="flex items-center gap-2">
              <Badge tone={outcomeTone(test.data.outcome.type)}>{OUTCOME_LABEL[test.data.outcome.type]}</Badge>
              <span className="font-medium">{test.data.ruleName}</span>
            </div>
            <div className="text-slate-500">{outcomeText(test.data.outcome)}</div>
            {[...test.data.errors, ...test.data.warnings].map((m) => (
              <p key={m} className="text-xs text-amber-700 dark:text-amber-300">
                {m}
              </p>
            ))}
            <JsonView value={test.data.trace} />
          </div>
        ) : null}
      </div>
    </Card>
  );
}
