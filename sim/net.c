/*
 * sim/net.c - the virtual network's core: scenario keys, topology, routes,
 * hosts, packets and their journey across places, taps, failures, statistics.
 *
 * A packet's journey is a chain of crossings: cross() runs the place's taps,
 * charges serialization at the crossing's transmitter, draws loss and delay
 * from the sender's streams and schedules one event at the far end (a host,
 * the LAN's gateway, or the far end of a link), which starts the next
 * crossing or hands the packet to the host's transports. So a packet costs
 * one kernel event per crossing and nothing while it waits: transmitters are
 * "free from" times, not queues (FIFO because crossings at one transmitter
 * begin in time order).
 *
 * Routes: Dijkstra over the LANs with link weight = mean delay + 1 ns (fewer
 * hops win ties), from every LAN, O(L^2) per LAN, recomputed when a LAN or
 * link changes state. Per root LAN it keeps the first link to every LAN
 * (unicast) and the link each LAN is reached by (the multicast tree).
 *
 * Invariants: a packet is owned by exactly one of: a pending kernel event, a
 * tap's hold, or the function handling it; places and hosts live until
 * net_free; taps too (a held packet may point at a detached tap).
 */
#include "config.h"

#include "sim/net-private.h"
#include "sim/bytes.h"
#include "sim/pcap.h"

#include <string.h>

G_DEFINE_QUARK (net-error-quark, net_error)

/* ---- scenario keys ---------------------------------------------------- */

static const SimParamDecl net_param_decls[] = {
  { "net.lans", SIM_PARAM_INT, "1", 0, 1000, NULL,
    "LANs the network builds (lan0, lan1, ..., addresses 10.<i>.0.0/16); models place hosts on them." },
  { "net.lan.delay", SIM_PARAM_DIST_TIME, "constant(100us)", 0, G_MAXDOUBLE, NULL,
    "One-way access delay of a LAN crossing, drawn per packet from the sending host's stream." },
  { "net.lan.bandwidth", SIM_PARAM_RATE, "100Mbps", 1, 1e15, NULL,
    "Bandwidth of a LAN port: serialization of a packet = wire bytes x 8 / bandwidth." },
  { "net.lan.loss", SIM_PARAM_DOUBLE, "0", 0, 1, NULL,
    "Probability that a packet crossing a LAN is lost." },
  { "net.wan.topology", SIM_PARAM_ENUM, "star", 0, 0, "star,line,ring,full",
    "How WAN links join the LANs: star (hub lan0), line, ring or full mesh." },
  { "net.wan.delay", SIM_PARAM_DIST_TIME, "constant(10ms)", 0, G_MAXDOUBLE, NULL,
    "One-way delay of a WAN link crossing, drawn per packet." },
  { "net.wan.bandwidth", SIM_PARAM_RATE, "10Mbps", 1, 1e15, NULL,
    "Bandwidth of a WAN link, per direction." },
  { "net.wan.loss", SIM_PARAM_DOUBLE, "0", 0, 1, NULL,
    "Probability that a packet crossing a WAN link is lost." },
  { "net.sctp.rto-initial", SIM_PARAM_TIME, "3s", 1e6, 1e13, NULL,
    "RTO.Initial (RFC 4960 §15): retransmission timeout before the first RTT measurement." },
  { "net.sctp.rto-min", SIM_PARAM_TIME, "1s", 1e6, 1e13, NULL,
    "RTO.Min (RFC 4960 §15)." },
  { "net.sctp.rto-max", SIM_PARAM_TIME, "60s", 1e6, 1e13, NULL,
    "RTO.Max (RFC 4960 §15): the exponential backoff stops here." },
  { "net.sctp.max-retrans", SIM_PARAM_INT, "10", 0, 1000, NULL,
    "Association.Max.Retrans: consecutive timeouts tolerated before COMMUNICATION_LOST." },
  { "net.sctp.max-init-retrans", SIM_PARAM_INT, "8", 0, 1000, NULL,
    "Max.Init.Retransmits: INIT / COOKIE-ECHO retransmissions before the setup fails." },
  { "net.sctp.hb-interval", SIM_PARAM_TIME, "30s", 0, 1e13, NULL,
    "HB.interval: an idle association sends a HEARTBEAT every HB.interval + RTO (±50 %); 0s = never." },
  { "net.sctp.cookie-life", SIM_PARAM_TIME, "60s", 1e6, 1e13, NULL,
    "Valid.Cookie.Life: a COOKIE-ECHO older than this is discarded." },
  { "net.sctp.streams", SIM_PARAM_INT, "10", 1, 65535, NULL,
    "Streams per direction an association offers." },
  { "net.cpu.queue-capacity", SIM_PARAM_INT, "1000", 0, 1e9, NULL,
    "Messages a host holds unprocessed at most (CPU queue + reordering); more are dropped; 0 = unbounded." },
  { "net.cpu.service", SIM_PARAM_DIST_TIME, "constant(0s)", 0, G_MAXDOUBLE, NULL,
    "CPU service time of a received message whose role and kind have no cost of their own." },
  { "net.fail.schedule", SIM_PARAM_STRING, "", 0, 0, NULL,
    "Planned failures: NAME:DOWN-UP, ... (host, LAN or link; UP empty = never), e.g. 'lan1:100s-130s'." },
  { "net.fail.random", SIM_PARAM_STRING, "", 0, 0, NULL,
    "Names (glob patterns, comma-separated) that fail and recover at random (net.fail.uptime/downtime)." },
  { "net.fail.uptime", SIM_PARAM_DIST_TIME, "exponential(1h)", 1, G_MAXDOUBLE, NULL,
    "Time between recovery and the next failure, for net.fail.random." },
  { "net.fail.downtime", SIM_PARAM_DIST_TIME, "exponential(1min)", 1, G_MAXDOUBLE, NULL,
    "Time a random failure lasts, for net.fail.random." },
};

const SimParamDecl *
net_params (gsize *n)
{
  *n = G_N_ELEMENTS (net_param_decls);
  return net_param_decls;
}

