/* SQL for auth.userSummary (seed-api §2.2) as one jsonb expression over a "user" row
 * aliased u, so routes can return users without extra round trips. Optional fields are
 * left out (jsonb_strip_nulls); dates are ISO 8601 UTC with milliseconds. */
#ifndef API_USER_SUMMARY_H
#define API_USER_SUMMARY_H

/* clang-format off */
#define USER_SUMMARY_SQL \
	"jsonb_strip_nulls(jsonb_build_object(" \
	"'id', u.id, 'name', u.name, " \
	"'lastLogin', to_char(u.\"lastLogin\" AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"'), " \
	"'createdAt', to_char(u.\"createdAt\" AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"'), " \
	"'deletedAt', to_char(u.\"deletedAt\" AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"'), " \
	"'anonymousLogin', (SELECT jsonb_build_object('isAllowedToLogin', a.\"isAllowedToLogin\", " \
	"'createdAt', to_char(a.\"createdAt\" AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"')) FROM \"anonymousLogin\" a " \
	"WHERE a.\"user\" = u.id ORDER BY a.\"createdAt\" LIMIT 1), " \
	"'digidLogin', (SELECT jsonb_build_object('createdAt', to_char(d.\"createdAt\" AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"')) " \
	"FROM \"digidLogin\" d WHERE d.\"user\" = u.id LIMIT 1), " \
	"'keycloakLogin', (SELECT jsonb_build_object('email', k.email, 'createdAt', " \
	"to_char(k.\"createdAt\" AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"')) FROM \"keycloakLogin\" k WHERE k.\"user\" = u.id LIMIT 1), " \
	"'passwordLogin', (SELECT jsonb_build_object('email', pl.email, " \
	"'createdAt', to_char(pl.\"createdAt\" AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"'), " \
	"'verifiedAt', to_char(pl.\"verifiedAt\" AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"'), " \
	"'otpEnabledAt', to_char(pl.\"otpEnabledAt\" AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"')) " \
	"FROM \"passwordLogin\" pl WHERE pl.\"user\" = u.id LIMIT 1), " \
	"'totpProvider', (SELECT jsonb_build_object('enabledAt', to_char(ts.\"verifiedAt\" AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"')) " \
	"FROM \"totpSettings\" ts WHERE ts.\"user\" = u.id AND ts.\"verifiedAt\" IS NOT NULL LIMIT 1), " \
	"'roles', COALESCE((SELECT jsonb_agg(jsonb_build_object('id', r.id, 'identifier', " \
	"r.identifier) ORDER BY r.identifier, r.id) FROM \"userRole\" ur JOIN role r " \
	"ON r.id = ur.role WHERE ur.\"user\" = u.id), '[]'::jsonb), " \
	"'permissions', COALESCE((SELECT jsonb_agg(DISTINCT pm.identifier ORDER BY " \
	"pm.identifier) FROM \"userRole\" ur JOIN \"rolePermission\" rp ON rp.role = ur.role " \
	"JOIN permission pm ON pm.id = rp.permission WHERE ur.\"user\" = u.id), '[]'::jsonb)))"
/* clang-format on */

#endif
