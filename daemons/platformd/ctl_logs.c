/* Reading per-daemon log files: the last lines, then (with -f) what is appended,
 * across rotations. */
#include "ctl_logs.h"

#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "exitcode.h"
#include "fatal.h"

#define CTL_LOGS_MAX_LINES 100000

bool
ctl_logs_tail(const char *path, long n, FILE *out)
{
	FILE *f = fopen(path, "r");
	char **ring;
	char *line = NULL;
	size_t cap = 0;
	long count = 0;

	if (f == NULL)
		return false;
	ring = xcalloc(n > 0 ? (size_t)n : 1, sizeof(char *));
	while (n > 0 && getline(&line, &cap, f) >= 0) {
		free(ring[count % n]);
		ring[count % n] = xstrdup(line);
		count++;
	}
	for (long i = count > n ? count - n : 0; i < count; i++)
		fputs(ring[i % n], out);
	for (long i = 0; i < n && i < count; i++)
		free(ring[i]);
	free(ring);
	free(line);
	fclose(f);
	fflush(out);
	return true;
}

static void
ctl_logs_sleep(void)
{
	struct timespec ts = { .tv_nsec = 200 * 1000000L };

	nanosleep(&ts, NULL);
}

/* Follow: print what is appended; a new file (rotation) is read from its start. */
static int
ctl_logs_follow(const char *path)
{
	FILE *f = fopen(path, "r");
	struct stat st, now;
	char buf[8192];
	size_t got;

	if (f == NULL || fseek(f, 0, SEEK_END) != 0 || fstat(fileno(f), &st) != 0) {
		fprintf(stderr, "platformctl: %s: %s\n", path, strerror(errno));
		if (f != NULL)
			fclose(f);
		return EXIT_RUNTIME;
	}
	for (;;) {
		while ((got = fread(buf, 1, sizeof(buf), f)) > 0)
			fwrite(buf, 1, got, stdout);
		fflush(stdout);
		clearerr(f);
		ctl_logs_sleep();
		if (stat(path, &now) == 0 && (now.st_ino != st.st_ino || now.st_dev != st.st_dev)) {
			FILE *nf = fopen(path, "r");

			if (nf == NULL)
				continue;
			while ((got = fread(buf, 1, sizeof(buf), f)) > 0) /* rest of the old one */
				fwrite(buf, 1, got, stdout);
			fclose(f);
			f = nf;
			fstat(fileno(f), &st);
		}
	}
}

static bool
ctl_logs_name_ok(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n >= 32)
		return false;
	for (; *s != '\0'; s++)
		if (!islower((unsigned char)*s) && !isdigit((unsigned char)*s) && *s != '-' &&
		    *s != '_')
			return false;
	return true;
}

int
ctl_logs_main(const char *var_dir, int argc, char **argv)
{
	bool follow = false;
	long lines = 20;
	char path[4096], *end;
	int c;

	optind = 0; /* glibc: re-initialise after the global options */
	while ((c = getopt(argc, argv, "fn:")) != -1) {
		switch (c) {
		case 'f':
			follow = true;
			break;
		case 'n':
			lines = strtol(optarg, &end, 10);
			if (*end != '\0' || lines < 0 || lines > CTL_LOGS_MAX_LINES) {
				fprintf(stderr, "platformctl logs: bad -n '%s' (0..%d)\n", optarg,
				        CTL_LOGS_MAX_LINES);
				return EXIT_USAGE;
			}
			break;
		default:
			fputs("usage: platformctl logs <daemon> [-f] [-n N]\n", stderr);
			return EXIT_USAGE;
		}
	}
	if (optind + 1 != argc || !ctl_logs_name_ok(argv[optind])) {
		fputs("usage: platformctl logs <daemon> [-f] [-n N]   (daemon: postgres, migrate, "
		      "api, queue, platformd)\n",
		      stderr);
		return EXIT_USAGE;
	}
	snprintf(path, sizeof(path), "%s/log/%s.log", var_dir, argv[optind]);
	if (!ctl_logs_tail(path, lines, stdout)) {
		fprintf(stderr, "platformctl: no log for '%s' (%s: %s)\n", argv[optind], path,
		        strerror(errno));
		return EXIT_RUNTIME;
	}
	return follow ? ctl_logs_follow(path) : EXIT_OK;
}