void
net_config_from_params (const SimParams *p, NetConfig *cfg)
{
  memset (cfg, 0, sizeof *cfg);
  cfg->lans = (guint) sim_params_int (p, "net.lans");
  cfg->lan.delay = *sim_params_dist (p, "net.lan.delay");
  cfg->lan.bandwidth = (gint64) sim_params_double (p, "net.lan.bandwidth");
  cfg->lan.loss = sim_params_double (p, "net.lan.loss");
  const char *topo = sim_params_string (p, "net.wan.topology");
  cfg->wan_topology = g_str_equal (topo, "line") ? NET_WAN_LINE
                      : g_str_equal (topo, "ring") ? NET_WAN_RING
                      : g_str_equal (topo, "full") ? NET_WAN_FULL : NET_WAN_STAR;
  cfg->wan.delay = *sim_params_dist (p, "net.wan.delay");
  cfg->wan.bandwidth = (gint64) sim_params_double (p, "net.wan.bandwidth");
  cfg->wan.loss = sim_params_double (p, "net.wan.loss");
  cfg->sctp.rto_initial = sim_params_time (p, "net.sctp.rto-initial");
  cfg->sctp.rto_min = sim_params_time (p, "net.sctp.rto-min");
  cfg->sctp.rto_max = sim_params_time (p, "net.sctp.rto-max");
  cfg->sctp.max_retrans = (guint) sim_params_int (p, "net.sctp.max-retrans");
  cfg->sctp.max_init_retrans = (guint) sim_params_int (p, "net.sctp.max-init-retrans");
  cfg->sctp.hb_interval = sim_params_time (p, "net.sctp.hb-interval");
  cfg->sctp.cookie_life = sim_params_time (p, "net.sctp.cookie-life");
  cfg->sctp.streams = (guint) sim_params_int (p, "net.sctp.streams");
  cfg->cpu_capacity = sim_params_int (p, "net.cpu.queue-capacity");
  cfg->cpu_service = *sim_params_dist (p, "net.cpu.service");
  cfg->fail_schedule = g_strdup (sim_params_string (p, "net.fail.schedule"));
  cfg->fail_random = g_strdup (sim_params_string (p, "net.fail.random"));
  cfg->fail_uptime = *sim_params_dist (p, "net.fail.uptime");
  cfg->fail_downtime = *sim_params_dist (p, "net.fail.downtime");
}

void
net_config_init (NetConfig *cfg)
{
  g_autoptr (SimParamTable) table = sim_param_table_new ();
  sim_param_table_add (table, net_param_decls, G_N_ELEMENTS (net_param_decls));
  g_autoptr (SimParams) params = sim_params_new (table);
  for (gsize i = 0; i < G_N_ELEMENTS (net_param_decls); i++)
    {
      SimParamValue v;
      g_autoptr (GError) error = NULL;
      if (!sim_param_parse (&net_param_decls[i], net_param_decls[i].def, &v, &error))
        g_error ("net: default of %s does not parse: %s", net_param_decls[i].key, error->message);
      v.is_default = TRUE;
      sim_params_set (params, &v);
    }
  net_config_from_params (params, cfg);
}

void
net_config_clear (NetConfig *cfg)
{
  g_clear_pointer (&cfg->fail_schedule, g_free);
  g_clear_pointer (&cfg->fail_random, g_free);
}

/* ---- names, kinds, roles ---------------------------------------------- */

typedef enum { NET_NAME_HOST, NET_NAME_LAN, NET_NAME_LINK } NetNameType;

typedef struct {
  NetNameType type;
  gpointer    obj;
} NetName;

static void
name_register (Net *net, const char *name, NetNameType type, gpointer obj)
{
  if (g_hash_table_contains (net->names, name))
    g_error ("net: the name '%s' is used twice (hosts, LANs and links share one namespace)", name);
  NetName *n = g_new (NetName, 1);
  n->type = type;
  n->obj = obj;
  g_hash_table_insert (net->names, g_strdup (name), n);
}

static guint
intern (GPtrArray *names, GHashTable *ids, const char *name)
{
  gpointer v;
  if (g_hash_table_lookup_extended (ids, name, NULL, &v))
    return GPOINTER_TO_UINT (v);
  guint id = names->len;
  char *copy = g_strdup (name);
  g_ptr_array_add (names, copy);
  g_hash_table_insert (ids, copy, GUINT_TO_POINTER (id));
  return id;
}

NetKind
net_kind (Net *net, const char *name)
{
  guint id = intern (net->kind_names, net->kind_ids, name);
  g_return_val_if_fail (id <= G_MAXUINT16, 0);
  if (net->kind_stats->len <= id)
    g_array_set_size (net->kind_stats, id + 1);
  return (NetKind) id;
}

const char *
net_kind_name (const Net *net, NetKind kind)
{
  g_return_val_if_fail (kind < net->kind_names->len, NULL);
  return net->kind_names->pdata[kind];
}

guint
net_role_intern (Net *net, const char *name)
{
  return intern (net->role_names, net->role_ids, name);
}

void
net_kind_count (Net *net, NetKind kind, gsize bytes)
{
  g_return_if_fail (kind < net->kind_stats->len);
  NetKindStats *ks = &g_array_index (net->kind_stats, NetKindStats, kind);
  ks->messages++;
  ks->bytes += bytes;
}

/* ---- addresses -------------------------------------------------------- */

NetAddr
net_addr (guint a, guint b, guint c, guint d)
{
  return ((a & 0xff) << 24) | ((b & 0xff) << 16) | ((c & 0xff) << 8) | (d & 0xff);
}

gboolean
net_addr_parse (const char *text, NetAddr *addr)
{
  guint64 part[4];
  g_auto (GStrv) f = g_strsplit (text, ".", -1);
  if (g_strv_length (f) != 4)
    return FALSE;
  for (int i = 0; i < 4; i++)
    if (!g_ascii_string_to_unsigned (f[i], 10, 0, 255, &part[i], NULL))
      return FALSE;
  *addr = net_addr ((guint) part[0], (guint) part[1], (guint) part[2], (guint) part[3]);
  return TRUE;
}

const char *
net_addr_format (NetAddr a, char *buf, gsize len)
{
  g_snprintf (buf, len, "%u.%u.%u.%u", a >> 24, (a >> 16) & 0xff, (a >> 8) & 0xff, a & 0xff);
  return buf;
}

/* ---- the network ------------------------------------------------------ */

static void
place_free (gpointer p)
{
  NetPlace *pl = p;
  g_ptr_array_unref (pl->taps);
  if (pl->kind == NET_PLACE_LAN)
    g_ptr_array_unref (((NetLan *) pl)->links);
  g_free (pl->name);
  g_free (pl);
}

static void
group_free (gpointer p)
{
  NetGroup *g = p;
  g_ptr_array_unref (g->members);
  g_free (g);
}

static void host_free (gpointer p);

typedef struct NetFailer NetFailer;
static void failers_free (Net *net);

