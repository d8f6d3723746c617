/*
 * netinfo — what `bizenv db status` and `bizenv analyst` tell the county
 * about network access to the embedded server: where it listens, whether a
 * restart is still needed, the CA file analysts get and the psql line they
 * use (load/pgnet.h, load/certs.h). Prints to the stream it is given.
 */
#ifndef BZ_NETINFO_H
#define BZ_NETINFO_H

#include "../common/settings.h"

#include <stdio.h>

/* Prints the state of network access, a few lines in Chinese. Nothing is
 * changed. Returns 0, or the bz_error status of a bad `listen` after
 * printing it. */
int netinfo_print(const struct settings *s, FILE *out);

/* Prints the psql command line an analyst `user` runs on another
 * machine, with `host` the server's name or address (NULL: the listen
 * address, or this machine's name when it listens on every interface). */
void netinfo_print_psql(const struct settings *s, const char *host, const char *user, FILE *out);

#endif
