/* Password hashing: argon2id for new hashes, bcrypt ($2a$/$2b$) of the template for
 * verification only (libxcrypt), and a dummy verification that equalises timing. */
#include "password.h"

#include <argon2.h>
#include <crypt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ct.h"
#include "random.h"

#define PASSWORD_SALT_LEN 16
#define PASSWORD_RAW_LEN  32

void
password_params_from_config(const struct config *cfg, struct password_params *out)
{
	out->memory_kib = (uint32_t)cfg->auth_argon2_memory_kib;
	out->iterations = (uint32_t)cfg->auth_argon2_iterations;
	out->parallelism = (uint32_t)cfg->auth_argon2_parallelism;
}

struct err *
password_hash_config(const struct config *cfg, const char *password, char out[PASSWORD_HASH_MAX])
{
	struct password_params pp;

	password_params_from_config(cfg, &pp);
	return password_hash(&pp, password, out);
}

struct err *
password_hash(const struct password_params *p, const char *password, char out[PASSWORD_HASH_MAX])
{
	unsigned char salt[PASSWORD_SALT_LEN];
	int rc;

	random_bytes(salt, sizeof(salt));
	rc = argon2id_hash_encoded(p->iterations, p->memory_kib, p->parallelism, password,
	                           strlen(password), salt, sizeof(salt), PASSWORD_RAW_LEN, out,
	                           PASSWORD_HASH_MAX);
	if (rc != ARGON2_OK)
		return err_internal("password_hash: argon2id: %s", argon2_error_message(rc));
	return NULL;
}

static bool
password_is_bcrypt(const char *stored)
{
	return strncmp(stored, "$2a$", 4) == 0 || strncmp(stored, "$2b$", 4) == 0 ||
	       strncmp(stored, "$2y$", 4) == 0;
}

static bool
password_verify_bcrypt(const char *password, const char *stored)
{
	struct crypt_data *cd;
	const char *h;
	bool ok;

	cd = calloc(1, sizeof(*cd));
	if (cd == NULL)
		return false;
	/* crypt_rn (libxcrypt) rather than crypt_r: NULL on failure instead of a "*" string,
	 * and not replaced by ASan's crypt_r interceptor (which breaks when the linker
	 * drops libcrypt as unneeded). */
	h = crypt_rn(password, stored, cd, (int)sizeof(*cd));
	ok = h != NULL && h[0] == '$' && ct_streq(h, stored);
	explicit_bzero(cd, sizeof(*cd));
	free(cd);
	return ok;
}

bool
password_verify(const char *password, const char *stored)
{
	if (password == NULL || stored == NULL)
		return false;
	if (strncmp(stored, "$argon2id$", 10) == 0)
		return argon2id_verify(stored, password, strlen(password)) == ARGON2_OK;
	if (password_is_bcrypt(stored))
		return password_verify_bcrypt(password, stored);
	return false;
}

bool
password_needs_rehash(const struct password_params *p, const char *stored)
{
	unsigned v, m, t, par;
	int used = 0;

	if (stored == NULL || strncmp(stored, "$argon2id$", 10) != 0)
		return true;
	if (sscanf(stored, "$argon2id$v=%u$m=%u,t=%u,p=%u$%n", &v, &m, &t, &par, &used) != 4 ||
	    used == 0)
		return true;
	return v != ARGON2_VERSION_13 || m != p->memory_kib || t != p->iterations ||
	       par != p->parallelism;
}

void
password_verify_dummy(const struct password_params *p, const char *password)
{
	unsigned char salt[PASSWORD_SALT_LEN], raw[PASSWORD_RAW_LEN];

	random_bytes(salt, sizeof(salt));
	(void)argon2id_hash_raw(p->iterations, p->memory_kib, p->parallelism, password,
	                        password != NULL ? strlen(password) : 0, salt, sizeof(salt), raw,
	                        sizeof(raw));
	explicit_bzero(raw, sizeof(raw));
}
