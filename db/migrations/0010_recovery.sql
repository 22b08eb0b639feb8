CREATE TABLE "run_compensations" (
	"run_id" text NOT NULL,
	"step_id" text NOT NULL,
	"workflow_id" text NOT NULL,
	"seq" integer NOT NULL,
	"output" jsonb,
	"status" text DEFAULT 'pending' NOT NULL,
	"attempts" integer DEFAULT 0 NOT NULL,
	"error" jsonb,
	"compensated_at" timestamp with time zone
);
--> statement-breakpoint
CREATE TABLE "run_fingerprints" (
	"run_id" text PRIMARY KEY NOT NULL,
	"workflow_id" text NOT NULL,
	"fingerprint" text NOT NULL,
	"resumed_with" text,
	"resumed_at" timestamp with time zone,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "run_links" (
	"child_run_id" text PRIMARY KEY NOT NULL,
	"parent_run_id" text NOT NULL,
	"kind" text NOT NULL,
	"fork_point" jsonb NOT NULL,
	"edits" jsonb,
	"created_by_email" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "run_rollbacks" (
	"run_id" text PRIMARY KEY NOT NULL,
	"workflow_id" text NOT NULL,
	"status" text DEFAULT 'running' NOT NULL,
	"reason" text NOT NULL,
	"requested_by_email" text,
	"failed_step_id" text,
	"error" jsonb,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"ended_at" timestamp with time zone
);
--> statement-breakpoint
CREATE TABLE "state_snapshots" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"run_id" text NOT NULL,
	"name" text NOT NULL,
	"version" integer NOT NULL,
	"state" jsonb NOT NULL,
	"step_id" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX "run_compensations_run_step_uq" ON "run_compensations" USING btree ("run_id","step_id");--> statement-breakpoint
CREATE INDEX "run_links_parent_idx" ON "run_links" USING btree ("parent_run_id");--> statement-breakpoint
CREATE UNIQUE INDEX "state_snapshots_run_name_version_uq" ON "state_snapshots" USING btree ("run_id","name","version");--> statement-breakpoint
CREATE INDEX "state_snapshots_run_idx" ON "state_snapshots" USING btree ("run_id","created_at");