/* platformctl logs <daemon> [-f] [-n N]: print (and follow) var/log/<daemon>.log. */
#ifndef PLATFORMD_CTL_LOGS_H
#define PLATFORMD_CTL_LOGS_H

#include <stdbool.h>
#include <stdio.h>

/* argv[0] is "logs". Returns the exit code. */
int ctl_logs_main(const char *var_dir, int argc, char **argv);
/* Print the last n lines of path to out; false if it cannot be read. */
bool ctl_logs_tail(const char *path, long n, FILE *out);

#endif
