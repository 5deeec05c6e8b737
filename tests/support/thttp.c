/* libcurl + cJSON test client and a real platform-api per test (see thttp.h). */
#include "thttp.h"

#include <arpa/inet.h>
#include <check.h>
#include <ctype.h>
#include <curl/curl.h>
#include <dirent.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <unistd.h>

#include "tsupport.h"

struct thttp_buf {
	char *p;
	size_t n;
};

static size_t
thttp_collect(char *data, size_t size, size_t nmemb, void *arg)
{
	struct thttp_buf *b = arg;
	size_t add = size * nmemb;
	char *np = realloc(b->p, b->n + add + 1);

	if (np == NULL)
		abort();
	b->p = np;
	memcpy(b->p + b->n, data, add);
	b->n += add;
	b->p[b->n] = '\0';
	return add;
}

static bool
thttp_has_header(const char *const *headers, const char *name)
{
	size_t n = strlen(name);

	for (size_t i = 0; headers != NULL && headers[i] != NULL; i++)
		if (strncasecmp(headers[i], name, n) == 0 && headers[i][n] == ':')
			return true;
	return false;
}

long
thttp_request(const char *method, const char *url, const char *const *headers, const char *body,
              size_t body_len, struct thttp_response *out)
{
	CURL *h = curl_easy_init();
	struct curl_slist *hl = NULL;
	struct thttp_buf b = { 0 }, hb = { 0 };

	memset(out, 0, sizeof(*out));
	if (h == NULL)
		abort();
	for (size_t i = 0; headers != NULL && headers[i] != NULL; i++)
		hl = curl_slist_append(hl, headers[i]);
	if (body != NULL && !thttp_has_header(headers, "Content-Type"))
		hl = curl_slist_append(hl, "Content-Type: application/json");
	hl = curl_slist_append(hl, "Expect:");
	curl_easy_setopt(h, CURLOPT_URL, url);
	curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, method);
	curl_easy_setopt(h, CURLOPT_HTTPHEADER, hl);
	curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(h, CURLOPT_TIMEOUT, 60L);
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, thttp_collect);
	curl_easy_setopt(h, CURLOPT_WRITEDATA, &b);
	curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, thttp_collect);
	curl_easy_setopt(h, CURLOPT_HEADERDATA, &hb);
	if (strcmp(method, "HEAD") == 0)
		curl_easy_setopt(h, CURLOPT_NOBODY, 1L);
	if (body != NULL) {
		curl_easy_setopt(h, CURLOPT_POSTFIELDS, body);
		curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE, (long)body_len);
	}
	if (curl_easy_perform(h) == CURLE_OK)
		curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &out->status);
	curl_slist_free_all(hl);
	curl_easy_cleanup(h);
	out->body = b.p != NULL ? b.p : strdup("");
	out->headers = hb.p != NULL ? hb.p : strdup("");
	out->json = cJSON_Parse(out->body);
	return out->status;
}

void
thttp_response_free(struct thttp_response *r)
{
	free(r->body);
	free(r->headers);
	cJSON_Delete(r->json);
	memset(r, 0, sizeof(*r));
}

bool
thttp_header(const struct thttp_response *r, const char *name, char *buf, size_t len)
{
	size_t n = strlen(name);

	for (const char *line = r->headers; line != NULL && *line != '\0';) {
		const char *eol = strstr(line, "\r\n");
		size_t ll = eol != NULL ? (size_t)(eol - line) : strlen(line);

		if (ll > n && strncasecmp(line, name, n) == 0 && line[n] == ':') {
			const char *v = line + n + 1;
			size_t vl;

			while (*v == ' ')
				v++;
			vl = ll - (size_t)(v - line);
			snprintf(buf, len, "%.*s", (int)vl, v);
			return true;
		}
		line = eol != NULL ? eol + 2 : NULL;
	}
	return false;
}

/* ---- the daemon ---- */

static void
tapi_apply_sql(PGconn *db, const char *root)
{
	const char *files[] = { "001-compas-store.sql", "002-lpc-backend.sql",
		                "003-user-settings.sql", "004-platform-queue.sql", NULL };

	for (size_t i = 0; files[i] != NULL; i++) {
		char path[512];
		char *sql;
		PGresult *r;

		snprintf(path, sizeof(path), "%s/migrations/%s", root, files[i]);
		sql = tsupport_read_file(path);
		if (sql == NULL) {
			fprintf(stderr, "thttp: cannot read %s\n", path);
			abort();
		}
		r = PQexec(db, sql);
		if (PQresultStatus(r) != PGRES_COMMAND_OK && PQresultStatus(r) != PGRES_TUPLES_OK) {
			fprintf(stderr, "thttp: %s: %s", path, PQresultErrorMessage(r));
			abort();
		}
		PQclear(r);
		free(sql);
	}
}

