/*
 * models/codec.h - the RSerPool wire codec: every ASAP (RFC 5352) and ENRP
 * (RFC 5353) message as a typed struct, encoded to and decoded from the
 * RFC 5354 bytes, with the member selection policies of RFC 5356.
 *
 * Use. A state machine fills a CodecMessage on the stack, pointing its byte
 * strings and arrays at memory it owns, and calls codec_encode(). A receiver
 * calls codec_decode() with the protocol the transport told it (PPID 11 =
 * ASAP, 12 = ENRP); on success every pointer in the message points into one
 * arena owned by the message, released by codec_message_clear() (or with
 * g_auto (CodecMessage)). A decoded message does not reference the input
 * buffer, so it may outlive it.
 *
 * Exactness. codec_encode (codec_decode (b)) == b for every accepted input b
 * that had no skipped unknown parameter: raw flag octets and reserved fields
 * are kept as received, unknown policy types are kept as bytes, and the
 * decoder accepts only the one canonical layout the encoder writes:
 *   - a parameter's Length excludes its own padding; padding is 1..3 zero
 *     bytes up to the next 4-byte boundary (RFC 5354 §2);
 *   - a containing parameter's Length includes the padding between its nested
 *     parameters but not the padding after the last one (RFC 5354 §2);
 *   - a message's Length counts the header and every top-level parameter with
 *     its padding, and equals the number of bytes handed to the decoder (so
 *     it is always a multiple of 4). This is how interoperable
 *     implementations and the golden vectors write it; a message whose last
 *     parameter's padding lies outside its Length is rejected.
 *   - parameters appear in the order of the RFC figures.
 *
 * Units. Registration life is in milliseconds (RFC 5354 §3.10's text says
 * seconds; every interoperable implementation and Wireshark use ms), -1 =
 * infinite. Identifiers, loads, weights are the raw 32-bit wire values.
 *
 * Not here: transport framing (one call decodes one whole message, as SCTP
 * delivers it), semantic checks that need state (is this PE id known, does the
 * R flag match the presence of an Operation Error: the state machines decide),
 * the rsplib private parameter 0x3f (handle resolution items).
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* The largest message: the 16-bit Message Length field. */
#define CODEC_MAX_MESSAGE 65535

/* Which protocol a message belongs to: both number their types from 1 (RFC 5354 §4). */
typedef enum {
  CODEC_PROTO_ASAP = 1,   /* SCTP PPID 11, port 3863 */
  CODEC_PROTO_ENRP = 2,   /* SCTP PPID 12, port 9901 */
} CodecProtocol;

/* Message types: protocol << 8 | wire type, so one enum names all 24. */
#define CODEC_MSG(proto, wire) (((proto) << 8) | (wire))
typedef enum {
  CODEC_ASAP_REGISTRATION                = CODEC_MSG (CODEC_PROTO_ASAP, 0x01),
  CODEC_ASAP_DEREGISTRATION              = CODEC_MSG (CODEC_PROTO_ASAP, 0x02),
  CODEC_ASAP_REGISTRATION_RESPONSE       = CODEC_MSG (CODEC_PROTO_ASAP, 0x03),
  CODEC_ASAP_DEREGISTRATION_RESPONSE     = CODEC_MSG (CODEC_PROTO_ASAP, 0x04),
  CODEC_ASAP_HANDLE_RESOLUTION           = CODEC_MSG (CODEC_PROTO_ASAP, 0x05),
  CODEC_ASAP_HANDLE_RESOLUTION_RESPONSE  = CODEC_MSG (CODEC_PROTO_ASAP, 0x06),
  CODEC_ASAP_ENDPOINT_KEEP_ALIVE         = CODEC_MSG (CODEC_PROTO_ASAP, 0x07),
  CODEC_ASAP_ENDPOINT_KEEP_ALIVE_ACK     = CODEC_MSG (CODEC_PROTO_ASAP, 0x08),
  CODEC_ASAP_ENDPOINT_UNREACHABLE        = CODEC_MSG (CODEC_PROTO_ASAP, 0x09),
  CODEC_ASAP_SERVER_ANNOUNCE             = CODEC_MSG (CODEC_PROTO_ASAP, 0x0a),
  CODEC_ASAP_COOKIE                      = CODEC_MSG (CODEC_PROTO_ASAP, 0x0b),
  CODEC_ASAP_COOKIE_ECHO                 = CODEC_MSG (CODEC_PROTO_ASAP, 0x0c),
  CODEC_ASAP_BUSINESS_CARD               = CODEC_MSG (CODEC_PROTO_ASAP, 0x0d),
  CODEC_ASAP_ERROR                       = CODEC_MSG (CODEC_PROTO_ASAP, 0x0e),
  CODEC_ENRP_PRESENCE                    = CODEC_MSG (CODEC_PROTO_ENRP, 0x01),
  CODEC_ENRP_HANDLE_TABLE_REQUEST        = CODEC_MSG (CODEC_PROTO_ENRP, 0x02),
  CODEC_ENRP_HANDLE_TABLE_RESPONSE       = CODEC_MSG (CODEC_PROTO_ENRP, 0x03),
  CODEC_ENRP_HANDLE_UPDATE               = CODEC_MSG (CODEC_PROTO_ENRP, 0x04),
  CODEC_ENRP_LIST_REQUEST                = CODEC_MSG (CODEC_PROTO_ENRP, 0x05),
  CODEC_ENRP_LIST_RESPONSE               = CODEC_MSG (CODEC_PROTO_ENRP, 0x06),
  CODEC_ENRP_INIT_TAKEOVER               = CODEC_MSG (CODEC_PROTO_ENRP, 0x07),
  CODEC_ENRP_INIT_TAKEOVER_ACK           = CODEC_MSG (CODEC_PROTO_ENRP, 0x08),
  CODEC_ENRP_TAKEOVER_SERVER             = CODEC_MSG (CODEC_PROTO_ENRP, 0x09),
  CODEC_ENRP_ERROR                       = CODEC_MSG (CODEC_PROTO_ENRP, 0x0a),
} CodecMsgType;

