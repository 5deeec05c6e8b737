/* Slack incoming webhook: one JSON POST with libcurl, bounded by a time-out. */
#include "slack.h"

#include <stdlib.h>
#include <curl/curl.h>

#include "json.h"

/* The response body is not needed; swallow it instead of letting curl print it. */
static size_t
discard(char *ptr, size_t size, size_t nmemb, void *userdata)
{
	(void)ptr;
	(void)userdata;
	return size * nmemb;
}

struct err *
slack_webhook_post(const char *webhook_url, const char *text, long timeout_ms)
{
	cJSON *msg = json_object();
	char *body;
	CURL *curl = curl_easy_init();
	struct curl_slist *headers = NULL;
	CURLcode rc;
	long status = 0;
	struct err *e = NULL;

	cJSON_AddStringToObject(msg, "text", text);
	body = json_print(msg);
	cJSON_Delete(msg);
	if (curl == NULL) {
		free(body);
		return err_internal("slack: curl_easy_init failed");
	}
	headers = curl_slist_append(headers, "Content-Type: application/json");
	curl_easy_setopt(curl, CURLOPT_URL, webhook_url);
	curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers);
	curl_easy_setopt(curl, CURLOPT_POSTFIELDS, body);
	curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, timeout_ms);
	curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(curl, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, discard);
	rc = curl_easy_perform(curl);
	if (rc == CURLE_OK)
		curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status);
	if (rc != CURLE_OK)
		e = err_internal("slack: webhook post failed: %s", curl_easy_strerror(rc));
	else if (status < 200 || status > 299)
		e = err_internal("slack: webhook answered HTTP %ld", status);
	curl_slist_free_all(headers);
	curl_easy_cleanup(curl);
	free(body);
	return e;
}
