ALTER TABLE "approval_decisions" ADD COLUMN "api_key_id" uuid;--> statement-breakpoint
ALTER TABLE "run_rollbacks" ADD COLUMN "requested_by_id" uuid;--> statement-breakpoint
ALTER TABLE "run_rollbacks" ADD COLUMN "request_id" uuid;--> statement-breakpoint
ALTER TABLE "run_rollbacks" ADD COLUMN "started_by_run_id" text;--> statement-breakpoint
ALTER TABLE "run_rollbacks" ADD CONSTRAINT "run_rollbacks_request_id_unique" UNIQUE("request_id");