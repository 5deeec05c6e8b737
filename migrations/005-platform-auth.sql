-- Platform additions for password logins and TOTP (not in the template; additive,
-- nullable, no default, so the template's Node code keeps working on this database).

-- The TOTP step of the last accepted code, so a code is accepted once per step
-- window (ASVS 2.8.4). NULL: no code accepted yet.
ALTER TABLE "totpSettings"
  ADD COLUMN "lastUsedStep" bigint NULL;