Net *
net_new (SimKernel *kernel, guint64 seed, const NetConfig *cfg)
{
  Net *net = g_new0 (Net, 1);
  net->kernel = kernel;
  net->seed = seed;
  net->cfg = *cfg;
  net->cfg.fail_schedule = g_strdup (cfg->fail_schedule ? cfg->fail_schedule : "");
  net->cfg.fail_random = g_strdup (cfg->fail_random ? cfg->fail_random : "");
  net->places = g_ptr_array_new_with_free_func (place_free);
  net->lans = g_ptr_array_new ();
  net->links = g_ptr_array_new ();
  net->hosts = g_ptr_array_new_with_free_func (host_free);
  net->taps = g_ptr_array_new_with_free_func (g_free);
  net->names = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  net->by_addr = g_hash_table_new (g_direct_hash, g_direct_equal);
  net->groups = g_hash_table_new_full (g_direct_hash, g_direct_equal, NULL, group_free);
  net->kind_names = g_ptr_array_new_with_free_func (g_free);
  net->kind_ids = g_hash_table_new (g_str_hash, g_str_equal);
  net->role_names = g_ptr_array_new_with_free_func (g_free);
  net->role_ids = g_hash_table_new (g_str_hash, g_str_equal);
  net->op_names = g_ptr_array_new_with_free_func (g_free);
  net->op_ids = g_hash_table_new (g_str_hash, g_str_equal);
  net->op_costs = g_array_new (FALSE, FALSE, sizeof (SimDist));
  net->costs = g_array_new (FALSE, TRUE, sizeof (NetCost));
  net->kind_stats = g_array_new (FALSE, TRUE, sizeof (NetKindStats));
  net->routes_dirty = TRUE;
  net_kind (net, "-");
  for (guint i = 0; i < cfg->lans; i++)
    {
      g_autofree char *name = g_strdup_printf ("lan%u", i);
      net_lan_add (net, name, &cfg->lan, 0);
    }
  for (guint i = 0; i < cfg->lans; i++)
    for (guint j = i + 1; j < cfg->lans; j++)
      {
        gboolean join;
        switch (cfg->wan_topology)
          {
          case NET_WAN_STAR: join = i == 0; break;
          case NET_WAN_LINE: join = j == i + 1; break;
          case NET_WAN_RING: join = j == i + 1 || (i == 0 && j == cfg->lans - 1 && cfg->lans > 2); break;
          case NET_WAN_FULL: join = TRUE; break;
          default: g_assert_not_reached ();
          }
        if (join)
          {
            g_autofree char *name = g_strdup_printf ("wan%u-%u", i, j);
            net_link_add (net, name, net->lans->pdata[i], net->lans->pdata[j], &cfg->wan);
          }
      }
  return net;
}

void
net_free (Net *net)
{
  if (net == NULL)
    return;
  net_capture_free (net);
  /* Hosts first: their transports hold references into the rest. */
  for (guint i = 0; i < net->hosts->len; i++)
    {
      NetHost *h = net->hosts->pdata[i];
      if (h->up)
        {
          net_assoc_host_crash (h);
          net_udp_host_crash (h);
        }
      net_cpu_host_clear (h);
    }
  failers_free (net);
  g_ptr_array_unref (net->hosts);
  g_ptr_array_unref (net->taps);
  g_ptr_array_unref (net->lans);
  g_ptr_array_unref (net->links);
  g_ptr_array_unref (net->places);
  g_hash_table_unref (net->names);
  g_hash_table_unref (net->by_addr);
  g_hash_table_unref (net->groups);
  g_hash_table_unref (net->kind_ids);
  g_ptr_array_unref (net->kind_names);
  g_hash_table_unref (net->role_ids);
  g_ptr_array_unref (net->role_names);
  g_hash_table_unref (net->op_ids);
  g_ptr_array_unref (net->op_names);
  g_array_unref (net->op_costs);
  net_cpu_costs_free (net);
  g_array_unref (net->kind_stats);
  g_free (net->next_link);
  g_free (net->prev_link);
  g_free (net->dist);
  net_config_clear (&net->cfg);
  g_free (net);
}

SimKernel *
net_kernel (const Net *net)
{
  return net->kernel;
}

const NetConfig *
net_config (const Net *net)
{
  return &net->cfg;
}

const NetStats *
net_stats (const Net *net)
{
  return &net->stats;
}

/* ---- topology --------------------------------------------------------- */

static void
place_init (Net *net, NetPlace *p, NetPlaceKind kind, const char *name, const NetPlaceConfig *cfg)
{
  g_return_if_fail (cfg->bandwidth >= 1 && cfg->loss >= 0 && cfg->loss <= 1);
  p->net = net;
  p->kind = kind;
  p->index = net->places->len;
  p->name = g_strdup (name);
  p->cfg = *cfg;
  p->up = TRUE;
  p->taps = g_ptr_array_new ();
  g_ptr_array_add (net->places, p);
  net->routes_dirty = TRUE;
}

NetLan *
net_lan_add (Net *net, const char *name, const NetPlaceConfig *cfg, NetAddr prefix)
{
  NetLan *lan = g_new0 (NetLan, 1);
  lan->lan_index = net->lans->len;
  lan->prefix = prefix != 0 ? (prefix & 0xffff0000u) : net_addr (10, lan->lan_index & 0xff, 0, 0);
  lan->next_host = 1;
  lan->links = g_ptr_array_new ();
  place_init (net, &lan->place, NET_PLACE_LAN, name, cfg);
  g_ptr_array_add (net->lans, lan);
  name_register (net, name, NET_NAME_LAN, lan);
  return lan;
}

NetLink *
net_link_add (Net *net, const char *name, NetLan *a, NetLan *b, const NetPlaceConfig *cfg)
{
  g_return_val_if_fail (a != b, NULL);
  NetLink *link = g_new0 (NetLink, 1);
  link->link_index = net->links->len;
  link->end[0] = a;
  link->end[1] = b;
  place_init (net, &link->place, NET_PLACE_LINK, name, cfg);
  g_ptr_array_add (net->links, link);
  g_ptr_array_add (a->links, link);
  g_ptr_array_add (b->links, link);
  name_register (net, name, NET_NAME_LINK, link);
  return link;
}

guint
net_n_lans (const Net *net)
{
  return net->lans->len;
}

NetLan *
net_lan (const Net *net, guint index)
{
  g_return_val_if_fail (index < net->lans->len, NULL);
  return net->lans->pdata[index];
}

static gpointer
name_lookup (const Net *net, const char *name, NetNameType type)
{
  NetName *n = g_hash_table_lookup (net->names, name);
  return n != NULL && n->type == type ? n->obj : NULL;
}

NetLan *
net_lan_lookup (const Net *net, const char *name)
{
  return name_lookup (net, name, NET_NAME_LAN);
}

NetLink *
net_link_lookup (const Net *net, const char *name)
{
  return name_lookup (net, name, NET_NAME_LINK);
}

const char *
net_lan_name (const NetLan *lan)
{
  return lan->place.name;
}

const char *
net_link_name (const NetLink *link)
{
  return link->place.name;
}

static gint64
link_weight (const NetLink *l)
{
  return (gint64) sim_dist_mean (&l->place.cfg.delay) + 1;
}

/* Dijkstra from every LAN over the LANs and links that are up. */
static void
routes_build (Net *net)
{
  guint n = net->lans->len;
  g_free (net->next_link);
  g_free (net->prev_link);
  g_free (net->dist);
  net->next_link = g_new (gint, (gsize) n * n);
  net->prev_link = g_new (gint, (gsize) n * n);
  net->dist = g_new (gint64, (gsize) n * n);
  g_autofree gboolean *done = g_new (gboolean, n);
  for (guint r = 0; r < n; r++)
    {
      gint64 *dist = net->dist + (gsize) r * n;
      gint *first = net->next_link + (gsize) r * n, *prev = net->prev_link + (gsize) r * n;
      for (guint i = 0; i < n; i++)
        {
          dist[i] = G_MAXINT64;
          first[i] = prev[i] = -1;
          done[i] = FALSE;
        }
      if (!((NetLan *) net->lans->pdata[r])->place.up)
        continue;
      dist[r] = 0;
      for (;;)
        {
          guint u = n;
          for (guint i = 0; i < n; i++)
            if (!done[i] && dist[i] != G_MAXINT64 && (u == n || dist[i] < dist[u]))
              u = i;
          if (u == n)
            break;
          done[u] = TRUE;
          NetLan *lu = net->lans->pdata[u];
          for (guint k = 0; k < lu->links->len; k++)
            {
              NetLink *l = lu->links->pdata[k];
              NetLan *other = l->end[0] == lu ? l->end[1] : l->end[0];
              guint v = other->lan_index;
              if (!l->place.up || !other->place.up || done[v])
                continue;
              gint64 d = dist[u] + link_weight (l);
              if (d < dist[v])
                {
                  dist[v] = d;
                  prev[v] = (gint) l->link_index;
                  first[v] = u == r ? (gint) l->link_index : first[u];
                }
            }
        }
    }
  net->routes_n = n;
  net->routes_dirty = FALSE;
}

