/* Fixtures for the password-based and TOTP route tests: password users written
 * straight into the database, logins, and reading the enqueued job rows. */
#ifndef TPASSWORD_H
#define TPASSWORD_H

#include <stdbool.h>
#include <cjson/cJSON.h>
#include <libpq-fe.h>

#include "thttp.h"

#define TPW_PASSWORD "Correct horse 1"

/* A user linked to every tenant with a password login (argon2id at the default
 * parameters); user_id gets its id (37 bytes). */
void tpw_create_user(PGconn *db, const char *email, const char *password, bool verified,
                     char *user_id);
/* POST /auth/password-based/login in the default tenant; *resp as thttp_json. */
int tpw_login(const struct tapi *api, const char *email, const char *password, cJSON **resp);
/* Log in (must succeed) and copy the access token into access (512 bytes). */
void tpw_login_ok(const struct tapi *api, const char *email, const char *password, char *access);
/* The accessToken of a token pair response, or "". */
const char *tpw_access(const cJSON *resp);
/* Data of the newest job called name (caller deletes), or NULL; and the count. */
cJSON *tpw_job(PGconn *db, const char *name);
long tpw_job_count(PGconn *db, const char *name);
/* A string member of obj, or "". */
const char *tpw_str(const cJSON *obj, const char *name);

#endif
