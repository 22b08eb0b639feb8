ALTER TABLE "approvals" ADD COLUMN "idempotency_key" text;--> statement-breakpoint
ALTER TABLE "approvals" ADD COLUMN "request_hash" text;--> statement-breakpoint
CREATE UNIQUE INDEX "approvals_requester_idempotency_uq" ON "approvals" USING btree ("requested_by_id","idempotency_key") WHERE "approvals"."idempotency_key" is not null;