static inline void
routes_ensure (Net *net)
{
  if (net->routes_dirty || net->routes_n != net->lans->len)
    routes_build (net);
}

/* ---- hosts ------------------------------------------------------------ */

static void
host_free (gpointer p)
{
  NetHost *h = p;
  for (guint i = 0; i < h->n_hop_rng; i++)
    g_free (h->hop_rng[i]);
  g_free (h->hop_rng);
  g_ptr_array_unref (h->ifaces);
  g_hash_table_unref (h->listeners);
  g_hash_table_unref (h->udp);
  g_hash_table_unref (h->assocs);
  g_hash_table_unref (h->assoc_names);
  g_free (h->name);
  g_free (h);
}

NetHost *
net_host_new (Net *net, const char *name, const char *role, NetHostFlags flags)
{
  NetHost *h = g_new0 (NetHost, 1);
  h->net = net;
  h->name = g_strdup (name);
  h->index = net->hosts->len;
  h->role = net_role_intern (net, role);
  h->flags = flags;
  h->up = TRUE;
  h->ifaces = g_ptr_array_new_with_free_func (g_free);
  h->listeners = g_hash_table_new (g_direct_hash, g_direct_equal);
  h->udp = g_hash_table_new (g_direct_hash, g_direct_equal);
  h->assocs = g_hash_table_new (net_assoc_key_hash, g_int64_equal);
  h->assoc_names = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  h->next_port = 49152;
  sim_rng_init_fmt (&h->sctp_rng, net->seed, "net/host/%s/sctp", name);
  for (guint i = 0; i < sizeof h->cookie_key; i += 8)
    {
      guint64 x = sim_rng_next (&h->sctp_rng);
      memcpy (h->cookie_key + i, &x, 8);
    }
  net_cpu_host_init (h);
  name_register (net, name, NET_NAME_HOST, h);
  g_ptr_array_add (net->hosts, h);
  return h;
}

NetAddr
net_host_add_address (NetHost *h, NetLan *lan, NetAddr addr)
{
  Net *net = h->net;
  if (addr == 0)
    {
      do
        {
          g_return_val_if_fail (lan->next_host < 0xffff, 0);
          addr = lan->prefix | lan->next_host++;
        }
      while (g_hash_table_contains (net->by_addr, GUINT_TO_POINTER (addr)));
    }
  g_return_val_if_fail (!net_addr_is_multicast (addr), 0);
  g_return_val_if_fail (!g_hash_table_contains (net->by_addr, GUINT_TO_POINTER (addr)), 0);
  NetIface *iface = g_new0 (NetIface, 1);
  iface->host = h;
  iface->lan = lan;
  iface->addr = addr;
  g_ptr_array_add (h->ifaces, iface);
  g_hash_table_insert (net->by_addr, GUINT_TO_POINTER (addr), iface);
  return addr;
}

guint
net_host_n_addresses (const NetHost *h)
{
  return h->ifaces->len;
}

NetAddr
net_host_address (const NetHost *h, guint i)
{
  g_return_val_if_fail (i < h->ifaces->len, 0);
  return ((NetIface *) h->ifaces->pdata[i])->addr;
}

const char *
net_host_name (const NetHost *h)
{
  return h->name;
}

const char *
net_host_role (const NetHost *h)
{
  return h->net->role_names->pdata[h->role];
}

gboolean
net_host_is_up (const NetHost *h)
{
  return h->up;
}

Net *
net_host_net (const NetHost *h)
{
  return h->net;
}

NetHost *
net_host_lookup (const Net *net, const char *name)
{
  return name_lookup (net, name, NET_NAME_HOST);
}

NetHost *
net_host_by_address (const Net *net, NetAddr addr)
{
  NetIface *i = g_hash_table_lookup (net->by_addr, GUINT_TO_POINTER (addr));
  return i != NULL ? i->host : NULL;
}

guint
net_n_hosts (const Net *net)
{
  return net->hosts->len;
}

NetHost *
net_host (const Net *net, guint index)
{
  g_return_val_if_fail (index < net->hosts->len, NULL);
  return net->hosts->pdata[index];
}

void
net_host_set_state_callback (NetHost *h, NetHostStateFn fn, gpointer user_data)
{
  h->state_fn = fn;
  h->state_data = user_data;
}

NetIface *
net_host_iface_for (NetHost *h, NetAddr src)
{
  for (guint i = 0; i < h->ifaces->len; i++)
    {
      NetIface *iface = h->ifaces->pdata[i];
      if (iface->addr == src)
        return iface;
    }
  return h->ifaces->len > 0 ? h->ifaces->pdata[0] : NULL;
}

static NetHopRng *
hop_rng (NetHost *h, const NetPlace *p)
{
  if (G_UNLIKELY (p->index >= h->n_hop_rng))
    {
      guint n = h->net->places->len;
      h->hop_rng = g_renew (NetHopRng *, h->hop_rng, n);
      memset (h->hop_rng + h->n_hop_rng, 0, (n - h->n_hop_rng) * sizeof (NetHopRng *));
      h->n_hop_rng = n;
    }
  NetHopRng *r = h->hop_rng[p->index];
  if (G_UNLIKELY (r == NULL))
    {
      r = h->hop_rng[p->index] = g_new (NetHopRng, 1);
      sim_rng_init_fmt (&r->loss, h->net->seed, "net/host/%s/%s/loss", h->name, p->name);
      sim_rng_init_fmt (&r->delay, h->net->seed, "net/host/%s/%s/delay", h->name, p->name);
    }
  return r;
}

/* ---- packets ---------------------------------------------------------- */

NetPacket *
net_packet_new (void)
{
  return g_new0 (NetPacket, 1);
}

NetPacket *
net_packet_copy (const NetPacket *pkt)
{
  NetPacket *c = g_new (NetPacket, 1);
  *c = *pkt;
  if (c->payload != NULL)
    g_bytes_ref (c->payload);
  return c;
}

void
net_packet_free (NetPacket *pkt)
{
  if (pkt == NULL)
    return;
  if (pkt->payload != NULL)
    g_bytes_unref (pkt->payload);
  g_free (pkt);
}

