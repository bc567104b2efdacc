# broker/: heraldd.  Everything but main.c is in libbroker so that unit tests link it.
noinst_LTLIBRARIES += broker/libbroker.la
broker_libbroker_la_SOURCES = \
	broker/conf.c broker/conf.h \
	broker/store.h broker/store_sqlite.c \
	broker/op.c broker/op.h broker/ops.h \
	broker/arn.c broker/arn.h \
	broker/api.c broker/api.h \
	broker/ops_platform.c \
	broker/ops_topic.c \
	broker/ops_tag.c \
	broker/filter_policy.c broker/filter_policy.h broker/filter_match.c \
	broker/ops_publish.c \
	broker/msgattr.c broker/msgattr.h \
	broker/payload.c broker/payload.h \
	broker/events.c broker/events.h \
	broker/front_native.c broker/front_native.h \
	broker/sigv4.c broker/sigv4.h \
	broker/query.c broker/query.h \
	broker/xml.c broker/xml.h \
	broker/metrics.c broker/metrics.h \
	broker/front_http.c broker/front_http.h \
	broker/plugin.c broker/plugin.h \
	broker/hostsvc.c broker/hostsvc.h \
	broker/http1.c broker/http1.h \
	broker/jws.c broker/jws.h \
	broker/oauth.c broker/oauth.h \
	broker/delivery.c broker/delivery.h broker/delivery_int.h \
	broker/delivery_apps.c broker/delivery_store.c broker/fanout.c \
	broker/retry.c broker/retry.h \
	broker/latency.c broker/latency.h
BROKER_CFLAGS = $(AM_CFLAGS) $(LIBEVENT_CFLAGS) $(OPENSSL_CFLAGS) $(MSGPACK_CFLAGS) \
	$(LIBCONFIG_CFLAGS) $(JANSSON_CFLAGS) $(SQLITE_CFLAGS) $(CURL_CFLAGS)
broker_libbroker_la_CFLAGS = $(BROKER_CFLAGS)
broker_libbroker_la_LIBADD = common/libcommon.la $(LIBEVENT_LIBS) $(OPENSSL_LIBS) \
	$(MSGPACK_LIBS) $(LIBCONFIG_LIBS) $(JANSSON_LIBS) $(SQLITE_LIBS) $(CURL_LIBS) -lm

sbin_PROGRAMS += heraldd
heraldd_SOURCES = broker/main.c
heraldd_CFLAGS = $(BROKER_CFLAGS)
heraldd_LDADD = broker/libbroker.la

# The driver SDK: <herald/driver.h>, with herald-driver.pc (see herald-driver(7)).
pkginclude_HEADERS += include/herald/driver.h

# The HTTP/2 client of the driver host services (broker/http2.h).
broker_libbroker_la_SOURCES += broker/http2.c broker/http2.h
BROKER_CFLAGS += $(NGHTTP2_CFLAGS)
broker_libbroker_la_LIBADD += $(NGHTTP2_LIBS)
