/* Mail jobs end to end: platform-queue renders the templates of conf/mail and delivers
 * them to a real SMTP sink (aiosmtpd writing a Maildir) or writes .eml previews. The TLS
 * tests use tests/queue/smtp_tls_sink.py (STARTTLS with AUTH, or implicit TLS) with a
 * self-signed certificate made by openssl for each test. */
#include <check.h>
#include <dirent.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "qsupport.h"

#define TENANT "00000000-0000-4000-8000-0000000000a1"
#define USER   "00000000-0000-4000-8000-0000000000b1"
#define LOGIN1 "00000000-0000-4000-8000-0000000000c1"
#define LOGIN2 "00000000-0000-4000-8000-0000000000c2"
#define LOGIN3 "00000000-0000-4000-8000-0000000000c3"
#define RESET1 "00000000-0000-4000-8000-0000000000d1"
#define RESET2 "00000000-0000-4000-8000-0000000000d2"
#define RESET3 "00000000-0000-4000-8000-0000000000d3"
#define RESET4 "00000000-0000-4000-8000-0000000000d4"
#define META                                                                                       \
	"\"metadata\":{\"tenant\":{\"id\":\"" TENANT                                               \
	"\",\"publicUrl\":\"https://acme.example.test\",\"apiUrl\":\"https://"                     \
	"api.acme.example.test\"}}"
#define JOB(name, data)                                                                            \
	"INSERT INTO \"job\" (\"name\", \"priority\", \"data\") VALUES ('" name "', 4, '{" data    \
	"," META "}')"

static void
seed_accounts(void)
{
	qs_exec("INSERT INTO \"tenant\" (\"id\", \"name\", \"data\") VALUES ('" TENANT
	        "', 'Acme Portal', '{}')");
	qs_exec("INSERT INTO \"user\" (\"id\", \"name\", \"lastLogin\") VALUES ('" USER
	        "', 'Ann', now())");
	qs_exec("INSERT INTO \"passwordLogin\" (\"id\", \"user\", \"email\", \"password\") VALUES "
	        "('" LOGIN1 "', '" USER "', 'ann@example.test', 'x'), "
	        "('" LOGIN2 "', '" USER "', 'bob@example.test', 'x'), "
	        "('" LOGIN3 "', '" USER "', 'new@example.test', 'x')");
	qs_exec("INSERT INTO \"passwordLoginReset\" (\"id\", \"login\", \"resetToken\", "
	        "\"shouldSetPassword\", \"expiresAt\") VALUES "
	        "('" RESET1 "', '" LOGIN1 "', 'auth-verify-aaa', false, now() + interval '1 day'), "
	        "('" RESET2 "', '" LOGIN1 "', 'auth-reset-aaa', true, now() + interval '1 day'), "
	        "('" RESET3 "', '" LOGIN2 "', 'auth-reset-bbb', true, now() + interval '1 day'), "
	        "('" RESET4 "', '" LOGIN3 "', 'auth-verify-ccc', false, now() + interval '1 day')");
}

static void
enqueue_mail_jobs(void)
{
	qs_exec(JOB("auth.passwordBased.userRegistered",
	            "\"passwordLoginId\":\"" LOGIN1 "\",\"passwordLoginResetId\":\"" RESET1 "\""));
	qs_exec(JOB("auth.passwordBased.userRegistered",
	            "\"passwordLoginId\":\"" LOGIN2 "\",\"passwordLoginResetId\":\"" RESET3 "\""));
	qs_exec(JOB("auth.passwordBased.forgotPassword",
	            "\"passwordLoginId\":\"" LOGIN1 "\",\"passwordLoginResetId\":\"" RESET2 "\""));
	qs_exec(JOB("auth.passwordBased.requestOtp",
	            "\"userId\":\"" USER "\",\"passwordLoginId\":\"" LOGIN1
	            "\",\"otp\":\"042917\""));
	qs_exec(JOB("auth.passwordBased.passwordUpdated", "\"passwordLoginId\":\"" LOGIN1 "\""));
	qs_exec(JOB("auth.passwordBased.emailUpdated",
	            "\"previousEmail\":\"old@example.test\",\"passwordLoginId\":\"" LOGIN3
	            "\",\"passwordLoginResetId\":\"" RESET4 "\""));
}

struct expected_mail {
	const char *to, *subject, *needle;
};