void
net_packet_set_payload (NetPacket *pkt, GBytes *payload)
{
  if (payload != NULL)
    g_bytes_ref (payload);
  if (pkt->payload != NULL)
    g_bytes_unref (pkt->payload);
  pkt->payload = payload;
}

/* The chunk header and fixed fields before the variable part (RFC 4960 §3.3). */
static gsize
chunk_fixed_size (guint8 chunk)
{
  switch (chunk)
    {
    case NET_CHUNK_DATA: return 16;
    case NET_CHUNK_INIT:
    case NET_CHUNK_INIT_ACK: return 20;
    case NET_CHUNK_SACK: return 16;
    case NET_CHUNK_SHUTDOWN: return 8;
    default: return 4;
    }
}

static inline gsize
payload_len (const NetPacket *pkt)
{
  return pkt->payload != NULL ? g_bytes_get_size (pkt->payload) : 0;
}

gsize
net_packet_wire_size (const NetPacket *pkt)
{
  gsize len = payload_len (pkt);
  if (pkt->proto == NET_PROTO_UDP)
    return 20 + 8 + len;
  return 20 + 12 + chunk_fixed_size (pkt->chunk) + ((len + 3) & ~(gsize) 3);
}

GBytes *
net_packet_render (const NetPacket *pkt)
{
  gsize size = net_packet_wire_size (pkt), plen = payload_len (pkt);
  g_return_val_if_fail (size <= 65535, NULL);
  guint8 *b = g_malloc0 (size);
  const guint8 *pl = pkt->payload != NULL ? g_bytes_get_data (pkt->payload, NULL) : NULL;
  b[0] = 0x45;
  sim_put16 (b + 2, (guint) size);
  sim_put16 (b + 4, (guint) (pkt->id & 0xffff));
  b[6] = 0x40;
  b[8] = 64;
  b[9] = (guint8) pkt->proto;
  sim_put32 (b + 12, pkt->src);
  sim_put32 (b + 16, pkt->dst);
  sim_put16 (b + 10, sim_inet_fold (sim_inet_sum (0, b, 20)));
  guint8 *t = b + 20;
  sim_put16 (t, pkt->sport);
  sim_put16 (t + 2, pkt->dport);
  if (pkt->proto == NET_PROTO_UDP)
    {
      sim_put16 (t + 4, (guint) (8 + plen));
      if (plen > 0)
        memcpy (t + 8, pl, plen);
      /* Pseudo-header: source, destination, zero, protocol, UDP length. */
      guint8 ph[12];
      memcpy (ph, b + 12, 8);
      ph[8] = 0;
      ph[9] = 17;
      sim_put16 (ph + 10, (guint) (8 + plen));
      guint16 c = sim_inet_fold (sim_inet_sum (sim_inet_sum (0, ph, 12), t, 8 + plen));
      sim_put16 (t + 6, c == 0 ? 0xffff : c);
      return g_bytes_new_take (b, size);
    }
  sim_put32 (t + 4, pkt->vtag);
  guint8 *c = t + 12;
  gsize fixed = chunk_fixed_size (pkt->chunk);
  c[0] = pkt->chunk;
  c[1] = pkt->flags;
  sim_put16 (c + 2, (guint) (fixed + plen));
  switch (pkt->chunk)
    {
    case NET_CHUNK_DATA:
      sim_put32 (c + 4, pkt->tsn);
      sim_put16 (c + 8, pkt->stream);
      sim_put16 (c + 10, pkt->ssn);
      sim_put32 (c + 12, pkt->ppid);
      break;
    case NET_CHUNK_INIT:
    case NET_CHUNK_INIT_ACK:
      sim_put32 (c + 4, pkt->init_tag);
      sim_put32 (c + 8, 65536);
      sim_put16 (c + 12, pkt->n_out);
      sim_put16 (c + 14, pkt->n_in);
      sim_put32 (c + 16, pkt->tsn);
      break;
    case NET_CHUNK_SACK:
      sim_put32 (c + 4, pkt->tsn);
      sim_put32 (c + 8, 65536);
      sim_put16 (c + 12, (guint) (plen / 4));
      break;
    case NET_CHUNK_SHUTDOWN:
      sim_put32 (c + 4, pkt->tsn);
      break;
    default:
      break;
    }
  if (plen > 0)
    memcpy (c + fixed, pl, plen);
  guint32 crc = sim_pcap_crc32c (t, size - 20);
  t[8] = (guint8) crc;
  t[9] = (guint8) (crc >> 8);
  t[10] = (guint8) (crc >> 16);
  t[11] = (guint8) (crc >> 24);
  return g_bytes_new_take (b, size);
}

/* ---- the journey ------------------------------------------------------ */

static void cross (Net *net, NetPacket *pkt);
static void multicast_at_gateway (Net *net, NetPacket *pkt, NetLan *lan, NetLink *from);

static inline void
drop (NetPacket *pkt, guint64 *counter)
{
  (*counter)++;
  net_packet_free (pkt);
}

static inline SimTime
serialization (gsize bytes, gint64 bandwidth)
{
  return ((gint64) bytes * 8 * SIM_S + bandwidth - 1) / bandwidth;
}

/* Loss, then delay: schedule fn at the far end at done + delay. */
static void
to_far_end (Net *net, NetPacket *pkt, NetHopRng *r, const NetPlace *p, SimTime done, SimHandler fn)
{
  if (p->cfg.loss > 0 && sim_rng_bernoulli (&r->loss, p->cfg.loss))
    {
      drop (pkt, &net->stats.lost_random);
      return;
    }
  SimTime delay = sim_dist_sample_time (&p->cfg.delay, &r->delay);
  sim_kernel_schedule_at_full (net->kernel, done + delay, fn, net, pkt, (GDestroyNotify) net_packet_free);
}

/* Did the place of pkt's crossing stay up all the way? */
static inline gboolean
crossing_survived (const NetPacket *pkt)
{
  const NetPlace *p = pkt->place;
  return p->up && p->epoch == pkt->epoch;
}

static void
at_host (SimKernel *k, gpointer ctx, gpointer data)
{
  Net *net = ctx;
  NetPacket *pkt = data;
  NetIface *iface = pkt->rx;
  if (!crossing_survived (pkt))
    {
      drop (pkt, &net->stats.lost_down);
      return;
    }
  if (!iface->host->up)
    {
      drop (pkt, &net->stats.lost_host_down);
      return;
    }
  net->stats.delivered++;
  if (pkt->proto == NET_PROTO_SCTP)
    net_assoc_receive (iface->host, iface, pkt);
  else
    net_udp_receive (iface->host, iface, pkt);
  net_packet_free (pkt);
}

