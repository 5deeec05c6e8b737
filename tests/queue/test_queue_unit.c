/* Unit tests of platform-queue's pure parts: cron parsing and next occurrences (UTC),
 * backoff bounds, mail template rendering and MIME assembly. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "arena.h"
#include "backoff.h"
#include "cron.h"
#include "mail_render.h"
#include "schedule.h"
#include "timeutil.h"

/* Next occurrence of expr after the ISO time from, as ISO text. */
static const char *
next_of(const char *expr, const char *from)
{
	static char out[TIMEUTIL_ISO_LEN];
	struct cron c;
	char why[128];
	int64_t ms, at;

	ck_assert_msg(cron_parse(expr, &c, why, sizeof(why)), "%s: %s", expr, why);
	ck_assert(timeutil_parse_iso8601(from, &ms));
	at = cron_next(&c, ms / 1000);
	if (at < 0)
		return "never";
	timeutil_iso8601(at * 1000, out);
	return out;
}

START_TEST(test_cron_template_expressions)
{
	const char *t = "2024-03-31T23:59:30.000Z";

	ck_assert_str_eq(next_of("0 1 * * *", t), "2024-04-01T01:00:00.000Z");
	ck_assert_str_eq(next_of("0 * * * *", t), "2024-04-01T00:00:00.000Z");
	ck_assert_str_eq(next_of("0 2 * * *", t), "2024-04-01T02:00:00.000Z");
	ck_assert_str_eq(next_of("0 */2 * * *", "2024-04-01T01:00:00.000Z"),
	                 "2024-04-01T02:00:00.000Z");
	ck_assert_str_eq(next_of("0 */2 * * *", "2024-04-01T02:00:00.000Z"),
	                 "2024-04-01T04:00:00.000Z");
	ck_assert_str_eq(next_of("2 2 * * *", "2024-04-01T02:02:00.000Z"),
	                 "2024-04-02T02:02:00.000Z");
	/* strictly after, even on an exact match */
	ck_assert_str_eq(next_of("* * * * *", "2024-04-01T02:02:00.000Z"),
	                 "2024-04-01T02:03:00.000Z");
}
END_TEST

START_TEST(test_cron_syntax)
{
	struct cron c;
	char why[128];

	ck_assert_str_eq(next_of("15,45 9-10 * * 1-5", "2024-03-30T12:00:00.000Z"),
	                 "2024-04-01T09:15:00.000Z"); /* Saturday -> Monday */
	ck_assert_str_eq(next_of("0 0 29 feb *", "2023-03-01T00:00:00.000Z"),
	                 "2024-02-29T00:00:00.000Z");
	ck_assert_str_eq(next_of("0 12 * * SUN", "2024-04-01T00:00:00.000Z"),
	                 "2024-04-07T12:00:00.000Z");
	ck_assert_str_eq(next_of("0 12 * * 7", "2024-04-01T00:00:00.000Z"),
	                 "2024-04-07T12:00:00.000Z");
	/* dom and dow both restricted: either matches (classic cron) */
	ck_assert_str_eq(next_of("0 0 15 * 1", "2024-04-02T00:00:00.000Z"),
	                 "2024-04-08T00:00:00.000Z");
	ck_assert_str_eq(next_of("*/20 * * * * *", "2024-04-01T00:00:05.000Z"),
	                 "2024-04-01T00:00:20.000Z");
	ck_assert_str_eq(next_of("@hourly", "2024-04-01T00:00:05.000Z"),
	                 "2024-04-01T01:00:00.000Z");
	ck_assert_str_eq(next_of("5/20 * * * *", "2024-04-01T00:06:00.000Z"),
	                 "2024-04-01T00:25:00.000Z");
	ck_assert_str_eq(next_of("0 0 31 2 *", "2024-04-01T00:00:00.000Z"), "never");
	ck_assert(!cron_parse("61 * * * *", &c, why, sizeof(why)));
	ck_assert(!cron_parse("* * * *", &c, why, sizeof(why)));
	ck_assert(!cron_parse("* * * * * * *", &c, why, sizeof(why)));
	ck_assert(!cron_parse("5-1 * * * *", &c, why, sizeof(why)));
	ck_assert(!cron_parse("*/0 * * * *", &c, why, sizeof(why)));
	ck_assert(!cron_parse("x * * * *", &c, why, sizeof(why)));
	ck_assert(!cron_parse("0 0 * foo *", &c, why, sizeof(why)));
	ck_assert(!cron_parse("", &c, why, sizeof(why)));
	ck_assert(!cron_parse(NULL, &c, why, sizeof(why)));
}
END_TEST

