/* Declarative request validation with the template's (Compas) rules and error map
 * (platform-runtime §9.2): strict objects, strings with a default minimum length of 1,
 * coercion of booleans/numbers from strings, "" and null treated as absent for optional
 * values, every problem reported under its path ($.a.0.b) in one 400 validator.error.
 *
 * Schemas are static data, written with the macros below, e.g.
 *   static const struct schema body = SCHEMA_OBJECT(
 *           SCHEMA_FIELD("refreshToken", SCHEMA_STRING()),
 *           SCHEMA_FIELD("device", SCHEMA_OPTIONAL(SCHEMA_REF(&login_device))));
 */
#ifndef API_VALIDATE_H
#define API_VALIDATE_H

#include <stdbool.h>
#include <stdint.h>
#include <cjson/cJSON.h>

#include "err.h"

enum schema_type {
	SCHEMA_T_ANY = 0,
	SCHEMA_T_STRING,
	SCHEMA_T_UUID,  /* 8-4-4-4-12 hex or 32 hex; normalised to lowercase dashed */
	SCHEMA_T_EMAIL, /* trimmed, lower-cased, 2..150, ^\S+@\S+\.\S+$ (seed §2) */
	SCHEMA_T_INT,
	SCHEMA_T_NUMBER,
	SCHEMA_T_BOOL,
	SCHEMA_T_OBJECT,
	SCHEMA_T_ARRAY,
	SCHEMA_T_DATE, /* ISO 8601 string (or ms number), rendered back as ISO text */
};

struct schema;

struct schema_field {
	const char *name;
	const struct schema *schema;
};

struct schema {
	enum schema_type type;
	bool optional; /* missing, null (and "" for strings) allowed: removed from output */
	bool nullable; /* null allowed and kept as null (seed: "string | null") */
	/* strings (STRING): lengths in bytes. min_len 0 means the default of 1; set
	 * allow_empty for a real minimum of 0. max_len 0 = unlimited. */
	int min_len, max_len;
	bool allow_empty;
	bool trim, lower;
	const char *const *one_of;     /* NULL-terminated allowed values (strings) */
	const char *const *disallowed; /* NULL-terminated forbidden substrings */
	/* INT / NUMBER: inclusive range, used when has_range (ints default to +-2^31-1) */
	bool has_range;
	int64_t min, max;
	/* OBJECT */
	const struct schema_field *fields; /* terminated by {NULL, NULL} */
	bool loose;                        /* unknown keys allowed (and dropped) */
	/* ARRAY: item schema; min_len/max_len bound the number of items (0 = none) */
	const struct schema *items;
	/* BOOL: only the values true/false are valid when set (the "oneOf" literal) */
	const struct schema *ref; /* follow another schema (for reuse), with optional/nullable
	                             of this node overriding */
};

#define SCHEMA_FIELD(n, s)                                                                         \
	{                                                                                          \
		(n), (s)                                                                           \
	}
#define SCHEMA_OBJECT(...)                                                                         \
	{                                                                                          \
		.type = SCHEMA_T_OBJECT, .fields = (const struct schema_field[])                   \
		{                                                                                  \
			__VA_ARGS__,                                                               \
			{                                                                          \
				NULL, NULL                                                         \
			}                                                                          \
		}                                                                                  \
	}
#define SCHEMA_EMPTY_OBJECT()                                                                      \
	{                                                                                          \
		.type = SCHEMA_T_OBJECT, .fields = (const struct schema_field[])                   \
		{                                                                                  \
			{                                                                          \
				NULL, NULL                                                         \
			}                                                                          \
		}                                                                                  \
	}
/* Pointers to anonymous static schemas, for use inside SCHEMA_FIELD / .items: */
#define SCHEMA_P(...)      (&(const struct schema){ __VA_ARGS__ })
#define SCHEMA_STRING(...) SCHEMA_P(.type = SCHEMA_T_STRING, __VA_ARGS__)
#define SCHEMA_UUID(...)   SCHEMA_P(.type = SCHEMA_T_UUID, __VA_ARGS__)
#define SCHEMA_EMAIL(...)  SCHEMA_P(.type = SCHEMA_T_EMAIL, __VA_ARGS__)
#define SCHEMA_INT(...)    SCHEMA_P(.type = SCHEMA_T_INT, __VA_ARGS__)
#define SCHEMA_BOOL(...)   SCHEMA_P(.type = SCHEMA_T_BOOL, __VA_ARGS__)
#define SCHEMA_DATE(...)   SCHEMA_P(.type = SCHEMA_T_DATE, __VA_ARGS__)
#define SCHEMA_ANY(...)    SCHEMA_P(.type = SCHEMA_T_ANY, __VA_ARGS__)
#define SCHEMA_ENUM(...)                                                                           \
	SCHEMA_P(.type = SCHEMA_T_STRING, .one_of = (const char *const[]){ __VA_ARGS__, NULL })
#define SCHEMA_OPT_ENUM(...)                                                                       \
	SCHEMA_P(.type = SCHEMA_T_STRING, .optional = true,                                        \
	         .one_of = (const char *const[]){ __VA_ARGS__, NULL })
#define SCHEMA_ARRAY(item, ...) SCHEMA_P(.type = SCHEMA_T_ARRAY, .items = (item), __VA_ARGS__)
#define SCHEMA_OBJ(...)                                                                            \
	SCHEMA_P(.type = SCHEMA_T_OBJECT,                                                          \
	         .fields = (const struct schema_field[]){ __VA_ARGS__, { NULL, NULL } })
#define SCHEMA_OPT_OBJ(...)                                                                        \
	SCHEMA_P(.type = SCHEMA_T_OBJECT, .optional = true,                                        \
	         .fields = (const struct schema_field[]){ __VA_ARGS__, { NULL, NULL } })
/* A reference to a named schema, optional or not. */
#define SCHEMA_REF(p)     SCHEMA_P(.ref = (p))
#define SCHEMA_OPT_REF(p) SCHEMA_P(.ref = (p), .optional = true)

/* Shared template types (seed-api §2). */
extern const struct schema schema_login_device;         /* session.loginDevice */
extern const struct schema schema_web_push_information; /* webPushInformation */

/* Validate input (borrowed; NULL = missing) against s. On success returns the coerced
 * copy (caller owns; NULL when an optional root is absent). On failure returns NULL and
 * sets *errp to 400 validator.error with every problem keyed by path. */
cJSON *validate(const struct schema *s, const cJSON *input, struct err **errp);

#endif