/* At lan's gateway, a unicast packet goes onto the LAN or the next link. */
static void
route_from (Net *net, NetPacket *pkt, NetLan *lan)
{
  routes_ensure (net);
  NetIface *iface = g_hash_table_lookup (net->by_addr, GUINT_TO_POINTER (pkt->dst));
  if (iface == NULL)
    {
      drop (pkt, &net->stats.lost_no_route);
      return;
    }
  if (iface->lan == lan)
    {
      pkt->place = &lan->place;
      pkt->tx_free = &lan->gw_tx_free;
      cross (net, pkt);
      return;
    }
  gint l = net->next_link[(gsize) lan->lan_index * net->routes_n + iface->lan->lan_index];
  if (l < 0)
    {
      drop (pkt, &net->stats.lost_no_route);
      return;
    }
  NetLink *link = net->links->pdata[l];
  pkt->link_dir = link->end[0] == lan ? 0 : 1;
  pkt->place = &link->place;
  pkt->tx_free = &link->tx_free[pkt->link_dir];
  cross (net, pkt);
}

static void
at_gateway (SimKernel *k, gpointer ctx, gpointer data)
{
  Net *net = ctx;
  NetPacket *pkt = data;
  if (!crossing_survived (pkt))
    {
      drop (pkt, &net->stats.lost_down);
      return;
    }
  NetLan *lan = pkt->place;
  if (net_addr_is_multicast (pkt->dst))
    {
      multicast_at_gateway (net, pkt, lan, NULL);
      return;
    }
  route_from (net, pkt, lan);
}

static void
at_link_end (SimKernel *k, gpointer ctx, gpointer data)
{
  Net *net = ctx;
  NetPacket *pkt = data;
  if (!crossing_survived (pkt))
    {
      drop (pkt, &net->stats.lost_down);
      return;
    }
  NetLink *link = pkt->place;
  NetLan *far = link->end[1 - pkt->link_dir];
  if (!far->place.up)
    {
      drop (pkt, &net->stats.lost_down);
      return;
    }
  if (net_addr_is_multicast (pkt->dst))
    {
      NetPacket *c = net_packet_copy (pkt);
      c->place = &far->place;
      c->tx_free = &far->gw_tx_free;
      cross (net, c);
      multicast_at_gateway (net, pkt, far, link);
      return;
    }
  route_from (net, pkt, far);
}

/* Copies of a multicast packet onward on mc_root's tree from lan's gateway (not back over from). */
static void
multicast_at_gateway (Net *net, NetPacket *pkt, NetLan *lan, NetLink *from)
{
  routes_ensure (net);
  gsize root = pkt->mc_root->lan_index;
  for (guint i = 0; i < lan->links->len; i++)
    {
      NetLink *l = lan->links->pdata[i];
      if (l == from || !l->place.up)
        continue;
      guint dir = l->end[0] == lan ? 0 : 1;
      NetLan *other = l->end[1 - dir];
      if (net->prev_link[root * net->routes_n + other->lan_index] != (gint) l->link_index)
        continue;
      NetPacket *c = net_packet_copy (pkt);
      c->link_dir = (guint8) dir;
      c->place = &l->place;
      c->tx_free = &l->tx_free[dir];
      cross (net, c);
    }
  net_packet_free (pkt);
}

/* A multicast crossing of a LAN: one transmission, a copy to every member there (and the gateway). */
static void
multicast_on_lan (Net *net, NetPacket *pkt, NetLan *lan, NetHopRng *r, SimTime done)
{
  NetGroup *g = net_group (net, pkt->dst, FALSE);
  if (g != NULL)
    for (guint i = 0; i < g->members->len; i++)
      {
        NetUdpSocket *s = g->members->pdata[i];
        NetHost *h = net_udp_host (s);
        NetIface *iface = h->ifaces->pdata[0];
        if (net_udp_port (s) != pkt->dport || iface->lan != lan || h == pkt->origin)
          continue;
        NetPacket *c = net_packet_copy (pkt);
        c->rx = iface;
        to_far_end (net, c, r, &lan->place, done, at_host);
      }
  if (pkt->tx_free != &lan->gw_tx_free && lan->links->len > 0)
    {
      pkt->rx = NULL;
      to_far_end (net, pkt, r, &lan->place, done, at_gateway);
      return;
    }
  net_packet_free (pkt);
}

static void
tap_resume (SimKernel *k, gpointer ctx, gpointer data)
{
  cross (ctx, data);
}

/* Begin (or, after a tap's hold, go on with) the crossing of pkt->place by pkt->tx_free. */
static void
cross (Net *net, NetPacket *pkt)
{
  NetPlace *p = pkt->place;
  if (!p->up)
    {
      drop (pkt, &net->stats.lost_down);
      return;
    }
  for (guint i = pkt->tap_next; i < p->taps->len; i++)
    {
      NetTap *tap = p->taps->pdata[i];
      if (tap == pkt->skip_tap)
        continue;
      SimTime delay = 0;
      NetTapVerdict v = tap->fn (tap, pkt, &delay, tap->user_data);
      if (v == NET_TAP_DROP)
        {
          drop (pkt, &net->stats.tap_dropped);
          return;
        }
      if (v == NET_TAP_DELAY)
        {
          g_return_if_fail (delay >= 0);
          pkt->tap_next = (guint16) (i + 1);
          sim_kernel_schedule_at_full (net->kernel, sim_kernel_now (net->kernel) + delay, tap_resume, net, pkt,
                                       (GDestroyNotify) net_packet_free);
          return;
        }
    }
  pkt->tap_next = 0;
  pkt->skip_tap = NULL;
  SimTime now = sim_kernel_now (net->kernel);
  if (net->observer != NULL && (net->observer_place == p || (net->observer_place == NULL && pkt->hops == 0)))
    net->observer (pkt, now, net->observer_data);
  if (pkt->hops < G_MAXUINT8)
    pkt->hops++;
  gsize size = net_packet_wire_size (pkt);
  net->stats.crossings++;
  p->crossings++;
  p->bytes += size;
  SimTime start = MAX (now, *pkt->tx_free);
  SimTime done = start + serialization (size, p->cfg.bandwidth);
  *pkt->tx_free = done;
  pkt->epoch = p->epoch;
  NetHopRng *r = hop_rng (pkt->origin, p);
  if (p->kind == NET_PLACE_LINK)
    {
      to_far_end (net, pkt, r, p, done, at_link_end);
      return;
    }
  NetLan *lan = (NetLan *) p;
  if (net_addr_is_multicast (pkt->dst))
    {
      multicast_on_lan (net, pkt, lan, r, done);
      return;
    }
  NetIface *iface = g_hash_table_lookup (net->by_addr, GUINT_TO_POINTER (pkt->dst));
  if (iface != NULL && iface->lan == lan)
    {
      pkt->rx = iface;
      to_far_end (net, pkt, r, p, done, at_host);
    }
  else if (pkt->tx_free == &lan->gw_tx_free)
    drop (pkt, &net->stats.lost_no_route);
  else
    {
      pkt->rx = NULL;
      to_far_end (net, pkt, r, p, done, at_gateway);
    }
}

static void
launch (Net *net, NetPacket *pkt, NetHost *origin)
{
  pkt->origin = origin;
  pkt->id = ++net->next_packet_id;
  pkt->sent = sim_kernel_now (net->kernel);
  pkt->hops = 0;
  pkt->tap_next = 0;
  net->stats.packets++;
}