START_TEST(test_backoff_bounds)
{
	for (int i = 0; i < 200; i++) {
		int64_t d1 = backoff_delay_ms(1000, 300000, 1);
		int64_t d3 = backoff_delay_ms(1000, 300000, 3);
		int64_t dcap = backoff_delay_ms(1000, 300000, 40);

		ck_assert(d1 >= 500 && d1 <= 1000);
		ck_assert(d3 >= 2000 && d3 <= 4000);
		ck_assert(dcap >= 150000 && dcap <= 300000);
	}
	ck_assert_int_eq(backoff_delay_ms(0, 1000, 5), 0);
	ck_assert(backoff_delay_ms(1000, 300000, 1000000) <= 300000);
}
END_TEST

static char *
write_template(const char *dir, const char *name, const char *ext, const char *text)
{
	char path[512];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s.%s", dir, name, ext);
	f = fopen(path, "w");
	ck_assert_ptr_nonnull(f);
	fputs(text, f);
	fclose(f);
	return NULL;
}

START_TEST(test_mail_render)
{
	char dir[] = "/tmp/queue-unit-XXXXXX", cmd[64];
	struct arena *a = arena_new();
	struct mail_message m;
	const char *vars[] = { "tenantName", "Tom & <Jerry>", "link", "https://x.test/a?b=1", NULL,
		               NULL };
	struct err *e;
	char *mime;

	ck_assert_ptr_nonnull(mkdtemp(dir));
	write_template(dir, "t", "txt", "Subject: Hello {{tenantName}}\n\nGo to {{link}}\n");
	write_template(dir, "t", "html", "<p>{{tenantName}}</p><a href=\"{{link}}\">x</a>");
	write_template(dir, "bad", "txt", "Subject: x\n\n{{nope}}\n");
	write_template(dir, "bad", "html", "");
	write_template(dir, "nosubject", "txt", "Hello\n");
	write_template(dir, "nosubject", "html", "");
	e = mail_render_template(a, dir, "t", vars, "from@x.test", "to@x.test", &m);
	ck_assert_ptr_null(e);
	ck_assert_str_eq(m.subject, "Hello Tom & <Jerry>");
	ck_assert_str_eq(m.text, "Go to https://x.test/a?b=1\n");
	ck_assert_str_eq(m.html,
	                 "<p>Tom &amp; &lt;Jerry&gt;</p><a href=\"https://x.test/a?b=1\">x</a>");
	mime = mail_render_mime(a, &m);
	ck_assert_ptr_nonnull(strstr(mime,
	                             "From: from@x.test\r\nTo: to@x.test\r\nSubject: Hello Tom "
	                             "& <Jerry>\r\n"));
	ck_assert_ptr_nonnull(strstr(mime, "\r\n\r\nGo to https://x.test/a?b=1\r\n"));
	ck_assert_ptr_nonnull(strstr(mime, "multipart/alternative"));
	/* unknown placeholder, missing subject line, missing template, bad recipient */
	e = mail_render_template(a, dir, "bad", vars, "f@x.test", "t@x.test", &m);
	ck_assert_ptr_nonnull(e);
	ck_assert_ptr_nonnull(strstr(e->message, "nope"));
	err_free(e);
	e = mail_render_template(a, dir, "nosubject", vars, "f@x.test", "t@x.test", &m);
	ck_assert_ptr_nonnull(e);
	err_free(e);
	e = mail_render_template(a, dir, "missing", vars, "f@x.test", "t@x.test", &m);
	ck_assert_ptr_nonnull(e);
	err_free(e);
	e = mail_render_template(a, dir, "t", vars, "f@x.test", "t@x.test\r\nBcc: evil@x.test", &m);
	ck_assert_ptr_nonnull(e);
	err_free(e);
	ck_assert(mail_render_address_ok("a.b+c@example.test"));
	ck_assert(!mail_render_address_ok("a b@example.test"));
	ck_assert(!mail_render_address_ok("<a@example.test>"));
	ck_assert(!mail_render_address_ok("a@b@example.test"));
	ck_assert(!mail_render_address_ok("@example.test"));
	ck_assert(!mail_render_address_ok("example.test"));
	/* a non-ASCII subject is an RFC 2047 encoded word */
	m.subject = "Caf\xc3\xa9";
	mime = mail_render_mime(a, &m);
	ck_assert_ptr_nonnull(strstr(mime, "Subject: =?UTF-8?B?Q2Fmw6k=?=\r\n"));
	arena_free(a);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	ck_assert_int_eq(system(cmd), 0);
}
END_TEST

