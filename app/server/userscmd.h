/* SPDX-License-Identifier: MIT */
/* userscmd: the `gatehouse users` command line (see userscmd.c). */
#ifndef GH_USERSCMD_H
#define GH_USERSCMD_H

/* userscmd_main runs `gatehouse users sync [--tenant SLUG]` (argv holds
 * what follows "users") and returns the exit status. */
int userscmd_main(int argc, char **argv, const char *env_file);

#endif
