/* S3 storage backend: one libcurl easy handle per request, SigV4 signing by libcurl
 * (CURLOPT_AWS_SIGV4) with the configured region. libcurl 7.88 neither adds
 * x-amz-content-sha256 nor sorts the query, so we send the payload hash ourselves and
 * build every query already sorted and percent-encoded. */
#include "storage_s3.h"

#include <ctype.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <curl/curl.h>
#include <openssl/evp.h>

#include "fatal.h"
#include "storage_xml.h"

struct storage_s3 {
	char *endpoint; /* scheme://host[:port][/path], no trailing slash */
	char *bucket;
	char *region;
	char *sigv4; /* "aws:amz:<region>:s3" */
	char *access_key;
	char *secret_key;
};

struct storage_s3_req {
	const char *method; /* GET, PUT, HEAD or DELETE */
	const char *key;    /* NULL for bucket requests */
	const char *query;  /* sorted and percent-encoded, or NULL */
	const void *body;   /* PUT only */
	size_t body_len;
	const char *content_type; /* PUT only */
	size_t max_response;      /* larger answers fail the request */
};

struct storage_s3_resp {
	long status;
	char *body; /* NUL-terminated, may be NULL when empty */
	size_t len, cap, max;
	bool overflow;
	long long content_length; /* -1 when unknown */
};

struct storage_s3_upload {
	const char *p;
	size_t len, off;
};

#define STORAGE_S3_ERROR_MAX  (64 * 1024)
#define STORAGE_S3_LIST_MAX   (8 * 1024 * 1024)
#define STORAGE_S3_LIST_PAGE  1000
#define STORAGE_S3_CONNECT_MS 10000L
#define STORAGE_S3_TOTAL_MS   600000L

static bool
storage_s3_bucket_ok(const char *b)
{
	size_t n = strlen(b);

	if (n < 3 || n > 63 || !isalnum((unsigned char)b[0]) || !isalnum((unsigned char)b[n - 1]))
		return false;
	for (size_t i = 0; i < n; i++)
		if (!((b[i] >= 'a' && b[i] <= 'z') || (b[i] >= '0' && b[i] <= '9') || b[i] == '-' ||
		      b[i] == '.'))
			return false;
	return true;
}

static bool
storage_s3_region_ok(const char *r)
{
	if (r == NULL || r[0] == '\0' || strlen(r) > 40)
		return false;
	for (; *r != '\0'; r++)
		if (!((*r >= 'a' && *r <= 'z') || (*r >= '0' && *r <= '9') || *r == '-'))
			return false;
	return true;
}

static bool
storage_s3_endpoint_ok(const char *e)
{
	if (strncmp(e, "http://", 7) != 0 && strncmp(e, "https://", 8) != 0)
		return false;
	for (; *e != '\0'; e++)
		if ((unsigned char)*e <= ' ' || *e == '?' || *e == '#' || *e == 0x7f)
			return false;
	return true;
}

static bool
storage_s3_content_type_ok(const char *t)
{
	if (t[0] == '\0' || strlen(t) > 255)
		return false;
	for (; *t != '\0'; t++)
		if ((unsigned char)*t < ' ' || *t == 0x7f)
			return false;
	return true;
}

void
storage_s3_free(struct storage_s3 *s3)
{
	if (s3 == NULL)
		return;
	free(s3->endpoint);
	free(s3->bucket);
	free(s3->region);
	free(s3->sigv4);
	free(s3->access_key);
	if (s3->secret_key != NULL)
		memset(s3->secret_key, 0, strlen(s3->secret_key));
	free(s3->secret_key);
	free(s3);
}

static size_t
storage_s3_write_cb(char *ptr, size_t size, size_t nmemb, void *userdata)
{
	struct storage_s3_resp *rs = userdata;
	size_t n = size * nmemb;

	if (n > rs->max - rs->len) {
		rs->overflow = true;
		return 0; /* aborts the transfer with CURLE_WRITE_ERROR */
	}
	if (rs->len + n + 1 > rs->cap) {
		size_t cap = rs->cap == 0 ? 4096 : rs->cap;

		while (cap < rs->len + n + 1)
			cap *= 2;
		rs->body = realloc(rs->body, cap);
		if (rs->body == NULL)
			fatal_oom();
		rs->cap = cap;
	}
	memcpy(rs->body + rs->len, ptr, n);
	rs->len += n;
	rs->body[rs->len] = '\0';
	return n;
}

