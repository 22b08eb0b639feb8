CREATE TABLE "sandbox_executions" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"run_id" text,
	"step_id" text,
	"workflow_id" text,
	"attempt" integer DEFAULT 0 NOT NULL,
	"provider" text NOT NULL,
	"language" text NOT NULL,
	"code" text NOT NULL,
	"limits" jsonb NOT NULL,
	"network" jsonb,
	"outcome" text NOT NULL,
	"exit_code" integer,
	"signal" text,
	"stdout" text DEFAULT '' NOT NULL,
	"stderr" text DEFAULT '' NOT NULL,
	"stdout_truncated" boolean DEFAULT false NOT NULL,
	"stderr_truncated" boolean DEFAULT false NOT NULL,
	"binary_output" boolean DEFAULT false NOT NULL,
	"files" jsonb,
	"files_truncated" boolean DEFAULT false NOT NULL,
	"usage" jsonb,
	"error" text,
	"started_at" timestamp with time zone DEFAULT now() NOT NULL,
	"duration_ms" integer
);
--> statement-breakpoint
CREATE TABLE "sandbox_policies" (
	"workflow_id" text PRIMARY KEY NOT NULL,
	"languages" text[] NOT NULL,
	"providers" text[] NOT NULL,
	"defaults" jsonb NOT NULL,
	"maximums" jsonb NOT NULL,
	"network_allowed" boolean DEFAULT false NOT NULL,
	"network_hosts" text[] DEFAULT '{}' NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_by_email" text
);
--> statement-breakpoint
CREATE INDEX "sandbox_executions_run_idx" ON "sandbox_executions" USING btree ("run_id","started_at");