void
net_send (NetHost *h, NetPacket *pkt)
{
  Net *net = h->net;
  NetIface *iface = net_host_iface_for (h, pkt->src);
  launch (net, pkt, h);
  pkt->skip_tap = NULL;
  if (!h->up || iface == NULL)
    {
      drop (pkt, &net->stats.lost_host_down);
      return;
    }
  pkt->place = &iface->lan->place;
  pkt->tx_free = &iface->tx_free;
  pkt->mc_root = iface->lan;
  cross (net, pkt);
}

void
net_host_send_raw (NetHost *h, NetPacket *pkt)
{
  g_return_if_fail (h->flags & NET_HOST_ADVERSARY);
  net_send (h, pkt);
}

NetGroup *
net_group (Net *net, NetAddr addr, gboolean create)
{
  NetGroup *g = g_hash_table_lookup (net->groups, GUINT_TO_POINTER (addr));
  if (g == NULL && create)
    {
      g = g_new0 (NetGroup, 1);
      g->addr = addr;
      g->members = g_ptr_array_new ();
      g_hash_table_insert (net->groups, GUINT_TO_POINTER (addr), g);
    }
  return g;
}

/* ---- taps ------------------------------------------------------------- */

static NetTap *
tap_attach (NetPlace *p, NetHost *owner, NetTapFn fn, gpointer user_data)
{
  g_return_val_if_fail (owner != NULL && fn != NULL, NULL);
  NetTap *tap = g_new0 (NetTap, 1);
  tap->net = owner->net;
  tap->place = p;
  tap->owner = owner;
  tap->fn = fn;
  tap->user_data = user_data;
  g_ptr_array_add (p->taps, tap);
  g_ptr_array_add (owner->net->taps, tap);
  return tap;
}

NetTap *
net_tap_attach_lan (NetLan *lan, NetHost *owner, NetTapFn fn, gpointer user_data)
{
  return tap_attach (&lan->place, owner, fn, user_data);
}

NetTap *
net_tap_attach_link (NetLink *link, NetHost *owner, NetTapFn fn, gpointer user_data)
{
  return tap_attach (&link->place, owner, fn, user_data);
}

void
net_tap_detach (NetTap *tap)
{
  if (tap->place == NULL)
    return;
  g_ptr_array_remove (tap->place->taps, tap);
  tap->place = NULL;
}

Net *
net_tap_net (const NetTap *tap)
{
  return tap->net;
}

void
net_tap_inject (NetTap *tap, NetPacket *pkt)
{
  Net *net = tap->net;
  g_return_if_fail (tap->place != NULL);
  launch (net, pkt, tap->owner);
  net->stats.tap_injected++;
  pkt->skip_tap = tap;
  pkt->place = tap->place;
  pkt->tx_free = &tap->tx_free;
  if (tap->place->kind == NET_PLACE_LAN)
    {
      pkt->mc_root = (NetLan *) tap->place;
      cross (net, pkt);
      return;
    }
  /* On a link: towards the end nearer the destination; multicast as if from end a. */
  NetLink *link = (NetLink *) tap->place;
  pkt->link_dir = 0;
  pkt->mc_root = link->end[0];
  NetIface *iface = g_hash_table_lookup (net->by_addr, GUINT_TO_POINTER (pkt->dst));
  if (iface != NULL)
    {
      routes_ensure (net);
      gsize n = net->routes_n, d = iface->lan->lan_index;
      if (net->dist[link->end[0]->lan_index * n + d] < net->dist[link->end[1]->lan_index * n + d])
        pkt->link_dir = 1;
    }
  cross (net, pkt);
}

void
net_set_observer (Net *net, NetLan *lan, NetPacketObserver fn, gpointer user_data)
{
  net->observer = fn;
  net->observer_data = user_data;
  net->observer_place = lan != NULL ? &lan->place : NULL;
}

/* ---- failures --------------------------------------------------------- */

void
net_host_crash (NetHost *h)
{
  if (!h->up)
    return;
  h->up = FALSE;
  net_assoc_host_crash (h);
  net_udp_host_crash (h);
  net_cpu_host_crash (h);
  if (h->state_fn != NULL)
    h->state_fn (h, FALSE, h->state_data);
}

void
net_host_restart (NetHost *h)
{
  if (h->up)
    return;
  h->up = TRUE;
  if (h->state_fn != NULL)
    h->state_fn (h, TRUE, h->state_data);
}

static void
place_set_up (Net *net, NetPlace *p, gboolean up)
{
  if (p->up == up)
    return;
  p->up = up;
  if (!up)
    p->epoch++;
  net->routes_dirty = TRUE;
}

void
net_lan_set_up (NetLan *lan, gboolean up)
{
  place_set_up (lan->place.net, &lan->place, up);
}

void
net_link_set_up (NetLink *link, gboolean up)
{
  place_set_up (link->place.net, &link->place, up);
}

gboolean
net_lan_is_up (const NetLan *lan)
{
  return lan->place.up;
}

gboolean
net_link_is_up (const NetLink *link)
{
  return link->place.up;
}

/* A failure process of one host, LAN or link. */
struct NetFailer {
  NetFailer *next;
  Net       *net;
  NetNameType type;
  gpointer   obj;
  gboolean   random;
  SimTime    up_at;       /* planned: recovery time (SIM_TIME_MAX: never) */
  SimDist    uptime, downtime;
  SimRng     rng;
};

static void
target_set_up (NetFailer *f, gboolean up)
{
  switch (f->type)
    {
    case NET_NAME_HOST:
      if (up)
        net_host_restart (f->obj);
      else
        net_host_crash (f->obj);
      break;
    case NET_NAME_LAN:
      net_lan_set_up (f->obj, up);
      break;
    case NET_NAME_LINK:
      net_link_set_up (f->obj, up);
      break;
    }
}

static void fail_down (SimKernel *k, gpointer ctx, gpointer data);

static void
fail_up (SimKernel *k, gpointer ctx, gpointer data)
{
  NetFailer *f = ctx;
  target_set_up (f, TRUE);
  if (f->random)
    sim_kernel_schedule (k, sim_dist_sample_time (&f->uptime, &f->rng), fail_down, f, NULL);
}

static void
fail_down (SimKernel *k, gpointer ctx, gpointer data)
{
  NetFailer *f = ctx;
  target_set_up (f, FALSE);
  if (f->random)
    sim_kernel_schedule (k, sim_dist_sample_time (&f->downtime, &f->rng), fail_up, f, NULL);
  else if (f->up_at != SIM_TIME_MAX)
    sim_kernel_schedule_at (k, MAX (f->up_at, sim_kernel_now (k)), fail_up, f, NULL);
}


static NetFailer *
failer_new (Net *net, const char *name, GError **error)
{
  NetName *n = g_hash_table_lookup (net->names, name);
  if (n == NULL)
    {
      g_set_error (error, NET_ERROR, NET_ERROR_NAME, "no host, LAN or link is named '%s'", name);
      return NULL;
    }
  NetFailer *f = g_new0 (NetFailer, 1);
  f->net = net;
  f->type = n->type;
  f->obj = n->obj;
  f->up_at = SIM_TIME_MAX;
  f->next = net->failers;
  net->failers = f;
  return f;
}

