CREATE TABLE "engine_apps" (
	"id" text PRIMARY KEY NOT NULL,
	"url" text NOT NULL,
	"sdk" text,
	"framework" text,
	"synced_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "engine_events" (
	"internal_id" text PRIMARY KEY NOT NULL,
	"id" text NOT NULL,
	"name" text NOT NULL,
	"data" jsonb NOT NULL,
	"user" jsonb,
	"ts" bigint NOT NULL,
	"v" text,
	"received_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "engine_flow_marks" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"kind" text NOT NULL,
	"function_id" text NOT NULL,
	"key" text NOT NULL,
	"at" timestamp with time zone NOT NULL
);
--> statement-breakpoint
CREATE TABLE "engine_functions" (
	"id" text PRIMARY KEY NOT NULL,
	"app_id" text NOT NULL,
	"name" text NOT NULL,
	"url" text NOT NULL,
	"config" jsonb NOT NULL,
	"removed_at" timestamp with time zone,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "engine_queue" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"run_id" text,
	"function_id" text NOT NULL,
	"kind" text NOT NULL,
	"step_id" text,
	"attempt" integer DEFAULT 0 NOT NULL,
	"due_at" timestamp with time zone NOT NULL,
	"priority" integer DEFAULT 0 NOT NULL,
	"lease_token" text,
	"lease_until" timestamp with time zone,
	"ck1" text,
	"cl1" integer,
	"ck2" text,
	"cl2" integer,
	"flow_key" text,
	"payload" jsonb,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "engine_runs" (
	"id" text PRIMARY KEY NOT NULL,
	"function_id" text NOT NULL,
	"app_id" text NOT NULL,
	"status" text DEFAULT 'running' NOT NULL,
	"event" jsonb NOT NULL,
	"events" jsonb NOT NULL,
	"output" jsonb,
	"error" jsonb,
	"disable_immediate" boolean DEFAULT false NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"started_at" timestamp with time zone,
	"ended_at" timestamp with time zone
);
--> statement-breakpoint
CREATE TABLE "engine_steps" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"run_id" text NOT NULL,
	"step_id" text NOT NULL,
	"name" text,
	"op" text NOT NULL,
	"data" jsonb,
	"error" jsonb,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "engine_waits" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"run_id" text NOT NULL,
	"step_id" text NOT NULL,
	"kind" text NOT NULL,
	"event_name" text,
	"expression" text,
	"correlation_id" text,
	"signal" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX "engine_events_id_idx" ON "engine_events" USING btree ("id");--> statement-breakpoint
CREATE INDEX "engine_events_name_idx" ON "engine_events" USING btree ("name","received_at");--> statement-breakpoint
CREATE INDEX "engine_flow_marks_idx" ON "engine_flow_marks" USING btree ("kind","function_id","key","at");--> statement-breakpoint
CREATE INDEX "engine_functions_app_idx" ON "engine_functions" USING btree ("app_id");--> statement-breakpoint
CREATE INDEX "engine_queue_due_idx" ON "engine_queue" USING btree ("due_at");--> statement-breakpoint
CREATE INDEX "engine_queue_run_idx" ON "engine_queue" USING btree ("run_id");--> statement-breakpoint
CREATE INDEX "engine_queue_ck1_idx" ON "engine_queue" USING btree ("ck1") WHERE "engine_queue"."ck1" is not null;--> statement-breakpoint
CREATE INDEX "engine_queue_ck2_idx" ON "engine_queue" USING btree ("ck2") WHERE "engine_queue"."ck2" is not null;--> statement-breakpoint
CREATE UNIQUE INDEX "engine_queue_flow_idx" ON "engine_queue" USING btree ("function_id","kind","flow_key") WHERE "engine_queue"."kind" in ('debounce', 'batch', 'cron');--> statement-breakpoint
CREATE INDEX "engine_runs_fn_status_idx" ON "engine_runs" USING btree ("function_id","status");--> statement-breakpoint
CREATE INDEX "engine_runs_status_idx" ON "engine_runs" USING btree ("status","created_at");--> statement-breakpoint
CREATE UNIQUE INDEX "engine_steps_run_step_idx" ON "engine_steps" USING btree ("run_id","step_id");--> statement-breakpoint
CREATE INDEX "engine_waits_event_idx" ON "engine_waits" USING btree ("event_name");--> statement-breakpoint
CREATE UNIQUE INDEX "engine_waits_correlation_idx" ON "engine_waits" USING btree ("correlation_id");--> statement-breakpoint
CREATE UNIQUE INDEX "engine_waits_signal_idx" ON "engine_waits" USING btree ("signal");--> statement-breakpoint
CREATE INDEX "engine_waits_run_idx" ON "engine_waits" USING btree ("run_id");