#define CODEC_MSG_PROTOCOL(t) ((CodecProtocol) ((t) >> 8))
#define CODEC_MSG_WIRE_TYPE(t) ((guint8) ((t) & 0xff))

/* "ASAP_REGISTRATION" etc.; NULL for a value that is not a CodecMsgType. */
const char *codec_msg_type_name (CodecMsgType type);

/*
 * Message flags: bits of the raw flags octet (RFC 5354 §4: undefined bits are
 * sent as 0 and ignored; the codec keeps the octet as received).
 */
#define CODEC_FLAG_REGISTRATION_RESPONSE_REJECT   0x01  /* R, ASAP 0x03: registration rejected (RFC 5352 §2.2.3) */
#define CODEC_FLAG_HANDLE_RESOLUTION_SUBSCRIBE    0x01  /* S, ASAP 0x05: subscribe to updates (RFC 5352 §2.2.5) */
#define CODEC_FLAG_HANDLE_RESOLUTION_ACCEPTED     0x01  /* A, ASAP 0x06: subscription accepted (RFC 5352 §2.2.6) */
#define CODEC_FLAG_KEEP_ALIVE_HOME                0x01  /* H, ASAP 0x07: sender wants to be the home PR (RFC 5352 §2.2.7) */
#define CODEC_FLAG_PRESENCE_REPLY_REQUIRED        0x01  /* ENRP 0x01: receiver must answer with a PRESENCE (RFC 5353 §3.4.1) */
#define CODEC_FLAG_HANDLE_TABLE_REQUEST_OWN_CHILDREN_ONLY 0x01 /* W, ENRP 0x02: only PEs the receiver owns (RFC 5353 §2.2.2) */
#define CODEC_FLAG_HANDLE_TABLE_RESPONSE_REJECT   0x01  /* R, ENRP 0x03: request rejected (RFC 5353 §2.2.3) */
#define CODEC_FLAG_HANDLE_TABLE_RESPONSE_MORE     0x02  /* M, ENRP 0x03: more responses follow (RFC 5353 §2.2.3) */
#define CODEC_FLAG_LIST_RESPONSE_REJECT           0x01  /* R, ENRP 0x06: request rejected (RFC 5353 §2.2.6) */

