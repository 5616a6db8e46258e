/* SPDX-License-Identifier: MIT */
/* tenantcmd: the `gatehouse tenant create|list|delete|set` commands. */
#ifndef GH_TENANTCMD_H
#define GH_TENANTCMD_H

/* tenantcmd_run runs `tenant <argv...>` with the settings of env_file and
 * returns the process exit status (0 done, 1 failed, 2 usage). */
int tenantcmd_run(int argc, char **argv, const char *env_file);

#endif
