/* platformctl user ...: manage password users (issue 4). */
#ifndef PLATFORMD_CTL_USER_H
#define PLATFORMD_CTL_USER_H

/* argv[0] is "user". Returns the process exit code. */
int ctl_user_main(int argc, char **argv);

#endif