static size_t
storage_s3_read_cb(char *buf, size_t size, size_t nitems, void *userdata)
{
	struct storage_s3_upload *up = userdata;
	size_t n = size * nitems;

	if (n > up->len - up->off)
		n = up->len - up->off;
	memcpy(buf, up->p + up->off, n);
	up->off += n;
	return n;
}

static int
storage_s3_seek_cb(void *userdata, curl_off_t offset, int origin)
{
	struct storage_s3_upload *up = userdata;

	if (origin != SEEK_SET || offset < 0 || (size_t)offset > up->len)
		return CURL_SEEKFUNC_CANTSEEK;
	up->off = (size_t)offset;
	return CURL_SEEKFUNC_OK;
}

static void
storage_s3_sha256_hex(const void *data, size_t len, char out[65])
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;

	if (EVP_Digest(data, len, md, &mdlen, EVP_sha256(), NULL) != 1 || mdlen != 32)
		fatal("storage: SHA-256 failed");
	for (unsigned int i = 0; i < mdlen; i++)
		snprintf(out + 2 * i, 3, "%02x", md[i]);
}

/* Percent-encode everything but the RFC 3986 unreserved characters, as SigV4 requires. */
static void
storage_s3_uri_encode(const char *s, char *out, size_t outsz)
{
	size_t o = 0;

	for (; *s != '\0' && o + 4 < outsz; s++) {
		unsigned char c = (unsigned char)*s;

		if (isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~')
			out[o++] = (char)c;
		else
			o += (size_t)snprintf(out + o, outsz - o, "%%%02X", c);
	}
	out[o] = '\0';
}

static struct curl_slist *
storage_s3_header(struct curl_slist *list, const char *line)
{
	struct curl_slist *l = curl_slist_append(list, line);

	if (l == NULL)
		fatal_oom();
	return l;
}

/* Perform one signed request. Transport failures are errors; any HTTP status is returned
 * in rs for the caller to judge. */
static struct err *
storage_s3_do(const struct storage_s3 *s3, const struct storage_s3_req *rq,
              struct storage_s3_resp *rs)
{
	char url[4096], hdr[512], hash[65], errbuf[CURL_ERROR_SIZE] = "";
	struct storage_s3_upload up = { rq->body, rq->body_len, 0 };
	struct curl_slist *headers = NULL;
	curl_off_t cl = -1;
	CURLcode rc;
	CURL *c;

	memset(rs, 0, sizeof(*rs));
	rs->max = rq->max_response;
	rs->content_length = -1;
	if ((size_t)snprintf(url, sizeof(url), "%s/%s%s%s%s%s", s3->endpoint, s3->bucket,
	                     rq->key != NULL ? "/" : "", rq->key != NULL ? rq->key : "",
	                     rq->query != NULL ? "?" : "",
	                     rq->query != NULL ? rq->query : "") >= sizeof(url))
		return err_internal("storage: s3 URL too long");
	c = curl_easy_init();
	if (c == NULL)
		return err_internal("storage: curl_easy_init failed");
	storage_s3_sha256_hex(rq->body != NULL ? rq->body : "", rq->body_len, hash);
	snprintf(hdr, sizeof(hdr), "x-amz-content-sha256: %s", hash);
	headers = storage_s3_header(headers, hdr);
	/* No "Expect:" override: libcurl 7.88 would sign it as an empty header it never sends,
	 * and the peer answers SignatureDoesNotMatch. */
	if (rq->content_type != NULL) {
		snprintf(hdr, sizeof(hdr), "Content-Type: %s", rq->content_type);
		headers = storage_s3_header(headers, hdr);
	}

	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(c, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 0L);
	curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, STORAGE_S3_CONNECT_MS);
	curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, STORAGE_S3_TOTAL_MS);
	/* A stalled peer fails after 30 s below 1 byte/s instead of waiting the full time. */
	curl_easy_setopt(c, CURLOPT_LOW_SPEED_LIMIT, 1L);
	curl_easy_setopt(c, CURLOPT_LOW_SPEED_TIME, 30L);
	curl_easy_setopt(c, CURLOPT_ERRORBUFFER, errbuf);
	curl_easy_setopt(c, CURLOPT_USERAGENT, "platform-storage/1");
	curl_easy_setopt(c, CURLOPT_AWS_SIGV4, s3->sigv4);
	curl_easy_setopt(c, CURLOPT_USERNAME, s3->access_key);
	curl_easy_setopt(c, CURLOPT_PASSWORD, s3->secret_key);
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, headers);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, storage_s3_write_cb);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, rs);
	if (strcmp(rq->method, "PUT") == 0) {
		curl_easy_setopt(c, CURLOPT_UPLOAD, 1L);
		curl_easy_setopt(c, CURLOPT_READFUNCTION, storage_s3_read_cb);
		curl_easy_setopt(c, CURLOPT_READDATA, &up);
		curl_easy_setopt(c, CURLOPT_SEEKFUNCTION, storage_s3_seek_cb);
		curl_easy_setopt(c, CURLOPT_SEEKDATA, &up);
		curl_easy_setopt(c, CURLOPT_INFILESIZE_LARGE, (curl_off_t)rq->body_len);
	} else if (strcmp(rq->method, "HEAD") == 0) {
		curl_easy_setopt(c, CURLOPT_NOBODY, 1L);
	} else if (strcmp(rq->method, "DELETE") == 0) {
		curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, "DELETE");
	}

	rc = curl_easy_perform(c);
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &rs->status);
	curl_easy_getinfo(c, CURLINFO_CONTENT_LENGTH_DOWNLOAD_T, &cl);
	rs->content_length = (long long)cl;
	curl_easy_cleanup(c);
	curl_slist_free_all(headers);
	if (rs->overflow) {
		free(rs->body);
		rs->body = NULL;
		return err_internal("storage: s3 %s %s: answer larger than %zu bytes", rq->method,
		                    rq->key != NULL ? rq->key : s3->bucket, rq->max_response);
	}
	if (rc != CURLE_OK) {
		free(rs->body);
		rs->body = NULL;
		return err_internal("storage: s3 %s %s: %s", rq->method,
		                    rq->key != NULL ? rq->key : s3->bucket,
		                    errbuf[0] != '\0' ? errbuf : curl_easy_strerror(rc));
	}
	return NULL;
}

