# tests/unit/: one CUnit program per module.
UNIT_CFLAGS = $(BROKER_CFLAGS) $(CUNIT_CFLAGS)
UNIT_LDADD = broker/libbroker.la $(CUNIT_LIBS)
UNIT_FIXTURE = tests/unit/fixture.c tests/unit/fixture_run.c tests/unit/fixture.h tests/unit/run.h

unit_tests = \
	tests/unit/test_arn \
	tests/unit/test_op \
	tests/unit/test_store \
	tests/unit/test_seal \
	tests/unit/test_frame \
	tests/unit/test_mpjson \
	tests/unit/test_front_native \
	tests/unit/test_conf \
	tests/unit/test_ops_platform \
	tests/unit/test_ops_topic \
	tests/unit/test_ops_tag \
	tests/unit/test_ops_publish \
	tests/unit/test_sigv4 \
	tests/unit/test_query \
	tests/unit/test_xml \
	tests/unit/test_plugin \
	tests/unit/test_delivery_state \
	tests/unit/test_payload \
	tests/unit/test_events \
	tests/unit/test_filter_match \
	tests/unit/test_token_check \
	tests/unit/test_jws \
	tests/unit/test_http1 \
	tests/unit/test_oauth \
	tests/unit/test_hostsvc \
	tests/unit/test_http2
check_PROGRAMS += $(unit_tests)
TESTS += $(unit_tests)

tests_unit_test_arn_SOURCES = tests/unit/test_arn.c tests/unit/fixture_run.c tests/unit/fixture.h
tests_unit_test_arn_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_arn_LDADD = $(UNIT_LDADD)
tests_unit_test_op_SOURCES = tests/unit/test_op.c tests/unit/fixture_run.c tests/unit/fixture.h
tests_unit_test_op_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_op_LDADD = $(UNIT_LDADD)
tests_unit_test_store_SOURCES = tests/unit/test_store.c $(UNIT_FIXTURE)
tests_unit_test_store_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_store_LDADD = $(UNIT_LDADD)
tests_unit_test_seal_SOURCES = tests/unit/test_seal.c $(UNIT_FIXTURE)
tests_unit_test_seal_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_seal_LDADD = $(UNIT_LDADD)
tests_unit_test_frame_SOURCES = tests/unit/test_frame.c tests/unit/fixture_run.c tests/unit/fixture.h
tests_unit_test_frame_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_frame_LDADD = $(UNIT_LDADD)
tests_unit_test_mpjson_SOURCES = tests/unit/test_mpjson.c tests/unit/fixture_run.c tests/unit/fixture.h
tests_unit_test_mpjson_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_mpjson_LDADD = $(UNIT_LDADD)
tests_unit_test_conf_SOURCES = tests/unit/test_conf.c $(UNIT_FIXTURE)
tests_unit_test_conf_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_conf_LDADD = $(UNIT_LDADD)
tests_unit_test_ops_platform_SOURCES = tests/unit/test_ops_platform.c $(UNIT_FIXTURE)
tests_unit_test_ops_platform_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_ops_platform_LDADD = $(UNIT_LDADD)
tests_unit_test_ops_topic_SOURCES = tests/unit/test_ops_topic.c $(UNIT_FIXTURE)
tests_unit_test_ops_topic_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_ops_topic_LDADD = $(UNIT_LDADD)
tests_unit_test_ops_tag_SOURCES = tests/unit/test_ops_tag.c $(UNIT_FIXTURE)
tests_unit_test_ops_tag_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_ops_tag_LDADD = $(UNIT_LDADD)
tests_unit_test_ops_publish_SOURCES = tests/unit/test_ops_publish.c $(UNIT_FIXTURE)
tests_unit_test_ops_publish_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_ops_publish_LDADD = $(UNIT_LDADD)
tests_unit_test_sigv4_SOURCES = tests/unit/test_sigv4.c tests/unit/fixture_run.c tests/unit/fixture.h
tests_unit_test_sigv4_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_sigv4_LDADD = $(UNIT_LDADD)
EXTRA_DIST += tests/unit/sigv4_vectors.py
# Not fixture.c: this test replaces api.c with a scripted api_call().
tests_unit_test_front_native_SOURCES = tests/unit/test_front_native.c tests/unit/fixture_run.c \
	tests/unit/fixture.h tests/integration/native_raw.c tests/integration/native_raw.h
