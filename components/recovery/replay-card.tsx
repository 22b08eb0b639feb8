import { useMutation } from "@tanstack/react-query";
import { useTRPC } from "@/components/trpc/client";
import { errorMessage } from "@/components/trpc/errors";
import { Button } from "@/components/ui/button";
import { Card, CardHeader } from "@/components/ui/card";

/** "Replay run": today's code against the run's records, in the app process, at zero cost. */
export function ReplayCard({ runId }: { runId: string }) {
  const trpc = useTRPC();
  const replay = useMutation(trpc.recovery.replay.mutationOptions());
  const r = replay.data;
  return (
    <Card data-testid="replay">
      <CardHeader
        title="Replay"
        description="Re-executes today's workflow code against this run's recorded step results and LLM responses; nothing is called or billed."
        action={
          <Button variant="secondary" disabled={replay.isPending} onClick={() => replay.mutate({ runId })}>
            {replay.isPending ? "Replaying…" : "Replay run"}
          </Button>
        }
      />
      {replay.error ? (
        <p role="alert" className="px-5 py-3 text-sm text-rose-600">
          {errorMessage(replay.error)}
        </p>
      ) : null}
      {r ? (
        <div className="space-y-2 px-5 py-3 text-sm" data-testid="replay-report">
          <p>{r.stepsReplayed} steps replayed from the records.</p>
          {r.fingerprint.changed ? (
            <p className="text-amber-700 dark:text-amber-300">
              The workflow definition changed since this run (fingerprint {r.fingerprint.recorded?.slice(0, 8)} →{" "}
              {r.fingerprint.current.slice(0, 8)}).
            </p>
          ) : null}
          {r.divergence ? (
            <p className="text-rose-600">
              Diverges at step {r.divergence.at + 1}: {r.divergence.reason}.
            </p>
          ) : (
            <p className="text-emerald-700 dark:text-emerald-400">
              Today&apos;s code follows the recorded run step for step
              {r.outputMatches === false
                ? ", but returns a different output"
                : r.outputMatches
                  ? " and returns the same output"
                  : ""}
              .
            </p>
          )}
        </div>
      ) : null}
    </Card>
  );
}
