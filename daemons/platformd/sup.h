/* The supervisor's state machine: one row per service, driven by events (a child
 * exited, said READY=1, produced output; a time-out expired; a control request).
 *
 *   state     event                    -> action, next state
 *   waiting   dependencies ready       -> spawn, starting
 *   starting  READY=1 / pg accepts     -> up      (oneshot: exit 0 -> done)
 *   up        STOPPING=1               -> (noted) stopping
 *   any live  exit, restartable code   -> backoff (delay doubles, capped)
 *   any live  exit 64, 65 or 78        -> failed  (not restarted)
 *   backoff   delay over               -> spawn, starting
 *   stopping  exit / stop time-out     -> stopped / SIGKILL to the process group
 */
#ifndef PLATFORMD_SUP_H
#define PLATFORMD_SUP_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>
#include <cjson/cJSON.h>

#include "log.h"
#include "logsink.h"
#include "svc.h"

enum sup_state {
	SUP_WAITING,
	SUP_STARTING,
	SUP_UP,
	SUP_DONE,
	SUP_BACKOFF,
	SUP_STOPPING,
	SUP_STOPPED,
	SUP_FAILED,
};

struct sup_proc {
	const struct svc_def *def;
	enum sup_state state;
	pid_t pid;
	int out_fd;        /* output pipe of the running child, -1 */
	int notify_fd;     /* datagram socket bound at notify_path (notify kind), -1 */
	char *notify_path; /* owned */
	struct logsink log;
	int64_t started_ms; /* monotonic, last spawn */
	int64_t next_ms;    /* backoff: spawn at; stopping: SIGKILL at; pgready: next ping */
	int64_t backoff_ms; /* the delay used for the last restart */
	int failures;       /* consecutive failures (reset after staying up) */
	int restarts;       /* spawns after the first */
	int last_exit;      /* exit code, 128+signal, or -1 */
	bool spawned_once;
	bool restart_now; /* restart requested: no backoff */
	bool killed;      /* SIGKILL sent */
};

enum sup_mode { SUP_RUN, SUP_SHUTDOWN, SUP_RESTART_ALL };

struct sup {
	const struct svc_table *table;
	struct sup_proc proc[SVC_MAX];
	size_t n;
	const struct logger *lg;
	int64_t stop_timeout_ms;
	enum sup_mode mode;
	bool start_reported;       /* the start result was reported */
	int64_t start_deadline_ms; /* report failure if not all ready by then */
	int start_fd;              /* where to report the start result (daemon mode), -1 */
	bool hurry;                /* second SIGTERM: no stop time-out */
	bool finished;             /* shut down: leave the loop */
	int exit_code;
};

/* Set up rows, log files and notify sockets under var_dir. False with a message in
 * err (size n) on failure. */
bool sup_init(struct sup *s, const struct svc_table *t, const char *var_dir, int64_t log_max,
              int log_keep, const struct logger *lg, char *err, size_t n);
void sup_free(struct sup *s);

/* Advance time: spawn, ping, kill on time-out. Returns ms until the next timed event
 * (-1: none). */
int sup_tick(struct sup *s, int64_t now);
void sup_on_exit(struct sup *s, pid_t pid, int status, int64_t now);
void sup_on_output(struct sup *s, size_t i);
void sup_on_notify(struct sup *s, size_t i, int64_t now);

/* SIGTERM or "stop": stop everything in reverse order and finish. */
void sup_stop_all(struct sup *s, int64_t now);
/* "restart": stop all, then start again in order (migrate runs again). */
void sup_restart_all(struct sup *s, int64_t now);
/* "restart <name>": false if there is no such service. */
bool sup_restart_one(struct sup *s, const char *name, int64_t now);

/* {"pid", "state": starting|running|stopping, "services": [...]}; caller frees. */
cJSON *sup_status(const struct sup *s, int64_t now);
const char *sup_state_name(enum sup_state st);

#endif
