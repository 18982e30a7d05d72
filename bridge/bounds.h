/* bounds.h - the limits several modules share, and the defaults of every
 * budget the configuration can change.
 *
 * A default here is what `fsbridge check` prints when the key is absent;
 * config.c holds the ranges a configured value must keep to. Limits a
 * single module keeps to itself stay in that module. (Not limits.h: GCC's
 * own <limits.h> reaches for the next limits.h on the include path, and
 * would find this one.)
 */
#ifndef FSB_BOUNDS_H
#define FSB_BOUNDS_H

#define FSB_KIB 1024ULL
#define FSB_MIB (1024ULL * 1024)

/* Default cap on an envelope or payload, bytes ([limits] max_message_bytes). */
#define FSB_CODEC_DEFAULT_MAX_BYTES (256u * 1024u)
/* Cap on a JSON document, bytes: a JSON message is several times larger
 * than its protobuf form. */
#define FSB_CODEC_JSON_MAX_BYTES (4u * 1024u * 1024u)
/* How far issuedAt may be ahead of arrival, and the tolerance on a
 * certificate's validity at arrival ([trust] max_clock_skew). */
#define FSB_DEFAULT_MAX_SKEW_MS (5 * 60 * 1000)
/* Bytes of a refused envelope kept as evidence in its reject. */
#define FSB_REJECT_RAW_MAX (256u * 1024u)

/* [limits] */
#define FSB_DEFAULT_INBOUND_BYTES (4 * FSB_MIB)
/* How long a full inbound queue holds the broker back before a message is
 * dropped (fetched again by sync): a backlog flows at the node's speed. */
#define FSB_DEFAULT_INBOUND_WAIT_MS (1 * 1000)
#define FSB_DEFAULT_REORDER_BYTES (4 * FSB_MIB)
#define FSB_DEFAULT_REORDER_STREAM_BYTES (1 * FSB_MIB)
#define FSB_DEFAULT_MAX_STREAMS 1024
#define FSB_DEFAULT_REJECT_BYTES (64 * FSB_MIB)

/* [sync] */
#define FSB_DEFAULT_RESEND_PER_SECOND 5000
#define FSB_DEFAULT_RESEND_BYTES_PER_SECOND (8 * FSB_MIB)
#define FSB_DEFAULT_RESEND_MEMORY_MS (60 * 1000)
#define FSB_DEFAULT_RESEND_JOBS 64

/* [cases]: when a province's acknowledgement is due, from the root's
 * issued_at. A class I recall or an alert within a day, as Circular
 * 17/2021 asks of the recall decision itself and RASFF of a response to an
 * alert; anything else that calls for action within three working days. */
#define FSB_DEFAULT_ACK_ALERT_MS (24LL * 3600 * 1000)
#define FSB_DEFAULT_ACK_OTHER_MS (72LL * 3600 * 1000)

/* A case read by the views holds at most this many messages (the rest are
 * counted, not read): a province flooding one case cannot make a view
 * take unbounded memory or time. */
#define FSB_CASE_MEMBERS_MAX 2000

/* What a trace reads, at most: entries under one key (the newest), the
 * establishments a product trace follows, the notices of one certificate
 * or one chain, the chains listed, the open cases shown. A product named
 * in a hundred thousand messages is traced in the time of these. */
#define FSB_TRACE_ENTRIES_MAX 500
#define FSB_TRACE_ESTABLISHMENTS_MAX 8
#define FSB_CERT_NOTICES_MAX 100
#define FSB_CHAIN_NOTICES_MAX 500
#define FSB_CHAINS_MAX 1000

/* The web view: where it listens unless [http] listen says, how many
 * connections it serves at once ([http] max_connections), and how many of
 * them may be live feeds ([http] max_live_feeds; a live feed holds its
 * connection for as long as the page is open). */
#define FSB_DEFAULT_HTTP_LISTEN "127.0.0.1:8080"
#define FSB_DEFAULT_HTTP_CONNECTIONS 64
#define FSB_DEFAULT_HTTP_LIVE_FEEDS 32

/* What a report keeps, at most: distinct analyte names (the rest are
 * counted under their hazard group), outbreak notices listed (the rest
 * counted), certificates judged, and durations kept for a median (past
 * that many recall or delivery times, the median is of the first ones;
 * the count and the maximum stay exact). A period of hostile messages
 * cannot make a report take unbounded memory. */
#define FSB_REPORT_ANALYTES_MAX 1000
#define FSB_REPORT_OUTBREAKS_MAX 200
#define FSB_REPORT_CERTS_MAX 100000
#define FSB_REPORT_DURATIONS_MAX (1u << 22)
#define FSB_TRACE_CASES_MAX 20

#endif