/* RFC 5354 §3 parameter types (16-bit; the top two bits say what to do if unknown). */
typedef enum {
  CODEC_PARAM_IPV4_ADDRESS        = 0x0001,
  CODEC_PARAM_IPV6_ADDRESS        = 0x0002,
  CODEC_PARAM_DCCP_TRANSPORT      = 0x0003,
  CODEC_PARAM_SCTP_TRANSPORT      = 0x0004,
  CODEC_PARAM_TCP_TRANSPORT       = 0x0005,
  CODEC_PARAM_UDP_TRANSPORT       = 0x0006,
  CODEC_PARAM_UDP_LITE_TRANSPORT  = 0x0007,
  CODEC_PARAM_POLICY              = 0x0008,
  CODEC_PARAM_POOL_HANDLE         = 0x0009,
  CODEC_PARAM_POOL_ELEMENT        = 0x000a,
  CODEC_PARAM_SERVER_INFORMATION  = 0x000b,
  CODEC_PARAM_OPERATION_ERROR     = 0x000c,
  CODEC_PARAM_COOKIE              = 0x000d,
  CODEC_PARAM_PE_IDENTIFIER       = 0x000e,
  CODEC_PARAM_PE_CHECKSUM         = 0x000f,
  CODEC_PARAM_OPAQUE_TRANSPORT    = 0x0010,
} CodecParamType;

/*
 * What a receiver does with an unknown message or parameter type: its top two
 * bits (RFC 5354 §2 for parameters, §4 for messages).
 */
typedef enum {
  CODEC_ACTION_DISCARD        = 0,  /* 00: stop, discard the message silently */
  CODEC_ACTION_DISCARD_REPORT = 1,  /* 01: stop, discard, report "Unrecognized Parameter/Message" */
  CODEC_ACTION_SKIP           = 2,  /* 10: skip the parameter, go on (reserved for messages) */
  CODEC_ACTION_SKIP_REPORT    = 3,  /* 11: skip, go on, report "Unrecognized Parameter" (reserved for messages) */
} CodecAction;

/* RFC 5354 §3.12 error cause codes (16-bit). */
typedef enum {
  CODEC_CAUSE_UNSPECIFIED               = 0x0,  /* no info */
  CODEC_CAUSE_UNRECOGNIZED_PARAMETER    = 0x1,  /* info: the unknown TLV, as received */
  CODEC_CAUSE_UNRECOGNIZED_MESSAGE      = 0x2,  /* info: the unknown message, as received */
  CODEC_CAUSE_INVALID_VALUES            = 0x3,  /* info: the offending TLV */
  CODEC_CAUSE_NON_UNIQUE_PE_IDENTIFIER  = 0x4,  /* no info */
  CODEC_CAUSE_INCONSISTENT_POLICY       = 0x5,  /* info: the pool's policy parameter (typed) */
  CODEC_CAUSE_LACK_OF_RESOURCES         = 0x6,  /* no info */
  CODEC_CAUSE_INCONSISTENT_TRANSPORT    = 0x7,  /* info: a transport parameter with the pool's transport (typed) */
  CODEC_CAUSE_INCONSISTENT_DATA_CONTROL = 0x8,  /* no info */
  CODEC_CAUSE_UNKNOWN_POOL_HANDLE       = 0x9,  /* no info */
  CODEC_CAUSE_REJECTED_SECURITY         = 0xa,  /* no info */
} CodecCauseCode;

/* RFC 5356 §3 policy types: X (bit 31) = private, A (bit 30) = adaptive. */
typedef enum {
  CODEC_POLICY_ROUND_ROBIN                  = 0x00000001,  /* RR, no data */
  CODEC_POLICY_WEIGHTED_ROUND_ROBIN         = 0x00000002,  /* WRR, weight */
  CODEC_POLICY_RANDOM                       = 0x00000003,  /* RAND, no data */
  CODEC_POLICY_WEIGHTED_RANDOM              = 0x00000004,  /* WRAND, weight */
  CODEC_POLICY_PRIORITY                     = 0x00000005,  /* PRIO, priority */
  CODEC_POLICY_LEAST_USED                   = 0x40000001,  /* LU, load */
  CODEC_POLICY_LEAST_USED_DEGRADATION       = 0x40000002,  /* LUD, load + load degradation */
  CODEC_POLICY_PRIORITY_LEAST_USED          = 0x40000003,  /* PLU, load + load degradation */
  CODEC_POLICY_RANDOMIZED_LEAST_USED        = 0x40000004,  /* RLU, load */
} CodecPolicyType;

/* ENRP_HANDLE_UPDATE actions (RFC 5353 §2.2.4). */
#define CODEC_UPDATE_ADD_PE 0x0000  /* add or update the PE */
#define CODEC_UPDATE_DEL_PE 0x0001  /* delete the PE */

/* SCTP transport use (RFC 5354 §3.4). */
#define CODEC_TRANSPORT_USE_DATA_ONLY    0x0000
#define CODEC_TRANSPORT_USE_DATA_CONTROL 0x0001