static void
failers_free (Net *net)
{
  NetFailer *f = net->failers;
  while (f != NULL)
    {
      NetFailer *next = f->next;
      g_free (f);
      f = next;
    }
  net->failers = NULL;
}

gboolean
net_fail_schedule (Net *net, const char *name, SimTime down_at, SimTime up_at, GError **error)
{
  g_return_val_if_fail (down_at >= sim_kernel_now (net->kernel) && up_at > down_at, FALSE);
  NetFailer *f = failer_new (net, name, error);
  if (f == NULL)
    return FALSE;
  f->up_at = up_at;
  sim_kernel_schedule_at (net->kernel, down_at, fail_down, f, NULL);
  return TRUE;
}

gboolean
net_fail_random (Net *net, const char *name, const SimDist *uptime, const SimDist *downtime, GError **error)
{
  NetFailer *f = failer_new (net, name, error);
  if (f == NULL)
    return FALSE;
  f->random = TRUE;
  f->uptime = *uptime;
  f->downtime = *downtime;
  sim_rng_init_fmt (&f->rng, net->seed, "net/fail/%s", name);
  sim_kernel_schedule (net->kernel, sim_dist_sample_time (uptime, &f->rng), fail_down, f, NULL);
  return TRUE;
}

/* One item "NAME:DOWN-UP" of net.fail.schedule. */
static gboolean
fail_schedule_item (Net *net, const char *item, GError **error)
{
  const char *colon = strrchr (item, ':');
  const char *dash = colon != NULL ? strchr (colon, '-') : NULL;
  if (colon == NULL || dash == NULL || colon == item)
    {
      g_set_error (error, NET_ERROR, NET_ERROR_SYNTAX, "net.fail.schedule: '%s' is not NAME:DOWN-UP", item);
      return FALSE;
    }
  g_autofree char *name = g_strstrip (g_strndup (item, (gsize) (colon - item)));
  g_autofree char *down = g_strstrip (g_strndup (colon + 1, (gsize) (dash - colon - 1)));
  g_autofree char *up = g_strstrip (g_strdup (dash + 1));
  SimTime t_down, t_up = SIM_TIME_MAX;
  g_autoptr (GError) err = NULL;
  if (!sim_units_parse_time (down, &t_down, &err) || (*up != '\0' && !sim_units_parse_time (up, &t_up, &err)))
    {
      g_set_error (error, NET_ERROR, NET_ERROR_SYNTAX, "net.fail.schedule: '%s': %s", item, err->message);
      return FALSE;
    }
  if (t_up <= t_down)
    {
      g_set_error (error, NET_ERROR, NET_ERROR_SYNTAX, "net.fail.schedule: '%s': recovery before failure", item);
      return FALSE;
    }
  if (!net_fail_schedule (net, name, t_down, t_up, error))
    {
      g_prefix_error (error, "net.fail.schedule: ");
      return FALSE;
    }
  return TRUE;
}

static gboolean
name_matches (GStrv patterns, const char *name, gboolean *used)
{
  gboolean any = FALSE;
  for (guint i = 0; patterns[i] != NULL; i++)
    if (g_pattern_match_simple (patterns[i], name))
      any = used[i] = TRUE;
  return any;
}

gboolean
net_fail_apply_config (Net *net, GError **error)
{
  g_auto (GStrv) items = g_strsplit_set (net->cfg.fail_schedule, ",;", -1);
  for (guint i = 0; items[i] != NULL; i++)
    if (*g_strstrip (items[i]) != '\0' && !fail_schedule_item (net, items[i], error))
      return FALSE;
  g_auto (GStrv) pats = g_strsplit (net->cfg.fail_random, ",", -1);
  guint np = 0;
  for (guint i = 0; pats[i] != NULL; i++)
    if (*g_strstrip (pats[i]) != '\0')
      pats[np++] = pats[i];
    else
      g_free (pats[i]);
  pats[np] = NULL;
  if (np == 0)
    return TRUE;
  g_autofree gboolean *used = g_new0 (gboolean, np);
  /* In creation order (hosts, LANs, links), never in hash order. */
  GPtrArray *lists[3] = { net->hosts, net->lans, net->links };
  for (guint l = 0; l < 3; l++)
    for (guint i = 0; i < lists[l]->len; i++)
      {
        const char *name = l == 0 ? ((NetHost *) lists[l]->pdata[i])->name
                                  : ((NetPlace *) lists[l]->pdata[i])->name;
        if (name_matches (pats, name, used)
            && !net_fail_random (net, name, &net->cfg.fail_uptime, &net->cfg.fail_downtime, error))
          return FALSE;
      }
  for (guint i = 0; i < np; i++)
    if (!used[i])
      {
        g_set_error (error, NET_ERROR, NET_ERROR_NAME,
                     "net.fail.random: '%s' matches no host, LAN or link", pats[i]);
        return FALSE;
      }
  return TRUE;
}

/* ---- results ---------------------------------------------------------- */

void
net_record (Net *net, SimRecorder *rec)
{
  const NetStats *s = &net->stats;
  struct { const char *name; guint64 v; } counters[] = {
    { "net.packets", s->packets },
    { "net.crossings", s->crossings },
    { "net.delivered", s->delivered },
    { "net.lost.random", s->lost_random },
    { "net.lost.down", s->lost_down },
    { "net.lost.host_down", s->lost_host_down },
    { "net.lost.no_route", s->lost_no_route },
    { "net.tap.dropped", s->tap_dropped },
    { "net.tap.injected", s->tap_injected },
    { "net.sctp.bad_vtag", s->sctp_bad_vtag },
    { "net.sctp.ootb", s->sctp_ootb },
    { "net.udp.no_port", s->udp_no_port },
    { "net.sctp.retransmissions", s->retransmissions },
  };
  for (gsize i = 0; i < G_N_ELEMENTS (counters); i++)
    sim_record_scalar (rec, "net", counters[i].name, (double) counters[i].v, "packets");
  for (guint k = 0; k < net->kind_stats->len; k++)
    {
      const NetKindStats *ks = &g_array_index (net->kind_stats, NetKindStats, k);
      if (ks->messages == 0)
        continue;
      g_autofree char *module = g_strdup_printf ("net/%s", (char *) net->kind_names->pdata[k]);
      sim_record_scalar (rec, module, "net.messages", (double) ks->messages, "messages");
      sim_record_scalar (rec, module, "net.bytes", (double) ks->bytes, "B");
    }
  for (guint i = 0; i < net->hosts->len; i++)
    {
      NetHost *h = net->hosts->pdata[i];
      NetCpuStats st;
      net_host_cpu_stats (h, &st);
      g_autofree char *module = g_strdup_printf ("net/host/%s", h->name);
      sim_record_scalar (rec, module, "net.cpu.utilization", st.utilization, "1");
      sim_record_statistic (rec, module, "net.cpu.queue_delay", &st.queue_delay, "s");
      sim_record_scalar (rec, module, "net.cpu.processed", (double) st.processed, "messages");
      sim_record_scalar (rec, module, "net.cpu.dropped", (double) st.dropped, "messages");
    }
}
