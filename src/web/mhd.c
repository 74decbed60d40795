/*
 * mhd.c - libmicrohttpd, loaded when 'queuectl web' starts instead of when any command does.
 *
 * Debian's libmicrohttpd brings GnuTLS and eight more libraries with it, and loading them
 * (relocations, constructors) cost every process about 5 ms on the machine of
 * bench/RESULTS.md, more than the whole work of an enqueue.  So the binary is not linked
 * with the library: web_serve calls mhd_load, which opens it with dlopen, and the few
 * functions the server uses are defined below with the library's names and prototypes
 * (from its own header), each calling through the pointer that dlsym found.  The rest of
 * src/web/ calls them as the library's manual says.
 */
#include <dlfcn.h>
#include <microhttpd.h>
#include <stdarg.h>
#include <string.h>

#include "web.h"

#ifndef MHD_SONAME
#define MHD_SONAME "libmicrohttpd.so.12" /* meson.build writes the one it built against */
#endif

/* Every function of the library that queuectl calls (MHD_start_daemon through its _va). */
#define MHD_FUNCTIONS(X)                                                                      \
	X(MHD_start_daemon_va)                                                                 \
	X(MHD_stop_daemon)                                                                     \
	X(MHD_get_daemon_info)                                                                 \
	X(MHD_create_response_from_buffer)                                                     \
	X(MHD_create_response_from_callback)                                                   \
	X(MHD_add_response_header)                                                             \
	X(MHD_destroy_response)                                                                \
	X(MHD_queue_response)                                                                  \
	X(MHD_lookup_connection_value)

#define POINTER(f) __typeof__(&f) f;
static struct {
	MHD_FUNCTIONS(POINTER)
} lib;
static void *handle;

int mhd_load(struct error *err)
{
	void *h, *p;

	if (handle)
		return 0;
	if (!(h = dlopen(MHD_SONAME, RTLD_NOW | RTLD_LOCAL)))
		return error_set(err, QE_FAIL, "cannot load the HTTP server's library: %s",
				 dlerror());
	/* A function pointer from dlsym's void *: copied, as POSIX allows and ISO C does not say. */
#define LOAD(f)                                                                              \
	if (!(p = dlsym(h, #f))) {                                                             \
		dlclose(h);                                                                    \
		return error_set(err, QE_FAIL, "%s has no %s", MHD_SONAME, #f);                \
	}                                                                                      \
	memcpy(&lib.f, &p, sizeof p);
	MHD_FUNCTIONS(LOAD)
#undef LOAD
	handle = h;
	return 0;
}

struct MHD_Daemon *MHD_start_daemon(unsigned int flags, uint16_t port,
				    MHD_AcceptPolicyCallback apc, void *apc_cls,
				    MHD_AccessHandlerCallback dh, void *dh_cls, ...)
{
	struct MHD_Daemon *d;
	va_list ap;

	va_start(ap, dh_cls);
	d = lib.MHD_start_daemon_va(flags, port, apc, apc_cls, dh, dh_cls, ap);
	va_end(ap);
	return d;
}

void MHD_stop_daemon(struct MHD_Daemon *daemon)
{
	lib.MHD_stop_daemon(daemon);
}

/* Only kinds of information that take no further argument are asked for (a port). */
const union MHD_DaemonInfo *MHD_get_daemon_info(struct MHD_Daemon *daemon,
						enum MHD_DaemonInfoType info_type, ...)
{
	return lib.MHD_get_daemon_info(daemon, info_type);
}

struct MHD_Response *MHD_create_response_from_buffer(size_t size, void *buffer,
						     enum MHD_ResponseMemoryMode mode)
{
	return lib.MHD_create_response_from_buffer(size, buffer, mode);
}

struct MHD_Response *MHD_create_response_from_callback(uint64_t size, size_t block_size,
						       MHD_ContentReaderCallback crc,
						       void *crc_cls,
						       MHD_ContentReaderFreeCallback crfc)
{
	return lib.MHD_create_response_from_callback(size, block_size, crc, crc_cls, crfc);
}

enum MHD_Result MHD_add_response_header(struct MHD_Response *response, const char *header,
					const char *content)
{
	return lib.MHD_add_response_header(response, header, content);
}

void MHD_destroy_response(struct MHD_Response *response)
{
	lib.MHD_destroy_response(response);
}

enum MHD_Result MHD_queue_response(struct MHD_Connection *connection, unsigned int status_code,
				   struct MHD_Response *response)
{
	return lib.MHD_queue_response(connection, status_code, response);
}

const char *MHD_lookup_connection_value(struct MHD_Connection *connection,
					enum MHD_ValueKind kind, const char *key)
{
	return lib.MHD_lookup_connection_value(connection, kind, key);
}