/* A byte string. In a decoded message it points into the message's arena. */
typedef struct {
  const guint8 *data;   /* NULL iff len == 0 */
  gsize         len;    /* bytes */
} CodecBytes;

/* An IPv4 (param 0x1) or IPv6 (param 0x2) address parameter. */
typedef struct {
  guint8 family;        /* 4 or 6 */
  guint8 bytes[16];     /* network order; IPv4 uses bytes[0..3], the rest is zero */
} CodecAddress;

/*
 * A transport parameter (RFC 5354 §3.3-3.7, 3.16): which of DCCP, SCTP, TCP,
 * UDP, UDP-Lite or Opaque, with its port and addresses.
 */
typedef struct {
  CodecParamType      type;         /* CODEC_PARAM_DCCP_TRANSPORT .. UDP_LITE_TRANSPORT, or OPAQUE_TRANSPORT */
  guint16             port;         /* transport port; unused for opaque */
  guint16             use;          /* SCTP: CODEC_TRANSPORT_USE_*; others: the reserved field (0) */
  guint32             service_code; /* DCCP only: DCCP service code */
  guint               n_addrs;      /* SCTP >= 1; DCCP/TCP/UDP/UDP-Lite exactly 1; opaque 0 */
  const CodecAddress *addrs;
  CodecBytes          opaque;       /* opaque transport only: its bytes */
} CodecTransport;

/* A Pool Member Selection Policy parameter (RFC 5354 §3.8, RFC 5356 §3). */
typedef struct {
  guint32    type;              /* a CodecPolicyType, or any other 32-bit value */
  guint32    weight;            /* WRR, WRAND: relative capacity, 0 = cannot serve */
  guint32    priority;          /* PRIO: larger = preferred */
  guint32    load;              /* LU, LUD, PLU, RLU: 0 = 0 %, 0xffffffff = 100 % */
  guint32    load_degradation;  /* LUD, PLU: load units added per selection / per request */
  CodecBytes data;              /* unknown types only: policy data after the type, verbatim (any length) */
} CodecPolicy;

/* A Pool Element parameter (RFC 5354 §3.10). */
typedef struct {
  guint32        pe_id;              /* PE identifier, chosen by the PE */
  guint32        home_server_id;     /* owning registrar's server id; 0 = unknown */
  gint32         reg_life_ms;        /* registration life in ms; -1 = infinite */
  CodecTransport user_transport;     /* how PUs reach the PE (any transport type) */
  CodecPolicy    policy;             /* the PE's member selection policy */
  gboolean       has_asap_transport; /* the home PR fills it in (RFC 5352 §3.1 rule 4) */
  CodecTransport asap_transport;     /* SCTP transport of the PE's ASAP endpoint */
} CodecPoolElement;

/* A Server Information parameter (RFC 5354 §3.11). */
typedef struct {
  guint32        server_id;    /* ENRP server identifier, non-zero */
  CodecTransport transport;    /* SCTP transport of the server's ENRP endpoint */
} CodecServerInfo;

/* One error cause inside an Operation Error (RFC 5354 §3.12). */
typedef struct {
  guint16        code;        /* a CodecCauseCode, or any other 16-bit value */
  CodecBytes     info;        /* codes 0x1, 0x2, 0x3 and unknown codes: cause info, verbatim */
  CodecPolicy    policy;      /* code 0x5 only */
  CodecTransport transport;   /* code 0x7 only */
} CodecErrorCause;

/* An Operation Error parameter: one or more causes. */
typedef struct {
  guint                  n_causes;   /* >= 1 */
  const CodecErrorCause *causes;
} CodecOperationError;

/* A handle table entry: a pool handle and its PEs (ENRP_HANDLE_TABLE_RESPONSE). */
typedef struct {
  CodecBytes              handle;   /* pool handle, 1..65531 bytes */
  guint                   n_pes;    /* >= 1 */
  const CodecPoolElement *pes;
} CodecTableEntry;

/* ASAP 0x01 REGISTRATION (RFC 5352 §2.2.1). */
typedef struct {
  CodecBytes       handle;
  CodecPoolElement pe;
} CodecRegistration;

/*
 * ASAP messages that name a PE in a pool: 0x02 DEREGISTRATION, 0x03
 * REGISTRATION_RESPONSE, 0x04 DEREGISTRATION_RESPONSE, 0x08 ENDPOINT_KEEP_ALIVE_ACK,
 * 0x09 ENDPOINT_UNREACHABLE. error is allowed only in the two responses.
 */
