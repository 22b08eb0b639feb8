CREATE TYPE "public"."budget_period" AS ENUM('run', 'hour', 'day', 'week', 'month', 'lifetime');--> statement-breakpoint
CREATE TYPE "public"."budget_scope" AS ENUM('global', 'workflow', 'agent', 'user', 'api_key', 'tag');--> statement-breakpoint
CREATE TYPE "public"."reservation_status" AS ENUM('active', 'settled', 'released', 'expired');--> statement-breakpoint
CREATE TABLE "budget_alerts" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"budget_id" uuid NOT NULL,
	"counter_key" text NOT NULL,
	"threshold_pct" integer NOT NULL,
	"spent_nano" bigint NOT NULL,
	"limit_nano" bigint NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"delivered_at" timestamp with time zone
);
--> statement-breakpoint
CREATE TABLE "budget_counters" (
	"key" text PRIMARY KEY NOT NULL,
	"budget_id" uuid,
	"run_id" text,
	"window_start" timestamp with time zone,
	"limit_nano" bigint NOT NULL,
	"spent_nano" bigint DEFAULT 0 NOT NULL,
	"reserved_nano" bigint DEFAULT 0 NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "budget_counters_reserved_nonneg" CHECK ("budget_counters"."reserved_nano" >= 0)
);
--> statement-breakpoint
CREATE TABLE "budgets" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"name" text NOT NULL,
	"scope" "budget_scope" NOT NULL,
	"scope_value" text DEFAULT '' NOT NULL,
	"period" "budget_period" NOT NULL,
	"limit_nano" bigint NOT NULL,
	"alert_thresholds" integer[] DEFAULT '{50,80,100}'::integer[] NOT NULL,
	"enabled" boolean DEFAULT true NOT NULL,
	"version" integer DEFAULT 1 NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "budgets_limit_nonneg" CHECK ("budgets"."limit_nano" >= 0)
);
--> statement-breakpoint
CREATE TABLE "governance_settings" (
	"id" integer PRIMARY KEY DEFAULT 1 NOT NULL,
	"allow_unpriced_models" boolean DEFAULT false NOT NULL,
	"version" integer DEFAULT 1 NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_by_email" text,
	CONSTRAINT "governance_settings_single_row" CHECK ("governance_settings"."id" = 1)
);
--> statement-breakpoint
CREATE TABLE "llm_calls" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"reservation_id" uuid,
	"run_id" text NOT NULL,
	"step_id" text NOT NULL,
	"workflow" text,
	"agent" text,
	"user_id" text,
	"api_key_id" text,
	"tags" text[] DEFAULT '{}'::text[] NOT NULL,
	"provider" text NOT NULL,
	"model" text NOT NULL,
	"input_tokens" integer DEFAULT 0 NOT NULL,
	"output_tokens" integer DEFAULT 0 NOT NULL,
	"cached_input_tokens" integer DEFAULT 0 NOT NULL,
	"cache_write_tokens" integer DEFAULT 0 NOT NULL,
	"reasoning_tokens" integer DEFAULT 0 NOT NULL,
	"cost_nano" bigint NOT NULL,
	"price_version_id" bigint,
	"price_source" text NOT NULL,
	"rates" jsonb,
	"latency_ms" integer,
	"status" text DEFAULT 'ok' NOT NULL,
	"simulated" boolean DEFAULT false NOT NULL,
	"error" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "llm_cost_rollup" (
	"hour" timestamp with time zone NOT NULL,
	"provider" text NOT NULL,
	"model" text NOT NULL,
	"workflow" text NOT NULL,
	"calls" bigint DEFAULT 0 NOT NULL,
	"cost_nano" bigint DEFAULT 0 NOT NULL,
	"input_tokens" bigint DEFAULT 0 NOT NULL,
	"output_tokens" bigint DEFAULT 0 NOT NULL,
	"simulated_calls" bigint DEFAULT 0 NOT NULL,
	CONSTRAINT "llm_cost_rollup_hour_provider_model_workflow_pk" PRIMARY KEY("hour","provider","model","workflow")
);
--> statement-breakpoint
CREATE TABLE "model_prices" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"provider" text NOT NULL,
	"model" text NOT NULL,
	"version" integer NOT NULL,
	"currency" text DEFAULT 'USD' NOT NULL,
	"input_per_mtok_nano" bigint NOT NULL,
	"output_per_mtok_nano" bigint NOT NULL,
	"cached_input_per_mtok_nano" bigint,
	"cache_write_per_mtok_nano" bigint,
	"reasoning_per_mtok_nano" bigint,
	"per_request_nano" bigint DEFAULT 0 NOT NULL,
	"removed" boolean DEFAULT false NOT NULL,
	"note" text DEFAULT '' NOT NULL,
	"effective_from" timestamp with time zone DEFAULT now() NOT NULL,
	"created_by_email" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "reservations" (
	"id" uuid PRIMARY KEY NOT NULL,
	"idempotency_key" text,
	"run_id" text NOT NULL,
	"step_id" text NOT NULL,
	"workflow" text,
	"agent" text,
	"user_id" text,
	"api_key_id" text,
	"tags" text[] DEFAULT '{}'::text[] NOT NULL,
	"counter_keys" text[] NOT NULL,
	"amount_nano" bigint NOT NULL,
	"status" "reservation_status" DEFAULT 'active' NOT NULL,
	"expires_at" timestamp with time zone NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"closed_at" timestamp with time zone,
	"call_id" bigint
);
--> statement-breakpoint
ALTER TABLE "budget_alerts" ADD CONSTRAINT "budget_alerts_budget_id_budgets_id_fk" FOREIGN KEY ("budget_id") REFERENCES "public"."budgets"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "budget_counters" ADD CONSTRAINT "budget_counters_budget_id_budgets_id_fk" FOREIGN KEY ("budget_id") REFERENCES "public"."budgets"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "budget_alerts_once_uq" ON "budget_alerts" USING btree ("counter_key","threshold_pct");--> statement-breakpoint
CREATE INDEX "budget_alerts_created_idx" ON "budget_alerts" USING btree ("created_at");--> statement-breakpoint
CREATE INDEX "budget_counters_budget_idx" ON "budget_counters" USING btree ("budget_id","window_start");--> statement-breakpoint
CREATE INDEX "budget_counters_run_idx" ON "budget_counters" USING btree ("run_id");--> statement-breakpoint
CREATE UNIQUE INDEX "budgets_scope_period_uq" ON "budgets" USING btree ("scope","scope_value","period");--> statement-breakpoint
CREATE INDEX "llm_calls_run_idx" ON "llm_calls" USING btree ("run_id","created_at");--> statement-breakpoint
CREATE INDEX "llm_calls_created_idx" ON "llm_calls" USING btree ("created_at");--> statement-breakpoint
CREATE UNIQUE INDEX "llm_calls_reservation_uq" ON "llm_calls" USING btree ("reservation_id");--> statement-breakpoint
CREATE UNIQUE INDEX "model_prices_model_version_uq" ON "model_prices" USING btree ("provider","model","version");--> statement-breakpoint
CREATE INDEX "model_prices_model_effective_idx" ON "model_prices" USING btree ("model","effective_from");--> statement-breakpoint
CREATE UNIQUE INDEX "reservations_idempotency_uq" ON "reservations" USING btree ("idempotency_key");--> statement-breakpoint
CREATE INDEX "reservations_active_expiry_idx" ON "reservations" USING btree ("expires_at") WHERE "reservations"."status" = 'active';--> statement-breakpoint
CREATE INDEX "reservations_run_idx" ON "reservations" USING btree ("run_id");