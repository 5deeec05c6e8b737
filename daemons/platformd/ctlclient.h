/* platformctl's side of the control socket (protocol in control.h). */
#ifndef PLATFORMD_CTLCLIENT_H
#define PLATFORMD_CTLCLIENT_H

#include <stddef.h>
#include <cjson/cJSON.h>

/* Send one request line and parse the JSON reply. NULL with a message in err when
 * platformd does not answer or the reply is malformed. Caller frees the result. */
cJSON *ctlclient_request(const char *sock_path, const char *request, char *err, size_t n);

#endif
