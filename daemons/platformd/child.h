/* Starting one supervised process: its own process group (so stopping it reaches
 * everything it started), stdout and stderr into a pipe, NOTIFY_SOCKET set. */
#ifndef PLATFORMD_CHILD_H
#define PLATFORMD_CHILD_H

#include <sys/types.h>

#include "svc.h"

/* Fork and exec def. notify_path may be NULL. On success returns the pid and sets
 * *out_fd to the read end of the output pipe (non-blocking); -1 on failure. */
pid_t child_spawn(const struct svc_def *def, const char *notify_path, int *out_fd);
/* Signal the child's whole process group. */
void child_signal(pid_t pid, int sig);

#endif