static const struct expected_mail expected[] = {
	{ "ann@example.test", "Verify your e-mail address for Acme Portal",
	  "https://acme.example.test/verify-email?token=auth-verify-aaa" },
	{ "bob@example.test", "Set your password for Acme Portal",
	  "https://acme.example.test/reset-password?token=auth-reset-bbb" },
	{ "ann@example.test", "Reset your password for Acme Portal",
	  "https://acme.example.test/reset-password?token=auth-reset-aaa" },
	{ "ann@example.test", "Your login code for Acme Portal: 042917", "042917" },
	{ "ann@example.test", "Your password for Acme Portal was changed",
	  "https://acme.example.test/forgot-password" },
	{ "old@example.test", "Your e-mail address for Acme Portal was changed",
	  "changed from old@example.test to new@example.test" },
	{ "new@example.test", "Verify your e-mail address for Acme Portal",
	  "https://acme.example.test/verify-email?token=auth-verify-ccc" },
};

#define NEXPECTED ((int)(sizeof(expected) / sizeof(expected[0])))

/* Read every regular file of dir (with suffix, or all) into texts; returns the count. */
static int
read_mails(const char *dir, const char *suffix, char **texts, int max)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	int n = 0;

	if (d == NULL)
		return 0;
	while ((de = readdir(d)) != NULL && n < max) {
		char path[1024];
		size_t len = strlen(de->d_name);

		if (de->d_name[0] == '.')
			continue;
		if (suffix != NULL && (len < strlen(suffix) ||
		                       strcmp(de->d_name + len - strlen(suffix), suffix) != 0))
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
		texts[n++] = tsupport_read_file(path);
	}
	closedir(d);
	return n;
}

/* Each expected mail is present exactly once (recipient header, subject and link). */
static void
check_mails(char **texts, int n, bool envelope)
{
	ck_assert_int_eq(n, NEXPECTED);
	for (int i = 0; i < NEXPECTED; i++) {
		char to[128], subject[160], rcpt[128];
		int found = 0;

		snprintf(to, sizeof(to), "\r\nTo: %s\r\n", expected[i].to);
		snprintf(subject, sizeof(subject), "\r\nSubject: %s\r\n", expected[i].subject);
		snprintf(rcpt, sizeof(rcpt), "X-RcptTo: %s", expected[i].to);
		for (int k = 0; k < n; k++) {
			const char *t = texts[k];

			/* the sink stores the message as received, except for line ends */
			if (strstr(t, "\r\n") == NULL) {
				snprintf(to, sizeof(to), "\nTo: %s\n", expected[i].to);
				snprintf(subject, sizeof(subject), "\nSubject: %s\n",
				         expected[i].subject);
			}
			if (strstr(t, to) != NULL && strstr(t, subject) != NULL &&
			    strstr(t, expected[i].needle) != NULL &&
			    (!envelope || strstr(t, rcpt) != NULL))
				found++;
		}
		ck_assert_msg(found == 1, "mail %d (%s, %s): found %d", i, expected[i].to,
		              expected[i].subject, found);
	}
}

/* <tmp>/<name> with tmp, new and cur; caller frees. */
static char *
make_maildir(const char *name)
{
	char *maildir = qs_path(name);

	mkdir(maildir, 0755);
	for (const char *const *d = (const char *const[]){ "tmp", "new", "cur", NULL }; *d; d++) {
		char path[512];

		snprintf(path, sizeof(path), "%s/%s", maildir, *d);
		mkdir(path, 0755);
	}
	return maildir;
}

