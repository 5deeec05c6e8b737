/* A stand-in daemon for the supervisor tests. Usage: svc_helper <mode> [args]:
 *   notify NAME [TRACE]   print lines, send READY=1, run until SIGTERM (exit 0)
 *   crash TRACE           record the start time in TRACE, exit 1
 *   exit CODE [TRACE]     exit with CODE at once
 *   ready-exit CODE TRACE send READY=1, exit with CODE half a second later
 *   oneshot               print a line, exit 0
 *   lines COUNT           print COUNT numbered 100-byte lines in split writes, then
 *                         READY=1 and run until SIGTERM
 *   stubborn TRACE        READY=1, ignore SIGTERM, leave a grandchild (pid in TRACE) */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "notify.h"
#include "timeutil.h"

static volatile sig_atomic_t helper_term;

static void
helper_on_term(int sig)
{
	(void)sig;
	helper_term = 1;
}

static void
helper_trace(const char *path, const char *what)
{
	FILE *f;

	if (path == NULL)
		return;
	f = fopen(path, "a");
	if (f == NULL)
		return;
	fprintf(f, "%s %d %lld\n", what, (int)getpid(), (long long)timeutil_monotonic_ms());
	fclose(f);
}

static int
helper_run_until_term(void)
{
	struct sigaction sa = { .sa_handler = helper_on_term };

	sigaction(SIGTERM, &sa, NULL);
	notify_send("READY=1");
	while (!helper_term)
		pause();
	notify_send("STOPPING=1");
	printf("stopping\n");
	return 0;
}

static int
helper_lines(long count)
{
	char line[101];

	for (long i = 0; i < count; i++) {
		snprintf(line, sizeof(line), "L%06ld ", i);
		memset(line + 8, 'x', 91);
		line[99] = '\n';
		/* two writes per line: the supervisor must keep lines whole */
		if (write(STDOUT_FILENO, line, 50) != 50 ||
		    write(STDOUT_FILENO, line + 50, 50) != 50)
			return 1;
	}
	return helper_run_until_term();
}

static _Noreturn void
helper_stubborn(const char *trace)
{
	pid_t pid = fork();

	if (pid == 0) {
		signal(SIGTERM, SIG_IGN);
		for (;;)
			pause();
	}
	if (trace != NULL) {
		FILE *f = fopen(trace, "a");

		if (f != NULL) {
			fprintf(f, "grandchild %d\n", (int)pid);
			fclose(f);
		}
	}
	signal(SIGTERM, SIG_IGN);
	notify_send("READY=1");
	for (;;)
		pause();
}

int
main(int argc, char **argv)
{
	const char *mode = argc > 1 ? argv[1] : "";

	setvbuf(stdout, NULL, _IOLBF, 0);
	if (strcmp(mode, "notify") == 0 && argc >= 3) {
		helper_trace(argc > 3 ? argv[3] : NULL, "start");
		for (int i = 0; i < 3; i++)
			printf("helper %s line %d\n", argv[2], i);
		fprintf(stderr, "helper %s stderr line\n", argv[2]);
		return helper_run_until_term();
	}
	if (strcmp(mode, "crash") == 0 && argc == 3) {
		helper_trace(argv[2], "start");
		printf("crashing\n");
		return 1;
	}
	if (strcmp(mode, "exit") == 0 && argc >= 3) {
		helper_trace(argc > 3 ? argv[3] : NULL, "start");
		printf("exiting with %s\n", argv[2]);
		return atoi(argv[2]);
	}
	if (strcmp(mode, "ready-exit") == 0 && argc == 4) {
		struct timespec ts = { .tv_nsec = 500 * 1000000L };

		helper_trace(argv[3], "start");
		notify_send("READY=1");
		nanosleep(&ts, NULL);
		printf("exiting with %s\n", argv[2]);
		return atoi(argv[2]);
	}
	if (strcmp(mode, "oneshot") == 0) {
		printf("oneshot done\n");
		return 0;
	}
	if (strcmp(mode, "lines") == 0 && argc == 3)
		return helper_lines(atol(argv[2]));
	if (strcmp(mode, "stubborn") == 0)
		helper_stubborn(argc > 2 ? argv[2] : NULL);
	fprintf(stderr, "svc_helper: bad arguments\n");
	return 64;
}
