/* The pieces of the notices' mail (notice.c) kept apart from sending so that they are tested
 * byte for byte (tests/unit/plans/test_notice.c), and the checks the settings share. */
#ifndef HL_PLANS_NOTICE_INT_H
#define HL_PLANS_NOTICE_INT_H

#include <stddef.h>

#define HL_MAIL_ADDR_MAX 254 /* bytes of an address (RFC 5321's path less its brackets) */
#define HL_MAIL_NAME_MAX 120 /* bytes of a display name in mail_from */

/* Is `addr` an address halong sends to: local@domain, at most 254 bytes, a dot-atom local part
 * of letters, digits and !#$%&'*+-/=?^_`{|}~ (dots not first, last or doubled), a domain of two
 * or more labels of letters, digits and inner hyphens. Nothing else (no spaces, quotes, angle
 * brackets, commas or line breaks: they would reach the headers and the SMTP commands). */
int hl_plans__email_valid(const char *addr);

/* Reads mail_from: "addr" or "Display Name <addr>" (a name of printable UTF-8 without quotes,
 * angle brackets or line breaks, at most 120 bytes). 0, or HL_EINVALID naming mail_from. */
int hl_plans__mailbox_parse(char name[HL_MAIL_NAME_MAX + 1], char addr[HL_MAIL_ADDR_MAX + 1],
                            const char *s);

/* Is `url` an SMTP server's URL: smtp:// or smtps://, a host, an optional port, no user or
 * password in it (they are settings of their own, never in a URL that may be shown), no
 * spaces or control characters, at most 500 bytes. 0, or HL_EINVALID naming smtp_url. */
int hl_plans__smtp_url_check(const char *url);

/* `text` as quoted-printable (RFC 2045 6.7): lines end in CRLF (a lone LF becomes one), no
 * encoded line is longer than 76, '=' and bytes outside printable ASCII as =XX, a space or a tab
 * before a line's end encoded. malloc'd; NULL: out of memory. */
char *hl_plans__qp(const char *text);

/* A header's value as RFC 2047 encoded-words (=?UTF-8?B?…?=), each holding whole UTF-8
 * characters and at most 36 bytes of text, folded onto lines of at most 76 (CRLF and a space
 * between words); pure printable ASCII of at most 60 bytes is returned as it is. malloc'd. */
char *hl_plans__header_words(const char *text);

/* A message to build. */
typedef struct {
	const char *from;       /* mail_from as set: "addr" or "Name <addr>" */
	const char *to;         /* one address */
	const char *subject;    /* UTF-8 */
	const char *body;       /* UTF-8, lines ending in LF */
	const char *date;       /* RFC 5322: "Thu, 03 Jul 2025 08:00:00 +0700" */
	const char *message_id; /* "<…@…>" */
} hl_plans__mail;

/* The whole message, headers (From, To, Subject, Date, Message-ID, MIME-Version,
 * Content-Type text/plain; charset=UTF-8, Content-Transfer-Encoding quoted-printable,
 * Auto-Submitted auto-generated) and body, with CRLF line ends. malloc'd; NULL with the error
 * set (a bad from or to: HL_EINVALID). */
char *hl_plans__mail_build(const hl_plans__mail *m);

/* "Thu, 03 Jul 2025 08:00:00 +0700": the instant t in Asia/Ho_Chi_Minh (UTC+7, no DST). */
void hl_plans__mail_date(char out[40], long long t);

#endif
