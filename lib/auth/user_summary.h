/* auth.userSummary (seed-api §2.2) as one SQL json expression over a "user" row aliased
 * u, shared by /auth/me and the user-admin routes. Roles and permissions count only the
 * request tenant's roles and global ones, as permission checks do (DECISIONS §13.3);
 * tenant is the SQL placeholder of the tenant id, e.g. "$1". Absent optional keys are
 * stripped; dates are ISO 8601 UTC with milliseconds. */
#ifndef AUTH_USER_SUMMARY_H
#define AUTH_USER_SUMMARY_H

/* ISO-8601 UTC with milliseconds, the template's date serialisation; NULL stays NULL. */
#define USER_SUMMARY_TS(x) "to_char(" x " AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"')"
/* A role (aliased r) counts in the tenant: the tenant's own and global ones. */
#define USER_SUMMARY_ROLE_IN_SCOPE(tenant)                                                         \
	"(r.\"tenant\" = " tenant "::uuid OR r.\"tenant\" IS NULL)"

/* clang-format off */
#define USER_SUMMARY_SQL(tenant) \
	"json_strip_nulls(json_build_object(" \
	"'id', u.id, 'name', u.name, 'lastLogin', " USER_SUMMARY_TS("u.\"lastLogin\"") ", " \
	"'anonymousLogin', (SELECT json_build_object(" \
	"  'isAllowedToLogin', a.\"isAllowedToLogin\", 'createdAt', " USER_SUMMARY_TS("a.\"createdAt\"") ")" \
	"  FROM \"anonymousLogin\" a WHERE a.\"user\" = u.id" \
	"  ORDER BY a.\"createdAt\", a.id LIMIT 1), " \
	"'digidLogin', (SELECT json_build_object('createdAt', " USER_SUMMARY_TS("d.\"createdAt\"") ")" \
	"  FROM \"digidLogin\" d WHERE d.\"user\" = u.id" \
	"  ORDER BY d.\"createdAt\", d.id LIMIT 1), " \
	"'keycloakLogin', (SELECT json_build_object(" \
	"  'email', k.email, 'createdAt', " USER_SUMMARY_TS("k.\"createdAt\"") ")" \
	"  FROM \"keycloakLogin\" k WHERE k.\"user\" = u.id" \
	"  ORDER BY k.\"createdAt\", k.id LIMIT 1), " \
	"'passwordLogin', (SELECT json_build_object(" \
	"  'email', p.email, 'createdAt', " USER_SUMMARY_TS("p.\"createdAt\"") "," \
	"  'verifiedAt', " USER_SUMMARY_TS("p.\"verifiedAt\"") ", 'otpEnabledAt', " USER_SUMMARY_TS("p.\"otpEnabledAt\"") ")" \
	"  FROM \"passwordLogin\" p WHERE p.\"user\" = u.id" \
	"  ORDER BY p.\"createdAt\", p.id LIMIT 1), " \
	"'totpProvider', (SELECT json_build_object('enabledAt', " USER_SUMMARY_TS("t.\"verifiedAt\"") ")" \
	"  FROM \"totpSettings\" t WHERE t.\"user\" = u.id AND t.\"verifiedAt\" IS NOT NULL" \
	"  ORDER BY t.\"createdAt\", t.id LIMIT 1), " \
	"'roles', COALESCE((SELECT json_agg(json_build_object('id', r.id, 'identifier', r.identifier)" \
	"  ORDER BY r.identifier COLLATE \"C\", r.id)" \
	"  FROM \"userRole\" ur JOIN \"role\" r ON r.id = ur.\"role\"" \
	"  WHERE ur.\"user\" = u.id AND " USER_SUMMARY_ROLE_IN_SCOPE(tenant) "), '[]'::json), " \
	"'permissions', COALESCE((SELECT json_agg(x.identifier ORDER BY x.identifier COLLATE \"C\")" \
	"  FROM (SELECT DISTINCT pe.identifier FROM \"userRole\" ur" \
	"  JOIN \"role\" r ON r.id = ur.\"role\"" \
	"  JOIN \"rolePermission\" rp ON rp.\"role\" = r.id" \
	"  JOIN \"permission\" pe ON pe.id = rp.\"permission\"" \
	"  WHERE ur.\"user\" = u.id AND " USER_SUMMARY_ROLE_IN_SCOPE(tenant) ") x), '[]'::json), " \
	"'createdAt', " USER_SUMMARY_TS("u.\"createdAt\"") ", 'deletedAt', " USER_SUMMARY_TS("u.\"deletedAt\"") "))"
/* clang-format on */

#endif