START_TEST(test_mail_jobs_deliver_over_smtp)
{
	char port[16], listen[64], *maildir, *texts[32], newdir[512];
	pid_t queue, sink;
	int p = tsupport_free_port(), n;

	qs_setup();
	maildir = make_maildir("maildir");
	snprintf(port, sizeof(port), "%d", p);
	snprintf(listen, sizeof(listen), "127.0.0.1:%d", p);
	setenv("PLATFORM_MAIL_TRANSPORT", "smtp", 1);
	setenv("PLATFORM_MAIL_SMTP_HOST", "127.0.0.1", 1);
	setenv("PLATFORM_MAIL_SMTP_PORT", port, 1);
	setenv("PLATFORM_MAIL_FROM", "Acme <no-reply@acme.example.test>", 1);
	setenv("PLATFORM_QUEUE_BACKOFF_BASE_MS", "200", 1);
	setenv("PLATFORM_QUEUE_BACKOFF_MAX_MS", "400", 1);
	setenv("PLATFORM_QUEUE_MAX_ATTEMPTS", "100", 1);
	seed_accounts();
	enqueue_mail_jobs();
	/* the mail server is down at first: the jobs are retried, not lost */
	queue = qs_start("queue.log", NULL, NULL);
	ck_assert(qs_wait_log("queue.log", "\"outcome\":\"retry\""));
	{
		char *argv[] = {
			"/usr/bin/python3",          "-m",    "aiosmtpd", "-n", "-l", listen, "-c",
			"aiosmtpd.handlers.Mailbox", maildir, NULL
		};

		sink = qs_spawn(argv, "smtp.log");
	}
	ck_assert(tsupport_wait_port(p, QS_WAIT_MS));
	ck_assert_int_eq(qs_wait("SELECT count(*) FROM \"job\" WHERE NOT \"isComplete\"", 0, false),
	                 0);
	ck_assert_int_eq(qs_stop(queue), 0);
	ck_assert_int_eq(qs_scalar("SELECT count(*) FROM \"job\" WHERE \"failedAt\" IS NOT NULL"),
	                 0);
	snprintf(newdir, sizeof(newdir), "%s/new", maildir);
	n = read_mails(newdir, NULL, texts, 32);
	check_mails(texts, n, true);
	/* multipart with both parts; the HTML part escapes nothing it should not */
	for (int i = 0; i < n; i++) {
		ck_assert_ptr_nonnull(strstr(texts[i], "Content-Type: text/plain; charset=utf-8"));
		ck_assert_ptr_nonnull(strstr(texts[i], "Content-Type: text/html; charset=utf-8"));
		ck_assert_ptr_nonnull(strstr(texts[i], "X-MailFrom: no-reply@acme.example.test"));
		free(texts[i]);
	}
	ck_assert_int_eq(qs_log_count("queue.log", "\"type\":\"mail.sent\""), NEXPECTED);
	kill(sink, SIGTERM);
	qs_wait_exit(sink, QS_WAIT_MS);
	free(maildir);
}
END_TEST

START_TEST(test_mail_eml_preview)
{
	char *dir, *texts[32], *log;
	pid_t queue;
	int n;

	qs_setup();
	seed_accounts();
	enqueue_mail_jobs();
	/* a login that no longer exists: logged and skipped, not retried */
	qs_exec(JOB("auth.passwordBased.forgotPassword",
	            "\"passwordLoginId\":\"00000000-0000-4000-8000-0000000000ff\","
	            "\"passwordLoginResetId\":\"" RESET2 "\""));
	/* a payload without metadata: a validation error, kept failed after its attempts */
	setenv("PLATFORM_QUEUE_MAX_ATTEMPTS", "1", 1);
	qs_exec("INSERT INTO \"job\" (\"name\", \"data\") VALUES ('auth.passwordBased.requestOtp', "
	        "'{\"passwordLoginId\":\"" LOGIN1 "\",\"otp\":\"123456\"}')");
	queue = qs_start("queue.log", NULL, NULL);
	ck_assert_int_eq(qs_wait("SELECT count(*) FROM \"job\" WHERE NOT \"isComplete\"", 0, false),
	                 0);
	ck_assert_int_eq(qs_stop(queue), 0);
	dir = qs_path("mail");
	n = read_mails(dir, ".eml", texts, 32);
	check_mails(texts, n, false);
	for (int i = 0; i < n; i++)
		free(texts[i]);
	ck_assert_int_eq(read_mails(dir, ".tmp", texts, 32), 0);
	/* each preview's path is logged */
	log = malloc(strlen(dir) + 16);
	ck_assert_ptr_nonnull(log);
	sprintf(log, "\"path\":\"%s/", dir);
	ck_assert_int_eq(qs_log_count("queue.log", log), NEXPECTED);
	free(log);
	ck_assert_int_eq(qs_log_count("queue.log", "\"type\":\"mail.skipped\""), 1);
	ck_assert_int_eq(
	    qs_scalar("SELECT count(*) FROM \"job\" WHERE \"failedAt\" IS NOT NULL AND "
	              "\"lastError\" LIKE '%metadata%'"),
	    1);
	free(dir);
}
END_TEST

