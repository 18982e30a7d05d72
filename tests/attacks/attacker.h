/* attacker.h - a hostile province, or anyone on a listener without an ACL,
 * for the attack suite (make test-attacks).
 *
 * Built on the project's own modules, as anyone who read PROTOCOL.md could
 * build it: the codec to make payloads, the signing module to sign them
 * with whatever key the attacker holds (its own, a TLS key, an expired or
 * revoked one), and the transport to publish on the exchange. It also
 * makes what no key can: junk envelopes carrying somebody else's (public)
 * certificate, oversize envelopes, forged control messages.
 */
#ifndef FSB_ATTACKER_H
#define FSB_ATTACKER_H

#include <stddef.h>
#include <stdint.h>

#include "../integration/harness.h"
#include "codec.h"

struct atk; /* one MQTT connection to the exchange broker */

/* Connects with origin's TLS client certificate from the PKI at pki (the
 * exchange listener: the ACL lets it write under its own origin only). */
struct atk *atk_tls(const struct broker *b, const char *pki, const char *origin);

/* Connects anonymously to the broker's listener without an ACL. */
struct atk *atk_open(const struct broker *b);

/* Publishes at QoS 1, within the broker's window; atk_drain() waits for
 * every acknowledgement. */
void atk_publish(struct atk *a, const char *topic, const void *data, size_t len, int retain);
void atk_drain(struct atk *a);

/* Subscribes to filter and counts what arrives. */
void atk_listen(struct atk *a, const char *filter);
uint64_t atk_heard(struct atk *a, uint64_t *bytes);

void atk_close(struct atk *a);

/* A stream message of origin at seq, linking to prev (NULL: zeros),
 * issued at issued_ms, signed with pki/KEY.key and carrying pki/KEY.crt.
 * The example recall with `reference` as its reference and `pad` bytes of
 * free text; its payload hash goes to hash when not NULL. Malloc'd. */
uint8_t *atk_message(const char *pki, const char *key, const char *origin, uint64_t seq,
		     const uint8_t *prev, int64_t issued_ms, const char *reference, size_t pad,
		     size_t *len, uint8_t hash[FSB_HASH_LEN]);

/* A message as above for origin:seq, but with a signature that nobody
 * made, and pki/KEY.crt as its certificate (certificates are public). */
uint8_t *atk_forged(const char *pki, const char *key, const char *origin, uint64_t seq,
		    size_t pad, size_t *len);

/* A split: origin signs two different origin:1 (references TAG-A and
 * TAG-B) with pki/ORIGIN.key and re-sends A to to_a only, B to to_b only
 * (re-sends are addressed); the first 8 bytes of each payload hash, as
 * hex, go to a16 and b16. */
void atk_split(struct atk *a, const char *pki, const char *origin, const char *tag, const char *to_a,
	       const char *to_b, char a16[17], char b16[17]);

/* A control message (checkpoint or sync request) signed with pki/KEY. */
uint8_t *atk_control(const char *pki, const char *key, const struct fsb_control *c, size_t *len);

#endif
