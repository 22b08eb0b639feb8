CREATE TABLE "event_keys" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"name" text NOT NULL,
	"prefix" text NOT NULL,
	"last4" text NOT NULL,
	"hash" text NOT NULL,
	"created_by_id" uuid,
	"created_by_email" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"last_used_at" timestamp with time zone,
	"revoked_at" timestamp with time zone,
	CONSTRAINT "event_keys_hash_unique" UNIQUE("hash")
);
--> statement-breakpoint
ALTER TABLE "engine_events" ADD COLUMN "event_key_id" uuid;--> statement-breakpoint
CREATE INDEX "event_keys_created_idx" ON "event_keys" USING btree ("created_at");--> statement-breakpoint
ALTER TABLE "engine_events" ADD CONSTRAINT "engine_events_event_key_id_event_keys_id_fk" FOREIGN KEY ("event_key_id") REFERENCES "public"."event_keys"("id") ON DELETE no action ON UPDATE no action;