#define SMTP_USER     "mailer"
#define SMTP_PASSWORD "s3cret-pass"

/* A self-signed certificate for localhost in <tmp>/cert.pem (+ key.pem), valid a day. */
static void
make_cert(void)
{
	char *cert = qs_path("cert.pem"), *key = qs_path("key.pem"), *log = qs_path("openssl.log");
	char *argv[] = { "/usr/bin/openssl",
		         "req",
		         "-x509",
		         "-newkey",
		         "rsa:2048",
		         "-nodes",
		         "-subj",
		         "/CN=localhost",
		         "-addext",
		         "subjectAltName=DNS:localhost",
		         "-days",
		         "1",
		         "-keyout",
		         key,
		         "-out",
		         cert,
		         NULL };

	ck_assert_int_eq(tsupport_run(argv, log, 60000), 0);
	free(cert);
	free(key);
	free(log);
}

/* smtp_tls_sink.py in mode (starttls|tls) on 127.0.0.1:port into maildir; with_auth
 * makes it require SMTP_USER/SMTP_PASSWORD. */
static pid_t
start_tls_sink(const char *mode, int port, const char *maildir, bool with_auth)
{
	char script[1024], p[16];
	char *cert = qs_path("cert.pem"), *key = qs_path("key.pem");
	char *argv[] = { "/usr/bin/python3",
		         script,
		         (char *)mode,
		         "127.0.0.1",
		         p,
		         (char *)maildir,
		         cert,
		         key,
		         with_auth ? SMTP_USER : NULL,
		         SMTP_PASSWORD,
		         NULL };
	pid_t pid;

	snprintf(script, sizeof(script), "%s/tests/queue/smtp_tls_sink.py",
	         getenv("TEST_SOURCE_ROOT"));
	snprintf(p, sizeof(p), "%d", port);
	pid = qs_spawn(argv, "smtp.log");
	ck_assert(tsupport_wait_port(port, QS_WAIT_MS));
	free(cert);
	free(key);
	return pid;
}

/* Queue settings for SMTP on localhost:port with tls (none|starttls|tls), trusting the
 * test certificate; fast retries. */
static void
smtp_env(int port, const char *tls)
{
	char p[16], *cert = qs_path("cert.pem");

	snprintf(p, sizeof(p), "%d", port);
	setenv("PLATFORM_MAIL_TRANSPORT", "smtp", 1);
	/* the certificate's name: the host name is verified, not just the chain */
	setenv("PLATFORM_MAIL_SMTP_HOST", "localhost", 1);
	setenv("PLATFORM_MAIL_SMTP_PORT", p, 1);
	setenv("PLATFORM_MAIL_SMTP_TLS", tls, 1);
	setenv("PLATFORM_MAIL_SMTP_CA_FILE", cert, 1);
	setenv("PLATFORM_MAIL_FROM", "Acme <no-reply@acme.example.test>", 1);
	setenv("PLATFORM_QUEUE_BACKOFF_BASE_MS", "200", 1);
	setenv("PLATFORM_QUEUE_BACKOFF_MAX_MS", "400", 1);
	setenv("PLATFORM_QUEUE_MAX_ATTEMPTS", "100", 1);
	free(cert);
}

/* One OTP mail, delivered: exactly one message in maildir/new, to ann, with its subject. */
static void
run_otp_mail_and_check(const char *maildir)
{
	char newdir[512], *texts[4];
	pid_t queue;
	int n;

	qs_exec(JOB("auth.passwordBased.requestOtp",
	            "\"userId\":\"" USER "\",\"passwordLoginId\":\"" LOGIN1
	            "\",\"otp\":\"042917\""));
	queue = qs_start("queue.log", NULL, NULL);
	ck_assert_int_eq(qs_wait("SELECT count(*) FROM \"job\" WHERE NOT \"isComplete\"", 0, false),
	                 0);
	ck_assert_int_eq(qs_stop(queue), 0);
	ck_assert_int_eq(qs_scalar("SELECT count(*) FROM \"job\" WHERE \"failedAt\" IS NOT NULL "
	                           "OR \"retryCount\" > 0"),
	                 0);
	snprintf(newdir, sizeof(newdir), "%s/new", maildir);
	n = read_mails(newdir, NULL, texts, 4);
	ck_assert_int_eq(n, 1);
	ck_assert_ptr_nonnull(strstr(texts[0], "X-RcptTo: ann@example.test"));
	ck_assert_ptr_nonnull(strstr(texts[0], "To: ann@example.test"));
	ck_assert_ptr_nonnull(strstr(texts[0], "Subject: Your login code for Acme Portal: 042917"));
	free(texts[0]);
	ck_assert_int_eq(qs_log_count("queue.log", "\"type\":\"mail.sent\""), 1);
}

