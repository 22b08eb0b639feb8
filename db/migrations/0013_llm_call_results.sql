CREATE TABLE "llm_call_results" (
	"idempotency_key" text PRIMARY KEY NOT NULL,
	"reservation_id" uuid NOT NULL,
	"result" jsonb NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE INDEX "llm_call_results_reservation_idx" ON "llm_call_results" USING btree ("reservation_id");