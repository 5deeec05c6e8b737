/* Lightbase management access (seed-api §6.10, §8.2, DECISIONS §13.4): magic-link users
 * with the global _lightbase role, out-of-band delivery of the link, and the nightly
 * purge of those users. */
#ifndef AUTH_MANAGEMENT_H
#define AUTH_MANAGEMENT_H

#include <stdbool.h>
#include <cjson/cJSON.h>
#include <libpq-fe.h>

#include "config.h"
#include "err.h"
#include "log.h"

struct management_request {
	const char *slack_user_id; /* 1..32 characters (validated by the route) */
	const char *tenant_name;   /* for the message text */
	const char *public_url; /* with scheme; the link is <public_url>/_lightbase/auth/<token> */
	const cJSON *tenant_metadata; /* {id, publicUrl, apiUrl} for the job (borrowed) */
};

/* Create the management user ("Lightbase management <slackUserId>", anonymous login,
 * every tenant, global role _lightbase, job auth.anonymousBased.userRegistered) in one
 * transaction (db must be outside one). In development *link_out receives the magic
 * link (caller frees); elsewhere *link_out is NULL and the link goes to
 * management.slack_webhook when set, else to the log. A failed delivery rolls the user
 * back (500). */
struct err *management_request_magic_link(PGconn *db, const struct config *cfg,
                                          const struct logger *lg,
                                          const struct management_request *req, char **link_out);

/* The nightly job backendManagement.invalidateUsers: hard-delete users holding the global
 * _lightbase role whose name contains "Lightbase management" (case-sensitive), and delete
 * their sessions. *deleted receives the number of users removed (may be NULL). */
struct err *management_purge_users(PGconn *db, long *deleted);

#endif
