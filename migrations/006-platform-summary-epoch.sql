-- platform addition: a counter that every change to what auth.userSummary shows bumps,
-- in the changing transaction. The api caches user summaries per worker and trusts an
-- entry only while this counter has the value it was computed under, so /auth/me needs
-- one light statement on a cache hit and never shows a summary older than the last
-- committed change (session revocation is checked in that statement every time).
-- BEFORE statement triggers: a writer takes the counter's row lock before it locks the
-- rows it changes, so two writers cannot deadlock on it. The lock serialises writers of
-- these tables until commit; they are written rarely (logins, role changes).
CREATE TABLE "platformSummaryEpoch" (
  "id" int PRIMARY KEY CHECK ("id" = 1),
  "value" bigint NOT NULL
);
INSERT INTO "platformSummaryEpoch" ("id", "value") VALUES (1, 0);

CREATE FUNCTION "platformSummaryEpochBump"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  UPDATE "platformSummaryEpoch" SET "value" = "value" + 1 WHERE "id" = 1;
  RETURN NULL; -- statement-level: the return value is ignored
END
$$;

CREATE TRIGGER "userSummaryEpoch" BEFORE INSERT OR UPDATE OR DELETE OR TRUNCATE ON "user"
  FOR EACH STATEMENT EXECUTE FUNCTION "platformSummaryEpochBump"();
CREATE TRIGGER "userTenantSummaryEpoch" BEFORE INSERT OR UPDATE OR DELETE OR TRUNCATE ON "userTenant"
  FOR EACH STATEMENT EXECUTE FUNCTION "platformSummaryEpochBump"();
CREATE TRIGGER "userRoleSummaryEpoch" BEFORE INSERT OR UPDATE OR DELETE OR TRUNCATE ON "userRole"
  FOR EACH STATEMENT EXECUTE FUNCTION "platformSummaryEpochBump"();
CREATE TRIGGER "roleSummaryEpoch" BEFORE INSERT OR UPDATE OR DELETE OR TRUNCATE ON "role"
  FOR EACH STATEMENT EXECUTE FUNCTION "platformSummaryEpochBump"();
CREATE TRIGGER "rolePermissionSummaryEpoch" BEFORE INSERT OR UPDATE OR DELETE OR TRUNCATE ON "rolePermission"
  FOR EACH STATEMENT EXECUTE FUNCTION "platformSummaryEpochBump"();
CREATE TRIGGER "permissionSummaryEpoch" BEFORE INSERT OR UPDATE OR DELETE OR TRUNCATE ON "permission"
  FOR EACH STATEMENT EXECUTE FUNCTION "platformSummaryEpochBump"();
CREATE TRIGGER "passwordLoginSummaryEpoch" BEFORE INSERT OR UPDATE OR DELETE OR TRUNCATE ON "passwordLogin"
  FOR EACH STATEMENT EXECUTE FUNCTION "platformSummaryEpochBump"();
CREATE TRIGGER "anonymousLoginSummaryEpoch" BEFORE INSERT OR UPDATE OR DELETE OR TRUNCATE ON "anonymousLogin"
  FOR EACH STATEMENT EXECUTE FUNCTION "platformSummaryEpochBump"();
CREATE TRIGGER "digidLoginSummaryEpoch" BEFORE INSERT OR UPDATE OR DELETE OR TRUNCATE ON "digidLogin"
  FOR EACH STATEMENT EXECUTE FUNCTION "platformSummaryEpochBump"();
CREATE TRIGGER "keycloakLoginSummaryEpoch" BEFORE INSERT OR UPDATE OR DELETE OR TRUNCATE ON "keycloakLogin"
  FOR EACH STATEMENT EXECUTE FUNCTION "platformSummaryEpochBump"();
CREATE TRIGGER "totpSettingsSummaryEpoch" BEFORE INSERT OR UPDATE OR DELETE OR TRUNCATE ON "totpSettings"
  FOR EACH STATEMENT EXECUTE FUNCTION "platformSummaryEpochBump"();
