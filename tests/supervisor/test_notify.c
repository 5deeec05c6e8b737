/* The sd_notify path with a test-owned NOTIFY_SOCKET (as systemd's Type=notify and
 * platformd use it): notify_send itself, then the real platform-api and
 * platform-queue (when built, and with the scratch cluster) must send READY=1 once
 * ready and STOPPING=1 on SIGTERM. TAP output. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <poll.h>
#include <unistd.h>

#include "notify.h"
#include "tsupport.h"

/* The test's socket and directory. */
struct tnotify {
	char dir[64];
	char path[96];
	int fd;
	int failed;
	int n;
};

static struct tnotify tn;

static void
tnotify_ok(bool ok, const char *what)
{
	tn.n++;
	printf("%sok %d - %s\n", ok ? "" : "not ", tn.n, what);
	if (!ok)
		tn.failed++;
	fflush(stdout);
}

static void
tnotify_skip(const char *what, const char *why)
{
	tn.n++;
	printf("ok %d - %s # SKIP %s\n", tn.n, what, why);
	fflush(stdout);
}

static void
tnotify_open(void)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };

	snprintf(tn.dir, sizeof(tn.dir), "/tmp/platform-notify.XXXXXX");
	if (mkdtemp(tn.dir) == NULL)
		abort();
	snprintf(tn.path, sizeof(tn.path), "%s/notify", tn.dir);
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", tn.path);
	tn.fd = socket(AF_UNIX, SOCK_DGRAM, 0);
	if (tn.fd < 0 || bind(tn.fd, (struct sockaddr *)&sa, sizeof(sa)) != 0)
		abort();
}

/* Wait for a datagram containing want; false on time-out. */
static bool
tnotify_expect(const char *want, int timeout_ms)
{
	char buf[4097];

	for (int waited = 0; waited < timeout_ms; waited += 100) {
		struct pollfd p = { .fd = tn.fd, .events = POLLIN };
		ssize_t n;

		if (poll(&p, 1, 100) <= 0)
			continue;
		n = recv(tn.fd, buf, sizeof(buf) - 1, 0);
		if (n <= 0)
			continue;
		buf[n] = '\0';
		if (strstr(buf, want) != NULL)
			return true;
	}
	return false;
}

static void
tnotify_library(void)
{
	setenv("NOTIFY_SOCKET", tn.path, 1);
	tnotify_ok(notify_send("READY=1") && tnotify_expect("READY=1", 5000),
	           "notify_send delivers READY=1 to $NOTIFY_SOCKET");
	unsetenv("NOTIFY_SOCKET");
	tnotify_ok(!notify_send("READY=1"), "notify_send does nothing without NOTIFY_SOCKET");
}

/* Run a daemon with NOTIFY_SOCKET; expect READY=1, then STOPPING=1 and exit 0 on
 * SIGTERM. */
static void
tnotify_daemon(const char *env_name, const char *what)
{
	const char *exe = getenv(env_name);
	char *argv[] = { (char *)exe, NULL }, log[160], msg[160];
	pid_t pid;
	int st;

	if (exe == NULL || getenv("TEST_PG_HOST") == NULL) {
		tnotify_skip(what, exe == NULL ? "daemon not built" : "no TEST_PG_HOST");
		tnotify_skip(what, "see above");
		return;
	}
	snprintf(log, sizeof(log), "%s/%s.log", tn.dir, what);
	setenv("NOTIFY_SOCKET", tn.path, 1);
	pid = tsupport_spawn(argv, log);
	unsetenv("NOTIFY_SOCKET");
	snprintf(msg, sizeof(msg), "%s sends READY=1", what);
	tnotify_ok(tnotify_expect("READY=1", 60000), msg);
	kill(pid, SIGTERM);
	snprintf(msg, sizeof(msg), "%s sends STOPPING=1 on SIGTERM and exits 0", what);
	st = tsupport_wait(pid, 60000);
	if (st == -1) {
		kill(pid, SIGKILL);
		waitpid(pid, NULL, 0);
	}
	tnotify_ok(tnotify_expect("STOPPING=1", 1000) && st != -1 && WIFEXITED(st) &&
	               WEXITSTATUS(st) == 0,
	           msg);
}

int
main(void)
{
	char *db = NULL, port[16], cmd[200];
	const char *migrate = getenv("TEST_MIGRATE_EXE");

	printf("1..6\n");
	tnotify_open();
	tnotify_library();
	if (getenv("TEST_PG_HOST") != NULL && migrate != NULL) {
		char *argv[] = { (char *)migrate, NULL }, log[160];
		const char *root = getenv("TEST_SOURCE_ROOT");

		/* the daemons read migrations/ and conf/ relative to the checkout */
		if (root != NULL && chdir(root) != 0)
			fprintf(stderr, "# chdir %s failed\n", root);
		snprintf(log, sizeof(log), "%s/migrate.log", tn.dir);
		db = tsupport_db_create("notify");
		tsupport_env_for_db(db);
		snprintf(port, sizeof(port), "%d", tsupport_free_port());
		setenv("PORT", port, 1);
		setenv("PLATFORM_API_WORKERS", "1", 1);
		if (tsupport_run(argv, log, 120000) != 0)
			fprintf(stderr, "# platform-migrate failed\n");
	}
	tnotify_daemon("TEST_API_EXE", "platform-api");
	tnotify_daemon("TEST_QUEUE_EXE", "platform-queue");
	if (db != NULL) {
		tsupport_db_drop(db);
		free(db);
	}
	close(tn.fd);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tn.dir);
	if (system(cmd) != 0)
		tn.failed++;
	return tn.failed == 0 ? 0 : 1;
}
