ALTER TABLE "runs" ADD COLUMN "system" boolean DEFAULT false NOT NULL;--> statement-breakpoint
CREATE INDEX "runs_system_ended_idx" ON "runs" USING btree ("ended_at") WHERE "runs"."system";