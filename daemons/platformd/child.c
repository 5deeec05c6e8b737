/* fork/exec of supervised daemons. Only async-signal-safe work after fork, apart from
 * setenv and getpwnam, which are safe here because platformd is single-threaded. */
#include "child.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <unistd.h>

#include "pgembed.h"

static void
child_exec(const struct svc_def *def, const char *notify_path, int out, pid_t parent)
{
	sigset_t none;
	int devnull = open("/dev/null", O_RDONLY);

	setpgid(0, 0);
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	signal(SIGPIPE, SIG_DFL);
	signal(SIGTERM, SIG_DFL);
	signal(SIGINT, SIG_DFL);
	signal(SIGHUP, SIG_DFL);
	signal(SIGCHLD, SIG_DFL);
	if (devnull >= 0)
		dup2(devnull, STDIN_FILENO);
	dup2(out, STDOUT_FILENO);
	dup2(out, STDERR_FILENO);
	if (notify_path != NULL)
		setenv("NOTIFY_SOCKET", notify_path, 1);
	else
		unsetenv("NOTIFY_SOCKET");
	if (!pgembed_become(def->user)) {
		dprintf(STDERR_FILENO, "platformd: cannot switch to user %s: %s\n", def->user,
		        strerror(errno));
		_exit(127);
	}
	/* If platformd dies (even by SIGKILL), its daemons are told to stop instead of
	 * lingering and holding ports and data directories. Set after the user switch,
	 * which clears it; the getppid check covers a parent that died before. */
	prctl(PR_SET_PDEATHSIG, def->stop_signal);
	if (getppid() != parent)
		_exit(1);
	execv(def->argv[0], def->argv);
	dprintf(STDERR_FILENO, "platformd: cannot run %s: %s\n", def->argv[0], strerror(errno));
	_exit(127);
}

pid_t
child_spawn(const struct svc_def *def, const char *notify_path, int *out_fd)
{
	int p[2];
	pid_t pid, parent = getpid();

	if (pipe2(p, O_CLOEXEC) != 0)
		return -1;
	pid = fork();
	if (pid < 0) {
		close(p[0]);
		close(p[1]);
		return -1;
	}
	if (pid == 0)
		child_exec(def, notify_path, p[1], parent); /* dup2 clears CLOEXEC on 1, 2 */
	setpgid(pid, pid); /* also here, so a signal right after fork reaches the group */
	close(p[1]);
	fcntl(p[0], F_SETFL, O_NONBLOCK);
	*out_fd = p[0];
	return pid;
}

void
child_signal(pid_t pid, int sig)
{
	if (pid <= 0)
		return;
	if (kill(-pid, sig) != 0)
		kill(pid, sig);
}
