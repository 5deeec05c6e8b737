/* Password hashing: argon2id (libargon2, encoded form) for new hashes; the template's
 * bcrypt hashes ($2a$/$2b$, via libxcrypt crypt_rn) still verify and are upgraded. */
#ifndef AUTH_PASSWORD_H
#define AUTH_PASSWORD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "config.h"
#include "err.h"

/* Room for any encoded hash we store or accept. */
#define PASSWORD_HASH_MAX 256

struct password_params {
	uint32_t memory_kib;
	uint32_t iterations;
	uint32_t parallelism;
};

/* auth.argon2_* of the configuration. */
void password_params_from_config(const struct config *cfg, struct password_params *out);

/* argon2id-hash password with a fresh 16-byte salt into out (PHC encoded form). */
struct err *password_hash(const struct password_params *p, const char *password,
                          char out[PASSWORD_HASH_MAX]);

/* password_hash with the configuration's parameters. */
struct err *password_hash_config(const struct config *cfg, const char *password,
                                 char out[PASSWORD_HASH_MAX]);

/* True when password matches stored (argon2id or bcrypt); false for a mismatch or an
 * unrecognised/garbled hash. The comparison is constant time. */
bool password_verify(const char *password, const char *stored);

/* True when stored is not an argon2id hash with exactly the parameters p. */
bool password_needs_rehash(const struct password_params *p, const char *stored);

/* Spend the time of one argon2id verification at p and discard the result, so an
 * unknown email costs what a wrong password costs. */
void password_verify_dummy(const struct password_params *p, const char *password);

#endif
