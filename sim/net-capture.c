/*
 * sim/net-capture.c - the network's packet observer writing a pcap file
 * through sim/pcap (see sim/net-capture.h).
 *
 * The first write error stops the capture (the run goes on: a full disk must
 * not change the simulation) and is reported by net_capture_close.
 */
#include "config.h"

#include "sim/net-capture.h"
#include "sim/net-private.h"
#include "sim/pcap.h"

typedef struct {
  SimPcap *pcap;
  GError  *error;     /* the first write error; nothing is written after it */
  guint64  skipped;   /* payloads too large for one IPv4 packet */
} NetCapture;

static void
capture_packet (const NetPacket *pkt, SimTime t, gpointer user_data)
{
  NetCapture *c = user_data;
  if (c->error != NULL)
    return;
  gsize len = 0;
  const guint8 *p = pkt->payload != NULL ? g_bytes_get_data (pkt->payload, &len) : NULL;
  if (pkt->proto == NET_PROTO_UDP)
    {
      if (len > SIM_PCAP_MAX_UDP_PAYLOAD)
        c->skipped++;
      else
        sim_pcap_write_udp (c->pcap, t, pkt->src, pkt->sport, pkt->dst, pkt->dport, p, len, &c->error);
    }
  else if (pkt->chunk == NET_CHUNK_DATA)
    {
      if (len > SIM_PCAP_MAX_SCTP_PAYLOAD)
        c->skipped++;
      else
        sim_pcap_write_sctp (c->pcap, t, pkt->src, pkt->sport, pkt->dst, pkt->dport, pkt->stream, pkt->ppid, p,
                             len, &c->error);
    }
}

gboolean
net_capture_open (Net *net, const char *path, const char *lan_name, GError **error)
{
  g_return_val_if_fail (net->capture == NULL, FALSE);
  NetLan *lan = NULL;
  if (lan_name != NULL && (lan = net_lan_lookup (net, lan_name)) == NULL)
    {
      g_set_error (error, NET_ERROR, NET_ERROR_NAME, "--pcap-lan: no LAN is named '%s'", lan_name);
      return FALSE;
    }
  g_autoptr (GError) err = NULL;
  SimPcap *pcap = sim_pcap_open (path, &err);
  if (pcap == NULL)
    {
      g_set_error (error, NET_ERROR, NET_ERROR_PCAP, "%s", err->message);
      return FALSE;
    }
  NetCapture *c = g_new0 (NetCapture, 1);
  c->pcap = pcap;
  net->capture = c;
  net_set_observer (net, lan, capture_packet, c);
  return TRUE;
}

gboolean
net_capture_close (Net *net, GError **error)
{
  NetCapture *c = net->capture;
  if (c == NULL)
    return TRUE;
  net->capture = NULL;
  net_set_observer (net, NULL, NULL, NULL);
  g_autoptr (GError) close_err = NULL;
  gboolean closed = sim_pcap_close (c->pcap, &close_err);
  gboolean ok = c->error == NULL && closed;
  if (c->error != NULL)
    g_set_error (error, NET_ERROR, NET_ERROR_PCAP, "%s", c->error->message);
  else if (!closed)
    g_set_error (error, NET_ERROR, NET_ERROR_PCAP, "%s", close_err->message);
  g_clear_error (&c->error);
  g_free (c);
  return ok;
}

guint64
net_capture_frames (const Net *net)
{
  const NetCapture *c = net->capture;
  return c != NULL ? sim_pcap_frames (c->pcap) : 0;
}

void
net_capture_free (Net *net)
{
  NetCapture *c = net->capture;
  if (c == NULL)
    return;
  net->capture = NULL;
  sim_pcap_free (c->pcap);
  g_clear_error (&c->error);
  g_free (c);
}