/* The <Code> of an S3 error answer into code (empty when there is none). */
static void
storage_s3_error_code(const struct storage_s3_resp *rs, char *code, size_t codesz, char *msg,
                      size_t msgsz)
{
	const char *v;
	size_t vlen;
	char *t;

	code[0] = msg[0] = '\0';
	if (rs->body == NULL)
		return;
	if (storage_xml_find(rs->body, rs->body + rs->len, "Code", &v, &vlen, NULL) &&
	    (t = storage_xml_text(v, vlen)) != NULL) {
		snprintf(code, codesz, "%s", t);
		free(t);
	}
	if (storage_xml_find(rs->body, rs->body + rs->len, "Message", &v, &vlen, NULL) &&
	    (t = storage_xml_text(v, vlen)) != NULL) {
		snprintf(msg, msgsz, "%s", t);
		free(t);
	}
}

/* Turn an unexpected status into an error: a missing object is 404 error.server.notFound,
 * anything else a 500 naming the S3 error code (never the credentials). Frees rs. */
static struct err *
storage_s3_fail(const struct storage_s3 *s3, const struct storage_s3_req *rq,
                struct storage_s3_resp *rs)
{
	char code[128], msg[256];
	struct err *e;

	storage_s3_error_code(rs, code, sizeof(code), msg, sizeof(msg));
	if (rs->status == 404 && rq->key != NULL &&
	    (code[0] == '\0' || strcmp(code, "NoSuchKey") == 0))
		e = err_new("error.server.notFound", 404, NULL);
	else
		e = err_internal("storage: s3 %s %s/%s: HTTP %ld %s%s%s", rq->method, s3->bucket,
		                 rq->key != NULL ? rq->key : "", rs->status,
		                 code[0] != '\0' ? code : "(no error code)",
		                 msg[0] != '\0' ? ": " : "", msg);
	free(rs->body);
	rs->body = NULL;
	return e;
}

