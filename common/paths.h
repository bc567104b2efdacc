/*
 * Where heraldd keeps its state and socket when the configuration does not
 * say, so that the daemon and the herald CLI agree without configuration:
 *   root:  /var/lib/herald and /run/herald/heraldd.sock
 *   users: $XDG_STATE_HOME/herald (~/.local/state/herald) and
 *          $XDG_RUNTIME_DIR/herald/heraldd.sock (or /tmp/herald-$UID/heraldd.sock)
 * $HERALD_SOCKET overrides the socket path for both.
 */
#ifndef HERALD_COMMON_PATHS_H
#define HERALD_COMMON_PATHS_H

/* malloc'd default socket path; caller frees. */
char *paths_default_socket(void);

/* malloc'd default state directory; caller frees. */
char *paths_default_state_dir(void);

/* mkdir -p with mode for each created component; 0 or -errno. */
int paths_mkdir_p(const char *dir, unsigned int mode);

#endif
