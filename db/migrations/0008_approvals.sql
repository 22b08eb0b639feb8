CREATE TABLE "approval_decisions" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"approval_id" uuid NOT NULL,
	"decider_id" uuid NOT NULL,
	"decider_email" text NOT NULL,
	"decider_kind" text DEFAULT 'user' NOT NULL,
	"decision" text NOT NULL,
	"comment" text,
	"at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "approvals" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"run_id" text NOT NULL,
	"workflow_id" text NOT NULL,
	"gate" text NOT NULL,
	"action" text NOT NULL,
	"summary" text DEFAULT '' NOT NULL,
	"details" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"payload" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"payload_schema" jsonb,
	"allow_edit" boolean DEFAULT false NOT NULL,
	"risk" text NOT NULL,
	"amount_usd" numeric(20, 6),
	"tool" text,
	"status" text NOT NULL,
	"decider_role" text NOT NULL,
	"approvals_needed" integer DEFAULT 1 NOT NULL,
	"approvals_count" integer DEFAULT 0 NOT NULL,
	"allow_self_approval" boolean DEFAULT true NOT NULL,
	"require_comment" boolean DEFAULT false NOT NULL,
	"requested_by_id" uuid,
	"requested_by_email" text,
	"requested_by_role" text,
	"policy_version" integer NOT NULL,
	"policy_rule" text,
	"policy_reason" text DEFAULT '' NOT NULL,
	"escalate_at" timestamp with time zone,
	"escalate_to" jsonb,
	"escalated_at" timestamp with time zone,
	"deadline_at" timestamp with time zone NOT NULL,
	"on_timeout" text DEFAULT 'reject' NOT NULL,
	"decided_by_id" uuid,
	"decided_by_email" text,
	"decision_comment" text,
	"edited_payload" jsonb,
	"decided_at" timestamp with time zone,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "policy_versions" (
	"version" integer PRIMARY KEY NOT NULL,
	"rules" jsonb NOT NULL,
	"note" text DEFAULT '' NOT NULL,
	"created_by_id" uuid,
	"created_by_email" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "api_keys" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"name" text NOT NULL,
	"prefix" text NOT NULL,
	"hash" text NOT NULL,
	"role" "user_role" NOT NULL,
	"created_by_id" uuid,
	"created_by_email" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"last_used_at" timestamp with time zone,
	"revoked_at" timestamp with time zone,
	CONSTRAINT "api_keys_hash_unique" UNIQUE("hash")
);
--> statement-breakpoint
ALTER TABLE "approval_decisions" ADD CONSTRAINT "approval_decisions_approval_id_approvals_id_fk" FOREIGN KEY ("approval_id") REFERENCES "public"."approvals"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "approval_decisions_approval_decider_uq" ON "approval_decisions" USING btree ("approval_id","decider_id");--> statement-breakpoint
CREATE UNIQUE INDEX "approvals_run_gate_uq" ON "approvals" USING btree ("run_id","gate");--> statement-breakpoint
CREATE INDEX "approvals_status_created_idx" ON "approvals" USING btree ("status","created_at");--> statement-breakpoint
CREATE INDEX "approvals_workflow_idx" ON "approvals" USING btree ("workflow_id");--> statement-breakpoint
CREATE INDEX "api_keys_created_idx" ON "api_keys" USING btree ("created_at");