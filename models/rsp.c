/*
 * models/rsp.c - message I/O shared by the RSerPool models: encode, send,
 * decode. One GByteArray per message; the bytes then travel as a GBytes the
 * network shares (no copy per hop).
 */
#include "config.h"

#include "models/rsp.h"

NetKind
rsp_kind (Net *net, CodecMsgType type)
{
  return net_kind (net, codec_msg_type_name (type));
}

static GBytes *
encode (const CodecMessage *msg)
{
  GByteArray *buf = g_byte_array_sized_new (64);
  gsize n = codec_encode (msg, buf);
  g_assert (n > 0); /* the models never build a message the codec refuses */
  return g_byte_array_free_to_bytes (buf);
}

gsize
rsp_send (Net *net, NetAssoc *assoc, guint16 stream, const CodecMessage *msg)
{
  g_autoptr (GBytes) bytes = encode (msg);
  guint32 ppid = CODEC_MSG_PROTOCOL (msg->type) == CODEC_PROTO_ASAP ? RSP_PPID_ASAP : RSP_PPID_ENRP;
  if (!net_assoc_send (assoc, stream, ppid, rsp_kind (net, msg->type), bytes))
    return 0;
  return g_bytes_get_size (bytes);
}

gsize
rsp_send_udp (Net *net, NetUdpSocket *sock, NetAddr dst, guint16 dport, const CodecMessage *msg)
{
  g_autoptr (GBytes) bytes = encode (msg);
  net_udp_send (sock, dst, dport, rsp_kind (net, msg->type), bytes);
  return g_bytes_get_size (bytes);
}

static gboolean
decode_bytes (CodecProtocol proto, GBytes *bytes, CodecMessage *out, CodecError *err)
{
  gsize len;
  const guint8 *buf = g_bytes_get_data (bytes, &len);
  return codec_decode (proto, buf, len, out, err);
}

gboolean
rsp_decode (const NetMessage *m, CodecMessage *out, CodecError *err)
{
  CodecProtocol proto;
  if (m->ppid == RSP_PPID_ASAP)
    proto = CODEC_PROTO_ASAP;
  else if (m->ppid == RSP_PPID_ENRP)
    proto = CODEC_PROTO_ENRP;
  else
    {
      *err = (CodecError) { CODEC_ERR_UNKNOWN_MESSAGE, 0, 0, 0, g_bytes_get_size (m->data) };
      return FALSE;
    }
  return decode_bytes (proto, m->data, out, err);
}

gboolean
rsp_decode_datagram (const NetDatagram *d, CodecProtocol proto, CodecMessage *out, CodecError *err)
{
  return decode_bytes (proto, d->payload, out, err);
}
