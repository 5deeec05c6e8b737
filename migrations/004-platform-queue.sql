-- Platform additions (not in the template). Everything here is additive: the
-- new columns are nullable without a default, so the template's Node code
-- (which inserts only its own columns) keeps working on the same database.

-- Queue: a failed-for-good state, the last error and a lease for batched claims.
ALTER TABLE "job"
  ADD COLUMN "failedAt"    timestamptz NULL,
  ADD COLUMN "lastError"   text        NULL,
  ADD COLUMN "lockedUntil" timestamptz NULL;

-- Database defaults equal to the application defaults, so a plain
-- INSERT INTO "job" ("name", "data") also works. The template always sends
-- these values itself, so this changes nothing for it.
ALTER TABLE "job"
  ALTER COLUMN "isComplete" SET DEFAULT false,
  ALTER COLUMN "priority" SET DEFAULT 5,
  ALTER COLUMN "data" SET DEFAULT '{}'::jsonb;

-- Claim query: pending, not failed, ordered by priority then schedule.
CREATE INDEX "jobReadyIdx" ON "job" ("priority", "scheduledAt")
  WHERE NOT "isComplete" AND "failedAt" IS NULL;

-- Wake-up for idle workers (LISTEN platform_job). Polling stays the source of
-- truth; the notification is only sent when the inserting transaction commits,
-- and identical notifications in one transaction are folded into one.
CREATE OR REPLACE FUNCTION "platformJobNotify"() RETURNS trigger
  LANGUAGE plpgsql AS
$$
BEGIN
  PERFORM pg_notify('platform_job', '');
  RETURN NULL;
END;
$$;

CREATE TRIGGER "jobInsertNotifyTrigger"
  AFTER INSERT ON "job"
  FOR EACH STATEMENT
  EXECUTE FUNCTION "platformJobNotify"();

-- Session cleanup deletes refresh rows ("refreshToken" IS NULL) whose
-- "expiresAt" or "revokedAt" is older than the cutoff; these two partial
-- indexes let that OR run as a bitmap scan instead of a full table scan.
CREATE INDEX "sessionStoreTokenExpiresAtIdx" ON "sessionStoreToken" ("expiresAt")
  WHERE "refreshToken" IS NULL;
CREATE INDEX "sessionStoreTokenRevokedAtIdx" ON "sessionStoreToken" ("revokedAt")
  WHERE "refreshToken" IS NULL AND "revokedAt" IS NOT NULL;

-- Purge of old failed-login attempts.
CREATE INDEX "passwordLoginAttemptCreatedAtIdx" ON "passwordLoginAttempt" ("createdAt");
