# doc/: man pages.
dist_man_MANS += doc/man/herald.1 doc/man/heraldd.8 doc/man/herald.conf.5 doc/man/herald-emulator.1