static void
tapi_migrate(struct tapi *api, const char *root)
{
	const char *mig = getenv("TEST_MIGRATE_EXE");
	char dir[512];

	if (mig != NULL && access(mig, X_OK) == 0) {
		char *argv[] = { (char *)mig, "--dir", dir, NULL };
		int rc;

		snprintf(dir, sizeof(dir), "%s/migrations", root);
		rc = tsupport_run(argv, api->log_path, 120000);
		if (rc != 0) {
			fprintf(stderr, "thttp: platform-migrate exited %d\n", rc);
			abort();
		}
		return;
	}
	tapi_apply_sql(api->db, root);
}

static bool
tapi_healthy(const struct tapi *api)
{
	struct thttp_response r;
	char url[128];
	long st;

	snprintf(url, sizeof(url), "%s/_health", api->base);
	st = thttp_request("GET", url, NULL, NULL, 0, &r);
	thttp_response_free(&r);
	return st == 200;
}

static void
tapi_wait_ready(struct tapi *api)
{
	for (int i = 0; i < 1500; i++) {
		if (tapi_healthy(api))
			return;
		if (waitpid(api->pid, NULL, WNOHANG) == api->pid) {
			char *log = tapi_log(api);

			fprintf(stderr, "thttp: platform-api exited during start-up:\n%s\n",
			        log != NULL ? log : "");
			free(log);
			abort();
		}
		tsupport_sleep_ms(20);
	}
	fprintf(stderr, "thttp: platform-api did not answer /_health\n");
	abort();
}

void
tapi_start(struct tapi *api, const char *const *env)
{
	const char *root = getenv("TEST_SOURCE_ROOT");
	char port[16], tenants[512];
	char *argv[] = { (char *)tsupport_exe("TEST_API_EXE"), NULL };

	tsupport_require_pg();
	if (root == NULL)
		root = ".";
	memset(api, 0, sizeof(*api));
	curl_global_init(CURL_GLOBAL_DEFAULT);
	snprintf(api->dir, sizeof(api->dir), "/tmp/tapi-XXXXXX");
	if (mkdtemp(api->dir) == NULL)
		abort();
	snprintf(api->log_path, sizeof(api->log_path), "%s/api.log", api->dir);
	api->dbname = tsupport_db_create("api");
	api->db = tsupport_db_connect(api->dbname);
	tsupport_env_for_db(api->dbname);
	tapi_migrate(api, root);
	api->port = tsupport_free_port();
	snprintf(port, sizeof(port), "%d", api->port);
	snprintf(api->base, sizeof(api->base), "http://127.0.0.1:%d", api->port);
	snprintf(tenants, sizeof(tenants), "%s/tests/api/tenants.json", root);
	setenv("PORT", port, 1);
	setenv("PLATFORM_API_LISTEN", "127.0.0.1", 1);
	setenv("PLATFORM_API_TENANTS_FILE", tenants, 1);
	setenv("PLATFORM_API_WORKERS", "2", 1);
	setenv("LPC_BACKEND_ENVIRONMENT", "acceptance", 1);
	for (size_t i = 0; env != NULL && env[i] != NULL; i++) {
		char *kv = strdup(env[i]), *eq = strchr(kv, '=');

		if (eq != NULL) {
			*eq = '\0';
			setenv(kv, eq + 1, 1);
		}
		free(kv);
	}
	api->pid = tsupport_spawn(argv, api->log_path);
	tapi_wait_ready(api);
}

void
tapi_signal_term(struct tapi *api)
{
	if (api->pid > 0)
		kill(api->pid, SIGTERM);
}

int
tapi_stop(struct tapi *api)
{
	int st = -1, rc;
	char cmd[256];

	if (api->pid > 0) {
		kill(api->pid, SIGTERM);
		st = tsupport_wait(api->pid, 30000);
		if (st == -1) {
			kill(api->pid, SIGKILL);
			waitpid(api->pid, NULL, 0);
		}
		api->pid = 0;
	}
	rc = st == -1 ? -1 : WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
	if (api->db != NULL)
		PQfinish(api->db);
	api->db = NULL;
	if (api->dbname != NULL)
		tsupport_db_drop(api->dbname);
	free(api->dbname);
	api->dbname = NULL;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", api->dir);
	if (api->dir[0] != '\0' && system(cmd) != 0)
		fprintf(stderr, "thttp: cannot remove %s\n", api->dir);
	curl_global_cleanup();
	return rc;
}

