/* Unit tests of the api's pure parts: HS256 JWTs, base64url, router path matching,
 * the validator's error map, and tenant resolution. */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "b64url.h"
#include "jwt.h"
#include "json.h"
#include "router.h"
#include "tenant.h"
#include "validate.h"

#define KEY "unit-test-signing-key-0123456789"

static char *
make_token(double exp, const char *claim)
{
	static char out[JWT_MAX_LEN];
	cJSON *p = json_object();

	cJSON_AddNumberToObject(p, "exp", exp);
	cJSON_AddStringToObject(p, "compasSessionAccessToken", claim);
	ck_assert_uint_gt(jwt_sign(p, KEY, out), 0);
	cJSON_Delete(p);
	return out;
}

START_TEST(jwt_roundtrip)
{
	struct err *e = NULL;
	char *t = make_token(2000000000, "abc");
	cJSON *p = jwt_verify(t, KEY, 1000, &e);

	ck_assert_ptr_null(e);
	ck_assert_ptr_nonnull(p);
	ck_assert_str_eq(cJSON_GetObjectItem(p, "compasSessionAccessToken")->valuestring, "abc");
	/* header is exactly the template's */
	ck_assert(strncmp(t, "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.", 37) == 0);
	cJSON_Delete(p);
}
END_TEST

START_TEST(jwt_bad_signature)
{
	struct err *e = NULL;
	char t[JWT_MAX_LEN];
	size_t n;

	strcpy(t, make_token(2000000000, "abc"));
	n = strlen(t);
	t[n - 2] = t[n - 2] == 'A' ? 'B' : 'A';
	ck_assert_ptr_null(jwt_verify(t, KEY, 1000, &e));
	ck_assert_str_eq(e->key, "sessionStore.verifyAndDecodeJWT.invalidToken");
	ck_assert_int_eq(e->status, 401);
	err_free(e);
	/* right token, wrong key */
	ck_assert_ptr_null(
	    jwt_verify(make_token(2000000000, "abc"), "another-key-0123456789", 1000, &e));
	ck_assert_str_eq(e->key, "sessionStore.verifyAndDecodeJWT.invalidToken");
	err_free(e);
}
END_TEST

START_TEST(jwt_expired)
{
	struct err *e = NULL;

	ck_assert_ptr_null(jwt_verify(make_token(100, "abc"), KEY, 100001, &e));
	ck_assert_str_eq(e->key, "sessionStore.verifyAndDecodeJWT.expiredToken");
	ck_assert_int_eq(e->status, 401);
	err_free(e);
}
END_TEST

START_TEST(jwt_alg_none_rejected)
{
	struct err *e = NULL;
	char t[JWT_MAX_LEN], *p = t;
	const char *hdr = "{\"alg\":\"none\",\"typ\":\"JWT\"}";
	const char *pl = "{\"exp\":2000000000,\"compasSessionAccessToken\":\"abc\"}";

	p += b64url_encode(hdr, strlen(hdr), p);
	*p++ = '.';
	p += b64url_encode(pl, strlen(pl), p);
	*p++ = '.';
	*p = '\0';
	ck_assert_ptr_null(jwt_verify(t, KEY, 1000, &e));
	ck_assert_str_eq(e->key, "sessionStore.verifyAndDecodeJWT.invalidToken");
	err_free(e);
	/* same with a signature segment that is not ours */
	strcpy(p, "c2lnbmF0dXJl");
	ck_assert_ptr_null(jwt_verify(t, KEY, 1000, &e));
	ck_assert_str_eq(e->key, "sessionStore.verifyAndDecodeJWT.invalidToken");
	err_free(e);
}
END_TEST

START_TEST(jwt_missing_token)
{
	const char *bad[] = { NULL, "", "abc", "a.b", "a.b.c.d", "abcdefg" };

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct err *e = NULL;

		ck_assert_ptr_null(jwt_verify(bad[i], KEY, 1000, &e));
		ck_assert_str_eq(e->key, "sessionStore.verifyAndDecodeJWT.missingToken");
		err_free(e);
	}
}
END_TEST

START_TEST(b64url_roundtrip)
{
	const char *in = "\xff\xfe\x00hello?>";
	char enc[64], dec[64];
	ssize_t n;

	b64url_encode(in, 9, enc);
	ck_assert(strchr(enc, '+') == NULL && strchr(enc, '/') == NULL && strchr(enc, '=') == NULL);
	n = b64url_decode(enc, strlen(enc), dec);
	ck_assert_int_eq(n, 9);
	ck_assert(memcmp(in, dec, 9) == 0);
	ck_assert_int_eq(b64url_decode("a*bc", 4, dec), -1);
}
END_TEST

static struct err *
dummy(struct api_ctx *c, cJSON **r)
{
	(void)c;
	(void)r;
	return NULL;
}

