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

/* malloc'd default socket path of a daemon run by this user; caller frees. */
char *paths_default_socket(void);

/*
 * malloc'd socket path a client should use when none is given: $HERALD_SOCKET,
 * else this user's own daemon's socket if it exists, else the system daemon's
 * (RUNSTATEDIR/herald/heraldd.sock, where the systemd unit puts it) if that
 * exists, else this user's path (so that the error names the expected place).
 */
char *paths_client_socket(void);

/* malloc'd default state directory; caller frees. */
char *paths_default_state_dir(void);

/* mkdir -p with mode for each created component; 0 or -errno. */
int paths_mkdir_p(const char *dir, unsigned int mode);

#endif