START_TEST(test_shipped_templates_render)
{
	static const char *const names[] = { "verify-email", "set-password",     "reset-password",
		                             "otp",          "password-changed", "email-changed" };
	const char *vars[] = { "tenantName", "Acme",
		               "publicUrl",  "https://acme.test",
		               "link",       "https://acme.test/x",
		               "otp",        "123456",
		               "email",      "a@acme.test",
		               "newEmail",   "b@acme.test",
		               "year",       "2024",
		               NULL,         NULL };
	char dir[1024];

	snprintf(dir, sizeof(dir), "%s/conf/mail", getenv("TEST_SOURCE_ROOT"));
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		struct arena *a = arena_new();
		struct mail_message m;
		struct err *e =
		    mail_render_template(a, dir, names[i], vars, "f@acme.test", "a@acme.test", &m);

		ck_assert_msg(e == NULL, "%s: %s", names[i], e != NULL ? e->message : "");
		ck_assert_ptr_nonnull(strstr(m.subject, "Acme"));
		ck_assert_ptr_nonnull(strstr(m.html, "https://acme.test/mail/logo.svg"));
		ck_assert_ptr_null(strstr(m.html, "{{"));
		ck_assert_ptr_null(strstr(m.text, "{{"));
		arena_free(a);
	}
}
END_TEST

START_TEST(test_schedule_load)
{
	struct config cfg;
	struct schedule_entry *s = NULL;
	struct err *e;
	int n = -1;

	memset(&cfg, 0, sizeof(cfg));
	/* the template's schedule plus the login-attempt purge */
	e = schedule_load(&cfg, &s, &n);
	ck_assert_ptr_null(e);
	ck_assert_int_eq(n, 7);
	ck_assert_str_eq(s[0].name, "compas.queue.cleanup");
	ck_assert_str_eq(s[0].expr, "0 1 * * *");
	ck_assert_str_eq(s[5].name, "backendManagement.invalidateUsers");
	free(s);
	cfg.queue_cron_schedule = " a.b = */2 * * * * * ;; c-d=@hourly; ";
	e = schedule_load(&cfg, &s, &n);
	ck_assert_ptr_null(e);
	ck_assert_int_eq(n, 2);
	ck_assert_str_eq(s[0].name, "a.b");
	ck_assert_str_eq(s[0].expr, "*/2 * * * * *");
	ck_assert(s[0].cron.has_seconds);
	ck_assert_str_eq(s[1].name, "c-d");
	free(s);
	cfg.queue_cron_schedule = "";
	ck_assert_ptr_null(schedule_load(&cfg, &s, &n));
	ck_assert_int_eq(n, 0);
	free(s);
	static const char *const bad[] = { "nameonly", "bad name=* * * * *", "x=61 * * * *",
		                           "=* * * * *" };
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		cfg.queue_cron_schedule = (char *)bad[i];
		e = schedule_load(&cfg, &s, &n);
		ck_assert_msg(e != NULL, "%s accepted", bad[i]);
		ck_assert_ptr_null(s);
		err_free(e);
	}
}
END_TEST

static Suite *
unit_suite(void)
{
	Suite *s = suite_create("queue-unit");
	TCase *tc = tcase_create("pure");

	tcase_add_test(tc, test_cron_template_expressions);
	tcase_add_test(tc, test_cron_syntax);
	tcase_add_test(tc, test_backoff_bounds);
	tcase_add_test(tc, test_schedule_load);
	tcase_add_test(tc, test_mail_render);
	tcase_add_test(tc, test_shipped_templates_render);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(unit_suite());
	int failed;

	srunner_run_all(sr, CK_ENV);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
