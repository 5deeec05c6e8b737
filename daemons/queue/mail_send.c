/* SMTP over libcurl, or .eml previews written atomically (temp file + rename). */
#include "mail_send.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <curl/curl.h>

#include "random.h"
#include "timeutil.h"

struct mail_send_reader {
	const char *data;
	size_t len, off;
};

struct err *
mail_send_init(struct mail_send *ms, const struct config *cfg, const struct logger *lg)
{
	bool has_host = cfg->mail_smtp_host != NULL && cfg->mail_smtp_host[0] != '\0';

	ms->cfg = cfg;
	ms->lg = lg;
	if (strcmp(cfg->mail_transport, "smtp") == 0 && !has_host)
		return err_internal("mail.transport = smtp needs mail.smtp_host");
	ms->smtp = strcmp(cfg->mail_transport, "smtp") == 0 ||
	           (strcmp(cfg->mail_transport, "auto") == 0 && has_host);
	return NULL;
}

/* mkdir -p */
static bool
mail_send_mkdirs(const char *path)
{
	char buf[1024];

	if (snprintf(buf, sizeof(buf), "%s", path) >= (int)sizeof(buf))
		return false;
	for (char *p = buf + 1; *p != '\0'; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(buf, 0755) != 0 && errno != EEXIST)
			return false;
		*p = '/';
	}
	return mkdir(buf, 0755) == 0 || errno == EEXIST;
}

static struct err *
mail_send_eml(struct mail_send *ms, struct arena *a, const char *mime, const char **where)
{
	char rnd[16], iso[TIMEUTIL_ISO_LEN];
	const char *path, *tmp;
	size_t len = strlen(mime);
	ssize_t w = 0;
	int fd;

	if (!mail_send_mkdirs(ms->cfg->mail_dir))
		return err_internal("mail.dir %s: %s", ms->cfg->mail_dir, strerror(errno));
	timeutil_iso8601(timeutil_now_ms(), iso);
	for (char *p = iso; *p != '\0'; p++)
		if (*p == ':')
			*p = '-';
	random_token(rnd, sizeof(rnd), 6);
	path = arena_printf(a, "%s/%s-%s.eml", ms->cfg->mail_dir, iso, rnd);
	tmp = arena_printf(a, "%s.tmp", path);
	fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0640);
	if (fd < 0)
		return err_internal("mail preview %s: %s", tmp, strerror(errno));
	for (size_t off = 0; off < len; off += (size_t)w) {
		w = write(fd, mime + off, len - off);
		if (w < 0 && errno == EINTR) {
			w = 0;
			continue;
		}
		if (w <= 0)
			break;
	}
	if (w < 0 || fsync(fd) != 0 || close(fd) != 0 || rename(tmp, path) != 0) {
		unlink(tmp);
		return err_internal("mail preview %s: write failed", path);
	}
	*where = path;
	return NULL;
}

static size_t
mail_send_read(char *buf, size_t size, size_t nitems, void *arg)
{
	struct mail_send_reader *r = arg;
	size_t n = size * nitems;

	if (n > r->len - r->off)
		n = r->len - r->off;
	memcpy(buf, r->data + r->off, n);
	r->off += n;
	return n;
}

/* The bare address of "Name <addr>" or "addr". */
static const char *
mail_send_envelope(struct arena *a, const char *addr)
{
	const char *lt = strrchr(addr, '<'), *gt;

	if (lt == NULL || (gt = strchr(lt, '>')) == NULL)
		return arena_printf(a, "<%s>", addr);
	return arena_strndup(a, lt, (size_t)(gt - lt + 1));
}

static struct err *
mail_send_smtp(struct mail_send *ms, struct arena *a, const struct mail_message *m,
               const char *mime, int64_t timeout_ms, const char **where)
{
	const struct config *cfg = ms->cfg;
	bool tls = strcmp(cfg->mail_smtp_tls, "tls") == 0;
	const char *url = arena_printf(a, "%s://%s:%lld", tls ? "smtps" : "smtp",
	                               cfg->mail_smtp_host, (long long)cfg->mail_smtp_port);
	struct mail_send_reader rd = { mime, strlen(mime), 0 };
	struct curl_slist *rcpt = curl_slist_append(NULL, mail_send_envelope(a, m->to));
	CURL *c = curl_easy_init();
	char errbuf[CURL_ERROR_SIZE] = "";
	CURLcode rc;

	if (c == NULL || rcpt == NULL) {
		curl_slist_free_all(rcpt);
		if (c != NULL)
			curl_easy_cleanup(c);
		return err_internal("curl: out of memory");
	}
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "smtp,smtps");
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, (long)(timeout_ms > 0 ? timeout_ms : 1));
	curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, (long)(timeout_ms > 0 ? timeout_ms : 1));
	curl_easy_setopt(c, CURLOPT_ERRORBUFFER, errbuf);
	/* TLS is required, never opportunistic: a server without STARTTLS fails the attempt
	 * rather than getting the message (and credentials) in clear. libcurl verifies the
	 * peer and the host name by default; a private CA is trusted through a CA file. */
	if (strcmp(cfg->mail_smtp_tls, "starttls") == 0 || tls)
		curl_easy_setopt(c, CURLOPT_USE_SSL, (long)CURLUSESSL_ALL);
	if (cfg->mail_smtp_ca_file != NULL && cfg->mail_smtp_ca_file[0] != '\0')
		curl_easy_setopt(c, CURLOPT_CAINFO, cfg->mail_smtp_ca_file);
	if (cfg->mail_smtp_username != NULL && cfg->mail_smtp_username[0] != '\0') {
		curl_easy_setopt(c, CURLOPT_USERNAME, cfg->mail_smtp_username);
		curl_easy_setopt(c, CURLOPT_PASSWORD,
		                 cfg->mail_smtp_password != NULL ? cfg->mail_smtp_password : "");
	}
	curl_easy_setopt(c, CURLOPT_MAIL_FROM, mail_send_envelope(a, m->from));
	curl_easy_setopt(c, CURLOPT_MAIL_RCPT, rcpt);
	curl_easy_setopt(c, CURLOPT_READFUNCTION, mail_send_read);
	curl_easy_setopt(c, CURLOPT_READDATA, &rd);
	curl_easy_setopt(c, CURLOPT_UPLOAD, 1L);
	rc = curl_easy_perform(c);
	curl_slist_free_all(rcpt);
	curl_easy_cleanup(c);
	if (rc != CURLE_OK)
		return err_internal("smtp %s: %s", url,
		                    errbuf[0] ? errbuf : curl_easy_strerror(rc));
	*where = url;
	return NULL;
}

struct err *
mail_send_message(struct mail_send *ms, struct arena *a, const struct mail_message *m,
                  int64_t timeout_ms, const char **where)
{
	const char *mime = mail_render_mime(a, m);

	if (ms->smtp)
		return mail_send_smtp(ms, a, m, mime, timeout_ms, where);
	return mail_send_eml(ms, a, mime, where);
}
