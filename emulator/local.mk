# emulator/: herald-emulator, a local stand-in for the push providers.
# Everything but main.c is a convenience library so the tests can link it.
EMU_CFLAGS = $(AM_CFLAGS) $(LIBEVENT_CFLAGS) $(OPENSSL_CFLAGS) $(NGHTTP2_CFLAGS) $(JANSSON_CFLAGS)
EMU_LIBS = emulator/libemulator.la common/libcommon.la \
	$(LIBEVENT_LIBS) $(OPENSSL_LIBS) $(NGHTTP2_LIBS) $(JANSSON_LIBS)

noinst_LTLIBRARIES += emulator/libemulator.la
emulator_libemulator_la_SOURCES = \
	emulator/adm.c emulator/adm.h \
	emulator/apns.c emulator/apns.h \
	emulator/baidu.c emulator/baidu.h \
	emulator/bearer.c emulator/bearer.h \
	emulator/settings.c emulator/settings.h \
	emulator/control.c emulator/control.h \
	emulator/faults.c emulator/faults.h \
	emulator/fcm.c emulator/fcm.h \
	emulator/h2.c emulator/h2.h \
	emulator/init.c \
	emulator/jwt.c emulator/jwt.h \
	emulator/mpns.c emulator/mpns.h \
	emulator/rng.h \
	emulator/state.c emulator/state.h \
	emulator/wns.c emulator/wns.h
emulator_libemulator_la_CFLAGS = $(EMU_CFLAGS)

bin_PROGRAMS += herald-emulator
herald_emulator_SOURCES = emulator/main.c
herald_emulator_CFLAGS = $(EMU_CFLAGS)
herald_emulator_LDADD = $(EMU_LIBS)