static const struct api_route test_routes[] = {
	{ "GET", "/auth/user/:user", "a", dummy, "none", NULL, NULL, NULL },
	{ "GET", "/auth/user/list", "b", dummy, "none", NULL, NULL, NULL },
	{ "PUT", "/auth/user/:user/update", "c", dummy, "none", NULL, NULL, NULL },
	{ "GET", "/auth/me", "d", dummy, "none", NULL, NULL, NULL },
	{ "POST", "/auth/permission/role/:role/add-permissions", "e", dummy, "none", NULL, NULL,
	  NULL },
};
static const struct api_route_group test_group = API_ROUTE_GROUP(test_routes);
static const struct api_route_group *const test_groups[] = { &test_group, NULL };

START_TEST(router_matching)
{
	struct router *r = router_new(test_groups);
	struct router_match m;

	ck_assert(router_match(r, "GET", "/auth/me", &m));
	ck_assert_str_eq(m.route->name, "d");
	ck_assert(router_match(r, "GET", "/auth/me/", &m));  /* trailing slash ignored */
	ck_assert(router_match(r, "GET", "//auth//me", &m)); /* empty segments ignored */
	ck_assert(!router_match(r, "POST", "/auth/me", &m)); /* method matters */
	ck_assert(!router_match(r, "GET", "/auth/ME", &m));  /* case-sensitive */
	ck_assert(router_match(r, "GET", "/auth/user/list", &m));
	ck_assert_str_eq(m.route->name, "b"); /* static wins over :param */
	ck_assert(router_match(r, "GET", "/auth/user/1234", &m));
	ck_assert_str_eq(m.route->name, "a");
	ck_assert_int_eq(m.nparams, 1);
	ck_assert_str_eq(m.names[0], "user");
	ck_assert_str_eq(m.values[0], "1234");
	ck_assert(router_match(r, "PUT", "/auth/user/x%20y/update", &m));
	ck_assert_str_eq(m.values[0], "x%20y");
	ck_assert(router_match(r, "POST", "/auth/permission/role/r1/add-permissions", &m));
	ck_assert_str_eq(m.names[0], "role");
	ck_assert(!router_match(r, "GET", "/auth/user/1234/extra", &m));
	ck_assert(!router_match(r, "GET", "/", &m));
	router_free(r);
}
END_TEST

static const struct schema nested = SCHEMA_OBJECT(
    SCHEMA_FIELD("email", SCHEMA_EMAIL()), SCHEMA_FIELD("id", SCHEMA_UUID(.optional = true)),
    SCHEMA_FIELD("count", SCHEMA_INT(.optional = true, .has_range = true, .min = 1, .max = 5)),
    SCHEMA_FIELD("flag", SCHEMA_BOOL(.optional = true)),
    SCHEMA_FIELD("name", SCHEMA_STRING(.optional = true, .nullable = true, .max_len = 3)),
    SCHEMA_FIELD("tags", SCHEMA_ARRAY(SCHEMA_STRING(), .optional = true)),
    SCHEMA_FIELD("device", SCHEMA_OPT_REF(&schema_login_device)));

static cJSON *
run(const char *json, struct err **e)
{
	cJSON *in = cJSON_Parse(json), *out = validate(&nested, in, e);

	cJSON_Delete(in);
	return out;
}

static const char *
info_key(const struct err *e, const char *path)
{
	return cJSON_GetObjectItem(cJSON_GetObjectItemCaseSensitive(e->info, path), "key")
	    ->valuestring;
}

START_TEST(validate_ok_and_coerced)
{
	struct err *e = NULL;
	cJSON *out =
	    run("{\"email\":\" A@B.NL \",\"id\":\"0123456789ABCDEF0123456789abcdef\","
	        "\"count\":\"3\",\"flag\":\"1\",\"name\":\"\",\"tags\":\"x\",\"extra\":null}",
	        &e);
	char *s;

	ck_assert_ptr_null(e);
	s = json_print(out);
	ck_assert_str_eq(s, "{\"email\":\"a@b.nl\",\"id\":\"01234567-89ab-cdef-0123-456789abcdef\","
	                    "\"count\":3,\"flag\":true,\"name\":null,\"tags\":[\"x\"]}");
	free(s);
	cJSON_Delete(out);
}
END_TEST

