/*
 * Topic fan-out from a durable cursor.  A topic message is stored once; its
 * fan-out reads the topic's subscriptions a page at a time in subscription
 * seq order after the cursor (delivery_store.c), queues one delivery per
 * subscriber on its application, and keeps at most delivery.fanout_window
 * deliveries alive, so memory does not grow with the topic.
 *
 * Pages are kept in read order, each counting its deliveries whose first
 * attempt has not finished.  When the oldest pages are done, the cursor (the
 * low-water mark) moves to the last subscription seq they covered and is
 * written with the next flush, after the outcomes of those deliveries (a
 * retry row is written before the cursor that passes it).  After a crash the
 * fan-out resumes from the cursor: deliveries past it whose outcome was not
 * written are sent again, at most the window plus one page.
 *
 * At most delivery.max_fanouts fan-outs run at once (so memory is bounded
 * by max_fanouts x fanout_window); a topic message beyond that waits in the
 * store, its id in the engine's wait list, and is loaded again when one
 * ends (delivery_store.c).
 *
 * Threading: the loop thread; the filter inputs (attrs, text) are read by
 * the page job on the store thread while it runs, and by nothing else.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "broker/delivery_int.h"
#include "common/log.h"

#define FANOUT_PAGE 512 /* subscriptions read per page at most */

struct fanout_page {
	struct fanout_page *next;
	struct fanout *f;
	int64_t last_seq;  /* the last subscription seq the page covered */
	unsigned int left; /* its deliveries not finished */
};

struct fanout {
	struct fanout *next;
	struct delivery *d;
	struct dlv_msg *msg;
	char *topic_arn;
	json_t *attrs; /* MessageAttributes, for filter policies */
	char *text;    /* Message, for MessageBody filter policies */
	size_t text_len;
	int64_t cursor;	  /* every subscriber up to this seq has finished */
	int64_t read_seq; /* the last subscription seq read */
	struct fanout_page *head, *tail;
	unsigned int alive; /* deliveries queued or in flight */
	bool loading, end;
};

static void fanout_free(struct fanout *f)
{
	struct fanout_page *p;

	while ((p = f->head)) {
		f->head = p->next;
		free(p);
	}
	if (f->msg)
		f->msg->fanout = NULL;
	dlv_msg_unref(f->msg);
	json_decref(f->attrs);
	free(f->text);
	free(f->topic_arn);
	free(f);
}

static void fanout_unlink(struct fanout *f)
{
	struct delivery *d = f->d;

	for (struct fanout **pp = &d->fanouts; *pp; pp = &(*pp)->next) {
		if (*pp == f) {
			*pp = f->next;
			d->n_fanouts--;
			break;
		}
	}
}

/* Queue a progress write: the cursor moved, and maybe the fan-out is done. */
static void fanout_progress(struct fanout *f, bool done)
{
	struct dlv_write *w = calloc(1, sizeof(*w));

	if (!w || !(w->message_id = strdup(f->msg->id))) {
		free(w);
		log_err("delivery: out of memory; the cursor of message %s is not saved",
			f->msg->id);
		return;
	}
	w->kind = DLV_W_PROGRESS;
	w->cursor = f->cursor;
	w->done = done;
	dlv_write_add(f->d, w);
}

/* Pop the finished pages at the head; write the new cursor; finish the fan-out. */
static void fanout_advance(struct fanout *f)
{
	struct fanout_page *p;
	bool moved = false;

	while ((p = f->head) && p->left == 0) {
		f->head = p->next;
		if (!f->head)
			f->tail = NULL;
		f->cursor = p->last_seq;
		moved = true;
		free(p);
	}
	if (f->end && !f->head && !f->loading) {
		struct delivery *d = f->d;

		fanout_progress(f, true);
		fanout_unlink(f);
		fanout_free(f);
		dlv_fanout_admit(d);
		return;
	}
	if (moved)
		fanout_progress(f, false);
	fanout_more(f);
}

struct fanout *fanout_new(struct delivery *d, struct dlv_msg *msg, const char *topic_arn,
			  int64_t cursor)
{
	struct fanout *f = calloc(1, sizeof(*f));
	json_t *m;

	if (!f || !(f->topic_arn = strdup(topic_arn)))
		goto oom;
	m = json_object_get(msg->body, "Message");
	f->text_len = json_string_length(m);
	f->text = malloc(f->text_len + 1);
	if (!f->text)
		goto oom;
	memcpy(f->text, json_string_value(m) ? json_string_value(m) : "", f->text_len);
	f->text[f->text_len] = '\0';
	if (json_object_get(msg->body, "MessageAttributes") &&
	    !(f->attrs = json_deep_copy(json_object_get(msg->body, "MessageAttributes"))))
		goto oom;
	f->d = d;
	f->msg = msg;
	msg->refs++;
	msg->fanout = f;
	f->cursor = f->read_seq = cursor;
	f->next = d->fanouts;
	d->fanouts = f;
	d->n_fanouts++;
	fanout_more(f);
	return f;
oom:
	if (f) {
		json_decref(f->attrs);
		free(f->text);
		free(f->topic_arn);
		free(f);
	}
	return NULL;
}

void fanout_more(struct fanout *f)
{
	unsigned int window = f->d->conf->fanout_window, room;

	if (f->loading || f->end || f->alive >= window || f->d->quiescing)
		return;
	room = window - f->alive;
	if (room > FANOUT_PAGE)
		room = FANOUT_PAGE;
	if (dlv_page_submit(f->d, f, f->topic_arn, f->read_seq, room, f->attrs, f->text,
			    f->text_len) < 0) {
		log_err("delivery: cannot read the subscribers of %s; message %s resumes after "
			"a restart",
			f->topic_arn, f->msg->id);
		return;
	}
	f->loading = true;
}

void fanout_page_loaded(struct fanout *f, struct fanout_page_result *r)
{
	struct fanout_page *p;

	f->loading = false;
	if (r->status) {
		log_err("delivery: reading the subscribers of %s failed; message %s resumes "
			"after a restart",
			f->topic_arn, f->msg->id);
		return;
	}
	p = calloc(1, sizeof(*p));
	if (!p) {
		log_err("delivery: out of memory; message %s resumes after a restart", f->msg->id);
		return;
	}
	p->f = f;
	p->last_seq = r->last_seq;
	p->left = 1; /* held while its deliveries are queued */
	if (f->tail)
		f->tail->next = p;
	else
		f->head = p;
	f->tail = p;
	f->read_seq = r->last_seq;
	f->end = r->end;
	for (size_t i = 0; i < r->n; i++) {
		p->left++;
		f->alive++;
		if (dlv_enqueue(f->d, f->msg, &r->targets[i], p) < 0) {
			/* Its application is unknown or memory ran out: skip it. */
			p->left--;
			f->alive--;
		}
	}
	p->left--;
	fanout_advance(f);
}

void fanout_page_done(struct fanout_page *page)
{
	struct fanout *f = page->f;

	page->left--;
	f->alive--;
	if (page == f->head && page->left == 0)
		fanout_advance(f);
	else
		fanout_more(f);
}

void fanout_free_all(struct delivery *d)
{
	struct fanout *f;

	while ((f = d->fanouts)) {
		d->fanouts = f->next;
		fanout_free(f);
	}
	d->n_fanouts = 0;
}
