CREATE TYPE "public"."run_trigger_kind" AS ENUM('user', 'event_key', 'schedule', 'unsigned');--> statement-breakpoint
ALTER TABLE "runs" ADD COLUMN "triggered_by_kind" "run_trigger_kind";--> statement-breakpoint
ALTER TABLE "runs" ADD COLUMN "triggered_by_event_key_id" uuid;--> statement-breakpoint
ALTER TABLE "runs" ADD COLUMN "triggered_by_event_key" text;