static const char *const *
tapi_headers(const char *const *headers, const char **buf, size_t cap)
{
	size_t n = 0;
	bool tenant = thttp_has_header(headers, "x-lpc-tenant-origin") ||
	              thttp_has_header(headers, "Origin") ||
	              thttp_has_header(headers, "X-No-Tenant");

	for (size_t i = 0; headers != NULL && headers[i] != NULL && n + 2 < cap; i++)
		buf[n++] = headers[i];
	if (!tenant)
		buf[n++] = "x-lpc-tenant-origin: scaffold.acc.lightbase.nl";
	buf[n] = NULL;
	return buf;
}

int
thttp_full(const struct tapi *api, const char *method, const char *path, const char *const *headers,
           const char *body, struct thttp_response *out)
{
	char url[2048];
	const char *hb[32];

	snprintf(url, sizeof(url), "%s%s", api->base, path);
	return (int)thttp_request(method, url, tapi_headers(headers, hb, 32), body,
	                          body != NULL ? strlen(body) : 0, out);
}

int
thttp_json(const struct tapi *api, const char *method, const char *path, const char *const *headers,
           const char *body, cJSON **json)
{
	struct thttp_response r;
	int st = thttp_full(api, method, path, headers, body, &r);

	cJSON_Delete(*json);
	*json = r.json;
	r.json = NULL;
	thttp_response_free(&r);
	return st;
}

char *
tapi_log(const struct tapi *api)
{
	return tsupport_read_file(api->log_path);
}

bool
tapi_log_contains(const struct tapi *api, const char *needle)
{
	/* A worker writes its lines at the end of its loop turn, just after the response:
	 * give it up to 2 s. */
	for (int i = 0; i < 200; i++) {
		char *log = tapi_log(api);
		bool found = log != NULL && strstr(log, needle) != NULL;

		free(log);
		if (found)
			return true;
		tsupport_sleep_ms(10);
	}
	return false;
}

const char *
tapi_bearer(char *buf, const char *token)
{
	snprintf(buf, 600, "Authorization: Bearer %s", token);
	return buf;
}

void
tapi_login_anonymous(const struct tapi *api, char *access, char *refresh)
{
	cJSON *j = NULL;
	char body[256];
	const char *tok;
	int st = thttp_json(api, "POST", "/scaffold/create-user", NULL, NULL, &j);

	if (st != 200 || (tok = cJSON_GetStringValue(cJSON_GetObjectItem(j, "loginToken"))) == NULL)
		abort();
	snprintf(body, sizeof(body), "{\"token\":\"%s\"}", tok);
	st = thttp_json(api, "POST", "/auth/anonymous-based/login", NULL, body, &j);
	if (st != 200)
		abort();
	snprintf(access, 512, "%s", cJSON_GetStringValue(cJSON_GetObjectItem(j, "accessToken")));
	snprintf(refresh, 512, "%s", cJSON_GetStringValue(cJSON_GetObjectItem(j, "refreshToken")));
	cJSON_Delete(j);
}

void
tapi_user_id(const struct tapi *api, const char *access, char *out)
{
	char hb[600];
	const char *h[] = { tapi_bearer(hb, access), NULL };
	cJSON *j = NULL;
	const char *id;

	if (thttp_json(api, "GET", "/auth/me", h, NULL, &j) != 200)
		abort();
	id = cJSON_GetStringValue(cJSON_GetObjectItem(cJSON_GetObjectItem(j, "session"), "userId"));
	snprintf(out, 37, "%s", id != NULL ? id : "");
	cJSON_Delete(j);
}

int
tapi_raw_connect(const struct tapi *api)
{
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons((uint16_t)api->port) };
	struct timeval tv = { 10, 0 };
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	ck_assert_int_ge(fd, 0);
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	ck_assert_int_eq(setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)), 0);
	ck_assert_int_eq(connect(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	return fd;
}

void
tapi_raw_send(int fd, const char *s)
{
	ck_assert_int_eq(write(fd, s, strlen(s)), (int)strlen(s));
}
