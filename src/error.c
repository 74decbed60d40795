/*
 * error.c - recording failures in a struct error and mapping them to exit statuses.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "error.h"

/*
 * A message is one line of plain text whatever it quotes: a control character from the
 * input (an id with an escape sequence, a newline in a file name) becomes '?', so that it
 * can neither span lines nor drive the terminal that shows it.
 */
static void plain(char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			*s = '?';
}

int error_set(struct error *err, int code, const char *fmt, ...)
{
	va_list ap;

	if (err) {
		err->code = code;
		va_start(ap, fmt);
		vsnprintf(err->msg, sizeof err->msg, fmt, ap);
		va_end(ap);
		plain(err->msg);
	}
	return code;
}

int error_prefix(struct error *err, const char *fmt, ...)
{
	char prefix[256];
	size_t plen, mlen;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(prefix, sizeof prefix, fmt, ap);
	va_end(ap);
	plen = strlen(prefix);
	mlen = strnlen(err->msg, sizeof err->msg - 1);
	if (plen + mlen > sizeof err->msg - 1)
		mlen = sizeof err->msg - 1 - plen; /* the end of the message goes first */
	memmove(err->msg + plen, err->msg, mlen);
	memcpy(err->msg, prefix, plen);
	err->msg[plen + mlen] = '\0';
	plain(err->msg);
	return err->code;
}

int error_exit_status(int code)
{
	if (code == QE_OK)
		return EXIT_OK;
	if (code == QE_INPUT)
		return EXIT_USAGE;
	if (code == QE_TIMEOUT)
		return EXIT_TIMEOUT;
	return EXIT_FAIL;
}
