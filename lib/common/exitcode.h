/* Exit codes shared by every platform executable. The supervisor reads them:
 * EXIT_TEMPFAIL-like codes are restarted with backoff, EXIT_PERMANENT is not. */
#ifndef COMMON_EXITCODE_H
#define COMMON_EXITCODE_H

#define EXIT_OK        0  /* success, or clean shutdown after SIGTERM */
#define EXIT_RUNTIME   1  /* runtime failure (database gone, ...): restart */
#define EXIT_USAGE     64 /* bad command line: do not restart */
#define EXIT_MIGRATION 65 /* migrate: an applied migration changed, or a migration failed */
#define EXIT_DB        69 /* database unreachable after all retries: restart */
#define EXIT_CONFIG    78 /* bad configuration: permanent failure, do not restart */

#endif
