/* Just enough XML for S3 answers (ListObjectsV2, Error): find a flat element's text and
 * decode the predefined entities. Bounded by the given buffer; no recursion, no DTDs. */
#ifndef STORAGE_STORAGE_XML_H
#define STORAGE_STORAGE_XML_H

#include <stdbool.h>
#include <stddef.h>

/* Find the next <tag>text</tag> in [s, end). On success *val and *vlen span the raw text and
 * *next points past the closing tag. Attributes and nested elements of the same name are
 * not supported (S3 uses neither on the elements we read). */
bool storage_xml_find(const char *s, const char *end, const char *tag, const char **val,
                      size_t *vlen, const char **next);
/* Decode &amp; &lt; &gt; &quot; &apos; into a malloc'd string. NULL if the text holds any
 * other reference, a NUL byte or a CDATA section. */
char *storage_xml_text(const char *v, size_t n);

#endif
