ALTER TABLE "runs" ADD COLUMN "budget_nano" bigint;--> statement-breakpoint
ALTER TABLE "runs" ADD COLUMN "stop_reason" jsonb;--> statement-breakpoint
-- Backfill: a run's own budget from the audit row of the trigger / re-run that sent its event
-- (as server/runs/service.ts read it before this column existed; older rows carry only budgetUsd).
UPDATE "runs" r SET "budget_nano" = b.nano FROM (
  SELECT DISTINCT ON (r2.id) r2.id,
         COALESCE((a.after->>'budgetNano')::bigint, round((a.after->>'budgetUsd')::numeric * 1000000000)::bigint) AS nano
    FROM "runs" r2
    JOIN "audit_log" a ON a.after->>'eventId' = r2.event_id
     AND ((r2.rerun_of IS NULL AND a.action = 'run.trigger' AND a.target_type = 'workflow' AND a.target_id = r2.workflow_id)
       OR (r2.rerun_of IS NOT NULL AND a.action = 'run.rerun' AND a.target_type = 'run' AND a.target_id = r2.rerun_of))
   WHERE r2.event_id IS NOT NULL AND (a.after ? 'budgetNano' OR a.after ? 'budgetUsd')
   ORDER BY r2.id, a.id
) b WHERE r.id = b.id;--> statement-breakpoint
-- Backfill: why governance stopped a run, from its latest stop notification.
UPDATE "runs" r SET "stop_reason" = jsonb_build_object('kind', n.kind, 'severity', n.severity, 'title', n.title, 'message', n.message, 'details', n.details, 'at', to_jsonb(n.created_at))
  FROM (SELECT DISTINCT ON (run_id) * FROM "governance_notifications"
         WHERE run_id IS NOT NULL AND kind IN ('budget_exceeded', 'guard_tripped', 'breaker_tripped')
         ORDER BY run_id, id DESC) n
 WHERE r.id = n.run_id;