typedef struct {
  CodecBytes                 handle;
  guint32                    pe_id;
  const CodecOperationError *error;   /* NULL = none */
} CodecPeRef;

/* ASAP 0x05 HANDLE_RESOLUTION (RFC 5352 §2.2.5). */
typedef struct {
  CodecBytes handle;
} CodecHandleResolution;

/* ASAP 0x06 HANDLE_RESOLUTION_RESPONSE (RFC 5352 §2.2.6). */
typedef struct {
  CodecBytes                 handle;
  gboolean                   has_policy;  /* overall pool policy present (absent = RR) */
  CodecPolicy                policy;
  guint                      n_pes;       /* 0..N, in selection order */
  const CodecPoolElement    *pes;
  const CodecOperationError *error;       /* NULL = none; present = negative answer */
} CodecHandleResolutionResponse;

/* ASAP 0x07 ENDPOINT_KEEP_ALIVE (RFC 5352 §2.2.7). */
typedef struct {
  guint32    server_id;   /* sending registrar */
  CodecBytes handle;
  gboolean   has_pe_id;   /* rsplib extension: the PE identifier parameter follows */
  guint32    pe_id;
} CodecKeepAlive;

/* ASAP 0x0a SERVER_ANNOUNCE (RFC 5352 §2.2.10). */
typedef struct {
  guint32               server_id;
  guint                 n_transports;   /* 0 = SCTP to the source address, port 3863 */
  const CodecTransport *transports;     /* any non-opaque transport type */
} CodecServerAnnounce;

/* ASAP 0x0b COOKIE and 0x0c COOKIE_ECHO (RFC 5352 §2.2.11-12). */
typedef struct {
  CodecBytes cookie;   /* opaque to everyone but the PE that made it */
} CodecCookie;

/* ASAP 0x0d BUSINESS_CARD (RFC 5352 §2.2.13). */
typedef struct {
  CodecBytes              handle;
  guint                   n_pes;   /* >= 1, in preferred failover order */
  const CodecPoolElement *pes;
} CodecBusinessCard;

/* ENRP 0x01 PRESENCE (RFC 5353 §2.2.1). */
typedef struct {
  gboolean        has_checksum;
  guint16         checksum;          /* sender's PE checksum (RFC 5353 §3.6) */
  gboolean        has_server_info;
  CodecServerInfo server_info;
} CodecPresence;

/* ENRP 0x03 HANDLE_TABLE_RESPONSE (RFC 5353 §2.2.3). */
typedef struct {
  guint                  n_entries;   /* 0 when rejected */
  const CodecTableEntry *entries;
} CodecHandleTableResponse;

/* ENRP 0x04 HANDLE_UPDATE (RFC 5353 §2.2.4). */
typedef struct {
  guint16          action;     /* CODEC_UPDATE_ADD_PE or CODEC_UPDATE_DEL_PE (other values kept) */
  guint16          reserved;   /* sent as 0 */
  CodecBytes       handle;
  CodecPoolElement pe;
} CodecHandleUpdate;

/* ENRP 0x06 LIST_RESPONSE (RFC 5353 §2.2.6). */
typedef struct {
  guint                  n_servers;   /* 0 when rejected */
  const CodecServerInfo *servers;
} CodecListResponse;

/* ENRP 0x07 INIT_TAKEOVER, 0x08 INIT_TAKEOVER_ACK, 0x09 TAKEOVER_SERVER (RFC 5353 §2.2.7-9). */
typedef struct {
  guint32 target_id;   /* server being taken over */
} CodecTakeover;

/* A skipped unknown parameter (action 10 or 11), kept for an "Unrecognized Parameter" report. */
typedef struct {
  guint16     type;     /* its parameter type */
  CodecAction action;   /* CODEC_ACTION_SKIP or CODEC_ACTION_SKIP_REPORT */
  gsize       offset;   /* byte offset of its TLV in the message */
  CodecBytes  tlv;      /* the whole TLV as received, without padding */
} CodecUnrecognized;

typedef struct CodecArena CodecArena;

/*
 * A message. Zero-initialise, set type (and sender/receiver for ENRP), flags
 * and the body member for that type. Clear with codec_message_clear().
 */