START_TEST(test_mail_smtp_starttls_auth)
{
	char *maildir;
	pid_t sink;
	int p = tsupport_free_port();

	qs_setup();
	seed_accounts();
	make_cert();
	maildir = make_maildir("maildir");
	sink = start_tls_sink("starttls", p, maildir, true);
	smtp_env(p, "starttls");
	setenv("PLATFORM_MAIL_SMTP_USERNAME", SMTP_USER, 1);
	setenv("PLATFORM_MAIL_SMTP_PASSWORD", SMTP_PASSWORD, 1);
	run_otp_mail_and_check(maildir);
	kill(sink, SIGTERM);
	ck_assert_int_eq(qs_wait_exit(sink, QS_WAIT_MS), 0);
	free(maildir);
}
END_TEST

START_TEST(test_mail_smtp_implicit_tls)
{
	char *maildir;
	pid_t sink;
	int p = tsupport_free_port();

	qs_setup();
	seed_accounts();
	make_cert();
	maildir = make_maildir("maildir");
	sink = start_tls_sink("tls", p, maildir, false);
	smtp_env(p, "tls");
	run_otp_mail_and_check(maildir);
	ck_assert_int_eq(qs_log_count("queue.log", "smtps://localhost:"), 1);
	kill(sink, SIGTERM);
	ck_assert_int_eq(qs_wait_exit(sink, QS_WAIT_MS), 0);
	free(maildir);
}
END_TEST

/* TLS required, but the server offers no STARTTLS: the attempt fails and is retried;
 * nothing is sent in clear. */
START_TEST(test_mail_smtp_tls_required_plain_server)
{
	char listen[64], *maildir, newdir[512], *texts[4];
	pid_t queue, sink;
	int p = tsupport_free_port();

	qs_setup();
	seed_accounts();
	make_cert();
	maildir = make_maildir("maildir");
	snprintf(listen, sizeof(listen), "127.0.0.1:%d", p);
	{
		char *argv[] = {
			"/usr/bin/python3",          "-m",    "aiosmtpd", "-n", "-l", listen, "-c",
			"aiosmtpd.handlers.Mailbox", maildir, NULL
		};

		sink = qs_spawn(argv, "smtp.log");
	}
	ck_assert(tsupport_wait_port(p, QS_WAIT_MS));
	smtp_env(p, "starttls");
	qs_exec(JOB("auth.passwordBased.requestOtp",
	            "\"userId\":\"" USER "\",\"passwordLoginId\":\"" LOGIN1
	            "\",\"otp\":\"042917\""));
	queue = qs_start("queue.log", NULL, NULL);
	ck_assert_int_eq(
	    qs_wait("SELECT count(*) FROM \"job\" WHERE \"retryCount\" >= 2", 1, false), 1);
	ck_assert_int_eq(qs_stop(queue), 0);
	ck_assert_int_eq(qs_scalar("SELECT count(*) FROM \"job\" WHERE NOT \"isComplete\" AND "
	                           "\"lastError\" ILIKE '%starttls%'"),
	                 1);
	ck_assert_int_eq(qs_log_count("queue.log", "\"type\":\"mail.sent\""), 0);
	snprintf(newdir, sizeof(newdir), "%s/new", maildir);
	ck_assert_int_eq(read_mails(newdir, NULL, texts, 4), 0);
	kill(sink, SIGTERM);
	qs_wait_exit(sink, QS_WAIT_MS);
	free(maildir);
}
END_TEST

static Suite *
mail_suite(void)
{
	Suite *s = suite_create("queue-mail");
	TCase *tc = tcase_create("mail");

	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, test_mail_jobs_deliver_over_smtp);
	tcase_add_test(tc, test_mail_eml_preview);
	tcase_add_test(tc, test_mail_smtp_starttls_auth);
	tcase_add_test(tc, test_mail_smtp_implicit_tls);
	tcase_add_test(tc, test_mail_smtp_tls_required_plain_server);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return qs_main(mail_suite());
}