static struct err *
storage_s3_ensure_bucket(const struct storage_s3 *s3)
{
	/* ListObjectsV2 with max-keys=0 needs the same permission as HeadBucket but, unlike a
	 * HEAD, its error answer carries the S3 error code. */
	struct storage_s3_req probe = { .method = "GET",
		                        .query = "list-type=2&max-keys=0",
		                        .max_response = STORAGE_S3_ERROR_MAX };
	struct storage_s3_req create = { .method = "PUT", .max_response = STORAGE_S3_ERROR_MAX };
	struct storage_s3_resp rs;
	char body[512], code[128], msg[256];
	struct err *e;

	if ((e = storage_s3_do(s3, &probe, &rs)) != NULL)
		return e;
	if (rs.status == 200) {
		free(rs.body);
		return NULL;
	}
	storage_s3_error_code(&rs, code, sizeof(code), msg, sizeof(msg));
	if (rs.status != 404 || strcmp(code, "NoSuchBucket") != 0)
		return storage_s3_fail(s3, &probe, &rs);
	free(rs.body);
	/* us-east-1 is the one region that must not be named as LocationConstraint. */
	if (strcmp(s3->region, "us-east-1") != 0) {
		snprintf(body, sizeof(body),
		         "<CreateBucketConfiguration "
		         "xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\"><LocationConstraint>%s"
		         "</LocationConstraint></CreateBucketConfiguration>",
		         s3->region);
		create.body = body;
		create.body_len = strlen(body);
		create.content_type = "application/xml";
	}
	if ((e = storage_s3_do(s3, &create, &rs)) != NULL)
		return e;
	if (rs.status != 200)
		return storage_s3_fail(s3, &create, &rs);
	free(rs.body);
	return NULL;
}

struct err *
storage_s3_open(const struct config *cfg, struct storage_s3 **out)
{
	const char *endpoint = cfg->storage_s3_endpoint, *ak = cfg->storage_s3_access_key,
	           *sk = cfg->storage_s3_secret_key;
	struct storage_s3 *s3;
	size_t n;
	struct err *e;

	/* Development defaults match the template's local MinIO (spec §5.2). */
	if (endpoint == NULL && !cfg->production)
		endpoint = "http://127.0.0.1:9000";
	if (ak == NULL && sk == NULL && !cfg->production) {
		ak = "minio";
		sk = "minio123";
	}
	if (endpoint == NULL)
		return err_newf("config.missing", 500, "storage.s3_endpoint is required for s3");
	if (!storage_s3_endpoint_ok(endpoint))
		return err_newf("config.invalid", 500,
		                "storage.s3_endpoint must be an http:// or https:// URL");
	if (ak == NULL || ak[0] == '\0' || sk == NULL || sk[0] == '\0')
		return err_newf(
		    "config.missing", 500,
		    "storage.s3_access_key and storage.s3_secret_key are required for s3 "
		    "(AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY)");
	if (strchr(ak, ':') != NULL)
		return err_newf("config.invalid", 500,
		                "storage.s3_access_key must not contain ':'");
	if (!storage_s3_region_ok(cfg->storage_s3_region))
		return err_newf(
		    "config.invalid", 500,
		    "storage.s3_region is required for s3 ([a-z0-9-], e.g. eu-central-1)");
	if (cfg->storage_bucket == NULL || !storage_s3_bucket_ok(cfg->storage_bucket))
		return err_newf(
		    "config.invalid", 500,
		    "storage.bucket is not a valid S3 bucket name (3-63 of [a-z0-9.-])");

	s3 = xcalloc(1, sizeof(*s3));
	s3->endpoint = xstrdup(endpoint);
	n = strlen(s3->endpoint);
	while (n > 0 && s3->endpoint[n - 1] == '/')
		s3->endpoint[--n] = '\0';
	s3->bucket = xstrdup(cfg->storage_bucket);
	s3->region = xstrdup(cfg->storage_s3_region);
	n = strlen(s3->region) + sizeof("aws:amz::s3");
	s3->sigv4 = xmalloc(n);
	snprintf(s3->sigv4, n, "aws:amz:%s:s3", s3->region);
	s3->access_key = xstrdup(ak);
	s3->secret_key = xstrdup(sk);
	if ((e = storage_s3_ensure_bucket(s3)) != NULL) {
		storage_s3_free(s3);
		return e;
	}
	*out = s3;
	return NULL;
}