tests_unit_test_front_native_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_front_native_LDADD = client/libherald.la $(UNIT_LDADD)
tests_unit_test_query_SOURCES = tests/unit/test_query.c tests/unit/fixture_run.c tests/unit/fixture.h
tests_unit_test_query_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_query_LDADD = $(UNIT_LDADD)
tests_unit_test_xml_SOURCES = tests/unit/test_xml.c tests/unit/fixture_run.c tests/unit/fixture.h
tests_unit_test_xml_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_xml_LDADD = $(UNIT_LDADD)
# The drivers it loads are check_LTLIBRARIES of tests/drivers/local.mk.
tests_unit_test_plugin_SOURCES = tests/unit/test_plugin.c $(UNIT_FIXTURE)
tests_unit_test_plugin_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_plugin_LDADD = $(UNIT_LDADD)
tests_unit_test_delivery_state_SOURCES = tests/unit/test_delivery_state.c $(UNIT_FIXTURE)
tests_unit_test_delivery_state_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_delivery_state_LDADD = $(UNIT_LDADD)
tests_unit_test_payload_SOURCES = tests/unit/test_payload.c tests/unit/fixture_run.c tests/unit/fixture.h
tests_unit_test_payload_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_payload_LDADD = $(UNIT_LDADD)
tests_unit_test_events_SOURCES = tests/unit/test_events.c tests/unit/fixture_run.c tests/unit/fixture.h
tests_unit_test_events_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_events_LDADD = $(UNIT_LDADD)
tests_unit_test_filter_match_SOURCES = tests/unit/test_filter_match.c tests/unit/fixture_run.c \
	tests/unit/fixture.h
tests_unit_test_filter_match_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_filter_match_LDADD = $(UNIT_LDADD)
tests_unit_test_token_check_SOURCES = tests/unit/test_token_check.c $(UNIT_FIXTURE)
tests_unit_test_token_check_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_token_check_LDADD = $(UNIT_LDADD)
tests_unit_test_jws_SOURCES = tests/unit/test_jws.c tests/unit/testsrv.c tests/unit/testsrv.h \
	tests/unit/fixture_run.c tests/unit/run.h
tests_unit_test_jws_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_jws_LDADD = $(UNIT_LDADD)
# test_http1, test_oauth and test_hostsvc serve HTTP(S) themselves (evhttp) with certificates from
# `herald-emulator init`; test_oauth also runs herald-emulator for its FCM token endpoint.
tests_unit_test_http1_SOURCES = tests/unit/test_http1.c tests/unit/testsrv.c tests/unit/testsrv.h \
	tests/unit/fixture_run.c tests/unit/run.h
tests_unit_test_http1_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_http1_LDADD = $(UNIT_LDADD)
tests_unit_test_oauth_SOURCES = tests/unit/test_oauth.c tests/unit/testsrv.c tests/unit/testsrv.h \
	tests/unit/fixture_run.c tests/unit/run.h
tests_unit_test_oauth_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_oauth_LDADD = $(UNIT_LDADD)
# Loads tests/drivers' good.so to get real apps from the plugin host.
tests_unit_test_hostsvc_SOURCES = tests/unit/test_hostsvc.c tests/unit/testsrv.c \
	tests/unit/testsrv.h tests/unit/fixture_run.c tests/unit/run.h
tests_unit_test_hostsvc_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_hostsvc_LDADD = $(UNIT_LDADD)
# The HTTP/2 client pool against a scriptable HTTP/2 TLS server (h2server.c).
tests_unit_test_http2_SOURCES = tests/unit/test_http2.c tests/unit/h2server.c \
	tests/unit/h2server.h tests/unit/fixture_run.c tests/unit/run.h
tests_unit_test_http2_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_http2_LDADD = $(UNIT_LDADD)
