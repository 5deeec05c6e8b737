/* Password user fixtures, logins and job rows for the password/TOTP tests. */
#include "tpassword.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "password.h"
#include "tadmin.h"

void
tpw_create_user(PGconn *db, const char *email, const char *password, bool verified, char *user_id)
{
	const struct password_params pp = { 19456, 2, 1 };
	char hash[PASSWORD_HASH_MAX];
	char *id;

	ck_assert_ptr_null(password_hash(&pp, password, hash));
	id = tadmin_value(
	    db, "INSERT INTO \"user\" (\"lastLogin\") VALUES ('1970-01-01') RETURNING id", 0);
	snprintf(user_id, 37, "%s", id);
	free(id);
	tadmin_count(db, "INSERT INTO \"userTenant\" (tenant, \"user\") SELECT id, $1 FROM tenant",
	             1, user_id);
	tadmin_count(db,
	             "INSERT INTO \"passwordLogin\" (\"user\", email, password, \"verifiedAt\") "
	             "VALUES ($1, $2, $3, CASE WHEN $4::boolean THEN now() END)",
	             4, user_id, email, hash, verified ? "true" : "false");
}

int
tpw_login(const struct tapi *api, const char *email, const char *password, cJSON **resp)
{
	cJSON *body = cJSON_CreateObject();
	char *text;
	int st;

	cJSON_AddStringToObject(body, "email", email);
	cJSON_AddStringToObject(body, "password", password);
	text = cJSON_PrintUnformatted(body);
	st = thttp_json(api, "POST", "/auth/password-based/login", NULL, text, resp);
	free(text);
	cJSON_Delete(body);
	return st;
}

void
tpw_login_ok(const struct tapi *api, const char *email, const char *password, char *access)
{
	cJSON *resp = NULL;

	ck_assert_int_eq(tpw_login(api, email, password, &resp), 200);
	snprintf(access, 512, "%s", tpw_access(resp));
	ck_assert_uint_gt(strlen(access), 20);
	cJSON_Delete(resp);
}

const char *
tpw_str(const cJSON *obj, const char *name)
{
	const char *s = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(obj, name));

	return s != NULL ? s : "";
}

const char *
tpw_access(const cJSON *resp)
{
	return tpw_str(resp, "accessToken");
}

cJSON *
tpw_job(PGconn *db, const char *name)
{
	char *text = tadmin_value(
	    db, "SELECT data::text FROM job WHERE name = $1 ORDER BY id DESC LIMIT 1", 1, name);
	cJSON *data = text != NULL ? cJSON_Parse(text) : NULL;

	free(text);
	return data;
}

long
tpw_job_count(PGconn *db, const char *name)
{
	return tadmin_count(db, "SELECT 1 FROM job WHERE name = $1", 1, name);
}