struct err *
storage_s3_put(const struct storage_s3 *s3, const char *key, const void *data, size_t len,
               const char *content_type)
{
	struct storage_s3_req rq = { .method = "PUT",
		                     .key = key,
		                     .body = data,
		                     .body_len = len,
		                     .content_type = content_type != NULL
		                                         ? content_type
		                                         : "application/octet-stream",
		                     .max_response = STORAGE_S3_ERROR_MAX };
	struct storage_s3_resp rs;
	struct err *e;

	if (!storage_s3_content_type_ok(rq.content_type))
		return err_newf("storage.invalidContentType", 400, "invalid content type");
	if ((e = storage_s3_do(s3, &rq, &rs)) != NULL)
		return e;
	if (rs.status != 200)
		return storage_s3_fail(s3, &rq, &rs);
	free(rs.body);
	return NULL;
}

struct err *
storage_s3_get(const struct storage_s3 *s3, const char *key, void **data, size_t *len)
{
	struct storage_s3_req rq = { .method = "GET",
		                     .key = key,
		                     .max_response = (size_t)STORAGE_GET_MAX };
	struct storage_s3_resp rs;
	struct err *e;

	if ((e = storage_s3_do(s3, &rq, &rs)) != NULL)
		return e;
	if (rs.status != 200)
		return storage_s3_fail(s3, &rq, &rs);
	if (rs.content_length >= 0 && (size_t)rs.content_length != rs.len) {
		free(rs.body);
		return err_internal("storage: s3 GET %s: got %zu of %lld bytes", key, rs.len,
		                    rs.content_length);
	}
	*data = rs.body != NULL ? rs.body : xcalloc(1, 1);
	*len = rs.len;
	return NULL;
}

struct err *
storage_s3_head(const struct storage_s3 *s3, const char *key, long long *size)
{
	struct storage_s3_req rq = { .method = "HEAD",
		                     .key = key,
		                     .max_response = STORAGE_S3_ERROR_MAX };
	struct storage_s3_resp rs;
	struct err *e;

	if ((e = storage_s3_do(s3, &rq, &rs)) != NULL)
		return e;
	if (rs.status != 200)
		return storage_s3_fail(s3, &rq, &rs);
	free(rs.body);
	if (rs.content_length < 0)
		return err_internal("storage: s3 HEAD %s: no Content-Length", key);
	*size = rs.content_length;
	return NULL;
}

struct err *
storage_s3_delete(const struct storage_s3 *s3, const char *key)
{
	struct storage_s3_req rq = { .method = "DELETE",
		                     .key = key,
		                     .max_response = STORAGE_S3_ERROR_MAX };
	struct storage_s3_resp rs;
	struct err *e;

	if ((e = storage_s3_do(s3, &rq, &rs)) != NULL)
		return e;
	if (rs.status != 204 && rs.status != 200)
		return storage_s3_fail(s3, &rq, &rs);
	free(rs.body);
	return NULL;
}

/* <LastModified> (ISO 8601, UTC: 2024-01-31T12:00:00.000Z) as epoch seconds; 0 when
 * missing or unreadable, which callers treat as "unknown age". */
