CREATE TABLE "llm_call_payloads" (
	"call_id" bigint PRIMARY KEY NOT NULL,
	"run_id" text NOT NULL,
	"request" jsonb,
	"response" jsonb,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "spans" (
	"run_id" text NOT NULL,
	"span_id" text NOT NULL,
	"parent_span_id" text,
	"name" text NOT NULL,
	"kind" text NOT NULL,
	"status" text DEFAULT 'unset' NOT NULL,
	"started_at" timestamp (6) with time zone NOT NULL,
	"ended_at" timestamp (6) with time zone,
	"attributes" jsonb NOT NULL,
	"input" jsonb,
	"output" jsonb,
	"error" jsonb,
	"model" text,
	"input_tokens" integer,
	"output_tokens" integer,
	"cost_nano" bigint,
	"llm_call_id" bigint,
	"source" text DEFAULT 'otlp' NOT NULL,
	"api_key_id" text,
	"received_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "spans_run_id_span_id_pk" PRIMARY KEY("run_id","span_id")
);
--> statement-breakpoint
CREATE INDEX "spans_run_started_idx" ON "spans" USING btree ("run_id","started_at");