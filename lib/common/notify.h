/* Readiness notification over $NOTIFY_SOCKET (the sd_notify datagram protocol).
 * systemd and platformd both listen on such a socket; without it this does nothing. */
#ifndef COMMON_NOTIFY_H
#define COMMON_NOTIFY_H

#include <stdbool.h>

/* Send e.g. "READY=1" or "STOPPING=1". Returns true if a message was sent. */
bool notify_send(const char *state);

#endif