static long long
storage_s3_list_mtime(const char *v, const char *end)
{
	const char *tv;
	size_t tlen;
	char text[40];
	struct tm tm = { 0 };

	if (!storage_xml_find(v, end, "LastModified", &tv, &tlen, NULL) || tlen == 0 ||
	    tlen >= sizeof(text))
		return 0;
	memcpy(text, tv, tlen);
	text[tlen] = '\0';
	if (sscanf(text, "%4d-%2d-%2dT%2d:%2d:%2d", &tm.tm_year, &tm.tm_mon, &tm.tm_mday,
	           &tm.tm_hour, &tm.tm_min, &tm.tm_sec) != 6)
		return 0;
	tm.tm_year -= 1900;
	tm.tm_mon -= 1;
	return (long long)timegm(&tm);
}

/* Add the <Contents> of one ListObjectsV2 page; *token receives NextContinuationToken
 * (malloc'd) when the listing is truncated, else NULL. */
static struct err *
storage_s3_list_page(const char *body, size_t len, struct storage_listing *out, char **token)
{
	const char *p = body, *end = body + len, *v, *next;
	size_t vlen;

	*token = NULL;
	while (storage_xml_find(p, end, "Contents", &v, &vlen, &next)) {
		const char *kv, *sv, *cend = v + vlen;
		size_t klen, slen;
		char *key, size[32];
		long long sz;
		char *ep;

		p = next;
		if (!storage_xml_find(v, cend, "Key", &kv, &klen, NULL) ||
		    !storage_xml_find(v, cend, "Size", &sv, &slen, NULL) || slen == 0 ||
		    slen >= sizeof(size))
			return err_internal("storage: s3 list: malformed <Contents>");
		memcpy(size, sv, slen);
		size[slen] = '\0';
		sz = strtoll(size, &ep, 10);
		if (*ep != '\0' || sz < 0)
			return err_internal("storage: s3 list: malformed <Size>");
		key = storage_xml_text(kv, klen);
		if (key != NULL && storage_key_ok(key)) {
			if (out->n >= STORAGE_LIST_MAX) {
				free(key);
				return err_internal("storage: s3 list: more than %d objects",
				                    STORAGE_LIST_MAX);
			}
			storage_listing_add(out, key, sz, storage_s3_list_mtime(v, cend));
		}
		free(key);
	}
	if (storage_xml_find(body, end, "IsTruncated", &v, &vlen, NULL) && vlen == 4 &&
	    memcmp(v, "true", 4) == 0) {
		if (!storage_xml_find(body, end, "NextContinuationToken", &v, &vlen, NULL) ||
		    vlen == 0 || vlen > 1024 || (*token = storage_xml_text(v, vlen)) == NULL)
			return err_internal("storage: s3 list: truncated without a usable token");
	}
	return NULL;
}

struct err *
storage_s3_list(const struct storage_s3 *s3, const char *prefix, struct storage_listing *out)
{
	char query[4096], enc_token[3200], enc_prefix[700];
	char *token = NULL;
	struct err *e = NULL;

	storage_s3_uri_encode(prefix, enc_prefix, sizeof(enc_prefix));
	do {
		struct storage_s3_req rq = { .method = "GET",
			                     .query = query,
			                     .max_response = STORAGE_S3_LIST_MAX };
		struct storage_s3_resp rs;
		char *next = NULL;

		/* Parameters in byte order: SigV4 signs them sorted and curl does not sort. */
		query[0] = '\0';
		if (token != NULL) {
			storage_s3_uri_encode(token, enc_token, sizeof(enc_token));
			snprintf(query, sizeof(query), "continuation-token=%s&", enc_token);
		}
		snprintf(query + strlen(query), sizeof(query) - strlen(query),
		         "list-type=2&max-keys=%d%s%s", STORAGE_S3_LIST_PAGE,
		         prefix[0] != '\0' ? "&prefix=" : "", enc_prefix);
		free(token);
		token = NULL;
		if ((e = storage_s3_do(s3, &rq, &rs)) != NULL)
			break;
		if (rs.status != 200) {
			e = storage_s3_fail(s3, &rq, &rs);
			break;
		}
		e = storage_s3_list_page(rs.body != NULL ? rs.body : "", rs.len, out, &next);
		free(rs.body);
		token = next;
	} while (e == NULL && token != NULL);
	free(token);
	return e;
}
