CREATE TABLE "governance_notifications" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"kind" text NOT NULL,
	"severity" text NOT NULL,
	"title" text NOT NULL,
	"message" text NOT NULL,
	"run_id" text,
	"workflow_id" text,
	"budget_id" uuid,
	"details" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"dedupe_key" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"read_at" timestamp with time zone,
	"delivery_status" text DEFAULT 'pending' NOT NULL,
	"delivery_attempts" integer DEFAULT 0 NOT NULL,
	"next_attempt_at" timestamp with time zone DEFAULT now() NOT NULL,
	"last_delivery_error" text,
	"delivered_at" timestamp with time zone
);
--> statement-breakpoint
CREATE TABLE "run_llm_steps" (
	"run_id" text NOT NULL,
	"step_id" text NOT NULL,
	"fingerprint" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "run_llm_steps_run_id_step_id_pk" PRIMARY KEY("run_id","step_id")
);
--> statement-breakpoint
CREATE TABLE "workflow_guards" (
	"workflow_id" text PRIMARY KEY NOT NULL,
	"max_llm_calls_per_run" integer,
	"max_steps_per_run" integer,
	"max_identical_calls" integer,
	"burn_window_minutes" integer,
	"burn_limit_nano" bigint,
	"tripped_at" timestamp with time zone,
	"tripped_reason" text,
	"tripped_run_id" text,
	"version" integer DEFAULT 1 NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_by_email" text
);
--> statement-breakpoint
CREATE UNIQUE INDEX "governance_notifications_dedupe_uq" ON "governance_notifications" USING btree ("dedupe_key");--> statement-breakpoint
CREATE INDEX "governance_notifications_created_idx" ON "governance_notifications" USING btree ("created_at");--> statement-breakpoint
CREATE INDEX "governance_notifications_run_idx" ON "governance_notifications" USING btree ("run_id");--> statement-breakpoint
CREATE INDEX "governance_notifications_pending_idx" ON "governance_notifications" USING btree ("next_attempt_at") WHERE "governance_notifications"."delivery_status" = 'pending';--> statement-breakpoint
CREATE INDEX "run_llm_steps_fingerprint_idx" ON "run_llm_steps" USING btree ("run_id","fingerprint");