START_TEST(validate_error_map)
{
	struct err *e = NULL;
	cJSON *out =
	    run("{\"email\":5,\"id\":\"nope\",\"count\":9,\"flag\":\"maybe\",\"name\":\"long\","
	        "\"tags\":[\"a\",\"\"],\"device\":{\"platform\":\"pc\",\"keys\":1},"
	        "\"zzz\":1}",
	        &e);

	ck_assert_ptr_null(out);
	ck_assert_ptr_nonnull(e);
	ck_assert_str_eq(e->key, "validator.error");
	ck_assert_int_eq(e->status, 400);
	ck_assert_str_eq(info_key(e, "$.email"), "validator.string");
	ck_assert_str_eq(info_key(e, "$.id"), "validator.pattern");
	ck_assert_str_eq(info_key(e, "$.count"), "validator.range");
	ck_assert_str_eq(info_key(e, "$.flag"), "validator.type");
	ck_assert_str_eq(info_key(e, "$.name"), "validator.length");
	ck_assert_int_eq(
	    cJSON_GetObjectItem(cJSON_GetObjectItem(e->info, "$.name"), "maxLength")->valueint, 3);
	ck_assert_str_eq(info_key(e, "$.tags.1"), "validator.length");
	ck_assert_str_eq(info_key(e, "$.device.platform"), "validator.oneOf");
	ck_assert_str_eq(info_key(e, "$.device.name"), "validator.undefined");
	ck_assert_str_eq(info_key(e, "$.device"), "validator.keys");
	ck_assert_str_eq(info_key(e, "$"), "validator.keys");
	ck_assert_str_eq(
	    cJSON_GetArrayItem(
	        cJSON_GetObjectItem(cJSON_GetObjectItem(e->info, "$"), "unknownKeys"), 0)
	        ->valuestring,
	    "zzz");
	err_free(e);
	/* missing body */
	out = validate(&nested, NULL, &e);
	ck_assert_ptr_null(out);
	ck_assert_str_eq(info_key(e, "$"), "validator.undefined");
	err_free(e);
	/* not an object */
	out = run("[1]", &e);
	ck_assert_str_eq(info_key(e, "$"), "validator.object");
	err_free(e);
}
END_TEST

START_TEST(tenant_resolution)
{
	struct tenant_config tc;
	struct tenant_resolved tr;
	char path[512];
	struct err *e;

	snprintf(path, sizeof(path), "%s/tests/api/tenants.json", getenv("TEST_SOURCE_ROOT"));
	ck_assert_ptr_null(tenant_config_load(path, "acceptance", &tc));
	ck_assert_int_eq(tc.ntenants, 2); /* "disabled" has no acceptance url */
	ck_assert(tc.unique_api_urls);
	strcpy(tc.tenants[0].id, "00000000-0000-4000-8000-000000000001");
	strcpy(tc.tenants[1].id, "00000000-0000-4000-8000-000000000002");
	e = tenant_resolve(&tc, true, "http", "localhost:3000", NULL, "second.acc.lightbase.nl",
	                   &tr);
	ck_assert_ptr_null(e);
	ck_assert_str_eq(tr.tenant->name, "second");
	ck_assert_str_eq(tr.public_url, "https://second.acc.lightbase.nl");
	ck_assert_str_eq(tr.api_url, "http://localhost:3000");
	e = tenant_resolve(&tc, true, "http", "api.scaffold.acc.lightbase.nl", NULL, NULL, &tr);
	ck_assert_ptr_null(e);
	ck_assert_str_eq(tr.tenant->name, "scaffold");
	ck_assert_str_eq(tr.public_url, "http://scaffold.acc.lightbase.nl");
	/* a port on Host is ignored for the api url lookup */
	e = tenant_resolve(&tc, true, "http", "api.second.acc.lightbase.nl:3000", NULL, NULL, &tr);
	ck_assert_ptr_null(e);
	ck_assert_str_eq(tr.tenant->name, "second");
	ck_assert_str_eq(tr.api_url, "http://api.second.acc.lightbase.nl:3000");
	e = tenant_resolve(&tc, true, "http", "", NULL, NULL, &tr);
	ck_assert_str_eq(e->key, "multitenant.require.missingHostHeader");
	err_free(e);
	e = tenant_resolve(&tc, true, "http", "x", NULL, "nope.example", &tr);
	ck_assert_str_eq(e->key, "multitenant.require.invalidTenant");
	err_free(e);
	/* production with unique api urls ignores the headers */
	e = tenant_resolve(&tc, false, "https", "x", NULL, "second.acc.lightbase.nl", &tr);
	ck_assert_str_eq(e->key, "multitenant.require.invalidTenant");
	err_free(e);
	tenant_config_free(&tc);
	e = tenant_config_load(path, "staging", &tc);
	ck_assert_ptr_nonnull(e);
	err_free(e);
}
END_TEST

static Suite *
api_unit_suite(void)
{
	Suite *s = suite_create("api-unit");
	TCase *tc = tcase_create("api-unit");

	tcase_add_test(tc, jwt_roundtrip);
	tcase_add_test(tc, jwt_bad_signature);
	tcase_add_test(tc, jwt_expired);
	tcase_add_test(tc, jwt_alg_none_rejected);
	tcase_add_test(tc, jwt_missing_token);
	tcase_add_test(tc, b64url_roundtrip);
	tcase_add_test(tc, router_matching);
	tcase_add_test(tc, validate_ok_and_coerced);
	tcase_add_test(tc, validate_error_map);
	tcase_add_test(tc, tenant_resolution);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(api_unit_suite());
	int failed;

	srunner_run_all(sr, CK_ENV);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? 0 : 1;
}
