CREATE TYPE "public"."run_status" AS ENUM('queued', 'running', 'sleeping', 'waiting', 'completed', 'failed', 'cancelled');--> statement-breakpoint
CREATE TABLE "run_steps" (
	"run_id" text NOT NULL,
	"hashed_id" text NOT NULL,
	"step_id" text NOT NULL,
	"name" text NOT NULL,
	"kind" text NOT NULL,
	"status" "run_status" NOT NULL,
	"attempts" integer DEFAULT 0 NOT NULL,
	"detail" jsonb,
	"output" jsonb,
	"error" jsonb,
	"position" integer DEFAULT 0 NOT NULL,
	"started_at" timestamp with time zone DEFAULT now() NOT NULL,
	"ended_at" timestamp with time zone,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "run_steps_run_id_hashed_id_pk" PRIMARY KEY("run_id","hashed_id")
);
--> statement-breakpoint
CREATE TABLE "runs" (
	"id" text PRIMARY KEY NOT NULL,
	"workflow_id" text NOT NULL,
	"status" "run_status" DEFAULT 'running' NOT NULL,
	"event_name" text NOT NULL,
	"event_id" text,
	"input" jsonb,
	"output" jsonb,
	"error" jsonb,
	"triggered_by_id" uuid,
	"triggered_by_email" text,
	"rerun_of" text,
	"attempts" integer DEFAULT 1 NOT NULL,
	"started_at" timestamp with time zone DEFAULT now() NOT NULL,
	"ended_at" timestamp with time zone,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
ALTER TABLE "run_steps" ADD CONSTRAINT "run_steps_run_id_runs_id_fk" FOREIGN KEY ("run_id") REFERENCES "public"."runs"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "run_steps_run_started_idx" ON "run_steps" USING btree ("run_id","started_at");--> statement-breakpoint
CREATE INDEX "runs_started_at_idx" ON "runs" USING btree ("started_at","id");--> statement-breakpoint
CREATE INDEX "runs_workflow_started_idx" ON "runs" USING btree ("workflow_id","started_at");--> statement-breakpoint
CREATE INDEX "runs_status_idx" ON "runs" USING btree ("status");--> statement-breakpoint
CREATE INDEX "runs_triggered_by_idx" ON "runs" USING btree ("triggered_by_email");--> statement-breakpoint
CREATE INDEX "runs_event_id_idx" ON "runs" USING btree ("event_id");