typedef struct {
  CodecMsgType type;
  guint8       flags;         /* raw flags octet: CODEC_FLAG_* for this type */
  guint32      sender_id;     /* ENRP only: sending server id */
  guint32      receiver_id;   /* ENRP only: receiving server id; 0 = group-cast */
  union {
    CodecRegistration             registration;              /* ASAP_REGISTRATION */
    CodecPeRef                    pe_ref;                    /* ASAP 0x02, 0x03, 0x04, 0x08, 0x09 */
    CodecHandleResolution         handle_resolution;         /* ASAP_HANDLE_RESOLUTION */
    CodecHandleResolutionResponse handle_resolution_response;
    CodecKeepAlive                keep_alive;                /* ASAP_ENDPOINT_KEEP_ALIVE */
    CodecServerAnnounce           server_announce;
    CodecCookie                   cookie;                    /* ASAP_COOKIE, ASAP_COOKIE_ECHO */
    CodecBusinessCard             business_card;
    CodecOperationError           error;                     /* ASAP_ERROR, ENRP_ERROR */
    CodecPresence                 presence;
    CodecHandleTableResponse      handle_table_response;
    CodecHandleUpdate             handle_update;
    CodecListResponse             list_response;
    CodecTakeover                 takeover;                  /* ENRP 0x07, 0x08, 0x09 */
  } u;                        /* ENRP_HANDLE_TABLE_REQUEST, ENRP_LIST_REQUEST: no body */
  guint                    n_unrecognized;   /* decoded only: skipped unknown parameters */
  const CodecUnrecognized *unrecognized;
  CodecArena              *arena;            /* decoded only: owns every pointer above; private */
} CodecMessage;

/* Release what a decoded message owns and zero it. Harmless on a built or cleared message. */
void codec_message_clear (CodecMessage *msg);
G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (CodecMessage, codec_message_clear)

/*
 * Append the wire bytes of msg to out. Returns the number of bytes appended
 * (a multiple of 4), or 0, appending nothing, if the message would exceed
 * CODEC_MAX_MESSAGE bytes (the caller splits, e.g. handle tables into several
 * responses). The message must be well-formed (required parts present, array
 * counts matching the type's rules, handle 1..65531 bytes): violations are
 * programmer errors, caught by g_return_val_if_fail. Cost: one pass, O(size),
 * at most a few reallocations of out.
 */
gsize codec_encode (const CodecMessage *msg, GByteArray *out);

/* Decode failures: an enum code plus where it happened. No allocation. */
typedef enum {
  CODEC_OK = 0,
  CODEC_ERR_TRUNCATED,         /* fewer bytes than a header or fixed field needs */
  CODEC_ERR_BAD_LENGTH,        /* a length field disagrees with its container, the buffer or the type */
  CODEC_ERR_BAD_PADDING,       /* non-zero padding, or a container ending inside padding */
  CODEC_ERR_UNKNOWN_MESSAGE,   /* unknown message type; action = its top two bits */
  CODEC_ERR_UNKNOWN_PARAM,     /* unknown parameter with action 00 or 01 */
  CODEC_ERR_MISSING_PARAM,     /* a required parameter is absent */
  CODEC_ERR_UNEXPECTED_PARAM,  /* a known parameter where the message or container allows none of its type */
  CODEC_ERR_INVALID_VALUE,     /* a field out of range (empty pool handle, address family, ...) */
} CodecErrorCode;

typedef struct {
  CodecErrorCode code;
  gsize          offset;   /* byte offset in the message of the offending header or field */
  guint16        type;     /* the offending message type (UNKNOWN_MESSAGE) or parameter type; 0 if none */
  CodecAction    action;   /* UNKNOWN_MESSAGE, UNKNOWN_PARAM: top two bits of the type */
  gsize          length;   /* UNKNOWN_PARAM: TLV length (without padding); UNKNOWN_MESSAGE: message bytes */
} CodecError;

/* "truncated", "bad-length", ... (stable names for statistics). */
const char *codec_error_code_name (CodecErrorCode code);

/*
 * Decode one whole message of `proto` from buf[0 .. len). On success fills
 * *out (overwritten: it must not own anything yet) and returns TRUE; on
 * failure returns FALSE, leaves *out cleared and fills *err (may be NULL).
 * Never reads outside buf, whatever the bytes. Cost: O(len), one arena
 * allocation for the message in the common case.
 */
gboolean codec_decode (CodecProtocol  proto,
                       const guint8  *buf,
                       gsize          len,
                       CodecMessage  *out,
                       CodecError    *err);

G_END_DECLS
