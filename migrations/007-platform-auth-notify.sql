-- platform addition: tell the api when what GET /auth/me answers may have changed, so it
-- can serve that route from a per-worker cache without a statement per request and still
-- never answer for a revoked session. Every api worker LISTENs on "platform_auth" and
-- drops its cache on any notification. Notifications are sent at commit, and a
-- transaction's duplicates are folded into one.
--   * sessions and tokens: revocation, refresh rotation, session data changes, deletes
--     (new rows cannot be in a cache, so INSERT does not notify);
--   * users, logins and roles: everything that already bumps the summary epoch (006).
CREATE FUNCTION "platformAuthNotify"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM pg_notify('platform_auth', '');
  RETURN NULL; -- statement-level: the return value is ignored
END
$$;

CREATE TRIGGER "sessionStoreAuthNotify" AFTER UPDATE OR DELETE OR TRUNCATE ON "sessionStore"
  FOR EACH STATEMENT EXECUTE FUNCTION "platformAuthNotify"();
CREATE TRIGGER "sessionStoreTokenAuthNotify" AFTER UPDATE OR DELETE OR TRUNCATE ON "sessionStoreToken"
  FOR EACH STATEMENT EXECUTE FUNCTION "platformAuthNotify"();

CREATE OR REPLACE FUNCTION "platformSummaryEpochBump"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  UPDATE "platformSummaryEpoch" SET "value" = "value" + 1 WHERE "id" = 1;
  PERFORM pg_notify('platform_auth', '');
  RETURN NULL; -- statement-level: the return value is ignored
END
$$;
